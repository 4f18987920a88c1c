#include "metrics/query_seed.h"

#include <gtest/gtest.h>

#include "metrics/query_response.h"
#include "metrics/query_test_run.h"
#include "metrics/query_test_support.h"

namespace costgate::metrics::seed {
namespace {

using metrics::testing::kT0;
using Lines = std::vector<std::string>;

constexpr const char* kC1Web = "customer1_websearch";
constexpr const char* kC1Code = "customer1_codingbot";
constexpr const char* kC2Web = "customer2_websearch";
constexpr const char* kC3Bot = "customer3_bot";  // only ever fails

// The seed's four metric points per call, as the gateway records them (costs in USD; round
// binary fractions so sums print exactly).
class SeedQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    success(kC1Web, "customer1", 0, 100, 50, 0.25, 0.5);
    success(kC1Web, "customer1", 1, 200, 100, 0.5, 1);
    failure(kC1Web, "customer1", 1);
    success(kC1Web, "customer1", 6, 300, 150, 0.75, 1.5);
    failure(kC1Code, "customer1", 2);
    success(kC1Code, "customer1", 7, 1000, 500, 2.5, 5);
    success(kC2Web, "customer2", 0, 40, 20, 0.125, 0.25);
    success(kC2Web, "customer2", 24 * 60 + 3, 8, 4, 0.0625, 0.125);  // the next day
    failure(kC3Bot, "customer3", 4);
  }
  void success(const char* p, const char* tenant, int minute, double in, double out, double in_cost,
               double out_cost) {
    const int64_t t = kT0 + 60 * minute;
    source_.addProfile("InputTokens", p, tenant, t, in);
    source_.addProfile("OutputTokens", p, tenant, t, out);
    source_.addProfile("InputTokensCost", p, tenant, t, in_cost);
    source_.addProfile("OutputTokensCost", p, tenant, t, out_cost);
    source_.addProfile("InvocationSuccess", p, tenant, t, 1);
  }
  void failure(const char* p, const char* tenant, int minute) {
    source_.addProfile("InvocationFailure", p, tenant, kT0 + 60 * minute, 1);
  }
  // The widget `key`'s queries for `profile` over minutes [0, to_minute), oldest first.
  Lines widget(std::string_view key, const char* profile = kC1Web, int to_minute = 10,
               const VisibleProfiles& visible = VisibleProfiles::all()) {
    for (const Widget& w : dashboardWidgets(profile))
      if (w.key == key) return run(w.queries, to_minute, visible);
    return {"no widget " + std::string(key)};
  }
  Lines alarm(size_t index, const char* profile = kC1Web) {
    return run(alarmQueries(profile)[index].queries, 10, VisibleProfiles::all());
  }
  Lines run(const boost::json::array& queries, int to_minute, const VisibleProfiles& visible) {
    std::string body =
        requestBody(queries, metrics::testing::at(kT0), metrics::testing::at(kT0 + 60 * to_minute),
                    ScanBy::kTimestampAscending);
    return metrics::testing::rendered(runMetricsQuery(body, source_, visible));
  }

  metrics::testing::FakeSeriesSource source_;
};

TEST_F(SeedQueriesTest, WidgetsAreTheSeedDashboards) {
  std::vector<std::string> keys;
  for (const Widget& w : dashboardWidgets(kC1Web))
    keys.push_back(w.key + (w.per_profile ? "" : " (all)"));
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "token_counts", "token_costs", "tokens_per_minute", "requests_per_minute",
                      "daily_tokens", "daily_costs", "daily_requests", "cost_per_profile (all)",
                      "requests_per_minute_all (all)", "tokens_per_minute_all (all)",
                      "requests_per_tenant (all)"}));
}

TEST_F(SeedQueriesTest, PerProfileFiveMinuteAndPerMinuteWidgets) {
  EXPECT_EQ(widget("token_counts"),
            (Lines{"a Input tokens: 0=300 5=300", "b Output tokens: 0=150 5=150"}));
  EXPECT_EQ(widget("token_costs"),
            (Lines{"a Input cost: 0=0.75 5=0.75", "b Output cost: 0=1.5 5=1.5"}));
  EXPECT_EQ(widget("tokens_per_minute"), (Lines{"tokens Tokens: 0=150 1=300 6=450"}));
  EXPECT_EQ(widget("requests_per_minute"), (Lines{"a Success: 0=1 1=1 6=1", "b Failure: 1=1"}));
  EXPECT_EQ(widget("token_counts", kC1Code),
            (Lines{"a Input tokens: 5=1000", "b Output tokens: 5=500"}));
}

TEST_F(SeedQueriesTest, PerProfileDailyWidgets) {
  const int two_days = 2 * 24 * 60;
  EXPECT_EQ(widget("daily_tokens", kC1Web, two_days),
            (Lines{"a Input tokens: 0=600", "b Output tokens: 0=300"}));
  EXPECT_EQ(widget("daily_costs", kC1Web, two_days),
            (Lines{"a Input cost: 0=1.5", "b Output cost: 0=3"}));
  EXPECT_EQ(widget("daily_requests", kC1Web, two_days),
            (Lines{"a Success: 0=3", "b Failure: 0=1"}));
  EXPECT_EQ(widget("daily_tokens", kC2Web, two_days),
            (Lines{"a Input tokens: 0=40 1440=8", "b Output tokens: 0=20 1440=4"}));
  EXPECT_EQ(widget("daily_costs", kC2Web, two_days),
            (Lines{"a Input cost: 0=0.125 1440=0.0625", "b Output cost: 0=0.25 1440=0.125"}));
}

