// Chargeback reports computed by SQL over a large random ledger equal the plain C++ reference
// (metering::aggregateRecords), LedgerStore::totals and an independent sum, to the last digit;
// archiving old days (ledger retention) changes no report.

#include "store/sqlite_reports.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/sqlite_ledger.h"
#include "store/store_file_test.h"

namespace costgate::store {
namespace {

using metering::Granularity;
using metering::Report;
using metering::ReportQuery;
using metering::UsageRecord;
using metering::UsageTotals;

constexpr int64_t kT0 = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kDayMs = 86'400'000;
constexpr int kDays = 90;
constexpr int kRecords = 50'000;

TimePoint at(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

void expectSameTotals(const UsageTotals& a, const UsageTotals& b, const std::string& where) {
  EXPECT_EQ(a.calls, b.calls) << where;
  EXPECT_EQ(a.failures, b.failures) << where;
  EXPECT_EQ(a.usage.input_tokens, b.usage.input_tokens) << where;
  EXPECT_EQ(a.usage.output_tokens, b.usage.output_tokens) << where;
  EXPECT_EQ(a.usage.cache_read_tokens, b.usage.cache_read_tokens) << where;
  EXPECT_EQ(a.usage.cache_write_tokens, b.usage.cache_write_tokens) << where;
  EXPECT_EQ(a.input_cost.toString(), b.input_cost.toString()) << where;
  EXPECT_EQ(a.output_cost.toString(), b.output_cost.toString()) << where;
  EXPECT_EQ(a.total_cost.toString(), b.total_cost.toString()) << where;
}

void expectSameReport(const Report& got, const Report& want, const std::string& what) {
  ASSERT_EQ(got.rows.size(), want.rows.size()) << what;
  for (size_t i = 0; i < got.rows.size(); ++i) {
    const std::string where = what + ", row " + std::to_string(i);
    ASSERT_EQ(got.rows[i].groups, want.rows[i].groups) << where;
    ASSERT_EQ(got.rows[i].period, want.rows[i].period) << where;
    expectSameTotals(got.rows[i].totals, want.rows[i].totals, where);
  }
  expectSameTotals(got.totals, want.totals, what + ", totals");
}

class SqliteReportsTest : public StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto ledger = openSqliteLedger(path_, LedgerDurability::kProcessCrash);
    ASSERT_TRUE(ledger.ok()) << ledger.error();
    ledger_ = std::move(*ledger);
    auto reports = openSqliteUsageReports(path_);
    ASSERT_TRUE(reports.ok()) << reports.error();
    reports_ = std::move(*reports);
  }

