#include "metrics/store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

namespace costgate::metrics {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// 2026-03-02T00:00:00Z, a Monday: day 0 of these tests.
const TimePoint kDay0 = TimePoint(std::chrono::seconds(1772409600));

TimePoint at(std::chrono::milliseconds since_day0) { return kDay0 + since_day0; }
Statistic stat(const char* name) { return *Statistic::parse(name); }
Fixed usd(const char* text) { return Money::parse(text)->raw(); }

SeriesKey key(const std::string& metric, const std::string& profile,
              const std::string& tenant = "t1") {
  return SeriesKey{metric, {{"InferenceProfile", profile}, {"TenantID", tenant}}};
}

std::vector<Dimension> profile(const std::string& name) { return {{"InferenceProfile", name}}; }

class StoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> open(StoreOptions o = {}) {
    auto s = Store::open(std::move(o), clock_);
    EXPECT_TRUE(s) << s.error();
    return std::move(*s);
  }
  Datapoints fetch(const Store& s, const std::string& metric, std::vector<Dimension> filter,
                   TimePoint from, TimePoint to, seconds period, const char* st) {
    auto r = s.fetch(metric, filter, from, to, period, stat(st));
    EXPECT_TRUE(r) << r.error();
    return r ? *r : Datapoints{};
  }
  FakeClock clock_{kDay0 + hours(1)};
};

TEST_F(StoreTest, EveryStatisticPerMinuteExact) {
  auto s = open();
  const SeriesKey k = key("InputTokensCost", "p1");
  // Ten dimes make exactly one dollar (a double sum would give 0.9999999999999999).
  for (int i = 0; i < 10; ++i) s->add(k, at(minutes(3) + seconds(i)), usd("0.1"));
  s->add(k, at(minutes(5)), usd("0.000375"));
  s->add(k, at(minutes(5) + seconds(59)), usd("2.5"));
  const TimePoint from = at(minutes(0)), to = at(minutes(10));
  EXPECT_EQ(fetch(*s, "InputTokensCost", profile("p1"), from, to, seconds(60), "Sum"),
            (Datapoints{{at(minutes(3)), 1.0}, {at(minutes(5)), 2.500375}}));
  EXPECT_EQ(fetch(*s, "InputTokensCost", profile("p1"), from, to, seconds(60), "SampleCount"),
            (Datapoints{{at(minutes(3)), 10}, {at(minutes(5)), 2}}));
  EXPECT_EQ(fetch(*s, "InputTokensCost", profile("p1"), from, to, seconds(60), "Average"),
            (Datapoints{{at(minutes(3)), 0.1}, {at(minutes(5)), 1.2501875}}));
  EXPECT_EQ(fetch(*s, "InputTokensCost", profile("p1"), from, to, seconds(60), "Minimum"),
            (Datapoints{{at(minutes(3)), 0.1}, {at(minutes(5)), 0.000375}}));
  EXPECT_EQ(fetch(*s, "InputTokensCost", profile("p1"), from, to, seconds(60), "Maximum"),
            (Datapoints{{at(minutes(3)), 0.1}, {at(minutes(5)), 2.5}}));
  // Periods of 5 minutes aligned to the epoch; a range starting mid-period starts at the next.
  EXPECT_EQ(fetch(*s, "InputTokensCost", profile("p1"), from, to, seconds(300), "Sum"),
            (Datapoints{{at(minutes(0)), 1.0}, {at(minutes(5)), 2.500375}}));
  EXPECT_EQ(fetch(*s, "InputTokensCost", profile("p1"), at(minutes(1)), to, seconds(300), "Sum"),
            (Datapoints{{at(minutes(5)), 2.500375}}));
  // Absent periods are absent; an unknown series has no datapoints.
  EXPECT_TRUE(
      fetch(*s, "InputTokensCost", profile("p1"), at(minutes(6)), to, seconds(60), "Sum").empty());
  EXPECT_TRUE(fetch(*s, "InputTokensCost", profile("p2"), from, to, seconds(60), "Sum").empty());
}

