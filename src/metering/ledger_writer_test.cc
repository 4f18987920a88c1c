#include "metering/ledger_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace costgate::metering {
namespace {

// What the fake ledger saw, shared with the test because the writer owns the ledger itself.
struct FakeLedgerState {
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::string, UsageRecord> records;  // by call id: a repeated id is skipped
  std::vector<size_t> committed_batches;       // sizes, in commit order
  std::vector<size_t> failed_batches;
  int appends_entered = 0;
  bool block = false;  // appends wait inside the store until release()
  int fail_next = 0;   // this many appends fail next
  int busy_next = 0;   // this many tryAppends find the ledger locked next
  std::vector<std::thread::id> blocking_appenders;  // threads that called append()

  void setBlock(bool b) {
    std::lock_guard lock(mu);
    block = b;
    cv.notify_all();
  }
  void release() { setBlock(false); }
  void failNext(int n) {
    std::lock_guard lock(mu);
    fail_next = n;
  }
  // Waits until `n` appends have begun (the n-th may be blocked inside).
  void waitEntered(int n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return appends_entered >= n; });
  }
  std::vector<size_t> batches() {
    std::lock_guard lock(mu);
    return committed_batches;
  }
  size_t size() {
    std::lock_guard lock(mu);
    return records.size();
  }
};

// An in-memory LedgerStore: counts batches, fails or blocks on demand.
class FakeLedger final : public LedgerStore {
 public:
  explicit FakeLedger(std::shared_ptr<FakeLedgerState> s) : s_(std::move(s)) {}

  // metering::LedgerStore
  Result<bool> tryAppend(const std::vector<UsageRecord>& batch) override {
    {
      std::lock_guard lock(s_->mu);
      if (s_->busy_next > 0) {
        --s_->busy_next;
        return false;
      }
    }
    Status st = write(batch);
    if (!st) return makeError(st.error());
    return true;
  }
  Status append(const std::vector<UsageRecord>& batch) override {
    {
      std::lock_guard lock(s_->mu);
      s_->blocking_appenders.push_back(std::this_thread::get_id());
    }
    return write(batch);
  }
  Status write(const std::vector<UsageRecord>& batch) {
    std::unique_lock lock(s_->mu);
    ++s_->appends_entered;
    s_->cv.notify_all();
    s_->cv.wait(lock, [&] { return !s_->block; });
    if (s_->fail_next > 0) {
      --s_->fail_next;
      s_->failed_batches.push_back(batch.size());
      return makeError("disk full");
    }
    for (const UsageRecord& r : batch) s_->records.emplace(r.call_id, r);
    s_->committed_batches.push_back(batch.size());
    return {};
  }
  Result<std::vector<UsageRecord>> query(const UsageQuery&) override {
    std::lock_guard lock(s_->mu);
    std::vector<UsageRecord> out;
    for (const auto& [id, r] : s_->records) out.push_back(r);
    return out;
  }
  Result<UsageTotals> totals(const UsageQuery&) override { return makeError("not in the fake"); }
  Result<int64_t> count() override {
    std::lock_guard lock(s_->mu);
    return static_cast<int64_t>(s_->records.size());
  }
  Status purge() override {
    std::lock_guard lock(s_->mu);
    s_->records.clear();
    return {};
  }

 private:
  std::shared_ptr<FakeLedgerState> s_;
};

UsageRecord record(int64_t ms) {
  UsageRecord r;
  r.call_id = newCallId(TimePoint(std::chrono::milliseconds(ms)));
  r.profile_id = "p1";
  r.usage.input_tokens = ms;
  return r;
}

// Collects the statuses `done` callbacks report.
struct Outcomes {
  std::mutex mu;
  int ok = 0;
  std::vector<std::string> errors;
  std::vector<std::thread::id> threads;

  LedgerWriter::Done done() {
    return [this](const Status& st) {
      std::lock_guard lock(mu);
      if (st) {
        ++ok;
      } else {
        errors.push_back(st.error());
      }
      threads.push_back(std::this_thread::get_id());
    };
  }
  int total() {
    std::lock_guard lock(mu);
    return ok + static_cast<int>(errors.size());
  }
};

class LedgerWriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<LedgerWriter> makeWriter(LedgerWriter::Options options = {}) {
    return std::make_unique<LedgerWriter>(std::make_unique<FakeLedger>(state_), options);
  }
  std::shared_ptr<FakeLedgerState> state_ = std::make_shared<FakeLedgerState>();
  Outcomes outcomes_;
};

