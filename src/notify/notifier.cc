#include "notify/notifier.h"

#include <fmt/format.h>

#include "common/strings.h"
#include "notify/delivery_worker.h"

namespace costgate::notify {

Result<std::string> OutboxNotifier::enqueue(const Notification& n) {
  const Topic* topic = topics_.find(n.topic);
  if (topic == nullptr) {
    return makeError(fmt::format("notify: no topic named {}", jsonQuote(n.topic)));
  }
  if (Status st = outbox_.enqueue(n, topic->subscriptions); !st) return makeError(st.error());
  if (worker_ != nullptr) worker_->wake();
  return n.id;
}

Result<std::string> OutboxNotifier::notify(const AlarmTransition& t, std::string_view topic) {
  return enqueue(alarmNotification(t, std::string(topic), newNotificationId(clock_.now())));
}

Result<std::string> OutboxNotifier::notifyTest(std::string_view topic) {
  TimePoint now = clock_.now();
  return enqueue(testNotification(std::string(topic), newNotificationId(now), now));
}

}  // namespace costgate::notify
