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
//    range's periods. datapoints() keeps nothing per alarm;
//  - every other expression (SEARCH, SUM, arrays) goes through metrics::evaluateQuery over a view
//    of the source shifted by the window offset.
// Both follow query_eval.h's semantics: a period missing in either operand is missing in the
// result, a non-finite value is missing, FILL fills the periods of the range.
//
// Batch reads (readBatch, what AlarmSet::tick uses), when the source offers a MinuteSource (the
// metric store does): bind() resolves each MetricStat of an alarm to its series ids once and
// compiles its expression once; each tick then reads the minutes of a batch of alarms in one
// MinuteSource::readMinutes (one lock for the batch, no strings, no per-alarm allocation once
// warm) and folds them into the alarm's windows exactly as fetch() and the re-bucketing above
// would, so both forms give the same datapoints. A series added later that matches a bound
// filter is found through the ids added since (MinuteSource::keysOf), without matching every
// alarm again. Percentiles, expressions off the fast path and sources without a MinuteSource go
// through datapoints().
//
// Thread-compatible: one thread at a time (the alarm service's tick).

#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "alarms/evaluation.h"
#include "metrics/minute_source.h"
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
  std::unique_ptr<Binding> bind(const MetricAlarm& alarm) override;
  void readBatch(std::span<const BatchRead> reads) override;

  // How many distinct MetricMath shapes have a compiled plan (the fast path's cache).
  size_t plans() const { return plans_.size(); }
  // Bound filters matched against the whole source again (not just the series added since).
  uint64_t fullMatches() const { return full_matches_; }

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
  struct Bound;  // metric_alarm_batch.cc

  const Plan& planFor(const MetricMath& math);
  Result<metrics::Datapoints> viaQuery(const MetricAlarm& alarm, const MetricMath& math,
                                       TimePoint from, TimePoint to);
  // Runs `plan` over loaded_ (every query it loads, n windows each) into `out`.
  Status runPlan(const MetricMath& math, const Plan& plan, TimePoint from, size_t n,
                 std::chrono::milliseconds period, metrics::Datapoints& out);
  Status loadDense(const MetricAlarm& alarm, const MetricStat& stat, TimePoint from, TimePoint to,
                   std::vector<double>& out);
  // metric_alarm_batch.cc
  void noteNewSeries(const metrics::MinuteSource& minutes);
  void refresh(Bound& b, const MetricAlarm& alarm, const metrics::MinuteSource& minutes);
  void computeBatched(const BatchRead& r, const Bound& b, std::span<const metrics::Agg> minutes);

  const metrics::SeriesSource& source_;
  std::unordered_map<std::string, Plan> plans_;  // nodes stay put: Bound points at them
  std::string key_;                              // scratch: the shape of the alarm at hand
  struct Slot {
    bool scalar = false;
    double value = 0;
    std::vector<double> series;
  };
  std::vector<Slot> stack_;
  std::vector<std::vector<double>> loaded_;  // per query index: its windows (NaN: missing)
  std::vector<metrics::Dimension> sorted_;

  // The series added since the bound ids were matched: keys of ids [fresh_begin_, fresh_end_),
  // indexed by a hash of (metric) and of (metric, dimension).
  metrics::SeriesId fresh_begin_ = 0;
  metrics::SeriesId fresh_end_ = 0;
  std::vector<metrics::SeriesKey> fresh_keys_;
  std::unordered_multimap<size_t, metrics::SeriesId> fresh_index_;
  uint64_t full_matches_ = 0;
  // readBatch's scratch.
  std::vector<metrics::Agg> minutes_;
  std::vector<metrics::MinuteRead> minute_reads_;
  std::vector<size_t> read_offsets_;  // per read: its first minute in minutes_, or npos
  std::vector<BatchRead> fallback_;
};

}  // namespace costgate::alarms
