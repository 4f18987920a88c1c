#include "alarms/evaluation.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/json.hpp>
#include <cmath>

#include "alarms/json_number.h"

namespace costgate::alarms {

namespace {

using std::chrono::milliseconds;

// Visits the range's usable datapoints newest first: f(point, age) with age 1 for the newest
// period. Skips points outside the range, NaN values, and points sharing a period with a later one.
template <class F>
void forEachNewestFirst(const MetricAlarm& a, const EvaluationRange& range,
                        std::span<const metrics::Datapoint> points, F&& f) {
  const int64_t period_ms = milliseconds(a.period).count();
  int64_t last_slot = -1;
  for (size_t i = points.size(); i-- > 0;) {
    const metrics::Datapoint& p = points[i];
    if (p.timestamp < range.from || p.timestamp >= range.to || std::isnan(p.value)) continue;
    const int64_t slot = (p.timestamp - range.from).count() / period_ms;
    if (slot == last_slot) continue;
    last_slot = slot;
    f(p, static_cast<int>(range.periods - slot));
  }
}

std::string_view comparisonPhrase(Comparison c) {
  switch (c) {
    case Comparison::kGreaterThanOrEqualToThreshold:
      return "greater than or equal to";
    case Comparison::kGreaterThanThreshold:
      return "greater than";
    case Comparison::kLessThanThreshold:
      return "less than";
    case Comparison::kLessThanOrEqualToThreshold:
      return "less than or equal to";
  }
  return "";
}

std::string plural(int n, std::string_view word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

EvaluationRange evaluationRange(const MetricAlarm& a, TimePoint now,
                                const EvaluationOptions& options) {
  using std::chrono::minutes;
  const TimePoint settled = now - options.settle;
  // The last whole minute: floor towards the past, also before the epoch.
  const auto since = settled.time_since_epoch();
  auto whole = std::chrono::floor<minutes>(since);
  EvaluationRange r;
  r.periods = a.evaluation_periods + options.extra_range_periods;
  r.to = TimePoint(std::chrono::duration_cast<milliseconds>(whole));
  r.from = r.to - milliseconds(a.period) * r.periods;
  return r;
}

Verdict judge(const MetricAlarm& a, const EvaluationRange& range,
              std::span<const metrics::Datapoint> points) {
  const int n = a.evaluation_periods;
  const int m = a.datapoints_to_alarm;
  Verdict v;
  int real_breaching = 0;
  bool all_breach = true;
  int oldest_age = 0;
  forEachNewestFirst(a, range, points, [&](const metrics::Datapoint& p, int age) {
    const bool b = breaches(a.comparison, p.value, a.threshold);
    ++v.real;
    if (v.evaluated_real < n) {
      ++v.evaluated_real;
      if (b) ++v.breaching;
    }
    if (b) {
      ++real_breaching;
    } else {
      all_breach = false;
    }
    oldest_age = age;
  });

  const TreatMissingData t = a.treat_missing_data;
  if (v.real >= n) {
    v.state = v.breaching >= m ? AlarmState::kAlarm : AlarmState::kOk;
    return v;
  }
  v.filled = n - v.real;
  v.breaching = real_breaching + (t == TreatMissingData::kBreaching ? v.filled : 0);
  if (v.real == 0) {
    switch (t) {
      case TreatMissingData::kMissing:
        v.state = AlarmState::kInsufficientData;
        break;
      case TreatMissingData::kIgnore:
        v.state = std::nullopt;
        break;
      case TreatMissingData::kBreaching:
      case TreatMissingData::kNotBreaching:
        v.state = v.breaching >= m ? AlarmState::kAlarm : AlarmState::kOk;
        break;
    }
    return v;
  }
  if (v.breaching >= m) {
    v.state = AlarmState::kAlarm;
    return v;
  }
  const bool keeps_gaps = t == TreatMissingData::kMissing || t == TreatMissingData::kIgnore;
  if (keeps_gaps && all_breach && oldest_age >= m) {
    v.premature = true;
    if (t == TreatMissingData::kMissing) {
      v.state = AlarmState::kAlarm;
    } else {
      v.state = std::nullopt;
    }
    return v;
  }
  v.state = AlarmState::kOk;
  return v;
}

void explain(const MetricAlarm& a, const EvaluationRange& range,
             std::span<const metrics::Datapoint> points, const Verdict& v, TimePoint now,
             std::string& reason, std::string& reason_data) {
  namespace json = boost::json;
  json::array recent;
  json::array evaluated;
  std::string listed;
  int listed_count = 0;
  const int n = a.evaluation_periods;
  forEachNewestFirst(a, range, points, [&](const metrics::Datapoint& p, int) {
    recent.insert(recent.begin(), jsonNumber(p.value));
    if (listed_count >= n) return;
    ++listed_count;
    evaluated.push_back(
        json::object{{"timestamp", formatIso8601(p.timestamp)}, {"value", jsonNumber(p.value)}});
    if (!listed.empty()) listed += ", ";
    listed += fmt::format("{} ({})", p.value, formatIso8601(p.timestamp));
  });

  const std::string_view treat = treatMissingDataName(a.treat_missing_data);
  if (v.real == 0) {
    reason =
        fmt::format("{}: {} in the evaluation range {} unknown",
                    v.state == AlarmState::kInsufficientData ? "Insufficient Data" : "Missing Data",
                    plural(range.periods, "datapoint"), range.periods == 1 ? "was" : "were");
    if (v.state == AlarmState::kInsufficientData) {
      reason += ".";
    } else if (v.state) {
      reason += fmt::format("; treated as {}.", treat);
    } else {
      reason += fmt::format("; treated as {}, so the state is kept.", treat);
    }
  } else {
    reason = fmt::format(
        "Threshold Crossed: {} of the last {} [{}] {} {} the threshold ({}) (minimum {} for "
        "ALARM)",
        v.breaching, plural(n, "datapoint"), listed, v.breaching == 1 ? "was" : "were",
        comparisonPhrase(a.comparison), a.threshold, plural(a.datapoints_to_alarm, "datapoint"));
    if (v.filled > 0) {
      reason += fmt::format("; {} treated as {}", plural(v.filled, "missing datapoint"), treat);
    }
    if (v.premature) {
      reason += fmt::format(
          "; every datapoint in the evaluation range breaches and the oldest is at least {} "
          "old, so the missing ones do not delay the alarm{}",
          plural(a.datapoints_to_alarm, "period"), v.state ? "" : " (ignore: the state is kept)");
    }
    reason += ".";
  }

  json::object data{
      {"version", "1.0"},
      {"queryDate", formatIso8601(now)},
      {"startDate", formatIso8601(range.from)},
      {"endDate", formatIso8601(range.to)},
      {"period", a.period.count()},
      {"evaluationPeriods", n},
      {"datapointsToAlarm", a.datapoints_to_alarm},
      {"comparison", comparisonName(a.comparison)},
      {"threshold", jsonNumber(a.threshold)},
      {"treatMissingData", treat},
      {"recentDatapoints", std::move(recent)},
      {"evaluatedDatapoints", std::move(evaluated)},
      {"filledDatapoints", v.filled},
      {"breachingDatapoints", v.breaching},
      {"premature", v.premature},
  };
  reason_data = json::serialize(data);
}

namespace {
std::atomic<uint64_t> next_instance{1};
}  // namespace

AlarmData::AlarmData() : instance_(next_instance.fetch_add(1, std::memory_order_relaxed)) {}

std::unique_ptr<AlarmData::Binding> AlarmData::bind(const MetricAlarm&) { return nullptr; }

void AlarmData::readBatch(std::span<const BatchRead> reads) {
  for (const BatchRead& r : reads) {
    Result<metrics::Datapoints> points = datapoints(*r.alarm, r.from, r.to);
    if (points) {
      *r.out = std::move(*points);
      r.error->clear();
    } else {
      r.out->clear();
      *r.error = points.error();
    }
  }
}

std::optional<Transition> decide(const MetricAlarm& a, const EvaluationRange& range,
                                 std::span<const metrics::Datapoint> points, TimePoint now) {
  const Verdict v = judge(a, range, points);
  if (!v.state || *v.state == a.status.state) return std::nullopt;
  Transition t{.from = a.status.state, .to = *v.state, .at = now};
  explain(a, range, points, v, now, t.reason, t.reason_data);
  return t;
}

Result<std::optional<Transition>> evaluateMetricAlarm(const MetricAlarm& a, AlarmData& data,
                                                      TimePoint now,
                                                      const EvaluationOptions& options) {
  const EvaluationRange range = evaluationRange(a, now, options);
  Result<metrics::Datapoints> points = data.datapoints(a, range.from, range.to);
  if (!points) return makeError(points.error());
  return decide(a, range, *points, now);
}

}  // namespace costgate::alarms
