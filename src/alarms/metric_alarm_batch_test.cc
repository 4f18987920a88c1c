// MetricAlarmData's batch form (bind, readBatch) against its per-alarm form (datapoints), and
// AlarmSet keeping each alarm's binding through edits.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>

#include "alarms/alarm_set.h"
#include "alarms/metric_alarm_data.h"
#include "alarms/seed_alarms.h"
#include "alarms/store_alarm_test_support.h"

namespace costgate::alarms {
namespace {

using metrics::Datapoints;
using metrics::SeriesKey;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::at;
using testing::usd;

MetricAlarm statAlarm(std::string name, std::string metric, std::vector<metrics::Dimension> dims,
                      const char* stat, seconds period, double threshold = 1) {
  MetricAlarm a =
      testing::thresholdAlarm(std::move(name), 1, 1, TreatMissingData::kMissing, period);
  a.metric = MetricStat{std::move(metric), std::move(dims), *metrics::Statistic::parse(stat)};
  a.threshold = threshold;
  return a;
}

class MetricAlarmBatchTest : public testing::StoreAlarmTest {
 protected:
  struct Read {
    Datapoints points;
    std::string error;
  };
  // Every alarm read in one readBatch, each with its own binding.
  std::vector<Read> batch(MetricAlarmData& data, const std::vector<MetricAlarm>& alarms,
                          TimePoint from, TimePoint to) {
    std::vector<std::unique_ptr<AlarmData::Binding>> bindings;
    for (const MetricAlarm& a : alarms) bindings.push_back(data.bind(a));
    return batch(data, alarms, bindings, from, to);
  }
  std::vector<Read> batch(MetricAlarmData& data, const std::vector<MetricAlarm>& alarms,
                          const std::vector<std::unique_ptr<AlarmData::Binding>>& bindings,
                          TimePoint from, TimePoint to) {
    std::vector<Read> out(alarms.size());
    std::vector<AlarmData::BatchRead> reads;
    for (size_t i = 0; i < alarms.size(); ++i)
      reads.push_back({.alarm = &alarms[i],
                       .binding = bindings[i].get(),
                       .from = from,
                       .to = to,
                       .out = &out[i].points,
                       .error = &out[i].error});
    data.readBatch(reads);
    return out;
  }

};

TEST_F(MetricAlarmBatchTest, BatchReadsGiveExactlyWhatDatapointsGives) {
  // Values whose double sums depend on the order of adding (0.1 + 0.2 + 0.7), in the sealed
  // hour before 05:00 and in the head after it, two tenants for p1 and another profile.
  const char* kTimes[] = {"2026-11-27T04:52:10Z", "2026-11-27T04:56:00Z", "2026-11-27T04:59:59Z",
                          "2026-11-27T05:01:00Z", "2026-11-27T05:02:30Z", "2026-11-27T05:06:00Z",
                          "2026-11-27T05:09:00Z", "2026-11-27T05:13:00Z"};
  const char* kValues[] = {"0.1", "0.2", "0.7", "0.3", "1.1", "2.2", "0.01", "5"};
  for (size_t i = 0; i < std::size(kTimes); ++i) {
    add("InputTokensCost", "p1", kTimes[i], usd(kValues[i]));
    add("InputTokensCost", "p1", kTimes[i], usd(kValues[(i + 3) % 8]), "other");
    add("OutputTokensCost", "p1", kTimes[(i + 2) % 8], usd(kValues[i]));
    add("InvocationLatency", "p1", kTimes[i], metrics::fixedFromInt(100 * (1 + int(i))));
    add("InputTokensCost", "p2", kTimes[i], usd("1000"));
  }
  clock_.advance(minutes(1));  // 05:21: the hour 04:00 is sealed (10 minutes after it ended)
  ASSERT_TRUE(store_->maintain());
  ASSERT_EQ(store_->stats().memory_segments, 1u);

  std::vector<MetricAlarm> alarms;
  const std::vector<metrics::Dimension> p1{{"InferenceProfile", "p1"}};
  for (const char* stat : {"Sum", "SampleCount", "Average", "Minimum", "Maximum"})
    for (seconds period : {seconds(60), seconds(300), seconds(600)})
      alarms.push_back(statAlarm(fmt::format("{}-{}", stat, period.count()), "InputTokensCost", p1,
                                 stat, period));
  alarms.push_back(statAlarm("all-tenants", "InputTokensCost", {}, "Sum", seconds(300)));
  alarms.push_back(
      statAlarm("nobody", "InputTokensCost", {{"InferenceProfile", "p9"}}, "Sum", seconds(300)));
  alarms.push_back(statAlarm("p99", "InvocationLatency", p1, "p99", seconds(300)));
  alarms.push_back(seedAlarms("p1", {}, "Alarms")[0]);
  MetricAlarm general = seedAlarms("p1", {}, "Alarms")[0];
  std::get<MetricMath>(general.metric).queries[2].expression = "SUM([FILL(m1, 0), FILL(m2, 0)])";
  alarms.push_back(general);
  MetricAlarm ratio = seedAlarms("p1", {}, "Alarms")[0];
  std::get<MetricMath>(ratio.metric).queries[2].expression = "m1 / (m2 - m2)";  // all missing
  alarms.push_back(ratio);

  MetricAlarmData per_alarm(*store_);
  MetricAlarmData batched(*store_);
  int compared = 0, with_points = 0, errors = 0;
  for (const char* from : {"2026-11-27T04:51:00Z", "2026-11-27T04:55:00Z", "2026-11-27T05:00:00Z",
                           "2026-11-27T05:03:00Z"}) {
    const TimePoint f = at(from);
    for (int periods : {1, 3}) {
      std::vector<Read> got;
      // The windows are as long as the longest period; each alarm reads whole periods of its own.
      for (const MetricAlarm& a : alarms) {
        const TimePoint to = f + a.period * periods;
        got = batch(batched, {a}, f, to);
        auto want = per_alarm.datapoints(a, f, to);
        if (want) {
          EXPECT_EQ(got[0].error, "") << a.name << " " << from;
          EXPECT_EQ(got[0].points, *want) << a.name << " " << from;
          with_points += want->empty() ? 0 : 1;
        } else {
          EXPECT_EQ(got[0].error, want.error()) << a.name << " " << from;
          ++errors;
        }
        ++compared;
      }
    }
  }
  EXPECT_EQ(compared, 4 * 2 * 21);
  EXPECT_EQ(with_points, 123);
  EXPECT_EQ(errors, 4);  // p99 over 300 s windows starting 04:51 and 05:03, ×2 range lengths
  // The same alarms read together in one batch give the same.
  for (const char* from : {"2026-11-27T04:55:00Z", "2026-11-27T05:03:00Z"}) {
    const TimePoint f = at(from);
    std::vector<Read> together = batch(batched, alarms, f, f + minutes(30));
    for (size_t i = 0; i < alarms.size(); ++i) {
      auto want = per_alarm.datapoints(alarms[i], f, f + minutes(30));
      EXPECT_EQ(together[i].points, want ? *want : Datapoints{}) << alarms[i].name;
      EXPECT_EQ(together[i].error, want ? "" : want.error()) << alarms[i].name;
    }
  }
}

TEST_F(MetricAlarmBatchTest, ANewMatchingSeriesIsFoundWithoutMatchingAgain) {
  add("InputTokens", "p1", "2026-11-27T05:18:00Z", metrics::fixedFromInt(10));
  const std::vector<MetricAlarm> alarms{
      statAlarm("p1", "InputTokens", {{"InferenceProfile", "p1"}}, "Sum", seconds(60)),
      statAlarm("any", "InputTokens", {}, "Sum", seconds(60))};
  MetricAlarmData data(*store_);
  std::vector<std::unique_ptr<AlarmData::Binding>> bindings;
  for (const MetricAlarm& a : alarms) bindings.push_back(data.bind(a));
  EXPECT_EQ(data.fullMatches(), 2u);
  const TimePoint from = at("2026-11-27T05:17:00Z"), to = at("2026-11-27T05:20:00Z");
  std::vector<Read> got = batch(data, alarms, bindings, from, to);
  EXPECT_EQ(got[0].points, (Datapoints{{at("2026-11-27T05:18:00Z"), 10}}));
  EXPECT_EQ(got[1].points, (Datapoints{{at("2026-11-27T05:18:00Z"), 10}}));
  // New series: p1 under another tenant (matches both), p2 (only "any"), another metric.
  add("InputTokens", "p1", "2026-11-27T05:18:30Z", metrics::fixedFromInt(5), "other");
  add("InputTokens", "p2", "2026-11-27T05:19:00Z", metrics::fixedFromInt(7));
  add("OutputTokens", "p1", "2026-11-27T05:18:00Z", metrics::fixedFromInt(1000));
  got = batch(data, alarms, bindings, from, to);
  EXPECT_EQ(got[0].points, (Datapoints{{at("2026-11-27T05:18:00Z"), 15}}));
  EXPECT_EQ(got[1].points,
            (Datapoints{{at("2026-11-27T05:18:00Z"), 15}, {at("2026-11-27T05:19:00Z"), 7}}));
  EXPECT_EQ(data.fullMatches(), 2u);  // found among the series added since, not by matching again
  // Read again: nothing counted twice.
  got = batch(data, alarms, bindings, from, to);
  EXPECT_EQ(got[0].points, (Datapoints{{at("2026-11-27T05:18:00Z"), 15}}));
  EXPECT_EQ(data.fullMatches(), 2u);
}

TEST_F(MetricAlarmBatchTest, PercentilesStillErrorThroughTheTick) {
  add("InvocationLatency", "p1", "2026-11-27T05:16:00Z", metrics::fixedFromInt(100));
  AlarmSet set;
  ASSERT_TRUE(set.put(
      statAlarm("latency", "InvocationLatency", {{"InferenceProfile", "p1"}}, "p90", seconds(300)),
      clock_.now()));
  ASSERT_TRUE(set.put(statAlarm("latency-1m", "InvocationLatency", {{"InferenceProfile", "p1"}},
                                "p90", seconds(60), 50),
                      clock_.now()));
  MetricAlarmData data(*store_);
  TickResult r = set.tick(data, at("2026-11-27T05:21:05Z"));  // 5-minute windows from 05:06
  EXPECT_EQ(r.evaluated, 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0],
            "alarm \"latency\": p90 cannot be computed for 300 s windows that do not start at a "
            "multiple of 300 s (percentiles are not re-bucketed from minutes); use a 60 s period");
  EXPECT_EQ(alarmStatus(*set.find("latency")).state, AlarmState::kInsufficientData);
  EXPECT_EQ(alarmStatus(*set.find("latency-1m")).state, AlarmState::kInsufficientData);
  r = set.tick(data, at("2026-11-27T05:17:05Z"));  // the 05:16 minute: p90 of one 100
  EXPECT_EQ(alarmStatus(*set.find("latency-1m")).state, AlarmState::kAlarm);
}

// Reads every alarm over its whole range through datapoints(): no bindings, no short reads.
class WholeReads final : public AlarmData {
 public:
  explicit WholeReads(AlarmData& data) : data_(data) {}
  Result<Datapoints> datapoints(const MetricAlarm& a, TimePoint from, TimePoint to) override {
    return data_.datapoints(a, from, to);
  }

