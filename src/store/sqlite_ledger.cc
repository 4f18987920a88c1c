#include "store/sqlite_ledger.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "common/strings.h"
#include "profiles/tags.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace costgate::store {

namespace {

using metering::CallStatus;
using metering::UsageQuery;
using metering::UsageRecord;
using metering::UsageTotals;
using sqlite::Statement;
using sqlite::WriteTransaction;

constexpr int kBusyTimeoutMs = 5000;

template <class T>
Error errorOf(const Result<T>& r) {
  return makeError(r.error());
}

int64_t toMillis(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint fromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

constexpr std::string_view kInsert =
    "INSERT OR IGNORE INTO usage_records (call_id, request_id, started_at, first_token_at, "
    "ended_at, profile_id, profile_name, tags_json, key_id, model_id, region, dialect, upstream, "
    "input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, input_per_1k, "
    "output_per_1k, cache_read_per_1k, cache_write_per_1k, plain_input_cost, cache_read_cost, "
    "cache_write_cost, output_cost, total_cost, status, http_status, error_type, estimated, "
    "unpriced) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
    "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31)";

// Columns in the order recordFromRow reads them.
constexpr std::string_view kRecordColumns =
    "SELECT call_id, request_id, started_at, first_token_at, ended_at, profile_id, profile_name, "
    "tags_json, key_id, model_id, region, dialect, upstream, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, input_per_1k, output_per_1k, cache_read_per_1k, "
    "cache_write_per_1k, plain_input_cost, cache_read_cost, cache_write_cost, output_cost, "
    "total_cost, status, http_status, error_type, estimated, unpriced FROM usage_records ";
// Columns in the order addToTotals reads them.
constexpr std::string_view kTotalsColumns =
    "SELECT call_id, tags_json, status, input_tokens, output_tokens, cache_read_tokens, "
    "cache_write_tokens, plain_input_cost, cache_read_cost, cache_write_cost, output_cost "
    "FROM usage_records ";
// ?1, ?2: the time range [from, to); ?3: a JSON array of profile ids.
constexpr std::string_view kEveryProfile = "WHERE started_at >= ?1 AND started_at < ?2 ";
constexpr std::string_view kSomeProfiles =
    "WHERE profile_id IN (SELECT value FROM json_each(?3)) AND started_at >= ?1 AND "
    "started_at < ?2 ";
constexpr std::string_view kOrder = "ORDER BY started_at, call_id";

std::string tagsToJson(const std::vector<profiles::Tag>& tags) {
  boost::json::array a;
  for (const auto& t : tags) a.push_back(boost::json::object{{"key", t.key}, {"value", t.value}});
  return boost::json::serialize(a);
}

Result<std::vector<profiles::Tag>> tagsFromJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(text, ec);
  const boost::json::array* a = ec ? nullptr : root.if_array();
  if (a == nullptr) return makeError("tags_json is not a JSON array");
  std::vector<profiles::Tag> tags;
  for (const auto& item : *a) {
    const boost::json::object* o = item.if_object();
    const boost::json::value* k = o ? o->if_contains("key") : nullptr;
    const boost::json::value* v = o ? o->if_contains("value") : nullptr;
    if (!k || !v || !k->is_string() || !v->is_string()) {
      return makeError("tags_json holds an item that is not {\"key\": K, \"value\": V}");
    }
    tags.push_back({std::string(k->get_string()), std::string(v->get_string())});
  }
  return tags;
}

// Reads money columns of one row, remembering the first failure so call sites stay flat.
class MoneyReader {
 public:
  explicit MoneyReader(const Statement& row) : row_(row) {}
  Money read(int column, std::string_view name) {
    if (row_.isNull(column)) {
      fail(fmt::format("{} is NULL", name));
      return {};
    }
    return parse(column, name);
  }
  std::optional<Money> readOptional(int column, std::string_view name) {
    if (row_.isNull(column)) return std::nullopt;
    return parse(column, name);
  }
  const std::optional<std::string>& error() const { return error_; }