TEST_F(SeedQueriesTest, AcrossProfileWidgets) {
  EXPECT_EQ(widget("cost_per_profile"),
            (Lines{"cost customer1_codingbot: 5=7.5", "cost customer1_websearch: 0=2.25 5=2.25",
                   "cost customer2_websearch: 0=0.375"}));
  EXPECT_EQ(widget("tokens_per_minute_all"), (Lines{"tokens customer1_codingbot: 7=1500",
                                                    "tokens customer1_websearch: 0=150 1=300 6=450",
                                                    "tokens customer2_websearch: 0=60"}));
  // Filled: every minute of the range, and the profile that only fails counts too.
  EXPECT_EQ(widget("requests_per_minute_all"),
            (Lines{"requests customer1_codingbot: 0=0 1=0 2=1 3=0 4=0 5=0 6=0 7=1 8=0 9=0",
                   "requests customer1_websearch: 0=1 1=2 2=0 3=0 4=0 5=0 6=1 7=0 8=0 9=0",
                   "requests customer2_websearch: 0=1 1=0 2=0 3=0 4=0 5=0 6=0 7=0 8=0 9=0",
                   "requests customer3_bot: 0=0 1=0 2=0 3=0 4=1 5=0 6=0 7=0 8=0 9=0"}));
  EXPECT_EQ(widget("requests_per_tenant"),
            (Lines{"requests customer1: 0=4 5=2", "requests customer2: 0=1 5=0",
                   "requests customer3: 0=1 5=0"}));
}

TEST_F(SeedQueriesTest, AcrossProfileWidgetsShowATenantKeyOnlyItsOwnProfiles) {
  const VisibleProfiles customer1 = VisibleProfiles::only({kC1Web, kC1Code});
  EXPECT_EQ(widget("cost_per_profile", kC1Web, 10, customer1),
            (Lines{"cost customer1_codingbot: 5=7.5", "cost customer1_websearch: 0=2.25 5=2.25"}));
  EXPECT_EQ(widget("requests_per_tenant", kC1Web, 10, customer1),
            (Lines{"requests customer1: 0=4 5=2"}));
  EXPECT_EQ(widget("requests_per_tenant", kC1Web, 10, VisibleProfiles::only({kC1Code})),
            (Lines{"requests customer1: 0=1 5=1"}));
  EXPECT_EQ(widget("token_counts", kC2Web, 10, customer1),
            (Lines{"403 permission_denied: MetricDataQueries[0].MetricStat.Metric.Dimensions: "
                   "profile \"customer2_websearch\" is not visible to this key"}));
}

TEST_F(SeedQueriesTest, TheSeedsThreeAlarms) {
  std::vector<AlarmQuery> alarms = alarmQueries(kC1Web);
  ASSERT_EQ(alarms.size(), 3u);
  EXPECT_EQ(alarms[0].name, "BedrockTokenCostAlarm-customer1_websearch");
  EXPECT_EQ(alarms[0].threshold_key, "cost_alarm_threshold");
  EXPECT_EQ(alarms[0].period, std::chrono::seconds(300));
  EXPECT_EQ(alarms[1].name, "BedrockTokensPerMinuteAlarm-customer1_websearch");
  EXPECT_EQ(alarms[1].threshold_key, "token_alarm_threshold");
  EXPECT_EQ(alarms[1].period, std::chrono::seconds(60));
  EXPECT_EQ(alarms[2].name, "BedrockRequestsPerMinuteAlarm-customer1_websearch");
  EXPECT_EQ(alarms[2].threshold_key, "request_alarm_threshold");
  EXPECT_EQ(alarms[2].period, std::chrono::seconds(60));

  EXPECT_EQ(alarm(0), (Lines{"total Token cost: 0=2.25 5=2.25"}));
  EXPECT_EQ(alarm(1), (Lines{"total Tokens per minute: 0=150 1=300 6=450"}));
  EXPECT_EQ(alarm(2),
            (Lines{"total Requests per minute: 0=1 1=2 2=0 3=0 4=0 5=0 6=1 7=0 8=0 9=0"}));
  // A profile with failures and no success series at all still counts (the seed's fault 7:
  // without FILL the sum would have no points).
  EXPECT_EQ(alarm(2, kC3Bot),
            (Lines{"total Requests per minute: 0=0 1=0 2=0 3=0 4=1 5=0 6=0 7=0 8=0 9=0"}));
  EXPECT_EQ(alarm(0, kC3Bot), (Lines{"total Token cost:"}));  // no data: not breaching
}

TEST_F(SeedQueriesTest, RequestBodyIsAValidRequest) {
  std::string body = requestBody(alarmQueries(kC1Web)[2].queries, metrics::testing::at(kT0),
                                 metrics::testing::at(kT0 + 600));
  EXPECT_NE(body.find(R"("StartTime":"2026-01-01T00:00:00.000Z")"), std::string::npos) << body;
  EXPECT_EQ(body.find("ScanBy"), std::string::npos);
  EXPECT_NE(body.find(R"j("Expression":"FILL(success, 0) + FILL(failure, 0)")j"),
            std::string::npos);
}

}  // namespace
}  // namespace costgate::metrics::seed