TEST_F(StoreTest, RefusesBadPeriodsAndPercentilesOfPlainMetrics) {
  auto s = open();
  auto r = s->fetch("InputTokens", {}, at(hours(0)), at(hours(1)), seconds(90), stat("Sum"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "period 90 s is not a positive multiple of 60 s");
  r = s->fetch("InputTokens", {}, at(hours(0)), at(hours(1)), seconds(60), stat("p99"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "percentiles are kept only for InvocationLatency, TimeToFirstToken, not InputTokens");
}

TEST_F(StoreTest, MergesAcrossTheSeriesAFilterMatches) {
  auto s = open();
  s->add(key("InvocationLatency", "a", "t1"), at(minutes(2)), fixedFromInt(100));
  s->add(key("InvocationLatency", "b", "t1"), at(minutes(2) + seconds(30)), fixedFromInt(300));
  s->add(key("InvocationLatency", "b", "t1"), at(minutes(2) + seconds(31)), fixedFromInt(900));
  s->add(key("InvocationLatency", "c", "t2"), at(minutes(2)), fixedFromInt(5));
  const std::vector<Dimension> t1{{"TenantID", "t1"}};
  EXPECT_EQ(s->findSeries("InvocationLatency", t1),
            (std::vector<SeriesKey>{key("InvocationLatency", "a", "t1"),
                                    key("InvocationLatency", "b", "t1")}));
  EXPECT_EQ(s->findSeries("InvocationLatency", {}).size(), 3u);
  EXPECT_TRUE(s->findSeries("InputTokens", {}).empty());
  const TimePoint from = at(minutes(0)), to = at(minutes(5));
  auto one = [&](const char* st) {
    Datapoints d = fetch(*s, "InvocationLatency", t1, from, to, seconds(60), st);
    EXPECT_EQ(d.size(), 1u) << st;
    EXPECT_EQ(d.empty() ? TimePoint{} : d[0].timestamp, at(minutes(2)));
    return d.empty() ? -1 : d[0].value;
  };
  EXPECT_EQ(one("Sum"), 1300);
  EXPECT_EQ(one("SampleCount"), 3);
  EXPECT_DOUBLE_EQ(one("Average"), 1300.0 / 3);
  EXPECT_EQ(one("Minimum"), 100);
  EXPECT_EQ(one("Maximum"), 900);
  EXPECT_NEAR(one("p50"), 300, 3);  // the 2nd of 3
  EXPECT_NEAR(one("p99"), 900, 9);  // the 3rd
  EXPECT_NEAR(one("p1"), 100, 1);   // the 1st
}

TEST_F(StoreTest, PercentilesWithinTheSketchErrorOverManySamples) {
  auto s = open();
  std::vector<double> all;
  for (int i = 0; i < 5000; ++i) {
    const int64_t ms = 20 + (i * 7919) % 4000;
    all.push_back(static_cast<double>(ms));
    s->add(key("TimeToFirstToken", "p"), at(minutes(1) + std::chrono::milliseconds(i)),
           fixedFromInt(ms));
  }
  std::sort(all.begin(), all.end());
  for (auto [name, q] : {std::pair{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}}) {
    Datapoints d =
        fetch(*s, "TimeToFirstToken", {}, at(minutes(0)), at(minutes(3)), seconds(180), name);
    ASSERT_EQ(d.size(), 1u);
    const double want = all[static_cast<size_t>(std::ceil(q * all.size())) - 1];
    EXPECT_LE(std::abs(d[0].value - want), Sketch::kRelativeError * want) << name;
  }
}

TEST_F(StoreTest, RollupsAreExactAndRetentionDropsEachResolution) {
  StoreOptions o;
  o.retention_1m = std::chrono::days(2);
  o.retention_5m = std::chrono::days(5);
  o.retention_1h = std::chrono::days(30);
  auto s = open(o);
  // Day 0: a point every 7 minutes on two series, costs and latencies.
  for (int m = 60; m < 24 * 60; m += 7) {
    s->add(key("OutputTokensCost", "a"), at(minutes(m)), usd("0.0125") * (m % 5 + 1) / 1);
    s->add(key("OutputTokensCost", "b"), at(minutes(m) + seconds(1)), usd("0.000001"));
    s->add(key("InvocationLatency", "a"), at(minutes(m)), fixedFromInt(10 + m % 300));
  }
  const TimePoint from = kDay0, to = kDay0 + std::chrono::days(1);
  const std::vector<Dimension> t1{{"TenantID", "t1"}};
  auto all = [&](seconds period) {
    std::vector<Datapoints> v;
    for (const char* st : {"Sum", "SampleCount", "Average", "Minimum", "Maximum"})
      v.push_back(fetch(*s, "OutputTokensCost", t1, from, to, period, st));
    v.push_back(fetch(*s, "InvocationLatency", t1, from, to, period, "p90"));
    return v;
  };
  clock_.set(kDay0 + std::chrono::days(1) + hours(1));
  const auto five_from_minutes = all(seconds(300));
  const auto hour_from_minutes = all(seconds(3600));
  EXPECT_EQ(five_from_minutes[0].size(), 198u);  // one point in each, 7 minutes apart
  ASSERT_TRUE(s->maintain());                    // seals day 0 and rolls it up
  EXPECT_EQ(s->stats().head_cells, 0u);
  EXPECT_EQ(all(seconds(300)), five_from_minutes);

  clock_.set(kDay0 + std::chrono::days(3));  // minutes are past retention: 5-minute rollups
  ASSERT_TRUE(s->maintain());
  EXPECT_EQ(all(seconds(300)), five_from_minutes);
  EXPECT_EQ(all(seconds(3600)), hour_from_minutes);
  auto r = s->fetch("OutputTokensCost", t1, from, to, seconds(60), stat("Sum"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(),
            "period 60 s is finer than the 300 s resolution kept for a range starting "
            "2026-03-02T00:00:00.000Z (or not a multiple of it)");

  clock_.set(kDay0 + std::chrono::days(7));  // past 5-minute retention: hours remain
  ASSERT_TRUE(s->maintain());
  EXPECT_EQ(all(seconds(3600)), hour_from_minutes);
  EXPECT_FALSE(s->fetch("OutputTokensCost", t1, from, to, seconds(300), stat("Sum")));

  clock_.set(kDay0 + std::chrono::days(32));
  ASSERT_TRUE(s->maintain());
  EXPECT_TRUE(fetch(*s, "OutputTokensCost", t1, from, to, seconds(3600), "Sum").empty());
  EXPECT_EQ(s->stats().memory_segments, 0u);
}

TEST_F(StoreTest, LatePointsForSealedAndRolledUpDaysCount) {
  auto s = open();
  const SeriesKey k = key("InputTokens", "p");
  s->add(k, at(hours(2)), fixedFromInt(10));
  clock_.set(kDay0 + std::chrono::days(1) + hours(1));
  ASSERT_TRUE(s->maintain());
  s->add(k, at(hours(2) + minutes(3)), fixedFromInt(5));  // a day late
  ASSERT_TRUE(s->maintain());
  const TimePoint from = kDay0, to = kDay0 + std::chrono::days(1);
  EXPECT_EQ(fetch(*s, "InputTokens", {}, from, to, seconds(3600), "Sum"),
            (Datapoints{{at(hours(2)), 15}}));
  clock_.set(kDay0 + std::chrono::days(20));  // read from the 5-minute and 1-hour rollups
  EXPECT_EQ(fetch(*s, "InputTokens", {}, from, to, seconds(300), "Sum"),
            (Datapoints{{at(hours(2)), 15}}));
  EXPECT_EQ(fetch(*s, "InputTokens", {}, from, to, seconds(3600), "SampleCount"),
            (Datapoints{{at(hours(2)), 2}}));
}

TEST_F(StoreTest, SeriesCapDropsAndCountsPoints) {
  StoreOptions o;
  o.max_series = 2;
  auto s = open(o);
  EXPECT_TRUE(s->add(key("InputTokens", "a"), at(minutes(1)), fixedFromInt(1)));
  EXPECT_TRUE(s->add(key("OutputTokens", "a"), at(minutes(1)), fixedFromInt(1)));
  EXPECT_FALSE(s->add(key("InputTokens", "b"), at(minutes(1)), fixedFromInt(1)));
  EXPECT_FALSE(s->add(key("InputTokens", "c"), at(minutes(1)), fixedFromInt(1)));
  EXPECT_TRUE(s->add(key("InputTokens", "a"), at(minutes(2)), fixedFromInt(1)));
  EXPECT_EQ(s->droppedPoints(), 2u);
  EXPECT_EQ(s->resolve(key("InputTokens", "b")), std::nullopt);
  EXPECT_EQ(s->stats().series, 2u);
}

TEST_F(StoreTest, ConcurrentIngestionAndQueriesLoseNothing) {
  auto s = open();
  const SeriesId a = *s->resolve(key("InputTokens", "a")), b = *s->resolve(key("InputTokens", "b"));
  auto ingest = [&](SeriesId id) {
    for (int i = 0; i < 200'000; ++i) s->add(id, at(std::chrono::milliseconds(i * 3)), kFixedOne);
  };
  std::thread t1(ingest, a), t2(ingest, b), t3(ingest, a);
  for (int i = 0; i < 50; ++i)
    (void)s->fetch("InputTokens", {}, at(hours(0)), at(hours(1)), seconds(60), stat("Sum"));
  t1.join(), t2.join(), t3.join();
  Datapoints d = fetch(*s, "InputTokens", {}, at(hours(0)), at(hours(1)), seconds(600), "Sum");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].value, 600'000);
}

}  // namespace
}  // namespace costgate::metrics
