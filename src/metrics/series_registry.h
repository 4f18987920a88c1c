#pragma once
// SeriesRegistry: interns each SeriesKey to a compact SeriesId (0, 1, 2… in order of first
// sight), up to a cap, and answers which series match a metric and a dimension filter.
//
// Thread-safe: interning takes an exclusive lock, lookups a shared one. Ids are never reused.

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/thread_annotations.h"
#include "metrics/series.h"

namespace costgate::metrics {

using SeriesId = uint32_t;

class SeriesRegistry {
 public:
  explicit SeriesRegistry(size_t max_series) : max_series_(max_series) {}

  // The id of `key` (its dimensions are sorted here), interned on first sight; nullopt when
  // `key` is new and the registry already holds max_series keys.
  std::optional<SeriesId> intern(SeriesKey key);
  std::optional<SeriesId> find(SeriesKey key) const;
  SeriesKey key(SeriesId id) const;  // id < size()
  size_t size() const;
  size_t maxSeries() const { return max_series_; }

  // The ids of the series of `metric` carrying every dimension of `filter`, in SeriesKey order.
  std::vector<SeriesId> match(std::string_view metric, const std::vector<Dimension>& filter) const;

  // Every key in id order (for checkpoints), and a registry rebuilt from such a list.
  std::vector<SeriesKey> keys() const;
  // The keys of ids [from, to) (to <= size()), in id order.
  std::vector<SeriesKey> keys(SeriesId from, SeriesId to) const;

 private:
  static std::string flatten(const SeriesKey& key);
  static std::string postingKey(std::string_view metric, const Dimension& d);

  const size_t max_series_;
  mutable std::shared_mutex mu_;
  std::vector<SeriesKey> keys_ GUARDED_BY(mu_);
  std::unordered_map<std::string, SeriesId> ids_ GUARDED_BY(mu_);  // flatten(key) -> id
  // metric -> (key, id) in key order, for match().
  std::map<std::string, std::map<SeriesKey, SeriesId>, std::less<>> by_metric_ GUARDED_BY(mu_);
  // postingKey(metric, dimension) -> the ids carrying it, ascending: match() with a filter reads
  // one list instead of every series of the metric (alarms read 600,000 series a minute).
  std::unordered_map<std::string, std::vector<SeriesId>> by_dimension_ GUARDED_BY(mu_);
};

}  // namespace costgate::metrics
