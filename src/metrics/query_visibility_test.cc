#include "metrics/query_visibility.h"

#include <gtest/gtest.h>

#include "metrics/query_response.h"
#include "metrics/query_test_run.h"
#include "metrics/query_test_support.h"

namespace costgate::metrics {
namespace {

using testing::body;
using testing::expr;
using testing::kT0;
using testing::stat;
using Lines = std::vector<std::string>;

// Tenant acme owns p1 and p2; p3 belongs to another customer but carries the same TenantID tag
// value (tags are free text), so a TenantID filter alone would reach it.
class QueryVisibilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    add("Cost", "p1", "acme", 0, 1);
    add("Cost", "p1", "acme", 0, 3);
    add("Cost", "p2", "acme", 0, 10);
    add("Cost", "p3", "acme", 0, 100);
    add("Cost", "p3", "acme", 1, 200);
    add("Cost", "p4", "zeta", 0, 1000);
    source_.add("Cost", {{"TenantID", "acme"}}, testing::at(kT0), 5000);  // no profile at all
  }
  void add(const std::string& metric, const std::string& p, const std::string& tenant, int m,
           double v) {
    source_.addProfile(metric, p, tenant, kT0 + 60 * m, v);
  }
  Lines run(std::string_view queries, const VisibleProfiles& visible) {
    return testing::rendered(runMetricsQuery(body(queries), source_, visible));
  }
  static std::string tenantStat(std::string_view id, std::string_view s) {
    return fmt::format(
        R"({{"Id": "{}", "MetricStat": {{"Metric": {{"MetricName": "Cost", "Dimensions":
            [{{"Name": "TenantID", "Value": "acme"}}]}}, "Period": 60, "Stat": "{}"}}}})",
        id, s);
  }

  testing::FakeSeriesSource source_;
  VisibleProfiles acme_ = VisibleProfiles::only({"p1", "p2"});
};

TEST_F(QueryVisibilityTest, UnrestrictedSeesEverything) {
  EXPECT_EQ(run(tenantStat("m", "Sum"), VisibleProfiles::all()), (Lines{"m Cost: 0=5114 1=200"}));
}

TEST_F(QueryVisibilityTest, MetricStatWithoutAProfileReadsOnlyVisibleProfiles) {
  EXPECT_EQ(run(tenantStat("m", "Sum") + "," + tenantStat("n", "SampleCount") + "," +
                    tenantStat("a", "Average") + "," + tenantStat("lo", "Minimum") + "," +
                    tenantStat("hi", "Maximum"),
                acme_),
            (Lines{"m Cost: 0=14", "n Cost: 0=3", "a Cost: 0=4.666666666666667", "lo Cost: 0=1",
                   "hi Cost: 0=10"}));
  EXPECT_EQ(run(stat("m", "Cost", "", 60, "Sum", true), acme_), (Lines{"m Cost: 0=14"}));
  // One visible profile: read directly, so percentiles work.
  EXPECT_EQ(run(tenantStat("p", "p50"), VisibleProfiles::only({"p1"})), (Lines{"p Cost: 0=1"}));
  EXPECT_EQ(run(tenantStat("p", "p50"), acme_),
            (Lines{"400 invalid_request_error: MetricDataQueries[0].MetricStat: p50 of Cost over "
                   "several profiles is not available to a key that sees only some of the "
                   "matching series; add an InferenceProfile dimension"}));
  EXPECT_EQ(run(tenantStat("m", "Sum"), VisibleProfiles::only({})), (Lines{"m Cost:"}));
  // Every read carried an InferenceProfile the key may see.
  for (const auto& filter : source_.fetchedFilters()) {
    auto p = std::find_if(filter.begin(), filter.end(),
                          [](const Dimension& d) { return d.name == "InferenceProfile"; });
    ASSERT_NE(p, filter.end());
    EXPECT_TRUE(p->value == "p1" || p->value == "p2") << p->value;
  }
}

TEST_F(QueryVisibilityTest, NamingAnotherProfileIsForbidden) {
  EXPECT_EQ(run(stat("m", "Cost", "p3", 60, "Sum", true), acme_),
            (Lines{"403 permission_denied: MetricDataQueries[0].MetricStat.Metric.Dimensions: "
                   "profile \"p3\" is not visible to this key"}));
  EXPECT_EQ(run(expr("e",
                     "SEARCH('{costgate,TenantID} InferenceProfile=p4 MetricName=Cost', "
                     "'Sum', 60)"),
                acme_),
            (Lines{"403 permission_denied: MetricDataQueries[0].Expression: at column 1: profile "
                   "\"p4\" is not visible to this key"}));
  EXPECT_EQ(run(stat("m", "Cost", "p2", 60, "Sum", true), acme_), (Lines{"m Cost: 0=10"}));
}

TEST_F(QueryVisibilityTest, SearchFindsOnlyVisibleProfiles) {
  const char* by_profile = "SEARCH('{costgate,InferenceProfile} MetricName=Cost', 'Sum', 60)";
  const char* by_tenant = "SEARCH('{costgate,TenantID} MetricName=Cost', 'Sum', 60)";
  EXPECT_EQ(run(expr("e", by_profile), VisibleProfiles::all()),
            (Lines{"e p1: 0=4", "e p2: 0=10", "e p3: 0=100 1=200", "e p4: 0=1000"}));
  EXPECT_EQ(run(expr("e", by_profile), acme_), (Lines{"e p1: 0=4", "e p2: 0=10"}));
  EXPECT_EQ(run(expr("e", by_tenant), VisibleProfiles::all()),
            (Lines{"e acme: 0=5114 1=200", "e zeta: 0=1000"}));
  EXPECT_EQ(run(expr("e", by_tenant), acme_), (Lines{"e acme: 0=14"}));
  EXPECT_EQ(run(expr("e", std::string("SUM(") + by_tenant + ")"), acme_), (Lines{"e e: 0=14"}));
  EXPECT_EQ(run(expr("e", by_tenant), VisibleProfiles::only({"p4"})), (Lines{"e zeta: 0=1000"}));
}

}  // namespace
}  // namespace costgate::metrics
