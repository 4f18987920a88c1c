#include "alerting/service.h"

#include <gtest/gtest.h>

#include "alarms/seed_alarms.h"
#include "alerting/editor.h"
#include "metrics/store.h"
#include "store/store_file_test.h"

namespace costgate::alerting {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TimePoint at(std::string_view iso) {
  TimePoint t{};
  parseIso8601(iso, t);
  return t;
}

constexpr std::string_view kRequests = "BedrockRequestsPerMinuteAlarm-p1";

class AlarmServiceTest : public store::StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto s = metrics::Store::open({}, clock_);
    ASSERT_TRUE(s) << s.error();
    metrics_ = std::move(*s);
    topics_.topics.push_back(
        {"Alarms", {notify::Endpoint{notify::EndpointKind::kFile, dir_ + "/alerts.jsonl", {}}}});
    auto db = store::AlarmDatabase::open(path_);
    ASSERT_TRUE(db) << db.error();
    db_ = std::move(*db);
    notifier_ = std::make_unique<notify::OutboxNotifier>(db_->outbox(), topics_, clock_);
    journal_ = std::make_unique<AlarmJournal>(*db_, *notifier_, lookup(), "http://gw/dashboard");
    editor_ = std::make_unique<AlarmEditor>(*journal_, clock_);
    std::vector<alarms::Alarm> seed;
    for (alarms::MetricAlarm& a : alarms::seedAlarms("p1", {1, 100, 2}, "Alarms"))
      seed.push_back(std::move(a));
    auto put = editor_->putMany(std::move(seed));
    ASSERT_TRUE(put) << put.error();
  }

  static ProfileLookup lookup() {
    return [](std::string_view name) -> std::optional<ProfileFacts> {
      if (name != "p1") return std::nullopt;
      return ProfileFacts{"abc123def456", "acme"};
    };
  }

  std::unique_ptr<AlarmService> openService() {
    auto s = AlarmService::open(path_, *metrics_, topics_, lookup(), "http://gw/dashboard", clock_,
                                nullptr);
    EXPECT_TRUE(s) << s.error();
    return s ? std::move(*s) : nullptr;
  }

  void request(std::string_view iso) {
    metrics::SeriesKey key{"InvocationSuccess", {{"InferenceProfile", "p1"}}};
    ASSERT_TRUE(metrics_->add(key, at(iso), metrics::fixedFromInt(1)));
  }

  alarms::AlarmState stored(std::string_view name) {
    auto a = db_->alarms().getAlarm(name);
    EXPECT_TRUE(a && *a);
    return alarms::alarmStatus(**a).state;
  }

  size_t notifications() {
    auto list =
        db_->outbox().list({.state = std::nullopt, .topic = "", .notification_id = "", .limit = 0});
    EXPECT_TRUE(list) << list.error();
    return list ? list->size() : 0;
  }

  FakeClock clock_{at("2026-11-27T05:00:30Z")};
  std::unique_ptr<metrics::Store> metrics_;
  notify::TopicPlan topics_;
  std::unique_ptr<store::AlarmDatabase> db_;
  std::unique_ptr<notify::OutboxNotifier> notifier_;
  std::unique_ptr<AlarmJournal> journal_;
  std::unique_ptr<AlarmEditor> editor_;
};

TEST(NextTickTest, MinuteBoundaryPlusSettle) {
  EXPECT_EQ(nextTickAfter(at("2026-11-27T05:00:30Z"), seconds(5)), at("2026-11-27T05:01:05Z"));
  EXPECT_EQ(nextTickAfter(at("2026-11-27T05:01:03Z"), seconds(5)), at("2026-11-27T05:01:05Z"));
  EXPECT_EQ(nextTickAfter(at("2026-11-27T05:01:05Z"), seconds(5)), at("2026-11-27T05:02:05Z"));
}

