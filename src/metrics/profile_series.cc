#include "metrics/profile_series.h"

#include <mutex>

namespace costgate::metrics {

ProfileSeries::Entry::Entry(const metering::UsageRecord& r)
    : profile_name(r.profile_name), tags(r.tags) {
  for (std::atomic<int64_t>& slot : slots) slot.store(kUnresolved, std::memory_order_relaxed);
}

ProfileSeries::ProfileSeries(Store& store, PointOptions options)
    : store_(store), options_(std::move(options)) {}

void ProfileSeries::add(const metering::UsageRecord& record) {
  const CallValues values = valuesOf(record);
  {
    std::shared_lock lock(mu_);
    auto it = entries_.find(record.profile_id);
    if (it != entries_.end() && it->second->matches(record)) {
      addTo(*it->second, values, record);
      return;
    }
  }
  std::unique_lock lock(mu_);
  auto it = entries_.find(record.profile_id);
  if (it == entries_.end() || !it->second->matches(record)) {
    if (it == entries_.end() && entries_.size() >= kMaxProfiles) entries_.clear();
    it = entries_.insert_or_assign(record.profile_id, std::make_unique<Entry>(record)).first;
  }
  addTo(*it->second, values, record);
}

void ProfileSeries::addTo(Entry& e, const CallValues& values, const metering::UsageRecord& record) {
  std::vector<Dimension> dims;  // made once, and only when a slot is unresolved
  for (size_t i = 0; i < values.size; ++i) {
    const CallValues::Item& v = values.items[i];
    std::atomic<int64_t>& slot = e.slots[static_cast<size_t>(v.metric)];
    // Acquire/release: a thread that sees an id also sees the registry's key for it.
    int64_t id = slot.load(std::memory_order_acquire);
    if (id == kUnresolved) [[unlikely]] {
      if (dims.empty()) dims = dimensionsOf(record, options_);
      // Two threads may both resolve: the registry gives both the same id.
      std::optional<SeriesId> resolved = store_.resolve(SeriesKey{metricName(v.metric), dims});
      id = resolved ? static_cast<int64_t>(*resolved) : kCapped;
      slot.store(id, std::memory_order_release);
    }
    if (id == kCapped) {
      store_.noteDropped();
    } else {
      store_.add(static_cast<SeriesId>(id), record.started_at, v.value);
    }
  }
}

size_t ProfileSeries::profiles() const {
  std::shared_lock lock(mu_);
  return entries_.size();
}

}  // namespace costgate::metrics
