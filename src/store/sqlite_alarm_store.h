#pragma once
// The SQLite implementation of alarms::AlarmStore: the alarms and alarm_history tables (schema
// migration 9) of the store's own database file, reached through a connection of its own (like
// the ledger), so the alarm evaluator's thread never shares one with the store's other users.

#include <memory>
#include <string>

#include "alarms/alarm_store.h"
#include "common/result.h"

namespace costgate::store {

// Opens the alarm tables in the store file at `path`, creating the file if it is missing and
// applying every pending schema migration (the same ones the store applies, so either may open
// first).
Result<std::unique_ptr<alarms::AlarmStore>> openSqliteAlarmStore(const std::string& path);

}  // namespace costgate::store
