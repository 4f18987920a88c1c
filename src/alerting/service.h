#pragma once
// AlarmService: the alarms as `costgate serve` runs them. Loads every alarm from the store at
// start, evaluates them once a minute on a thread of its own (at each minute boundary plus
// EvaluationOptions::settle, so the minute just ended has arrived), and commits each tick's
// history and notifications in one transaction (AlarmJournal), then wakes the delivery worker.
//
// Edits made beside it (the CLI, the REST API: editor.h) are noted in the store's change count;
// the service polls it every `poll` and reloads the alarms, definitions and statuses, from the
// store. Statuses in the store are always the service's own (each tick's are committed with its
// history) except where an edit changed them, so the store's win. A tick whose commit finds the
// count moved is dropped and evaluated again over the reloaded alarms; a tick whose commit fails
// is dropped and the alarms reloaded, so its transitions are found again at the next tick and
// never happen without their notifications.
//
// Ticks are due at every minute boundary: when the clock jumps (the test clock, a suspended
// machine) each minute passed is evaluated in turn, up to kMaxCatchUp of them. The first tick
// after open is after the latest state change the store holds, so a clock that went back (the
// test clock restarts at the wall clock) does not decide the same minutes again.
//
// Thread-safe: start, stop, runDue, reloadSoon and counters may be called from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "alarms/alarm_set.h"
#include "alarms/metric_alarm_data.h"
#include "alerting/journal.h"
#include "common/clock.h"
#include "metrics/series.h"
#include "notify/delivery_worker.h"
#include "notify/plan.h"

namespace costgate::alerting {

struct AlarmServiceOptions {
  alarms::EvaluationOptions evaluation{.extra_range_periods = 2, .settle = std::chrono::seconds(5)};
  std::chrono::milliseconds poll{1000};  // how often the change count is read
};

struct AlarmServiceCounters {
  int64_t ticks = 0;
  int64_t transitions = 0;      // StateUpdate items committed
  int64_t notifications = 0;    // notifications stored
  int64_t data_errors = 0;      // alarms whose data could not be read (per tick)
  int64_t commit_failures = 0;  // ticks whose commit failed
  int64_t reloads = 0;
  int64_t last_tick_us = 0;  // wall time of the last tick (evaluation and commit)
  int64_t ok = 0;            // alarms by state after the last tick or reload
  int64_t alarm = 0;
  int64_t insufficient_data = 0;
};

class AlarmService {
 public:
  static constexpr int kMaxCatchUp = 60;

  // Opens its own connection to the store at `path` and loads the alarms. `source`, `clock`
  // and `worker` (may be null) must outlive the service.
  static Result<std::unique_ptr<AlarmService>> open(const std::string& path,
                                                    const metrics::SeriesSource& source,
                                                    notify::TopicPlan topics, ProfileLookup lookup,
                                                    std::string dashboard_base, const Clock& clock,
                                                    notify::DeliveryWorker* worker,
                                                    AlarmServiceOptions options = {});
  ~AlarmService();

  void start();
  void stop();

  // Runs the ticks due by clock.now() (and a pending reload) now, on the caller's thread; what
  // the test clock's advance does before it answers.
  Status runDue();
  // Reload at the next poll or tick (an edit was just made in this process).
  void reloadSoon();

  AlarmServiceCounters counters() const;
  size_t alarms() const { return alarm_count_.load(); }

 private:
  AlarmService(std::unique_ptr<store::AlarmDatabase> db, const metrics::SeriesSource& source,
               notify::TopicPlan topics, ProfileLookup lookup, std::string dashboard_base,
               const Clock& clock, notify::DeliveryWorker* worker, AlarmServiceOptions options);
  Status reload();             // requires mu_
  Status reloadIfChanged();    // requires mu_
  Status tickAt(TimePoint t);  // requires mu_
  Status runDueLocked();       // requires mu_
  void countStates();          // requires mu_: counters_' alarms by state
  void run();

  std::unique_ptr<store::AlarmDatabase> db_;
  alarms::MetricAlarmData data_;
  std::unique_ptr<notify::OutboxNotifier> notifier_;
  AlarmJournal journal_;
  const Clock& clock_;
  notify::DeliveryWorker* worker_;
  const AlarmServiceOptions options_;

  std::mutex mu_;  // the set, the connection, the schedule
  alarms::AlarmSet set_;
  int64_t known_changes_ = -1;
  TimePoint next_tick_{};
  bool reload_soon_ = false;
  bool stopping_ = false;
  std::condition_variable cv_;
  std::thread thread_;

  mutable std::mutex counters_mu_;
  AlarmServiceCounters counters_;
  std::atomic<size_t> alarm_count_{0};
};

// The first tick time after `now`: the next minute boundary plus `settle`.
TimePoint nextTickAfter(TimePoint now, std::chrono::milliseconds settle);

}  // namespace costgate::alerting
