// Schema version 8: the notification outbox, its state transitions, claims, and an upgrade from
// version 7 in place. Nothing here assumes 8 is the latest version.

#include "store/sqlite_outbox.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "notify/notification.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/store_file_test.h"

namespace costgate::store {
namespace {

using notify::Delivery;
using notify::DeliveryState;
using notify::Endpoint;
using notify::EndpointKind;
using std::chrono::milliseconds;

TimePoint at(int64_t ms) { return TimePoint(milliseconds(ms)); }

const Endpoint kEmail{EndpointKind::kEmail, "ops@example.com"};
const Endpoint kHook{EndpointKind::kWebhook, "http://127.0.0.1:9/h", notify::WebhookShape::kSlack};

notify::Notification note(const std::string& id, int64_t created_ms,
                          const std::string& topic = "T") {
  notify::AlarmTransition t;
  t.alarm = "A-" + id;
  t.profile_name = "p1";
  t.old_state = "OK";
  t.new_state = "ALARM";
  t.value = 3.5;
  t.threshold = 2;
  t.comparison = ">=";
  t.at = at(created_ms);
  t.window_start = at(created_ms - 60'000);
  t.window_end = at(created_ms);
  return notify::alarmNotification(t, topic, id);
}

class SqliteOutboxTest : public StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto o = SqliteOutbox::open(path_);
    ASSERT_TRUE(o.ok()) << o.error();
    outbox_ = std::move(*o);
  }
  std::vector<Delivery> all() {
    auto l = outbox_->list({.limit = 0});
    EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error());
    return l.ok() ? *l : std::vector<Delivery>{};
  }
  notify::OutboxCounts counts() {
    auto c = outbox_->counts();
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : notify::OutboxCounts{};
  }
  std::unique_ptr<SqliteOutbox> outbox_;
};

TEST(OutboxMigrationTest, VersionEightCreatesTheOutbox) {
  std::span<const Migration> all = schemaMigrations();
  ASSERT_GE(all.size(), 8u);
  EXPECT_EQ(all[7].version, 8);
  EXPECT_GE(latestSchemaVersion(), 8);
  EXPECT_NE(all[7].sql.find("CREATE TABLE notification_deliveries"), std::string::npos);
}

TEST_F(SqliteOutboxTest, VersionSevenStoreUpgradesInPlace) {
  outbox_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  {
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE(migrate(*db, path_, at(100), schemaMigrations().first(7)).ok());
  }
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"), "7");
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'notifications'"), "0");
  auto o = SqliteOutbox::open(path_);
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"),
            std::to_string(latestSchemaVersion()));
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'notifications'"), "1");
}

TEST_F(SqliteOutboxTest, EnqueueStoresOneDeliveryPerEndpointDueAtOnce) {
  const Endpoint both[] = {kEmail, kHook};
  ASSERT_TRUE(outbox_->enqueue(note("01A", 1000), both).ok());
  std::vector<Delivery> list = all();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].endpoint, kEmail);
  EXPECT_EQ(list[1].endpoint, kHook);
  for (const Delivery& d : list) {
    EXPECT_EQ(d.notification, note("01A", 1000));  // every field comes back
    EXPECT_EQ(d.state, DeliveryState::kPending);
    EXPECT_EQ(d.attempts, 0);
    EXPECT_EQ(d.next_attempt_at, at(1000));
    EXPECT_EQ(d.last_error, "");
    EXPECT_FALSE(d.delivered_at.has_value());
  }
  EXPECT_EQ(counts(), (notify::OutboxCounts{2, 0, 0, 0}));
  // The same id again is a no-op, even with other endpoints.
  const Endpoint one[] = {Endpoint{EndpointKind::kFile, "/tmp/x"}};
  ASSERT_TRUE(outbox_->enqueue(note("01A", 1000), one).ok());
  EXPECT_EQ(all().size(), 2u);
  auto next = outbox_->nextDue();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, std::optional<TimePoint>(at(1000)));
}

TEST_F(SqliteOutboxTest, ClaimsHoldDeliveriesForTheLease) {
  const Endpoint both[] = {kEmail, kHook};
  ASSERT_TRUE(outbox_->enqueue(note("01B", 2000), both).ok());
  ASSERT_TRUE(outbox_->enqueue(note("01A", 1000), both).ok());
  auto early = outbox_->claimDue(at(999), milliseconds(5000), 10);
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->empty());

  auto first = outbox_->claimDue(at(1500), milliseconds(5000), 10);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->size(), 2u);  // only 01A is due
  EXPECT_EQ((*first)[0].notification.id, "01A");
  EXPECT_EQ((*first)[0].next_attempt_at, at(6500));

  // A second claimer (another connection, as another process would have) sees only 01B.
  auto other = SqliteOutbox::open(path_);
  ASSERT_TRUE(other.ok());
  auto second = (*other)->claimDue(at(3000), milliseconds(5000), 10);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].notification.id, "01B");
  // Once the lease lapses (the claimer died) 01A is due again.
  auto after = (*other)->claimDue(at(6500), milliseconds(5000), 1);
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ((*after)[0].notification.id, "01A");
  EXPECT_EQ((*after)[0].attempts, 0);
}

