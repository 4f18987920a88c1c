#pragma once
// The queries behind the seed's dashboard widgets and alarms (reference/seed-sample.md), as
// GetMetricData MetricDataQueries (query_request.h), so the dashboard, the alarms and the tests
// share one definition. Metric names and the InferenceProfile dimension are the seed's.

#include <boost/json/array.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "metrics/query_request.h"

namespace costgate::metrics::seed {

struct Widget {
  std::string key;    // stable name, e.g. "token_counts"
  std::string title;  // as the dashboard shows it, e.g. "Token counts (5 min)"
  bool per_profile;   // false: across all profiles (stacked bars, one series per group)
  boost::json::array queries;
};

// Per profile (for `profile`): token_counts, token_costs (5 min), tokens_per_minute,
// requests_per_minute (success and failure), daily_tokens, daily_costs, daily_requests. Across
// profiles: cost_per_profile (5 min), requests_per_minute_all, tokens_per_minute_all (one
// series per profile, labelled with its name) and requests_per_tenant (5 min, one series per
// TenantID value). Requests sums FILL both counters with 0 so a profile with only failures (or
// only successes) still counts; token and cost metrics are recorded together and are not filled.
std::vector<Widget> dashboardWidgets(std::string_view profile);

struct AlarmQuery {
  std::string name;             // "BedrockTokenCostAlarm-{profile}", the seed's alarm name
  std::string threshold_key;    // the config.json key of its threshold, e.g. "cost_alarm_threshold"
  std::chrono::seconds period;  // the period the expression is computed per
  boost::json::array queries;   // one query with ReturnData, Id "total"; the others hidden
};

// The seed's three alarms for `profile`, each compared ">= threshold" over one period:
// InputTokensCost + OutputTokensCost (Sum, 300 s), InputTokens + OutputTokens (Sum, 60 s) and
// FILL(InvocationSuccess, 0) + FILL(InvocationFailure, 0) (Sum, 60 s; filled so that one counter
// without data does not hide the other, the seed's fault 7).
std::vector<AlarmQuery> alarmQueries(std::string_view profile);

// A request body for `queries` over [start, end), timestamps in `scan_by` order (charts want
// oldest first).
std::string requestBody(const boost::json::array& queries, TimePoint start, TimePoint end,
                        ScanBy scan_by = ScanBy::kTimestampDescending);

}  // namespace costgate::metrics::seed
