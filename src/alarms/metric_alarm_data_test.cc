#include "alarms/metric_alarm_data.h"

#include <gtest/gtest.h>

#include "alarms/alarm_set.h"
#include "alarms/seed_alarms.h"
#include "alarms/store_alarm_test_support.h"

namespace costgate::alarms {
namespace {

using metrics::Datapoints;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::at;
using testing::usd;

class MetricAlarmDataTest : public testing::StoreAlarmTest {
 protected:
  static Datapoints points(std::initializer_list<std::pair<const char*, double>> list) {
    Datapoints out;
    for (const auto& [iso, v] : list) out.push_back({at(iso), v});
    return out;
  }
  // The seed's cost alarm data: p1 and (ignored) p2 costs in three 5-minute windows starting
  // 05:01, i.e. not aligned to 5 minutes.
  void addCosts() {
    add("InputTokensCost", "p1", "2026-11-27T05:01:10Z", usd("0.25"));
    add("OutputTokensCost", "p1", "2026-11-27T05:05:59Z", usd("0.5"));   // window 05:01
    add("InputTokensCost", "p1", "2026-11-27T05:06:00Z", usd("1.125"));  // window 05:06
    add("InputTokensCost", "p1", "2026-11-27T05:10:30Z", usd("0.125"));  // window 05:06
    add("OutputTokensCost", "p1", "2026-11-27T05:16:00Z", usd("9"));     // outside [.., 05:16)
    add("InputTokensCost", "p2", "2026-11-27T05:02:00Z", usd("100"));
  }

};

TEST_F(MetricAlarmDataTest, SeedCostAlarmSlidesFiveMinuteWindowsByTheMinute) {
  addCosts();
  MetricAlarm a = seedAlarms("p1", {}, "Alarms")[0];
  MetricAlarmData data(*store_);
  auto got = data.datapoints(a, at("2026-11-27T05:01:00Z"), at("2026-11-27T05:16:00Z"));
  ASSERT_TRUE(got) << got.error();
  // FILL(m1, 0) + FILL(m2, 0): every window has a value, 0 where neither metric has one.
  EXPECT_EQ(*got, points({{"2026-11-27T05:01:00Z", 0.75},
                          {"2026-11-27T05:06:00Z", 1.25},
                          {"2026-11-27T05:11:00Z", 0}}));
  EXPECT_EQ(data.plans(), 1u);
  // Aligned windows read the store's 5-minute periods directly: the same sums, other windows.
  got = data.datapoints(a, at("2026-11-27T05:00:00Z"), at("2026-11-27T05:15:00Z"));
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, points({{"2026-11-27T05:00:00Z", 0.25},
                          {"2026-11-27T05:05:00Z", 1.625},
                          {"2026-11-27T05:10:00Z", 0.125}}));
}

TEST_F(MetricAlarmDataTest, GeneralPathAgreesWithTheFastPath) {
  addCosts();
  MetricAlarm fast = seedAlarms("p1", {}, "Alarms")[0];
  MetricAlarm general = fast;
  // SUM over an array is outside the fast path: evaluateQuery over the shifted source.
  std::get<MetricMath>(general.metric).queries[2].expression = "SUM([FILL(m1, 0), FILL(m2, 0)])";
  MetricAlarmData data(*store_);
  for (const char* from :
       {"2026-11-27T05:01:00Z", "2026-11-27T05:03:00Z", "2026-11-27T05:00:00Z"}) {
    const TimePoint f = at(from);
    auto a = data.datapoints(fast, f, f + minutes(15));
    auto b = data.datapoints(general, f, f + minutes(15));
    ASSERT_TRUE(a) << a.error();
    ASSERT_TRUE(b) << b.error();
    EXPECT_EQ(*a, *b) << from;
    EXPECT_EQ(a->size(), 3u);
  }
  EXPECT_EQ(data.plans(), 2u);
}

TEST_F(MetricAlarmDataTest, MetricStatAverageMinimumAndMaximumRebucketExactly) {
  add("InvocationLatency", "p1", "2026-11-27T05:01:00Z", metrics::fixedFromInt(100));
  add("InvocationLatency", "p1", "2026-11-27T05:02:00Z", metrics::fixedFromInt(300));
  add("InvocationLatency", "p1", "2026-11-27T05:02:30Z", metrics::fixedFromInt(500));
  add("InvocationLatency", "p1", "2026-11-27T05:06:00Z", metrics::fixedFromInt(7));
  MetricAlarm a =
      testing::thresholdAlarm("latency", 1, 1, TreatMissingData::kMissing, seconds(300));
  auto stat = [](const char* name) { return *metrics::Statistic::parse(name); };
  MetricAlarmData data(*store_);
  const TimePoint from = at("2026-11-27T05:01:00Z"), to = at("2026-11-27T05:11:00Z");
  for (auto [name, first] :
       {std::pair{"Average", 300.0}, std::pair{"Minimum", 100.0}, std::pair{"Maximum", 500.0},
        std::pair{"SampleCount", 3.0}, std::pair{"Sum", 900.0}}) {
    a.metric = MetricStat{"InvocationLatency", {{"InferenceProfile", "p1"}}, stat(name)};
    auto got = data.datapoints(a, from, to);
    ASSERT_TRUE(got) << got.error();
    const double second = std::string_view(name) == "SampleCount" ? 1 : 7;
    EXPECT_EQ(*got, points({{"2026-11-27T05:01:00Z", first}, {"2026-11-27T05:06:00Z", second}}))
        << name;
  }
  a.metric = MetricStat{"InvocationLatency", {{"InferenceProfile", "p1"}}, stat("p90")};
  auto got = data.datapoints(a, from, to);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(),
            "p90 cannot be computed for 300 s windows that do not start at a multiple of 300 s "
            "(percentiles are not re-bucketed from minutes); use a 60 s period");
}

