#include "metrics/store.h"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace costgate::metrics {

Store::Store(StoreOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), registry_(options_.max_series) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::open(StoreOptions options, const Clock& clock) {
  std::unique_ptr<Store> store(new Store(std::move(options), clock));
  if (!store->options_.dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(store->options_.dir, ec);
    if (ec)
      return makeError("cannot create the metrics directory " + store->options_.dir + ": " +
                       ec.message());
    Status st = store->load();
    if (!st) return Error{st.error()};
  }
  return store;
}

std::optional<SeriesId> Store::resolve(const SeriesKey& key) { return registry_.intern(key); }

void Store::growShard(Shard& shard, SeriesId id) {
  const size_t local = id >> kShardBits;
  if (local >= shard.series.size()) shard.series.resize(local + 1);
  HeadSeries& hs = shard.series[local];
  hs.sketch = options_.sketch_metrics.contains(registry_.key(id).metric);
  hs.known = true;
}

void Store::add(SeriesId id, TimePoint t, Fixed value) {
  Shard& shard = shards_[id & (kShards - 1)];
  const int64_t minute = floorTo(t.time_since_epoch().count(), 60'000) / 1000;
  std::lock_guard lock(shard.mu);
  const size_t local = id >> kShardBits;
  if (local >= shard.series.size() || !shard.series[local].known) [[unlikely]]
    growShard(shard, id);
  HeadSeries& hs = shard.series[local];
  hs.data.add(minute, value, hs.sketch);
  hs.addRecent(minute / 60, value);
}

void Store::HeadSeries::addRecent(int64_t minute, Fixed value) {
  if (recent_last == kNoRecent || minute > recent_last) {
    // The minutes between the last and this one had no points: their slots start empty.
    const int64_t first = recent_last == kNoRecent || minute - recent_last >= kRecent
                              ? minute - kRecent + 1
                              : recent_last + 1;
    for (int64_t m = first; m <= minute; ++m) recent[recentSlot(m)] = {};
    recent_last = minute;
  } else if (minute <= recent_last - kRecent) {
    return;  // older than the slots: readMinutes reads such minutes from the cells
  }
  RecentMinute& slot = recent[recentSlot(minute)];
  slot.sum += value;
  ++slot.count;
}

void Store::HeadSeries::rebuildRecent() {
  recent_last = kNoRecent;
  recent = {};
  if (data.cells.empty()) return;
  recent_last = floorTo(data.cells.back().t, 60) / 60;  // cells: whole minutes, ascending
  for (auto it = data.cells.rbegin(); it != data.cells.rend(); ++it) {
    const int64_t minute = floorTo(it->t, 60) / 60;
    if (minute <= recent_last - kRecent) break;
    RecentMinute& slot = recent[recentSlot(minute)];
    slot.sum = it->agg.sum;
    slot.count = it->agg.count;
  }
}

bool Store::add(const SeriesKey& key, TimePoint t, Fixed value) {
  std::optional<SeriesId> id = registry_.intern(key);
  if (!id) {
    noteDropped();
    return false;
  }
  add(*id, t, value);
  return true;
}

void Store::noteDropped() {
  const uint64_t total = dropped_.fetch_add(1, std::memory_order_relaxed) + 1;
  const int64_t minute = clock_.now().time_since_epoch().count() / 60'000;
  int64_t last = last_drop_log_minute_.load(std::memory_order_relaxed);
  if (last != minute && last_drop_log_minute_.compare_exchange_strong(last, minute))
    spdlog::warn(
        "metrics: the series cap ({} series) is reached; points of new series are dropped ({} "
        "so far)",
        registry_.maxSeries(), total);
}

Store::Stats Store::stats() const {
  Stats s;
  s.series = registry_.size();
  s.dropped_points = droppedPoints();
  s.recent_reads = recent_reads_.load(std::memory_order_relaxed);
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (const HeadSeries& hs : shard.series) s.head_cells += hs.data.cells.size();
  }
  std::shared_lock lock(view_mu_);
  for (const SegmentPtr& seg : segments_) {
    if (seg->inMemory()) {
      ++s.memory_segments;
      s.memory_segment_bytes += seg->size();
    }
    if (!seg->path().empty()) {
      ++s.disk_segments;
      s.disk_segment_bytes += seg->size();
    }
  }
  return s;
}

std::vector<SeriesKey> Store::findSeries(std::string_view metric,
                                         const std::vector<Dimension>& filter) const {
  std::vector<SeriesKey> out;
  for (SeriesId id : registry_.match(metric, filter)) out.push_back(registry_.key(id));
  return out;
}

}  // namespace costgate::metrics