 private:
  Money parse(int column, std::string_view name) {
    std::string text = row_.text(column);
    Result<Money> m = Money::parse(text);
    if (!m) {
      fail(fmt::format("{} {}: {}", name, jsonQuote(text), m.error()));
      return {};
    }
    return *m;
  }
  void fail(std::string message) {
    if (!error_) error_ = std::move(message);
  }
  const Statement& row_;
  std::optional<std::string> error_;
};

Result<CallStatus> statusFromName(std::string_view name) {
  for (CallStatus s : {CallStatus::kSuccess, CallStatus::kFailure}) {
    if (name == metering::callStatusName(s)) return s;
  }
  return makeError(fmt::format("unknown status {}", jsonQuote(name)));
}

Error rowError(const Statement& row, std::string_view why) {
  return makeError(fmt::format("read usage record {}: {}", jsonQuote(row.text(0)), why));
}

Result<UsageRecord> recordFromRow(const Statement& row) {
  UsageRecord r;
  r.call_id = row.text(0);
  r.request_id = row.text(1);
  r.started_at = fromMillis(row.int64(2));
  if (auto t = row.optionalInt64(3)) r.first_token_at = fromMillis(*t);
  r.ended_at = fromMillis(row.int64(4));
  r.profile_id = row.text(5);
  r.profile_name = row.text(6);
  auto tags = tagsFromJson(row.text(7));
  if (!tags) return rowError(row, tags.error());
  r.tags = std::move(*tags);
  r.key_id = row.text(8);
  r.model_id = row.text(9);
  r.region = row.text(10);
  r.dialect = row.text(11);
  r.upstream = row.text(12);
  r.usage = {row.int64(13), row.int64(14), row.int64(15), row.int64(16)};
  MoneyReader money(row);
  r.prices.input_per_1k = money.read(17, "input_per_1k");
  r.prices.output_per_1k = money.read(18, "output_per_1k");
  r.prices.cache_read_per_1k = money.readOptional(19, "cache_read_per_1k");
  r.prices.cache_write_per_1k = money.readOptional(20, "cache_write_per_1k");
  r.cost.plain_input = money.read(21, "plain_input_cost");
  r.cost.cache_read = money.read(22, "cache_read_cost");
  r.cost.cache_write = money.read(23, "cache_write_cost");
  r.cost.output = money.read(24, "output_cost");
  Money total = money.read(25, "total_cost");
  if (money.error()) return rowError(row, *money.error());
  if (total != r.cost.total()) {
    return rowError(row, fmt::format("total_cost {} is not the sum of its parts ({})",
                                     total.toString(), r.cost.total().toString()));
  }
  auto status = statusFromName(row.text(26));
  if (!status) return rowError(row, status.error());
  r.status = *status;
  r.http_status = static_cast<int>(row.int64(27));
  r.error_type = row.text(28);
  r.estimated = row.int64(29) != 0;
  r.unpriced = row.int64(30) != 0;
  return r;
}

void bindRecord(Statement& s, const UsageRecord& r) {
  s.bindText(1, r.call_id)
      .bindText(2, r.request_id)
      .bindInt64(3, toMillis(r.started_at))
      .bindOptionalInt64(
          4, r.first_token_at ? std::optional(toMillis(*r.first_token_at)) : std::nullopt)
      .bindInt64(5, toMillis(r.ended_at))
      .bindText(6, r.profile_id)
      .bindText(7, r.profile_name)
      .bindText(8, tagsToJson(r.tags))
      .bindText(9, r.key_id)
      .bindText(10, r.model_id)
      .bindText(11, r.region)
      .bindText(12, r.dialect)
      .bindText(13, r.upstream)
      .bindInt64(14, r.usage.input_tokens)
      .bindInt64(15, r.usage.output_tokens)
      .bindInt64(16, r.usage.cache_read_tokens)
      .bindInt64(17, r.usage.cache_write_tokens)
      .bindText(18, r.prices.input_per_1k.toString())
      .bindText(19, r.prices.output_per_1k.toString());
  auto optionalMoney = [](const std::optional<Money>& m) {
    return m ? std::optional(m->toString()) : std::nullopt;
  };
  s.bindOptionalText(20, optionalMoney(r.prices.cache_read_per_1k))
      .bindOptionalText(21, optionalMoney(r.prices.cache_write_per_1k))
      .bindText(22, r.cost.plain_input.toString())
      .bindText(23, r.cost.cache_read.toString())
      .bindText(24, r.cost.cache_write.toString())
      .bindText(25, r.cost.output.toString())
      .bindText(26, r.cost.total().toString())
      .bindText(27, metering::callStatusName(r.status))
      .bindInt64(28, r.http_status)
      .bindText(29, r.error_type)
      .bindInt64(30, r.estimated ? 1 : 0)
      .bindInt64(31, r.unpriced ? 1 : 0);
}

// Runs passive checkpoints on its own connection until destroyed. A passive checkpoint never
// blocks the writer: it copies what the WAL holds into the database file and syncs it, and the
// writer starts the WAL over once everything in it has been copied.
class Checkpointer {
 public:
  explicit Checkpointer(sqlite::Database db) : db_(std::move(db)) {
    thread_ = std::thread([this] { run(); });
  }
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(250), [this] { return stop_; })) {
      lock.unlock();
      int wal_frames = 0, copied = 0;
      int rc = sqlite3_wal_checkpoint_v2(db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &wal_frames, &copied);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        spdlog::warn("ledger checkpoint failed: {}", sqlite3_errmsg(db_.handle()));
      }
      lock.lock();
    }
  }

  sqlite::Database db_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

