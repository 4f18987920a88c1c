#pragma once
// The alarm model, with CloudWatch's vocabulary and semantics: a metric alarm watches one metric
// or a metric-math expression (GetMetricData-style queries), compares each period's value with a
// threshold and is OK, ALARM or INSUFFICIENT_DATA; a composite alarm is a rule over other alarms'
// states. Plain values: no I/O here. Evaluation lives in evaluation.h (one alarm's datapoints)
// and alarm_set.h (every alarm, each tick).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "metrics/series.h"

namespace costgate::alarms {

enum class AlarmState { kOk, kAlarm, kInsufficientData };
std::string_view stateName(AlarmState s);  // "OK", "ALARM", "INSUFFICIENT_DATA"
// Accepts exactly the names stateName gives; anything else is an error naming the text.
Result<AlarmState> parseState(std::string_view text);

// CloudWatch's comparison operators. parseComparison takes the CloudWatch names
// (GreaterThanOrEqualToThreshold…) and the symbols ">=", ">", "<", "<=".
enum class Comparison {
  kGreaterThanOrEqualToThreshold,
  kGreaterThanThreshold,
  kLessThanThreshold,
  kLessThanOrEqualToThreshold,
};
std::string_view comparisonName(Comparison c);    // "GreaterThanOrEqualToThreshold"…
std::string_view comparisonSymbol(Comparison c);  // ">="…
Result<Comparison> parseComparison(std::string_view text);
// True when `value` breaches `threshold` under `c` (compared as doubles, exactly).
inline bool breaches(Comparison c, double value, double threshold) {
  switch (c) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return value >= threshold;
    case Comparison::kGreaterThanThreshold:
      return value > threshold;
    case Comparison::kLessThanThreshold:
      return value < threshold;
    case Comparison::kLessThanOrEqualToThreshold:
      return value <= threshold;
  }
  return false;
}

// How periods without a datapoint count (CloudWatch's TreatMissingData; default missing).
enum class TreatMissingData { kMissing, kNotBreaching, kBreaching, kIgnore };
std::string_view treatMissingDataName(TreatMissingData t);  // "missing", "notBreaching"…
Result<TreatMissingData> parseTreatMissingData(std::string_view text);

// --- actions ---

// Publish the transition to a notification topic (notify/ owns topics and delivery).
struct TopicAction {
  std::string topic;
  friend bool operator==(const TopicAction&, const TopicAction&) = default;
};

// Where an alarm's action goes. The evaluator copies targets into ActionRequests without looking
// inside, so a new kind (throttling a profile, say) is one more alternative here, its JSON form
// in alarm_json.cc and a case in whatever dispatches the requests: the evaluator is unchanged.
using ActionTarget = std::variant<TopicAction>;
std::string actionTargetName(const ActionTarget& t);  // "topic:BedrockInvocationAlarms"

struct AlarmActions {
  // False: transitions still happen and are recorded, but no ActionRequest is made.
  bool enabled = true;
  std::vector<ActionTarget> on_alarm;              // entering ALARM (CloudWatch AlarmActions)
  std::vector<ActionTarget> on_ok;                 // entering OK (OKActions)
  std::vector<ActionTarget> on_insufficient_data;  // entering INSUFFICIENT_DATA
  const std::vector<ActionTarget>& forState(AlarmState s) const;
  friend bool operator==(const AlarmActions&, const AlarmActions&) = default;
};

// --- what a metric alarm watches ---

// One metric: its name, the dimensions a series must carry, and the statistic.
struct MetricStat {
  std::string metric;
  std::vector<metrics::Dimension> dimensions;
  metrics::Statistic stat;
  friend bool operator==(const MetricStat&, const MetricStat&) = default;
};

// One entry of a GetMetricData-style query list: either a metric (`metric_stat`) or a math
// `expression` over the other entries' ids ("FILL(m1, 0) + FILL(m2, 0)"). Exactly one is set.
struct MetricDataQuery {
  std::string id;  // [a-z][A-Za-z0-9_]*, unique in the list
  std::optional<MetricStat> metric_stat;
  std::string expression;
  std::string label;
  friend bool operator==(const MetricDataQuery&, const MetricDataQuery&) = default;
};

// Metric math: the queries and the id whose result the alarm compares (CloudWatch's one query
// with ReturnData true).
struct MetricMath {
  std::vector<MetricDataQuery> queries;
  std::string result_id;
  friend bool operator==(const MetricMath&, const MetricMath&) = default;
};

// Opaque to the evaluator: only AlarmData (evaluation.h) reads it.
using MetricSpec = std::variant<MetricStat, MetricMath>;

// --- state ---

struct AlarmStatus {
  AlarmState state = AlarmState::kInsufficientData;  // every new alarm starts here
  std::string reason = "Unchecked: Initial alarm creation";
  std::string reason_data;  // JSON text ("" when there is none)
  TimePoint updated{};      // when `state` last changed (an evaluation or set-state)
  friend bool operator==(const AlarmStatus&, const AlarmStatus&) = default;
};

// --- the two kinds of alarm ---

// A label carried by an alarm and copied into its ActionRequests (the seed's alarms carry
// InferenceProfile = the profile's name), so a notification can say what the alarm is about.
struct AlarmTag {
  std::string key;
  std::string value;
  friend bool operator==(const AlarmTag&, const AlarmTag&) = default;
};

struct MetricAlarm {
  std::string name;
  std::string description;
  MetricSpec metric;
  std::chrono::seconds period{60};  // a positive multiple of 60 s
  int evaluation_periods = 1;       // N
  int datapoints_to_alarm = 1;      // M, 1 <= M <= N
  Comparison comparison = Comparison::kGreaterThanOrEqualToThreshold;
  double threshold = 0;
  TreatMissingData treat_missing_data = TreatMissingData::kMissing;
  AlarmActions actions;
  std::vector<AlarmTag> tags;
  AlarmStatus status;
  TimePoint configuration_updated{};
  friend bool operator==(const MetricAlarm&, const MetricAlarm&) = default;
};

struct CompositeAlarm {
  std::string name;
  std::string description;
  std::string rule;  // ALARM("a") AND NOT OK("b"); see composite.h
  AlarmActions actions;
  std::vector<AlarmTag> tags;
  AlarmStatus status;
  TimePoint configuration_updated{};
  friend bool operator==(const CompositeAlarm&, const CompositeAlarm&) = default;
};

using Alarm = std::variant<MetricAlarm, CompositeAlarm>;
const std::string& alarmName(const Alarm& a);
const AlarmStatus& alarmStatus(const Alarm& a);
AlarmStatus& alarmStatus(Alarm& a);
const AlarmActions& alarmActions(const Alarm& a);
AlarmActions& alarmActions(Alarm& a);
const std::vector<AlarmTag>& alarmTags(const Alarm& a);

// Names: 1 to 255 printable ASCII characters (CloudWatch: "ASCII characters only").
Status validateAlarmName(std::string_view name);
// Everything CloudWatch's PutMetricAlarm checks that does not need other alarms: name, period
// (a positive multiple of 60 s; N × period at most one day), 1 <= M <= N, a finite threshold,
// a metric spec whose ids are unique and whose result id exists. The error names the field.
Status validate(const MetricAlarm& a);
// The name and that the rule parses (other alarms are checked by AlarmSet: composite.h).
Status validate(const CompositeAlarm& a);

}  // namespace costgate::alarms
