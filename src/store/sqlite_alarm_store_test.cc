#include "store/sqlite_alarm_store.h"

#include <gtest/gtest.h>

#include "alarms/alarm_test_support.h"
#include "alarms/seed_alarms.h"
#include "store/migrations.h"
#include "store/store_file_test.h"

namespace costgate::store {
namespace {

using alarms::Alarm;
using alarms::AlarmState;
using alarms::HistoryItem;
using alarms::HistoryItemType;
using alarms::testing::at;

class SqliteAlarmStoreTest : public StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto s = openSqliteAlarmStore(path_);
    ASSERT_TRUE(s.ok()) << s.error();
    store_ = std::move(*s);
  }
  std::unique_ptr<alarms::AlarmStore> store_;
};

TEST_F(SqliteAlarmStoreTest, MigrationNineCreatesTheAlarmTables) {
  // Other branches add migrations; this one only needs to be applied.
  EXPECT_GE(latestSchemaVersion(), 9);
  EXPECT_EQ(query("SELECT count(*) FROM schema_migrations WHERE version = 9"), "1");
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name IN ('alarms', 'alarm_history')"),
            "2");
}

TEST_F(SqliteAlarmStoreTest, AlarmsRoundTrip) {
  std::vector<alarms::MetricAlarm> seed = alarms::seedAlarms("p1", {2, 3000, 20}, "topic");
  seed[1].status = {.state = AlarmState::kAlarm,
                    .reason = "Threshold Crossed",
                    .reason_data = R"({"v":1})",
                    .updated = at("2026-11-27T05:16:00Z")};
  seed[1].configuration_updated = at("2026-11-27T05:00:00Z");
  alarms::CompositeAlarm c{.name = "any", .rule = R"(ALARM("BedrockTokenCostAlarm-p1"))"};
  for (const auto& a : seed) ASSERT_TRUE(store_->putAlarm(a).ok());
  ASSERT_TRUE(store_->putAlarm(c).ok());

  auto listed = store_->listAlarms();
  ASSERT_TRUE(listed.ok()) << listed.error();
  ASSERT_EQ(listed->size(), 4u);
  EXPECT_EQ(alarms::alarmName((*listed)[0]), "BedrockRequestsPerMinuteAlarm-p1");  // by name
  EXPECT_EQ(std::get<alarms::CompositeAlarm>((*listed)[3]), c);
  auto got = store_->getAlarm("BedrockTokensPerMinuteAlarm-p1");
  ASSERT_TRUE(got.ok()) << got.error();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(std::get<alarms::MetricAlarm>(**got), seed[1]);
  EXPECT_FALSE(store_->getAlarm("nope")->has_value());

  seed[1].threshold = 4000;  // replace
  ASSERT_TRUE(store_->putAlarm(seed[1]).ok());
  EXPECT_EQ(std::get<alarms::MetricAlarm>(**store_->getAlarm(seed[1].name)).threshold, 4000);
  ASSERT_TRUE(store_->deleteAlarm("any").ok());
  ASSERT_TRUE(store_->deleteAlarm("any").ok());  // not an error twice
  EXPECT_EQ(store_->listAlarms()->size(), 3u);
}

TEST_F(SqliteAlarmStoreTest, HistoryUpdatesStatusesAndFilters) {
  alarms::MetricAlarm a =
      alarms::testing::thresholdAlarm("a", 1, 1, alarms::TreatMissingData::kMissing);
  ASSERT_TRUE(store_->putAlarm(a).ok());
  const HistoryItem items[] = {
      {.at = at("2026-11-27T05:00:00Z"),
       .alarm = "a",
       .type = HistoryItemType::kConfigurationUpdate,
       .summary = "Alarm \"a\" created"},
      {.at = at("2026-11-27T05:01:00Z"),
       .alarm = "a",
       .type = HistoryItemType::kStateUpdate,
       .summary = "Alarm updated from INSUFFICIENT_DATA to ALARM",
       .old_state = AlarmState::kInsufficientData,
       .new_state = AlarmState::kAlarm,
       .reason = "Threshold Crossed: 1 of the last 1 datapoints",
       .reason_data = R"({"threshold":5})"},
      {.at = at("2026-11-27T05:02:00Z"),
       .alarm = "gone",
       .type = HistoryItemType::kStateUpdate,
       .summary = "s",
       .old_state = AlarmState::kOk,
       .new_state = AlarmState::kAlarm},
  };
  ASSERT_TRUE(store_->appendHistory(items).ok());

  auto stored = store_->getAlarm("a");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  const alarms::AlarmStatus& s = alarms::alarmStatus(**stored);
  EXPECT_EQ(s.state, AlarmState::kAlarm);
  EXPECT_EQ(s.reason, "Threshold Crossed: 1 of the last 1 datapoints");
  EXPECT_EQ(s.reason_data, R"({"threshold":5})");
  EXPECT_EQ(s.updated, at("2026-11-27T05:01:00Z"));

  auto all = store_->listHistory({});
  ASSERT_TRUE(all.ok()) << all.error();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].alarm, "gone");  // newest first
  EXPECT_EQ((*all)[1], items[1]);
  EXPECT_EQ((*all)[2], items[0]);
  auto state_updates = store_->listHistory(
      {.alarm = "a", .type = HistoryItemType::kStateUpdate, .newest_first = false});
  ASSERT_EQ(state_updates->size(), 1u);
  auto window =
      store_->listHistory({.from = at("2026-11-27T05:01:00Z"), .to = at("2026-11-27T05:02:00Z")});
  ASSERT_EQ(window->size(), 1u);
  EXPECT_EQ((*window)[0].summary, items[1].summary);
  EXPECT_EQ(store_->listHistory({.limit = 2})->size(), 2u);

  EXPECT_EQ(*store_->pruneHistory(at("2026-11-27T05:01:30Z")), 2);
  EXPECT_EQ(store_->listHistory({})->size(), 1u);
}

TEST_F(SqliteAlarmStoreTest, ReopeningKeepsEverything) {
  alarms::CompositeAlarm c{.name = "c", .rule = "TRUE"};
  ASSERT_TRUE(store_->putAlarm(c).ok());
  store_.reset();
  auto reopened = openSqliteAlarmStore(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.error();
  auto listed = (*reopened)->listAlarms();
  ASSERT_TRUE(listed.ok()) << listed.error();
  EXPECT_EQ(std::get<alarms::CompositeAlarm>(listed->at(0)), c);
}

}  // namespace
}  // namespace costgate::store
