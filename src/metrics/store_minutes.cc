// Store: batch reads of 1-minute buckets by series id (MinuteSource), for the alarms' tick.

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "metrics/store.h"

namespace costgate::metrics {

double exactValue(Statistic::Kind kind, const Agg& a) {
  switch (kind) {
    case Statistic::Kind::kSum:
      return toDouble(a.sum);
    case Statistic::Kind::kSampleCount:
      return static_cast<double>(a.count);
    case Statistic::Kind::kAverage:
      return toDouble(a.sum / static_cast<Fixed>(a.count));
    case Statistic::Kind::kMinimum:
      return toDouble(a.min);
    case Statistic::Kind::kMaximum:
      return toDouble(a.max);
    case Statistic::Kind::kPercentile:
      break;
  }
  return 0;
}

bool Store::fromRecent(const HeadSeries& hs, const MinuteRead& r, int64_t sealed_until) {
  return !r.extremes && r.first_s >= sealed_until && hs.recentHolds(r.first_s / 60);
}

SeriesId Store::seriesCount() const { return static_cast<SeriesId>(registry_.size()); }

std::vector<SeriesId> Store::matchIds(std::string_view metric,
                                      const std::vector<Dimension>& filter) const {
  return registry_.match(metric, filter);
}

std::vector<SeriesKey> Store::keysOf(SeriesId from, SeriesId to) const {
  return registry_.keys(from, to);
}

Status Store::readMinutes(std::span<const MinuteRead> reads) const {
  if (reads.empty()) return {};
  int64_t first = reads.front().first_s;
  int64_t end = first;
  for (const MinuteRead& r : reads) {
    first = std::min(first, r.first_s);
    end = std::max(end, r.first_s + 60 * static_cast<int64_t>(r.out.size()));
  }
  // fetch() reads 1-minute buckets only for ranges within retention_1m (resolutionFor).
  if (resolutionFor(first, secondsOf(clock_.now())) != 60)
    return makeError(fmt::format("minutes from {} are no longer kept at 1-minute resolution",
                                 formatIso8601(TimePoint(std::chrono::seconds(first)))));
  std::vector<SegmentPtr> segs;
  {
    std::shared_lock view(view_mu_);
    for (const SegmentPtr& seg : segments_) {
      const SegmentHeader& h = seg->header();
      if (h.resolution_s == 60 && h.end_s > first && h.start_s < end) segs.push_back(seg);
    }
    // The head under the same view lock as fetch(), so a seal cannot move data past the read;
    // every shard at once (lock order: view, then shards in index order, as checkpoint()).
    std::array<std::unique_lock<std::mutex>, kShards> held;
    for (size_t s = 0; s < kShards; ++s) held[s] = std::unique_lock(shards_[s].mu);
    // Each series costs two dependent cache misses (its HeadSeries, then its last cells), so
    // the reads are pipelined: the HeadSeries kAhead reads on is prefetched, and the cells of
    // the one kAhead / 2 on, whose HeadSeries has arrived by then.
    struct One {
      SeriesId id;
      const MinuteRead* read;
    };
    std::vector<One> all;
    all.reserve(reads.size() * 2);
    for (const MinuteRead& r : reads)
      for (SeriesId id : r.ids) all.push_back({id, &r});
    auto head = [this](SeriesId id) -> const HeadSeries* {
      const Shard& shard = shards_[id & (kShards - 1)];
      const size_t local = id >> kShardBits;
      return local < shard.series.size() ? &shard.series[local] : nullptr;
    };
    constexpr size_t kAhead = 32;
    const int64_t sealed_until = sealed_until_;
    uint64_t recent_reads = 0;
    for (size_t i = 0; i < all.size(); ++i) {
      if (i + kAhead < all.size()) {
        if (const HeadSeries* hs = head(all[i + kAhead].id)) {
          const auto* p = reinterpret_cast<const char*>(hs);
          for (size_t line = 0; line < sizeof(HeadSeries); line += 64) __builtin_prefetch(p + line);
        }
      }
      if (i + kAhead / 2 < all.size()) {
        const One& soon = all[i + kAhead / 2];
        if (const HeadSeries* hs = head(soon.id);
            hs != nullptr && !hs->data.cells.empty() && !fromRecent(*hs, *soon.read, sealed_until)) {
          const std::vector<Cell>& cells = hs->data.cells;
          const size_t n = std::min(cells.size(), soon.read->out.size());
          for (size_t k = 1; k <= n; ++k) __builtin_prefetch(&cells[cells.size() - k]);
        }
      }
      const One& one = all[i];
      const HeadSeries* hs = head(one.id);
      if (hs == nullptr) continue;
      const MinuteRead& r = *one.read;
      if (fromRecent(*hs, r, sealed_until)) {
        // The minutes of the read up to the series' last; those after it are empty.
        const int64_t first = r.first_s / 60;
        const int64_t last = std::min(hs->recent_last, first + static_cast<int64_t>(r.out.size()) - 1);
        for (int64_t m = first; m <= last; ++m) {
          const RecentMinute& slot = hs->recent[recentSlot(m)];
          if (slot.count == 0) continue;
          Agg& out = r.out[static_cast<size_t>(m - first)];
          out.sum += slot.sum;
          out.count += slot.count;
        }
        ++recent_reads;
        continue;
      }
      const int64_t r_end = r.first_s + 60 * static_cast<int64_t>(r.out.size());
      const std::vector<Cell>& cells = hs->data.cells;
      if (cells.empty() || cells.back().t < r.first_s) continue;
      // Buckets are whole minutes, each once, ascending: the first at or after first_s is no
      // further back than the minutes between it and the last one (exactly there when no
      // minute is missing), so no cell before the range is read.
      const auto back = static_cast<size_t>((cells.back().t - r.first_s) / 60);
      auto it = cells.end() - 1 - static_cast<ptrdiff_t>(std::min(back, cells.size() - 1));
      while (it->t < r.first_s) ++it;
      for (; it != cells.end() && it->t < r_end; ++it)
        r.out[static_cast<size_t>((it->t - r.first_s) / 60)].merge(it->agg);
    }
    recent_reads_.fetch_add(recent_reads, std::memory_order_relaxed);
  }
  for (const SegmentPtr& seg : segs) {
    const SegmentHeader& h = seg->header();
    for (const MinuteRead& r : reads) {
      const int64_t r_end = r.first_s + 60 * static_cast<int64_t>(r.out.size());
      if (h.end_s <= r.first_s || h.start_s >= r_end) continue;
      for (SeriesId id : r.ids) {
        Status st = seg->read(id, r.first_s, r_end, [&](const Cell& c, const Sketch*) {
          r.out[static_cast<size_t>((c.t - r.first_s) / 60)].merge(c.agg);
        });
        if (!st) return st;
      }
    }
  }
  return {};
}

}  // namespace costgate::metrics
