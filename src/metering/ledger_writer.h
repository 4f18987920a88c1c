#pragma once
// LedgerWriter: the ledger's single writer. Records from every request thread go into a queue;
// one thread commits whatever has gathered in one transaction (group commit), then tells each
// record's caller. No request thread ever waits on disk itself: the gateway awaits the callback.
//
// Thread-safe.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "common/thread_annotations.h"
#include "metering/ledger_store.h"

namespace costgate::metering {

class LedgerWriter {
 public:
  struct Options {
    size_t max_batch = 1024;  // records per transaction at most
  };
  using Done = std::function<void(const Status&)>;

  LedgerWriter(std::unique_ptr<LedgerStore> store, Options options);
  explicit LedgerWriter(std::unique_ptr<LedgerStore> store)
      : LedgerWriter(std::move(store), Options{}) {}
  // Commits everything queued, then stops the thread.
  ~LedgerWriter();

  // Queues `record`; `done` runs on the writer thread once the record is committed (ok) or the
  // commit failed (the error). After stop(), `done` runs at once with an error, on the caller's
  // thread. A record without a call id is refused the same way (it would poison its batch).
  void append(UsageRecord record, Done done);
  // Blocks until everything queued before the call is committed (or its commit failed) and its
  // `done` has run. Records queued meanwhile are not waited for. Not from a `done` callback.
  void flush();
  // Commits what is queued, waiting for it as flush() does, and refuses new records from then on.
  // Calling it again does nothing more.
  void stop();

  // Counters for /metrics.
  int64_t committedRecords() const;  // records in successful commits
  int64_t commits() const;           // successful transactions
  int64_t failedRecords() const;     // records whose commit failed, or that were refused

 private:
  void run();
  struct Item {
    UsageRecord record;
    Done done;
  };
  std::unique_ptr<LedgerStore> store_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Item> queue_ GUARDED_BY(mutex_);
  bool stopping_ GUARDED_BY(mutex_) = false;
  // Records ever queued, and how many of those have been committed or failed and told so; flush()
  // waits for the second to reach the first's value at its call.
  int64_t queued_total_ GUARDED_BY(mutex_) = 0;
  int64_t finished_total_ GUARDED_BY(mutex_) = 0;
  int64_t committed_ GUARDED_BY(mutex_) = 0;
  int64_t commits_ GUARDED_BY(mutex_) = 0;
  int64_t failed_ GUARDED_BY(mutex_) = 0;
  // The queue's length as last seen under mutex_, readable without it (the writer's spin).
  std::atomic<size_t> queued_hint_{0};
  std::thread thread_;
};

}  // namespace costgate::metering
