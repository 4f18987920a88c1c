#pragma once
// The seam between alarms/ and notify/: the evaluator hands each transition it wants announced to
// a Notifier, naming the topic its action targets; the Notifier writes the message and stores it
// in the outbox, one delivery per subscription of the topic, before anything is sent. Whether
// and when to notify is the caller's decision; a Notifier never drops, merges or delays one.

#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/result.h"
#include "notify/notification.h"
#include "notify/outbox.h"
#include "notify/plan.h"

namespace costgate::notify {

class DeliveryWorker;

class Notifier {
 public:
  virtual ~Notifier() = default;

  // Stores the notification for `t` on `topic` and returns its id. Fails, storing nothing, when
  // the topic is unknown or the outbox fails. Called inside a transaction on the outbox's
  // connection, it joins it (see OutboxStore::enqueue).
  virtual Result<std::string> notify(const AlarmTransition& t, std::string_view topic) = 0;
};

// The Notifier over an OutboxStore. Thread-compatible, like the outbox it writes to.
class OutboxNotifier final : public Notifier {
 public:
  // `worker`, when given, is woken after each enqueue so delivery starts at once.
  OutboxNotifier(OutboxStore& outbox, TopicPlan topics, const Clock& clock,
                 DeliveryWorker* worker = nullptr)
      : outbox_(outbox), topics_(std::move(topics)), clock_(clock), worker_(worker) {}

  // notify::Notifier
  Result<std::string> notify(const AlarmTransition& t, std::string_view topic) override;

  // Stores a test message to every subscription of `topic` (operators checking a topic) and
  // returns its id.
  Result<std::string> notifyTest(std::string_view topic);

  const TopicPlan& topics() const { return topics_; }

 private:
  Result<std::string> enqueue(const Notification& n);

  OutboxStore& outbox_;
  TopicPlan topics_;
  const Clock& clock_;
  DeliveryWorker* worker_;
};

}  // namespace costgate::notify
