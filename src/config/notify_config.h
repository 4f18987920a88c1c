#pragma once
// costgate's "notify" section of config.json: how notifications leave costgate. Every key is
// optional; unknown keys are errors, so a typo is never silently ignored.
//
//   "notify": {
//     "smtp": {                           // absent: no email is sent (see "file")
//       "host": "smtp.example.com",       // required
//       "port": 587,                      // default: 587 starttls, 465 implicit, 25 none
//       "tls": "starttls",                // "starttls" (default) | "implicit" | "none"
//                                         // ("none" only to a loopback host)
//       "username": "alerts",             // optional; needs password_env
//       "password_env": "SMTP_PASSWORD",  // the environment variable holding the password
//       "from": "alerts@example.com",     // required: the envelope and header sender
//       "ca_file": "ca.pem",              // extra CA bundle, relative to the config's folder
//       "timeout_ms": 30000
//     },
//     "file": "notifications.jsonl",      // the JSONL file of the default file subscription,
//                                         // relative to the config's folder
//     "dashboard_url": "https://costgate.example.com/dashboard",  // links in messages;
//                                         // default http://<listen>/dashboard
//     "webhook_timeout_ms": 10000,
//     "retry": {"initial_ms": 1000, "max_delay_ms": 600000, "max_attempts": 100,
//               "max_age_ms": 86400000},
//     "topics": {                         // topic name -> its subscriptions
//       "BedrockInvocationAlarms": [
//         {"email": "ops@example.com"},
//         {"webhook": "https://hooks.slack.com/services/…", "shape": "slack"},
//         {"webhook": "http://am:9093/api/v2/alerts", "shape": "alertmanager"},
//         {"file": "alerts.jsonl"}
//       ]
//     }
//   }
//
// A webhook's "shape" is "json" (costgate's own, the default), "slack" ({"text": …}) or
// "alertmanager" (Alertmanager's v2 alerts push; the URL is posted to as given). The seed's
// sns_topic_name and sns_email add a topic with an email subscription (notify/plan.h).

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/json_reader.h"

namespace costgate::config {

enum class SmtpTls { kStartTls, kImplicit, kNone };
const char* smtpTlsName(SmtpTls t);  // "starttls", "implicit", "none"

struct SmtpSettings {
  std::string host;
  int64_t port = 587;
  SmtpTls tls = SmtpTls::kStartTls;
  std::string username;      // "" for no authentication
  std::string password_env;  // set exactly when username is
  std::string from;          // an address, "name@domain"
  std::string ca_file;       // as written; relative to the config's folder
  int64_t timeout_ms = 30'000;
};

enum class WebhookShape { kJson, kSlack, kAlertmanager };
const char* webhookShapeName(WebhookShape s);  // "json", "slack", "alertmanager"

struct SubscriptionSettings {
  enum class Kind { kEmail, kWebhook, kFile };
  Kind kind = Kind::kEmail;
  std::string target;                        // the address, the URL or the path (as written)
  WebhookShape shape = WebhookShape::kJson;  // webhooks only
};

struct RetrySettings {
  int64_t initial_ms = 1'000;
  int64_t max_delay_ms = 600'000;
  int64_t max_attempts = 100;
  int64_t max_age_ms = 86'400'000;
};

struct NotifySettings {
  std::optional<SmtpSettings> smtp;
  std::string file = "notifications.jsonl";
  std::string dashboard_url;  // "" for http://<listen>/dashboard
  int64_t webhook_timeout_ms = 10'000;
  RetrySettings retry;
  // In the order written.
  std::vector<std::pair<std::string, std::vector<SubscriptionSettings>>> topics;
};

// Checks a topic name the way SNS does: 1 to 256 of A-Z a-z 0-9 _ -. Returns the problem or "".
std::string checkTopicName(std::string_view name);
// A plain address "local@domain" (no display name, no spaces, no <>, no control characters).
bool isEmailAddress(std::string_view s);
// 127.0.0.0/8, ::1 or localhost.
bool isLoopbackHost(std::string_view host);

// Reads "notify" from the config's root object.
void parseNotifySettings(JsonReader& reader, const boost::json::object& root, NotifySettings& out);

}  // namespace costgate::config
