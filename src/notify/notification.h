#pragma once
// What notify/ carries: a Notification (a stable id, a topic, a subject, a text body and the
// structured fields receivers may read), and the alarm transition the alarm evaluator hands over,
// from which the message is written. notify/ decides nothing about when to alert: every
// transition it is given becomes exactly one notification.

#include <chrono>
#include <optional>
#include <string>

#include "common/clock.h"

namespace costgate::notify {

// One alarm changing state, as the evaluator (alarms/) saw it. States are CloudWatch's names:
// "OK", "ALARM", "INSUFFICIENT_DATA".
struct AlarmTransition {
  std::string alarm;         // "BedrockTokenCostAlarm-customer1_websearch"
  std::string description;   // the alarm's own description; may be empty
  std::string profile_id;    // "" when the alarm watches no single profile
  std::string profile_name;  // "customer1_websearch"
  std::string tenant;        // the profile's TenantID tag; may be empty
  std::string old_state;
  std::string new_state;
  std::string reason;  // the evaluator's words, e.g. "Threshold Crossed: 1 out of the last 1 ..."
  std::string metric;  // what was measured: "InputTokensCost + OutputTokensCost (Sum)"
  std::string unit;    // "USD", "tokens", "requests"; may be empty
  std::optional<double> value;  // the value seen; none when data was missing
  double threshold = 0;
  std::string comparison;  // ">=", ">", "<", "<="
  std::chrono::seconds period{60};
  int evaluation_periods = 1;
  int datapoints_to_alarm = 1;
  TimePoint window_start;  // the evaluated range [start, end)
  TimePoint window_end;
  TimePoint at;  // when the state changed
  // A link that opens the dashboard on this profile; "" for none.
  std::string dashboard_url;
};

// Structured fields every receiver may read (the JSON shapes carry them). For a test message
// only kind, topic and at are meaningful.
struct NotificationFields {
  std::string kind = "alarm";  // "alarm" | "test"
  std::string alarm;
  std::string description;
  std::string profile_id;
  std::string profile_name;
  std::string tenant;
  std::string old_state;
  std::string new_state;
  std::string reason;
  std::string metric;
  std::string unit;
  std::optional<double> value;
  std::optional<double> threshold;
  std::string comparison;
  int64_t period_seconds = 0;
  std::optional<TimePoint> window_start;
  std::optional<TimePoint> window_end;
  std::string dashboard_url;
  friend bool operator==(const NotificationFields&, const NotificationFields&) = default;
};

struct Notification {
  std::string id;  // time-ordered and unique (newNotificationId); receivers drop duplicates by it
  std::string topic;
  TimePoint created_at;
  std::string subject;  // one line
  std::string body;     // plain text, lines separated by "\n"
  NotificationFields fields;
  friend bool operator==(const Notification&, const Notification&) = default;
};

// A fresh id: 26 characters of Crockford base32, time-ordered, strictly increasing within the
// process (the ledger's call-id scheme). Thread-safe.
std::string newNotificationId(TimePoint now);

// The notification for `t` on `topic`, with id `id`, created at t.at.
//   subject: ALARM: "BedrockTokenCostAlarm-p1" for profile p1 (tenant acme)
//   body:    what changed, the value against the threshold, the window, the reason, the link.
Notification alarmNotification(const AlarmTransition& t, const std::string& topic,
                               const std::string& id);

// "costgate test message for topic T": for operators checking every subscription of a topic.
Notification testNotification(const std::string& topic, const std::string& id, TimePoint now);

// A number as the message writes it: the shortest text that reads back as the same double
// ("1.25", "2000", "0.1").
std::string formatValue(double v);

}  // namespace costgate::notify
