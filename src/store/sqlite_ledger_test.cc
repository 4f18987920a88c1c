#include "store/sqlite_ledger.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace costgate::store {
namespace {

using metering::CallStatus;
using metering::LedgerStore;
using metering::UsageQuery;
using metering::UsageRecord;
using metering::UsageTotals;
using profiles::Tag;

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z

TimePoint at(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

Money money(std::string_view text) {
  auto m = Money::parse(text);
  EXPECT_TRUE(m.ok()) << text;
  return m.ok() ? *m : Money();
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/costgate_ledger_test_XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Runs one statement on a plain connection, as another program would.
std::string rawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
      << sql << ": " << sqlite3_errmsg(db);
  std::string out;
  int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  EXPECT_TRUE(rc == SQLITE_ROW || rc == SQLITE_DONE) << sql << ": " << sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return out;
}

// A record with every field set, optional ones included.
UsageRecord fullRecord() {
  UsageRecord r;
  r.call_id = metering::newCallId(at(kT0 + 5));
  r.request_id = "req-\"quoted\" ünïcode";
  r.started_at = at(kT0 + 5);
  r.first_token_at = at(kT0 + 120);
  r.ended_at = at(kT0 + 900);
  r.profile_id = "abc123def456";
  r.profile_name = "acme-chat";
  r.tags = {{"TenantID", "acme"}, {"CostCenter", "r&d, \"lab\""}};
  r.key_id = "k_0123";
  r.model_id = "anthropic.claude-3-haiku";
  r.region = "us-east-1";
  r.dialect = "anthropic";
  r.upstream = "sim";
  r.usage = {1234, 567, 89, 10};
  r.prices = {money("0.00025"), money("0.00125"), money("0.000025"), money("0.0003")};
  r.cost = {money("0.0003085"), money("0.000002225"), money("0.000003"), money("0.00070875")};
  r.status = CallStatus::kFailure;
  r.http_status = 499;
  r.error_type = "client_disconnected";
  r.estimated = true;
  r.unpriced = true;
  return r;
}

// A small record: `profile`, started at kT0 + `offset` ms, costing `cost` for output.
UsageRecord smallRecord(std::string profile, int64_t offset, Money cost = {},
                        std::vector<Tag> tags = {}) {
  UsageRecord r;
  r.call_id = metering::newCallId(at(kT0 + offset));
  r.started_at = at(kT0 + offset);
  r.ended_at = r.started_at;
  r.profile_id = profile;
  r.profile_name = profile + "-name";
  r.tags = std::move(tags);
  r.usage.output_tokens = 1;
  r.cost.output = cost;
  return r;
}

// Builds a UsageQuery (designated initializers that skip fields trip -Wextra on g++ 12).
class Q {
 public:
  Q& profiles(std::vector<std::string> ids) {
    q_.profile_ids = std::move(ids);
    return *this;
  }
  Q& tags(std::vector<Tag> tags) {
    q_.tags = std::move(tags);
    return *this;
  }
  Q& from(int64_t offset) {
    q_.from = at(kT0 + offset);
    return *this;
  }
  Q& to(int64_t offset) {
    q_.to = at(kT0 + offset);
    return *this;
  }
  Q& limit(size_t n) {
    q_.limit = n;
    return *this;
  }
  operator UsageQuery() const { return q_; }  // NOLINT: implicit by design

 private:
  UsageQuery q_;
};

class SqliteLedgerTest : public ::testing::Test {
 protected:
  std::unique_ptr<LedgerStore> open(LedgerDurability d = LedgerDurability::kProcessCrash) {
    auto l = openSqliteLedger(path_, d);
    EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error());
    return l.ok() ? std::move(*l) : nullptr;
  }
  std::vector<UsageRecord> query(LedgerStore& l, const UsageQuery& q = {}) {
    auto r = l.query(q);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
    return r.ok() ? *r : std::vector<UsageRecord>{};
  }
  UsageTotals totals(LedgerStore& l, const UsageQuery& q = {}) {
    auto r = l.totals(q);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
    return r.ok() ? *r : UsageTotals{};
  }
  std::vector<std::string> callIds(const std::vector<UsageRecord>& records) {
    std::vector<std::string> ids;
    for (const auto& r : records) ids.push_back(r.call_id);
    return ids;
  }

  TempDir dir_;
  std::string path_ = dir_.file("costgate.db");
};

TEST_F(SqliteLedgerTest, RoundTripsEveryField) {
  auto ledger = open();
  UsageRecord full = fullRecord();
  UsageRecord sparse = smallRecord("p2", 10);  // no first token, no cache prices, no tags
  ASSERT_TRUE(ledger->append({full, sparse}).ok());
  auto got = query(*ledger);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], full);
  EXPECT_EQ(got[1], sparse);
  // Field by field too, so a failure says which one.
  const UsageRecord& g = got[0];
  EXPECT_EQ(g.request_id, full.request_id);
  EXPECT_EQ(g.first_token_at, full.first_token_at);
  EXPECT_EQ(g.tags, full.tags);
  EXPECT_EQ(g.prices, full.prices);
  EXPECT_EQ(g.cost.total(), full.cost.total());
  EXPECT_EQ(g.status, CallStatus::kFailure);
  EXPECT_EQ(g.http_status, 499);
  EXPECT_EQ(g.error_type, "client_disconnected");
  EXPECT_TRUE(g.estimated);
  EXPECT_TRUE(g.unpriced);
  EXPECT_FALSE(got[1].unpriced);
  EXPECT_FALSE(got[1].first_token_at.has_value());
  EXPECT_FALSE(got[1].prices.cache_read_per_1k.has_value());

  // Money is stored as its exact decimal text, never REAL.
  EXPECT_EQ(rawQuery(path_,
                     "SELECT total_cost FROM usage_records WHERE call_id = '" + full.call_id + "'"),
            full.cost.total().toString());
  EXPECT_EQ(rawQuery(path_, "SELECT typeof(plain_input_cost) FROM usage_records LIMIT 1"), "text");
  EXPECT_EQ(rawQuery(path_, "SELECT count(*) FROM usage_records WHERE cache_read_per_1k IS NULL"),
            "1");
}

