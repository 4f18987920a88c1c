#include "metrics/query_eval.h"

#include <gtest/gtest.h>

#include "metrics/query_response.h"
#include "metrics/query_test_run.h"
#include "metrics/query_test_support.h"

namespace costgate::metrics {
namespace {

using testing::body;
using testing::expr;
using testing::FakeSeriesSource;
using testing::kT0;
using testing::stat;
using Lines = std::vector<std::string>;

class QueryEvalTest : public ::testing::Test {
 protected:
  // Sample of `metric` for profile `p` (tenant `tenant`) at minute `m` (+ `s` seconds) after kT0.
  void add(const std::string& metric, const std::string& p, int m, double v,
           const std::string& tenant = "acme", int s = 0) {
    source_.addProfile(metric, p, tenant, kT0 + 60 * m + s, v);
  }
  Lines run(std::string_view queries, int from = 0, int to = 10,
            const VisibleProfiles& visible = VisibleProfiles::all()) {
    return testing::rendered(runMetricsQuery(body(queries, from, to), source_, visible));
  }
  // m1 = A's Sum per minute: 1 at 0, 2 at 1, 4 at 3; m2 = B's: 10 at 1, 20 at 2, 40 at 3.
  void twoSeries() {
    add("X", "a", 0, 1);
    add("X", "a", 1, 2);
    add("X", "a", 3, 4);
    add("X", "b", 1, 10);
    add("X", "b", 2, 20);
    add("X", "b", 3, 40);
  }
  std::string m12() { return stat("m1", "X", "a") + ", " + stat("m2", "X", "b") + ", "; }

