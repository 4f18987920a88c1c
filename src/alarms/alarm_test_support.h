#pragma once
// Test support: alarms over a fake metric, and AlarmData that serves datapoints from memory.

#include <map>
#include <string>
#include <string_view>

#include "alarms/evaluation.h"

namespace costgate::alarms::testing {

inline TimePoint at(std::string_view iso) {
  TimePoint t{};
  parseIso8601(iso, t);
  return t;
}

// "Errors" Sum >= 5 per `period`, N of M, as in CloudWatch's tables.
inline MetricAlarm thresholdAlarm(std::string name, int n, int m, TreatMissingData t,
                                  std::chrono::seconds period = std::chrono::seconds(60)) {
  MetricAlarm a;
  a.name = std::move(name);
  a.metric = MetricStat{.metric = "Errors", .dimensions = {}, .stat = {}};
  a.period = period;
  a.evaluation_periods = n;
  a.datapoints_to_alarm = m;
  a.comparison = Comparison::kGreaterThanOrEqualToThreshold;
  a.threshold = 5;
  a.treat_missing_data = t;
  return a;
}

// Datapoints per alarm name, served for the asked range only; an alarm listed in `failing`
// gets an error.
class FakeAlarmData final : public AlarmData {
 public:
  std::map<std::string, metrics::Datapoints> points;
  std::map<std::string, std::string> failing;
  int calls = 0;
  TimePoint last_from{}, last_to{};

  // alarms::AlarmData
  Result<metrics::Datapoints> datapoints(const MetricAlarm& a, TimePoint from,
                                         TimePoint to) override {
    ++calls;
    last_from = from;
    last_to = to;
    if (auto f = failing.find(a.name); f != failing.end()) return makeError(f->second);
    metrics::Datapoints out;
    auto it = points.find(a.name);
    if (it == points.end()) return out;
    for (const metrics::Datapoint& p : it->second)
      if (p.timestamp >= from && p.timestamp < to) out.push_back(p);
    return out;
  }

  // CloudWatch's table notation, oldest first: "X" breaching (10), "0" not breaching (0),
  // "-" missing, one per period of `a`'s evaluation range at `now`.
  void setPattern(const MetricAlarm& a, TimePoint now, std::string_view pattern,
                  const EvaluationOptions& options = {}) {
    const EvaluationRange r = evaluationRange(a, now, options);
    metrics::Datapoints& out = points[a.name];
    out.clear();
    int slot = 0;
    for (char c : pattern) {
      if (c == ' ') continue;
      TimePoint t = r.from + std::chrono::milliseconds(a.period) * slot++;
      if (c == 'X') out.push_back({t, 10});
      if (c == '0') out.push_back({t, 0});
    }
  }
};

}  // namespace costgate::alarms::testing
