#pragma once
// The vocabulary the metric store (store.h) and its queries (query/) share: which series, which
// statistic, and the datapoints a query reads. SeriesSource is the seam between them: queries
// read through it, the store implements it, tests fake it.

#include <chrono>
#include <compare>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace costgate::metrics {

class MinuteSource;  // minute_source.h

// One dimension of a series, e.g. {"InferenceProfile", "customer1_websearch"} or
// {"TenantID", "customer1"}.
struct Dimension {
  std::string name;
  std::string value;
  friend auto operator<=>(const Dimension&, const Dimension&) = default;
};

// A series: a metric name (InputTokens, InputTokensCost, InvocationLatency…) and its dimensions,
// sorted by name with each name once. Every profile has one series per metric whose dimensions
// are InferenceProfile (the profile's name) and the profile's tags among the configured keys.
struct SeriesKey {
  std::string metric;
  std::vector<Dimension> dimensions;
  friend auto operator<=>(const SeriesKey&, const SeriesKey&) = default;
};

// A CloudWatch statistic. Percentiles (p50, p90, p99, any pNN.N) come from a mergeable sketch
// whose relative error the store states; the others are exact.
struct Statistic {
  enum class Kind { kSum, kSampleCount, kAverage, kMinimum, kMaximum, kPercentile };
  Kind kind = Kind::kSum;
  double percentile = 0;  // 0 < p < 100, for kPercentile only

  // "Sum", "SampleCount", "Average", "Minimum", "Maximum", "p50", "p99.9" (CloudWatch's
  // spelling); any other text is an error naming it.
  static Result<Statistic> parse(std::string_view text);
  std::string name() const;  // parse(name()) gives the same statistic back
  friend bool operator==(const Statistic&, const Statistic&) = default;
};

// One period's value; the timestamp is the period's start.
struct Datapoint {
  TimePoint timestamp;
  double value = 0;
  friend bool operator==(const Datapoint&, const Datapoint&) = default;
};
// Ascending by timestamp; only periods that hold samples appear.
using Datapoints = std::vector<Datapoint>;

// What queries read. Implemented by the store; thread-safe.
class SeriesSource {
 public:
  virtual ~SeriesSource() = default;

  // The series of `metric` that carry every dimension in `filter` (name and value exact; the
  // series may have more dimensions). Sorted.
  virtual std::vector<SeriesKey> findSeries(std::string_view metric,
                                            const std::vector<Dimension>& filter) const = 0;

  // `stat` of `metric` over every series findSeries(metric, filter) gives, merged, per `period`
  // (60 s or a multiple; periods aligned to the Unix epoch) for the periods that start in
  // [from, to). Merging is exact (a Sum over two series is the sum of both; an Average is the
  // merged sum over the merged count; percentiles merge sketches). A period that no matching
  // series has samples in is absent, never zero. Reads the finest resolution still kept for
  // the range (1 minute, else 5 minutes, else 1 hour); a period shorter than that resolution
  // is an error naming both.
  virtual Result<Datapoints> fetch(std::string_view metric, const std::vector<Dimension>& filter,
                                   TimePoint from, TimePoint to, std::chrono::seconds period,
                                   const Statistic& stat) const = 0;

  // The same data read in batches by series id (minute_source.h), when this source offers it;
  // nullptr when it does not (readers then use fetch()).
  virtual const MinuteSource* minuteSource() const { return nullptr; }
};

}  // namespace costgate::metrics