 private:
  AlarmData& data_;
};

TEST_F(MetricAlarmBatchTest, TheTickDecidesAsWholeRangeReadsMinuteByMinute) {
  // Minute by minute for two hours (seals included): profiles busy, quiet or gone for a while,
  // late points; the seed's alarms, MetricStats of every kind, FILL(REPEAT), and an expression
  // off the fast path. Bound (short reads, recent minutes) and whole-range reads must agree.
  std::vector<MetricAlarm> alarms;
  const char* kProfiles[] = {"p1", "p2", "p3", "p4"};
  for (const char* p : kProfiles) {
    for (MetricAlarm& a : seedAlarms(p, {.cost_per_5_minutes = 3,
                                         .tokens_per_minute = 900,
                                         .requests_per_minute = 4},
                                     "Alarms"))
      alarms.push_back(std::move(a));
    const std::vector<metrics::Dimension> dims{{"InferenceProfile", p}};
    int n = 0;
    for (const char* stat : {"Sum", "SampleCount", "Average", "Minimum", "Maximum"}) {
      MetricAlarm a = statAlarm(fmt::format("{}-{}", stat, p), "InputTokens", dims, stat,
                                seconds(n % 2 == 0 ? 60 : 300), n % 2 == 0 ? 300 : 1200);
      a.evaluation_periods = 1 + n % 3;
      a.datapoints_to_alarm = std::min(a.evaluation_periods, 1 + n % 2);
      a.treat_missing_data = static_cast<TreatMissingData>(n % 4);
      alarms.push_back(std::move(a));
      ++n;
    }
    MetricAlarm repeat = seedAlarms(p, {.cost_per_5_minutes = 3}, "Alarms")[1];
    repeat.name = fmt::format("repeat-{}", p);
    repeat.threshold = 600;
    std::get<MetricMath>(repeat.metric).queries[2].expression = "FILL(m1, REPEAT) * 2";
    alarms.push_back(std::move(repeat));
    MetricAlarm general = seedAlarms(p, {.cost_per_5_minutes = 3}, "Alarms")[0];
    general.name = fmt::format("general-{}", p);
    std::get<MetricMath>(general.metric).queries[2].expression =
        "SUM([FILL(m1, 0), FILL(m2, 0)])";
    alarms.push_back(std::move(general));
  }
  AlarmSet bound_set, whole_set;
  for (const MetricAlarm& a : alarms) {
    ASSERT_TRUE(bound_set.put(a, clock_.now()));
    ASSERT_TRUE(whole_set.put(a, clock_.now()));
  }
  MetricAlarmData bound(*store_);
  MetricAlarmData per_alarm(*store_);
  WholeReads whole(per_alarm);
  std::mt19937 rng(5);
  std::vector<int> mood(std::size(kProfiles), 0);
  int transitions = 0;
  for (int minute = 0; minute < 120; ++minute) {
    for (size_t i = 0; i < std::size(kProfiles); ++i) {
      if (rng() % 8 == 0) mood[i] = static_cast<int>(rng() % 3);  // busy, light, gone
      if (mood[i] == 2) continue;
      const std::string p = kProfiles[i];
      auto point = [&](const char* metric, int64_t v, seconds back) {
        SeriesKey key{metric, {{"InferenceProfile", p}, {"TenantID", "acme"}}};
        ASSERT_TRUE(store_->add(key, clock_.now() - back, metrics::fixedFromInt(v)));
      };
      for (unsigned calls = (mood[i] == 0 ? 3 : 1) + rng() % 3; calls > 0; --calls) {
        const seconds back(1 + rng() % 59);
        point("InputTokens", static_cast<int64_t>(rng() % 400), back);
        point("OutputTokens", static_cast<int64_t>(rng() % 200), back);
        point("InputTokensCost", static_cast<int64_t>(rng() % 2), back);
        point("OutputTokensCost", static_cast<int64_t>(rng() % 2), back);
        point(rng() % 5 == 0 ? "InvocationFailure" : "InvocationSuccess", 1, back);
      }
      if (rng() % 6 == 0) point("InputTokens", 500, seconds(60 + rng() % 900));  // late
    }
    clock_.advance(minutes(1));
    if (minute % 10 == 0) ASSERT_TRUE(store_->maintain());
    const TimePoint now = clock_.now() + seconds(5);
    TickResult b = bound_set.tick(bound, now);
    TickResult w = whole_set.tick(whole, now);
    ASSERT_EQ(b.errors, w.errors) << "minute " << minute;
    ASSERT_EQ(b.history, w.history) << "minute " << minute;
    transitions += static_cast<int>(w.history.size());
  }
  EXPECT_GT(transitions, 100);
  EXPECT_GT(store_->stats().memory_segments, 0u);
  EXPECT_GT(store_->stats().recent_reads, 0u);
}

TEST_F(MetricAlarmBatchTest, AlarmSetKeepsEachAlarmsBindingThroughEdits) {
  for (const char* p : {"p1", "p2", "p3"})
    add("InputTokens", p, "2026-11-27T05:19:00Z", metrics::fixedFromInt(p[1] == '2' ? 1 : 9));
  AlarmSet set;
  for (const char* p : {"p1", "p2", "p3"})
    ASSERT_TRUE(set.put(statAlarm(fmt::format("a-{}", p), "InputTokens", {{"InferenceProfile", p}},
                                  "Sum", seconds(60), 5),
                        clock_.now()));
  MetricAlarmData data(*store_);
  auto state = [&](const char* name) { return alarmStatus(*set.find(name)).state; };
  set.tick(data, at("2026-11-27T05:20:05Z"));
  EXPECT_EQ(state("a-p1"), AlarmState::kAlarm);
  EXPECT_EQ(state("a-p2"), AlarmState::kOk);
  EXPECT_EQ(state("a-p3"), AlarmState::kAlarm);
  // a-p3 moves into a-p1's place; a-p2 now watches p1's other metric.
  ASSERT_TRUE(set.remove("a-p1", clock_.now()));
  ASSERT_TRUE(set.put(
      statAlarm("a-p2", "OutputTokens", {{"InferenceProfile", "p1"}}, "Sum", seconds(60), 5),
      clock_.now()));
  add("InputTokens", "p1", "2026-11-27T05:20:00Z", metrics::fixedFromInt(9));
  add("InputTokens", "p2", "2026-11-27T05:20:00Z", metrics::fixedFromInt(9));
  add("InputTokens", "p3", "2026-11-27T05:20:00Z", metrics::fixedFromInt(1));
  add("OutputTokens", "p1", "2026-11-27T05:20:00Z", metrics::fixedFromInt(6));
  TickResult r = set.tick(data, at("2026-11-27T05:21:05Z"));
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(state("a-p2"), AlarmState::kAlarm);  // p1's OutputTokens 6, not p2's InputTokens
  EXPECT_EQ(state("a-p3"), AlarmState::kOk);     // p3's 1, not p1's 9
  // Another AlarmData (another store) binds afresh.
  FakeClock clock2(at("2026-11-27T05:20:00Z"));
  auto other = metrics::Store::open({}, clock2);
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->add(SeriesKey{"InputTokens", {{"InferenceProfile", "p3"}}},
                            at("2026-11-27T05:21:00Z"), metrics::fixedFromInt(50)));
  MetricAlarmData data2(**other);
  set.tick(data2, at("2026-11-27T05:22:05Z"));
  EXPECT_EQ(state("a-p3"), AlarmState::kAlarm);
  EXPECT_EQ(state("a-p2"), AlarmState::kInsufficientData);
}

}  // namespace
}  // namespace costgate::alarms
