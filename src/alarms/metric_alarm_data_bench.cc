// One evaluation tick of the seed's three alarms per profile over a real metric store (in
// memory, its head holding the last 20 minutes), reading every alarm's datapoints through
// MetricAlarmData: two Sum fetches per alarm, the 5-minute cost alarm re-bucketed from minutes
// (the tick's `from` is not a multiple of 5 minutes), FILL(m1, 0) + FILL(m2, 0) on the fast path.
// Single thread. Args: profiles (alarms = 3 × profiles); moving: 0 ticks at the same minute
// again and again, 1 advances the clock a minute before each tick after two profiles in three
// added a point to each of their series in the minute before, as serve's traffic does (the
// writes are not timed).
//
// Counters: alarms per tick, ns per alarm, resident memory of the store's data, of the alarm
// set and of what the first tick adds (MetricAlarmData's per-alarm bindings) (MB).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "alarms/alarm_set.h"
#include "alarms/metric_alarm_data.h"
#include "alarms/seed_alarms.h"
#include "metrics/store.h"

namespace costgate::alarms {
namespace {

double residentMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

void BM_SeedAlarmTickOverStore(benchmark::State& state) {
  const int profiles = static_cast<int>(state.range(0));
  const bool moving = state.range(1) != 0;
  TimePoint now{};
  parseIso8601("2026-11-27T05:21:30Z", now);  // to = 05:21: 5-minute windows start at 05:06
  FakeClock clock(now);
  const double before = residentMb();
  auto store = metrics::Store::open({}, clock);
  if (!store) std::abort();
  const char* kMetrics[] = {"InputTokens",      "OutputTokens",      "InputTokensCost",
                            "OutputTokensCost", "InvocationSuccess", "InvocationFailure"};
  std::vector<metrics::SeriesId> ids;  // profile i's: [6 i, 6 i + 6)
  for (int i = 0; i < profiles; ++i) {
    const std::string profile = "profile" + std::to_string(i);
    for (const char* metric : kMetrics) {
      metrics::SeriesKey key{metric, {{"InferenceProfile", profile}, {"TenantID", "t"}}};
      auto id = (*store)->resolve(key);
      if (!id) std::abort();
      ids.push_back(*id);
      for (int m = 1; m <= 20; ++m)  // one sample a minute, the last 20 minutes
        (*store)->add(*id, now - std::chrono::minutes(m), metrics::fixedFromInt(i % 7));
    }
  }
  const double after_store = residentMb();
  AlarmSet set({.extra_range_periods = 2, .settle = std::chrono::seconds(5)});
  for (int i = 0; i < profiles; ++i)
    for (MetricAlarm& a : seedAlarms("profile" + std::to_string(i), {1, 2000, 100}, "Alarms"))
      if (!set.put(std::move(a), now)) std::abort();
  const double after_set = residentMb();
  MetricAlarmData data(**store);
  TickResult first = set.tick(data, now);  // INSUFFICIENT_DATA -> OK or ALARM, once
  if (!first.errors.empty()) std::abort();
  first = {};
  const double after_bind = residentMb();  // the bindings made by the first tick, its scratch
  std::vector<double> ms;
  int minute = 0;
  size_t transitions = 0;
  for (auto _ : state) {
    if (moving) {
      state.PauseTiming();
      ++minute;
      for (size_t k = 0; k < ids.size(); ++k)
        if ((k / 6 + static_cast<size_t>(minute)) % 3 != 0)
          (*store)->add(ids[k], now - std::chrono::seconds(20),
                        metrics::fixedFromInt(static_cast<int64_t>(k / 6 % 7)));
      now += std::chrono::minutes(1);
      clock.set(now);
      state.ResumeTiming();
    }
    const auto start = std::chrono::steady_clock::now();
    TickResult r = set.tick(data, now);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!r.errors.empty() || r.evaluated != set.size()) std::abort();
    transitions += r.history.size();
    benchmark::DoNotOptimize(r);
  }
  std::sort(ms.begin(), ms.end());
  state.counters["best_ms"] = ms.front();
  state.counters["median_ms"] = ms[ms.size() / 2];
  state.counters["worst_ms"] = ms.back();
  state.counters["alarms"] = static_cast<double>(set.size());
  state.counters["transitions"] =
      static_cast<double>(transitions) / static_cast<double>(state.iterations());
  state.counters["ns_per_alarm"] =
      benchmark::Counter(static_cast<double>(set.size()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["store_MB"] = after_store - before;
  state.counters["set_MB"] = after_set - after_store;
  state.counters["bound_MB"] = after_bind - after_set;
}
BENCHMARK(BM_SeedAlarmTickOverStore)
    ->ArgNames({"profiles", "moving"})
    ->Args({10'000, 0})
    ->Args({100'000, 0})
    ->Args({100'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(5);

}  // namespace
}  // namespace costgate::alarms
