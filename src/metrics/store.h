#pragma once
// Store: costgate's embedded time-series store. Points go into 1-minute buckets in memory (the
// head); every hour of minutes is sealed, seal_delay after it ends, into an immutable segment
// (segment_codec.h) kept in memory for memory_window and written to the directory; each UTC
// day, once sealed, is rolled up into 5-minute and 1-hour segments. Retention per resolution
// removes segments from memory and disk. Queries (SeriesSource) span the head, the segments in
// memory and those on disk, and merge whatever covers a bucket: every aggregate is mergeable, so
// late points simply land in one more segment.
//
// Sum, SampleCount, Minimum, Maximum and Average are exact (Fixed sums at 1e-18; doubles only in
// the output). Percentiles come from Sketch (relative error Sketch::kRelativeError = 1%), kept
// for the metrics in StoreOptions::sketch_metrics only.
//
// Durability: checkpoint() writes the head, the series registry and a manifest naming every
// segment into the directory; open() reads them back, so a restart loses nothing added before
// the last checkpoint. The manifest records coveredUntil(), the clock time of that checkpoint:
// everything added before it is in, nothing added after it is, so the caller re-adds the
// records it has seen since (the ledger's) and nothing is counted twice. Segments sealed after
// the last checkpoint are discarded at open (their data is in the checkpointed head or after
// coveredUntil).
//
// Thread-safety: every method is thread-safe. add() locks one of 16 shards (series id mod 16)
// for a few nanoseconds, so request threads ingest concurrently; queries read under a shared
// lock that only maintain()'s brief publication of a sealed segment takes exclusively.
// checkpoint() holds every shard while it encodes the head (small: about an hour of minutes).

#include <array>
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "common/thread_annotations.h"
#include "metrics/agg.h"
#include "metrics/minute_source.h"
#include "metrics/segment_file.h"
#include "metrics/series.h"
#include "metrics/series_registry.h"

namespace costgate::metrics {

struct StoreOptions {
  std::string dir;  // "" keeps everything in memory (tests; nothing survives a restart)
  size_t max_series = 1'000'000;
  std::chrono::seconds retention_1m{std::chrono::days(15)};
  std::chrono::seconds retention_5m{std::chrono::days(63)};
  std::chrono::seconds retention_1h{std::chrono::days(455)};
  // Sealed 1-minute segments stay in memory this long after they end (what alarms read).
  std::chrono::seconds memory_window{std::chrono::hours(3)};
  // An hour of minutes is sealed this long after it ends; later points still count (they go
  // into a later segment), this only keeps the common late point in the head.
  std::chrono::seconds seal_delay{std::chrono::minutes(10)};
  std::set<std::string, std::less<>> sketch_metrics = {"InvocationLatency", "TimeToFirstToken"};
};

class Store final : public SeriesSource, public MinuteSource {
 public:
  // Opens the store in options.dir (created when missing) from its last checkpoint, if any.
  static Result<std::unique_ptr<Store>> open(StoreOptions options, const Clock& clock);
  ~Store() override;

  // The id of a series, interned on first sight; nullopt when it is new and max_series are
  // already held (nothing is counted: add(key, …) counts the dropped point).
  std::optional<SeriesId> resolve(const SeriesKey& key);
  // Adds one sample to an already resolved series: no lookup, no allocation (but once a minute
  // per series, amortized). `id` must come from resolve().
  void add(SeriesId id, TimePoint t, Fixed value);
  // Resolves and adds; false when the series cap dropped the point (counted in droppedPoints(),
  // with one warning a minute in the log).
  bool add(const SeriesKey& key, TimePoint t, Fixed value);
  uint64_t droppedPoints() const { return dropped_.load(std::memory_order_relaxed); }
  // Counts one point dropped by the cap, as add(key, …) does, for a caller that remembers that
  // resolve() refused its series.
  void noteDropped();

  // Seals, rolls up, moves old segments out of memory and applies retention, as the clock says.
  // Call it every minute or so; it is cheap when there is nothing to do.
  Status maintain();

  // Writes the state to the directory (an error without one). `annex` is stored as is and
  // handed back by recoveredAnnex() after open: a caller's own bookkeeping (which records the
  // checkpoint holds), captured while ingestion is held still.
  Status checkpoint(const std::function<std::string()>& annex = {});
  // The clock time of the checkpoint the store was opened from; nullopt when it started empty.
  std::optional<TimePoint> coveredUntil() const { return covered_until_; }
  const std::string& recoveredAnnex() const { return recovered_annex_; }

  struct Stats {
    size_t series = 0;
    size_t head_cells = 0;
    size_t memory_segments = 0;
    uint64_t memory_segment_bytes = 0;
    size_t disk_segments = 0;
    uint64_t disk_segment_bytes = 0;
    uint64_t dropped_points = 0;
    uint64_t recent_reads = 0;  // series reads readMinutes served from recent minutes
  };
  Stats stats() const;
  const StoreOptions& options() const { return options_; }

