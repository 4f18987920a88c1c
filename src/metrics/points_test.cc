#include "metrics/points.h"

#include <gtest/gtest.h>

namespace costgate::metrics {
namespace {

const TimePoint kStart = TimePoint(std::chrono::milliseconds(1772409600123));

metering::UsageRecord record() {
  metering::UsageRecord r;
  r.started_at = kStart;
  r.first_token_at = kStart + std::chrono::milliseconds(250);
  r.ended_at = kStart + std::chrono::milliseconds(1800);
  r.profile_name = "customer1_websearch";
  r.tags = {{"TenantID", "customer1"}, {"ApplicationID", "websearch"}, {"Environment", "Prod"}};
  r.usage = {1000, 200, 300, 0};
  r.cost.plain_input = *Money::parse("0.00025");
  r.cost.cache_read = *Money::parse("0.0000075");
  r.cost.output = *Money::parse("0.00025");
  return r;
}

TEST(PointsTest, ASuccessfulCallWithEveryTagKey) {
  const std::vector<Dimension> dims = {{"ApplicationID", "websearch"},
                                       {"Environment", "Prod"},
                                       {"InferenceProfile", "customer1_websearch"},
                                       {"TenantID", "customer1"}};
  auto p = [&](const char* metric, Fixed v) { return Point{{metric, dims}, kStart, v}; };
  EXPECT_EQ(pointsOf(record(), {}), (std::vector<Point>{
                                        p("InputTokens", fixedFromInt(1000)),
                                        p("OutputTokens", fixedFromInt(200)),
                                        p("InputTokensCost", Money::parse("0.0002575")->raw()),
                                        p("OutputTokensCost", Money::parse("0.00025")->raw()),
                                        p("InvocationSuccess", kFixedOne),
                                        p("CacheReadTokens", fixedFromInt(300)),
                                        p("InvocationLatency", fixedFromInt(1800)),
                                        p("TimeToFirstToken", fixedFromInt(250)),
                                    }));
}

TEST(PointsTest, AThrottledFailureWithConfiguredTagKeys) {
  metering::UsageRecord r = record();
  r.status = metering::CallStatus::kFailure;
  r.http_status = 429;
  r.usage = {};
  r.cost = {};
  r.first_token_at.reset();
  r.tags.push_back({"inferenceprofile", "spoof"});  // never a second InferenceProfile
  PointOptions opt;
  opt.tag_keys = std::vector<std::string>{"tenantid", "CostCenter"};
  const std::vector<Dimension> dims = {{"InferenceProfile", "customer1_websearch"},
                                       {"TenantID", "customer1"}};
  auto p = [&](const char* metric, Fixed v) { return Point{{metric, dims}, kStart, v}; };
  EXPECT_EQ(pointsOf(r, opt), (std::vector<Point>{
                                  p("InputTokens", 0),
                                  p("OutputTokens", 0),
                                  p("InputTokensCost", 0),
                                  p("OutputTokensCost", 0),
                                  p("InvocationFailure", kFixedOne),
                                  p("InvocationThrottled", kFixedOne),
                                  p("InvocationLatency", fixedFromInt(1800)),
                              }));
}

}  // namespace
}  // namespace costgate::metrics
