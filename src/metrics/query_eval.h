#pragma once
// Evaluation of a QueryRequest (query_request.h) against a SeriesSource, with CloudWatch's
// metric math semantics:
//
// - A MetricStat reads `Stat` of its metric per `Period` over every series that carries its
//   Dimensions, merged (SeriesSource::fetch); only periods with samples have a point.
// - Values are numbers, time series, or arrays of time series (SEARCH's result, a [a, b] list).
// - a ⊕ b (+ - * /) between two series is computed at the timestamps both have; a timestamp
//   missing in either operand is missing in the result. series ⊕ number applies to each point.
//   An array ⊕ a number or a series applies to each series of the array. Two arrays combine
//   their series with equal labels (costgate's extension, so per-profile or per-tenant sums are
//   expressible); a label in one array only is missing from the result, unless that array was
//   FILLed: then the missing series counts as the fill value at every period.
// - A point whose value is not a finite number (x / 0, overflow) is missing.
// - FILL(x, v) gives every period of [StartTime, EndTime) that x (a series, or each series of an
//   array) lacks the number v; FILL(x, REPEAT) the latest earlier value (periods before x's
//   first point stay missing).
// - SUM(array) is one series: at each timestamp any of the series has, the sum of those present.
//   SUM(series) is a number, the sum of its points (CloudWatch's rule for a single series).
// - SEARCH(…) is an array: one series per group (query_expression.h), ordered by label; at most
//   kMaxSearchSeries, beyond which the query's results are marked PartialData.
//
// A query's result series are labelled with its Label, else its metric's name (MetricStat) or
// its Id (Expression); a series of an array is labelled with its own label, prefixed by the
// query's Label and a space when one is given. A query with ReturnData whose value is a number
// is an error.

#include <string>
#include <vector>

#include "common/result.h"
#include "metrics/query_request.h"
#include "metrics/query_visibility.h"
#include "metrics/series.h"

namespace costgate::metrics {

inline constexpr size_t kMaxSearchSeries = 500;

struct MetricDataResult {
  std::string id;
  std::string label;
  Datapoints points;                     // ascending by timestamp
  std::string status_code = "Complete";  // or "PartialData" (a SEARCH cut at kMaxSearchSeries)
};

struct QueryResult {
  std::vector<MetricDataResult> results;  // ReturnData queries only, in request order
  ScanBy scan_by = ScanBy::kTimestampDescending;
};

// Refuses a request that names (by a MetricStat dimension or a SEARCH term) an InferenceProfile
// that `visible` does not allow, with a message naming the query. Queries that do not name a
// profile are restricted silently instead (VisibleSeries).
Status checkVisibility(const QueryRequest& request, const VisibleProfiles& visible);

// Evaluates every query of `request`, reading only what `visible` allows. Errors name the query
// ("MetricDataQueries[2].Expression: at column 5: …").
Result<QueryResult> evaluateQuery(const QueryRequest& request, const SeriesSource& source,
                                  const VisibleProfiles& visible);

}  // namespace costgate::metrics
