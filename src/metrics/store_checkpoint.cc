// Store: checkpoints (the head, the registry and a manifest) and opening from one.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <limits>
#include <unordered_set>

#include "metrics/checkpoint_codec.h"
#include "metrics/store.h"

namespace costgate::metrics {

namespace fs = std::filesystem;

namespace {

constexpr const char* kManifestName = "MANIFEST";

// Files the store writes; only these are ever removed as left over.
bool isStoreFile(const std::string& name) {
  for (const char* prefix : {"m1-", "m5-", "h1-", "head-", "series-"})
    if (name.starts_with(prefix)) return true;
  return name.ends_with(".tmp");
}

}  // namespace

Status Store::checkpoint(const std::function<std::string()>& annex) {
  if (options_.dir.empty()) return makeError("the metrics store has no directory to checkpoint to");
  std::lock_guard guard(maintain_mu_);
  {  // Segments whose file could not be written at their seal: try again, they must be listed.
    std::vector<std::pair<SegmentPtr, std::string>> unwritten;
    {
      std::shared_lock lock(view_mu_);
      for (const SegmentPtr& seg : segments_)
        if (seg->path().empty()) unwritten.emplace_back(seg, segmentPath(seg->header()));
    }
    Status st = persist(std::move(unwritten));
    if (!st) return st;
  }

  Manifest m;
  m.generation = checkpoint_gen_ + 1;
  std::string head_bytes;
  std::vector<SeriesKey> keys;
  {
    std::shared_lock view(view_mu_);
    std::vector<std::unique_lock<std::mutex>> held;
    for (Shard& shard : shards_) held.emplace_back(shard.mu);
    // Every id in the head was resolved before its add, so it is below keys.size().
    keys = registry_.keys();
    int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
    for (const Shard& shard : shards_)
      for (const HeadSeries& hs : shard.series)
        if (!hs.data.empty()) {
          lo = std::min(lo, hs.data.cells.front().t);
          hi = std::max(hi, hs.data.cells.back().t);
        }
    if (lo <= hi) {
      SegmentEncoder enc(SegmentHeader{60, lo, hi + 60, SegmentKind::kBase},
                         [&head_bytes](std::string_view p) { head_bytes.append(p); });
      for (SeriesId id = 0; id < keys.size(); ++id) {
        const Shard& shard = shards_[id & (kShards - 1)];
        const size_t local = id >> kShardBits;
        if (local < shard.series.size()) enc.add(id, shard.series[local].data);
      }
      enc.finish();
    }
    m.covered_until_ms = clock_.now().time_since_epoch().count();
    if (annex) m.annex = annex();
    for (const SegmentPtr& seg : segments_)
      m.segments.push_back(fs::path(seg->path()).filename().string());
  }

  m.next_seq = next_seq_;
  m.keys_file = fmt::format("series-{}.keys", m.generation);
  if (!head_bytes.empty()) m.head_file = fmt::format("head-{}.seg", m.generation);
  const std::string dir = options_.dir + "/";
  Status st = writeFileDurably(dir + m.keys_file, encodeSeriesKeys(keys));
  if (st && !m.head_file.empty()) st = writeFileDurably(dir + m.head_file, head_bytes);
  if (st) st = writeFileDurably(dir + kManifestName, encodeManifest(m));
  if (!st) return st;
  std::error_code ec;
  if (checkpoint_gen_ > 0) {
    fs::remove(dir + fmt::format("series-{}.keys", checkpoint_gen_), ec);
    if (!head_file_.empty()) fs::remove(dir + head_file_, ec);
  }
  checkpoint_gen_ = m.generation;
  head_file_ = m.head_file;
  return {};
}

Status Store::load() {
  const std::string dir = options_.dir + "/";
  Manifest m;
  if (fs::exists(dir + kManifestName)) {
    auto bytes = readWholeFile(dir + kManifestName);
    if (!bytes) return Error{bytes.error()};
    auto decoded = decodeManifest(*bytes);
    if (!decoded) return makeError(dir + kManifestName + ": " + decoded.error());
    m = std::move(*decoded);
    auto key_bytes = readWholeFile(dir + m.keys_file);
    if (!key_bytes) return Error{key_bytes.error()};
    auto keys = decodeSeriesKeys(*key_bytes);
    if (!keys) return makeError(dir + m.keys_file + ": " + keys.error());
    if (keys->size() > options_.max_series)
      return makeError(fmt::format("{} holds {} series, more than max_series ({})", dir,
                                   keys->size(), options_.max_series));
    for (size_t i = 0; i < keys->size(); ++i) {
      std::optional<SeriesId> id = registry_.intern((*keys)[i]);
      if (!id || *id != i) return makeError(dir + m.keys_file + ": a series is listed twice");
    }
    covered_until_ = TimePoint(std::chrono::milliseconds(m.covered_until_ms));
    recovered_annex_ = m.annex;
  }

  const int64_t now_s = secondsOf(clock_.now());
  std::vector<SegmentPtr> loaded;
  for (const std::string& name : m.segments) {
    const std::string path = dir + name;
    if (!fs::exists(path)) {  // removed by retention after the checkpoint
      spdlog::info("metrics: {} is gone since the last checkpoint", path);
      continue;
    }
    auto seg = Segment::openFile(path);
    if (!seg) return Error{seg.error()};
    const SegmentHeader& h = (*seg)->header();
    if (h.kind == SegmentKind::kBase && h.end_s > now_s - options_.memory_window.count()) {
      auto bytes = readWholeFile(path);
      if (!bytes) return Error{bytes.error()};
      seg = Segment::fromBytes(std::move(*bytes), path);
      if (!seg) return Error{seg.error()};
    }
    loaded.push_back(*seg);
  }
  {
    std::unique_lock lock(view_mu_);
    segments_ = std::move(loaded);
    // As far as maintain() may have sealed by now, and past every 1-minute segment kept.
    sealed_until_ = floorTo(now_s - options_.seal_delay.count(), 3600);
    for (const SegmentPtr& seg : segments_)
      if (seg->header().resolution_s == 60)
        sealed_until_ = std::max(sealed_until_, seg->header().end_s);
    rebuildRolledDays();
  }

  if (!m.head_file.empty()) {
    auto bytes = readWholeFile(dir + m.head_file);
    if (!bytes) return Error{bytes.error()};
    auto head = Segment::fromBytes(std::move(*bytes), dir + m.head_file);
    if (!head) return Error{head.error()};
    for (SeriesId id = 0; id < (*head)->idLimit(); ++id) {
      SeriesData d;
      Status st = (*head)->read(id, std::numeric_limits<int64_t>::min(),
                                std::numeric_limits<int64_t>::max(), d);
      if (!st) return st;
      if (d.empty()) continue;
      if (id >= registry_.size()) return makeError(dir + m.head_file + ": unknown series");
      Shard& shard = shards_[id & (kShards - 1)];
      std::lock_guard lock(shard.mu);
      growShard(shard, id);
      HeadSeries& hs = shard.series[id >> kShardBits];
      hs.data = std::move(d);
      hs.rebuildRecent();
    }
  }
  next_seq_ = m.next_seq;
  checkpoint_gen_ = m.generation;
  head_file_ = m.head_file;

  // What the checkpoint does not name was written after it (or is a temporary): its data is
  // in the checkpointed head or after coveredUntil(), so it goes.
  std::unordered_set<std::string> keep(m.segments.begin(), m.segments.end());
  keep.insert(m.keys_file);
  keep.insert(m.head_file);
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(options_.dir, ec)) {
    const std::string name = e.path().filename().string();
    if (isStoreFile(name) && !keep.contains(name)) fs::remove(e.path(), ec);
  }
  return {};
}

}  // namespace costgate::metrics