TEST_F(MetricAlarmDataTest, MathDropsNonFiniteValuesAndRepeats) {
  add("InputTokens", "p1", "2026-11-27T05:01:00Z", metrics::fixedFromInt(10));
  add("OutputTokens", "p1", "2026-11-27T05:01:00Z", metrics::fixedFromInt(0));
  add("InputTokens", "p1", "2026-11-27T05:02:00Z", metrics::fixedFromInt(6));
  add("OutputTokens", "p1", "2026-11-27T05:02:00Z", metrics::fixedFromInt(3));
  MetricAlarm a = seedAlarms("p1", {}, "Alarms")[1];
  auto& math = std::get<MetricMath>(a.metric);
  MetricAlarmData data(*store_);
  const TimePoint from = at("2026-11-27T05:01:00Z"), to = at("2026-11-27T05:04:00Z");
  math.queries[2].expression = "m1 / m2";  // 10 / 0 is missing; 05:03 has neither
  auto got = data.datapoints(a, from, to);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, points({{"2026-11-27T05:02:00Z", 2}}));
  math.queries[2].expression = "-FILL(m2, REPEAT) * 2 + 1";
  got = data.datapoints(a, from, to);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, points({{"2026-11-27T05:01:00Z", 1},
                          {"2026-11-27T05:02:00Z", -5},
                          {"2026-11-27T05:03:00Z", -5}}));
  math.queries[2].expression = "2 * 3";
  got = data.datapoints(a, from, to);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error(), "query e1 gives a number, not a time series");
}

TEST_F(MetricAlarmDataTest, SeedAlarmsFireAndRecoverOverTheStore) {
  AlarmSet set;
  for (MetricAlarm& a : seedAlarms(
           "p1", {.cost_per_5_minutes = 1, .tokens_per_minute = 100, .requests_per_minute = 2},
           "Alarms"))
    ASSERT_TRUE(set.put(std::move(a), clock_.now()));
  for (const char* t : {"2026-11-27T05:19:01Z", "2026-11-27T05:19:02Z"})
    add("InvocationSuccess", "p1", t, metrics::fixedFromInt(1));
  add("InputTokens", "p1", "2026-11-27T05:19:03Z", metrics::fixedFromInt(60));
  add("OutputTokens", "p1", "2026-11-27T05:19:03Z", metrics::fixedFromInt(39));
  add("OutputTokensCost", "p1", "2026-11-27T05:16:00Z", usd("1"));
  MetricAlarmData data(*store_);
  TickResult r = set.tick(data, at("2026-11-27T05:20:05Z"));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(r.evaluated, 3u);
  auto state = [&](const std::string& name) { return alarmStatus(*set.find(name)).state; };
  EXPECT_EQ(state("BedrockRequestsPerMinuteAlarm-p1"), AlarmState::kAlarm);  // 2 >= 2
  EXPECT_EQ(state("BedrockTokensPerMinuteAlarm-p1"), AlarmState::kOk);       // 99 < 100
  EXPECT_EQ(state("BedrockTokenCostAlarm-p1"), AlarmState::kAlarm);          // 1 >= 1
  ASSERT_EQ(r.actions.size(), 2u);
  EXPECT_EQ(r.actions[0].id, "BedrockTokenCostAlarm-p1/1795756805000/ALARM/0");
  // A minute later the requests minute has left the range; the cost stays in its 5 minutes
  // until 05:21 + 5 minutes.
  r = set.tick(data, at("2026-11-27T05:21:05Z"));
  EXPECT_EQ(state("BedrockRequestsPerMinuteAlarm-p1"), AlarmState::kOk);
  EXPECT_EQ(state("BedrockTokenCostAlarm-p1"), AlarmState::kAlarm);
  EXPECT_TRUE(r.actions.empty());  // OK has no actions in the seed's alarms
  r = set.tick(data, at("2026-11-27T05:22:05Z"));
  EXPECT_EQ(state("BedrockTokenCostAlarm-p1"), AlarmState::kOk);
}

}  // namespace
}  // namespace costgate::alarms
