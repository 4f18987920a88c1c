#include "store/sqlite_reports.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstring>

#include "common/strings.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace costgate::store {

namespace {

using metering::Granularity;
using metering::GroupKey;
using metering::Report;
using metering::ReportQuery;
using metering::ReportRow;
using sqlite::Statement;
using sqlite::WriteTransaction;

constexpr int kBusyTimeoutMs = 5000;
constexpr int64_t kDayMs = 86'400'000;

template <class T>
Error errorOf(const Result<T>& r) {
  return makeError(r.error());
}

int64_t toMillis(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint fromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// ---- exact money in SQL ---------------------------------------------------------------------

// Parses argument `i` as Money; sets the statement's error and returns false when it is not one.
bool moneyArg(sqlite3_context* ctx, sqlite3_value* v, Money& out) {
  const unsigned char* text = sqlite3_value_text(v);
  std::string_view s(text ? reinterpret_cast<const char*>(text) : "",
                     static_cast<size_t>(sqlite3_value_bytes(v)));
  Result<Money> m = Money::parse(s);
  if (!m) {
    std::string message = fmt::format("money: {}: {}", jsonQuote(s), m.error());
    sqlite3_result_error(ctx, message.c_str(), static_cast<int>(message.size()));
    return false;
  }
  out = *m;
  return true;
}

void resultMoney(sqlite3_context* ctx, Money m) {
  std::string text = m.toString();
  sqlite3_result_text(ctx, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void overflow(sqlite3_context* ctx) { sqlite3_result_error(ctx, "money: sum out of range", -1); }

// The running sum, kept as bytes: SQLite's aggregate context is only 8-byte aligned, and a
// 128-bit integer there must be copied in and out, never accessed in place.
struct MoneySum {
  unsigned char raw[sizeof(Money::Raw)];  // zero-initialised by sqlite3_aggregate_context
  Money get() const {
    Money::Raw r;
    std::memcpy(&r, raw, sizeof r);
    return Money::fromRaw(r);
  }
  void set(Money m) {
    const Money::Raw r = m.raw();
    std::memcpy(raw, &r, sizeof r);
  }
};

// money_sum(text): the exact sum of the non-NULL decimals, "0" for none.
void moneySumStep(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return;
  auto* state = static_cast<MoneySum*>(sqlite3_aggregate_context(ctx, sizeof(MoneySum)));
  if (state == nullptr) return sqlite3_result_error_nomem(ctx);
  Money m;
  if (!moneyArg(ctx, argv[0], m)) return;
  auto sum = state->get().checkedAdd(m);
  if (!sum) return overflow(ctx);
  state->set(*sum);
}

void moneySumFinal(sqlite3_context* ctx) {
  auto* state = static_cast<MoneySum*>(sqlite3_aggregate_context(ctx, 0));
  resultMoney(ctx, state ? state->get() : Money());
}

// money_add(a, b): a + b, exactly.
void moneyAdd(sqlite3_context* ctx, int, sqlite3_value** argv) {
  Money a, b;
  if (!moneyArg(ctx, argv[0], a) || !moneyArg(ctx, argv[1], b)) return;
  auto sum = a.checkedAdd(b);
  if (!sum) return overflow(ctx);
  resultMoney(ctx, *sum);
}

Status registerMoneyFunctions(sqlite::Database& db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
  if (sqlite3_create_function_v2(db.handle(), "money_sum", 1, kFlags, nullptr, nullptr,
                                 moneySumStep, moneySumFinal, nullptr) != SQLITE_OK ||
      sqlite3_create_function_v2(db.handle(), "money_add", 2, kFlags, nullptr, moneyAdd, nullptr,
                                 nullptr, nullptr) != SQLITE_OK) {
    return makeError(db.error("register money functions").message);
  }
  return {};
}

// ---- report SQL ------------------------------------------------------------------------------

// The value of the tag whose lowercased key is bound at `param`, in the row's tags_json; NULL
// when the set lacks it. SQLite's lower() folds ASCII only, as toLowerAscii does.
std::string tagValueSql(int param) {
  return fmt::format(
      "(SELECT json_extract(j.value, '$.value') FROM json_each(tags_json) AS j WHERE "
      "lower(json_extract(j.value, '$.key')) = ?{} LIMIT 1)",
      param);
}

std::string periodSql(Granularity g, std::string_view time_column) {
  switch (g) {
    case Granularity::kTotal:
      return "0";
    case Granularity::kDay:
      return fmt::format("({0} / {1}) * {1}", time_column, kDayMs);
    case Granularity::kMonth:
      return fmt::format(
          "CAST(strftime('%s', {} / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000",
          time_column);
  }
  return "0";
}

// Parameters: ?1 from, ?2 to (ms), ?3 the JSON array of profile ids (when restricted), ?4... the
// lowercased tag keys of the tag groups, in order.
std::string reportSql(const ReportQuery& q) {
  bool tags = false, model = false, profile = false, region = false;
  for (const GroupKey& k : q.group_by) {
    tags = tags || k.kind == GroupKey::Kind::kTag;
    model = model || k.kind == GroupKey::Kind::kModel;
    profile = profile || k.kind == GroupKey::Kind::kProfile;
    region = region || k.kind == GroupKey::Kind::kRegion;
  }
  // The columns the inner grouping keeps: only what the report groups by.
  std::string keep;
  if (tags) keep += "tags_json, ";
  if (model) keep += "model_id, ";
  if (profile) keep += "profile_name, ";
  if (region) keep += "region, ";
  const std::string restrict =
      q.profile_ids ? " AND profile_id IN (SELECT value FROM json_each(?3))" : "";
  const std::string group_inner = fmt::format("GROUP BY {}period", keep);

  std::string raw = fmt::format(
      "SELECT {}{} AS period, count(*) AS calls, sum(status = 'failure') AS failures, "
      "sum(input_tokens) AS it, sum(output_tokens) AS ot, sum(cache_read_tokens) AS crt, "
      "sum(cache_write_tokens) AS cwt, money_sum(plain_input_cost) AS pic, "
      "money_sum(cache_read_cost) AS crc, money_sum(cache_write_cost) AS cwc, "
      "money_sum(output_cost) AS oc FROM usage_records WHERE started_at >= ?1 AND started_at < "
      "?2{} {}",
      keep, periodSql(q.granularity, "started_at"), restrict, group_inner);
  std::string archived = fmt::format(
      "SELECT {}{} AS period, sum(calls), sum(failures), sum(input_tokens), sum(output_tokens), "
      "sum(cache_read_tokens), sum(cache_write_tokens), money_sum(plain_input_cost), "
      "money_sum(cache_read_cost), money_sum(cache_write_cost), money_sum(output_cost) FROM "
      "usage_daily WHERE day >= ?1 AND day < ?2{} {}",
      keep, periodSql(q.granularity, "day"), restrict, group_inner);

  std::string groups;
  int param = 4;
  for (size_t i = 0; i < q.group_by.size(); ++i) {
    const GroupKey& k = q.group_by[i];
    std::string expr;
    switch (k.kind) {
      case GroupKey::Kind::kTag:
        expr = tagValueSql(param++);
        break;
      case GroupKey::Kind::kModel:
        expr = "model_id";
        break;
      case GroupKey::Kind::kProfile:
        expr = "profile_name";
        break;
      case GroupKey::Kind::kRegion:
        expr = "region";
        break;
    }
    groups += fmt::format("{} AS g{}, ", expr, i);
  }
  std::string group_outer;
  for (size_t i = 0; i < q.group_by.size(); ++i) group_outer += fmt::format("g{}, ", i);
  // Columns: g0..gN-1, period, calls, failures, 4 token sums, 4 money sums.
  return fmt::format(
      "SELECT {}period, sum(calls), sum(failures), sum(it), sum(ot), sum(crt), sum(cwt), "
      "money_sum(pic), money_sum(crc), money_sum(cwc), money_sum(oc) FROM ({} UNION ALL {}) "
      "GROUP BY {}period",
      groups, raw, archived, group_outer);
}

constexpr std::string_view kArchiveDay =
    "INSERT INTO usage_daily (day, profile_id, profile_name, model_id, region, tags_json, calls, "
    "failures, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, "
    "plain_input_cost, cache_read_cost, cache_write_cost, output_cost) "
    "SELECT ?1, profile_id, profile_name, model_id, region, tags_json, count(*), "
    "sum(status = 'failure'), sum(input_tokens), sum(output_tokens), sum(cache_read_tokens), "
    "sum(cache_write_tokens), money_sum(plain_input_cost), money_sum(cache_read_cost), "
    "money_sum(cache_write_cost), money_sum(output_cost) FROM usage_records "
    "WHERE started_at >= ?1 AND started_at < ?2 "
    "GROUP BY profile_id, profile_name, model_id, region, tags_json "
    "ON CONFLICT (day, profile_id, profile_name, model_id, region, tags_json) DO UPDATE SET "
    "calls = calls + excluded.calls, failures = failures + excluded.failures, "
    "input_tokens = input_tokens + excluded.input_tokens, "
    "output_tokens = output_tokens + excluded.output_tokens, "
    "cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, "
    "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, "
    "plain_input_cost = money_add(plain_input_cost, excluded.plain_input_cost), "
    "cache_read_cost = money_add(cache_read_cost, excluded.cache_read_cost), "
    "cache_write_cost = money_add(cache_write_cost, excluded.cache_write_cost), "
    "output_cost = money_add(output_cost, excluded.output_cost)";

class SqliteUsageReports final : public metering::UsageReports {
 public:
  explicit SqliteUsageReports(sqlite::Database db) : db_(std::move(db)) {}

  // metering::UsageReports
  Result<Report> report(const ReportQuery& q) override {
    if (q.from >= q.to) {
      return makeError(fmt::format("the range is empty: from {} is not before to {}",
                                   formatIso8601(q.from), formatIso8601(q.to)));
    }
    if (Status st = metering::checkArchivedBounds(*this, q); !st) return makeError(st.error());
    auto stmt = db_.prepare(reportSql(q), "usage report");
    if (!stmt) return errorOf(stmt);
    stmt->bindInt64(1, toMillis(q.from)).bindInt64(2, toMillis(q.to));
    if (q.profile_ids) {
      boost::json::array ids;
      for (const auto& id : *q.profile_ids) ids.push_back(boost::json::string(id));
      stmt->bindText(3, boost::json::serialize(ids));
    }
    int param = 4;
    for (const GroupKey& k : q.group_by) {
      if (k.kind == GroupKey::Kind::kTag) stmt->bindText(param++, toLowerAscii(k.tag_key));
    }
    std::vector<ReportRow> rows;
    const int n = static_cast<int>(q.group_by.size());
    for (;;) {
      Result<bool> more = stmt->step();
      if (!more) return errorOf(more);
      if (!*more) break;
      ReportRow row;
      for (int i = 0; i < n; ++i) row.groups.push_back(stmt->optionalText(i));
      if (q.granularity != Granularity::kTotal) row.period = fromMillis(stmt->int64(n));
      metering::UsageTotals& t = row.totals;
      t.calls = stmt->int64(n + 1);
      t.failures = stmt->int64(n + 2);
      t.usage = {stmt->int64(n + 3), stmt->int64(n + 4), stmt->int64(n + 5), stmt->int64(n + 6)};
      Money parts[4];
      for (int i = 0; i < 4; ++i) {
        auto m = Money::parse(stmt->text(n + 7 + i));
        if (!m) return makeError("usage report: a money sum is not a decimal: " + m.error());
        parts[i] = *m;
      }
      t.input_cost = parts[0] + parts[1] + parts[2];
      t.output_cost = parts[3];
      t.total_cost = t.input_cost + t.output_cost;
      rows.push_back(std::move(row));
    }
    Report report = metering::finishReport(std::move(rows));
    auto last = db_.prepare("SELECT max(day) FROM usage_daily", "usage report: archived days");
    if (!last) return errorOf(last);
    Result<bool> row = last->step();
    if (!row) return errorOf(row);
    if (*row && !last->isNull(0)) report.archived_before = fromMillis(last->int64(0) + kDayMs);
    return report;
  }

  Result<int64_t> archiveBefore(TimePoint cutoff) override {
    if (cutoff != metering::dayStart(cutoff)) {
      return makeError(
          fmt::format("archive usage: the cutoff {} is not a UTC midnight", formatIso8601(cutoff)));
    }
    int64_t archived = 0;
    for (;;) {
      auto first = db_.prepare("SELECT min(started_at) FROM usage_records WHERE started_at < ?1",
                               "archive usage: find the oldest day");
      if (!first) return errorOf(first);
      first->bindInt64(1, toMillis(cutoff));
      Result<bool> row = first->step();
      if (!row) return errorOf(row);
      if (!*row || first->isNull(0)) return archived;
      const TimePoint day = metering::dayStart(fromMillis(first->int64(0)));
      first->reset();
      auto moved = archiveDay(day);
      if (!moved) return errorOf(moved);
      archived += *moved;
    }
  }

  Result<bool> isArchivedDay(TimePoint day) override {
    auto stmt = db_.prepare("SELECT 1 FROM usage_daily WHERE day = ?1 LIMIT 1",
                            "usage report: archived days");
    if (!stmt) return errorOf(stmt);
    stmt->bindInt64(1, toMillis(day));
    return stmt->step();
  }

 private:
  // Folds the records of one UTC day into usage_daily and deletes them, in one transaction.
  Result<int64_t> archiveDay(TimePoint day) {
    const std::string what = fmt::format("archive usage of {}", formatIso8601(day).substr(0, 10));
    auto txn = WriteTransaction::begin(db_, WriteTransaction::Kind::kTopLevel, what);
    if (!txn) return errorOf(txn);
    auto fold = db_.prepare(kArchiveDay, what);
    if (!fold) return errorOf(fold);
    fold->bindInt64(1, toMillis(day)).bindInt64(2, toMillis(day) + kDayMs);
    if (Status st = fold->run(); !st) return errorOf(st);
    auto drop =
        db_.prepare("DELETE FROM usage_records WHERE started_at >= ?1 AND started_at < ?2", what);
    if (!drop) return errorOf(drop);
    drop->bindInt64(1, toMillis(day)).bindInt64(2, toMillis(day) + kDayMs);
    if (Status st = drop->run(); !st) return errorOf(st);
    const int64_t deleted = db_.changes();
    if (Status st = txn->commit(what); !st) return errorOf(st);
    return deleted;
  }

  sqlite::Database db_;
};

}  // namespace

Result<std::unique_ptr<metering::UsageReports>> openSqliteUsageReports(const std::string& path) {
  if (path.empty()) return makeError("open usage reports: the path is empty");
  Result<sqlite::Database> opened = sqlite::Database::open(path, SQLITE_OPEN_READWRITE);
  if (!opened) return errorOf(opened);
  sqlite::Database db = std::move(*opened);
  const std::string what = fmt::format("open usage reports {}", path);
  if (sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs) != SQLITE_OK) return db.error(what);
  if (Status st = migrate(db, path, SystemClock::instance().now()); !st) return errorOf(st);
  if (Status st = registerMoneyFunctions(db); !st) return errorOf(st);
  return std::unique_ptr<metering::UsageReports>(new SqliteUsageReports(std::move(db)));
}

}  // namespace costgate::store
