// Store: queries (SeriesSource::fetch) over the head and the segments.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "metrics/store.h"

namespace costgate::metrics {

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kMaxPeriods = 1'000'000;

double valueOf(const Statistic& stat, const Agg& a, const Sketch* sketch) {
  if (stat.kind == Statistic::Kind::kPercentile)  // the sketch's answer, within the exact extremes
    return std::clamp(sketch->quantile(stat.percentile / 100), toDouble(a.min), toDouble(a.max));
  return exactValue(stat.kind, a);
}

}  // namespace

int64_t Store::resolutionFor(int64_t from_s, int64_t now_s) const {
  if (from_s >= now_s - options_.retention_1m.count()) return 60;
  if (from_s >= now_s - options_.retention_5m.count()) return 300;
  return 3600;
}

Result<Datapoints> Store::fetch(std::string_view metric, const std::vector<Dimension>& filter,
                                TimePoint from, TimePoint to, std::chrono::seconds period,
                                const Statistic& stat) const {
  const int64_t p = period.count();
  if (p <= 0 || p % 60 != 0)
    return makeError(fmt::format("period {} s is not a positive multiple of 60 s", p));
  const bool percentile = stat.kind == Statistic::Kind::kPercentile;
  if (percentile && !options_.sketch_metrics.contains(metric))
    return makeError(fmt::format("percentiles are kept only for {}, not {}",
                                 fmt::join(options_.sketch_metrics, ", "), metric));
  const int64_t from_s = secondsOf(from) + (from.time_since_epoch().count() % 1000 > 0 ? 1 : 0);
  const int64_t to_s = secondsOf(to) + (to.time_since_epoch().count() % 1000 > 0 ? 1 : 0);
  const int64_t res = resolutionFor(from_s, secondsOf(clock_.now()));
  if (p % res != 0)
    return makeError(fmt::format(
        "period {} s is finer than the {} s resolution kept for a range starting {} (or not a "
        "multiple of it)",
        p, res, formatIso8601(from)));

  // Periods that start in [from, to): [first, first + n * p).
  const int64_t first = floorTo(from_s + p - 1, p);
  const int64_t n = to_s > first ? (to_s - first + p - 1) / p : 0;
  if (n > kMaxPeriods)
    return makeError(
        fmt::format("{} periods of {} s are more than one query answers ({})", n, p, kMaxPeriods));
  Datapoints out;
  if (n == 0) return out;
  const int64_t end = first + n * p;
  std::vector<Agg> acc(static_cast<size_t>(n));
  std::vector<Sketch> sketches(percentile ? static_cast<size_t>(n) : 0);
  auto visit = [&](const Cell& c, const Sketch* s) {
    const auto i = static_cast<size_t>((c.t - first) / p);
    acc[i].merge(c.agg);
    if (percentile && s) sketches[i].merge(*s);
  };

  const std::vector<SeriesId> ids = registry_.match(metric, filter);
  std::vector<SegmentPtr> segs;
  {
    std::shared_lock lock(view_mu_);
    const std::set<int64_t>* rolled = res == 300    ? &rolled_5m_
                                      : res == 3600 ? &rolled_1h_
                                                    : nullptr;
    auto fromMinutes = [&](int64_t t) {
      return rolled == nullptr || !rolled->contains(floorTo(t, kDay));
    };
    for (const SegmentPtr& seg : segments_) {
      const SegmentHeader& h = seg->header();
      if (h.end_s <= first || h.start_s >= end) continue;
      const bool use = h.resolution_s == 60 ? fromMinutes(h.start_s) : h.resolution_s == res;
      if (use) segs.push_back(seg);
    }
    // The head, read under the same lock so that a seal cannot move data past this query.
    for (SeriesId id : ids) {
      const Shard& shard = shards_[id & (kShards - 1)];
      std::lock_guard shard_lock(shard.mu);
      const size_t local = id >> kShardBits;
      if (local >= shard.series.size()) continue;
      const SeriesData& d = shard.series[local].data;
      auto it = std::lower_bound(d.cells.begin(), d.cells.end(), first,
                                 [](const Cell& c, int64_t x) { return c.t < x; });
      // Always read: a late point of a rolled-up day is in no rollup until it is sealed.
      for (; it != d.cells.end() && it->t < end; ++it) {
        const size_t k = static_cast<size_t>(it - d.cells.begin());
        visit(*it, d.sketches.empty() ? nullptr : &d.sketches[k]);
      }
    }
  }
  for (const SegmentPtr& seg : segs)
    for (SeriesId id : ids) {
      Status st = seg->read(id, first, end, visit);
      if (!st) return Error{st.error()};
    }

  for (int64_t i = 0; i < n; ++i) {
    const Agg& a = acc[static_cast<size_t>(i)];
    if (a.count == 0) continue;
    const Sketch* s = percentile ? &sketches[static_cast<size_t>(i)] : nullptr;
    if (percentile && s->empty()) continue;
    out.push_back(Datapoint{TimePoint(std::chrono::seconds(first + i * p)), valueOf(stat, a, s)});
  }
  return out;
}

}  // namespace costgate::metrics
