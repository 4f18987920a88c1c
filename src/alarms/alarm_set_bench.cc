// One evaluation tick over the seed's alarms for 100,000 profiles (300,000 metric alarms), each
// reading its datapoints through AlarmData from memory (a hash lookup and a copy of the range's
// points, as an adapter over the metric store would hand them over). Single thread.
//
//   BM_AlarmTickSteady       every alarm evaluated, no state changes (the usual minute)
//   BM_AlarmTickTransitions  every alarm changes state (reason text and JSON for each)
// Counters: alarms per tick, resident memory of the alarm set and its data (MB).

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <string>
#include <unordered_map>

#include "alarms/alarm_set.h"
#include "alarms/seed_alarms.h"

namespace costgate::alarms {
namespace {

constexpr int kProfiles = 100'000;

double residentMb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1e6;
}

class MemoryData final : public AlarmData {
 public:
  std::unordered_map<std::string, metrics::Datapoints> points;
  // alarms::AlarmData
  Result<metrics::Datapoints> datapoints(const MetricAlarm& a, TimePoint from,
                                         TimePoint to) override {
    metrics::Datapoints out;
    auto it = points.find(a.name);
    if (it == points.end()) return out;
    for (const metrics::Datapoint& p : it->second)
      if (p.timestamp >= from && p.timestamp < to) out.push_back(p);
    return out;
  }
};

struct World {
  AlarmSet set;
  MemoryData data;
  TimePoint now{};
  double set_mb = 0;
  double data_mb = 0;
};

// Profile i breaches its thresholds when `breach` says so.
std::unique_ptr<World> makeWorld(bool breach) {
  auto w = std::make_unique<World>();
  parseIso8601("2026-11-27T05:16:30Z", w->now);
  const double before = residentMb();
  for (int i = 0; i < kProfiles; ++i) {
    for (MetricAlarm& a : seedAlarms("profile" + std::to_string(i), {1, 2000, 10}, "Alarms")) {
      Result<HistoryItem> put = w->set.put(std::move(a), w->now);
      if (!put) std::abort();
    }
  }
  const double after_set = residentMb();
  for (const Alarm& alarm : w->set.alarms()) {
    const auto& a = std::get<MetricAlarm>(alarm);
    EvaluationRange r = evaluationRange(a, w->now);
    const double v = breach ? a.threshold * 2 : a.threshold / 2;
    const auto period = std::chrono::milliseconds(a.period);
    w->data.points[a.name] = {{r.to - period * 2, v}, {r.to - period, v}};
  }
  w->set_mb = after_set - before;
  w->data_mb = residentMb() - after_set;
  return w;
}

void report(benchmark::State& state, const World& w) {
  state.counters["alarms"] = static_cast<double>(w.set.size());
  state.counters["set_MB"] = w.set_mb;
  state.counters["data_MB"] = w.data_mb;
}

void BM_AlarmTickSteady(benchmark::State& state) {
  std::unique_ptr<World> w = makeWorld(false);
  TickResult first = w->set.tick(w->data, w->now);  // INSUFFICIENT_DATA -> OK, once
  if (first.history.size() != w->set.size()) std::abort();
  for (auto _ : state) {
    TickResult r = w->set.tick(w->data, w->now);
    if (!r.history.empty() || r.evaluated != w->set.size()) std::abort();
    benchmark::DoNotOptimize(r);
  }
  report(state, *w);
}
BENCHMARK(BM_AlarmTickSteady)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_AlarmTickTransitions(benchmark::State& state) {
  std::unique_ptr<World> w = makeWorld(true);
  size_t actions = 0;
  for (auto _ : state) {  // one iteration: the first tick moves every alarm to ALARM
    TickResult r = w->set.tick(w->data, w->now);
    actions = r.actions.size();
    benchmark::DoNotOptimize(r);
  }
  state.counters["actions"] = static_cast<double>(actions);
  report(state, *w);
}
BENCHMARK(BM_AlarmTickTransitions)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace costgate::alarms
