#pragma once
// RecordSink: told of every call once its record is final (committed to the ledger, or its
// commit failed and the call was answered anyway). Metrics (the time-series store, the
// Prometheus counters) listen here, off the ledger's critical path.

#include "metering/usage_record.h"

namespace costgate::metering {

class RecordSink {
 public:
  virtual ~RecordSink() = default;
  // Called on the request's thread, once per call, after the ledger commit was awaited; must be
  // thread-safe, must not block on I/O, and must not fail the call.
  virtual void onRecord(const UsageRecord& record) = 0;
};

}  // namespace costgate::metering
