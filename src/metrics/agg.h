#pragma once
// Exact per-bucket aggregates. A sample's value is Fixed: a signed 128-bit integer at Money's
// scale (1e-18), so token counts and exact USD costs add up without rounding; doubles appear
// only in query output (toDouble). Thread-compatible value types.

#include <cstdint>
#include <limits>
#include <vector>

#include "common/clock.h"
#include "common/money.h"
#include "metrics/sketch.h"

namespace costgate::metrics {

using Fixed = __int128;
inline constexpr Fixed kFixedOne = Money::kOneDollar;  // 1.0 as a Fixed
inline constexpr Fixed fixedFromInt(int64_t v) { return static_cast<Fixed>(v) * kFixedOne; }
inline constexpr Fixed fixedFromMoney(Money m) { return m.raw(); }
// The largest multiple of `step` (> 0) not above v, for negative v too.
inline constexpr int64_t floorTo(int64_t v, int64_t step) {
  return (v >= 0 ? v / step : (v - step + 1) / step) * step;
}
inline int64_t secondsOf(TimePoint t) { return floorTo(t.time_since_epoch().count(), 1000) / 1000; }

// The nearest double (the integer and fractional parts are converted apart, so integers up to
// 2^53 and their exact decimal fractions come out as a double literal would).
double toDouble(Fixed v);

// Fixed as stored in buckets: 8-byte aligned (x86-64 loads it in two halves at no cost), so a
// Cell takes 64 bytes instead of 80.
typedef __int128 StoredFixed __attribute__((aligned(8)));

// Sum, count, minimum and maximum of the samples of one bucket; mergeable exactly.
struct Agg {
  StoredFixed sum = 0;
  StoredFixed min = std::numeric_limits<Fixed>::max();
  StoredFixed max = std::numeric_limits<Fixed>::min();
  uint64_t count = 0;

  void add(Fixed v) {
    sum += v;
    min = v < min ? v : min;
    max = v > max ? v : max;
    ++count;
  }
  void merge(const Agg& o) {
    sum += o.sum;
    min = o.min < min ? o.min : min;
    max = o.max > max ? o.max : max;
    count += o.count;
  }
  friend bool operator==(const Agg&, const Agg&) = default;
};

// One bucket of one series: its start (seconds since the epoch, a multiple of the resolution)
// and its aggregate.
struct Cell {
  int64_t t = 0;
  Agg agg;
  friend bool operator==(const Cell&, const Cell&) = default;
};
static_assert(sizeof(Cell) == 64);

// The buckets of one series at one resolution, ascending by t, each t once. `sketches` is empty
// for series without percentiles, else parallel to `cells`.
struct SeriesData {
  std::vector<Cell> cells;
  std::vector<Sketch> sketches;
  bool empty() const { return cells.empty(); }
  // Adds one sample (appending when t is past the last bucket, the common case).
  void add(int64_t t, Fixed v, bool with_sketch);
  // Merges `other` (same resolution) in; when either side has sketches the result has them.
  void merge(const SeriesData& other);
  // The buckets re-cut to `resolution` seconds (a multiple of the current one), merged.
  SeriesData rollup(int64_t resolution) const;
  // Moves the buckets with t < `cut` out into the result.
  SeriesData takeBefore(int64_t cut);
  friend bool operator==(const SeriesData&, const SeriesData&) = default;
};

}  // namespace costgate::metrics
