#pragma once
// The SQLite implementation of Store: one file, WAL mode, schema migrations applied at open.
//
// Every mutating method is atomic: outside transaction() it runs in its own transaction; inside
// it joins the caller's transaction through a savepoint, so a failed call undoes only its own
// writes and the caller decides whether the whole transaction still commits. Each committed
// change bumps the generation counter in the same transaction, so another process sees a new
// generation exactly when it can see the change.
//
// Orders: profiles by name; keys by creation time, then id, each key's profile ids sorted;
// prices in the order replacePrices was given them.
//
// Thread-compatible (see Store).

#include <memory>
#include <string>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace costgate::store {

class SqliteStore final : public Store {
 public:
  // Opens the store at `path` (see openSqliteStore). ":memory:" opens a private in-memory store
  // (no WAL, gone when closed) for tests.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                   OpenOptions options = {});

  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;
  ~SqliteStore() override;

  // store::Store
  Status transaction(const std::function<Status()>& fn) override;
  Result<int64_t> generation() override;
  Result<std::vector<profiles::Profile>> listProfiles() override;
  Status insertProfile(const profiles::Profile& p) override;
  Status updateProfile(const profiles::Profile& p) override;
  Status deleteProfile(std::string_view id) override;
  Result<std::vector<identity::ApiKeyRecord>> listKeys() override;
  Status insertKey(const identity::ApiKeyRecord& k) override;
  Status revokeKey(std::string_view id, TimePoint at) override;
  Status deleteKey(std::string_view id) override;
  Result<std::vector<pricing::ModelPrice>> listPrices() override;
  Status replacePrices(const std::vector<pricing::ModelPrice>& prices) override;
  Result<std::string> getSetting(std::string_view name) override;
  Status setSetting(std::string_view name, std::string_view value) override;

 private:
  explicit SqliteStore(sqlite::Database db);

  // Runs `body` atomically (see the class comment), bumping the generation when `body` reports
  // that it changed something. `what` names the operation in errors about the transaction itself.
  Status write(std::string_view what, const std::function<Result<bool>()>& body);
  Status insertTags(const profiles::Profile& p, std::string_view what);

  sqlite::Database db_;
  bool in_transaction_ = false;  // inside transaction()'s fn
};

}  // namespace costgate::store
