// Store: sealing the head into segments, daily rollups, retention and the memory window.

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>

#include "metrics/store.h"

namespace costgate::metrics {

namespace {

constexpr int64_t kHour = 3600;
constexpr int64_t kDay = 86400;

void keepFirstError(Status& first, Status st) {
  if (first && !st) first = std::move(st);
}

}  // namespace

std::string Store::segmentPath(const SegmentHeader& h) {
  if (options_.dir.empty()) return "";
  const char* prefix = h.resolution_s == 60 ? "m1" : h.resolution_s == 300 ? "m5" : "h1";
  return fmt::format("{}/{}-{}-{}.seg", options_.dir, prefix, h.start_s, next_seq_++);
}

void Store::rebuildRolledDays() {
  rolled_5m_.clear();
  rolled_1h_.clear();
  for (const SegmentPtr& seg : segments_) {
    const SegmentHeader& h = seg->header();
    if (h.kind != SegmentKind::kDayRollup) continue;
    (h.resolution_s == 300 ? rolled_5m_ : rolled_1h_).insert(h.start_s);
  }
}

Status Store::maintain() {
  std::lock_guard guard(maintain_mu_);
  const int64_t now_s = secondsOf(clock_.now());
  const int64_t cut = floorTo(now_s - options_.seal_delay.count(), kHour);
  Status first = seal(cut);
  std::set<int64_t> days;
  {
    std::shared_lock lock(view_mu_);
    const int64_t kept_from = now_s - options_.retention_1m.count();
    for (const SegmentPtr& seg : segments_) {
      const SegmentHeader& h = seg->header();
      const int64_t day = floorTo(h.start_s, kDay);
      if (h.kind == SegmentKind::kBase && day + kDay <= cut && day + kDay > kept_from &&
          !rolled_5m_.contains(day))
        days.insert(day);
    }
  }
  for (int64_t day : days) keepFirstError(first, rollUpDay(day));
  keepFirstError(first, applyRetentionAndWindow(now_s));
  return first;
}

Status Store::seal(int64_t cut) {
  struct Out {
    SegmentHeader header;
    std::string bytes;
    std::unique_ptr<SegmentEncoder> encoder;
  };
  std::map<std::pair<uint32_t, int64_t>, Out> outs;  // (resolution, hour) -> segment
  auto encoderFor = [&outs](uint32_t resolution, int64_t hour, SegmentKind kind) -> auto& {
    Out& o = outs[{resolution, hour}];
    if (!o.encoder) {
      o.header = SegmentHeader{resolution, hour, hour + kHour, kind};
      o.encoder = std::make_unique<SegmentEncoder>(
          o.header, [&o](std::string_view piece) { o.bytes.append(piece); });
    }
    return *o.encoder;
  };

  std::unique_lock view(view_mu_);
  const size_t n = registry_.size();
  for (SeriesId id = 0; id < n; ++id) {
    SeriesData old;
    {
      Shard& shard = shards_[id & (kShards - 1)];
      std::lock_guard lock(shard.mu);
      const size_t local = id >> kShardBits;
      if (local < shard.series.size()) {
        SeriesData& head = shard.series[local].data;
        old = head.takeBefore(cut);
        // Vectors keep their largest capacity: trim it to the next hour's need (an active
        // series) or to nothing (an idle one), so head memory follows the live series.
        const size_t want = old.empty() ? head.cells.size() : head.cells.size() + 64;
        if (head.cells.capacity() > want + 8) {
          head.cells.shrink_to_fit();
          head.cells.reserve(want);
          if (!head.sketches.empty() || head.sketches.capacity() > 0) {
            head.sketches.shrink_to_fit();
            head.sketches.reserve(head.sketches.empty() && old.sketches.empty() ? 0 : want);
          }
        }
      }
    }
    for (size_t i = 0; i < old.cells.size();) {
      const int64_t hour = floorTo(old.cells[i].t, kHour);
      size_t j = i;
      while (j < old.cells.size() && old.cells[j].t < hour + kHour) ++j;
      SeriesData part;
      part.cells.assign(old.cells.begin() + i, old.cells.begin() + j);
      if (!old.sketches.empty())
        part.sketches.assign(old.sketches.begin() + i, old.sketches.begin() + j);
      encoderFor(60, hour, SegmentKind::kBase).add(id, part);
      const int64_t day = floorTo(hour, kDay);
      // A late hour of a day already rolled up: its rollups go beside the day's.
      if (rolled_5m_.contains(day))
        encoderFor(300, hour, SegmentKind::kLateRollup).add(id, part.rollup(300));
      if (rolled_1h_.contains(day))
        encoderFor(3600, hour, SegmentKind::kLateRollup).add(id, part.rollup(3600));
      i = j;
    }
  }
  sealed_until_ = std::max(sealed_until_, cut);
  std::vector<std::pair<SegmentPtr, std::string>> fresh;
  for (auto& [key, o] : outs) {
    o.encoder->finish();
    auto seg = Segment::fromBytes(std::move(o.bytes), "");
    if (!seg) return Error{seg.error()};  // a bug: the encoder's own output
    segments_.push_back(*seg);
    fresh.emplace_back(*seg, segmentPath(o.header));
  }
  view.unlock();
  return persist(std::move(fresh));
}

Status Store::rollUpDay(int64_t day) {
  std::vector<SegmentPtr> sources;
  uint32_t limit = 0;
  {
    std::shared_lock lock(view_mu_);
    for (const SegmentPtr& seg : segments_) {
      const SegmentHeader& h = seg->header();
      if (h.kind == SegmentKind::kBase && h.start_s < day + kDay && h.end_s > day) {
        sources.push_back(seg);
        limit = std::max(limit, seg->idLimit());
      }
    }
  }
  const SegmentHeader h5{300, day, day + kDay, SegmentKind::kDayRollup};
  const SegmentHeader h1{3600, day, day + kDay, SegmentKind::kDayRollup};
  std::string b5, b1;
  SegmentEncoder e5(h5, [&b5](std::string_view p) { b5.append(p); });
  SegmentEncoder e1(h1, [&b1](std::string_view p) { b1.append(p); });
  for (SeriesId id = 0; id < limit; ++id) {
    SeriesData merged;
    for (const SegmentPtr& seg : sources) {
      Status st = seg->read(id, day, day + kDay, merged);
      if (!st) return st;
    }
    if (merged.empty()) continue;
    e5.add(id, merged.rollup(300));
    e1.add(id, merged.rollup(3600));
  }
  e5.finish();
  e1.finish();
  auto s5 = Segment::fromBytes(std::move(b5), "");
  auto s1 = Segment::fromBytes(std::move(b1), "");
  if (!s5 || !s1) return makeError("metrics: a rollup segment does not decode (a bug)");
  {
    std::unique_lock lock(view_mu_);
    segments_.push_back(*s5);
    segments_.push_back(*s1);
    rolled_5m_.insert(day);
    rolled_1h_.insert(day);
  }
  return persist({{*s5, segmentPath(h5)}, {*s1, segmentPath(h1)}});
}

Status Store::persist(std::vector<std::pair<SegmentPtr, std::string>> fresh) {
  if (options_.dir.empty()) return {};
  const int64_t now_s = secondsOf(clock_.now());
  Status first;
  for (auto& [seg, path] : fresh) {
    Status st = writeFileDurably(path, seg->bytes());
    if (!st) {
      spdlog::error("metrics: {} (the segment stays in memory)", st.error());
      keepFirstError(first, std::move(st));
      continue;
    }
    const SegmentHeader& h = seg->header();
    const bool keep =
        h.kind == SegmentKind::kBase && h.end_s > now_s - options_.memory_window.count();
    auto on_disk =
        keep ? Segment::fromBytes(std::string(seg->bytes()), path) : Segment::openFile(path);
    if (!on_disk) {
      keepFirstError(first, Error{on_disk.error()});
      continue;
    }
    std::unique_lock lock(view_mu_);
    for (SegmentPtr& s : segments_)
      if (s == seg) s = *on_disk;
  }
  return first;
}

Status Store::applyRetentionAndWindow(int64_t now_s) {
  std::vector<SegmentPtr> dropped, to_disk;
  {
    std::unique_lock lock(view_mu_);
    std::erase_if(segments_, [&](const SegmentPtr& seg) {
      const SegmentHeader& h = seg->header();
      const auto keep = h.resolution_s == 60    ? options_.retention_1m
                        : h.resolution_s == 300 ? options_.retention_5m
                                                : options_.retention_1h;
      if (h.end_s > now_s - keep.count()) return false;
      dropped.push_back(seg);
      return true;
    });
    if (!dropped.empty()) rebuildRolledDays();
    for (const SegmentPtr& seg : segments_)
      if (seg->inMemory() && !seg->path().empty() &&
          seg->header().end_s <= now_s - options_.memory_window.count())
        to_disk.push_back(seg);
  }
  Status first;
  for (const SegmentPtr& seg : dropped) {
    std::error_code ec;
    if (!seg->path().empty()) std::filesystem::remove(seg->path(), ec);
    if (ec) keepFirstError(first, makeError("cannot remove " + seg->path() + ": " + ec.message()));
  }
  for (const SegmentPtr& seg : to_disk) {
    auto on_disk = Segment::openFile(seg->path());
    if (!on_disk) {
      keepFirstError(first, Error{on_disk.error()});
      continue;
    }
    std::unique_lock lock(view_mu_);
    for (SegmentPtr& s : segments_)
      if (s == seg) s = *on_disk;
  }
  return first;
}

}  // namespace costgate::metrics
