#pragma once
// Recorder: the RecordSink that feeds the store, for `costgate serve` to register with
// Gateway::addRecordSink. Each final UsageRecord becomes its points (points.h), added to the
// store; a point past the series cap is dropped and counted by the store.
//
// Per call: the adds (ProfileSeries keeps each profile's series ids) and one call id noted,
// with no allocation once a profile's series are known.
//
// Restart: open the Store, then re-add (Recorder::onRecord) every ledger record that ended at or
// after store.coveredUntil() - kRebuildSlack and whose call id checkpointedCallIds() does not
// hold; checkpoint() records, with the store's state, the ids of the records it holds that ended
// within that slack, so no record is counted twice or missed.
//
// Thread-safe.

#include <array>
#include <chrono>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "metering/record_sink.h"
#include "metrics/points.h"
#include "metrics/profile_series.h"
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
  // A call id kept inline when it fits (costgate's are 26 characters), so noting one does not
  // allocate.
  struct RecentCall {
    RecentCall(TimePoint ended, std::string_view id);
    std::string_view id() const {
      return long_id.empty() ? std::string_view(chars.data(), size) : long_id;
    }
    TimePoint ended_at;
    std::array<char, 32> chars;
    uint8_t size = 0;
    std::string long_id;  // when longer than `chars`
  };

  Store& store_;
  ProfileSeries series_;
  // Held shared by onRecord, exclusively by checkpoint: a record is in the checkpoint with its
  // id, or neither.
  std::shared_mutex checkpoint_mu_;
  std::mutex recent_mu_;
  // Guarded by recent_mu_: the calls recorded since the last checkpoint and those within the
  // slack before it, in the order recorded.
  std::vector<RecentCall> recent_;
};

}  // namespace costgate::metrics
