#include "metering/ledger_retention.h"

#include <spdlog/spdlog.h>

namespace costgate::metering {

LedgerRetention::LedgerRetention(std::unique_ptr<UsageReports> reports, RetentionOptions options,
                                 Clock& clock)
    : reports_(std::move(reports)), options_(options), clock_(clock) {}

LedgerRetention::~LedgerRetention() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LedgerRetention::start() {
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
}

Result<int64_t> LedgerRetention::runOnce() {
  std::lock_guard lock(run_mu_);
  const TimePoint cutoff = retentionCutoff(clock_.now(), options_.retention_days);
  Result<int64_t> archived = reports_->archiveBefore(cutoff);
  if (!archived) {
    spdlog::error("ledger retention: archiving records before {} failed: {}", formatIso8601(cutoff),
                  archived.error());
  } else if (*archived > 0) {
    spdlog::info(
        "ledger retention: {} record(s) that started before {} were folded into daily "
        "totals and removed",
        *archived, formatIso8601(cutoff));
  }
  return archived;
}

int64_t LedgerRetention::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

void LedgerRetention::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    (void)runOnce();  // logged there; the next run tries again
    lock.lock();
    ++runs_;
    wake_.wait_for(lock, options_.interval, [this] { return stop_; });
  }
}

}  // namespace costgate::metering
