#include "loadgen/demo_scenario.h"

#include <algorithm>
#include <cmath>

namespace costgate::loadgen {

namespace {

std::string pick(const std::vector<std::string>& profiles, const std::string& preferred,
                 size_t fallback_index, const std::string& taken) {
  if (std::find(profiles.begin(), profiles.end(), preferred) != profiles.end() &&
      preferred != taken) {
    return preferred;
  }
  if (fallback_index < profiles.size() && profiles[fallback_index] != taken) {
    return profiles[fallback_index];
  }
  return "";
}

}  // namespace

DemoPlan demoPlan(const std::vector<std::string>& profiles, const DemoThresholds& th) {
  DemoPlan plan;
  const double q = std::max(th.requests_per_minute, 1.0);
  const double tokens = std::max(th.tokens_per_minute, 1.0);
  const auto steady_max_tokens = std::clamp<int64_t>(
      static_cast<int64_t>(std::floor(tokens / 2 / (q / 2 + 1))) - kPromptTokens, 16, 1024);
  if (profiles.size() >= 2)
    plan.ramp_profile = pick(profiles, "customer2_websearch", 2 % profiles.size(), "");
  if (profiles.size() >= 3)
    plan.spike_profile = pick(profiles, "customer1_codingbot", 1, plan.ramp_profile);
  for (const std::string& name : profiles) {
    ProfileTraffic t;
    t.profile = name;
    t.max_tokens = steady_max_tokens;
    if (name == plan.ramp_profile) {
      t.rate = q / 60;
      t.shape.shape = Shape::kRamp;
      t.shape.ramp_seconds = 120;
      t.shape.ramp_from = 0.25;
      t.shape.ramp_to = 4;
    } else if (name == plan.spike_profile) {
      t.rate = q / 4 / 60;
      t.shape.shape = Shape::kSpike;
      t.shape.spike_first = 45;
      t.shape.spike_every = 180;
      t.shape.spike_seconds = 10;
      // 2·Q calls in the spike: (2·Q / 10 s) / (Q/4 per 60 s) = 48.
      t.shape.spike_factor = 48;
      t.max_tokens = 2 * steady_max_tokens;
    } else {
      t.rate = q / 2 / 60;
    }
    plan.traffic.push_back(std::move(t));
  }
  return plan;
}

}  // namespace costgate::loadgen
