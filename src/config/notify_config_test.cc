#include "config/notify_config.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace costgate::config {
namespace {

using Strings = std::vector<std::string>;

// A valid config with `notify` (a JSON object's text) as its "notify".
std::string withNotify(std::string_view notify) {
  return R"({"aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": "m"}], "notify": )" +
         std::string(notify) + "}";
}

struct Parsed {
  Config config;
  Strings errors;
};

Parsed parse(std::string_view notify) {
  Diagnostics diags("config.json");
  Parsed p;
  p.config = parseConfig(withNotify(notify), "/etc/costgate/config.json", diags);
  p.errors = diags.errors();
  return p;
}

TEST(NotifyConfigTest, AbsentMeansDefaults) {
  Diagnostics diags("config.json");
  Config c = parseConfig(R"({"aws_region": "us-west-2", "profiles": []})", "config.json", diags);
  EXPECT_EQ(diags.errors(), Strings{});
  EXPECT_FALSE(c.notify.smtp.has_value());
  EXPECT_EQ(c.notify.file, "notifications.jsonl");
  EXPECT_EQ(c.notify.dashboard_url, "");
  EXPECT_EQ(c.notify.webhook_timeout_ms, 10'000);
  EXPECT_EQ(c.notify.retry.initial_ms, 1'000);
  EXPECT_EQ(c.notify.retry.max_delay_ms, 600'000);
  EXPECT_EQ(c.notify.retry.max_attempts, 100);
  EXPECT_EQ(c.notify.retry.max_age_ms, 86'400'000);
  EXPECT_TRUE(c.notify.topics.empty());
}

TEST(NotifyConfigTest, EveryKeyIsRead) {
  Parsed p = parse(R"({
    "smtp": {"host": "smtp.example.com", "port": 2525, "tls": "implicit", "username": "alerts",
             "password_env": "SMTP_PASSWORD", "from": "costgate@example.com",
             "ca_file": "ca.pem", "timeout_ms": 5000},
    "file": "out/alerts.jsonl",
    "dashboard_url": "https://costgate.example.com/dashboard",
    "webhook_timeout_ms": 2500,
    "retry": {"initial_ms": 200, "max_delay_ms": 4000, "max_attempts": 7, "max_age_ms": 60000},
    "topics": {
      "Ops": [{"email": "a@example.com"},
              {"webhook": "https://hooks.example.com/x", "shape": "slack"},
              {"webhook": "http://127.0.0.1:9093/api/v2/alerts", "shape": "alertmanager"},
              {"webhook": "http://127.0.0.1:1/json"},
              {"file": "ops.jsonl"}],
      "Empty": []
    }
  })");
  ASSERT_EQ(p.errors, Strings{});
  const NotifySettings& n = p.config.notify;
  ASSERT_TRUE(n.smtp.has_value());
  EXPECT_EQ(n.smtp->host, "smtp.example.com");
  EXPECT_EQ(n.smtp->port, 2525);
  EXPECT_EQ(n.smtp->tls, SmtpTls::kImplicit);
  EXPECT_EQ(n.smtp->username, "alerts");
  EXPECT_EQ(n.smtp->password_env, "SMTP_PASSWORD");
  EXPECT_EQ(n.smtp->from, "costgate@example.com");
  EXPECT_EQ(n.smtp->ca_file, "ca.pem");
  EXPECT_EQ(n.smtp->timeout_ms, 5000);
  EXPECT_EQ(n.file, "out/alerts.jsonl");
  EXPECT_EQ(n.dashboard_url, "https://costgate.example.com/dashboard");
  EXPECT_EQ(n.webhook_timeout_ms, 2500);
  EXPECT_EQ(n.retry.initial_ms, 200);
  EXPECT_EQ(n.retry.max_delay_ms, 4000);
  EXPECT_EQ(n.retry.max_attempts, 7);
  EXPECT_EQ(n.retry.max_age_ms, 60000);
  ASSERT_EQ(n.topics.size(), 2u);
  EXPECT_EQ(n.topics[0].first, "Ops");
  EXPECT_EQ(n.topics[1].first, "Empty");
  EXPECT_TRUE(n.topics[1].second.empty());
  const auto& subs = n.topics[0].second;
  ASSERT_EQ(subs.size(), 5u);
  using Kind = SubscriptionSettings::Kind;
  EXPECT_EQ(subs[0].kind, Kind::kEmail);
  EXPECT_EQ(subs[0].target, "a@example.com");
  EXPECT_EQ(subs[1].kind, Kind::kWebhook);
  EXPECT_EQ(subs[1].shape, WebhookShape::kSlack);
  EXPECT_EQ(subs[2].shape, WebhookShape::kAlertmanager);
  EXPECT_EQ(subs[2].target, "http://127.0.0.1:9093/api/v2/alerts");
  EXPECT_EQ(subs[3].shape, WebhookShape::kJson);
  EXPECT_EQ(subs[4].kind, Kind::kFile);
  EXPECT_EQ(subs[4].target, "ops.jsonl");
}

TEST(NotifyConfigTest, PortFollowsTlsUnlessGiven) {
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "a@b"}})").config.notify.smtp->port, 587);
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "a@b", "tls": "implicit"}})")
                .config.notify.smtp->port,
            465);
  EXPECT_EQ(parse(R"({"smtp": {"host": "127.0.0.1", "from": "a@b", "tls": "none"}})")
                .config.notify.smtp->port,
            25);
}

