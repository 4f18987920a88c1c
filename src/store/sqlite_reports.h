#pragma once
// The SQLite implementation of metering::UsageReports over the store file's usage_records and
// usage_daily (schema migration 6) tables.
//
// Reports are aggregated by SQL: rows are first grouped by the columns the report needs (and by
// tag set when it groups by a tag) with the day or month computed in SQL, then regrouped by the
// tag values pulled out of those few tag sets, so a large ledger is read once and the C++ side
// sees only result rows. Money is summed exactly by the connection's own SQL functions
// money_sum(text) (an aggregate) and money_add(text, text), which parse and print
// Money::toString()'s decimals and fail the statement on anything else; never by SQL's REAL.
//
// Thread-compatible: one thread at a time. It has a connection of its own, so it may run beside
// the ledger writer (WAL lets it read while the writer commits; archiving takes the write lock
// one day at a time).

#include <memory>
#include <string>

#include "common/result.h"
#include "metering/report.h"

namespace costgate::store {

// Opens the reports of the store file at `path`, applying pending schema migrations. The file
// must exist.
Result<std::unique_ptr<metering::UsageReports>> openSqliteUsageReports(const std::string& path);

}  // namespace costgate::store
