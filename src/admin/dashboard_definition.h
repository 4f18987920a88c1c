#pragma once
// A dashboard definition: what the page at `/` draws, stored as JSON (store/dashboard_store.h)
// and edited through PUT /api/v1/dashboards/{name}.
//
//   {"title": "…",
//    "widgets": [{"key": "token_counts",            [a-z0-9_]{1,64}, unique
//                 "title": "Token counts (5 min)",
//                 "scope": "profile" | "all",        per selected profile, or across profiles
//                 "view": "line" | "bar",
//                 "stacked": false,                  optional, default false
//                 "unit": "tokens" | "usd" | "requests" | "",   optional
//                 "queries": [MetricDataQuery, …]}, …],          1 to 20 per widget
//    "chargeback": {"group_by": "tag:TenantID"}}    optional; the table's first grouping
//
// Queries are GetMetricData MetricDataQueries (metrics/query_request.h); in a "profile" widget
// the dimension value "${profile}" stands for the selected profile's name. The page may raise a
// query's period to fit the time range (it never lowers it). Ids are local to a widget.

#include <boost/json/value.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace costgate::admin {

// The placeholder for the selected profile in a "profile" widget's queries.
inline constexpr std::string_view kProfilePlaceholder = "${profile}";

// The seed's dashboard (reference/seed-sample.md), its queries from metrics/query_seed.h: per
// profile token counts and token costs per 5 min, tokens and requests per minute, daily tokens,
// costs and requests; across profiles, stacked bars of cost per profile, requests and tokens per
// minute and requests per tenant (TenantID). `title` is the dashboard's name.
boost::json::object defaultDashboard(std::string_view title);

// Ok when `definition` is a valid definition (format above); otherwise an error that begins
// with the JSON path of the first problem, e.g. "widgets[2].queries[0].MetricStat.Period: must be
// 60 or a multiple of 60".
Status validateDashboard(const boost::json::value& definition);

// A dashboard name: 1 to 255 characters of [A-Za-z0-9_.-] (CloudWatch's rule for dashboard
// names), so it is safe in a URL path. Error text says so.
Status validateDashboardName(std::string_view name);

}  // namespace costgate::admin
