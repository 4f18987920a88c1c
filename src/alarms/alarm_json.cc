#include "alarms/alarm_json.h"

#include <fmt/format.h>

#include <boost/json.hpp>

#include "alarms/json_number.h"

namespace costgate::alarms {

namespace json = boost::json;

namespace {

int64_t toMillis(TimePoint t) { return t.time_since_epoch().count(); }

json::array dimensionsJson(const std::vector<metrics::Dimension>& dims) {
  json::array out;
  for (const auto& d : dims) out.push_back(json::object{{"Name", d.name}, {"Value", d.value}});
  return out;
}

json::array targetsJson(const std::vector<ActionTarget>& targets) {
  json::array out;
  for (const ActionTarget& t : targets) out.push_back(json::string(actionTargetName(t)));
  return out;
}

void putCommon(json::object& o, const auto& a, bool with_status) {
  o["AlarmName"] = a.name;
  o["AlarmDescription"] = a.description;
  o["ActionsEnabled"] = a.actions.enabled;
  o["AlarmActions"] = targetsJson(a.actions.on_alarm);
  o["OKActions"] = targetsJson(a.actions.on_ok);
  o["InsufficientDataActions"] = targetsJson(a.actions.on_insufficient_data);
  json::array tags;
  for (const AlarmTag& t : a.tags) tags.push_back(json::object{{"Key", t.key}, {"Value", t.value}});
  o["Tags"] = std::move(tags);
  o["AlarmConfigurationUpdatedTimestamp"] = formatIso8601(a.configuration_updated);
  if (!with_status) return;
  o["StateValue"] = stateName(a.status.state);
  o["StateReason"] = a.status.reason;
  o["StateReasonData"] = a.status.reason_data;
  o["StateUpdatedTimestamp"] = formatIso8601(a.status.updated);
}

// Field readers that name the field in their errors.
class Reader {
 public:
  explicit Reader(const json::object& o, std::string where = "alarm")
      : o_(o), where_(std::move(where)) {}

  Result<std::string> string(std::string_view key, bool required, std::string fallback = "") {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (required) return makeError(fmt::format("{}: \"{}\" is missing", where_, key));
      return fallback;
    }
    if (!v->is_string()) return makeError(fmt::format("{}: \"{}\" must be a string", where_, key));
    return std::string(v->as_string());
  }
  Result<double> number(std::string_view key, bool required, double fallback = 0) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (required) return makeError(fmt::format("{}: \"{}\" is missing", where_, key));
      return fallback;
    }
    if (v->is_int64()) return static_cast<double>(v->as_int64());
    if (v->is_uint64()) return static_cast<double>(v->as_uint64());
    if (v->is_double()) return v->as_double();
    return makeError(fmt::format("{}: \"{}\" must be a number", where_, key));
  }
  Result<int64_t> integer(std::string_view key, bool required, int64_t fallback = 0) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) {
      if (required) return makeError(fmt::format("{}: \"{}\" is missing", where_, key));
      return fallback;
    }
    if (v->is_int64()) return v->as_int64();
    if (v->is_uint64() && v->as_uint64() <= INT64_MAX) return static_cast<int64_t>(v->as_uint64());
    return makeError(fmt::format("{}: \"{}\" must be an integer", where_, key));
  }
  Result<bool> boolean(std::string_view key, bool fallback) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_bool())
      return makeError(fmt::format("{}: \"{}\" must be true or false", where_, key));
    return v->as_bool();
  }
  // nullptr when absent.
  Result<const json::array*> array(std::string_view key) {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) return static_cast<const json::array*>(nullptr);
    if (!v->is_array()) return makeError(fmt::format("{}: \"{}\" must be a list", where_, key));
    return &v->as_array();
  }
  Result<TimePoint> time(std::string_view key) {
    Result<std::string> s = string(key, false);
    if (!s) return makeError(s.error());
    TimePoint t{};
    if (!s->empty() && !parseIso8601(*s, t)) {
      return makeError(fmt::format("{}: \"{}\" must be an ISO 8601 UTC time", where_, key));
    }
    return t;
  }
  const std::string& where() const { return where_; }

 private:
  const json::object& o_;
  std::string where_;
};