TEST_F(LedgerWriterTest, CommitsEveryRecordAndTellsEachCallerOnTheWriterThread) {
  auto writer = makeWriter();
  for (int i = 0; i < 10; ++i) writer->append(record(i), outcomes_.done());
  writer->flush();
  EXPECT_EQ(outcomes_.ok, 10);
  EXPECT_TRUE(outcomes_.errors.empty());
  EXPECT_EQ(state_->size(), 10u);
  EXPECT_EQ(writer->committedRecords(), 10);
  EXPECT_EQ(writer->failedRecords(), 0);
  EXPECT_GE(writer->commits(), 1);
  EXPECT_LE(writer->commits(), 10);
  for (auto id : outcomes_.threads) EXPECT_NE(id, std::this_thread::get_id());
}

TEST_F(LedgerWriterTest, RecordsArrivingDuringACommitShareTheNextOne) {
  auto writer = makeWriter();
  state_->setBlock(true);
  writer->append(record(0), outcomes_.done());
  state_->waitEntered(1);  // the first commit is in progress and held there
  for (int i = 1; i <= 100; ++i) writer->append(record(i), outcomes_.done());
  state_->release();
  writer->flush();
  EXPECT_EQ(outcomes_.ok, 101);
  EXPECT_EQ(state_->batches(), (std::vector<size_t>{1, 100}));
  EXPECT_EQ(writer->commits(), 2);
  EXPECT_EQ(writer->committedRecords(), 101);
}

TEST_F(LedgerWriterTest, BatchesAreCappedAtMaxBatch) {
  auto writer = makeWriter({.max_batch = 10});
  state_->setBlock(true);
  writer->append(record(0), outcomes_.done());
  state_->waitEntered(1);
  for (int i = 1; i <= 35; ++i) writer->append(record(i), outcomes_.done());
  state_->release();
  writer->flush();
  EXPECT_EQ(state_->batches(), (std::vector<size_t>{1, 10, 10, 10, 5}));
  EXPECT_EQ(outcomes_.ok, 36);
}

TEST_F(LedgerWriterTest, AFailedCommitIsReportedToEveryRecordOfItsBatch) {
  auto writer = makeWriter();
  state_->setBlock(true);
  writer->append(record(0), outcomes_.done());
  state_->waitEntered(1);
  for (int i = 1; i <= 20; ++i) writer->append(record(i), outcomes_.done());
  state_->failNext(2);  // the blocked commit, then the batch of 20
  state_->release();
  writer->flush();
  EXPECT_EQ(outcomes_.ok, 0);
  ASSERT_EQ(outcomes_.errors.size(), 21u);
  for (const auto& e : outcomes_.errors) EXPECT_EQ(e, "disk full");
  EXPECT_EQ(writer->failedRecords(), 21);
  EXPECT_EQ(writer->committedRecords(), 0);
  EXPECT_EQ(writer->commits(), 0);
  EXPECT_EQ(state_->size(), 0u);

  // The writer carries on after a failure.
  writer->append(record(99), outcomes_.done());
  writer->flush();
  EXPECT_EQ(outcomes_.ok, 1);
  EXPECT_EQ(writer->committedRecords(), 1);
}

TEST_F(LedgerWriterTest, FlushReturnsOnlyAfterEveryEarlierDoneHasRun) {
  auto writer = makeWriter({.max_batch = 7});
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 50; ++i) writer->append(record(round * 50 + i), outcomes_.done());
    writer->flush();
    EXPECT_EQ(outcomes_.total(), (round + 1) * 50);
  }
  writer->flush();  // nothing queued: returns at once
  EXPECT_EQ(state_->size(), 1000u);
}

