#include "notify/plan.h"

#include <gtest/gtest.h>

#include <string_view>

namespace costgate::notify {
namespace {

using Keys = std::vector<std::string>;

config::Config parse(std::string_view extra) {
  config::Diagnostics diags("config.json");
  config::Config c = config::parseConfig(
      R"({"aws_region": "us-west-2", "profiles": [], "listen": "127.0.0.1:9000", )" +
          std::string(extra) + "}",
      "/srv/cg/config.json", diags);
  EXPECT_EQ(diags.errors(), std::vector<std::string>{});
  return c;
}

Keys keysOf(const TopicPlan& plan, std::string_view topic) {
  Keys out;
  const Topic* t = plan.find(topic);
  if (t == nullptr) return {"<no topic>"};
  for (const Endpoint& e : t->subscriptions) out.push_back(e.key());
  return out;
}

TEST(TopicPlanTest, SeedEmailGoesToTheFileWithoutSmtp) {
  TopicPlan plan =
      setupTopics(parse(R"("sns_topic_name": "Alarms", "sns_email": "ops@example.com")"));
  ASSERT_EQ(plan.topics.size(), 1u);
  EXPECT_EQ(keysOf(plan, "Alarms"), Keys{"file:/srv/cg/notifications.jsonl"});
  EXPECT_EQ(plan.notes,
            std::vector<std::string>{"topic Alarms: email to ops@example.com is not sent because "
                                     "notify.smtp is not configured; its notifications are "
                                     "appended to /srv/cg/notifications.jsonl instead"});
}

TEST(TopicPlanTest, SeedEmailIsSubscribedWithSmtp) {
  TopicPlan plan = setupTopics(parse(R"("sns_topic_name": "Alarms", "sns_email": "ops@example.com",
      "notify": {"smtp": {"host": "smtp.example.com", "from": "cg@example.com"},
                 "topics": {"Other": [{"webhook": "https://h/x", "shape": "slack"},
                                      {"file": "../log/other.jsonl"}],
                            "Alarms": [{"email": "ops@example.com"},
                                       {"webhook": "http://127.0.0.1:9/am",
                                        "shape": "alertmanager"}]}})"));
  EXPECT_TRUE(plan.notes.empty());
  ASSERT_EQ(plan.topics.size(), 2u);
  EXPECT_EQ(plan.topics[0].name, "Other");
  EXPECT_EQ(keysOf(plan, "Other"), (Keys{"slack:https://h/x", "file:/srv/log/other.jsonl"}));
  // The seed's address is already there: not added twice.
  EXPECT_EQ(keysOf(plan, "Alarms"),
            (Keys{"email:ops@example.com", "alertmanager:http://127.0.0.1:9/am"}));
}

TEST(TopicPlanTest, DefaultTopicWithoutEmailStillGetsTheFile) {
  TopicPlan plan = setupTopics(parse(R"("notify": {"file": "/var/log/cg.jsonl"})"));
  EXPECT_EQ(keysOf(plan, "BedrockInvocationAlarms"), Keys{"file:/var/log/cg.jsonl"});
  EXPECT_TRUE(plan.notes.empty());
  EXPECT_EQ(plan.find("nope"), nullptr);
}

TEST(TopicPlanTest, DashboardBase) {
  EXPECT_EQ(dashboardBaseUrl(parse("\"x\": 1")), "http://127.0.0.1:9000/");
  EXPECT_EQ(dashboardBaseUrl(parse(R"("notify": {"dashboard_url": "https://cg/d"})")),
            "https://cg/d");
}

TEST(EndpointTest, KeysRoundTrip) {
  for (const Endpoint& e :
       {Endpoint{EndpointKind::kEmail, "a@b"}, Endpoint{EndpointKind::kFile, "/x/y.jsonl"},
        Endpoint{EndpointKind::kWebhook, "http://h:1/p?q", WebhookShape::kJson},
        Endpoint{EndpointKind::kWebhook, "https://h/s", WebhookShape::kSlack},
        Endpoint{EndpointKind::kWebhook, "http://am/api/v2/alerts", WebhookShape::kAlertmanager}}) {
    auto back = parseEndpointKey(e.key());
    ASSERT_TRUE(back.ok()) << e.key();
    EXPECT_EQ(*back, e);
  }
  EXPECT_EQ(Endpoint({EndpointKind::kWebhook, "https://h/s", WebhookShape::kSlack}).key(),
            "slack:https://h/s");
  EXPECT_FALSE(parseEndpointKey("sms:+1555").ok());
  EXPECT_FALSE(parseEndpointKey("email:").ok());
}

}  // namespace
}  // namespace costgate::notify
