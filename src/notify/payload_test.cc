#include "notify/payload.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "notify/webhook_sender.h"

namespace costgate::notify {
namespace {

namespace json = boost::json;

TimePoint at(const char* iso) {
  TimePoint t;
  EXPECT_TRUE(parseIso8601(iso, t)) << iso;
  return t;
}

Notification alarm(const char* new_state = "ALARM") {
  AlarmTransition t;
  t.alarm = "BedrockRequestsPerMinuteAlarm-p1";
  t.profile_id = "pid";
  t.profile_name = "p1";
  t.tenant = "acme";
  t.old_state = "OK";
  t.new_state = new_state;
  t.reason = "Threshold Crossed";
  t.metric = "InvocationSuccess + InvocationFailure (Sum)";
  t.unit = "requests";
  t.value = 12;
  t.threshold = 10;
  t.comparison = ">=";
  t.period = std::chrono::seconds(60);
  t.window_start = at("2026-11-27T05:15:00Z");
  t.window_end = at("2026-11-27T05:16:00Z");
  t.at = at("2026-11-27T05:16:06Z");
  t.dashboard_url = "http://d/x?a=1&b=<2>";
  return alarmNotification(t, "Ops", "01ID");
}

TEST(PayloadTest, CostgateShape) {
  Notification n = alarm();
  json::value v = json::parse(webhookBody(n, WebhookShape::kJson));
  json::value expected = json::parse(R"js({
    "id": "01ID", "topic": "Ops", "kind": "alarm", "created_at": "2026-11-27T05:16:06.000Z",
    "subject": "ALARM: \"BedrockRequestsPerMinuteAlarm-p1\" for profile p1 (tenant acme)",
    "text": "",
    "alarm": {"name": "BedrockRequestsPerMinuteAlarm-p1", "description": "",
              "profile": {"id": "pid", "name": "p1"}, "tenant": "acme",
              "old_state": "OK", "new_state": "ALARM", "reason": "Threshold Crossed",
              "metric": "InvocationSuccess + InvocationFailure (Sum)", "unit": "requests",
              "value": 12.0, "threshold": 10.0, "comparison": ">=", "period_seconds": 60,
              "window": {"start": "2026-11-27T05:15:00.000Z", "end": "2026-11-27T05:16:00.000Z"},
              "dashboard_url": "http://d/x?a=1&b=<2>"}})js");
  expected.as_object()["text"] = n.body;
  EXPECT_EQ(v, expected);
}

TEST(PayloadTest, SlackShapeEscapesAndLinks) {
  Notification n = alarm();
  n.body = "a < b & c > d\n";
  json::value v = json::parse(webhookBody(n, WebhookShape::kSlack));
  EXPECT_EQ(
      v,
      json::parse(
          R"({"text": "*ALARM: \"BedrockRequestsPerMinuteAlarm-p1\" for profile p1 (tenant acme)*\na &lt; b &amp; c &gt; d\n<http://d/x?a=1&b=<2>|Open the dashboard>\n"})"));
}

TEST(PayloadTest, AlertmanagerFiresOnAlarmAndResolvesOtherwise) {
  json::value firing = json::parse(webhookBody(alarm("ALARM"), WebhookShape::kAlertmanager));
  ASSERT_TRUE(firing.is_array());
  ASSERT_EQ(firing.as_array().size(), 1u);
  const json::object& a = firing.as_array()[0].as_object();
  EXPECT_EQ(a.at("labels"), json::parse(R"({"alertname": "BedrockRequestsPerMinuteAlarm-p1",
      "topic": "Ops", "costgate_state": "ALARM", "profile": "p1", "tenant": "acme"})"));
  EXPECT_EQ(a.at("startsAt"), "2026-11-27T05:16:06.000Z");
  EXPECT_EQ(a.at("endsAt"), "2026-11-28T05:16:06.000Z");
  EXPECT_EQ(a.at("generatorURL"), "http://d/x?a=1&b=<2>");
  EXPECT_EQ(a.at("annotations").at("notification_id"), "01ID");

  json::value resolved = json::parse(webhookBody(alarm("OK"), WebhookShape::kAlertmanager));
  const json::object& r = resolved.as_array()[0].as_object();
  EXPECT_EQ(r.at("endsAt"), "2026-11-27T05:16:06.000Z");
  EXPECT_EQ(r.at("labels").at("costgate_state"), "OK");
  EXPECT_EQ(r.at("labels").at("alertname"), "BedrockRequestsPerMinuteAlarm-p1");
}

TEST(PayloadTest, FieldsRoundTrip) {
  Notification n = alarm();
  auto back = fieldsFromJson(fieldsToJson(n.fields));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(*back, n.fields);

  n.fields.value.reset();
  back = fieldsFromJson(fieldsToJson(n.fields));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, n.fields);

  Notification t = testNotification("Ops", "01ID", at("2026-11-27T05:16:06Z"));
  back = fieldsFromJson(fieldsToJson(t.fields));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t.fields);

  EXPECT_EQ(fieldsFromJson("[]").error(), "notification fields are not a JSON object");
  EXPECT_EQ(fieldsFromJson(R"({"kind": "x"})").error(),
            "notification kind \"x\" is not alarm or test");
}

}  // namespace
}  // namespace costgate::notify
