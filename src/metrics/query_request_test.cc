#include "metrics/query_request.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace costgate::metrics {
namespace {

constexpr const char* kRange = R"("StartTime": "2026-01-01T00:00:00Z", "EndTime": 1767229200)";

Result<QueryRequest> parse(std::string_view queries, std::string_view rest = kRange) {
  std::string text = "{\"MetricDataQueries\": [" + std::string(queries) + "]";
  if (!rest.empty()) text += ", " + std::string(rest);
  text += "}";
  return parseQueryRequest(boost::json::parse(text));
}

std::string error(std::string_view queries, std::string_view rest = kRange) {
  auto r = parse(queries, rest);
  return r ? "ok" : r.error();
}

constexpr const char* kStat =
    R"({"Id": "m1", "MetricStat": {"Metric": {"MetricName": "InputTokens", "Dimensions":
        [{"Name": "TenantID", "Value": "acme"}, {"Name": "InferenceProfile", "Value": "p1"}]},
        "Period": 300, "Stat": "p99"}})";

TEST(QueryRequestTest, ParsesMetricStatAndExpressionQueries) {
  auto r = parse(std::string(kStat) +
                     R"(, {"Id": "e1", "Label": "Doubled", "ReturnData": false,
                           "Expression": "m1 * 2", "Period": 600})",
                 R"("StartTime": 1767225600, "EndTime": "2026-01-01T01:00:00.500Z",
                    "ScanBy": "TimestampAscending")");
  ASSERT_TRUE(r) << r.error();
  ASSERT_EQ(r->queries.size(), 2u);
  const MetricDataQuery& m1 = r->queries[0];
  EXPECT_EQ(m1.id, "m1");
  EXPECT_TRUE(m1.return_data);
  EXPECT_FALSE(m1.label);
  ASSERT_TRUE(m1.metric_stat);
  EXPECT_EQ(m1.metric_stat->metric, "InputTokens");
  // Sorted by name.
  EXPECT_EQ(m1.metric_stat->dimensions,
            (std::vector<Dimension>{{"InferenceProfile", "p1"}, {"TenantID", "acme"}}));
  EXPECT_EQ(m1.metric_stat->period, std::chrono::seconds(300));
  EXPECT_EQ(m1.metric_stat->stat, (Statistic{Statistic::Kind::kPercentile, 99}));
  const MetricDataQuery& e1 = r->queries[1];
  EXPECT_EQ(e1.label, "Doubled");
  EXPECT_FALSE(e1.return_data);
  EXPECT_EQ(e1.expression_text, "m1 * 2");
  EXPECT_EQ(e1.period, std::chrono::seconds(600));
  EXPECT_EQ(e1.path, "MetricDataQueries[1]");
  EXPECT_EQ(formatIso8601(r->start), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(formatIso8601(r->end), "2026-01-01T01:00:00.500Z");
  EXPECT_EQ(r->scan_by, ScanBy::kTimestampAscending);
  EXPECT_EQ(r->evaluation_order, (std::vector<size_t>{0, 1}));
}

TEST(QueryRequestTest, DefaultsAndAcceptedExtras) {
  auto r = parse(R"({"Id": "m1", "AccountId": "1", "MetricStat": {"Unit": "Count", "Metric":
                   {"Namespace": "BedrockInvocationTracing", "MetricName": "InputTokens"},
                   "Period": 60, "Stat": "Sum"}})");
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->scan_by, ScanBy::kTimestampDescending);
  EXPECT_TRUE(r->queries[0].metric_stat->dimensions.empty());
  EXPECT_EQ(formatIso8601(r->end), "2026-01-01T01:00:00.000Z");  // epoch seconds
}

TEST(QueryRequestTest, OrdersExpressionsAfterWhatTheyName) {
  auto r = parse(R"j({"Id": "e2", "Expression": "e1 + m1"},
                    {"Id": "e1", "Expression": "FILL(m1, 0)"}, )j" +
                 std::string(kStat));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->evaluation_order, (std::vector<size_t>{2, 1, 0}));
}