class SqliteLedger final : public metering::LedgerStore {
 public:
  SqliteLedger(sqlite::Database db, Statement insert, std::unique_ptr<Checkpointer> checkpointer)
      : db_(std::move(db)), insert_(std::move(insert)), checkpointer_(std::move(checkpointer)) {}
  ~SqliteLedger() override {
    checkpointer_.reset();  // before the connection closes (which checkpoints once more)
  }

  // metering::LedgerStore
  Status append(const std::vector<UsageRecord>& batch) override {
    if (batch.empty()) return {};
    for (const UsageRecord& r : batch) {
      if (r.call_id.empty()) return makeError("append usage: a record has no call id");
    }
    constexpr std::string_view what = "append usage";
    auto txn = WriteTransaction::begin(db_, WriteTransaction::Kind::kTopLevel, what);
    if (!txn) return errorOf(txn);
    return insertAndCommit(*txn, batch, what);
  }

  Result<bool> tryAppend(const std::vector<UsageRecord>& batch) override {
    if (batch.empty()) return true;
    for (const UsageRecord& r : batch) {
      if (r.call_id.empty()) return makeError("append usage: a record has no call id");
    }
    constexpr std::string_view what = "append usage";
    // Only the write lock is waited for, and only here: once it is held (BEGIN IMMEDIATE), WAL
    // mode needs no other lock to commit.
    sqlite3_busy_timeout(db_.handle(), 0);
    auto txn = WriteTransaction::begin(db_, WriteTransaction::Kind::kTopLevel, what);
    const int code = sqlite3_extended_errcode(db_.handle());
    sqlite3_busy_timeout(db_.handle(), kBusyTimeoutMs);
    if (!txn) {
      if ((code & 0xff) == SQLITE_BUSY) return false;
      return errorOf(txn);
    }
    Status st = insertAndCommit(*txn, batch, what);
    if (!st) return makeError(st.error());
    return true;
  }

  Status insertAndCommit(WriteTransaction& txn, const std::vector<UsageRecord>& batch,
                         std::string_view what) {
    for (const UsageRecord& r : batch) {
      insert_.reset();
      bindRecord(insert_, r);
      Status st = insert_.run();
      insert_.reset();  // releases the statement's hold on the transaction
      if (!st) return st;
    }
    return txn.commit(what);
  }

  Result<std::vector<UsageRecord>> query(const UsageQuery& q) override {
    auto stmt = select(kRecordColumns, q, "query usage");
    if (!stmt) return errorOf(stmt);
    std::vector<UsageRecord> out;
    while (q.limit == 0 || out.size() < q.limit) {
      Result<bool> row = stmt->step();
      if (!row) return errorOf(row);
      if (!*row) break;
      Result<UsageRecord> r = recordFromRow(*stmt);
      if (!r) return errorOf(r);
      if (!q.tags.empty() && !profiles::isTagSubset(q.tags, r->tags)) continue;
      out.push_back(std::move(*r));
    }
    return out;
  }

  Result<UsageTotals> totals(const UsageQuery& q) override {
    auto stmt = select(kTotalsColumns, q, "total usage");
    if (!stmt) return errorOf(stmt);
    UsageTotals t;
    for (;;) {
      Result<bool> row = stmt->step();
      if (!row) return errorOf(row);
      if (!*row) break;
      if (!q.tags.empty()) {
        auto tags = tagsFromJson(stmt->text(1));
        if (!tags) return rowError(*stmt, tags.error());
        if (!profiles::isTagSubset(q.tags, *tags)) continue;
      }
      auto status = statusFromName(stmt->text(2));
      if (!status) return rowError(*stmt, status.error());
      MoneyReader money(*stmt);
      pricing::Cost c{money.read(7, "plain_input_cost"), money.read(8, "cache_read_cost"),
                      money.read(9, "cache_write_cost"), money.read(10, "output_cost")};
      if (money.error()) return rowError(*stmt, *money.error());
      ++t.calls;
      if (*status == CallStatus::kFailure) ++t.failures;
      t.usage.input_tokens += stmt->int64(3);
      t.usage.output_tokens += stmt->int64(4);
      t.usage.cache_read_tokens += stmt->int64(5);
      t.usage.cache_write_tokens += stmt->int64(6);
      t.input_cost += c.input();
      t.output_cost += c.output;
      t.total_cost += c.total();
    }
    return t;
  }

