#pragma once
// The SQLite implementation of DashboardStore: the dashboards table (schema migration 10) of the
// store's own database file, through a connection of its own.

#include <memory>
#include <string>

#include "common/result.h"
#include "store/dashboard_store.h"

namespace costgate::store {

// Opens the dashboards table in the store file at `path`, creating the file if it is missing
// and applying every pending schema migration (the same ones the store applies, so either may
// open first).
Result<std::unique_ptr<DashboardStore>> openSqliteDashboardStore(const std::string& path);

}  // namespace costgate::store
