#pragma once
// MetricAlarmData: AlarmData over a SeriesSource (the metric store in serve) and the metric query
// language, so an alarm computes exactly what POST /api/v1/metrics/query computes for the same
// queries over the same periods.
//
// Periods start at `from` (a whole minute), not at multiples of the period: a 5-minute alarm
// evaluated every minute reads windows that slide by a minute. When `from` is not a multiple of
// the period, each MetricStat is read per minute and re-bucketed into the alarm's windows:
// exactly for Sum, SampleCount, Minimum, Maximum and Average (from Sum and SampleCount); a
// percentile cannot be re-bucketed from minutes and is then an error naming the alarm's period.
//
// Two ways to compute a MetricMath:
//  - the fast path, for expressions made of query ids, numbers, + - * /, unary minus and
//    FILL(id, number | REPEAT): a small stack program per distinct query shape (ids and
//    expression texts; the seed's 300,000 alarms share one), run over dense arrays of the
//    range's periods. Nothing is kept per alarm;
//  - every other expression (SEARCH, SUM, arrays) goes through metrics::evaluateQuery over a view
//    of the source shifted by the window offset.
// Both follow query_eval.h's semantics: a period missing in either operand is missing in the
// result, a non-finite value is missing, FILL fills the periods of the range.
//
// Thread-compatible: one thread at a time (the alarm service's tick).

#include <string>
#include <unordered_map>
#include <vector>

#include "alarms/evaluation.h"
#include "metrics/series.h"

namespace costgate::alarms {

// `stat` of `metric` over the series matching `filter`, per `period`, for the windows that start
// at from + k × period inside [from, to); `from` a whole minute. Ascending, absent when empty.
Result<metrics::Datapoints> fetchWindows(const metrics::SeriesSource& source,
                                         std::string_view metric,
                                         const std::vector<metrics::Dimension>& filter,
                                         TimePoint from, TimePoint to, std::chrono::seconds period,
                                         const metrics::Statistic& stat);

class MetricAlarmData final : public AlarmData {
 public:
  // `source` must outlive this object.
  explicit MetricAlarmData(const metrics::SeriesSource& source) : source_(source) {}

  // alarms::AlarmData
  Result<metrics::Datapoints> datapoints(const MetricAlarm& alarm, TimePoint from,
                                         TimePoint to) override;

  // How many distinct MetricMath shapes have a compiled plan (the fast path's cache).
  size_t plans() const { return plans_.size(); }

  struct Op {
    enum class Code { kLoad, kConst, kAdd, kSub, kMul, kDiv, kNeg, kFill, kFillRepeat };
    Code code = Code::kConst;
    int index = 0;     // kLoad: the query's index in MetricMath::queries
    double value = 0;  // kConst, kFill
  };
  struct Plan {
    bool fast = false;
    std::vector<Op> code;  // postfix
    std::string error;     // a shape the fast path refuses for good reason (e.g. a cycle)
  };

 private:
  Result<metrics::Datapoints> viaQuery(const MetricAlarm& alarm, const MetricMath& math,
                                       TimePoint from, TimePoint to);
  Result<metrics::Datapoints> runPlan(const MetricAlarm& alarm, const MetricMath& math,
                                      const Plan& plan, TimePoint from, TimePoint to);
  Status loadDense(const MetricAlarm& alarm, const MetricStat& stat, TimePoint from, TimePoint to,
                   std::vector<double>& out);

  const metrics::SeriesSource& source_;
  std::unordered_map<std::string, Plan> plans_;
  std::string key_;  // scratch: the shape of the alarm at hand
  struct Slot {
    bool scalar = false;
    double value = 0;
    std::vector<double> series;
  };
  std::vector<Slot> stack_;
  std::vector<metrics::Dimension> sorted_;
};

}  // namespace costgate::alarms
