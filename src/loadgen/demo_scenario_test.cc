#include "loadgen/demo_scenario.h"

#include <gtest/gtest.h>

#include <map>

#include "chat/chat.h"
#include "providers/sim.h"

namespace costgate::loadgen {
namespace {

const std::vector<std::string> kExampleProfiles = {"customer1_websearch", "customer1_codingbot",
                                                   "customer2_websearch", "customer2_codingbot"};

// Call times per profile over `seconds`, from the pacer in the runner's 10 ms ticks.
std::map<std::string, std::vector<double>> callTimes(const DemoPlan& plan, double seconds) {
  Pacer pacer(plan.traffic);
  std::map<std::string, std::vector<double>> times;
  std::vector<size_t> due;
  for (int tick = 0; tick <= static_cast<int>(seconds * 100); ++tick) {
    double t = tick / 100.0;
    due.clear();
    pacer.advance(t, due);
    for (size_t i : due) times[plan.traffic[i].profile].push_back(t);
  }
  return times;
}

// The most calls in one minute bucket, over buckets that start `offset` seconds into the run
// (the alarm's minutes are the clock's, not the run's, so every offset must hold).
int busiestMinute(const std::vector<double>& times, double offset, double until) {
  std::map<int, int> per_bucket;
  for (double t : times) {
    if (t < until) ++per_bucket[static_cast<int>(std::floor((t + offset) / 60))];
  }
  int most = 0;
  for (const auto& [bucket, n] : per_bucket) most = std::max(most, n);
  return most;
}

TEST(DemoPlanTest, TheExamplesGetTheDocumentedNumbers) {
  DemoPlan plan = demoPlan(kExampleProfiles, {10, 2000});
  EXPECT_EQ(plan.ramp_profile, "customer2_websearch");
  EXPECT_EQ(plan.spike_profile, "customer1_codingbot");
  ASSERT_EQ(plan.traffic.size(), 4u);
  std::map<std::string, ProfileTraffic> by_name;
  for (const auto& t : plan.traffic) by_name[t.profile] = t;
  EXPECT_EQ(by_name["customer1_websearch"].shape.shape, Shape::kSteady);
  EXPECT_DOUBLE_EQ(by_name["customer1_websearch"].rate * 60, 5);
  EXPECT_EQ(by_name["customer1_websearch"].max_tokens, 106);  // 1000 / 6 − 60
  EXPECT_EQ(by_name["customer2_codingbot"].shape.shape, Shape::kSteady);
  EXPECT_EQ(by_name["customer2_websearch"].shape.shape, Shape::kRamp);
  EXPECT_DOUBLE_EQ(by_name["customer2_websearch"].rate * 60, 10);
  EXPECT_EQ(by_name["customer1_codingbot"].shape.shape, Shape::kSpike);
  EXPECT_DOUBLE_EQ(by_name["customer1_codingbot"].rate * 60, 2.5);
  EXPECT_EQ(by_name["customer1_codingbot"].max_tokens, 212);
}

TEST(DemoPlanTest, SteadyStayUnderWhileRampAndSpikeCrossWithinTwoMinutes) {
  const double q = 10, tokens = 2000;
  DemoPlan plan = demoPlan(kExampleProfiles, {q, tokens});
  auto times = callTimes(plan, 300);
  for (double offset : {0.0, 10.0, 20.0, 30.0, 40.0, 50.0}) {
    for (const auto& t : plan.traffic) {
      const std::vector<double>& at = times[t.profile];
      if (t.profile == plan.ramp_profile || t.profile == plan.spike_profile) {
        // Within the first two clock minutes the run touches (120 s + the offset).
        EXPECT_GE(busiestMinute(at, offset, 120), q) << t.profile << " offset " << offset;
        continue;
      }
      int most = busiestMinute(at, offset, 300);
      EXPECT_LT(most, q) << t.profile << " offset " << offset;
      // Even if every call used its whole max_tokens and the longest prompt.
      EXPECT_LT(most * (kPromptTokens + t.max_tokens), tokens) << t.profile;
    }
  }
}

TEST(DemoPlanTest, PromptsFitTheInputTokensTheScenarioAssumes) {
  for (const std::string& p : prompts()) {
    chat::ChatRequest r;
    r.messages.push_back({chat::Role::kUser, p});
    EXPECT_LE(providers::estimateInputTokens(r), kPromptTokens) << p;
  }
}

TEST(DemoPlanTest, OtherProfilesFallBackByPosition) {
  DemoPlan plan = demoPlan({"a", "b", "c"}, {20, 5000});
  EXPECT_EQ(plan.ramp_profile, "c");
  EXPECT_EQ(plan.spike_profile, "b");
  EXPECT_DOUBLE_EQ(plan.traffic[0].rate * 60, 10);
  DemoPlan one = demoPlan({"only"}, {10, 2000});
  EXPECT_EQ(one.ramp_profile, "");
  EXPECT_EQ(one.traffic[0].shape.shape, Shape::kSteady);
}

}  // namespace
}  // namespace costgate::loadgen
