// The metric store's figures: points ingested per second on one core (a point = one value added
// to an already resolved series), a 30-day 5-minute query of one profile's series, encoded bytes
// per series per day, and opening a checkpoint of 10,000 profiles (with the memory it takes).

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "metrics/store.h"

namespace costgate::metrics {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

const TimePoint kStart = TimePoint(std::chrono::seconds(1772409600));  // 2026-03-02T00:00:00Z
const char* kMetrics[] = {"InputTokens",      "OutputTokens",      "InputTokensCost",
                          "OutputTokensCost", "InvocationSuccess", "InvocationLatency",
                          "TimeToFirstToken"};

SeriesKey keyOf(const char* metric, int profile) {
  return SeriesKey{metric,
                   {{"InferenceProfile", "profile" + std::to_string(profile)},
                    {"TenantID", "tenant" + std::to_string(profile / 2)}}};
}

Fixed valueOf(int metric, int i) {
  if (metric == 2 || metric == 3) return Money::parse("0.00025")->raw() * (i % 17 + 1);
  if (metric == 4) return kFixedOne;
  return fixedFromInt(100 + i % 900);
}

std::string tempDir() {
  char tmpl[] = "/tmp/costgate-metrics-bench-XXXXXX";
  return ::mkdtemp(tmpl);
}

long rssBytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

void BM_IngestResolvedSeries(benchmark::State& state) {
  FakeClock clock(kStart);
  auto store = Store::open(StoreOptions{}, clock).value();
  constexpr int kSeries = 10'000;
  std::vector<SeriesId> ids;
  for (int i = 0; i < kSeries; ++i) ids.push_back(*store->resolve(keyOf("InputTokens", i)));
  int64_t n = 0;
  TimePoint t = kStart;
  for (auto _ : state) {
    for (int i = 0; i < kSeries; ++i) store->add(ids[i], t, fixedFromInt(i));
    n += kSeries;
    t += std::chrono::milliseconds(50);  // a new minute every 1,200 rounds
    if (t - kStart > hours(2)) {
      state.PauseTiming();
      clock.set(t + hours(1));
      (void)store->maintain();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(n);
}
BENCHMARK(BM_IngestResolvedSeries);

// 100 profiles × 2 metrics, a point a minute for 31 days, maintained hourly, on disk.
struct MonthStore {
  std::string dir = tempDir();
  FakeClock clock{kStart};
  std::unique_ptr<Store> store;
  MonthStore() {
    StoreOptions o;
    o.dir = dir;
    store = Store::open(o, clock).value();
    std::vector<SeriesId> ids;
    for (int p = 0; p < 100; ++p)
      for (int m : {0, 5}) ids.push_back(*store->resolve(keyOf(kMetrics[m], p)));
    for (int minute = 0; minute < 31 * 1440; ++minute) {
      const TimePoint t = kStart + minutes(minute);
      for (size_t k = 0; k < ids.size(); ++k)
        store->add(ids[k], t, valueOf(k % 2 ? 5 : 0, minute + static_cast<int>(k)));
      if (minute % 60 == 59) {
        clock.set(t + minutes(11));
        (void)store->maintain();
      }
    }
  }
  ~MonthStore() { std::filesystem::remove_all(dir); }
};

void BM_Query30Days5Minutes(benchmark::State& state) {
  static MonthStore month;
  const TimePoint to = month.clock.now();
  const TimePoint from = to - std::chrono::days(30);
  const std::vector<Dimension> filter{{"InferenceProfile", "profile7"}};
  const Statistic stat = state.range(0) ? *Statistic::parse("p99") : *Statistic::parse("Sum");
  const char* metric = state.range(0) ? "InvocationLatency" : "InputTokens";
  size_t points = 0;
  for (auto _ : state) {
    auto r = month.store->fetch(metric, filter, from, to, std::chrono::seconds(300), stat);
    points = r->size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["datapoints"] = static_cast<double>(points);
  const Store::Stats s = month.store->stats();
  state.counters["disk_segments"] = static_cast<double>(s.disk_segments);
}
BENCHMARK(BM_Query30Days5Minutes)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Encoded bytes per series per day at each resolution: 1,000 profiles × 7 metrics, a point
// each minute (2 for the latencies) for one day.
void BM_BytesPerSeriesDay(benchmark::State& state) {
  for (auto _ : state) {
    const std::string dir = tempDir();
    FakeClock clock(kStart);
    StoreOptions o;
    o.dir = dir;
    auto store = Store::open(o, clock).value();
    constexpr int kProfiles = 1000;
    std::vector<SeriesId> ids;
    for (int p = 0; p < kProfiles; ++p)
      for (const char* m : kMetrics) ids.push_back(*store->resolve(keyOf(m, p)));
    for (int minute = 0; minute < 1440; ++minute)
      for (size_t k = 0; k < ids.size(); ++k) {
        const int m = static_cast<int>(k % 7);
        store->add(ids[k], kStart + minutes(minute), valueOf(m, minute * 7 + static_cast<int>(k)));
        if (m >= 5)
          store->add(ids[k], kStart + minutes(minute) + std::chrono::seconds(20),
                     valueOf(m, minute + static_cast<int>(k)));
      }
    clock.set(kStart + std::chrono::days(1) + hours(1));
    (void)store->maintain();
    uint64_t m1 = 0, m5 = 0, h1 = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      (name.starts_with("m1-") ? m1 : name.starts_with("m5-") ? m5 : h1) += e.file_size();
    }
    const double series = static_cast<double>(ids.size());
    state.counters["1m_bytes_per_series_day"] = static_cast<double>(m1) / series;
    state.counters["5m_bytes_per_series_day"] = static_cast<double>(m5) / series;
    state.counters["1h_bytes_per_series_day"] = static_cast<double>(h1) / series;
    state.counters["head_bytes_per_series_minute"] = sizeof(Cell);
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_BytesPerSeriesDay)->Iterations(1)->Unit(benchmark::kMillisecond);

// 10,000 profiles × 7 metrics (70,000 series), a point a minute for 7 hours: 6 sealed hours (the
// last 3 in memory) and 50 minutes of head; checkpointed, then opened.
void BM_OpenCheckpoint10kProfiles(benchmark::State& state) {
  const std::string dir = tempDir();
  FakeClock clock(kStart);
  StoreOptions o;
  o.dir = dir;
  long rss_filled = 0, rss_before = rssBytes();
  {
    auto store = Store::open(o, clock).value();
    std::vector<SeriesId> ids;
    for (int p = 0; p < 10'000; ++p)
      for (const char* m : kMetrics) ids.push_back(*store->resolve(keyOf(m, p)));
    for (int minute = 0; minute < 7 * 60 - 10; ++minute) {
      for (size_t k = 0; k < ids.size(); ++k)
        store->add(ids[k], kStart + minutes(minute), valueOf(static_cast<int>(k % 7), minute));
      if (minute % 60 == 10 && minute > 60) {
        clock.set(kStart + minutes(minute));
        (void)store->maintain();
      }
    }
    rss_filled = rssBytes();
    (void)store->checkpoint();
  }
  double seconds_total = 0;
  long rss_open = 0;
  for (auto _ : state) {
    const long before = rssBytes();
    auto t0 = std::chrono::steady_clock::now();
    auto store = Store::open(o, clock);
    seconds_total += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rss_open = rssBytes() - before;
    benchmark::DoNotOptimize(store);
  }
  state.counters["open_ms"] = 1000 * seconds_total / static_cast<double>(state.iterations());
  state.counters["rss_MiB_while_filled"] = static_cast<double>(rss_filled - rss_before) / (1 << 20);
  state.counters["rss_MiB_after_open"] = static_cast<double>(rss_open) / (1 << 20);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_OpenCheckpoint10kProfiles)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace costgate::metrics