TEST_F(SqliteLedgerTest, TotalsAreExactOverTenThousandRecords) {
  auto ledger = open();
  std::mt19937_64 rng(20260101);  // seeded: the test is the same every run
  std::uniform_int_distribution<int64_t> raw(0, 999'999'999'999'999);  // up to 18 digits
  std::vector<UsageRecord> all;
  Money input, output, total, p1_total;
  int64_t failures = 0, tokens = 0;
  for (int i = 0; i < 10'000; ++i) {
    UsageRecord r = smallRecord(i % 3 == 0 ? "p1" : "p2", i);
    r.cost.plain_input = Money::fromRaw(raw(rng));
    r.cost.cache_read = Money::fromRaw(raw(rng) / 1000);
    r.cost.cache_write = Money::fromRaw(raw(rng) % 7);
    r.cost.output = Money::fromRaw(raw(rng)) * 3;
    r.usage.input_tokens = i;
    r.status = i % 17 == 0 ? CallStatus::kFailure : CallStatus::kSuccess;
    input += r.cost.plain_input + r.cost.cache_read + r.cost.cache_write;
    output += r.cost.output;
    total += r.cost.total();
    if (r.profile_id == "p1") p1_total += r.cost.total();
    failures += r.status == CallStatus::kFailure;
    tokens += i;
    all.push_back(std::move(r));
  }
  std::shuffle(all.begin(), all.end(), rng);
  for (size_t i = 0; i < all.size(); i += 500) {
    std::vector<UsageRecord> batch(all.begin() + i, all.begin() + std::min(all.size(), i + 500));
    ASSERT_TRUE(ledger->append(batch).ok());
  }
  UsageTotals t = totals(*ledger);
  EXPECT_EQ(t.calls, 10'000);
  EXPECT_EQ(t.failures, failures);
  EXPECT_EQ(t.usage.input_tokens, tokens);
  EXPECT_EQ(t.usage.output_tokens, 10'000);
  EXPECT_EQ(t.input_cost, input) << t.input_cost.toString() << " vs " << input.toString();
  EXPECT_EQ(t.output_cost, output);
  EXPECT_EQ(t.total_cost, total) << t.total_cost.toString() << " vs " << total.toString();
  EXPECT_GT(total.fractionDigits(), 12);  // the sum really exercises the small digits
  EXPECT_EQ(totals(*ledger, Q().profiles({"p1"})).total_cost, p1_total);
  // The records sum to the totals too, and come back oldest first.
  auto records = query(*ledger);
  ASSERT_EQ(records.size(), 10'000u);
  Money summed;
  for (const auto& r : records) summed += r.cost.total();
  EXPECT_EQ(summed, total);
  EXPECT_TRUE(std::is_sorted(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return a.started_at < b.started_at;
  }));
  EXPECT_EQ(ledger->count().value(), 10'000);
}

TEST_F(SqliteLedgerTest, AppendingTheSameBatchTwiceCountsOnce) {
  auto ledger = open();
  std::vector<UsageRecord> batch = {smallRecord("p1", 1, money("0.1")),
                                    smallRecord("p1", 2, money("0.2"))};
  ASSERT_TRUE(ledger->append(batch).ok());
  ASSERT_TRUE(ledger->append(batch).ok());
  EXPECT_EQ(ledger->count().value(), 2);
  EXPECT_EQ(totals(*ledger).total_cost, money("0.3"));
  // A batch mixing a known and a new call adds only the new one; the first copy is kept.
  UsageRecord changed = batch[0];
  changed.cost.output = money("99");
  ASSERT_TRUE(ledger->append({changed, smallRecord("p1", 3, money("0.4"))}).ok());
  EXPECT_EQ(ledger->count().value(), 3);
  EXPECT_EQ(totals(*ledger).total_cost, money("0.7"));
  EXPECT_TRUE(ledger->append({}).ok());
}

TEST_F(SqliteLedgerTest, TryAppendDoesNotWaitForAnotherConnectionsWriteLock) {
  auto ledger = open();
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &other, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  const auto started = std::chrono::steady_clock::now();
  Result<bool> locked = ledger->tryAppend({smallRecord("p1", 1, money("0.1"))});
  ASSERT_TRUE(locked.ok()) << locked.error();
  EXPECT_FALSE(*locked);  // nothing written, no error
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));  // not 5 s
  EXPECT_EQ(ledger->count().value(), 0);

  ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close_v2(other);
  Result<bool> written = ledger->tryAppend({smallRecord("p1", 1, money("0.1"))});
  ASSERT_TRUE(written.ok()) << written.error();
  EXPECT_TRUE(*written);
  EXPECT_EQ(ledger->count().value(), 1);
  // The blocking append still waits for the lock (the busy timeout was put back).
  ASSERT_TRUE(ledger->append({smallRecord("p1", 2, money("0.2"))}).ok());
  EXPECT_EQ(totals(*ledger).total_cost, money("0.3"));
}

TEST_F(SqliteLedgerTest, FiltersByProfileTagsTimeAndLimit) {
  auto ledger = open();
  std::vector<Tag> acme = {{"TenantID", "acme"}, {"Env", "prod"}};
  std::vector<Tag> globex = {{"TenantID", "globex"}};
  std::vector<UsageRecord> rs = {
      smallRecord("p1", 300, money("1"), acme), smallRecord("p2", 100, money("2"), globex),
      smallRecord("p1", 200, money("4"), acme), smallRecord("p3", 400, money("8")),
      smallRecord("p2", 500, money("16"), globex)};
  ASSERT_TRUE(ledger->append(rs).ok());
  auto ids = [&](std::initializer_list<int> idx) {
    std::vector<std::string> out;
    for (int i : idx) out.push_back(rs[static_cast<size_t>(i)].call_id);
    return out;
  };

  EXPECT_EQ(callIds(query(*ledger)), ids({1, 2, 0, 3, 4}));  // oldest first
  EXPECT_EQ(callIds(query(*ledger, Q().profiles({"p1"}))), ids({2, 0}));
  EXPECT_EQ(callIds(query(*ledger, Q().profiles({"p3", "p2"}))), ids({1, 3, 4}));
  EXPECT_TRUE(query(*ledger, Q().profiles({"nope"})).empty());

  // Tag keys match case-insensitively, values exactly; every tag asked for must be there.
  EXPECT_EQ(callIds(query(*ledger, Q().tags({{"tenantid", "acme"}}))), ids({2, 0}));
  EXPECT_EQ(callIds(query(*ledger, Q().tags({{"TENANTID", "globex"}}))), ids({1, 4}));
  EXPECT_TRUE(query(*ledger, Q().tags({{"TenantID", "ACME"}})).empty());
  EXPECT_EQ(callIds(query(*ledger, Q().tags({{"tenantid", "acme"}, {"env", "prod"}}))),
            ids({2, 0}));
  EXPECT_TRUE(query(*ledger, Q().tags({{"tenantid", "acme"}, {"env", "dev"}})).empty());
  EXPECT_EQ(totals(*ledger, Q().tags({{"tenantid", "acme"}})).total_cost, money("5"));

  // [from, to): from inclusive, to exclusive.
  UsageQuery range = Q().from(200).to(400);
  EXPECT_EQ(callIds(query(*ledger, range)), ids({2, 0}));
  EXPECT_EQ(totals(*ledger, range).total_cost, money("5"));
  EXPECT_EQ(callIds(query(*ledger, Q().from(400))), ids({3, 4}));
  EXPECT_EQ(callIds(query(*ledger, Q().to(101))), ids({1}));
  EXPECT_EQ(callIds(query(*ledger, Q().profiles({"p2"}).from(101))), ids({4}));

  // The limit applies to records after every filter; totals ignore it.
  EXPECT_EQ(callIds(query(*ledger, Q().limit(2))), ids({1, 2}));
  EXPECT_EQ(callIds(query(*ledger, Q().tags({{"TenantID", "globex"}}).limit(1))), ids({1}));
  UsageTotals limited = totals(*ledger, Q().limit(1));
  EXPECT_EQ(limited.calls, 5);
  EXPECT_EQ(limited.total_cost, money("31"));
}

TEST_F(SqliteLedgerTest, PurgeDeletesEverything) {
  auto ledger = open();
  ASSERT_TRUE(ledger->append({smallRecord("p1", 1), smallRecord("p2", 2)}).ok());
  ASSERT_TRUE(ledger->purge().ok());
  EXPECT_EQ(ledger->count().value(), 0);
  EXPECT_TRUE(query(*ledger).empty());
  EXPECT_EQ(totals(*ledger).calls, 0);
  EXPECT_TRUE(totals(*ledger).total_cost.isZero());
  ASSERT_TRUE(ledger->purge().ok());  // purging nothing is fine
  ASSERT_TRUE(ledger->append({smallRecord("p1", 3)}).ok());
  EXPECT_EQ(ledger->count().value(), 1);
}

TEST_F(SqliteLedgerTest, BothDurabilityModesOpenInWalMode) {
  for (LedgerDurability d : {LedgerDurability::kProcessCrash, LedgerDurability::kPowerLoss}) {
    SCOPED_TRACE(ledgerDurabilityName(d));
    auto ledger = open(d);
    ASSERT_NE(ledger, nullptr);
    ASSERT_TRUE(ledger->append({smallRecord("p1", 1)}).ok());
    EXPECT_EQ(rawQuery(path_, "PRAGMA journal_mode"), "wal");
  }
  EXPECT_STREQ(ledgerDurabilityName(LedgerDurability::kProcessCrash), "process_crash");
  EXPECT_STREQ(ledgerDurabilityName(LedgerDurability::kPowerLoss), "power_loss");
}

TEST_F(SqliteLedgerTest, SurvivesReopen) {
  std::vector<UsageRecord> batch = {fullRecord(), smallRecord("p1", 7, money("0.001"))};
  {
    auto ledger = open();
    ASSERT_TRUE(ledger->append(batch).ok());
  }
  auto ledger = open(LedgerDurability::kPowerLoss);
  EXPECT_EQ(query(*ledger), batch);
  EXPECT_EQ(ledger->count().value(), 2);
}

TEST_F(SqliteLedgerTest, LedgerFirstThenStoreOpenTheSameFile) {
  auto ledger = open();
  ASSERT_TRUE(ledger->append({smallRecord("p1", 1)}).ok());
  auto st = openSqliteStore(path_, {.create_if_missing = false});
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE((*st)->setSetting("x", "y").ok());
  EXPECT_EQ(rawQuery(path_, "SELECT max(version) FROM schema_migrations"),
            std::to_string(latestSchemaVersion()));
  // Both connections write the same file, one after the other.
  ASSERT_TRUE(ledger->append({smallRecord("p1", 2)}).ok());
  EXPECT_EQ(ledger->count().value(), 2);
}

TEST_F(SqliteLedgerTest, OpeningUpgradesAStoreWrittenBeforeTheLedgerExisted) {
  {
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(migrate(*db, path_, at(kT0), schemaMigrations().first(1)).ok());
    ASSERT_TRUE(db->exec("INSERT INTO settings (name, value) VALUES ('kept', 'yes')", "seed").ok());
  }
  auto ledger = open();
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(rawQuery(path_, "SELECT max(version) FROM schema_migrations"),
            std::to_string(latestSchemaVersion()));
  EXPECT_EQ(rawQuery(path_, "SELECT value FROM settings WHERE name = 'kept'"), "yes");
  EXPECT_EQ(ledger->count().value(), 0);
}

// With background checkpoints the database file takes the WAL's pages within about a quarter
// second, without the committing connection doing it; on-commit checkpoints leave a small WAL
// alone until it passes 1000 pages.
TEST_F(SqliteLedgerTest, BackgroundCheckpointsMoveTheWalIntoTheFile) {
  for (LedgerCheckpoints mode : {LedgerCheckpoints::kOnCommit, LedgerCheckpoints::kBackground}) {
    std::filesystem::remove(path_);
    std::filesystem::remove(path_ + "-wal");
    std::filesystem::remove(path_ + "-shm");
    auto l = openSqliteLedger(path_, LedgerDurability::kProcessCrash, mode);
    ASSERT_TRUE(l.ok()) << l.error();
    auto before = std::filesystem::file_size(path_);
    for (int b = 0; b < 20; ++b) {
      std::vector<UsageRecord> batch;
      for (int i = 0; i < 20; ++i) batch.push_back(smallRecord("p1", b * 20 + i));
      ASSERT_TRUE((*l)->append(batch).ok());
    }
    bool grew = false;
    for (int i = 0; i < 20 && !grew; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      grew = std::filesystem::file_size(path_) > before;
    }
    EXPECT_EQ(grew, mode == LedgerCheckpoints::kBackground);
    EXPECT_EQ((*l)->count().value(), 400);
  }
}

TEST_F(SqliteLedgerTest, RowsWrittenBeforeTheUnpricedColumnReadAsPriced) {
  {
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(migrate(*db, path_, at(kT0), schemaMigrations().first(2)).ok());
    ASSERT_TRUE(db->exec("INSERT INTO usage_records VALUES ('01OLD', '', 1, NULL, 2, 'p1', "
                         "'one', '[]', 'k', 'm', 'r', 'openai', 'sim', 1, 2, 0, 0, '0.001', "
                         "'0.002', NULL, NULL, '0.000001', '0', '0', '0.000004', '0.000005', "
                         "'success', 200, '', 0)",
                         "seed")
                    .ok());
  }
  auto ledger = open();
  ASSERT_NE(ledger, nullptr);
  std::vector<UsageRecord> rows = query(*ledger);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].call_id, "01OLD");
  EXPECT_FALSE(rows[0].unpriced);
  EXPECT_EQ(rows[0].cost.total().toString(), "0.000005");
}

