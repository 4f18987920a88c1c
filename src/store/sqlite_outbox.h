#pragma once
// The SQLite implementation of notify::OutboxStore: the notifications and
// notification_deliveries tables of the store's file (schema migration 8).
//
// Every method is atomic: outside a transaction it runs in its own (BEGIN IMMEDIATE); inside one
// already open on the same connection it joins it through a savepoint, so an alarm's state change
// and the notification it causes commit together when both are written on one connection.
//
// Thread-compatible: one thread at a time per object. The delivery worker opens its own.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "notify/outbox.h"
#include "store/sqlite_db.h"

namespace costgate::store {

class SqliteOutbox final : public notify::OutboxStore {
 public:
  // Opens the outbox in the store file at `path` on a connection of its own, creating the file
  // if it is missing and applying every pending schema migration (like the ledger).
  static Result<std::unique_ptr<SqliteOutbox>> open(const std::string& path);
  // An outbox on a connection owned by other store/ code (which outlives it), so its enqueue
  // joins that code's transactions.
  static std::unique_ptr<SqliteOutbox> over(sqlite::Database& db);

  // Runs `fn` in one transaction on this outbox's connection: committed if it returns ok, rolled
  // back otherwise. Not reentrant.
  Status transaction(const std::function<Status()>& fn);

  // notify::OutboxStore
  Status enqueue(const notify::Notification& n,
                 std::span<const notify::Endpoint> endpoints) override;
  Result<std::vector<notify::Delivery>> claimDue(TimePoint now, std::chrono::milliseconds lease,
                                                 size_t limit) override;
  Status markDelivered(const notify::DeliveryRef& d, TimePoint now) override;
  Status markRetry(const notify::DeliveryRef& d, TimePoint next_attempt_at, std::string_view error,
                   TimePoint now) override;
  Status markFailed(const notify::DeliveryRef& d, std::string_view error, TimePoint now) override;
  Result<std::optional<TimePoint>> nextDue() override;
  Result<std::vector<notify::Delivery>> list(const notify::OutboxQuery& q) override;
  Result<notify::OutboxCounts> counts() override;

 private:
  SqliteOutbox(sqlite::Database* db, std::optional<sqlite::Database> owned);
  Result<sqlite::WriteTransaction> begin(std::string_view what);
  Status mark(const notify::DeliveryRef& d, notify::DeliveryState state, TimePoint next,
              std::string_view error, std::optional<TimePoint> delivered_at, TimePoint now);

  std::optional<sqlite::Database> owned_;
  sqlite::Database* db_;
};

}  // namespace costgate::store
