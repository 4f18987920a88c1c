#include "metrics/recorder.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

namespace costgate::metrics {
namespace {

const TimePoint kNow = TimePoint(std::chrono::seconds(1772409600));

metering::UsageRecord call(const std::string& id, int64_t input_tokens) {
  metering::UsageRecord r;
  r.call_id = id;
  r.started_at = kNow - std::chrono::seconds(2);
  r.ended_at = kNow - std::chrono::seconds(1);
  r.profile_name = "p";
  r.tags = {{"TenantID", "t"}};
  r.usage.input_tokens = input_tokens;
  return r;
}

TEST(RecorderTest, CheckpointNamesTheRecordsItHolds) {
  char tmpl[] = "/tmp/costgate-metrics-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  FakeClock clock(kNow);
  StoreOptions o;
  o.dir = dir;
  {
    auto store = Store::open(o, clock).value();
    Recorder rec(*store, {});
    rec.onRecord(call("01A", 10));
    rec.onRecord(call("01B", 20));
    ASSERT_TRUE(rec.checkpoint());
    rec.onRecord(call("01C", 40));  // after the checkpoint: lost with the process
  }
  auto store = Store::open(o, clock).value();
  Recorder rec(*store, {});
  EXPECT_EQ(rec.checkpointedCallIds(), (std::set<std::string>{"01A", "01B"}));
  EXPECT_EQ(store->coveredUntil(), kNow);
  // The rebuild re-adds what the checkpoint lacks.
  for (const char* id : {"01A", "01B", "01C"})
    if (!rec.checkpointedCallIds().contains(id)) rec.onRecord(call(id, 40));
  auto sum = store->fetch("InputTokens", {{"TenantID", "t"}}, kNow - std::chrono::minutes(1), kNow,
                          std::chrono::seconds(60), *Statistic::parse("Sum"));
  ASSERT_TRUE(sum);
  EXPECT_EQ(*sum, (Datapoints{{kNow - std::chrono::minutes(1), 70}}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace costgate::metrics
