#include "notify/notification.h"

#include <fmt/format.h>

#include "metering/usage_record.h"

namespace costgate::notify {

namespace {

// Control characters would break a one-line subject (and, in an email, the header block).
std::string oneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return out;
}

std::string withUnit(double v, const std::string& unit) {
  return unit.empty() ? formatValue(v) : formatValue(v) + " " + unit;
}

void line(std::string& out, std::string_view label, std::string_view value) {
  if (value.empty()) return;
  out += fmt::format("{:<11} {}\n", std::string(label) + ":", value);
}

}  // namespace

std::string newNotificationId(TimePoint now) {
  static metering::CallIdGenerator generator;
  return generator.next(now);
}

std::string formatValue(double v) { return fmt::format("{}", v); }

Notification alarmNotification(const AlarmTransition& t, const std::string& topic,
                               const std::string& id) {
  Notification n;
  n.id = id;
  n.topic = topic;
  n.created_at = t.at;

  n.subject = fmt::format("{}: \"{}\"", t.new_state, t.alarm);
  if (!t.profile_name.empty()) n.subject += " for profile " + t.profile_name;
  if (!t.tenant.empty()) n.subject += " (tenant " + t.tenant + ")";
  n.subject = oneLine(n.subject);

  std::string& b = n.body;
  b = fmt::format("costgate alarm {} changed from {} to {} at {}.\n\n", t.alarm, t.old_state,
                  t.new_state, formatIso8601(t.at));
  if (!t.profile_name.empty()) {
    line(b, "Profile",
         t.profile_id.empty() ? t.profile_name
                              : fmt::format("{} ({})", t.profile_name, t.profile_id));
  }
  line(b, "Tenant", t.tenant);
  line(b, "Metric",
       fmt::format("{}, period {} s, {} of {} datapoints", t.metric.empty() ? "-" : t.metric,
                   t.period.count(), t.datapoints_to_alarm, t.evaluation_periods));
  line(b, "Value seen", t.value ? withUnit(*t.value, t.unit) : "no data");
  line(b, "Threshold", fmt::format("{} {}", t.comparison, withUnit(t.threshold, t.unit)));
  line(b, "Window",
       fmt::format("{} to {} (UTC)", formatIso8601(t.window_start), formatIso8601(t.window_end)));
  line(b, "Reason", oneLine(t.reason));
  line(b, "Dashboard", t.dashboard_url);
  if (!t.description.empty()) b += "\n" + t.description + "\n";
  b += fmt::format("\nNotification id: {} (topic {})\n", id, topic);

  NotificationFields& f = n.fields;
  f.kind = "alarm";
  f.alarm = t.alarm;
  f.description = t.description;
  f.profile_id = t.profile_id;
  f.profile_name = t.profile_name;
  f.tenant = t.tenant;
  f.old_state = t.old_state;
  f.new_state = t.new_state;
  f.reason = t.reason;
  f.metric = t.metric;
  f.unit = t.unit;
  f.value = t.value;
  f.threshold = t.threshold;
  f.comparison = t.comparison;
  f.period_seconds = t.period.count();
  f.window_start = t.window_start;
  f.window_end = t.window_end;
  f.dashboard_url = t.dashboard_url;
  return n;
}

Notification testNotification(const std::string& topic, const std::string& id, TimePoint now) {
  Notification n;
  n.id = id;
  n.topic = topic;
  n.created_at = now;
  n.subject = oneLine(fmt::format("costgate test message for topic {}", topic));
  n.body = fmt::format(
      "This is a test message from costgate, sent at {} to every subscription of topic {}.\n"
      "It needs no action.\n\nNotification id: {} (topic {})\n",
      formatIso8601(now), topic, id, topic);
  n.fields.kind = "test";
  return n;
}

}  // namespace costgate::notify
