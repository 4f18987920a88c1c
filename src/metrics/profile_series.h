#pragma once
// ProfileSeries: each profile's SeriesIds, one per CallMetric, resolved on the first call that
// needs it, so that a call adds its points without building a SeriesKey (no allocation: the
// per-call cost of the Recorder is the adds). Keyed by profile id; an entry remembers the
// profile name and tags its ids were resolved for and is replaced when a record's differ (the
// profile was renamed or retagged). The dimension config (PointOptions) is fixed for its life.
//
// What reaches the store is exactly what pointsOf gives: the same values on the same series,
// and a point of a series past the store's cap is dropped and counted as Store::add(key) does.
//
// Thread-safe: a known profile takes a shared lock; a new or changed one an exclusive one.

#include <array>
#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/thread_annotations.h"
#include "metering/usage_record.h"
#include "metrics/points.h"
#include "metrics/store.h"

namespace costgate::metrics {

class ProfileSeries {
 public:
  // More profiles than this (ids seen since the last reset) empties the cache: deleted profiles
  // never stay forever.
  static constexpr size_t kMaxProfiles = 200'000;

  ProfileSeries(Store& store, PointOptions options);

  // Adds the record's points (pointsOf) to the store.
  void add(const metering::UsageRecord& record);

  size_t profiles() const;  // entries held, for tests

 private:
  // A slot: kUnresolved, kCapped (the store's cap refused the series) or the series id.
  static constexpr int64_t kUnresolved = -1;
  static constexpr int64_t kCapped = -2;
  struct Entry {
    explicit Entry(const metering::UsageRecord& r);
    bool matches(const metering::UsageRecord& r) const {
      return r.profile_name == profile_name && r.tags == tags;
    }
    const std::string profile_name;
    const std::vector<profiles::Tag> tags;
    std::array<std::atomic<int64_t>, kCallMetricCount> slots;
  };

  // Adds `values` on e's series (e matches `record`), resolving the slots still unresolved.
  void addTo(Entry& e, const CallValues& values, const metering::UsageRecord& record);

  Store& store_;
  const PointOptions options_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_ GUARDED_BY(mu_);
};

}  // namespace costgate::metrics