TEST_F(LedgerWriterTest, StopCommitsWhatIsQueuedThenRefuses) {
  auto writer = makeWriter();
  state_->setBlock(true);
  writer->append(record(0), outcomes_.done());
  state_->waitEntered(1);
  for (int i = 1; i < 50; ++i) writer->append(record(i), outcomes_.done());
  std::thread stopper([&] { writer->stop(); });
  state_->release();
  stopper.join();
  EXPECT_EQ(outcomes_.ok, 50);
  EXPECT_EQ(state_->size(), 50u);

  // Refused at once, on the caller's thread, and counted as failed.
  bool called = false;
  std::string error;
  std::thread::id on;
  writer->append(record(77), [&](const Status& st) {
    called = true;
    error = st ? "" : st.error();
    on = std::this_thread::get_id();
  });
  EXPECT_TRUE(called);
  EXPECT_NE(error.find("stopped"), std::string::npos) << error;
  EXPECT_EQ(on, std::this_thread::get_id());
  EXPECT_EQ(writer->failedRecords(), 1);
  EXPECT_EQ(state_->size(), 50u);
  writer->stop();  // again: nothing more happens
  writer->flush();
}

TEST_F(LedgerWriterTest, DestructorCommitsTheRest) {
  {
    auto writer = makeWriter({.max_batch = 4});
    for (int i = 0; i < 30; ++i) writer->append(record(i), outcomes_.done());
  }
  EXPECT_EQ(outcomes_.ok, 30);
  EXPECT_EQ(state_->size(), 30u);
}

TEST_F(LedgerWriterTest, RefusesARecordWithoutACallIdWithoutHarmingOthers) {
  auto writer = makeWriter();
  UsageRecord nameless = record(1);
  nameless.call_id.clear();
  writer->append(record(0), outcomes_.done());
  writer->append(nameless, outcomes_.done());
  writer->append(record(2), outcomes_.done());
  writer->flush();
  EXPECT_EQ(outcomes_.ok, 2);
  ASSERT_EQ(outcomes_.errors.size(), 1u);
  EXPECT_NE(outcomes_.errors[0].find("call id"), std::string::npos);
  EXPECT_EQ(state_->size(), 2u);
}

TEST_F(LedgerWriterTest, ManyThreadsAppendConcurrently) {
  auto writer = makeWriter({.max_batch = 64});
  constexpr int kThreads = 4, kEach = 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) writer->append(record(t * kEach + i), outcomes_.done());
    });
  }
  for (auto& t : threads) t.join();
  writer->flush();
  EXPECT_EQ(outcomes_.ok, kThreads * kEach);
  EXPECT_EQ(state_->size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(writer->committedRecords(), kThreads * kEach);
  EXPECT_LE(writer->commits(), kThreads * kEach);
}

TEST_F(LedgerWriterTest, FlushAndStopFromOtherThreadsWhileAppending) {
  auto writer = makeWriter({.max_batch = 16});
  std::atomic<bool> go{true};
  std::thread producer([&] {
    for (int i = 0; go; ++i) writer->append(record(i), outcomes_.done());
  });
  for (int i = 0; i < 20; ++i) writer->flush();
  writer->stop();
  go = false;
  producer.join();
  // Every record was either committed or refused; none was left without an answer.
  EXPECT_EQ(outcomes_.total(), writer->committedRecords() + writer->failedRecords());
  EXPECT_EQ(static_cast<int64_t>(state_->size()), writer->committedRecords());
}

// Committer::kCallers: the appending threads commit, and whoever finds a commit running leaves
// its records to that thread.
constexpr LedgerWriter::Options kCallers{.committer = LedgerWriter::Committer::kCallers};

TEST_F(LedgerWriterTest, CallersCommitOnlyWhenAskedAndOnTheirOwnThread) {
  auto writer = makeWriter(kCallers);
  for (int i = 0; i < 5; ++i) writer->append(record(i), outcomes_.done());
  EXPECT_EQ(outcomes_.total(), 0);
  EXPECT_EQ(state_->size(), 0u);  // no thread of the writer's own commits behind the caller

  EXPECT_FALSE(writer->commitQueued());  // nothing left after the turn
  EXPECT_EQ(outcomes_.ok, 5);
  EXPECT_EQ(state_->batches(), (std::vector<size_t>{5}));  // one transaction for the round
  for (std::thread::id t : outcomes_.threads) EXPECT_EQ(t, std::this_thread::get_id());

  EXPECT_FALSE(writer->commitQueued());  // nothing queued: no empty transaction
  EXPECT_EQ(state_->batches().size(), 1u);
  EXPECT_EQ(writer->commits(), 1);
  EXPECT_TRUE(state_->blocking_appenders.empty());  // the request thread never waited
}

