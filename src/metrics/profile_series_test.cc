// ProfileSeries puts on the store exactly what pointsOf + Store::add(key) would: the same series,
// the same values, the same dropped points past the cap, across renames and retags.

#include "metrics/profile_series.h"

#include <gtest/gtest.h>

namespace costgate::metrics {
namespace {

const TimePoint kNow = TimePoint(std::chrono::seconds(1772409600));

metering::UsageRecord call(std::string profile_id, std::string name,
                           std::vector<profiles::Tag> tags, int64_t input, int64_t n) {
  metering::UsageRecord r;
  r.call_id = "01" + std::to_string(n);
  r.profile_id = std::move(profile_id);
  r.profile_name = std::move(name);
  r.tags = std::move(tags);
  r.started_at = kNow + std::chrono::seconds(13 * n);
  r.ended_at = r.started_at + std::chrono::milliseconds(700 + n);
  r.usage.input_tokens = input;
  r.usage.output_tokens = 2 * input;
  r.cost.plain_input = *Money::parse("0.000125");
  if (n % 3 == 0) r.first_token_at = r.started_at + std::chrono::milliseconds(90);
  if (n % 4 == 0) r.usage.cache_read_tokens = 7;
  if (n % 5 == 0) {
    r.status = metering::CallStatus::kFailure;
    r.http_status = 429;
  }
  return r;
}

// Every series of `store` with each metric's Sum and SampleCount per minute.
std::vector<std::pair<SeriesKey, Datapoints>> contents(const Store& store) {
  std::vector<std::pair<SeriesKey, Datapoints>> out;
  for (size_t m = 0; m < kCallMetricCount; ++m) {
    const char* metric = metricName(static_cast<CallMetric>(m));
    for (const SeriesKey& key : store.findSeries(metric, {})) {
      for (const char* stat : {"Sum", "SampleCount"}) {
        auto points = store.fetch(metric, key.dimensions, kNow - std::chrono::hours(1),
                                  kNow + std::chrono::hours(1), std::chrono::seconds(60),
                                  *Statistic::parse(stat));
        EXPECT_TRUE(points) << points.error();
        out.emplace_back(key, *points);
      }
    }
  }
  return out;
}

struct Fed {
  std::unique_ptr<Store> by_keys;
  std::unique_ptr<Store> cached;
};

Fed feed(const std::vector<metering::UsageRecord>& records, const PointOptions& opt,
         const FakeClock& clock, size_t max_series) {
  StoreOptions so;
  so.max_series = max_series;
  Fed f{Store::open(so, clock).value(), Store::open(so, clock).value()};
  ProfileSeries series(*f.cached, opt);
  for (const metering::UsageRecord& r : records) {
    for (const Point& p : pointsOf(r, opt)) f.by_keys->add(p.key, p.timestamp, p.value);
    series.add(r);
  }
  return f;
}

std::vector<metering::UsageRecord> calls() {
  const std::vector<profiles::Tag> t1 = {{"TenantID", "t1"}, {"Env", "prod"}};
  return {
      call("p1", "alpha", t1, 10, 1),
      call("p2", "beta", {{"TenantID", "t2"}}, 20, 2),
      call("p1", "alpha", t1, 30, 3),
      call("p1", "alpha", t1, 40, 4),
      call("p1", "alpha", t1, 50, 5),
      call("p1", "alpha-renamed", t1, 60, 6),           // renamed
      call("p2", "beta", {{"TenantID", "t9"}}, 70, 7),  // retagged
      call("p1", "alpha", t1, 80, 8),                   // and back
      call("", "no-id", {}, 90, 9),                     // no profile id
      call("", "no-id-either", {{"TenantID", "t3"}}, 100, 10),
      call("p3", "gamma", {{"TenantID", "t1"}, {"InferenceProfile", "x"}}, 110, 12),
  };
}

TEST(ProfileSeriesTest, SameSeriesAndValuesAsPointsOf) {
  FakeClock clock(kNow);
  Fed f = feed(calls(), {}, clock, 1'000'000);
  const auto expected = contents(*f.by_keys);
  ASSERT_GT(expected.size(), 40u);
  EXPECT_EQ(contents(*f.cached), expected);
  EXPECT_EQ(f.cached->stats().series, f.by_keys->stats().series);

  PointOptions tenant_only;
  tenant_only.tag_keys = std::vector<std::string>{"tenantid"};
  Fed g = feed(calls(), tenant_only, clock, 1'000'000);
  EXPECT_EQ(contents(*g.cached), contents(*g.by_keys));
}

TEST(ProfileSeriesTest, PointsPastTheCapAreDroppedAndCountedAlike) {
  FakeClock clock(kNow);
  Fed f = feed(calls(), {}, clock, 9);
  EXPECT_EQ(f.by_keys->stats().series, 9u);
  EXPECT_GT(f.by_keys->droppedPoints(), 20u);
  EXPECT_EQ(f.cached->droppedPoints(), f.by_keys->droppedPoints());
  EXPECT_EQ(contents(*f.cached), contents(*f.by_keys));
}

TEST(ProfileSeriesTest, OneEntryPerProfileIdReplacedOnChange) {
  FakeClock clock(kNow);
  auto store = Store::open({}, clock).value();
  ProfileSeries series(*store, {});
  series.add(call("p1", "alpha", {}, 1, 1));
  series.add(call("p1", "alpha", {}, 1, 2));
  series.add(call("p1", "renamed", {}, 1, 3));
  series.add(call("p2", "beta", {}, 1, 4));
  EXPECT_EQ(series.profiles(), 2u);
  // The renamed profile's points are on its new name's series.
  auto sum = store->fetch("InputTokens", {{"InferenceProfile", "renamed"}}, kNow,
                          kNow + std::chrono::hours(1), std::chrono::seconds(3600),
                          *Statistic::parse("SampleCount"));
  ASSERT_TRUE(sum);
  EXPECT_EQ(*sum, (Datapoints{{kNow, 1}}));
}

}  // namespace
}  // namespace costgate::metrics
