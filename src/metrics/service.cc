#include "metrics/service.h"

#include <spdlog/spdlog.h>

namespace costgate::metrics {

Result<std::unique_ptr<MetricsService>> MetricsService::open(StoreOptions store_options,
                                                             PointOptions point_options,
                                                             const Clock& clock) {
  auto store = Store::open(std::move(store_options), clock);
  if (!store) return makeError(store.error());
  return std::unique_ptr<MetricsService>(
      new MetricsService(std::move(*store), std::move(point_options), clock));
}

MetricsService::MetricsService(std::unique_ptr<Store> store, PointOptions point_options,
                               const Clock& clock)
    : store_(std::move(store)), recorder_(*store_, std::move(point_options)), clock_(clock) {}

MetricsService::~MetricsService() {
  if (thread_.joinable()) (void)stop();
}

Result<ReplayStats> MetricsService::replay(metering::LedgerStore& ledger,
                                           const ReplayOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  auto last_progress = t0;
  ReplayStats stats;
  std::optional<TimePoint> covered = store_->coveredUntil();
  std::optional<TimePoint> ended_from;
  TimePoint from;
  if (covered) {
    ended_from = *covered - Recorder::kRebuildSlack;
    from = *ended_from - kLongestCall;
  } else {
    // A new store (or one whose directory was removed) is filled with what minute data keeps.
    from = clock_.now() -
           std::chrono::duration_cast<std::chrono::milliseconds>(store_->options().retention_1m);
  }
  const std::set<std::string> held = recorder_.checkpointedCallIds();
  // Windows of call starts up to now; the last is open-ended (a start stamped after the clock's
  // now, by a clock that stepped back, is read too).
  const TimePoint now = clock_.now();
  for (bool last = false; !last; from += options.window) {
    metering::UsageQuery q;
    q.from = from;
    last = from + options.window > now;
    if (!last) q.to = from + options.window;
    auto records = ledger.query(q);
    if (!records)
      return makeError("metrics: read the ledger to rebuild after the checkpoint: " +
                       records.error());
    for (const metering::UsageRecord& r : *records) {
      if (ended_from && r.ended_at < *ended_from) continue;
      if (held.count(r.call_id) > 0) {
        ++stats.skipped;
        continue;
      }
      recorder_.onRecord(r);
      ++stats.records;
    }
    const auto t = std::chrono::steady_clock::now();
    if (options.progress && !last && t - last_progress >= options.progress_every) {
      last_progress = t;
      stats.took = std::chrono::duration_cast<std::chrono::milliseconds>(t - t0);
      options.progress(stats, from + options.window);
    }
  }
  stats.took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
  return stats;
}

void MetricsService::start(std::chrono::milliseconds interval) {
  thread_ = std::thread([this, interval] { run(interval); });
}

Status MetricsService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  return maintainAndCheckpoint();
}

Status MetricsService::maintainAndCheckpoint() {
  if (Status st = store_->maintain(); !st) return st;
  if (store_->options().dir.empty()) return {};
  return recorder_.checkpoint();
}

void MetricsService::run(std::chrono::milliseconds interval) {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    if (Status st = maintainAndCheckpoint(); !st) {
      spdlog::error("metrics: maintenance or checkpoint failed (retried in {} ms): {}",
                    interval.count(), st.error());
    }
    lock.lock();
  }
}

}  // namespace costgate::metrics
