#pragma once
// The delivery worker: sends what the outbox has due, one delivery at a time, and records each
// outcome: delivered; or failed and retried later (RetryPolicy); or given up on, marked failed
// and logged. It runs on a thread of its own (start/stop) or is driven by hand (deliverDue) in
// tests and the CLI. Pending deliveries left by an earlier process are sent like any other, so
// nothing enqueued is lost across a restart.
//
// Thread-safe: start, stop, wake, counters and deliverDue may be called from any thread
// (deliverDue not while the thread runs).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "notify/outbox.h"
#include "notify/retry.h"
#include "notify/sender.h"

namespace costgate::notify {

// Counts since the worker was made (delivery attempts this process finished).
struct DeliveryCounters {
  int64_t delivered = 0;  // accepted by their endpoint
  int64_t retried = 0;    // failed attempts that will be tried again
  int64_t failed = 0;     // given up on
  friend bool operator==(const DeliveryCounters&, const DeliveryCounters&) = default;
};

class DeliveryWorker {
 public:
  struct Options {
    RetryPolicy retry;
    // How long a claimed delivery is held before another claimer may take it: longer than any
    // send can take (senders time out well before).
    std::chrono::milliseconds lease{std::chrono::minutes(2)};
    size_t batch = 16;
    // The longest the thread sleeps before looking again (other processes enqueue too).
    std::chrono::milliseconds poll{1'000};
  };

  // The options config.json asks for: notify.retry, and a lease longer than the slowest sender's
  // timeout.
  static Options optionsFor(const config::Config& c);

  // `outbox` is used by this worker alone (its own connection).
  DeliveryWorker(std::unique_ptr<OutboxStore> outbox, Senders senders, const Clock& clock,
                 Options options);
  ~DeliveryWorker();  // stops the thread

  // Sends every delivery due now (one claim batch after another until none is due); returns how
  // many attempts it made. Fails only when the outbox itself fails.
  Result<size_t> deliverDue();

  void start();
  void stop();
  // Tells the thread that something was enqueued (it also finds it within `poll`).
  void wake();

  DeliveryCounters counters() const;
  // Pending deliveries in the outbox, counted after each deliverDue() that made an attempt (and
  // after the first); nullopt before the first count or when counting failed.
  std::optional<int64_t> pendingDeliveries() const;
  // Reads the outbox through the worker's own connection (not while the thread runs).
  OutboxStore& outbox() { return *outbox_; }

 private:
  void attempt(const Delivery& d);
  void run();

  std::unique_ptr<OutboxStore> outbox_;
  Senders senders_;
  const Clock& clock_;
  Options options_;

  std::atomic<int64_t> delivered_{0};
  std::atomic<int64_t> retried_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<int64_t> pending_{-1};  // -1: not counted

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  bool woken_ = false;     // guarded by mu_
  std::thread thread_;
};

}  // namespace costgate::notify
