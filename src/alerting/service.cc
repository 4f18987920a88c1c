#include "alerting/service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace costgate::alerting {

namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;

constexpr size_t kLoggedDataErrors = 5;  // per tick; the rest are counted

}  // namespace

TimePoint nextTickAfter(TimePoint now, milliseconds settle) {
  const TimePoint boundary = std::chrono::floor<minutes>(now - settle) + minutes(1);
  return boundary + settle;
}

Result<std::unique_ptr<AlarmService>> AlarmService::open(
    const std::string& path, const metrics::SeriesSource& source, notify::TopicPlan topics,
    ProfileLookup lookup, std::string dashboard_base, const Clock& clock,
    notify::DeliveryWorker* worker, AlarmServiceOptions options) {
  auto db = store::AlarmDatabase::open(path);
  if (!db) return makeError(db.error());
  std::unique_ptr<AlarmService> s(new AlarmService(std::move(*db), source, std::move(topics),
                                                   std::move(lookup), std::move(dashboard_base),
                                                   clock, worker, options));
  std::lock_guard lock(s->mu_);
  if (Status st = s->reload(); !st) return makeError(st.error());
  // Never back in time: a clock that went back (the test clock restarts at the wall clock) must
  // not evaluate minutes the stored states have already been decided past.
  TimePoint latest = clock.now();
  for (const alarms::Alarm& a : s->set_.alarms())
    latest = std::max(latest, alarms::alarmStatus(a).updated);
  s->next_tick_ = nextTickAfter(latest, options.evaluation.settle);
  return s;
}

AlarmService::AlarmService(std::unique_ptr<store::AlarmDatabase> db,
                           const metrics::SeriesSource& source, notify::TopicPlan topics,
                           ProfileLookup lookup, std::string dashboard_base, const Clock& clock,
                           notify::DeliveryWorker* worker, AlarmServiceOptions options)
    : db_(std::move(db)),
      data_(source),
      notifier_(std::make_unique<notify::OutboxNotifier>(db_->outbox(), std::move(topics), clock)),
      journal_(*db_, *notifier_, std::move(lookup), std::move(dashboard_base)),
      clock_(clock),
      worker_(worker),
      options_(options),
      set_(options.evaluation) {}

AlarmService::~AlarmService() { stop(); }

void AlarmService::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void AlarmService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AlarmService::reloadSoon() {
  {
    std::lock_guard lock(mu_);
    reload_soon_ = true;
  }
  cv_.notify_all();
}

AlarmServiceCounters AlarmService::counters() const {
  std::lock_guard lock(counters_mu_);
  return counters_;
}

Status AlarmService::runDue() {
  std::lock_guard lock(mu_);
  return runDueLocked();
}

Status AlarmService::reload() {
  Result<int64_t> changes = db_->alarms().changes();
  if (!changes) return makeError(fmt::format("alarms: read the change count: {}", changes.error()));
  Result<std::vector<alarms::Alarm>> all = db_->alarms().listAlarms();
  if (!all) return makeError(fmt::format("alarms: load: {}", all.error()));
  const size_t n = all->size();
  if (Status st = set_.load(std::move(*all)); !st)
    return makeError(fmt::format("alarms: load: {}", st.error()));
  known_changes_ = *changes;
  reload_soon_ = false;
  alarm_count_ = n;
  {
    std::lock_guard lock(counters_mu_);
    ++counters_.reloads;
  }
  countStates();
  return {};
}

void AlarmService::countStates() {
  int64_t by_state[3] = {0, 0, 0};
  for (const alarms::Alarm& a : set_.alarms())
    ++by_state[static_cast<int>(alarms::alarmStatus(a).state)];
  std::lock_guard lock(counters_mu_);
  counters_.ok = by_state[static_cast<int>(alarms::AlarmState::kOk)];
  counters_.alarm = by_state[static_cast<int>(alarms::AlarmState::kAlarm)];
  counters_.insufficient_data = by_state[static_cast<int>(alarms::AlarmState::kInsufficientData)];
}

