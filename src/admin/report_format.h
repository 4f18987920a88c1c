#pragma once
// A chargeback report (metering/report.h) as the admin API and `costgate report` print it: JSON
// (exact decimal strings for money, null for a group a record had no value in) and CSV (RFC 4180,
// "(none)" for such a group, one row per report row, no totals line).

#include <boost/json/object.hpp>
#include <string>

#include "metering/report.h"

namespace costgate::admin {

// Shown for a record that lacks the tag a report groups by (CSV and tables).
inline constexpr std::string_view kNoGroupValue = "(none)";

// {"from", "to", "granularity", "group_by": [...], "archived_before": T|null,
//  "rows": [{"group": {"tag:TenantID": V|null, ...}, "period_start": T (not for "total"),
//            "calls", "failures", "input_tokens", "output_tokens", "cache_read_tokens",
//            "cache_write_tokens", "input_cost_usd", "output_cost_usd", "total_cost_usd"}],
//  "totals": {"calls", ..., "total_cost_usd"}}; times are ISO 8601 UTC.
boost::json::object reportJson(const metering::Report& report, const metering::ReportQuery& q);

// The counts, tokens and exact costs of one row or of the totals, as in reportJson.
boost::json::object totalsJson(const metering::UsageTotals& t);

// Header: each group's name, then period_start (YYYY-MM-DD, not for "total"), calls, failures,
// the four token counts and the three costs in USD.
std::string reportCsv(const metering::Report& report, const metering::ReportQuery& q);

}  // namespace costgate::admin
