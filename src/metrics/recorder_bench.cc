// The Recorder's cost per call on the request thread: nanoseconds and heap allocations per
// onRecord, for 10,000 profiles with two tags each. BM_RecordByKeys is the path the Recorder
// took before ProfileSeries (pointsOf, then Store::add(key) per point, the call id in a
// multimap), kept as the reference; BM_RecorderOnRecord is today's.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <new>

#include "metrics/recorder.h"

namespace {

// Allocations made by this thread: every operator new of the bench binary counts here.
thread_local uint64_t t_allocations = 0;

}  // namespace

void* operator new(std::size_t n) {
  ++t_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace costgate::metrics {
namespace {

const TimePoint kStart = TimePoint(std::chrono::seconds(1772409600));  // 2026-03-02T00:00:00Z
constexpr int kProfiles = 10'000;

std::vector<metering::UsageRecord> records() {
  std::vector<metering::UsageRecord> out;
  for (int p = 0; p < kProfiles; ++p) {
    metering::UsageRecord r;
    r.call_id = "01KB2XJ7Q8V4M9ZC3D5E6F7G8H";  // 26 characters, as costgate's
    r.profile_id = "ip" + std::to_string(100000 + p);
    r.profile_name = "customer" + std::to_string(p) + "_websearch";
    r.tags = {{"TenantID", "customer" + std::to_string(p / 2)},
              {"ApplicationID", "websearch" + std::to_string(p % 7)}};
    r.usage.input_tokens = 1000 + p % 300;
    r.usage.output_tokens = 200 + p % 50;
    r.cost.plain_input = *Money::parse("0.00025");
    r.cost.output = *Money::parse("0.00125");
    r.started_at = kStart;
    r.first_token_at = kStart + std::chrono::milliseconds(180);
    r.ended_at = kStart + std::chrono::milliseconds(900);
    out.push_back(std::move(r));
  }
  return out;
}

// Calls spread over the profiles, every profile once a second (so a minute holds 60 calls per
// profile and the head's new-minute cells do not dominate), maintained (and `between`) at each
// new minute as serve's own thread would, outside the timing.
template <class Record, class Between>
void run(benchmark::State& state, Store& store, FakeClock& clock, Record record, Between between) {
  std::vector<metering::UsageRecord> calls = records();
  for (const auto& r : calls) record(r);  // every profile's series resolved first
  size_t i = 0;
  uint64_t allocations = 0;
  int64_t second = 0;
  for (auto _ : state) {
    const uint64_t before = t_allocations;
    record(calls[i]);
    allocations += t_allocations - before;
    if (++i == calls.size()) {
      i = 0;
      state.PauseTiming();
      ++second;
      for (auto& r : calls) {
        r.started_at = kStart + std::chrono::seconds(second);
        r.first_token_at = r.started_at + std::chrono::milliseconds(180);
        r.ended_at = r.started_at + std::chrono::milliseconds(900);
      }
      if (second % 60 == 0) {
        clock.set(kStart + std::chrono::seconds(second));
        (void)store.maintain();
        between();
      }
      state.ResumeTiming();
    }
  }
  state.counters["allocs_per_call"] =
      static_cast<double>(allocations) / static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
}

void BM_RecordByKeys(benchmark::State& state) {
  FakeClock clock(kStart);
  auto store = Store::open({}, clock).value();
  std::multimap<TimePoint, std::string> recent;
  std::mutex mu;
  run(
      state, *store, clock,
      [&](const metering::UsageRecord& r) {
        for (const Point& p : pointsOf(r, {})) store->add(p.key, p.timestamp, p.value);
        std::lock_guard lock(mu);
        recent.emplace(r.ended_at, r.call_id);
      },
      [&] { recent.clear(); });  // the checkpoint's trim
}
BENCHMARK(BM_RecordByKeys);

void BM_RecorderOnRecord(benchmark::State& state) {
  char tmpl[] = "/tmp/costgate-recorder-bench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  FakeClock clock(kStart);
  StoreOptions o;
  o.dir = dir;
  auto store = Store::open(o, clock).value();
  Recorder recorder(*store, {});
  run(
      state, *store, clock, [&](const metering::UsageRecord& r) { recorder.onRecord(r); },
      [&] { (void)recorder.checkpoint(); });  // trims the noted call ids, as in serve
  store.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecorderOnRecord);

}  // namespace
}  // namespace costgate::metrics