TEST(QueryRequestTest, ErrorsNameTheJsonPath) {
  const std::string m =
      R"("MetricStat": {"Metric": {"MetricName": "X"}, "Period": 60, "Stat": "Sum"})";
  auto q = [&](std::string_view body) { return "{" + std::string(body) + "}"; };
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"}, "Period": 90,
                        "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Period: must be 60 or a multiple of 60");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"}, "Period": 0,
                        "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Period: must be 60 or a multiple of 60");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"}, "Period": 60.5,
                        "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Period: must be 60 or a multiple of 60");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"}, "Period": "60",
                        "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Period: must be a number, got string");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"}, "Period": 60,
                        "Stat": "sum"})")),
            "MetricDataQueries[0].MetricStat.Stat: unknown statistic \"sum\" (expected Sum, "
            "SampleCount, Average, Minimum, Maximum or a percentile such as p50, p90, p99.9)");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"}, "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Period: missing required key");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X", "Namespace":
                        "AWS/EC2"}, "Period": 60, "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Metric.Namespace: \"AWS/EC2\" is not known "
            "(expected BedrockInvocationTracing or costgate)");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": ""}, "Period": 60,
                        "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Metric.MetricName: must not be empty");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X", "Dimensions":
                        [{"Name": "A", "Value": "1"}, {"Name": "A", "Value": "2"}]},
                        "Period": 60, "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Metric.Dimensions[1].Name: \"A\" appears twice");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X", "Dimensions":
                        [{"Name": "A"}]}, "Period": 60, "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Metric.Dimensions[0].Value: missing required key");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X", "Dimensions":
                        {"Name": "A"}}, "Period": 60, "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Metric.Dimensions: must be an array, got object");
  EXPECT_EQ(error(q(R"("Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"}, "Peroid": 60,
                        "Stat": "Sum"})")),
            "MetricDataQueries[0].MetricStat.Peroid: unknown key");
  EXPECT_EQ(error(q(R"("Id": "M1", )" + m)),
            "MetricDataQueries[0].Id: \"M1\" must start with a lowercase letter and hold only "
            "letters, digits and underscores (at most 255)");
  EXPECT_EQ(error(q(m)), "MetricDataQueries[0].Id: missing required key");
  EXPECT_EQ(error(q(R"("Id": "m1", "ReturnData": "yes", )" + m)),
            "MetricDataQueries[0].ReturnData: must be a boolean, got string");
  EXPECT_EQ(error(q(R"("Id": "m1")")),
            "MetricDataQueries[0]: must have exactly one of MetricStat and Expression");
  EXPECT_EQ(error(q(R"("Id": "m1", "Expression": "1", )" + m)),
            "MetricDataQueries[0]: must have exactly one of MetricStat and Expression");
  EXPECT_EQ(error(q(R"("Id": "m1", "Period": 60, )" + m)),
            "MetricDataQueries[0].Period: goes inside MetricStat for a metric");
  EXPECT_EQ(error(q(R"("Id": "e1", "Expression": "m1 +* 2")")),
            "MetricDataQueries[0].Expression: at column 5: expected a number, an Id, a function "
            "or \"(\", found \"*\"");
  EXPECT_EQ(error(q(R"("Id": "e1", "Expression": "")")),
            "MetricDataQueries[0].Expression: must not be empty");
  EXPECT_EQ(error("3"), "MetricDataQueries[0]: must be an object, got number");
  EXPECT_EQ(error(""), "MetricDataQueries: must hold at least one query");
}

TEST(QueryRequestTest, RefusesUnknownIdsDuplicatesAndCycles) {
  EXPECT_EQ(error(std::string(kStat) + R"(, {"Id": "e1", "Expression": "m1 + m2"})"),
            "MetricDataQueries[1].Expression: \"m2\" is not the Id of a query in this request");
  EXPECT_EQ(error(std::string(kStat) + ", " + kStat),
            "MetricDataQueries[1].Id: \"m1\" is the Id of an earlier query too");
  EXPECT_EQ(error(R"({"Id": "e1", "Expression": "e1 + 1"})"),
            "MetricDataQueries[0].Expression: refers to itself through e1 -> e1");
  EXPECT_EQ(error(R"j({"Id": "a", "Expression": "b"}, {"Id": "b", "Expression": "FILL(c, 0)"},
                     {"Id": "c", "Expression": "a * 2"})j"),
            "MetricDataQueries[0].Expression: refers to itself through a -> b -> c -> a");
}

TEST(QueryRequestTest, RequestLevelErrors) {
  EXPECT_EQ(error(kStat, R"("StartTime": "2026-01-01", "EndTime": "2026-01-01")"),
            "EndTime: must be after StartTime");
  EXPECT_EQ(error(kStat, R"("StartTime": "yesterday", "EndTime": 1)"),
            "StartTime: \"yesterday\" is not an ISO-8601 UTC time such as 2026-01-01T00:00:00Z");
  EXPECT_EQ(error(kStat, R"("StartTime": -5, "EndTime": 1)"),
            "StartTime: must be epoch seconds between 1970 and 3000");
  EXPECT_EQ(error(kStat, R"("StartTime": true, "EndTime": 1)"),
            "StartTime: must be an ISO-8601 string or epoch seconds, got boolean");
  EXPECT_EQ(error(kStat, R"("StartTime": 0)"), "EndTime: missing required key");
  EXPECT_EQ(error(kStat, std::string(kRange) + R"(, "ScanBy": "Newest")"),
            "ScanBy: \"Newest\" is not TimestampDescending or TimestampAscending");
  EXPECT_EQ(error(kStat, std::string(kRange) + R"(, "NextToken": "x")"), "NextToken: unknown key");
  EXPECT_EQ(parseQueryRequest(boost::json::parse("[]")).error(),
            "request: must be an object, got array");
  EXPECT_EQ(parseQueryRequest(boost::json::parse(std::string("{") + kRange + "}")).error(),
            "MetricDataQueries: missing required key");
  std::string many;
  for (int i = 0; i <= 500; ++i)
    many += (i ? "," : "") + std::string(R"({"Id": "e)") + std::to_string(i) +
            R"(", "Expression": "1"})";
  EXPECT_EQ(error(many), "MetricDataQueries: must hold at most 500 queries, got 501");
}

TEST(QueryRequestTest, RefusesRangesWithTooManyPeriods) {
  // 100,800 minutes fit; one minute more does not.
  EXPECT_EQ(error(kStat, R"("StartTime": 0, "EndTime": 6048000)"), "ok");
  const char* minute = R"({"Id": "m1", "MetricStat": {"Metric": {"MetricName": "X"},
                           "Period": 60, "Stat": "Sum"}})";
  EXPECT_EQ(error(minute, R"("StartTime": 0, "EndTime": 6048000)"), "ok");
  EXPECT_EQ(error(minute, R"("StartTime": 0, "EndTime": 6048060)"),
            "MetricDataQueries[0]: the time range holds more than 100800 periods of 60 s; use a "
            "longer period or a shorter range");
}

}  // namespace
}  // namespace costgate::metrics
