#include "metrics/series.h"

#include <gtest/gtest.h>

namespace costgate::metrics {
namespace {

TEST(StatisticTest, ParsesCloudWatchNamesAndRoundTrips) {
  for (const char* text :
       {"Sum", "SampleCount", "Average", "Minimum", "Maximum", "p50", "p90", "p99", "p99.9"}) {
    auto s = Statistic::parse(text);
    ASSERT_TRUE(s) << text;
    EXPECT_EQ(s->name(), text);
  }
  EXPECT_EQ(Statistic::parse("p99.9")->percentile, 99.9);
  EXPECT_EQ(Statistic::parse("Average")->kind, Statistic::Kind::kAverage);
}

TEST(StatisticTest, RefusesOtherTextNamingIt) {
  for (const char* text : {"sum", "p0", "p100", "p", "p-5", "p50x", "Median", ""}) {
    auto s = Statistic::parse(text);
    ASSERT_FALSE(s) << text;
    EXPECT_NE(s.error().find(std::string("\"") + text + "\""), std::string::npos) << s.error();
  }
}

TEST(SeriesKeyTest, OrdersByMetricThenDimensions) {
  SeriesKey a{"InputTokens", {{"InferenceProfile", "a"}}};
  SeriesKey b{"InputTokens", {{"InferenceProfile", "b"}}};
  SeriesKey c{"OutputTokens", {{"InferenceProfile", "a"}}};
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a, (SeriesKey{"InputTokens", {{"InferenceProfile", "a"}}}));
}

}  // namespace
}  // namespace costgate::metrics