  // kRecords calls over kDays days: 20 profiles, 5 models, 2 regions, the TenantID tag written
  // in three cases (and missing on about one call in ten), costs of up to 18 decimals.
  void fillRandomLedger() {
    std::mt19937_64 rng(20260101);
    auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
    const std::vector<std::string> cases = {"TenantID", "tenantid", "TENANTID"};
    std::vector<UsageRecord> batch;
    for (int i = 0; i < kRecords; ++i) {
      UsageRecord r;
      r.call_id = "call-" + std::to_string(i);
      r.started_at = at(kT0 + pick(kDays) * kDayMs + pick(static_cast<int>(kDayMs)));
      r.ended_at = r.started_at + std::chrono::milliseconds(pick(5000));
      const int profile = pick(20);
      r.profile_id = "prof" + std::to_string(profile);
      r.profile_name = "profile_" + std::to_string(profile);
      r.model_id = "model-" + std::to_string(pick(5));
      r.region = pick(2) == 0 ? "us-west-2" : "eu-west-1";
      if (pick(10) != 0) r.tags.push_back({cases[pick(3)], "tenant" + std::to_string(pick(7))});
      r.tags.push_back({"ApplicationID", "app" + std::to_string(profile % 3)});
      r.usage = {pick(100'000), pick(10'000), pick(1000), pick(100)};
      r.cost.plain_input = Money::fromRaw(static_cast<Money::Raw>(rng() % 1'000'000'000'000'000));
      r.cost.cache_read = Money::fromRaw(static_cast<Money::Raw>(rng() % 1'000'000'000'000));
      r.cost.cache_write = Money::fromRaw(static_cast<Money::Raw>(rng() % 1'000'000'000));
      r.cost.output = Money::fromRaw(static_cast<Money::Raw>(rng() % 1'000'000'000'000'000'000));
      r.status = pick(20) == 0 ? metering::CallStatus::kFailure : metering::CallStatus::kSuccess;
      records_.push_back(r);
      batch.push_back(std::move(r));
      if (batch.size() == 5000) {
        ASSERT_TRUE(ledger_->append(batch).ok());
        batch.clear();
      }
    }
  }

  Report reference(const ReportQuery& q) const {
    std::vector<UsageRecord> in;
    for (const UsageRecord& r : records_) {
      if (r.started_at < q.from || r.started_at >= q.to) continue;
      if (q.profile_ids && std::find(q.profile_ids->begin(), q.profile_ids->end(), r.profile_id) ==
                               q.profile_ids->end()) {
        continue;
      }
      in.push_back(r);
    }
    return metering::aggregateRecords(in, q);
  }

  ReportQuery makeQuery(std::string_view group_by, Granularity g) const {
    ReportQuery q;
    q.from = at(kT0);
    q.to = at(kT0 + kDays * kDayMs);
    q.group_by = *metering::parseGroupBy(group_by);
    q.granularity = g;
    return q;
  }

  Report report(const ReportQuery& q) {
    auto r = reports_->report(q);
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? *r : Report{};
  }

  std::unique_ptr<metering::LedgerStore> ledger_;
  std::unique_ptr<metering::UsageReports> reports_;
  std::vector<UsageRecord> records_;
};

TEST_F(SqliteReportsTest, GroupTotalsEqualTheLedgerToTheLastDigit) {
  fillRandomLedger();
  // An independent sum, in raw integers.
  Money::Raw input = 0, output = 0;
  int64_t calls = 0, failures = 0, input_tokens = 0;
  for (const UsageRecord& r : records_) {
    input += r.cost.plain_input.raw() + r.cost.cache_read.raw() + r.cost.cache_write.raw();
    output += r.cost.output.raw();
    ++calls;
    failures += r.status == metering::CallStatus::kFailure ? 1 : 0;
    input_tokens += r.usage.input_tokens;
  }
  auto ledger_totals = ledger_->totals({});
  ASSERT_TRUE(ledger_totals.ok());

  for (auto [group_by, g] : {std::pair{"tag:TenantID", Granularity::kTotal},
                             std::pair{"tag:tenantid,model", Granularity::kDay},
                             std::pair{"profile", Granularity::kMonth},
                             std::pair{"region,tag:ApplicationID", Granularity::kDay},
                             std::pair{"", Granularity::kTotal}}) {
    const std::string what =
        std::string("group by \"") + group_by + "\", " + metering::granularityName(g);
    ReportQuery q = makeQuery(group_by, g);
    Report r = report(q);
    expectSameReport(r, reference(q), what);
    UsageTotals summed;
    for (const auto& row : r.rows) metering::addTotals(summed, row.totals);
    expectSameTotals(summed, *ledger_totals, what + ": the rows' sum against the ledger");
    expectSameTotals(r.totals, *ledger_totals, what + ": totals against the ledger");
    EXPECT_EQ(r.totals.calls, calls);
    EXPECT_EQ(r.totals.failures, failures);
    EXPECT_EQ(r.totals.usage.input_tokens, input_tokens);
    EXPECT_EQ(r.totals.input_cost, Money::fromRaw(input)) << what;
    EXPECT_EQ(r.totals.output_cost, Money::fromRaw(output)) << what;
    EXPECT_EQ(r.totals.total_cost, Money::fromRaw(input + output)) << what;
  }
  // The tag written in three cases is one group; calls without it are the "(none)" group.
  Report by_tenant = report(makeQuery("tag:TenantID", Granularity::kTotal));
  ASSERT_EQ(by_tenant.rows.size(), 8u);
  EXPECT_EQ(by_tenant.rows[0].groups[0], "tenant0");
  EXPECT_EQ(by_tenant.rows[7].groups[0], std::nullopt);
  EXPECT_NEAR(by_tenant.rows[7].totals.calls, kRecords / 10, kRecords / 50);
}

TEST_F(SqliteReportsTest, ProfilesAndRangeRestrictTheRows) {
  fillRandomLedger();
  ReportQuery q = makeQuery("tag:TenantID,profile", Granularity::kDay);
  q.profile_ids = std::vector<std::string>{"prof3", "prof11", "prof-gone"};
  q.from = at(kT0 + 10 * kDayMs + 12'345);
  q.to = at(kT0 + 40 * kDayMs - 1);
  Report r = report(q);
  expectSameReport(r, reference(q), "three profiles, part of the range");
  EXPECT_GT(r.totals.calls, 0);
  for (const auto& row : r.rows) {
    EXPECT_TRUE(row.groups[1] == "profile_3" || row.groups[1] == "profile_11");
  }
  q.profile_ids = std::vector<std::string>{};
  r = report(q);
  EXPECT_TRUE(r.rows.empty()) << "an empty list of profiles sees nothing";
  EXPECT_EQ(r.totals.calls, 0);
  EXPECT_EQ(r.totals.total_cost.toString(), "0");
}

TEST_F(SqliteReportsTest, ArchivingOldDaysChangesNoReport) {
  fillRandomLedger();
  std::vector<ReportQuery> queries = {makeQuery("tag:TenantID", Granularity::kTotal),
                                      makeQuery("tag:TenantID,model", Granularity::kDay),
                                      makeQuery("profile,region", Granularity::kMonth),
                                      makeQuery("", Granularity::kTotal)};
  ReportQuery restricted = makeQuery("tag:ApplicationID", Granularity::kDay);
  restricted.profile_ids = std::vector<std::string>{"prof1", "prof2"};
  queries.push_back(restricted);
  std::vector<Report> before;
  for (const auto& q : queries) before.push_back(report(q));

  const TimePoint cutoff = at(kT0 + 45 * kDayMs);
  int64_t older = 0;
  for (const auto& r : records_) older += r.started_at < cutoff ? 1 : 0;
  auto archived = reports_->archiveBefore(cutoff);
  ASSERT_TRUE(archived.ok()) << archived.error();
  EXPECT_EQ(*archived, older);
  EXPECT_EQ(*ledger_->count(), kRecords - older);
  EXPECT_LE(std::stoll(query("SELECT count(*) FROM usage_daily")), older)
      << "a daily total per day, profile, model, region and tag set";

  for (size_t i = 0; i < queries.size(); ++i) {
    Report after = report(queries[i]);
    expectSameReport(after, before[i], "after archiving, query " + std::to_string(i));
    EXPECT_EQ(after.archived_before, cutoff);
  }
  // Nothing is left to archive before the same cutoff.
  EXPECT_EQ(*reports_->archiveBefore(cutoff), 0);

  // A late record for an archived day is folded into that day's totals when archived again.
  UsageRecord late = records_.front();
  late.call_id = "late-call";
  late.started_at = at(kT0 + 3 * kDayMs + 7);
  ASSERT_TRUE(ledger_->append({late}).ok());
  records_.push_back(late);
  EXPECT_EQ(
      *reports_->archiveBefore(at(kT0 + 50 * kDayMs)), 1 + [&] {
        int64_t n = 0;
        for (const auto& r : records_) {
          n += r.started_at >= cutoff && r.started_at < at(kT0 + 50 * kDayMs) ? 1 : 0;
        }
        return n;
      }());
  for (const auto& q : queries) expectSameReport(report(q), reference(q), "after a late record");
}

TEST_F(SqliteReportsTest, ARangeMayNotCutAnArchivedDay) {
  fillRandomLedger();
  ASSERT_TRUE(reports_->archiveBefore(at(kT0 + 10 * kDayMs)).ok());
  ReportQuery q = makeQuery("model", Granularity::kTotal);
  q.from = at(kT0 + 5 * kDayMs + 1000);
  auto r = reports_->report(q);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(),
            "from 2026-01-06T00:00:01.000Z falls inside 2026-01-06, an archived day whose usage "
            "is kept only as daily totals; use a UTC midnight (2026-01-06T00:00:00.000Z or the "
            "day after) instead");
  q.from = at(kT0 + 5 * kDayMs);
  q.to = at(kT0 + 9 * kDayMs + 1);
  EXPECT_EQ(reports_->report(q).error().substr(0, 45),
            "to 2026-01-10T00:00:00.001Z falls inside 2026");
  // Inside a day that is not archived, any instant will do.
  q.to = at(kT0 + 10 * kDayMs + 1);
  Report ok = report(q);
  expectSameReport(ok, reference(q), "from a midnight in the archive into raw records");
  EXPECT_EQ(reports_->archiveBefore(at(kT0 + 1)).error(),
            "archive usage: the cutoff 2026-01-01T00:00:00.001Z is not a UTC midnight");
}

class DailyTotalsMigrationTest : public StoreFileTest {};

TEST_F(DailyTotalsMigrationTest, MigrationSevenAddsTheDailyTotalsKeepingTheLedger) {
  std::span<const Migration> all = schemaMigrations();
  ASSERT_GE(all.size(), 7u);
  EXPECT_EQ(all[6].version, 7);
  EXPECT_NE(all[6].sql.find("CREATE TABLE usage_daily"), std::string::npos);
  {
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE(migrate(*db, path_, at(100), all.first(6)).ok());
  }
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'usage_daily'"), "0");
  auto reports = openSqliteUsageReports(path_);
  ASSERT_TRUE(reports.ok()) << reports.error();
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"),
            std::to_string(latestSchemaVersion()));
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'usage_daily'"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'usage_daily_by_profile'"), "1");
  EXPECT_FALSE(openSqliteUsageReports(path_ + ".missing").ok()) << "the file must exist";
}

TEST_F(SqliteReportsTest, EmptyRangeIsAnError) {
  ReportQuery q = makeQuery("", Granularity::kTotal);
  q.to = q.from;
  EXPECT_EQ(reports_->report(q).error(),
            "the range is empty: from 2026-01-01T00:00:00.000Z is not before to "
            "2026-01-01T00:00:00.000Z");
}

}  // namespace
}  // namespace costgate::store