TEST_F(AlarmServiceTest, TicksEachMinuteAndCommitsTransitionsWithTheirNotifications) {
  std::unique_ptr<AlarmService> service = openService();
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->alarms(), 3u);
  ASSERT_TRUE(service->runDue());
  EXPECT_EQ(service->counters().ticks, 0);  // 05:01:05 is not due yet

  request("2026-11-27T05:01:10Z");
  request("2026-11-27T05:01:20Z");
  clock_.set(at("2026-11-27T05:03:00Z"));  // due: 05:01:05 and 05:02:05
  ASSERT_TRUE(service->runDue());
  AlarmServiceCounters c = service->counters();
  EXPECT_EQ(c.ticks, 2);
  // 05:01:05: all three INSUFFICIENT_DATA -> OK; 05:02:05: requests 2 >= 2 -> ALARM.
  EXPECT_EQ(c.transitions, 4);
  EXPECT_EQ(c.notifications, 1);
  EXPECT_EQ(c.data_errors, 0);
  EXPECT_EQ(c.ok, 2);  // the alarms by state, for GET /metrics
  EXPECT_EQ(c.alarm, 1);
  EXPECT_EQ(c.insufficient_data, 0);
  EXPECT_GT(c.last_tick_us, 0);
  EXPECT_EQ(stored(kRequests), alarms::AlarmState::kAlarm);
  EXPECT_EQ(stored("BedrockTokensPerMinuteAlarm-p1"), alarms::AlarmState::kOk);
  ASSERT_EQ(notifications(), 1u);
  auto list =
      db_->outbox().list({.state = std::nullopt, .topic = "", .notification_id = "", .limit = 0});
  const notify::Notification& n = (*list)[0].notification;
  EXPECT_EQ(n.subject, "ALARM: \"BedrockRequestsPerMinuteAlarm-p1\" for profile p1 (tenant acme)");
  EXPECT_EQ(n.fields.value, 2);
  EXPECT_EQ(n.fields.unit, "requests");
  EXPECT_EQ(n.fields.metric, "InvocationSuccess + InvocationFailure (Sum)");
  EXPECT_EQ(n.fields.window_start, at("2026-11-27T05:01:00Z"));
  EXPECT_EQ(n.fields.window_end, at("2026-11-27T05:02:00Z"));
  EXPECT_EQ(n.fields.dashboard_url, "http://gw/dashboard?profile=p1");
  EXPECT_EQ(n.fields.profile_id, "abc123def456");
  auto history = db_->alarms().listHistory({.alarm = std::string(kRequests),
                                            .type = alarms::HistoryItemType::kStateUpdate,
                                            .from = std::nullopt,
                                            .to = std::nullopt,
                                            .limit = 0,
                                            .newest_first = true});
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].summary, "Alarm updated from OK to ALARM");
  EXPECT_EQ((*history)[0].at, at("2026-11-27T05:02:05Z"));

  // 05:03:05: the newest minute, 05:02, is empty (FILL 0): OK again, which has no actions.
  clock_.set(at("2026-11-27T05:03:10Z"));
  ASSERT_TRUE(service->runDue());
  EXPECT_EQ(stored(kRequests), alarms::AlarmState::kOk);
  EXPECT_EQ(notifications(), 1u);
  EXPECT_EQ(service->counters().ticks, 3);
  EXPECT_EQ(service->counters().ok, 3);
  EXPECT_EQ(service->counters().alarm, 0);
}

TEST_F(AlarmServiceTest, PicksUpEditsFromAnotherConnectionAndTheStoredStatusWins) {
  std::unique_ptr<AlarmService> service = openService();
  ASSERT_NE(service, nullptr);
  request("2026-11-27T05:01:10Z");
  request("2026-11-27T05:01:11Z");
  clock_.set(at("2026-11-27T05:02:06Z"));
  ASSERT_TRUE(service->runDue());
  EXPECT_EQ(stored(kRequests), alarms::AlarmState::kAlarm);

  // A drill: the CLI sets OK by hand; the service reloads at its next look, and its next tick
  // (05:03:05, the 05:02 minute empty) agrees.
  auto set = editor_->setState(kRequests, alarms::AlarmState::kOk, "drill", "");
  ASSERT_TRUE(set) << set.error();
  const int64_t reloads = service->counters().reloads;
  ASSERT_TRUE(service->runDue());
  EXPECT_EQ(service->counters().reloads, reloads + 1);
  EXPECT_EQ(stored(kRequests), alarms::AlarmState::kOk);
  // A threshold raised by the CLI is what the next evaluation uses.
  alarms::MetricAlarm raised = alarms::seedAlarms("p1", {1, 100, 50}, "Alarms")[2];
  ASSERT_TRUE(editor_->put(raised));
  request("2026-11-27T05:02:10Z");
  request("2026-11-27T05:02:11Z");
  clock_.set(at("2026-11-27T05:03:06Z"));
  ASSERT_TRUE(service->runDue());
  EXPECT_EQ(stored(kRequests), alarms::AlarmState::kOk);  // 2 < 50
  EXPECT_EQ(notifications(), 1u);
  // A deleted alarm is gone from the next tick.
  ASSERT_TRUE(editor_->remove(kRequests));
  clock_.set(at("2026-11-27T05:04:06Z"));
  ASSERT_TRUE(service->runDue());
  EXPECT_EQ(service->alarms(), 2u);
}

TEST_F(AlarmServiceTest, SetStateByHandNotifiesThroughTheSameJournal) {
  auto set = editor_->setState(kRequests, alarms::AlarmState::kAlarm, "drill", "");
  ASSERT_TRUE(set) << set.error();
  EXPECT_EQ(alarms::alarmStatus(*set).state, alarms::AlarmState::kAlarm);
  EXPECT_EQ(alarms::alarmStatus(*set).reason, "drill");
  ASSERT_EQ(notifications(), 1u);
  auto changes = db_->alarms().changes();
  ASSERT_TRUE(changes);
  EXPECT_EQ(*changes, 2);  // setup's putMany, then the set-state
  // A second put of the same definitions changes nothing.
  std::vector<alarms::Alarm> same;
  for (alarms::MetricAlarm& a : alarms::seedAlarms("p1", {1, 100, 2}, "Alarms"))
    same.push_back(std::move(a));
  auto again = editor_->putMany(std::move(same));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, std::vector<PutOutcome>(3, PutOutcome::kUnchanged));
  EXPECT_EQ(stored(kRequests), alarms::AlarmState::kAlarm);
}

}  // namespace
}  // namespace costgate::alerting
