// The delivery worker over the real SQLite outbox, with senders that fail on cue and a fake
// clock: the backoff schedule, independent deliveries, giving up, and a restart.

#include "notify/delivery_worker.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "notify/notifier.h"
#include "store/sqlite_outbox.h"
#include "store/store_file_test.h"

namespace costgate::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Records every send; fails the next ones as scripted (per endpoint key).
class ScriptedSender final : public Sender {
 public:
  struct Log {
    std::vector<std::pair<std::string, std::string>> sends;   // (notification id, endpoint key)
    std::map<std::string, std::deque<std::string>> failures;  // endpoint key -> errors to return
  };
  explicit ScriptedSender(Log& log) : log_(log) {}
  Status send(const Notification& n, const Endpoint& e) override {
    log_.sends.emplace_back(n.id, e.key());
    auto& q = log_.failures[e.key()];
    if (q.empty()) return {};
    std::string error = q.front();
    q.pop_front();
    return makeError(error);
  }

 private:
  Log& log_;
};

class DeliveryWorkerTest : public store::StoreFileTest {
 protected:
  void SetUp() override {
    StoreFileTest::SetUp();
    auto o = store::SqliteOutbox::open(path_);
    ASSERT_TRUE(o.ok()) << o.error();
    outbox_ = std::move(*o);
    plan_.topics.push_back(Topic{"Ops", {email_, hook_}});
    worker_ = makeWorker();
  }

  std::unique_ptr<DeliveryWorker> makeWorker(int max_attempts = 100) {
    auto o = store::SqliteOutbox::open(path_);
    EXPECT_TRUE(o.ok());
    Senders s;
    s.email = std::make_unique<ScriptedSender>(log_);
    s.webhook = std::make_unique<ScriptedSender>(log_);
    DeliveryWorker::Options opts;
    opts.retry.max_attempts = max_attempts;
    opts.lease = seconds(30);
    return std::make_unique<DeliveryWorker>(std::move(*o), std::move(s), clock_, opts);
  }

  std::string enqueueAlarm() {
    OutboxNotifier notifier(*outbox_, plan_, clock_);
    AlarmTransition t;
    t.alarm = "A";
    t.old_state = "OK";
    t.new_state = "ALARM";
    t.at = clock_.now();
    auto id = notifier.notify(t, "Ops");
    EXPECT_TRUE(id.ok()) << id.error();
    return id.ok() ? *id : "";
  }

  size_t deliver() {
    auto n = worker_->deliverDue();
    EXPECT_TRUE(n.ok()) << n.error();
    return n.ok() ? *n : 0;
  }

  Delivery deliveryTo(const Endpoint& e) {
    auto l = outbox_->list({.limit = 0});
    EXPECT_TRUE(l.ok());
    for (const Delivery& d : *l) {
      if (d.endpoint == e) return d;
    }
    ADD_FAILURE() << "no delivery to " << e.key();
    return {};
  }

  const Endpoint email_{EndpointKind::kEmail, "ops@example.com"};
  const Endpoint hook_{EndpointKind::kWebhook, "http://127.0.0.1:9/h"};
  FakeClock clock_{TimePoint(milliseconds(1'700'000'000'000))};
  ScriptedSender::Log log_;
  TopicPlan plan_;
  std::unique_ptr<store::SqliteOutbox> outbox_;
  std::unique_ptr<DeliveryWorker> worker_;
};

TEST_F(DeliveryWorkerTest, DeliversEachSubscriptionOnce) {
  std::string id = enqueueAlarm();
  EXPECT_EQ(deliver(), 2u);
  EXPECT_EQ(log_.sends, (decltype(log_.sends){{id, email_.key()}, {id, hook_.key()}}));
  EXPECT_EQ(worker_->counters(), (DeliveryCounters{2, 0, 0}));
  EXPECT_EQ(deliver(), 0u);  // nothing twice
  EXPECT_EQ(deliveryTo(email_).state, DeliveryState::kDelivered);
  EXPECT_EQ(deliveryTo(email_).delivered_at, std::optional<TimePoint>(clock_.now()));
}