#define COSTGATE_TRY(var, expr)                    \
  auto var##_r = (expr);                           \
  if (!var##_r) return makeError(var##_r.error()); \
  auto var = std::move(*var##_r)

Result<std::vector<metrics::Dimension>> dimensionsFrom(Reader& r) {
  COSTGATE_TRY(list, r.array("Dimensions"));
  std::vector<metrics::Dimension> out;
  if (list == nullptr) return out;
  for (const json::value& v : *list) {
    if (!v.is_object())
      return makeError(fmt::format("{}: a dimension must be an object", r.where()));
    Reader d(v.as_object(), r.where() + " dimension");
    COSTGATE_TRY(name, d.string("Name", true));
    COSTGATE_TRY(value, d.string("Value", true));
    out.push_back({std::move(name), std::move(value)});
  }
  return out;
}

Result<std::vector<ActionTarget>> targetsFrom(Reader& r, std::string_view key) {
  COSTGATE_TRY(list, r.array(key));
  std::vector<ActionTarget> out;
  if (list == nullptr) return out;
  for (const json::value& v : *list) {
    if (!v.is_string())
      return makeError(fmt::format("{}: \"{}\" must hold strings", r.where(), key));
    COSTGATE_TRY(t, parseActionTarget(v.as_string()));
    out.push_back(std::move(t));
  }
  return out;
}

template <class A>
Status readCommon(Reader& r, A& a) {
  COSTGATE_TRY(name, r.string("AlarmName", true));
  a.name = std::move(name);
  COSTGATE_TRY(description, r.string("AlarmDescription", false));
  a.description = std::move(description);
  COSTGATE_TRY(enabled, r.boolean("ActionsEnabled", true));
  a.actions.enabled = enabled;
  COSTGATE_TRY(on_alarm, targetsFrom(r, "AlarmActions"));
  a.actions.on_alarm = std::move(on_alarm);
  COSTGATE_TRY(on_ok, targetsFrom(r, "OKActions"));
  a.actions.on_ok = std::move(on_ok);
  COSTGATE_TRY(on_insufficient, targetsFrom(r, "InsufficientDataActions"));
  a.actions.on_insufficient_data = std::move(on_insufficient);
  COSTGATE_TRY(tags, r.array("Tags"));
  if (tags != nullptr) {
    for (const json::value& v : *tags) {
      if (!v.is_object()) return makeError("alarm: a tag must be an object");
      Reader t(v.as_object(), "alarm tag");
      COSTGATE_TRY(key, t.string("Key", true));
      COSTGATE_TRY(value, t.string("Value", true));
      a.tags.push_back({std::move(key), std::move(value)});
    }
  }
  COSTGATE_TRY(configured, r.time("AlarmConfigurationUpdatedTimestamp"));
  a.configuration_updated = configured;
  COSTGATE_TRY(state, r.string("StateValue", false, "INSUFFICIENT_DATA"));
  COSTGATE_TRY(parsed_state, parseState(state));
  a.status.state = parsed_state;
  COSTGATE_TRY(reason, r.string("StateReason", false, a.status.reason));
  a.status.reason = std::move(reason);
  COSTGATE_TRY(reason_data, r.string("StateReasonData", false));
  a.status.reason_data = std::move(reason_data);
  COSTGATE_TRY(updated, r.time("StateUpdatedTimestamp"));
  a.status.updated = updated;
  return {};
}

Result<MetricStat> metricStatFrom(Reader& r, const json::object& metric, std::string_view stat) {
  Reader m(metric, r.where() + " Metric");
  MetricStat out;
  COSTGATE_TRY(name, m.string("MetricName", true));
  out.metric = std::move(name);
  COSTGATE_TRY(dims, dimensionsFrom(m));
  out.dimensions = std::move(dims);
  COSTGATE_TRY(parsed, metrics::Statistic::parse(stat));
  out.stat = parsed;
  return out;
}

}  // namespace

Result<ActionTarget> parseActionTarget(std::string_view text) {
  if (text.starts_with("topic:") && text.size() > 6)
    return ActionTarget(TopicAction{std::string(text.substr(6))});
  if (text.starts_with("arn:aws:sns:")) {
    size_t last = text.rfind(':');
    if (last + 1 < text.size())
      return ActionTarget(TopicAction{std::string(text.substr(last + 1))});
  }
  return makeError(
      fmt::format("unknown action target \"{}\" (expected topic:NAME or an SNS topic ARN)", text));
}

boost::json::value toJson(const Alarm& alarm, bool with_status) {
  json::object o;
  if (const auto* c = std::get_if<CompositeAlarm>(&alarm)) {
    putCommon(o, *c, with_status);
    o["AlarmRule"] = c->rule;
    return o;
  }
  const auto& a = std::get<MetricAlarm>(alarm);
  putCommon(o, a, with_status);
  if (const auto* stat = std::get_if<MetricStat>(&a.metric)) {
    o["MetricName"] = stat->metric;
    o["Dimensions"] = dimensionsJson(stat->dimensions);
    o["Statistic"] = stat->stat.name();
  } else {
    const auto& math = std::get<MetricMath>(a.metric);
    json::array queries;
    for (const MetricDataQuery& q : math.queries) {
      json::object jq{{"Id", q.id}, {"ReturnData", q.id == math.result_id}};
      if (!q.label.empty()) jq["Label"] = q.label;
      if (q.metric_stat) {
        jq["MetricStat"] = json::object{
            {"Metric", json::object{{"MetricName", q.metric_stat->metric},
                                    {"Dimensions", dimensionsJson(q.metric_stat->dimensions)}}},
            {"Period", a.period.count()},
            {"Stat", q.metric_stat->stat.name()}};
      } else {
        jq["Expression"] = q.expression;
      }
      queries.push_back(std::move(jq));
    }
    o["Metrics"] = std::move(queries);
  }
  o["Period"] = a.period.count();
  o["EvaluationPeriods"] = a.evaluation_periods;
  o["DatapointsToAlarm"] = a.datapoints_to_alarm;
  o["Threshold"] = jsonNumber(a.threshold);
  o["ComparisonOperator"] = comparisonName(a.comparison);
  o["TreatMissingData"] = treatMissingDataName(a.treat_missing_data);
  return o;
}

Result<Alarm> alarmFromJson(const boost::json::value& v) {
  if (!v.is_object()) return makeError("alarm: must be a JSON object");
  const json::object& o = v.as_object();
  Reader r(o);
  if (o.contains("AlarmRule")) {
    CompositeAlarm c;
    if (Status st = readCommon(r, c); !st) return makeError(st.error());
    COSTGATE_TRY(rule, r.string("AlarmRule", true));
    c.rule = std::move(rule);
    if (Status st = validate(c); !st) return makeError(st.error());
    return Alarm(std::move(c));
  }
  MetricAlarm a;
  if (Status st = readCommon(r, a); !st) return makeError(st.error());
  COSTGATE_TRY(metrics_list, r.array("Metrics"));
  COSTGATE_TRY(period, r.integer("Period", metrics_list == nullptr));
  if (metrics_list == nullptr) {
    COSTGATE_TRY(stat_name, r.string("Statistic", false, "Sum"));
    COSTGATE_TRY(ms, metricStatFrom(r, o, stat_name));
    a.metric = std::move(ms);
  } else {
    MetricMath math;
    for (const json::value& qv : *metrics_list) {
      if (!qv.is_object()) return makeError("alarm: each of \"Metrics\" must be an object");
      Reader q(qv.as_object(), "alarm Metrics entry");
      MetricDataQuery query;
      COSTGATE_TRY(id, q.string("Id", true));
      query.id = std::move(id);
      COSTGATE_TRY(label, q.string("Label", false));
      query.label = std::move(label);
      COSTGATE_TRY(expression, q.string("Expression", false));
      query.expression = std::move(expression);
      if (const json::value* stat = qv.as_object().if_contains("MetricStat")) {
        if (!stat->is_object()) return makeError("alarm: \"MetricStat\" must be an object");
        Reader s(stat->as_object(), "alarm MetricStat");
        COSTGATE_TRY(stat_name, s.string("Stat", true));
        const json::value* metric = stat->as_object().if_contains("Metric");
        if (metric == nullptr || !metric->is_object()) {
          return makeError("alarm: \"MetricStat\" needs a \"Metric\" object");
        }
        COSTGATE_TRY(ms, metricStatFrom(s, metric->as_object(), stat_name));
        query.metric_stat = std::move(ms);
        COSTGATE_TRY(stat_period, s.integer("Period", false, 0));
        if (period == 0) period = stat_period;
      }
      COSTGATE_TRY(returned, q.boolean("ReturnData", false));
      if (returned) {
        if (!math.result_id.empty()) {
          return makeError("alarm: exactly one of \"Metrics\" may have \"ReturnData\": true");
        }
        math.result_id = query.id;
      }
      math.queries.push_back(std::move(query));
    }
    if (math.result_id.empty()) {
      return makeError("alarm: one of \"Metrics\" must have \"ReturnData\": true");
    }
    a.metric = std::move(math);
  }
  a.period = std::chrono::seconds(period);
  COSTGATE_TRY(n, r.integer("EvaluationPeriods", true));
  a.evaluation_periods = static_cast<int>(std::clamp<int64_t>(n, -1, 1'000'000));
  COSTGATE_TRY(m, r.integer("DatapointsToAlarm", false, a.evaluation_periods));
  a.datapoints_to_alarm = static_cast<int>(std::clamp<int64_t>(m, -1, 1'000'000));
  COSTGATE_TRY(threshold, r.number("Threshold", true));
  a.threshold = threshold;
  COSTGATE_TRY(cmp_text, r.string("ComparisonOperator", true));
  COSTGATE_TRY(cmp, parseComparison(cmp_text));
  a.comparison = cmp;
  COSTGATE_TRY(treat_text, r.string("TreatMissingData", false, "missing"));
  COSTGATE_TRY(treat, parseTreatMissingData(treat_text));
  a.treat_missing_data = treat;
  if (Status st = validate(a); !st) return makeError(st.error());
  return Alarm(std::move(a));
}

}  // namespace costgate::alarms
