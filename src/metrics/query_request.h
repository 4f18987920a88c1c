#pragma once
// A metrics query request, modelled on CloudWatch's GetMetricData:
//
//   {"MetricDataQueries": [QUERY, …],           1 to 500 queries
//    "StartTime": T, "EndTime": T,              ISO-8601 UTC text or epoch seconds; Start < End
//    "ScanBy": "TimestampDescending"}           optional; or "TimestampAscending"
//   QUERY := {"Id": "m1",                       CloudWatch's rule, unique in the request
//             "Label": "…",                     optional
//             "ReturnData": true,               optional, default true
//             and either
//             "MetricStat": {"Metric": {"MetricName": "InputTokens",
//                                       "Namespace": "BedrockInvocationTracing",  optional
//                                       "Dimensions": [{"Name": …, "Value": …}]}, optional
//                            "Period": 300,     60 or a multiple of 60
//                            "Stat": "Sum"}     Sum, SampleCount, Average, Minimum, Maximum, pNN
//             or
//             "Expression": "m1 + m2",          query_expression.h
//             "Period": 300}                    optional; SEARCH's period when it names none
//
// Namespace, when given, is BedrockInvocationTracing or costgate (both name costgate's metrics).
// Unit and AccountId are accepted and ignored (SDKs send them); any other key is an error. The
// periods a query reads are those that start in [StartTime, EndTime), aligned to the epoch; a
// range may hold at most kMaxPeriodsPerQuery periods of any period a query names.

#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "metrics/query_expression.h"
#include "metrics/series.h"

namespace costgate::metrics {

inline constexpr size_t kMaxQueriesPerRequest = 500;
inline constexpr int64_t kMaxPeriodsPerQuery = 100'800;  // CloudWatch's datapoint limit

struct MetricStatSpec {
  std::string metric;
  std::vector<Dimension> dimensions;  // sorted by name, each name once
  std::chrono::seconds period{60};
  Statistic stat;
};

struct MetricDataQuery {
  std::string id;
  std::optional<std::string> label;
  bool return_data = true;
  std::optional<MetricStatSpec> metric_stat;  // exactly one of metric_stat and expression
  std::string expression_text;
  ExprPtr expression;
  std::optional<std::chrono::seconds> period;  // an expression's Period
  std::string path;  // "MetricDataQueries[3]", for messages about this query
};

enum class ScanBy { kTimestampDescending, kTimestampAscending };

struct QueryRequest {
  std::vector<MetricDataQuery> queries;
  TimePoint start;
  TimePoint end;
  ScanBy scan_by = ScanBy::kTimestampDescending;
  // Indexes into `queries` such that each query comes after every query its expression names.
  std::vector<size_t> evaluation_order;
};

// The request `body` describes, validated: every error names its JSON path, e.g.
// "MetricDataQueries[2].MetricStat.Period: must be 60 or a multiple of 60". Expressions must name
// only Ids of the request and must not refer to themselves, directly or not.
Result<QueryRequest> parseQueryRequest(const boost::json::value& body);

}  // namespace costgate::metrics