TEST(NotifyConfigTest, SmtpProblemsAreNamedPrecisely) {
  EXPECT_EQ(parse(R"({"smtp": {"from": "a@b"}})").errors,
            Strings{"config.json: notify.smtp.host: missing required key"});
  EXPECT_EQ(parse(R"({"smtp": {"host": "smtp.example.com", "from": "a@b", "tls": "none"}})").errors,
            Strings{"config.json: notify.smtp.tls: \"none\" is allowed only for a loopback host "
                    "(127.0.0.1, ::1, localhost), not \"smtp.example.com\""});
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "a@b", "tls": "ssl"}})").errors,
            Strings{"config.json: notify.smtp.tls: \"ssl\" is not one of \"starttls\" or "
                    "\"implicit\" or \"none\""});
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "a@b", "username": "u"}})").errors,
            Strings{"config.json: notify.smtp.password_env: missing: a username needs the name "
                    "of the environment variable that holds its password (the password itself "
                    "never goes in a file)"});
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "a@b", "password": "hunter2"}})").errors,
            Strings{"config.json: notify.smtp.password: unknown key (expected one of: host, "
                    "port, tls, username, password_env, from, ca_file, timeout_ms)"});
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "Ops <a@b>"}})").errors,
            Strings{"config.json: notify.smtp.from: \"Ops <a@b>\" is not an email address "
                    "(name@domain)"});
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "a@b", "port": 70000}})").errors,
            Strings{"config.json: notify.smtp.port: must be a whole number from 1 to 65535, got "
                    "70000"});
  EXPECT_EQ(parse(R"({"smtp": {"host": "h", "from": "a@b", "username": "u",
                               "password_env": "NOT-A-NAME"}})")
                .errors,
            Strings{"config.json: notify.smtp.password_env: \"NOT-A-NAME\" is not an environment "
                    "variable name"});
}

TEST(NotifyConfigTest, SubscriptionProblemsAreNamedPrecisely) {
  EXPECT_EQ(parse(R"({"topics": {"T": [{"email": "a@b", "file": "x"}]}})").errors,
            Strings{"config.json: notify.topics.T[0]: must have exactly one of \"email\", "
                    "\"webhook\" or \"file\""});
  EXPECT_EQ(parse(R"({"topics": {"T": [{"email": "nobody"}]}})").errors,
            Strings{"config.json: notify.topics.T[0].email: \"nobody\" is not an email address "
                    "(name@domain)"});
  EXPECT_EQ(parse(R"({"topics": {"T": [{"webhook": "ftp://x"}]}})").errors,
            Strings{"config.json: notify.topics.T[0].webhook: \"ftp://x\" is not an http:// or "
                    "https:// URL"});
  EXPECT_EQ(parse(R"({"topics": {"T": [{"webhook": "http://x", "shape": "teams"}]}})").errors,
            Strings{"config.json: notify.topics.T[0].shape: \"teams\" is not one of \"json\" or "
                    "\"slack\" or \"alertmanager\""});
  EXPECT_EQ(parse(R"({"topics": {"T": [{"file": "x", "shape": "slack"}]}})").errors,
            Strings{"config.json: notify.topics.T[0].shape: applies only to a webhook"});
  EXPECT_EQ(parse(R"({"topics": {"bad name": []}})").errors,
            Strings{"config.json: notify.topics[\"bad name\"]: topic name may hold only "
                    "letters, digits, '_' and '-'"});
  EXPECT_EQ(parse(R"({"topics": {"T": {"email": "a@b"}}})").errors,
            Strings{"config.json: notify.topics.T: must be a list, got object"});
}

TEST(NotifyConfigTest, OtherProblems) {
  EXPECT_EQ(parse(R"({"retry": {"initial_ms": 5000, "max_delay_ms": 1000}})").errors,
            Strings{"config.json: notify.retry.max_delay_ms: must be at least initial_ms (5000), "
                    "got 1000"});
  EXPECT_EQ(parse(R"({"retry": {"max_attempts": 0}})").errors,
            Strings{"config.json: notify.retry.max_attempts: must be a whole number from 1 to "
                    "1000000, got 0"});
  EXPECT_EQ(parse(R"({"dashboard": "x"})").errors,
            Strings{"config.json: notify.dashboard: unknown key (expected one of: smtp, file, "
                    "dashboard_url, webhook_timeout_ms, retry, topics)"});
  EXPECT_EQ(parse(R"({"file": ""})").errors,
            Strings{"config.json: notify.file: must not be empty"});
}

TEST(NotifyConfigTest, Helpers) {
  EXPECT_EQ(checkTopicName("BedrockInvocationAlarms"), "");
  EXPECT_EQ(checkTopicName(""), "must be 1 to 256 characters");
  EXPECT_EQ(checkTopicName(std::string(257, 'a')), "must be 1 to 256 characters");
  EXPECT_TRUE(isEmailAddress("ops@example.com"));
  EXPECT_FALSE(isEmailAddress("ops@example.com\r\nBcc: x@y"));
  EXPECT_FALSE(isEmailAddress("@example.com"));
  EXPECT_FALSE(isEmailAddress("a@b@c"));
  EXPECT_TRUE(isLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(isLoopbackHost("::1"));
  EXPECT_TRUE(isLoopbackHost("localhost"));
  EXPECT_FALSE(isLoopbackHost("10.0.0.1"));
}

}  // namespace
}  // namespace costgate::config