TEST_F(DeliveryWorkerTest, FailingEmailBacksOffWithoutHoldingBackTheWebhook) {
  log_.failures[email_.key()] = {"SMTP: connection refused", "SMTP: connection refused"};
  const TimePoint t0 = clock_.now();
  EXPECT_EQ(worker_->pendingDeliveries(), std::nullopt);  // not counted yet
  std::string id = enqueueAlarm();
  EXPECT_EQ(deliver(), 2u);
  EXPECT_EQ(worker_->pendingDeliveries(), std::optional<int64_t>(1));  // the email, retrying
  EXPECT_EQ(worker_->counters(), (DeliveryCounters{1, 1, 0}));
  EXPECT_EQ(deliveryTo(hook_).state, DeliveryState::kDelivered);
  Delivery e = deliveryTo(email_);
  EXPECT_EQ(e.state, DeliveryState::kPending);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_EQ(e.next_attempt_at, t0 + seconds(1));
  EXPECT_EQ(e.last_error, "SMTP: connection refused");

  clock_.advance(milliseconds(999));
  EXPECT_EQ(deliver(), 0u);  // not due yet
  clock_.advance(milliseconds(1));
  EXPECT_EQ(deliver(), 1u);
  EXPECT_EQ(deliveryTo(email_).next_attempt_at, t0 + seconds(3));  // 1 s, then 2 s
  clock_.advance(seconds(2));
  EXPECT_EQ(deliver(), 1u);  // the third attempt succeeds
  e = deliveryTo(email_);
  EXPECT_EQ(e.state, DeliveryState::kDelivered);
  EXPECT_EQ(e.attempts, 3);
  EXPECT_EQ(worker_->counters(), (DeliveryCounters{2, 2, 0}));
  EXPECT_EQ(worker_->pendingDeliveries(), std::optional<int64_t>(0));
  // Every attempt carried the same notification id.
  EXPECT_EQ(log_.sends.size(), 4u);
  for (const auto& [sent_id, key] : log_.sends) EXPECT_EQ(sent_id, id);
}

TEST_F(DeliveryWorkerTest, GivesUpAfterMaxAttemptsAndSaysWhy) {
  worker_ = makeWorker(/*max_attempts=*/3);
  log_.failures[hook_.key()] = {"webhook POST: HTTP 500", "webhook POST: HTTP 502",
                                "webhook POST: HTTP 503", "never reached"};
  enqueueAlarm();
  EXPECT_EQ(deliver(), 2u);
  clock_.advance(seconds(1));
  EXPECT_EQ(deliver(), 1u);
  clock_.advance(seconds(2));
  EXPECT_EQ(deliver(), 1u);
  Delivery h = deliveryTo(hook_);
  EXPECT_EQ(h.state, DeliveryState::kFailed);
  EXPECT_EQ(h.attempts, 3);
  EXPECT_EQ(h.last_error, "webhook POST: HTTP 503");
  EXPECT_EQ(worker_->counters(), (DeliveryCounters{1, 2, 1}));
  clock_.advance(std::chrono::hours(1));
  EXPECT_EQ(deliver(), 0u);
  auto c = outbox_->counts();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (OutboxCounts{0, 0, 1, 1}));
}

TEST_F(DeliveryWorkerTest, ANewWorkerSendsWhatAnEarlierOneLeft) {
  enqueueAlarm();
  worker_.reset();  // the process ended before sending anything
  worker_ = makeWorker();
  EXPECT_EQ(deliver(), 2u);
  EXPECT_EQ(worker_->counters().delivered, 2);
}

TEST_F(DeliveryWorkerTest, UnknownTopicStoresNothing) {
  OutboxNotifier notifier(*outbox_, plan_, clock_);
  auto id = notifier.notify(AlarmTransition{}, "Nope");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.error(), "notify: no topic named \"Nope\"");
  auto c = outbox_->counts();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, OutboxCounts{});
}

TEST_F(DeliveryWorkerTest, EmailWithoutSmtpFailsEachAttempt) {
  auto o = store::SqliteOutbox::open(path_);
  ASSERT_TRUE(o.ok());
  Senders s;  // no email sender
  s.webhook = std::make_unique<ScriptedSender>(log_);
  worker_ = std::make_unique<DeliveryWorker>(std::move(*o), std::move(s), clock_,
                                             DeliveryWorker::Options{});
  enqueueAlarm();
  EXPECT_EQ(deliver(), 2u);
  EXPECT_EQ(deliveryTo(email_).last_error,
            "email is not configured (no notify.smtp in config.json)");
}

TEST_F(DeliveryWorkerTest, ThreadDeliversWhenWoken) {
  DeliveryWorker::Options opts;
  opts.poll = milliseconds(20);
  auto o = store::SqliteOutbox::open(path_);
  ASSERT_TRUE(o.ok());
  Senders s;
  s.email = std::make_unique<ScriptedSender>(log_);
  s.webhook = std::make_unique<ScriptedSender>(log_);
  worker_ = std::make_unique<DeliveryWorker>(std::move(*o), std::move(s), clock_, opts);
  worker_->start();
  OutboxNotifier notifier(*outbox_, plan_, clock_, worker_.get());
  AlarmTransition t;
  t.at = clock_.now();
  ASSERT_TRUE(notifier.notify(t, "Ops").ok());
  for (int i = 0; i < 500 && worker_->counters().delivered < 2; ++i) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  worker_->stop();
  EXPECT_EQ(worker_->counters().delivered, 2);
}

}  // namespace
}  // namespace costgate::notify