  Result<int64_t> count() override {
    auto stmt = db_.prepare("SELECT count(*) FROM usage_records", "count usage records");
    if (!stmt) return errorOf(stmt);
    Result<bool> row = stmt->step();
    if (!row) return errorOf(row);
    return *row ? stmt->int64(0) : 0;
  }

  Status purge() override {
    constexpr std::string_view what = "purge usage";
    auto txn = WriteTransaction::begin(db_, WriteTransaction::Kind::kTopLevel, what);
    if (!txn) return errorOf(txn);
    if (Status st = db_.exec("DELETE FROM usage_records", what); !st) return st;
    return txn->commit(what);
  }

 private:
  // A statement over `columns` with the query's profile and time filters bound, oldest first.
  Result<Statement> select(std::string_view columns, const UsageQuery& q, std::string what) {
    const bool some = !q.profile_ids.empty();
    std::string sql = std::string(columns);
    sql += some ? kSomeProfiles : kEveryProfile;
    sql += kOrder;
    auto stmt = db_.prepare(sql, std::move(what));
    if (!stmt) return stmt;
    stmt->bindInt64(1, q.from ? toMillis(*q.from) : std::numeric_limits<int64_t>::min());
    stmt->bindInt64(2, q.to ? toMillis(*q.to) : std::numeric_limits<int64_t>::max());
    if (some) {
      boost::json::array ids;
      for (const auto& id : q.profile_ids) ids.push_back(boost::json::string(id));
      stmt->bindText(3, boost::json::serialize(ids));
    }
    return stmt;
  }

  sqlite::Database db_;
  Statement insert_;
  std::unique_ptr<Checkpointer> checkpointer_;
};

}  // namespace

const char* ledgerDurabilityName(LedgerDurability d) {
  return d == LedgerDurability::kPowerLoss ? "power_loss" : "process_crash";
}

Result<std::unique_ptr<metering::LedgerStore>> openSqliteLedger(const std::string& path,
                                                                LedgerDurability d,
                                                                LedgerCheckpoints checkpoints) {
  if (path.empty()) return makeError("open ledger: the path is empty");
  Result<sqlite::Database> opened =
      sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!opened) return errorOf(opened);
  sqlite::Database db = std::move(*opened);
  const std::string what = fmt::format("open ledger {}", path);

  // Before anything that takes a lock, so opening waits for a busy writer instead of failing.
  if (sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs) != SQLITE_OK) return db.error(what);
  {
    // The durability promise rests on WAL; a file system that refuses it must not pass silently.
    Result<Statement> wal = db.prepare("PRAGMA journal_mode=WAL", what + ": enable WAL mode");
    if (!wal) return errorOf(wal);
    Result<bool> row = wal->step();
    if (!row) return errorOf(row);
    std::string mode = *row ? toLowerAscii(wal->text(0)) : "";
    if (mode != "wal") {
      return makeError(
          fmt::format("{}: could not enable WAL mode (journal mode is {})", what, jsonQuote(mode)));
    }
  }
  // synchronous is per connection: the store's own connection keeps its setting.
  std::string_view sync =
      d == LedgerDurability::kPowerLoss ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
  if (Status st = db.exec(sync, what + ": set synchronous"); !st) return errorOf(st);
  if (Status st = migrate(db, path, SystemClock::instance().now()); !st) return errorOf(st);

  Result<Statement> insert = db.prepare(kInsert, "append usage");
  if (!insert) return errorOf(insert);
  std::unique_ptr<Checkpointer> checkpointer;
  if (checkpoints == LedgerCheckpoints::kBackground) {
    if (Status st = db.exec("PRAGMA wal_autocheckpoint=0", what + ": hand checkpoints over"); !st) {
      return errorOf(st);
    }
    Result<sqlite::Database> other = sqlite::Database::open(path, SQLITE_OPEN_READWRITE);
    if (!other) return errorOf(other);
    if (sqlite3_busy_timeout(other->handle(), kBusyTimeoutMs) != SQLITE_OK) {
      return other->error(what);
    }
    // The checkpoint syncs the database file as the ledger's durability asks.
    if (Status st = other->exec(sync, what + ": set synchronous for checkpoints"); !st) {
      return errorOf(st);
    }
    checkpointer = std::make_unique<Checkpointer>(std::move(*other));
  }
  return std::unique_ptr<metering::LedgerStore>(
      new SqliteLedger(std::move(db), std::move(*insert), std::move(checkpointer)));
}

}  // namespace costgate::store
