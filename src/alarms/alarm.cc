#include "alarms/alarm.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "alarms/composite.h"

namespace costgate::alarms {

namespace {

struct NamedComparison {
  Comparison c;
  std::string_view name;
  std::string_view symbol;
};
constexpr NamedComparison kComparisons[] = {
    {Comparison::kGreaterThanOrEqualToThreshold, "GreaterThanOrEqualToThreshold", ">="},
    {Comparison::kGreaterThanThreshold, "GreaterThanThreshold", ">"},
    {Comparison::kLessThanThreshold, "LessThanThreshold", "<"},
    {Comparison::kLessThanOrEqualToThreshold, "LessThanOrEqualToThreshold", "<="},
};

struct NamedTreatment {
  TreatMissingData t;
  std::string_view name;
};
constexpr NamedTreatment kTreatments[] = {
    {TreatMissingData::kMissing, "missing"},
    {TreatMissingData::kNotBreaching, "notBreaching"},
    {TreatMissingData::kBreaching, "breaching"},
    {TreatMissingData::kIgnore, "ignore"},
};

bool validQueryId(std::string_view id) {
  if (id.empty() || id[0] < 'a' || id[0] > 'z') return false;
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

Status validateStat(const MetricStat& m, std::string_view where) {
  if (m.metric.empty()) return makeError(fmt::format("{}: the metric name is empty", where));
  std::set<std::string> seen;
  for (const metrics::Dimension& d : m.dimensions) {
    if (d.name.empty()) return makeError(fmt::format("{}: a dimension name is empty", where));
    if (!seen.insert(d.name).second) {
      return makeError(fmt::format("{}: dimension \"{}\" appears twice", where, d.name));
    }
  }
  return {};
}

}  // namespace

std::string_view stateName(AlarmState s) {
  switch (s) {
    case AlarmState::kOk:
      return "OK";
    case AlarmState::kAlarm:
      return "ALARM";
    case AlarmState::kInsufficientData:
      return "INSUFFICIENT_DATA";
  }
  return "INSUFFICIENT_DATA";
}

Result<AlarmState> parseState(std::string_view text) {
  for (AlarmState s : {AlarmState::kOk, AlarmState::kAlarm, AlarmState::kInsufficientData})
    if (text == stateName(s)) return s;
  return makeError(
      fmt::format("unknown alarm state \"{}\" (expected OK, ALARM or INSUFFICIENT_DATA)", text));
}

std::string_view comparisonName(Comparison c) {
  for (const NamedComparison& n : kComparisons)
    if (n.c == c) return n.name;
  return "";
}

std::string_view comparisonSymbol(Comparison c) {
  for (const NamedComparison& n : kComparisons)
    if (n.c == c) return n.symbol;
  return "";
}

Result<Comparison> parseComparison(std::string_view text) {
  for (const NamedComparison& n : kComparisons)
    if (text == n.name || text == n.symbol) return n.c;
  return makeError(fmt::format(
      "unknown comparison \"{}\" (expected GreaterThanOrEqualToThreshold, GreaterThanThreshold, "
      "LessThanThreshold, LessThanOrEqualToThreshold, >=, >, < or <=)",
      text));
}

std::string_view treatMissingDataName(TreatMissingData t) {
  for (const NamedTreatment& n : kTreatments)
    if (n.t == t) return n.name;
  return "missing";
}

Result<TreatMissingData> parseTreatMissingData(std::string_view text) {
  for (const NamedTreatment& n : kTreatments)
    if (text == n.name) return n.t;
  return makeError(fmt::format(
      "unknown treat_missing_data \"{}\" (expected missing, notBreaching, breaching or ignore)",
      text));
}

std::string actionTargetName(const ActionTarget& t) {
  struct Visitor {
    std::string operator()(const TopicAction& a) const { return "topic:" + a.topic; }
  };
  return std::visit(Visitor{}, t);
}

const std::vector<ActionTarget>& AlarmActions::forState(AlarmState s) const {
  switch (s) {
    case AlarmState::kOk:
      return on_ok;
    case AlarmState::kAlarm:
      return on_alarm;
    case AlarmState::kInsufficientData:
      return on_insufficient_data;
  }
  return on_insufficient_data;
}

const std::string& alarmName(const Alarm& a) {
  return std::visit([](const auto& x) -> const std::string& { return x.name; }, a);
}
const AlarmStatus& alarmStatus(const Alarm& a) {
  return std::visit([](const auto& x) -> const AlarmStatus& { return x.status; }, a);
}
AlarmStatus& alarmStatus(Alarm& a) {
  return std::visit([](auto& x) -> AlarmStatus& { return x.status; }, a);
}
const AlarmActions& alarmActions(const Alarm& a) {
  return std::visit([](const auto& x) -> const AlarmActions& { return x.actions; }, a);
}

AlarmActions& alarmActions(Alarm& a) {
  return std::visit([](auto& x) -> AlarmActions& { return x.actions; }, a);
}
const std::vector<AlarmTag>& alarmTags(const Alarm& a) {
  return std::visit([](const auto& x) -> const std::vector<AlarmTag>& { return x.tags; }, a);
}

Status validateAlarmName(std::string_view name) {
  if (name.empty() || name.size() > 255) {
    return makeError(fmt::format("alarm name must have 1 to 255 characters (has {})", name.size()));
  }
  for (char c : name) {
    if (c < 0x20 || c > 0x7e) {
      return makeError(fmt::format("alarm name \"{}\" must be printable ASCII", name));
    }
  }
  return {};
}

Status validate(const MetricAlarm& a) {
  if (Status st = validateAlarmName(a.name); !st) return st;
  auto fail = [&](std::string_view what) {
    return makeError(fmt::format("alarm \"{}\": {}", a.name, what));
  };
  const auto secs = a.period.count();
  if (secs <= 0 || secs % 60 != 0) {
    return fail(fmt::format("period must be a positive multiple of 60 seconds (is {})", secs));
  }
  if (a.evaluation_periods < 1) return fail("evaluation_periods must be at least 1");
  if (a.datapoints_to_alarm < 1 || a.datapoints_to_alarm > a.evaluation_periods) {
    return fail(fmt::format("datapoints_to_alarm must be between 1 and evaluation_periods ({})",
                            a.evaluation_periods));
  }
  if (secs * a.evaluation_periods > 86'400) {
    return fail("evaluation_periods × period must not exceed one day (86400 seconds)");
  }
  if (!std::isfinite(a.threshold)) return fail("threshold must be a finite number");

  if (const auto* stat = std::get_if<MetricStat>(&a.metric)) {
    return validateStat(*stat, fmt::format("alarm \"{}\"", a.name));
  }
  const auto& math = std::get<MetricMath>(a.metric);
  if (math.queries.empty()) return fail("the metric query list is empty");
  std::set<std::string> ids;
  bool result_found = false;
  for (const MetricDataQuery& q : math.queries) {
    if (!validQueryId(q.id)) {
      return fail(
          fmt::format("query id \"{}\" must start with a lowercase letter and hold only "
                      "letters, digits and _",
                      q.id));
    }
    if (!ids.insert(q.id).second) return fail(fmt::format("query id \"{}\" appears twice", q.id));
    if (q.metric_stat.has_value() == !q.expression.empty()) {
      return fail(
          fmt::format("query \"{}\" must have exactly one of a metric and an expression", q.id));
    }
    if (q.metric_stat) {
      if (Status st =
              validateStat(*q.metric_stat, fmt::format("alarm \"{}\" query \"{}\"", a.name, q.id));
          !st) {
        return st;
      }
    }
    if (q.id == math.result_id) result_found = true;
  }
  if (!result_found) {
    return fail(fmt::format("result id \"{}\" is not one of the queries", math.result_id));
  }
  return {};
}

Status validate(const CompositeAlarm& a) {
  if (Status st = validateAlarmName(a.name); !st) return st;
  Result<AlarmRule> rule = AlarmRule::parse(a.rule);
  if (!rule) return makeError(fmt::format("alarm \"{}\": {}", a.name, rule.error()));
  return {};
}

}  // namespace costgate::alarms
