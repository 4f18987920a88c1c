#include "store/sqlite_outbox.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/strings.h"
#include "notify/payload.h"
#include "store/migrations.h"

namespace costgate::store {

namespace {

using notify::Delivery;
using notify::DeliveryState;
using sqlite::Statement;
using sqlite::WriteTransaction;

constexpr int kBusyTimeoutMs = 5000;

int64_t toMillis(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint fromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

template <class T>
Error errorOf(const Result<T>& r) {
  return makeError(r.error());
}

// Columns in the order deliveryFromRow reads them.
constexpr std::string_view kDeliveryColumns =
    "SELECT d.notification_id, d.endpoint, d.state, d.attempts, d.next_attempt_at, d.last_error, "
    "d.delivered_at, d.updated_at, n.topic, n.created_at, n.subject, n.body, n.fields_json "
    "FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id ";

Result<Delivery> deliveryFromRow(const Statement& row) {
  Delivery d;
  notify::Notification& n = d.notification;
  n.id = row.text(0);
  auto endpoint = notify::parseEndpointKey(row.text(1));
  if (!endpoint) return errorOf(endpoint);
  d.endpoint = std::move(*endpoint);
  auto state = notify::deliveryStateFromName(row.text(2));
  if (!state) return makeError(fmt::format("unknown delivery state {}", jsonQuote(row.text(2))));
  d.state = *state;
  d.attempts = static_cast<int>(row.int64(3));
  d.next_attempt_at = fromMillis(row.int64(4));
  d.last_error = row.text(5);
  if (auto t = row.optionalInt64(6)) d.delivered_at = fromMillis(*t);
  d.updated_at = fromMillis(row.int64(7));
  n.topic = row.text(8);
  n.created_at = fromMillis(row.int64(9));
  n.subject = row.text(10);
  n.body = row.text(11);
  auto fields = notify::fieldsFromJson(row.text(12));
  if (!fields) return errorOf(fields);
  n.fields = std::move(*fields);
  return d;
}

Error rowError(const Statement& row, std::string_view why) {
  return makeError(
      fmt::format("read delivery of notification {} to {}: {}", row.text(0), row.text(1), why));
}

}  // namespace

Result<std::unique_ptr<SqliteOutbox>> SqliteOutbox::open(const std::string& path) {
  if (path.empty()) return makeError("open outbox: the path is empty");
  Result<sqlite::Database> opened =
      sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!opened) return errorOf(opened);
  sqlite::Database db = std::move(*opened);
  const std::string what = fmt::format("open outbox {}", path);
  // Before anything that takes a lock, so opening waits for a busy writer instead of failing.
  if (sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs) != SQLITE_OK) return db.error(what);
  if (path != ":memory:") {
    if (Status st = db.exec("PRAGMA journal_mode=WAL", what + ": enable WAL mode"); !st) {
      return errorOf(st);
    }
  }
  // A notification acknowledged as stored survives the process dying (WAL, NORMAL).
  if (Status st = db.exec("PRAGMA synchronous=NORMAL", what + ": set synchronous"); !st) {
    return errorOf(st);
  }
  if (Status st = db.exec("PRAGMA foreign_keys=ON", what + ": enable foreign keys"); !st) {
    return errorOf(st);
  }
  if (Status st = migrate(db, path, SystemClock::instance().now()); !st) return errorOf(st);
  auto owned = std::optional<sqlite::Database>(std::move(db));
  sqlite::Database* raw = &*owned;
  return std::unique_ptr<SqliteOutbox>(new SqliteOutbox(raw, std::move(owned)));
}

std::unique_ptr<SqliteOutbox> SqliteOutbox::over(sqlite::Database& db) {
  return std::unique_ptr<SqliteOutbox>(new SqliteOutbox(&db, std::nullopt));
}

SqliteOutbox::SqliteOutbox(sqlite::Database* db, std::optional<sqlite::Database> owned)
    : owned_(std::move(owned)), db_(owned_ ? &*owned_ : db) {}

Result<WriteTransaction> SqliteOutbox::begin(std::string_view what) {
  return WriteTransaction::begin(
      *db_,
      db_->inTransaction() ? WriteTransaction::Kind::kSavepoint : WriteTransaction::Kind::kTopLevel,
      what);
}

