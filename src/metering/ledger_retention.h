#pragma once
// LedgerRetention: keeps the ledger's raw records for a configured number of days (config
// "ledger": {"retention_days": N}); older ones are folded into exact daily totals and removed
// (UsageReports::archiveBefore), so reports over old days stay exact while the ledger stays
// small. Runs once at start and then every `interval`, on a thread of its own with the
// UsageReports (and so the store connection) it is given.
//
// Thread-safe: construct, runOnce() and destroy from any thread; the destructor stops the thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "metering/report.h"

namespace costgate::metering {

struct RetentionOptions {
  int64_t retention_days = 0;  // >= 1
  std::chrono::milliseconds interval{std::chrono::hours(1)};
};

class LedgerRetention {
 public:
  LedgerRetention(std::unique_ptr<UsageReports> reports, RetentionOptions options, Clock& clock);
  ~LedgerRetention();
  LedgerRetention(const LedgerRetention&) = delete;
  LedgerRetention& operator=(const LedgerRetention&) = delete;

  // Starts the thread: an archive now, then one every interval.
  void start();
  // One archive with the cutoff retentionCutoff(clock.now(), retention_days): the number of
  // records archived.
  Result<int64_t> runOnce();
  // Archives the thread has completed (tests wait on it).
  int64_t runs() const;

 private:
  void loop();

  std::unique_ptr<UsageReports> reports_;  // used under run_mu_ only
  const RetentionOptions options_;
  Clock& clock_;
  std::mutex run_mu_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  int64_t runs_ = 0;   // guarded by mu_
  std::thread thread_;
};

}  // namespace costgate::metering