TEST_F(SqliteOutboxTest, StateTransitions) {
  const Endpoint both[] = {kEmail, kHook};
  ASSERT_TRUE(outbox_->enqueue(note("01A", 1000), both).ok());
  const notify::DeliveryRef email{"01A", kEmail.key()};
  const notify::DeliveryRef hook{"01A", kHook.key()};

  ASSERT_TRUE(outbox_->markRetry(email, at(3000), "SMTP: connection refused", at(2000)).ok());
  EXPECT_EQ(counts(), (notify::OutboxCounts{2, 1, 0, 0}));
  ASSERT_TRUE(outbox_->markDelivered(hook, at(2100)).ok());
  EXPECT_EQ(counts(), (notify::OutboxCounts{1, 1, 1, 0}));

  std::vector<Delivery> list = all();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].state, DeliveryState::kPending);
  EXPECT_EQ(list[0].attempts, 1);
  EXPECT_EQ(list[0].next_attempt_at, at(3000));
  EXPECT_EQ(list[0].last_error, "SMTP: connection refused");
  EXPECT_EQ(list[0].updated_at, at(2000));
  EXPECT_EQ(list[1].state, DeliveryState::kDelivered);
  EXPECT_EQ(list[1].attempts, 1);
  EXPECT_EQ(list[1].delivered_at, std::optional<TimePoint>(at(2100)));

  // A delivered one cannot be marked again.
  auto again = outbox_->markFailed(hook, "x", at(2200));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error(),
            "mark notification 01A to slack:http://127.0.0.1:9/h failed: no such "
            "pending delivery");

  ASSERT_TRUE(outbox_->markFailed(email, "SMTP: 550 no such user", at(4000)).ok());
  EXPECT_EQ(counts(), (notify::OutboxCounts{0, 0, 1, 1}));
  auto next = outbox_->nextDue();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  auto failed = outbox_->list({.state = DeliveryState::kFailed});
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->size(), 1u);
  EXPECT_EQ((*failed)[0].attempts, 2);
  EXPECT_EQ((*failed)[0].last_error, "SMTP: 550 no such user");
  // Failed and delivered ones are never claimed.
  auto due = outbox_->claimDue(at(1'000'000), milliseconds(1000), 10);
  ASSERT_TRUE(due.ok());
  EXPECT_TRUE(due->empty());
}

TEST_F(SqliteOutboxTest, ListFiltersAndOrdersNewestFirst) {
  const Endpoint one[] = {kEmail};
  ASSERT_TRUE(outbox_->enqueue(note("01A", 1000, "T"), one).ok());
  ASSERT_TRUE(outbox_->enqueue(note("01B", 2000, "U"), one).ok());
  ASSERT_TRUE(outbox_->enqueue(note("01C", 3000, "T"), one).ok());
  auto l = outbox_->list({.limit = 0});
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 3u);
  EXPECT_EQ((*l)[0].notification.id, "01C");
  EXPECT_EQ((*l)[2].notification.id, "01A");
  auto t = outbox_->list({.topic = "T", .limit = 1});
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ((*t)[0].notification.id, "01C");
  auto id = outbox_->list({.notification_id = "01B"});
  ASSERT_TRUE(id.ok());
  ASSERT_EQ(id->size(), 1u);
  EXPECT_EQ((*id)[0].notification.topic, "U");
}

TEST_F(SqliteOutboxTest, EnqueueJoinsTheCallersTransaction) {
  const Endpoint one[] = {kEmail};
  Status st = outbox_->transaction([&]() -> Status {
    if (Status s = outbox_->enqueue(note("01A", 1000), one); !s) return s;
    return makeError("the alarm's own write failed");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(all().empty());  // rolled back with the caller
  st = outbox_->transaction([&]() { return outbox_->enqueue(note("01A", 1000), one); });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(all().size(), 1u);
}

TEST_F(SqliteOutboxTest, UnreadableRowFailsInsteadOfLooping) {
  const Endpoint one[] = {kEmail};
  ASSERT_TRUE(outbox_->enqueue(note("01A", 1000), one).ok());
  {
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("UPDATE notifications SET fields_json = 'garbage'", "corrupt").ok());
  }
  auto due = outbox_->claimDue(at(5000), milliseconds(1000), 10);
  ASSERT_TRUE(due.ok()) << due.error();
  EXPECT_TRUE(due->empty());
  EXPECT_EQ(query("SELECT state || ': ' || last_error FROM notification_deliveries"),
            "failed: read delivery of notification 01A to email:ops@example.com: notification "
            "fields are not a JSON object");
}

}  // namespace
}  // namespace costgate::store