  FakeSeriesSource source_;
};

TEST_F(QueryEvalTest, MetricStatReadsEachStatisticPerPeriod) {
  add("Latency", "a", 0, 10, "acme", 5);
  add("Latency", "a", 0, 30, "acme", 50);
  add("Latency", "a", 2, 20);
  add("Latency", "a", 7, 5);  // another 5-minute period
  auto q = [&](std::string_view id, std::string_view s, int period = 60) {
    return stat(id, "Latency", "a", period, s, true);
  };
  EXPECT_EQ(
      run(q("s", "Sum") + "," + q("n", "SampleCount") + "," + q("avg", "Average") + "," +
          q("lo", "Minimum") + "," + q("hi", "Maximum") + "," + q("p", "p50") + "," +
          q("five", "Sum", 300)),
      (Lines{"s Latency: 0=40 2=20 7=5", "n Latency: 0=2 2=1 7=1", "avg Latency: 0=20 2=20 7=5",
             "lo Latency: 0=10 2=20 7=5", "hi Latency: 0=30 2=20 7=5", "p Latency: 0=10 2=20 7=5",
             "five Latency: 0=60 5=5"}));
}

TEST_F(QueryEvalTest, ResultJsonIsNewestFirstByDefaultWithIsoTimestamps) {
  add("X", "a", 0, 1.5);
  add("X", "a", 2, 2);
  std::string request = fmt::format(
      R"({{"MetricDataQueries": [{}], "StartTime": "2026-01-01T00:00:00Z", "EndTime": {}}})",
      stat("m1", "X", "a", 60, "Sum", true), kT0 + 600);
  QueryResponse r = runMetricsQuery(request, source_, VisibleProfiles::all());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"MetricDataResults":[{"Id":"m1","Label":"X","Timestamps":)"
                    R"(["2026-01-01T00:02:00.000Z","2026-01-01T00:00:00.000Z"],"Values":[2,1.5],)"
                    R"("StatusCode":"Complete"}],"Messages":[]})");
}

TEST_F(QueryEvalTest, RangeIsPeriodsStartingInStartToEnd) {
  for (int m = 0; m < 6; ++m) add("X", "a", m, m);
  EXPECT_EQ(run(stat("m1", "X", "a", 60, "Sum", true), 2, 4), (Lines{"m1 X: 2=2 3=3"}));
}

TEST_F(QueryEvalTest, ArithmeticIsPointwiseOnTimestampsBothHave) {
  twoSeries();
  EXPECT_EQ(run(m12() + expr("e", "m1 + m2")), (Lines{"e e: 1=12 3=44"}));
  EXPECT_EQ(run(m12() + expr("e", "m2 - m1")), (Lines{"e e: 1=8 3=36"}));
  EXPECT_EQ(run(m12() + expr("e", "m1 * m2")), (Lines{"e e: 1=20 3=160"}));
  EXPECT_EQ(run(m12() + expr("e", "m2 / m1")), (Lines{"e e: 1=5 3=10"}));
  EXPECT_EQ(run(m12() + expr("e", "m1 + 2 * 3")), (Lines{"e e: 0=7 1=8 3=10"}));
  EXPECT_EQ(run(m12() + expr("e", "(m1 + 2) * 3")), (Lines{"e e: 0=9 1=12 3=18"}));
  EXPECT_EQ(run(m12() + expr("e", "10 / m1 - -m1")), (Lines{"e e: 0=11 1=7 3=6.5"}));
  EXPECT_EQ(run(m12() + expr("e", "-(m1 - m2) / 2", R"(, "Label": "Half")")),
            (Lines{"e Half: 1=4 3=18"}));
}

TEST_F(QueryEvalTest, DivisionByZeroYieldsNoPoint) {
  add("X", "a", 0, 0);
  add("X", "a", 1, 2);
  add("X", "b", 0, 5);
  add("X", "b", 1, 4);
  EXPECT_EQ(run(m12() + expr("e", "m2 / m1")), (Lines{"e e: 1=2"}));
  EXPECT_EQ(run(m12() + expr("e", "m2 / 0")), (Lines{"e e:"}));
  EXPECT_EQ(run(m12() + expr("e", "m2 * (1 / 0) + 1")), (Lines{"e e:"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL(m2 / m1, 0)"), 0, 3), (Lines{"e e: 0=0 1=2 2=0"}));
}

TEST_F(QueryEvalTest, FillGivesEveryPeriodOfTheRangeAValue) {
  twoSeries();
  EXPECT_EQ(run(m12() + expr("e", "FILL(m1, 0)"), 0, 5), (Lines{"e e: 0=1 1=2 2=0 3=4 4=0"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL(m1, 2 * -3)"), 0, 4), (Lines{"e e: 0=1 1=2 2=-6 3=4"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL(m1, 0) + FILL(m2, 0)"), 0, 5),
            (Lines{"e e: 0=1 1=12 2=20 3=44 4=0"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL(m2, REPEAT)"), 0, 6),
            (Lines{"e e: 1=10 2=20 3=40 4=40 5=40"}));  // nothing before the first point
  // A metric with no data at all fills to the value everywhere.
  EXPECT_EQ(run(stat("m", "Nothing", "a") + "," + expr("e", "FILL(m, 7)"), 2, 5),
            (Lines{"e e: 2=7 3=7 4=7"}));
  // The periods of a 5-minute series; a range starting mid-period begins at the next one.
  EXPECT_EQ(run(stat("m", "X", "a", 300) + "," + expr("e", "FILL(m, 0)"), 3, 16),
            (Lines{"e e: 5=0 10=0 15=0"}));
}

TEST_F(QueryEvalTest, SumCollapsesArraysAndTotalsASingleSeries) {
  twoSeries();
  EXPECT_EQ(run(m12() + expr("e", "SUM([m1, m2])")), (Lines{"e e: 0=1 1=12 2=20 3=44"}));
  EXPECT_EQ(run(m12() + expr("e", "SUM([m1, m2, m1 * 0 + 1])")),
            (Lines{"e e: 0=2 1=13 2=20 3=45"}));
  // SUM(series) is a number: each point's share of the total.
  EXPECT_EQ(run(m12() + expr("e", "m1 / SUM(m1) * 7")), (Lines{"e e: 0=1 1=2 3=4"}));
  EXPECT_EQ(
      run(m12() + expr("e", "SUM(m1) + 0", R"(, "ReturnData": false)") + "," + expr("f", "m2 - e")),
      (Lines{"f f: 1=3 2=13 3=33"}));
}

TEST_F(QueryEvalTest, ArraysCombineWithNumbersSeriesAndEachOtherByLabel) {
  twoSeries();
  EXPECT_EQ(run(m12() + expr("e", "[m1, m2] * 2")),
            (Lines{"e X: 0=2 1=4 3=8", "e X: 1=20 2=40 3=80"}));
  EXPECT_EQ(run(m12() + expr("e", "[m2] - m1", R"(, "Label": "Diff")")),
            (Lines{"e Diff X: 1=8 3=36"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL([m1, m2], 0)"), 0, 3),
            (Lines{"e X: 0=1 1=2 2=0", "e X: 0=0 1=10 2=20"}));
  EXPECT_EQ(run(m12() + expr("e", "[1, m1]")),
            (Lines{"400 invalid_request_error: MetricDataQueries[2].Expression: at column 2: an "
                   "array holds time series, not numbers"}));
}

TEST_F(QueryEvalTest, SearchGroupsEveryProfilesSeriesByADimension) {
  add("Cost", "p1", 0, 1, "acme");
  add("Cost", "p1", 1, 2, "acme");
  add("Cost", "p2", 1, 4, "acme");
  add("Cost", "p3", 0, 8, "zeta");
  add("Calls", "p3", 0, 1, "zeta");
  const char* by_tenant =
      "SEARCH('{BedrockInvocationTracing,TenantID} MetricName=Cost', 'Sum', 60)";
  EXPECT_EQ(run(expr("e", by_tenant)), (Lines{"e acme: 0=1 1=6", "e zeta: 0=8"}));
  EXPECT_EQ(run(expr("e", by_tenant, R"(, "Label": "Cost of")")),
            (Lines{"e Cost of acme: 0=1 1=6", "e Cost of zeta: 0=8"}));
  EXPECT_EQ(run(expr("e", "SEARCH('{costgate,InferenceProfile} MetricName=Cost', 'Sum', 120)")),
            (Lines{"e p1: 0=3", "e p2: 0=4", "e p3: 0=8"}));
  EXPECT_EQ(run(expr("e",
                     "SEARCH('{costgate,InferenceProfile,TenantID} TenantID=acme "
                     "MetricName=Cost', 'Maximum')",
                     R"(, "Period": 60)")),
            (Lines{"e p1 acme: 0=1 1=2", "e p2 acme: 1=4"}));
  EXPECT_EQ(run(expr("e", std::string("SUM(") + by_tenant + ") * 10")), (Lines{"e e: 0=90 1=60"}));
  EXPECT_EQ(run(expr("e", "SEARCH('{costgate,ApplicationID} MetricName=Cost', 'Sum', 60)")),
            (Lines{}));
  EXPECT_EQ(run(expr("e",
                     "FILL(SUM(SEARCH('{costgate,TenantID} MetricName=None', 'Sum', 60)), "
                     "0)"),
                0, 2),
            (Lines{"e e: 0=0 1=0"}));
  // Two arrays pair their series by label; a FILLed array stands in for the labels it lacks.
  const std::string calls = "SEARCH('{costgate,InferenceProfile} MetricName=Calls', 'Sum', 60)";
  const std::string cost = "SEARCH('{costgate,InferenceProfile} MetricName=Cost', 'Sum', 60)";
  EXPECT_EQ(run(expr("e", cost + " + " + calls)), (Lines{"e p3: 0=9"}));
  EXPECT_EQ(run(expr("e", cost + " + FILL(" + calls + ", 0)"), 0, 2),
            (Lines{"e p1: 0=1 1=2", "e p2: 1=4", "e p3: 0=9"}));
}

TEST_F(QueryEvalTest, SearchIsCutAt500SeriesAndMarkedPartial) {
  for (int i = 0; i < 501; ++i) add("X", fmt::format("p{:03}", i), 0, i);
  Lines lines = run(expr("e", "SEARCH('{costgate,InferenceProfile} MetricName=X', 'Sum', 60)"));
  ASSERT_EQ(lines.size(), 500u);
  EXPECT_EQ(lines[0], "e p000: 0=0 (PartialData)");
  EXPECT_EQ(lines[499], "e p499: 0=499 (PartialData)");
}

TEST_F(QueryEvalTest, EvaluationErrorsNameTheQuery) {
  twoSeries();
  EXPECT_EQ(run(m12() + expr("e", "SUM(m1) * 2")),
            (Lines{"400 invalid_request_error: MetricDataQueries[2].Expression: yields a number, "
                   "not a time series; set ReturnData to false to use it only in other "
                   "expressions"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL(3, 0)")),
            (Lines{"400 invalid_request_error: MetricDataQueries[2].Expression: at column 6: FILL "
                   "needs a time series or an array, got a number"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL(m1, m2)")),
            (Lines{"400 invalid_request_error: MetricDataQueries[2].Expression: at column 10: "
                   "FILL's value must be a number or REPEAT, got a time series"}));
  EXPECT_EQ(run(m12() + expr("e", "FILL(m1, 1 / 0)")),
            (Lines{"400 invalid_request_error: MetricDataQueries[2].Expression: at column 12: "
                   "FILL's value is not a finite number"}));
  EXPECT_EQ(run(expr("e", "SEARCH('{costgate,TenantID} MetricName=X', 'Sum')")),
            (Lines{"400 invalid_request_error: MetricDataQueries[0].Expression: at column 1: "
                   "SEARCH needs a period: a third argument, or the query's Period"}));
  EXPECT_EQ(testing::rendered(
                runMetricsQuery("{\"MetricDataQueries\": [", source_, VisibleProfiles::all())),
            (Lines{"400 invalid_request_error: malformed JSON at line 1, column 24: incomplete "
                   "JSON"}));
  EXPECT_EQ(testing::rendered(runMetricsQuery(" ", source_, VisibleProfiles::all())),
            (Lines{"400 invalid_request_error: the request body is empty; expected a JSON "
                   "object"}));
}

TEST_F(QueryEvalTest, ErrorsOfTheSourceNameTheQuery) {
  class Failing final : public SeriesSource {
    std::vector<SeriesKey> findSeries(std::string_view,
                                      const std::vector<Dimension>&) const override {
      return {};
    }
    Result<Datapoints> fetch(std::string_view, const std::vector<Dimension>&, TimePoint, TimePoint,
                             std::chrono::seconds period, const Statistic&) const override {
      return makeError("period 60 s is finer than the 5-minute data kept for this range");
    }
  } failing;
  EXPECT_EQ(testing::rendered(runMetricsQuery(body(stat("m1", "X", "a", 60, "Sum", true)), failing,
                                              VisibleProfiles::all())),
            (Lines{"400 invalid_request_error: MetricDataQueries[0].MetricStat: period 60 s is "
                   "finer than the 5-minute data kept for this range"}));
}

}  // namespace
}  // namespace costgate::metrics
