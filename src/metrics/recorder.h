#pragma once
// Recorder: the RecordSink that feeds the store, for `costgate serve` to register with
// Gateway::addRecordSink. Each final UsageRecord becomes its points (points.h), added to the
// store; a point past the series cap is dropped and counted by the store.
//
// Restart: open the Store, then re-add (Recorder::onRecord) every ledger record that ended at or
// after store.coveredUntil() - kRebuildSlack and whose call id checkpointedCallIds() does not
// hold; checkpoint() records, with the store's state, the ids of the records it holds that ended
// within that slack, so no record is counted twice or missed.
//
// Thread-safe.

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>

#include "metering/record_sink.h"
#include "metrics/points.h"
#include "metrics/store.h"

namespace costgate::metrics {

class Recorder final : public metering::RecordSink {
 public:
  static constexpr std::chrono::seconds kRebuildSlack{120};

  Recorder(Store& store, PointOptions options);

  // metering::RecordSink
  void onRecord(const metering::UsageRecord& record) override;

  // Store::checkpoint, with the call ids described above.
  Status checkpoint();
  // The call ids the store's checkpoint holds among those that ended within the slack.
  std::set<std::string> checkpointedCallIds() const;

 private:
  Store& store_;
  const PointOptions options_;
  // Held shared by onRecord, exclusively by checkpoint: a record is in the checkpoint with its
  // id, or neither.
  std::shared_mutex checkpoint_mu_;
  std::mutex recent_mu_;
  std::multimap<TimePoint, std::string> recent_;  // guarded by recent_mu_: ended_at -> call id
};

}  // namespace costgate::metrics
