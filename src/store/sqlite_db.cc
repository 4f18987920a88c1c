#include "store/sqlite_db.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <utility>

namespace costgate::store::sqlite {

// --- Database ---

void Database::Closer::operator()(sqlite3* db) const {
  // v2 defers the close until every statement is finalized, so destruction order cannot leak.
  sqlite3_close_v2(db);
}

Database::~Database() = default;

Result<Database> Database::open(const std::string& path, int flags, int* result_code) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  // SQLite hands back a connection even when opening fails; it must be closed either way.
  Database db(raw);
  if (result_code) *result_code = rc;
  if (rc != SQLITE_OK) {
    std::string message = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    return makeError(fmt::format("open store {}: {}", path, message));
  }
  sqlite3_extended_result_codes(raw, 1);
  return db;
}

Status Database::exec(std::string_view sql, std::string_view what) {
  char* message = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  std::string reason = message ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return makeError(fmt::format("{}: {}", what, reason));
}

Result<Statement> Database::prepare(std::string_view sql, std::string what) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_.get(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return error(what);
  }
  return Statement(db_.get(), stmt, std::move(what));
}

int64_t Database::changes() const { return sqlite3_changes64(db_.get()); }

bool Database::inTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

int Database::extendedErrorCode() const { return sqlite3_extended_errcode(db_.get()); }

Error Database::error(std::string_view what) const {
  return makeError(fmt::format("{}: {}", what, sqlite3_errmsg(db_.get())));
}

// --- Statement ---

void Statement::Finalizer::operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }

Statement::~Statement() = default;

void Statement::noteBind(int rc) {
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc;
}

Statement& Statement::bindText(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so the caller's buffer may go away before step().
  // A non-null pointer keeps an empty string a '' rather than NULL.
  static constexpr char kEmpty[] = "";
  const char* data = value.data() ? value.data() : kEmpty;
  noteBind(
      sqlite3_bind_text64(stmt_.get(), index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::bindInt64(int index, int64_t value) {
  noteBind(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::bindBlob(int index, std::span<const uint8_t> value) {
  // A zero-length blob with a null pointer would bind NULL; zeroblob keeps it a blob.
  if (value.empty()) {
    noteBind(sqlite3_bind_zeroblob(stmt_.get(), index, 0));
  } else {
    noteBind(sqlite3_bind_blob64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT));
  }
  return *this;
}

Statement& Statement::bindNull(int index) {
  noteBind(sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

Statement& Statement::bindOptionalText(int index, const std::optional<std::string>& value) {
  return value ? bindText(index, *value) : bindNull(index);
}

Statement& Statement::bindOptionalInt64(int index, std::optional<int64_t> value) {
  return value ? bindInt64(index, *value) : bindNull(index);
}

Result<bool> Statement::step() {
  if (bind_error_ != 0) {
    last_error_code_ = bind_error_;
    return makeError(
        fmt::format("{}: binding a parameter: {}", what_, sqlite3_errstr(bind_error_)));
  }
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // With prepare_v2 the step's own result code is the extended error code.
  last_error_code_ = rc;
  return makeError(fmt::format("{}: {}", what_, sqlite3_errmsg(db_)));
}

Status Statement::run() {
  for (;;) {
    Result<bool> row = step();
    if (!row) return makeError(row.error());
    if (!*row) return {};
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_error_ = 0;
}

bool Statement::isNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

std::string Statement::text(int column) const {
  const unsigned char* data = sqlite3_column_text(stmt_.get(), column);
  int size = sqlite3_column_bytes(stmt_.get(), column);  // after column_text, as SQLite asks
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
}

std::optional<std::string> Statement::optionalText(int column) const {
  if (isNull(column)) return std::nullopt;
  return text(column);
}

std::optional<int64_t> Statement::optionalInt64(int column) const {
  if (isNull(column)) return std::nullopt;
  return int64(column);
}

std::span<const uint8_t> Statement::blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_.get(), column);
  int size = sqlite3_column_bytes(stmt_.get(), column);
  if (data == nullptr || size <= 0) return {};
  return {static_cast<const uint8_t*>(data), static_cast<size_t>(size)};
}

// --- WriteTransaction ---

Result<WriteTransaction> WriteTransaction::begin(Database& db, Kind kind, std::string_view what) {
  Status st = kind == Kind::kTopLevel ? db.exec("BEGIN IMMEDIATE", what)
                                      : db.exec("SAVEPOINT costgate_store_op", what);
  if (!st) return makeError(st.error());
  return WriteTransaction(&db, kind);
}

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), kind_(other.kind_) {}

WriteTransaction::~WriteTransaction() { rollback(); }

Status WriteTransaction::commit(std::string_view what) {
  if (db_ == nullptr) return makeError(fmt::format("{}: transaction already finished", what));
  Status st = kind_ == Kind::kTopLevel ? db_->exec("COMMIT", what)
                                       : db_->exec("RELEASE costgate_store_op", what);
  if (!st) {
    rollback();
    return st;
  }
  db_ = nullptr;
  return {};
}

void WriteTransaction::rollback() {
  if (db_ == nullptr) return;
  Database* db = std::exchange(db_, nullptr);
  // Some errors (disk full, I/O) make SQLite roll the whole transaction back by itself; then
  // there is nothing left to undo, and issuing ROLLBACK would only fail.
  if (!db->inTransaction()) return;
  if (kind_ == Kind::kTopLevel) {
    (void)db->exec("ROLLBACK", "rollback");
  } else {
    // ROLLBACK TO undoes the savepoint's writes but keeps it open; RELEASE then drops it.
    (void)db->exec("ROLLBACK TO costgate_store_op", "rollback to savepoint");
    (void)db->exec("RELEASE costgate_store_op", "release savepoint");
  }
}

}  // namespace costgate::store::sqlite
