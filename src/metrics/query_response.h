#pragma once
// The whole metrics query: a GetMetricData-style request body in, a GetMetricDataResult-style
// JSON body (or an error) out. `POST /api/v1/metrics/query` and `costgate metrics query` are
// thin calls to runMetricsQuery.
//
// Result body:
//   {"MetricDataResults": [{"Id": "m1", "Label": "InputTokens",
//                           "Timestamps": ["2026-01-01T00:05:00.000Z", …],   ISO-8601 UTC
//                           "Values": [12, 0.5, …],
//                           "StatusCode": "Complete"}, …],                   or "PartialData"
//    "Messages": []}
// Timestamps are newest first unless the request's ScanBy is TimestampAscending; each is the
// start of its period. A query whose value is an array of series gives one result per series,
// each with the query's Id.

#include <string>
#include <string_view>

#include "metrics/query_eval.h"
#include "metrics/query_visibility.h"
#include "metrics/series.h"

namespace costgate::metrics {

struct QueryResponse {
  int status = 200;        // 200, 400 (invalid request) or 403 (names a profile not visible)
  std::string error_type;  // "invalid_request_error" or "permission_denied" when status != 200
  std::string body;        // the result JSON when status is 200, else the error's message
};

// Parses, checks and evaluates `request_body`, reading `source` only where `visible` allows.
QueryResponse runMetricsQuery(std::string_view request_body, const SeriesSource& source,
                              const VisibleProfiles& visible);

// The result body for `result` (format above).
std::string resultJson(const QueryResult& result);

}  // namespace costgate::metrics
