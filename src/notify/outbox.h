#pragma once
// The durable outbox: a notification is stored, with one delivery per subscription, before
// anything is sent; a delivery worker sends what is due and records each outcome. Deliveries
// are independent: an email that keeps failing never holds back the webhook of the same
// notification. store/ implements it (store/sqlite_outbox.h); nothing here knows SQL.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "notify/notification.h"
#include "notify/topic.h"

namespace costgate::notify {

enum class DeliveryState {
  kPending,    // not delivered yet; sent when due (again after a failed attempt)
  kDelivered,  // the endpoint accepted it
  kFailed,     // given up on (attempts or age exhausted); kept, with its last error
};
const char* deliveryStateName(DeliveryState s);  // "pending", "delivered", "failed"
std::optional<DeliveryState> deliveryStateFromName(std::string_view name);

// Names one delivery: a notification to one endpoint.
struct DeliveryRef {
  std::string notification_id;
  std::string endpoint_key;  // Endpoint::key()
};

struct Delivery {
  Notification notification;
  Endpoint endpoint;
  DeliveryState state = DeliveryState::kPending;
  int attempts = 0;           // attempts finished so far
  TimePoint next_attempt_at;  // pending: when it is due (or when a claim on it lapses)
  std::string last_error;     // "" until an attempt fails
  std::optional<TimePoint> delivered_at;
  TimePoint updated_at;
  DeliveryRef ref() const { return {notification.id, endpoint.key()}; }
};

struct OutboxQuery {
  std::optional<DeliveryState> state;  // any state when empty
  std::string topic;                   // any topic when ""
  std::string notification_id;         // any notification when ""
  size_t limit = 100;                  // 0: no limit
};

// Deliveries by state; `retrying` counts the pending ones with at least one failed attempt.
struct OutboxCounts {
  int64_t pending = 0;
  int64_t retrying = 0;
  int64_t delivered = 0;
  int64_t failed = 0;
  friend bool operator==(const OutboxCounts&, const OutboxCounts&) = default;
};

// Thread-compatible: one thread at a time per object. Several objects (and processes) may share
// one store; claims keep them from sending the same delivery at once.
class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Stores `n` and a pending delivery of it to each of `endpoints`, due at once, atomically.
  // Joins the caller's transaction when one is open on the same connection (so an alarm's state
  // change and its notification commit together). Enqueueing an id that is already stored
  // changes nothing and is not an error (a retried enqueue does not notify twice).
  virtual Status enqueue(const Notification& n, std::span<const Endpoint> endpoints) = 0;

  // Up to `limit` pending deliveries due at `now`, oldest notification first, each claimed for
  // `lease`: no claimer sees it again before now + lease unless it is marked first. A process
  // that dies holding a claim thereby hands the delivery on when the lease ends.
  virtual Result<std::vector<Delivery>> claimDue(TimePoint now, std::chrono::milliseconds lease,
                                                 size_t limit) = 0;

  // Each records one finished attempt (attempts + 1) at `now`. Marking a delivery that is not
  // pending (or does not exist) fails and changes nothing.
  virtual Status markDelivered(const DeliveryRef& d, TimePoint now) = 0;
  virtual Status markRetry(const DeliveryRef& d, TimePoint next_attempt_at, std::string_view error,
                           TimePoint now) = 0;
  virtual Status markFailed(const DeliveryRef& d, std::string_view error, TimePoint now) = 0;

  // When the earliest pending delivery is due; nullopt when none is pending.
  virtual Result<std::optional<TimePoint>> nextDue() = 0;

  // Deliveries matching `q`, newest notification first, then by endpoint key.
  virtual Result<std::vector<Delivery>> list(const OutboxQuery& q) = 0;

  virtual Result<OutboxCounts> counts() = 0;
};

}  // namespace costgate::notify
