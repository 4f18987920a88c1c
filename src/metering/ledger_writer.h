#pragma once
// LedgerWriter: the ledger's single writer. Records from every request thread go into a queue;
// whatever has gathered is committed in one transaction (group commit), then each record's
// caller is told. One transaction runs at a time. Who runs it is a choice (Options::committer):
// the writer's own thread, or the appending threads themselves (no hand-off between threads per
// call, for a ledger whose commit does not wait for the disk).
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
  enum class Committer {
    // A thread of the writer's own: appending threads never run a transaction. For a ledger
    // whose commit waits for the disk (synchronous=FULL), which must not stall a request thread.
    kWriterThread,
    // The appending threads, through commitQueued(): whichever thread finds no transaction
    // running commits everything queued, its own records and other threads' alike (flat
    // combining). For a ledger whose commit only hands pages to the OS.
    kCallers,
  };
  struct Options {
    size_t max_batch = 1024;  // records per transaction at most
    Committer committer = Committer::kWriterThread;
  };
  using Done = std::function<void(const Status&)>;

  LedgerWriter(std::unique_ptr<LedgerStore> store, Options options);
  explicit LedgerWriter(std::unique_ptr<LedgerStore> store)
      : LedgerWriter(std::move(store), Options{}) {}
  // Commits everything queued, then stops the thread.
  ~LedgerWriter();

  // Queues `record`; `done` runs on the committing thread once the record is committed (ok) or
  // the commit failed (the error). After stop(), `done` runs at once with an error, on the
  // caller's thread. A record without a call id is refused the same way (it would poison its
  // batch). With Committer::kCallers nothing is committed until someone calls commitQueued().
  void append(UsageRecord record, Done done);
  // Committer::kCallers: commits one batch of what is queued on the calling thread. Returns true
  // when records are still queued that no thread has taken on: the caller must call again (after
  // letting its other work run: a turn is one batch, so a request thread is never held for
  // long). Returns false at once when another thread is committing (it answers true in turn
  // when it leaves records behind), or when the ledger was found locked by another connection
  // (a CLI transaction): the writer's own thread then waits for the lock and commits what is
  // queued, so no request thread ever waits on it. With Committer::kWriterThread it does
  // nothing and returns false.
  bool commitQueued();
  // Committer::kCallers: appending threads must call commitQueued().
  bool callersCommit() const { return options_.committer == Committer::kCallers; }
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
  // Moves up to max_batch queued items into the vectors; false when the queue was empty.
  bool takeBatch(std::vector<UsageRecord>& records, std::vector<Done>& dones);
  // Commits what takeBatch took (waiting for the write lock), then finishBatch.
  void commitBatch(std::vector<UsageRecord>& records, std::vector<Done>& dones);
  // Tells the callers `status`, counts, and clears the vectors.
  void finishBatch(std::vector<UsageRecord>& records, std::vector<Done>& dones,
                   const Status& status);
  // Committer::kCallers: puts a batch back at the queue's front and hands committing over to the
  // writer's thread until the queue has been emptied.
  void handOff(std::vector<UsageRecord>& records, std::vector<Done>& dones);
  // Committer::kCallers: the writer's thread, committing while a hand-off lasts.
  void runHandOffs();
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
  // Committer::kCallers: a thread is running a transaction (the store is one connection).
  std::atomic<bool> committing_{false};
  // Committer::kCallers: the ledger was locked; the writer's thread commits until the queue is
  // empty, and request threads leave the queue alone meanwhile.
  bool handed_off_ GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace costgate::metering
