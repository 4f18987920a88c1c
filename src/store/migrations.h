#pragma once
// Versioned schema migrations of the SQLite store. Each migration is applied once, in order of
// version, in its own transaction, and recorded in schema_migrations(version, applied_at); a
// store written by a newer costgate (a version this binary does not know) is refused rather than
// guessed at.
//
// Migrations only ever append: a released migration's SQL never changes, the next change to the
// schema is a new entry at the end of the list.

#include <span>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "store/sqlite_db.h"

namespace costgate::store {

struct Migration {
  int version;  // 1, 2, 3, ... without gaps
  std::string_view sql;
};

// Every migration this binary knows, in order of version.
std::span<const Migration> schemaMigrations();

// The version a fully migrated store has.
int latestSchemaVersion();

// The store's schema version: 0 for an empty database.
Result<int> schemaVersion(sqlite::Database& db);

// Brings `db` to the last version in `migrations`, stamping each with `now`. Safe against another
// process migrating the same file at the same time: each step re-reads the version under the
// write lock. Fails without changing anything when the store's version is newer than the last
// one in `migrations`; a failing migration leaves the store at the version before it. `path`
// only appears in messages.
Status migrate(sqlite::Database& db, std::string_view path, TimePoint now,
               std::span<const Migration> migrations = schemaMigrations());

}  // namespace costgate::store
