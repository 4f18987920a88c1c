#include "notify/delivery_worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace costgate::notify {

DeliveryWorker::Options DeliveryWorker::optionsFor(const config::Config& c) {
  Options o;
  o.retry = RetryPolicy::from(c.notify.retry);
  int64_t slowest = c.notify.webhook_timeout_ms;
  if (c.notify.smtp) slowest = std::max(slowest, c.notify.smtp->timeout_ms);
  // Connecting and transferring each have the timeout; then some room to record the outcome.
  o.lease = std::chrono::milliseconds(2 * slowest + 10'000);
  return o;
}

DeliveryWorker::DeliveryWorker(std::unique_ptr<OutboxStore> outbox, Senders senders,
                               const Clock& clock, Options options)
    : outbox_(std::move(outbox)),
      senders_(std::move(senders)),
      clock_(clock),
      options_(std::move(options)) {}

DeliveryWorker::~DeliveryWorker() { stop(); }

DeliveryCounters DeliveryWorker::counters() const {
  return {delivered_.load(), retried_.load(), failed_.load()};
}

void DeliveryWorker::attempt(const Delivery& d) {
  const std::string key = d.endpoint.key();
  Sender* sender = senders_.forKind(d.endpoint.kind);
  Status sent = sender != nullptr
                    ? sender->send(d.notification, d.endpoint)
                    : Status(makeError("email is not configured (no notify.smtp in config.json)"));
  const TimePoint now = clock_.now();
  const int attempts = d.attempts + 1;
  Status marked;
  if (sent.ok()) {
    marked = outbox_->markDelivered(d.ref(), now);
    if (marked.ok()) {
      ++delivered_;
      spdlog::info("notify: {} delivered to {} (attempt {})", d.notification.id, key, attempts);
    }
  } else if (auto next = options_.retry.nextAttempt(attempts, d.notification.created_at, now)) {
    marked = outbox_->markRetry(d.ref(), *next, sent.error(), now);
    if (marked.ok()) {
      ++retried_;
      spdlog::warn("notify: {} to {} failed (attempt {}), retrying at {}: {}", d.notification.id,
                   key, attempts, formatIso8601(*next), sent.error());
    }
  } else {
    marked = outbox_->markFailed(d.ref(), sent.error(), now);
    if (marked.ok()) {
      ++failed_;
      spdlog::error("notify: {} to {} FAILED for good after {} attempts: {}", d.notification.id,
                    key, attempts, sent.error());
    }
  }
  if (!marked.ok()) {
    // The claim lapses and the delivery is tried again: at least once, never lost.
    spdlog::error("notify: recording the outcome for {} to {}: {}", d.notification.id, key,
                  marked.error());
  }
}

std::optional<int64_t> DeliveryWorker::pendingDeliveries() const {
  const int64_t n = pending_.load();
  return n < 0 ? std::nullopt : std::optional<int64_t>(n);
}

Result<size_t> DeliveryWorker::deliverDue() {
  size_t attempts = 0;
  for (;;) {
    auto due = outbox_->claimDue(clock_.now(), options_.lease, options_.batch);
    if (!due) return makeError(due.error());
    if (due->empty()) {
      // Counted only when this pass changed something (the count scans the outbox).
      if (attempts > 0 || pending_.load() < 0) {
        Result<OutboxCounts> counts = outbox_->counts();
        pending_ = counts ? counts->pending : -1;
      }
      return attempts;
    }
    for (const Delivery& d : *due) {
      attempt(d);
      ++attempts;
    }
  }
}

void DeliveryWorker::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void DeliveryWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DeliveryWorker::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void DeliveryWorker::run() {
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      woken_ = false;
    }
    if (auto sent = deliverDue(); !sent) spdlog::error("notify: outbox: {}", sent.error());
    std::chrono::milliseconds wait = options_.poll;
    if (auto next = outbox_->nextDue(); next && *next) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(**next - clock_.now());
      wait = std::clamp(until, std::chrono::milliseconds(10), options_.poll);
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return stopping_ || woken_; });
  }
}

}  // namespace costgate::notify
