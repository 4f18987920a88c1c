#pragma once
// LedgerStore: where UsageRecords are kept durably. An interface so that the SQLite
// implementation (store/) and later a PostgreSQL one are interchangeable; the group-commit
// writer (ledger_writer.h) is the only one that appends.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "metering/usage_record.h"

namespace costgate::metering {

struct UsageQuery {
  std::vector<std::string> profile_ids;  // empty: every profile
  std::vector<profiles::Tag> tags;       // each must be on the record (key case-insensitive)
  std::optional<TimePoint> from;         // started_at >= from
  std::optional<TimePoint> to;           // started_at < to
  size_t limit = 0;                      // 0: no limit (records only; totals see all)
};

struct UsageTotals {
  int64_t calls = 0;
  int64_t failures = 0;
  pricing::Usage usage;  // summed token counts
  Money input_cost;      // plain + cache input
  Money output_cost;
  Money total_cost;
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // Appends the batch in one transaction: all or nothing. A record whose call id is already
  // there is skipped (so a retried batch never counts a call twice).
  virtual Status append(const std::vector<UsageRecord>& batch) = 0;
  // As append(), but without waiting for another connection's write lock: false (nothing
  // written) when the ledger is locked by someone else right now. A request thread commits
  // with this, so a CLI transaction never stalls it.
  virtual Result<bool> tryAppend(const std::vector<UsageRecord>& batch) {
    Status st = append(batch);
    if (!st) return makeError(st.error());
    return true;
  }
  // Records matching `q`, oldest first.
  virtual Result<std::vector<UsageRecord>> query(const UsageQuery& q) = 0;
  // Exact totals over every record matching `q` (limit ignored).
  virtual Result<UsageTotals> totals(const UsageQuery& q) = 0;
  virtual Result<int64_t> count() = 0;
  // Deletes every record (unsetup --purge-usage).
  virtual Status purge() = 0;
};

}  // namespace costgate::metering
