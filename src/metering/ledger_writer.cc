#include "metering/ledger_writer.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <utility>
#include <vector>

namespace costgate::metering {

LedgerWriter::LedgerWriter(std::unique_ptr<LedgerStore> store, Options options)
    : store_(std::move(store)), options_(options) {
  options_.max_batch = std::max<size_t>(options_.max_batch, 1);
  thread_ = std::thread([this] {
    if (options_.committer == Committer::kWriterThread) {
      run();
    } else {
      runHandOffs();
    }
  });
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
    }
    if (refusal != nullptr) ++failed_;
  }
  if (refusal == nullptr) {
    if (options_.committer == Committer::kWriterThread) wake_.notify_one();
  } else if (done) {
    done(makeError(refusal));
  }
}

namespace {

// Holds LedgerWriter::committing_ for one turn.
class CommitTurn {
 public:
  explicit CommitTurn(std::atomic<bool>& flag) : flag_(flag) {
    bool expected = false;
    held_ = flag_.compare_exchange_strong(expected, true, std::memory_order_acquire);
  }
  ~CommitTurn() {
    if (held_) flag_.store(false, std::memory_order_release);
  }
  CommitTurn(const CommitTurn&) = delete;
  CommitTurn& operator=(const CommitTurn&) = delete;
  bool held() const { return held_; }

 private:
  std::atomic<bool>& flag_;
  bool held_ = false;
};

}  // namespace

bool LedgerWriter::commitQueued() {
  if (options_.committer != Committer::kCallers) return false;
  {
    CommitTurn turn(committing_);
    // Another thread is committing: when its turn ends it looks at the queue again and, finding
    // records, answers true to its own caller, so what this thread queued is not left behind.
    if (!turn.held()) return false;
    {
      std::lock_guard lock(mutex_);
      if (handed_off_) return false;  // the writer's thread has it until the queue is empty
    }
    std::vector<UsageRecord> records;
    std::vector<Done> dones;
    if (takeBatch(records, dones)) {
      Result<bool> committed = store_->tryAppend(records);
      if (committed && !*committed) {
        handOff(records, dones);
        return false;
      }
      finishBatch(records, dones, committed ? Status{} : makeError(committed.error()));
    }
  }
  // Read after the turn ended: a record queued while it ran found committing_ set and went
  // away, so it is this caller's to come back for.
  std::lock_guard lock(mutex_);
  return !queue_.empty() && !handed_off_;
}

void LedgerWriter::handOff(std::vector<UsageRecord>& records, std::vector<Done>& dones) {
  {
    std::lock_guard lock(mutex_);
    for (size_t i = records.size(); i-- > 0;) {
      queue_.push_front(Item{std::move(records[i]), std::move(dones[i])});
    }
    handed_off_ = true;
  }
  records.clear();
  dones.clear();
  wake_.notify_one();
}

void LedgerWriter::runHandOffs() {
  std::vector<UsageRecord> records;
  std::vector<Done> dones;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || handed_off_; });
      if (!handed_off_) return;  // stopping: stop() commits what is left itself
      if (queue_.empty()) {
        handed_off_ = false;  // request threads commit again from here on
        continue;
      }
    }
    // The turn may be held for a moment by a request thread that is about to see handed_off_.
    CommitTurn turn(committing_);
    if (!turn.held()) {
      std::this_thread::yield();
      continue;
    }
    if (takeBatch(records, dones)) commitBatch(records, dones);
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
  std::unique_lock lock(mutex_);
  while (finished_total_ < target) {
    if (options_.committer == Committer::kCallers) {
      lock.unlock();
      const bool more = commitQueued();
      lock.lock();
      // Another thread (a request thread's turn, or the writer's during a hand-off) has the
      // rest: wait for it to finish a batch.
      if (!more && finished_total_ < target) {
        idle_.wait_for(lock, std::chrono::milliseconds(1));
      }
    } else {
      idle_.wait(lock, [&] { return finished_total_ >= target; });
    }
  }
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
  return true;
}

void LedgerWriter::commitBatch(std::vector<UsageRecord>& records, std::vector<Done>& dones) {
  finishBatch(records, dones, store_->append(records));
}

void LedgerWriter::finishBatch(std::vector<UsageRecord>& records, std::vector<Done>& dones,
                               const Status& status) {
  const auto n = static_cast<int64_t>(records.size());
  // Counted before the calls hear of it: whoever got an answer and then reads the figures
  // (GET /metrics) sees its record counted.
  {
    std::lock_guard lock(mutex_);
    if (status) {
      committed_ += n;
      ++commits_;
    } else {
      failed_ += n;
    }
  }
  for (Done& done : dones) {
    if (done) done(status);
  }
  {
    std::lock_guard lock(mutex_);
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
    // No spinning before sleeping: looking for the next record with sched_yield cost 4–5 system
    // calls and 0.3–0.4 context switches a call more than it saved, on a machine whose cores the
    // upstream and the clients share (bench/gateway_vs_nginx.sh, BENCHMARKS.md).
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