  // metrics::SeriesSource
  std::vector<SeriesKey> findSeries(std::string_view metric,
                                    const std::vector<Dimension>& filter) const override;
  Result<Datapoints> fetch(std::string_view metric, const std::vector<Dimension>& filter,
                           TimePoint from, TimePoint to, std::chrono::seconds period,
                           const Statistic& stat) const override;
  const MinuteSource* minuteSource() const override { return this; }

  // metrics::MinuteSource (store_minutes.cc). readMinutes holds the view lock and every shard
  // for the whole batch (as checkpoint() does), so a batch should be a few hundred reads.
  SeriesId seriesCount() const override;
  std::vector<SeriesId> matchIds(std::string_view metric,
                                 const std::vector<Dimension>& filter) const override;
  std::vector<SeriesKey> keysOf(SeriesId from, SeriesId to) const override;
  Status readMinutes(std::span<const MinuteRead> reads) const override;

 private:
  static constexpr int kShardBits = 4;
  static constexpr size_t kShards = size_t{1} << kShardBits;
  // A series' sum and count for each of its last kRecent minutes (slot: minute mod kRecent),
  // kept beside its cells so that readMinutes serves the alarms' short reads (Sum, SampleCount,
  // Average over the newest minutes) from one dense 256-byte object per series, without the
  // pointer chase to the cells. It holds every point added for the minutes (last − kRecent,
  // last] and knows the minutes after `last` are empty; only minutes at or after sealed_until_
  // are read from it (older ones may also have points in segments).
  static constexpr int64_t kRecent = 8;
  static constexpr int64_t kNoRecent = std::numeric_limits<int64_t>::min();
  static size_t recentSlot(int64_t minute) {
    return static_cast<size_t>(minute - floorTo(minute, kRecent));
  }
  struct RecentMinute {
    StoredFixed sum = 0;
    uint64_t count = 0;
  };
  struct alignas(64) HeadSeries {
    SeriesData data;
    int64_t recent_last = kNoRecent;  // the newest minute added (minutes since the epoch)
    std::array<RecentMinute, kRecent> recent{};
    bool sketch = false;
    bool known = false;  // `sketch` was set from the series' metric

    void addRecent(int64_t minute, Fixed value);
    void rebuildRecent();  // from data.cells (after a load)
    // Whether the minutes [first, ∞) are all in `recent` (or known empty).
    bool recentHolds(int64_t first_minute) const {
      return recent_last != kNoRecent && first_minute > recent_last - kRecent;
    }
  };
  static_assert(sizeof(HeadSeries) == 256);
  struct Shard {
    mutable std::mutex mu;
    std::vector<HeadSeries> series GUARDED_BY(mu);  // by id >> kShardBits
  };
  using SegmentPtr = std::shared_ptr<const Segment>;

  Store(StoreOptions options, const Clock& clock);
  // store_minutes.cc: whether a read of `hs` is served from its recent minutes.
  static bool fromRecent(const HeadSeries& hs, const MinuteRead& r, int64_t sealed_until);
  void growShard(Shard& shard, SeriesId id) REQUIRES(shard.mu);
  // store_maintain.cc
  Status seal(int64_t cut);
  Status rollUpDay(int64_t day);
  Status persist(std::vector<std::pair<SegmentPtr, std::string>> fresh);
  Status applyRetentionAndWindow(int64_t now_s);
  std::string segmentPath(const SegmentHeader& h);
  void rebuildRolledDays() REQUIRES(view_mu_);
  // store_checkpoint.cc
  Status load();
  // store_query.cc
  int64_t resolutionFor(int64_t from_s, int64_t now_s) const;

  const StoreOptions options_;
  const Clock& clock_;
  SeriesRegistry registry_;
  std::array<Shard, kShards> shards_;

  std::mutex maintain_mu_;  // one maintain() or checkpoint() at a time
  mutable std::shared_mutex view_mu_;
  std::vector<SegmentPtr> segments_ GUARDED_BY(view_mu_);
  // No segment holds a point of a minute at or after this (seconds): the head holds them all.
  int64_t sealed_until_ GUARDED_BY(view_mu_) = std::numeric_limits<int64_t>::min();
  // Days (start, seconds) that have a day rollup, for 300 s and 3600 s.
  std::set<int64_t> rolled_5m_ GUARDED_BY(view_mu_);
  std::set<int64_t> rolled_1h_ GUARDED_BY(view_mu_);
  uint64_t next_seq_ = 0;        // guarded by maintain_mu_: file names
  uint64_t checkpoint_gen_ = 0;  // guarded by maintain_mu_
  std::string head_file_;        // guarded by maintain_mu_: the last checkpoint's head

  std::atomic<uint64_t> dropped_{0};
  mutable std::atomic<uint64_t> recent_reads_{0};
  std::atomic<int64_t> last_drop_log_minute_{-1};
  std::optional<TimePoint> covered_until_;
  std::string recovered_annex_;
};

}  // namespace costgate::metrics
