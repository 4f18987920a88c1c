#include "metering/ledger_writer.h"

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

namespace costgate::metering {

LedgerWriter::LedgerWriter(std::unique_ptr<LedgerStore> store, Options options)
    : store_(std::move(store)), options_(options) {
  options_.max_batch = std::max<size_t>(options_.max_batch, 1);
  if (options_.committer == Committer::kWriterThread) thread_ = std::thread([this] { run(); });
}

LedgerWriter::~LedgerWriter() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void LedgerWriter::append(UsageRecord record, Done done) {
  const char* refusal = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      refusal = "the ledger writer has stopped; the record was not committed";
    } else if (record.call_id.empty()) {
      refusal = "a usage record without a call id cannot be committed";
    } else {
      queue_.push_back(Item{std::move(record), std::move(done)});
      ++queued_total_;
      queued_hint_.store(queue_.size(), std::memory_order_relaxed);
    }
    if (refusal != nullptr) ++failed_;
  }
  if (refusal == nullptr) {
    if (options_.committer == Committer::kWriterThread) wake_.notify_one();
  } else if (done) {
    done(makeError(refusal));
  }
}

void LedgerWriter::commitQueued() {
  if (options_.committer != Committer::kCallers) return;
  std::vector<UsageRecord> records;
  std::vector<Done> dones;
  for (;;) {
    bool expected = false;
    // Another thread is committing: it looks at the queue again after it stops (below), so
    // what this thread queued is never left behind.
    if (!committing_.compare_exchange_strong(expected, true, std::memory_order_acquire)) return;
    while (takeBatch(records, dones)) commitBatch(records, dones);
    committing_.store(false, std::memory_order_release);
    // A record queued after the last takeBatch and before the store above found committing_
    // set and went away: commit it here.
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return;
  }
}

void LedgerWriter::flush() {
  // The writer thread waiting for itself would never wake.
  assert(std::this_thread::get_id() != thread_.get_id());
  if (std::this_thread::get_id() == thread_.get_id()) return;
  int64_t target = 0;
  {
    std::lock_guard lock(mutex_);
    target = queued_total_;
  }
  commitQueued();
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [&] { return finished_total_ >= target; });
}

void LedgerWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  flush();
}

bool LedgerWriter::takeBatch(std::vector<UsageRecord>& records, std::vector<Done>& dones) {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return false;
  const size_t n = std::min(queue_.size(), options_.max_batch);
  for (size_t i = 0; i < n; ++i) {
    Item& item = queue_.front();
    records.push_back(std::move(item.record));
    dones.push_back(std::move(item.done));
    queue_.pop_front();
  }
  queued_hint_.store(queue_.size(), std::memory_order_relaxed);
  return true;
}

void LedgerWriter::commitBatch(std::vector<UsageRecord>& records, std::vector<Done>& dones) {
  const Status status = store_->append(records);
  for (Done& done : dones) {
    if (done) done(status);
  }
  {
    std::lock_guard lock(mutex_);
    const auto n = static_cast<int64_t>(records.size());
    if (status) {
      committed_ += n;
      ++commits_;
    } else {
      failed_ += n;
    }
    finished_total_ += n;
  }
  idle_.notify_all();
  records.clear();
  dones.clear();
}

int64_t LedgerWriter::committedRecords() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

int64_t LedgerWriter::commits() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

int64_t LedgerWriter::failedRecords() const {
  std::lock_guard lock(mutex_);
  return failed_;
}

void LedgerWriter::run() {
  std::vector<UsageRecord> records;
  std::vector<Done> dones;
  records.reserve(options_.max_batch);
  dones.reserve(options_.max_batch);
  for (;;) {
    // Under load the next record usually arrives within microseconds: look for it a little
    // before sleeping, which saves a sleep and a wake-up (two context switches) per batch.
    for (int spin = 0; spin < 64 && queued_hint_.load(std::memory_order_relaxed) == 0; ++spin) {
      std::this_thread::yield();
    }
    {
      std::unique_lock lock(mutex_);
      // No timer: the batch is whatever gathered while the previous commit ran, so a lone
      // record is committed at once and a burst shares one transaction.
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is done
    }
    if (takeBatch(records, dones)) commitBatch(records, dones);
  }
}

}  // namespace costgate::metering
