#pragma once
// The SQLite implementation of alarms::AlarmStore: the alarms and alarm_history tables (schema
// migration 9) of the store's own database file, reached through a connection of its own (like
// the ledger), so the alarm evaluator's thread never shares one with the store's other users.

#include <functional>
#include <memory>
#include <string>

#include "alarms/alarm_store.h"
#include "common/result.h"
#include "notify/outbox.h"

namespace costgate::store {

// Opens the alarm tables in the store file at `path`, creating the file if it is missing and
// applying every pending schema migration (the same ones the store applies, so either may open
// first).
Result<std::unique_ptr<alarms::AlarmStore>> openSqliteAlarmStore(const std::string& path);

namespace sqlite {
class Database;
}
class SqliteOutbox;

// The alarm tables and the outbox on ONE connection of their own, so that a tick's (or an
// edit's) history, statuses and notifications commit together: a crash never leaves a
// transition without its notification or a notification without its transition. Both stores
// join a transaction() open on the connection. Thread-compatible: one thread at a time.
class AlarmDatabase {
 public:
  static Result<std::unique_ptr<AlarmDatabase>> open(const std::string& path);
  ~AlarmDatabase();

  alarms::AlarmStore& alarms() { return *alarms_; }
  notify::OutboxStore& outbox();
  // Runs `fn` in one write transaction (BEGIN IMMEDIATE): committed if it returns ok, rolled
  // back otherwise. Not reentrant.
  Status transaction(const std::function<Status()>& fn);

 private:
  AlarmDatabase();
  std::unique_ptr<sqlite::Database> db_;
  std::unique_ptr<alarms::AlarmStore> alarms_;
  std::unique_ptr<SqliteOutbox> outbox_;
};

}  // namespace costgate::store
