#include "store/sqlite_dashboard_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include "common/strings.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace costgate::store {

std::string_view dashboardOriginName(DashboardOrigin o) {
  return o == DashboardOrigin::kSetup ? "setup" : "api";
}

namespace {

using sqlite::Statement;

constexpr int kBusyTimeoutMs = 5000;

template <class T>
Error errorOf(const Result<T>& r) {
  return makeError(r.error());
}

class SqliteDashboardStore final : public DashboardStore {
 public:
  explicit SqliteDashboardStore(sqlite::Database db) : db_(std::move(db)) {}

  // store::DashboardStore
  Result<std::vector<std::string>> listDashboards() override {
    auto s = db_.prepare("SELECT name FROM dashboards ORDER BY name", "list dashboards");
    if (!s) return errorOf(s);
    std::vector<std::string> out;
    while (true) {
      Result<bool> row = s->step();
      if (!row) return errorOf(row);
      if (!*row) break;
      out.push_back(s->text(0));
    }
    return out;
  }

  Result<std::optional<StoredDashboard>> getDashboard(std::string_view name) override {
    const std::string what = fmt::format("get dashboard {}", jsonQuote(name));
    auto s = db_.prepare(
        "SELECT name, definition_json, origin, updated_at FROM dashboards WHERE name = ?1", what);
    if (!s) return errorOf(s);
    s->bindText(1, name);
    Result<bool> row = s->step();
    if (!row) return errorOf(row);
    if (!*row) return std::optional<StoredDashboard>();
    StoredDashboard d;
    d.name = s->text(0);
    d.definition_json = s->text(1);
    const std::string origin = s->text(2);
    if (origin == "setup") {
      d.origin = DashboardOrigin::kSetup;
    } else if (origin == "api") {
      d.origin = DashboardOrigin::kApi;
    } else {
      return makeError(fmt::format("{}: unknown origin {}", what, jsonQuote(origin)));
    }
    d.updated_at = TimePoint(std::chrono::milliseconds(s->int64(3)));
    return std::optional<StoredDashboard>(std::move(d));
  }

  Status putDashboard(const StoredDashboard& d) override {
    auto s = db_.prepare(
        "INSERT OR REPLACE INTO dashboards (name, definition_json, origin, updated_at) "
        "VALUES (?1, ?2, ?3, ?4)",
        fmt::format("put dashboard {}", jsonQuote(d.name)));
    if (!s) return errorOf(s);
    s->bindText(1, d.name)
        .bindText(2, d.definition_json)
        .bindText(3, dashboardOriginName(d.origin))
        .bindInt64(4, d.updated_at.time_since_epoch().count());
    return s->run();
  }

  Result<bool> deleteDashboard(std::string_view name) override {
    auto s = db_.prepare("DELETE FROM dashboards WHERE name = ?1",
                         fmt::format("delete dashboard {}", jsonQuote(name)));
    if (!s) return errorOf(s);
    s->bindText(1, name);
    if (Status st = s->run(); !st) return errorOf(st);
    return db_.changes() > 0;
  }

 private:
  sqlite::Database db_;
};

}  // namespace

Result<std::unique_ptr<DashboardStore>> openSqliteDashboardStore(const std::string& path) {
  if (path.empty()) return makeError("open dashboard store: the path is empty");
  Result<sqlite::Database> opened =
      sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!opened) return errorOf(opened);
  sqlite::Database db = std::move(*opened);
  const std::string what = fmt::format("open dashboard store {}", path);
  if (sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs) != SQLITE_OK) return db.error(what);
  {
    Result<Statement> wal = db.prepare("PRAGMA journal_mode=WAL", what + ": enable WAL mode");
    if (!wal) return errorOf(wal);
    Result<bool> row = wal->step();
    if (!row) return errorOf(row);
  }
  if (Status st = migrate(db, path, SystemClock::instance().now()); !st) return errorOf(st);
  return std::unique_ptr<DashboardStore>(new SqliteDashboardStore(std::move(db)));
}

}  // namespace costgate::store