TEST_F(LedgerWriterTest, ACallersTurnIsOneBatchAndSaysWhenToComeBack) {
  auto writer = makeWriter({.max_batch = 4, .committer = LedgerWriter::Committer::kCallers});
  for (int i = 0; i < 10; ++i) writer->append(record(i), outcomes_.done());
  EXPECT_TRUE(writer->commitQueued());
  EXPECT_EQ(outcomes_.ok, 4);
  EXPECT_TRUE(writer->commitQueued());
  EXPECT_FALSE(writer->commitQueued());
  EXPECT_EQ(state_->batches(), (std::vector<size_t>{4, 4, 2}));
}

TEST_F(LedgerWriterTest, ALockedLedgerIsHandedToTheWritersThreadNotWaitedForByTheCaller) {
  auto writer = makeWriter(kCallers);
  state_->busy_next = 1;
  for (int i = 0; i < 3; ++i) writer->append(record(i), outcomes_.done());
  // The ledger is locked (a CLI transaction): the caller does not wait, and must not come back.
  EXPECT_FALSE(writer->commitQueued());
  writer->flush();  // the writer's thread commits the batch, waiting for the lock
  EXPECT_EQ(outcomes_.ok, 3);
  ASSERT_EQ(state_->blocking_appenders.size(), 1u);
  EXPECT_NE(state_->blocking_appenders[0], std::this_thread::get_id());
  EXPECT_EQ(state_->size(), 3u);
  // Once the queue is empty the request threads commit again, without waiting.
  writer->append(record(9), outcomes_.done());
  for (int i = 0; i < 1000 && outcomes_.total() < 4; ++i) {
    writer->commitQueued();  // false while the hand-off is still being wound up
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(outcomes_.ok, 4);
  EXPECT_EQ(state_->size(), 4u);
}

TEST_F(LedgerWriterTest, ACallerFindingACommitRunningLeavesItsRecordsToThatThread) {
  auto writer = makeWriter(kCallers);
  state_->setBlock(true);
  writer->append(record(1), outcomes_.done());
  bool come_back = false;
  std::thread committer([&] {
    come_back = writer->commitQueued();
    if (come_back) writer->commitQueued();  // the caller's next turn
  });
  state_->waitEntered(1);  // the committer is inside its transaction

  // Another thread's record: its commitQueued() returns at once instead of waiting, and does not
  // ask to come back: the committing thread answers for it.
  writer->append(record(2), outcomes_.done());
  EXPECT_FALSE(writer->commitQueued());
  EXPECT_EQ(outcomes_.total(), 0);

  const std::thread::id committer_id = committer.get_id();
  state_->release();
  committer.join();
  EXPECT_TRUE(come_back);  // its turn ended with record 2 queued and nobody on it
  EXPECT_EQ(outcomes_.ok, 2);
  EXPECT_EQ(state_->batches(), (std::vector<size_t>{1, 1}));
  EXPECT_EQ(outcomes_.threads, (std::vector<std::thread::id>{committer_id, committer_id}));
}

TEST_F(LedgerWriterTest, CallersOnManyThreadsLeaveNoRecordBehind) {
  auto writer = makeWriter({.max_batch = 7, .committer = LedgerWriter::Committer::kCallers});
  constexpr int kThreads = 8, kEach = 3000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        writer->append(record(t * kEach + i), outcomes_.done());
        if (i % 3 == 2 || i == kEach - 1) {
          while (writer->commitQueued()) {
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  // No flush: every record must already be committed by the callers' own commitQueued().
  EXPECT_EQ(outcomes_.ok, kThreads * kEach);
  EXPECT_EQ(state_->size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(writer->committedRecords(), kThreads * kEach);
  for (size_t b : state_->batches()) EXPECT_LE(b, 7u);
}

TEST_F(LedgerWriterTest, CallersFlushAndStopCommitWhatIsQueued) {
  auto writer = makeWriter(kCallers);
  writer->append(record(1), outcomes_.done());
  writer->flush();
  EXPECT_EQ(outcomes_.ok, 1);
  writer->append(record(2), outcomes_.done());
  writer->stop();
  EXPECT_EQ(outcomes_.ok, 2);
  writer->append(record(3), outcomes_.done());
  EXPECT_EQ(outcomes_.errors.size(), 1u);  // refused after stop
  EXPECT_EQ(state_->size(), 2u);
}

}  // namespace
}  // namespace costgate::metering
