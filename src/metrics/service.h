#pragma once
// MetricsService: the metric store as `costgate serve` runs it. Opens the store from its last
// checkpoint, re-adds what the ledger holds after it (so a crash loses no metric point and counts
// none twice), and keeps it maintained and checkpointed on a thread of its own, off the request
// path. The request threads feed it through recorder() (a metering::RecordSink).
//
// Thread-safe once open; start() and stop() are called by one owner.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "metering/ledger_store.h"
#include "metrics/recorder.h"
#include "metrics/store.h"

namespace costgate::metrics {

struct ReplayStats {
  size_t records = 0;  // records re-added
  size_t skipped = 0;  // records the checkpoint already held
  std::chrono::milliseconds took{0};
};

struct ReplayOptions {
  // The ledger is read this much of call starts at a time, so a long gap (a new store is filled
  // from the whole 1-minute retention) never sits in memory at once.
  std::chrono::milliseconds window{std::chrono::hours(1)};
  // Called after a window when `progress_every` has passed since the start or the last call
  // (steady clock), with the figures so far and the end of the calls' starts read so far.
  std::function<void(const ReplayStats&, TimePoint read_until)> progress;
  std::chrono::milliseconds progress_every{std::chrono::seconds(5)};
};

class MetricsService {
 public:
  // A call running longer than this when the checkpoint was taken is not replayed (its start is
  // before the ledger range read back).
  static constexpr std::chrono::hours kLongestCall{1};

  static Result<std::unique_ptr<MetricsService>> open(StoreOptions store_options,
                                                      PointOptions point_options,
                                                      const Clock& clock);
  ~MetricsService();

  // Re-adds every ledger record the checkpoint does not hold (when the store started empty:
  // those of the 1-minute retention, 15 days by default). Call once, before serving: a record
  // committed while replay runs could be both read here and recorded live.
  Result<ReplayStats> replay(metering::LedgerStore& ledger, const ReplayOptions& options = {});

  // Maintains and checkpoints every `interval` until stop(), which checkpoints a last time.
  void start(std::chrono::milliseconds interval);
  Status stop();

  Store& store() { return *store_; }
  Recorder& recorder() { return recorder_; }

 private:
  MetricsService(std::unique_ptr<Store> store, PointOptions point_options, const Clock& clock);
  void run(std::chrono::milliseconds interval);
  Status maintainAndCheckpoint();

  std::unique_ptr<Store> store_;
  Recorder recorder_;
  const Clock& clock_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace costgate::metrics