Status AlarmService::reloadIfChanged() {
  Result<int64_t> changes = db_->alarms().changes();
  if (!changes) return makeError(fmt::format("alarms: read the change count: {}", changes.error()));
  if (*changes == known_changes_ && !reload_soon_) return {};
  Status st = reload();
  if (st) spdlog::info("alarms: reloaded {} alarm(s) after a change", set_.size());
  return st;
}

Status AlarmService::runDueLocked() {
  if (Status st = reloadIfChanged(); !st) return st;
  const TimePoint now = clock_.now();
  if (now - next_tick_ > minutes(kMaxCatchUp)) {
    spdlog::warn("alarms: {} minute(s) behind; evaluating the last {} only",
                 std::chrono::duration_cast<minutes>(now - next_tick_).count(), kMaxCatchUp);
    next_tick_ = nextTickAfter(now - minutes(kMaxCatchUp), options_.evaluation.settle);
  }
  Status result;
  while (next_tick_ <= now) {
    if (Status st = tickAt(next_tick_); !st) result = st;
    next_tick_ += minutes(1);
  }
  return result;
}

Status AlarmService::tickAt(TimePoint t) {
  auto find = [this](std::string_view name) { return set_.find(name); };
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto started = std::chrono::steady_clock::now();
    alarms::TickResult r = set_.tick(data_, t);
    for (size_t i = 0; i < r.errors.size() && i < kLoggedDataErrors; ++i)
      spdlog::warn("alarms: tick {}: {}", formatIso8601(t), r.errors[i]);
    if (r.errors.size() > kLoggedDataErrors)
      spdlog::warn("alarms: tick {}: {} more alarm(s) could not read their data", formatIso8601(t),
                   r.errors.size() - kLoggedDataErrors);
    bool moved = false;
    size_t stored = 0;
    Status st;
    if (!r.history.empty()) {
      st = db_->transaction([&]() -> Status {
        Result<int64_t> changes = db_->alarms().changes();
        if (!changes) return makeError(changes.error());
        if (*changes != known_changes_) {
          moved = true;
          return makeError("the alarms were changed meanwhile");
        }
        Result<size_t> n = journal_.record(r, find);
        if (!n) return makeError(n.error());
        stored = *n;
        return {};
      });
    }
    if (!st && moved) {
      if (Status re = reload(); !re) return re;
      continue;  // evaluate again over the alarms as edited
    }
    {
      std::lock_guard lock(counters_mu_);
      counters_.last_tick_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - started)
                                   .count();
      ++counters_.ticks;
      counters_.data_errors += static_cast<int64_t>(r.errors.size());
      if (st) {
        counters_.transitions += static_cast<int64_t>(r.history.size());
        counters_.notifications += static_cast<int64_t>(stored);
      } else {
        ++counters_.commit_failures;
      }
    }
    if (!st) {
      spdlog::error("alarms: tick {}: its {} transition(s) could not be saved: {}",
                    formatIso8601(t), r.history.size(), st.error());
      // Back to what the store holds: the transitions are found again at the next tick.
      if (Status re = reload(); !re) reload_soon_ = true;
      return makeError(fmt::format("alarms: tick {}: {}", formatIso8601(t), st.error()));
    }
    if (!r.history.empty()) countStates();
    for (const alarms::HistoryItem& h : r.history)
      spdlog::info("alarms: {}: {} ({})", h.alarm, h.summary, formatIso8601(h.at));
    if (stored > 0 && worker_ != nullptr) worker_->wake();
    return {};
  }
  return makeError(fmt::format("alarms: tick {}: the alarms kept changing", formatIso8601(t)));
}

void AlarmService::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (Status st = runDueLocked(); !st) spdlog::error("{}", st.error());
    const milliseconds until_tick =
        std::chrono::duration_cast<milliseconds>(next_tick_ - clock_.now());
    const milliseconds wait = std::clamp(until_tick, milliseconds(10), options_.poll);
    cv_.wait_for(lock, wait, [this] { return stopping_ || reload_soon_; });
  }
}

}  // namespace costgate::alerting
