#pragma once
// Thin RAII wrappers over the SQLite3 C API, private to store/. They own a connection and its
// prepared statements and turn every SQLite failure into an Error that says what was being done
// ("insert profile \"acme\": UNIQUE constraint failed: profiles.name"). Values only ever reach
// SQL through bound parameters; the SQL text itself is always a constant.
//
// sqlite3.h is not included here, so nothing above store/ sees SQLite's API through this header.
//
// Thread-compatible: one thread at a time per Database and its Statements.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace costgate::store::sqlite {

class Statement;

// An open connection. Move-only; closing happens in the destructor.
class Database {
 public:
  // Opens `path` with sqlite3_open_v2 `flags`. On failure the error is "open store <path>: ..."
  // and `result_code`, when given, receives SQLite's primary result code.
  static Result<Database> open(const std::string& path, int flags, int* result_code = nullptr);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database();

  sqlite3* handle() const { return db_.get(); }

  // Runs constant SQL text without parameters (schema, pragmas, transaction control). Several
  // statements separated by ';' are allowed.
  Status exec(std::string_view sql, std::string_view what);

  // Prepares one statement; `what` prefixes every error the statement reports later.
  Result<Statement> prepare(std::string_view sql, std::string what);

  // Rows changed by the last INSERT, UPDATE or DELETE (not counting cascades).
  int64_t changes() const;
  // True while a transaction is open on this connection.
  bool inTransaction() const;
  // SQLite's extended result code of the last failed call.
  int extendedErrorCode() const;
  // "<what>: <sqlite3_errmsg>".
  Error error(std::string_view what) const;

 private:
  struct Closer {
    void operator()(sqlite3* db) const;
  };
  explicit Database(sqlite3* db) : db_(db) {}

  std::unique_ptr<sqlite3, Closer> db_;
};

// A prepared statement. Parameters are 1-based, columns 0-based, as in SQLite. A failed bind is
// remembered and reported by the next step(), so call sites bind without checking each one.
class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;
  ~Statement();

  Statement& bindText(int index, std::string_view value);
  Statement& bindInt64(int index, int64_t value);
  Statement& bindBlob(int index, std::span<const uint8_t> value);
  Statement& bindNull(int index);
  Statement& bindOptionalText(int index, const std::optional<std::string>& value);
  Statement& bindOptionalInt64(int index, std::optional<int64_t> value);

  // Advances: true when a row is ready to read, false when the statement is done.
  Result<bool> step();
  // Steps until done, ignoring any rows (INSERT, UPDATE, DELETE).
  Status run();
  // Makes the statement ready to run again with fresh bindings.
  void reset();

  bool isNull(int column) const;
  int64_t int64(int column) const;
  std::string text(int column) const;
  std::optional<std::string> optionalText(int column) const;
  std::optional<int64_t> optionalInt64(int column) const;
  std::span<const uint8_t> blob(int column) const;  // valid until the next step() or reset()

  // SQLite's extended result code of the last failed step (0 when none failed).
  int lastErrorCode() const { return last_error_code_; }
  const std::string& what() const { return what_; }

 private:
  friend class Database;
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string what)
      : db_(db), stmt_(stmt), what_(std::move(what)) {}
  void noteBind(int rc);

  sqlite3* db_;
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  std::string what_;
  int bind_error_ = 0;  // first failed bind's result code since the last reset
  int last_error_code_ = 0;
};

// A write transaction that rolls back unless committed: BEGIN IMMEDIATE at top level (so a
// writer never has to upgrade a read lock, which in WAL mode fails instead of waiting), or a
// SAVEPOINT inside a transaction that is already open, so an operation is atomic on its own
// while still joining the caller's transaction.
class WriteTransaction {
 public:
  enum class Kind { kTopLevel, kSavepoint };

  static Result<WriteTransaction> begin(Database& db, Kind kind, std::string_view what);

  WriteTransaction(WriteTransaction&& other) noexcept;
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  ~WriteTransaction();

  // Makes the writes permanent (or part of the enclosing transaction, for a savepoint). On
  // failure everything is rolled back.
  Status commit(std::string_view what);

 private:
  WriteTransaction(Database* db, Kind kind) : db_(db), kind_(kind) {}
  void rollback();

  Database* db_;  // null once committed, rolled back or moved from
  Kind kind_;
};

}  // namespace costgate::store::sqlite
