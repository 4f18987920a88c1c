#include "alerting/journal.h"

#include <fmt/format.h>

#include <boost/json.hpp>

namespace costgate::alerting {

namespace {

namespace json = boost::json;

const json::value* member(const json::value& v, std::string_view key) {
  const json::object* o = v.if_object();
  return o ? o->if_contains(key) : nullptr;
}

std::optional<double> number(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

std::optional<TimePoint> timeAt(const json::value* v) {
  TimePoint t{};
  if (v == nullptr || !v->is_string() || !parseIso8601(v->get_string(), t)) return std::nullopt;
  return t;
}

// The first MetricStat an alarm reads: what its unit and statistic are named after.
const alarms::MetricStat* firstStat(const alarms::MetricAlarm& a) {
  if (const auto* s = std::get_if<alarms::MetricStat>(&a.metric)) return s;
  for (const alarms::MetricDataQuery& q : std::get<alarms::MetricMath>(a.metric).queries)
    if (q.metric_stat) return &*q.metric_stat;
  return nullptr;
}

std::string measured(const alarms::MetricAlarm& a) {
  const alarms::MetricStat* s = firstStat(a);
  const std::string stat = s ? s->stat.name() : "";
  if (const auto* one = std::get_if<alarms::MetricStat>(&a.metric))
    return fmt::format("{} ({})", one->metric, stat);
  const auto& math = std::get<alarms::MetricMath>(a.metric);
  for (const alarms::MetricDataQuery& q : math.queries) {
    if (q.id != math.result_id) continue;
    const std::string& what = !q.label.empty() ? q.label : q.expression;
    return stat.empty() ? what : fmt::format("{} ({})", what, stat);
  }
  return math.result_id;
}

std::string unitOf(const alarms::MetricAlarm& a) {
  const alarms::MetricStat* s = firstStat(a);
  if (s == nullptr) return "";
  const std::string_view m = s->metric;
  if (m.ends_with("Cost")) return "USD";
  if (m.find("Tokens") != std::string_view::npos) return "tokens";
  if (m.starts_with("Invocation") && (m.ends_with("Success") || m.ends_with("Failure")))
    return "requests";
  return "";
}

}  // namespace

notify::AlarmTransition describeTransition(const alarms::ActionRequest& r,
                                           const alarms::Alarm* alarm, const ProfileLookup& lookup,
                                           std::string_view dashboard_base) {
  notify::AlarmTransition t;
  t.alarm = r.alarm;
  t.description = r.description;
  t.old_state = std::string(alarms::stateName(r.old_state));
  t.new_state = std::string(alarms::stateName(r.new_state));
  t.reason = r.reason;
  t.at = r.at;
  t.window_start = r.at;
  t.window_end = r.at;
  for (const alarms::AlarmTag& tag : r.tags) {
    if (tag.key != "InferenceProfile") continue;
    t.profile_name = tag.value;
    if (lookup) {
      if (std::optional<ProfileFacts> p = lookup(tag.value)) {
        t.profile_id = p->id;
        t.tenant = p->tenant;
      }
    }
  }
  if (!t.profile_name.empty() && !dashboard_base.empty())
    t.dashboard_url = fmt::format("{}?profile={}", dashboard_base, t.profile_name);
  const auto* metric = alarm ? std::get_if<alarms::MetricAlarm>(alarm) : nullptr;
  if (metric != nullptr) {
    t.metric = measured(*metric);
    t.unit = unitOf(*metric);
    t.threshold = metric->threshold;
    t.comparison = std::string(alarms::comparisonSymbol(metric->comparison));
    t.period = metric->period;
    t.evaluation_periods = metric->evaluation_periods;
    t.datapoints_to_alarm = metric->datapoints_to_alarm;
  }
  if (!r.reason_data.empty()) {
    boost::system::error_code ec;
    json::value data = json::parse(r.reason_data, ec);
    if (!ec) {
      if (const json::value* points = member(data, "evaluatedDatapoints");
          points && points->is_array() && !points->get_array().empty())
        t.value = number(member(points->get_array().front(), "value"));  // newest first
      if (auto from = timeAt(member(data, "startDate"))) t.window_start = *from;
      if (auto to = timeAt(member(data, "endDate"))) t.window_end = *to;
      // The window the newest datapoint covers: its period, not the whole evaluation range.
      if (const json::value* points = member(data, "evaluatedDatapoints");
          points && points->is_array() && !points->get_array().empty()) {
        if (auto start = timeAt(member(points->get_array().front(), "timestamp"))) {
          t.window_start = *start;
          t.window_end = *start + std::chrono::duration_cast<std::chrono::milliseconds>(t.period);
        }
      }
    }
  }
  return t;
}

Result<size_t> AlarmJournal::record(
    const alarms::TickResult& r,
    const std::function<const alarms::Alarm*(std::string_view)>& find) {
  if (Status st = db_.alarms().appendHistory(r.history); !st) return makeError(st.error());
  size_t stored = 0;
  for (const alarms::ActionRequest& action : r.actions) {
    const auto* topic = std::get_if<alarms::TopicAction>(&action.target);
    if (topic == nullptr) continue;
    notify::AlarmTransition t =
        describeTransition(action, find ? find(action.alarm) : nullptr, lookup_, dashboard_base_);
    Result<std::string> id = notifier_.notify(t, topic->topic);
    if (!id) return makeError(fmt::format("alarm {}: {}", action.alarm, id.error()));
    ++stored;
  }
  return stored;
}

}  // namespace costgate::alerting
