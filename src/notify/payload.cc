#include "notify/payload.h"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace costgate::notify {

namespace json = boost::json;

namespace {

json::value optionalNumber(const std::optional<double>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value optionalTime(const std::optional<TimePoint>& t) {
  return t ? json::value(formatIso8601(*t)) : json::value(nullptr);
}

json::object alarmObject(const NotificationFields& f) {
  return json::object{{"name", f.alarm},
                      {"description", f.description},
                      {"profile", json::object{{"id", f.profile_id}, {"name", f.profile_name}}},
                      {"tenant", f.tenant},
                      {"old_state", f.old_state},
                      {"new_state", f.new_state},
                      {"reason", f.reason},
                      {"metric", f.metric},
                      {"unit", f.unit},
                      {"value", optionalNumber(f.value)},
                      {"threshold", optionalNumber(f.threshold)},
                      {"comparison", f.comparison},
                      {"period_seconds", f.period_seconds},
                      {"window", json::object{{"start", optionalTime(f.window_start)},
                                              {"end", optionalTime(f.window_end)}}},
                      {"dashboard_url", f.dashboard_url}};
}

std::string slackEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

json::object costgateJson(const Notification& n) {
  json::object o{{"id", n.id},
                 {"topic", n.topic},
                 {"kind", n.fields.kind},
                 {"created_at", formatIso8601(n.created_at)},
                 {"subject", n.subject},
                 {"text", n.body}};
  if (n.fields.kind == "alarm") o["alarm"] = alarmObject(n.fields);
  return o;
}

json::object slackJson(const Notification& n) {
  std::string text = "*" + slackEscape(n.subject) + "*\n" + slackEscape(n.body);
  if (!n.fields.dashboard_url.empty()) {
    // The URL itself is not escaped: Slack reads <URL|label> before unescaping.
    text += fmt::format("<{}|Open the dashboard>\n", n.fields.dashboard_url);
  }
  return json::object{{"text", text}};
}

json::array alertmanagerJson(const Notification& n) {
  const NotificationFields& f = n.fields;
  const bool firing = f.kind == "test" || f.new_state == "ALARM";
  json::object labels{{"alertname", f.kind == "test" ? "CostgateTestMessage" : f.alarm},
                      {"topic", n.topic},
                      {"costgate_state", f.kind == "test" ? "TEST" : f.new_state}};
  if (!f.profile_name.empty()) labels["profile"] = f.profile_name;
  if (!f.tenant.empty()) labels["tenant"] = f.tenant;
  json::object annotations{
      {"summary", n.subject}, {"description", n.body}, {"notification_id", n.id}};
  if (!f.dashboard_url.empty()) annotations["dashboard"] = f.dashboard_url;
  // A test message should not linger as a firing alert.
  const auto hold = f.kind == "test" ? std::chrono::minutes(5) : std::chrono::minutes(24 * 60);
  json::object alert{{"labels", std::move(labels)},
                     {"annotations", std::move(annotations)},
                     {"startsAt", formatIso8601(n.created_at)},
                     {"endsAt", formatIso8601(firing ? n.created_at + hold : n.created_at)}};
  if (!f.dashboard_url.empty()) alert["generatorURL"] = f.dashboard_url;
  return json::array{std::move(alert)};
}

json::object deliveryJson(const Delivery& d) {
  json::object o{{"notification_id", d.notification.id},
                 {"topic", d.notification.topic},
                 {"kind", d.notification.fields.kind},
                 {"subject", d.notification.subject},
                 {"created_at", formatIso8601(d.notification.created_at)},
                 {"endpoint", d.endpoint.key()},
                 {"state", deliveryStateName(d.state)},
                 {"attempts", d.attempts}};
  o["next_attempt_at"] = d.state == DeliveryState::kPending
                             ? json::value(formatIso8601(d.next_attempt_at))
                             : json::value(nullptr);
  o["last_error"] = d.last_error;
  o["delivered_at"] = optionalTime(d.delivered_at);
  o["updated_at"] = formatIso8601(d.updated_at);
  return o;
}

std::string fieldsToJson(const NotificationFields& f) {
  json::object o{{"kind", f.kind}};
  if (f.kind == "alarm") o["alarm"] = alarmObject(f);
  return json::serialize(o);
}

Result<NotificationFields> fieldsFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (o == nullptr) return makeError("notification fields are not a JSON object");
  auto str = [](const json::object& obj, std::string_view key) -> std::string {
    const json::value* x = obj.if_contains(key);
    return x && x->is_string() ? std::string(x->get_string()) : std::string();
  };
  auto num = [](const json::object& obj, std::string_view key) -> std::optional<double> {
    const json::value* x = obj.if_contains(key);
    if (x == nullptr || !x->is_number()) return std::nullopt;
    return x->to_number<double>();
  };
  auto time = [&str](const json::object& obj, std::string_view key) -> std::optional<TimePoint> {
    TimePoint t;
    if (!parseIso8601(str(obj, key), t)) return std::nullopt;
    return t;
  };
  NotificationFields f;
  f.kind = str(*o, "kind");
  if (f.kind != "alarm" && f.kind != "test") {
    return makeError(fmt::format("notification kind \"{}\" is not alarm or test", f.kind));
  }
  const json::value* av = o->if_contains("alarm");
  if (f.kind == "test") return f;
  if (av == nullptr || !av->is_object()) return makeError("alarm notification without \"alarm\"");
  const json::object& a = av->get_object();
  f.alarm = str(a, "name");
  f.description = str(a, "description");
  if (const json::value* p = a.if_contains("profile"); p && p->is_object()) {
    f.profile_id = str(p->get_object(), "id");
    f.profile_name = str(p->get_object(), "name");
  }
  f.tenant = str(a, "tenant");
  f.old_state = str(a, "old_state");
  f.new_state = str(a, "new_state");
  f.reason = str(a, "reason");
  f.metric = str(a, "metric");
  f.unit = str(a, "unit");
  f.value = num(a, "value");
  f.threshold = num(a, "threshold");
  f.comparison = str(a, "comparison");
  f.period_seconds = static_cast<int64_t>(num(a, "period_seconds").value_or(0));
  if (const json::value* w = a.if_contains("window"); w && w->is_object()) {
    f.window_start = time(w->get_object(), "start");
    f.window_end = time(w->get_object(), "end");
  }
  f.dashboard_url = str(a, "dashboard_url");
  return f;
}

}  // namespace costgate::notify