// Versions 6 and 11 rebuild the ledger (6: one WITHOUT ROWID b-tree keyed by (started_at,
// call_id); 11: a rowid table with a unique (started_at, call_id) index, as WITHOUT ROWID kept
// whole rows in interior pages): rows written under version 5 come through both unchanged, in
// time order, and a retried record is still skipped.
TEST_F(SqliteLedgerTest, VersionElevenKeepsRowsInARowidTableKeyedByStartAndCallId) {
  {
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(migrate(*db, path_, at(kT0), schemaMigrations().first(5)).ok());
    for (
        const char* row :
        {"('01C', 'rc', 30, NULL, 31, 'p1', 'one', '[]', 'k', 'm', 'r', 'openai', 'sim', 1, 2, 0, "
         "0, '0.001', '0.002', NULL, NULL, '0.000001', '0', '0', '0.000004', '0.000005', "
         "'success', 200, '', 0, 0)",
         "('01A', '', 10, 11, 12, 'p2', 'two', '[{\"key\":\"TenantID\",\"value\":\"t2\"}]', "
         "'k', 'm', 'r', 'seed', 'sim', 5, 0, 0, 0, '0.001', '0.002', NULL, NULL, '0.000005', '0', "
         "'0', '0', '0.000005', 'failure', 502, 'upstream_error', 1, 1)",
         "('01B', '', 20, NULL, 21, 'p1', 'one', '[]', 'k', 'm', 'r', 'openai', 'sim', 0, 0, 0, 0, "
         "'0.001', '0.002', NULL, NULL, '0', '0', '0', '0', '0', 'success', 200, '', 0, 0)"}) {
      ASSERT_TRUE(db->exec(std::string("INSERT INTO usage_records VALUES ") + row, "seed").ok());
    }
  }
  EXPECT_EQ(rawQuery(path_,
                     "SELECT count(*) FROM sqlite_master WHERE tbl_name = "
                     "'usage_records'"),
            "4");  // the rowid table, its call-id index, by_profile, by_start
  auto ledger = open();
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(rawQuery(path_, "SELECT max(version) FROM schema_migrations"),
            std::to_string(latestSchemaVersion()));
  EXPECT_EQ(rawQuery(path_,
                     "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master "
                     "WHERE tbl_name = 'usage_records' ORDER BY name)"),
            "usage_records,usage_records_by_profile,usage_records_by_start");
  EXPECT_EQ(rawQuery(path_, "SELECT sql FROM sqlite_master WHERE name = 'usage_records'")
                .find("WITHOUT ROWID"),
            std::string::npos);
  EXPECT_NE(rawQuery(path_, "SELECT sql FROM sqlite_master WHERE name = 'usage_records_by_start'")
                .find("UNIQUE INDEX usage_records_by_start ON usage_records (started_at, call_id)"),
            std::string::npos);
  // The rows went into the rowid table in time order.
  EXPECT_EQ(rawQuery(path_, "SELECT group_concat(call_id, ',') FROM (SELECT call_id FROM "
                            "usage_records ORDER BY rowid)"),
            "01A,01B,01C");
  std::vector<UsageRecord> rows = query(*ledger);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].call_id, "01A");
  EXPECT_EQ(rows[0].tags, (std::vector<Tag>{{"TenantID", "t2"}}));
  EXPECT_EQ(rows[0].first_token_at, at(11));
  EXPECT_EQ(rows[0].error_type, "upstream_error");
  EXPECT_TRUE(rows[0].estimated);
  EXPECT_TRUE(rows[0].unpriced);
  EXPECT_EQ(rows[1].call_id, "01B");
  EXPECT_EQ(rows[2].call_id, "01C");
  EXPECT_EQ(rows[2].request_id, "rc");
  EXPECT_EQ(rows[2].cost.total().toString(), "0.000005");

  ASSERT_TRUE(ledger->append({rows[2]}).ok());  // retried: skipped
  EXPECT_EQ(ledger->count().value(), 3);
}

TEST_F(SqliteLedgerTest, ReportsARecordWhoseMoneyWasDamaged) {
  auto ledger = open();
  UsageRecord r = smallRecord("p1", 1, money("0.5"));
  ASSERT_TRUE(ledger->append({r}).ok());
  rawQuery(path_, "UPDATE usage_records SET total_cost = '0.6'");
  auto q = ledger->query({});
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().find(r.call_id), std::string::npos) << q.error();
  EXPECT_NE(q.error().find("not the sum of its parts"), std::string::npos) << q.error();
  rawQuery(path_, "UPDATE usage_records SET output_cost = '1e-30'");
  auto t = ledger->totals({});
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().find("output_cost"), std::string::npos) << t.error();
}

TEST_F(SqliteLedgerTest, RefusesABatchWithARecordWithoutCallId) {
  auto ledger = open();
  UsageRecord nameless = smallRecord("p1", 1);
  nameless.call_id.clear();
  EXPECT_FALSE(ledger->append({smallRecord("p1", 2), nameless}).ok());
  EXPECT_EQ(ledger->count().value(), 0);
}

}  // namespace
}  // namespace costgate::store