Status SqliteOutbox::transaction(const std::function<Status()>& fn) {
  auto txn = WriteTransaction::begin(*db_, WriteTransaction::Kind::kTopLevel, "outbox transaction");
  if (!txn) return errorOf(txn);
  if (Status st = fn(); !st) return st;  // the destructor rolls back
  return txn->commit("commit outbox transaction");
}

Status SqliteOutbox::enqueue(const notify::Notification& n,
                             std::span<const notify::Endpoint> endpoints) {
  const std::string what = fmt::format("enqueue notification {}", n.id);
  auto txn = begin(what);
  if (!txn) return errorOf(txn);
  auto insert = db_->prepare(
      "INSERT OR IGNORE INTO notifications (id, topic, created_at, subject, body, fields_json) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      what);
  if (!insert) return errorOf(insert);
  insert->bindText(1, n.id)
      .bindText(2, n.topic)
      .bindInt64(3, toMillis(n.created_at))
      .bindText(4, n.subject)
      .bindText(5, n.body)
      .bindText(6, notify::fieldsToJson(n.fields));
  if (Status st = insert->run(); !st) return st;
  if (db_->changes() == 0) return txn->commit(what);  // stored before: nothing to add
  auto delivery = db_->prepare(
      "INSERT OR IGNORE INTO notification_deliveries (notification_id, endpoint, state, "
      "attempts, next_attempt_at, last_error, delivered_at, updated_at) "
      "VALUES (?1, ?2, 'pending', 0, ?3, '', NULL, ?3)",
      what);
  if (!delivery) return errorOf(delivery);
  for (const notify::Endpoint& e : endpoints) {
    delivery->reset();
    delivery->bindText(1, n.id).bindText(2, e.key()).bindInt64(3, toMillis(n.created_at));
    if (Status st = delivery->run(); !st) return st;
  }
  return txn->commit(what);
}

Result<std::vector<Delivery>> SqliteOutbox::claimDue(TimePoint now, std::chrono::milliseconds lease,
                                                     size_t limit) {
  const std::string what = "claim due notifications";
  auto txn = begin(what);
  if (!txn) return errorOf(txn);
  auto select = db_->prepare(std::string(kDeliveryColumns) +
                                 "WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 "
                                 "ORDER BY d.notification_id, d.endpoint LIMIT ?2",
                             what);
  auto claim = db_->prepare(
      "UPDATE notification_deliveries SET next_attempt_at = ?1 "
      "WHERE notification_id = ?2 AND endpoint = ?3",
      what);
  // A row that cannot be read would be claimed again and again; it fails for good instead.
  auto poison = db_->prepare(
      "UPDATE notification_deliveries SET state = 'failed', last_error = ?1, updated_at = ?2 "
      "WHERE notification_id = ?3 AND endpoint = ?4",
      what);
  if (!select) return errorOf(select);
  if (!claim) return errorOf(claim);
  if (!poison) return errorOf(poison);
  select->bindInt64(1, toMillis(now)).bindInt64(2, static_cast<int64_t>(limit));
  std::vector<Delivery> out;
  std::vector<std::tuple<std::string, std::string, std::string>> unreadable;
  for (;;) {
    auto row = select->step();
    if (!row) return errorOf(row);
    if (!*row) break;
    auto d = deliveryFromRow(*select);
    if (!d) {
      unreadable.emplace_back(select->text(0), select->text(1),
                              rowError(*select, d.error()).message);
      continue;
    }
    d->next_attempt_at = now + lease;
    out.push_back(std::move(*d));
  }
  for (const Delivery& d : out) {
    claim->reset();
    claim->bindInt64(1, toMillis(d.next_attempt_at))
        .bindText(2, d.notification.id)
        .bindText(3, d.endpoint.key());
    if (Status st = claim->run(); !st) return errorOf(st);
  }
  for (const auto& [id, endpoint, why] : unreadable) {
    poison->reset();
    poison->bindText(1, why).bindInt64(2, toMillis(now)).bindText(3, id).bindText(4, endpoint);
    if (Status st = poison->run(); !st) return errorOf(st);
  }
  if (Status st = txn->commit(what); !st) return errorOf(st);
  return out;
}

Status SqliteOutbox::mark(const notify::DeliveryRef& d, DeliveryState state, TimePoint next,
                          std::string_view error, std::optional<TimePoint> delivered_at,
                          TimePoint now) {
  const std::string what = fmt::format("mark notification {} to {} {}", d.notification_id,
                                       d.endpoint_key, notify::deliveryStateName(state));
  auto txn = begin(what);
  if (!txn) return errorOf(txn);
  auto update = db_->prepare(
      "UPDATE notification_deliveries SET state = ?1, attempts = attempts + 1, "
      "next_attempt_at = ?2, last_error = ?3, delivered_at = ?4, updated_at = ?5 "
      "WHERE notification_id = ?6 AND endpoint = ?7 AND state = 'pending'",
      what);
  if (!update) return errorOf(update);
  std::optional<int64_t> delivered;
  if (delivered_at) delivered = toMillis(*delivered_at);
  update->bindText(1, notify::deliveryStateName(state))
      .bindInt64(2, toMillis(next))
      .bindText(3, error)
      .bindOptionalInt64(4, delivered)
      .bindInt64(5, toMillis(now))
      .bindText(6, d.notification_id)
      .bindText(7, d.endpoint_key);
  if (Status st = update->run(); !st) return st;
  if (db_->changes() == 0) return makeError(what + ": no such pending delivery");
  return txn->commit(what);
}

Status SqliteOutbox::markDelivered(const notify::DeliveryRef& d, TimePoint now) {
  return mark(d, DeliveryState::kDelivered, now, "", now, now);
}

Status SqliteOutbox::markRetry(const notify::DeliveryRef& d, TimePoint next_attempt_at,
                               std::string_view error, TimePoint now) {
  return mark(d, DeliveryState::kPending, next_attempt_at, error, std::nullopt, now);
}

Status SqliteOutbox::markFailed(const notify::DeliveryRef& d, std::string_view error,
                                TimePoint now) {
  return mark(d, DeliveryState::kFailed, now, error, std::nullopt, now);
}

Result<std::optional<TimePoint>> SqliteOutbox::nextDue() {
  auto q = db_->prepare(
      "SELECT min(next_attempt_at) FROM notification_deliveries WHERE state = 'pending'",
      "find the next due notification");
  if (!q) return errorOf(q);
  auto row = q->step();
  if (!row) return errorOf(row);
  if (!*row || q->isNull(0)) return std::optional<TimePoint>();
  return std::optional<TimePoint>(fromMillis(q->int64(0)));
}

Result<std::vector<Delivery>> SqliteOutbox::list(const notify::OutboxQuery& q) {
  auto select = db_->prepare(std::string(kDeliveryColumns) +
                                 "WHERE (?1 IS NULL OR d.state = ?1) AND (?2 = '' OR n.topic = ?2) "
                                 "AND (?3 = '' OR d.notification_id = ?3) "
                                 "ORDER BY d.notification_id DESC, d.endpoint LIMIT ?4",
                             "list notifications");
  if (!select) return errorOf(select);
  std::optional<std::string> state;
  if (q.state) state = notify::deliveryStateName(*q.state);
  select->bindOptionalText(1, state)
      .bindText(2, q.topic)
      .bindText(3, q.notification_id)
      .bindInt64(4, q.limit == 0 ? -1 : static_cast<int64_t>(q.limit));
  std::vector<Delivery> out;
  for (;;) {
    auto row = select->step();
    if (!row) return errorOf(row);
    if (!*row) return out;
    auto d = deliveryFromRow(*select);
    if (!d) return rowError(*select, d.error());
    out.push_back(std::move(*d));
  }
}

Result<notify::OutboxCounts> SqliteOutbox::counts() {
  auto q = db_->prepare(
      "SELECT state, attempts > 0, count(*) FROM notification_deliveries GROUP BY 1, 2",
      "count notifications");
  if (!q) return errorOf(q);
  notify::OutboxCounts c;
  for (;;) {
    auto row = q->step();
    if (!row) return errorOf(row);
    if (!*row) return c;
    const std::string state = q->text(0);
    const int64_t n = q->int64(2);
    if (state == "pending") {
      c.pending += n;
      if (q->int64(1) != 0) c.retrying += n;
    } else if (state == "delivered") {
      c.delivered += n;
    } else if (state == "failed") {
      c.failed += n;
    }
  }
}

}  // namespace costgate::store
