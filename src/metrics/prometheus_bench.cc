// PrometheusCounters: one call's record counted into an existing series (the request path's
// cost), from 1 and from several threads, and one scrape of 10,000 profiles.

#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "metrics/prometheus.h"

namespace costgate::metrics {
namespace {

const std::vector<std::string> kKeys = {"CreatedBy",         "ApplicationID", "TenantID",
                                        "CustomerAccountID", "ModelProvider", "ModelName",
                                        "Environment"};

std::vector<profiles::Tag> tagsOf(int i) {
  std::vector<profiles::Tag> tags;
  for (const std::string& k : kKeys) tags.push_back({k, k + "-" + std::to_string(i)});
  return tags;
}

PrometheusOptions options() {
  PrometheusOptions o;
  o.dimensions = *labelDimensions(kKeys);
  return o;
}

metering::UsageRecord recordOf(int i) {
  metering::UsageRecord r;
  r.profile_name = "customer" + std::to_string(i) + "_websearch";
  r.tags = tagsOf(i);
  r.started_at = TimePoint(std::chrono::milliseconds(1'767'225'600'000));
  r.ended_at = r.started_at + std::chrono::milliseconds(420);
  r.usage = {.input_tokens = 812, .output_tokens = 233};
  r.cost.plain_input = *Money::parse("0.000203");
  r.cost.output = *Money::parse("0.00029125");
  return r;
}

// 10,000 profiles; each thread records calls of its own profile.
void BM_PrometheusOnRecord(benchmark::State& state) {
  static PrometheusCounters* counters = nullptr;
  if (state.thread_index() == 0) {
    counters = new PrometheusCounters(options());
    for (int i = 0; i < 10'000; ++i) counters->declareProfile(recordOf(i).profile_name, tagsOf(i));
  }
  const metering::UsageRecord r = recordOf(state.thread_index() * 97);
  for (auto _ : state) counters->onRecord(r);
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    delete counters;
    counters = nullptr;
  }
}
BENCHMARK(BM_PrometheusOnRecord)->Threads(1)->Threads(2)->UseRealTime();

void BM_PrometheusRender10kProfiles(benchmark::State& state) {
  PrometheusCounters counters(options());
  for (int i = 0; i < 10'000; ++i) counters.onRecord(recordOf(i));
  size_t bytes = 0;
  for (auto _ : state) {
    std::string text = counters.render({}, {});
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_PrometheusRender10kProfiles)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace costgate::metrics
