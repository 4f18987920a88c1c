#include "metrics/service.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>

#include "store/sqlite_ledger.h"

namespace costgate::metrics {
namespace {

const TimePoint kNow = TimePoint(std::chrono::seconds(1772409600));

metering::UsageRecord call(const std::string& id, int64_t input_tokens, TimePoint ended) {
  metering::UsageRecord r;
  r.call_id = id;
  r.started_at = ended - std::chrono::seconds(1);
  r.ended_at = ended;
  r.profile_id = "p1";
  r.profile_name = "p";
  r.tags = {{"TenantID", "t"}};
  r.usage.input_tokens = input_tokens;
  return r;
}

class MetricsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/costgate-metrics-service-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    auto l = store::openSqliteLedger(dir_ + "/costgate.db", store::LedgerDurability::kProcessCrash);
    ASSERT_TRUE(l) << l.error();
    ledger_ = std::move(*l);
    options_.dir = dir_ + "/costgate.db.metrics";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // What a served call does: commit to the ledger, then tell the recorder.
  void serve(MetricsService& s, const metering::UsageRecord& r) {
    ASSERT_TRUE(ledger_->append({r}));
    s.recorder().onRecord(r);
  }
  double inputTokens(MetricsService& s) {
    auto sum = s.store().fetch("InputTokens", {{"TenantID", "t"}}, kNow - std::chrono::hours(2),
                               kNow + std::chrono::minutes(1), std::chrono::seconds(60),
                               *Statistic::parse("Sum"));
    EXPECT_TRUE(sum) << sum.error();
    double total = 0;
    for (const Datapoint& d : *sum) total += d.value;
    return total;
  }

  std::string dir_;
  std::unique_ptr<metering::LedgerStore> ledger_;
  StoreOptions options_;
};

TEST_F(MetricsServiceTest, AKilledServerLosesNoPointAndCountsNoneTwice) {
  FakeClock clock(kNow - std::chrono::minutes(30));
  {
    auto s = MetricsService::open(options_, {}, clock).value();
    ASSERT_EQ(s->replay(*ledger_).value().records, 0u);
    serve(*s, call("01A", 10, clock.now()));
    serve(*s, call("01B", 20, clock.now()));
    clock.advance(std::chrono::seconds(30));
    ASSERT_TRUE(s->stop());                   // checkpoint holds 01A and 01B
    serve(*s, call("01C", 40, clock.now()));  // recorded, never checkpointed: the process dies
    EXPECT_EQ(inputTokens(*s), 70);
  }
  clock.advance(std::chrono::minutes(5));
  auto s = MetricsService::open(options_, {}, clock).value();
  ReplayStats st = s->replay(*ledger_).value();
  EXPECT_EQ(st.records, 1u);  // 01C
  EXPECT_EQ(st.skipped, 2u);  // 01A and 01B, already in the checkpoint
  EXPECT_EQ(inputTokens(*s), 70);
}

TEST_F(MetricsServiceTest, ANewStoreIsFilledFromTheLedger) {
  FakeClock clock(kNow);
  ASSERT_TRUE(ledger_->append({call("01A", 5, kNow - std::chrono::minutes(3)),
                               call("01B", 6, kNow - std::chrono::minutes(2))}));
  auto s = MetricsService::open(options_, {}, clock).value();
  ReplayStats st = s->replay(*ledger_).value();
  EXPECT_EQ(st.records, 2u);
  EXPECT_EQ(inputTokens(*s), 11);
}

TEST_F(MetricsServiceTest, ReplayReadsTheLedgerAWindowAtATimeAndTellsItsProgress) {
  FakeClock clock(kNow);
  options_.retention_1m = std::chrono::days(1);  // a new store reads back the last day
  using std::chrono::minutes;
  ASSERT_TRUE(
      ledger_->append({call("01A", 1, kNow - minutes(300)), call("01B", 2, kNow - minutes(210)),
                       call("01C", 4, kNow - minutes(120)), call("01D", 8, kNow - minutes(10)),
                       // started after the clock's now (a clock that stepped back)
                       call("01E", 16, kNow + minutes(1)),
                       // older than the 1-minute retention: not read
                       call("01F", 32, kNow - std::chrono::hours(25))}));
  auto s = MetricsService::open(options_, {}, clock).value();
  std::map<TimePoint, size_t> seen;  // read_until -> records re-added by then
  ReplayOptions ro;
  ro.window = std::chrono::hours(1);
  ro.progress_every = std::chrono::milliseconds(0);
  ro.progress = [&](const ReplayStats& st, TimePoint read_until) { seen[read_until] = st.records; };
  ReplayStats st = s->replay(*ledger_, ro).value();
  EXPECT_EQ(st.records, 5u);
  EXPECT_EQ(st.skipped, 0u);
  // 24 windows of an hour before now, then the open-ended one (no progress after the last).
  ASSERT_EQ(seen.size(), 24u);
  EXPECT_EQ(seen.begin()->first, kNow - std::chrono::hours(23));
  EXPECT_EQ(seen.at(kNow - std::chrono::hours(6)), 0u);
  EXPECT_EQ(seen.at(kNow - std::chrono::hours(5)), 1u);  // 01A started at -5 h 0 min 1 s
  EXPECT_EQ(seen.at(kNow - std::chrono::hours(4)), 1u);
  EXPECT_EQ(seen.at(kNow - std::chrono::hours(3)), 2u);
  EXPECT_EQ(seen.at(kNow), 4u);
  auto sum =
      s->store().fetch("InputTokens", {{"TenantID", "t"}}, kNow - std::chrono::hours(6),
                       kNow + minutes(5), std::chrono::seconds(3600), *Statistic::parse("Sum"));
  ASSERT_TRUE(sum) << sum.error();
  double total = 0;
  for (const Datapoint& d : *sum) total += d.value;
  EXPECT_EQ(total, 31);
}

}  // namespace
}  // namespace costgate::metrics
