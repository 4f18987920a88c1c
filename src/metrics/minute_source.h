#pragma once
// MinuteSource: batch reads of 1-minute buckets by series id, for a reader that comes back to
// the same series every minute (the alarms' tick: 600,000 series a minute for 100,000
// profiles). It resolves each (metric, filter) to series ids once, follows the series added
// since, and reads many series under one lock instead of one SeriesSource::fetch each.
//
// Ids are never reused and a series, once added, never leaves: the ids matching a filter only
// grow, and the series added since a count c are exactly the ids in [c, seriesCount()).
//
// Thread-safe, like SeriesSource.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "metrics/agg.h"
#include "metrics/series.h"

namespace costgate::metrics {

using SeriesId = uint32_t;  // as in series_registry.h

// One read: the 1-minute buckets of every series in `ids`, merged into
// out[(t - first_s) / 60] for the buckets t in [first_s, first_s + 60 × out.size()).
// `first_s` is a whole minute (seconds since the epoch); `out` is merged into, not cleared.
struct MinuteRead {
  std::span<const SeriesId> ids;
  int64_t first_s = 0;
  std::span<Agg> out;
  // False when the reader needs only each bucket's sum and count (Sum, SampleCount, Average):
  // the buckets' min and max may then be left as they were.
  bool extremes = true;
};

// A bucket's value for every statistic but percentiles, exactly as SeriesSource::fetch gives it
// (`a.count` > 0).
double exactValue(Statistic::Kind kind, const Agg& a);

class MinuteSource {
 public:
  virtual ~MinuteSource() = default;

  // How many series exist: ids [0, seriesCount()) are valid.
  virtual SeriesId seriesCount() const = 0;
  // The ids of the series findSeries(metric, filter) gives (in its order).
  virtual std::vector<SeriesId> matchIds(std::string_view metric,
                                         const std::vector<Dimension>& filter) const = 0;
  // The keys of ids [from, to), to <= seriesCount(), in id order.
  virtual std::vector<SeriesKey> keysOf(SeriesId from, SeriesId to) const = 0;
  // Every read, merged exactly as SeriesSource::fetch merges (the same buckets: memory and
  // sealed segments). An error, reading nothing usable, when a read's range is older than the
  // 1-minute resolution is kept or a segment cannot be read; the caller then uses fetch().
  virtual Status readMinutes(std::span<const MinuteRead> reads) const = 0;
};

}  // namespace costgate::metrics
