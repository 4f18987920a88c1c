#include "store/sqlite_alarm_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <boost/json.hpp>

#include "alarms/alarm_json.h"
#include "common/strings.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/sqlite_outbox.h"

namespace costgate::store {

namespace {

using alarms::Alarm;
using alarms::HistoryItem;
using alarms::HistoryQuery;
using sqlite::Statement;
using sqlite::WriteTransaction;

constexpr int kBusyTimeoutMs = 5000;

template <class T>
Error errorOf(const Result<T>& r) {
  return makeError(r.error());
}

int64_t toMillis(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint fromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

constexpr std::string_view kAlarmColumns =
    "SELECT name, definition_json, state, state_reason, state_reason_data, state_updated_at "
    "FROM alarms ";

Result<Alarm> alarmFromRow(Statement& s) {
  const std::string name = s.text(0);
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(s.text(1), ec);
  if (ec) return makeError(fmt::format("read alarm \"{}\": its definition is not JSON", name));
  Result<Alarm> a = alarms::alarmFromJson(v);
  if (!a) return makeError(fmt::format("read alarm \"{}\": {}", name, a.error()));
  Result<alarms::AlarmState> state = alarms::parseState(s.text(2));
  if (!state) return makeError(fmt::format("read alarm \"{}\": {}", name, state.error()));
  alarms::AlarmStatus& status = alarms::alarmStatus(*a);
  status.state = *state;
  status.reason = s.text(3);
  status.reason_data = s.text(4);
  status.updated = fromMillis(s.int64(5));
  return a;
}

Result<HistoryItem> historyFromRow(Statement& s) {
  HistoryItem item;
  item.at = fromMillis(s.int64(0));
  item.alarm = s.text(1);
  Result<alarms::HistoryItemType> type = alarms::parseHistoryItemType(s.text(2));
  if (!type) return makeError(fmt::format("read alarm history: {}", type.error()));
  item.type = *type;
  item.summary = s.text(3);
  for (auto [column, out] : {std::pair{4, &item.old_state}, std::pair{5, &item.new_state}}) {
    std::optional<std::string> text = s.optionalText(column);
    if (!text) continue;
    Result<alarms::AlarmState> state = alarms::parseState(*text);
    if (!state) return makeError(fmt::format("read alarm history: {}", state.error()));
    *out = *state;
  }
  item.reason = s.text(6);
  item.reason_data = s.text(7);
  return item;
}

std::optional<std::string> stateText(const std::optional<alarms::AlarmState>& s) {
  if (!s) return std::nullopt;
  return std::string(alarms::stateName(*s));
}

class SqliteAlarmStore final : public alarms::AlarmStore {
 public:
  explicit SqliteAlarmStore(sqlite::Database db) : owned_(std::move(db)), db_(*owned_) {}
  // On a connection other store/ code owns (it outlives this object).
  explicit SqliteAlarmStore(sqlite::Database* db) : db_(*db) {}

  // alarms::AlarmStore
  Result<std::vector<Alarm>> listAlarms() override {
    auto s = db_.prepare(std::string(kAlarmColumns) + "ORDER BY name", "list alarms");
    if (!s) return errorOf(s);
    std::vector<Alarm> out;
    while (true) {
      Result<bool> row = s->step();
      if (!row) return errorOf(row);
      if (!*row) break;
      Result<Alarm> a = alarmFromRow(*s);
      if (!a) return errorOf(a);
      out.push_back(std::move(*a));
    }
    return out;
  }

  Result<std::optional<Alarm>> getAlarm(std::string_view name) override {
    auto s = db_.prepare(std::string(kAlarmColumns) + "WHERE name = ?1",
                         fmt::format("get alarm {}", jsonQuote(name)));
    if (!s) return errorOf(s);
    s->bindText(1, name);
    Result<bool> row = s->step();
    if (!row) return errorOf(row);
    if (!*row) return std::optional<Alarm>();
    Result<Alarm> a = alarmFromRow(*s);
    if (!a) return errorOf(a);
    return std::optional<Alarm>(std::move(*a));
  }

  Status putAlarm(const Alarm& alarm) override {
    const std::string& name = alarms::alarmName(alarm);
    const alarms::AlarmStatus& status = alarms::alarmStatus(alarm);
    const TimePoint configured =
        std::visit([](const auto& a) { return a.configuration_updated; }, alarm);
    auto s = db_.prepare(
        "INSERT OR REPLACE INTO alarms (name, kind, definition_json, state, state_reason, "
        "state_reason_data, state_updated_at, configuration_updated_at) VALUES (?1, ?2, ?3, ?4, "
        "?5, ?6, ?7, ?8)",
        fmt::format("put alarm {}", jsonQuote(name)));
    if (!s) return errorOf(s);
    s->bindText(1, name)
        .bindText(2, std::holds_alternative<alarms::CompositeAlarm>(alarm) ? "composite" : "metric")
        .bindText(3, boost::json::serialize(alarms::toJson(alarm, false)))
        .bindText(4, alarms::stateName(status.state))
        .bindText(5, status.reason)
        .bindText(6, status.reason_data)
        .bindInt64(7, toMillis(status.updated))
        .bindInt64(8, toMillis(configured));
    return s->run();
  }

  Status deleteAlarm(std::string_view name) override {
    auto s = db_.prepare("DELETE FROM alarms WHERE name = ?1",
                         fmt::format("delete alarm {}", jsonQuote(name)));
    if (!s) return errorOf(s);
    s->bindText(1, name);
    return s->run();
  }

  Status appendHistory(std::span<const HistoryItem> items) override {
    if (items.empty()) return {};
    const std::string what = fmt::format("append {} alarm history items", items.size());
    // Joins a transaction open on this connection (a tick's history and its notifications).
    auto txn = WriteTransaction::begin(db_,
                                       db_.inTransaction() ? WriteTransaction::Kind::kSavepoint
                                                           : WriteTransaction::Kind::kTopLevel,
                                       what);
    if (!txn) return errorOf(txn);
    auto insert = db_.prepare(
        "INSERT INTO alarm_history (at, alarm_name, type, summary, old_state, new_state, reason, "
        "reason_data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        what);
    if (!insert) return errorOf(insert);
    auto update = db_.prepare(
        "UPDATE alarms SET state = ?2, state_reason = ?3, state_reason_data = ?4, "
        "state_updated_at = CASE WHEN state = ?2 THEN state_updated_at ELSE ?5 END "
        "WHERE name = ?1",
        what + ": update alarm states");
    if (!update) return errorOf(update);
    for (const HistoryItem& item : items) {
      insert->reset();
      insert->bindInt64(1, toMillis(item.at))
          .bindText(2, item.alarm)
          .bindText(3, alarms::historyItemTypeName(item.type))
          .bindText(4, item.summary)
          .bindOptionalText(5, stateText(item.old_state))
          .bindOptionalText(6, stateText(item.new_state))
          .bindText(7, item.reason)
          .bindText(8, item.reason_data);
      if (Status st = insert->run(); !st) return st;
      if (item.type != alarms::HistoryItemType::kStateUpdate || !item.new_state) continue;
      update->reset();
      update->bindText(1, item.alarm)
          .bindText(2, alarms::stateName(*item.new_state))
          .bindText(3, item.reason)
          .bindText(4, item.reason_data)
          .bindInt64(5, toMillis(item.at));
      if (Status st = update->run(); !st) return st;
    }
    return txn->commit(what);
  }

  Result<std::vector<HistoryItem>> listHistory(const HistoryQuery& q) override {
    // Optional filters as "?N IS NULL OR …" keep the SQL text constant.
    std::string sql =
        "SELECT at, alarm_name, type, summary, old_state, new_state, reason, reason_data "
        "FROM alarm_history WHERE (?1 IS NULL OR alarm_name = ?1) AND (?2 IS NULL OR type = ?2) "
        "AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4) ";
    sql += q.newest_first ? "ORDER BY at DESC, seq DESC " : "ORDER BY at, seq ";
    sql += "LIMIT ?5";
    auto s = db_.prepare(sql, "list alarm history");
    if (!s) return errorOf(s);
    s->bindOptionalText(1, q.alarm)
        .bindOptionalText(2, q.type ? std::optional<std::string>(
                                          std::string(alarms::historyItemTypeName(*q.type)))
                                    : std::nullopt)
        .bindOptionalInt64(3, q.from ? std::optional<int64_t>(toMillis(*q.from)) : std::nullopt)
        .bindOptionalInt64(4, q.to ? std::optional<int64_t>(toMillis(*q.to)) : std::nullopt)
        .bindInt64(5, q.limit == 0 ? -1 : static_cast<int64_t>(q.limit));
    std::vector<HistoryItem> out;
    while (true) {
      Result<bool> row = s->step();
      if (!row) return errorOf(row);
      if (!*row) break;
      Result<HistoryItem> item = historyFromRow(*s);
      if (!item) return errorOf(item);
      out.push_back(std::move(*item));
    }
    return out;
  }

  Result<int64_t> pruneHistory(TimePoint before) override {
    auto s = db_.prepare("DELETE FROM alarm_history WHERE at < ?1", "prune alarm history");
    if (!s) return errorOf(s);
    s->bindInt64(1, toMillis(before));
    if (Status st = s->run(); !st) return errorOf(st);
    return db_.changes();
  }

  Result<int64_t> changes() override {
    auto s =
        db_.prepare("SELECT value FROM meta WHERE name = 'alarm_changes'", "read alarm changes");
    if (!s) return errorOf(s);
    Result<bool> row = s->step();
    if (!row) return errorOf(row);
    return *row ? s->int64(0) : int64_t{0};
  }

  Status noteChange() override {
    return db_.exec(
        "INSERT INTO meta (name, value) VALUES ('alarm_changes', 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1",
        "note an alarm change");
  }

 private:
  std::optional<sqlite::Database> owned_;
  sqlite::Database& db_;
};

// The pragmas and migrations every connection of the alarm store gets.
Result<sqlite::Database> openDatabase(const std::string& path, std::string_view what_kind) {
  if (path.empty()) return makeError(fmt::format("open {}: the path is empty", what_kind));
  Result<sqlite::Database> opened =
      sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!opened) return errorOf(opened);
  sqlite::Database db = std::move(*opened);
  const std::string what = fmt::format("open {} {}", what_kind, path);
  if (sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs) != SQLITE_OK) return db.error(what);
  {
    Result<Statement> wal = db.prepare("PRAGMA journal_mode=WAL", what + ": enable WAL mode");
    if (!wal) return errorOf(wal);
    Result<bool> row = wal->step();
    if (!row) return errorOf(row);
  }
  if (Status st = db.exec("PRAGMA synchronous=NORMAL", what + ": set synchronous"); !st) {
    return errorOf(st);
  }
  if (Status st = db.exec("PRAGMA foreign_keys=ON", what + ": enable foreign keys"); !st) {
    return errorOf(st);
  }
  if (Status st = migrate(db, path, SystemClock::instance().now()); !st) return errorOf(st);
  return db;
}

}  // namespace

Result<std::unique_ptr<alarms::AlarmStore>> openSqliteAlarmStore(const std::string& path) {
  Result<sqlite::Database> db = openDatabase(path, "alarm store");
  if (!db) return errorOf(db);
  return std::unique_ptr<alarms::AlarmStore>(new SqliteAlarmStore(std::move(*db)));
}

Result<std::unique_ptr<AlarmDatabase>> AlarmDatabase::open(const std::string& path) {
  Result<sqlite::Database> db = openDatabase(path, "alarm database");
  if (!db) return errorOf(db);
  std::unique_ptr<AlarmDatabase> out(new AlarmDatabase());
  out->db_ = std::make_unique<sqlite::Database>(std::move(*db));
  out->alarms_ = std::make_unique<SqliteAlarmStore>(out->db_.get());
  out->outbox_ = SqliteOutbox::over(*out->db_);
  return out;
}

AlarmDatabase::AlarmDatabase() = default;
notify::OutboxStore& AlarmDatabase::outbox() { return *outbox_; }
AlarmDatabase::~AlarmDatabase() = default;

Status AlarmDatabase::transaction(const std::function<Status()>& fn) {
  return outbox_->transaction(fn);
}

}  // namespace costgate::store
