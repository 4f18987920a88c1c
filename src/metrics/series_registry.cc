#include "metrics/series_registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

namespace costgate::metrics {

namespace {

void normalize(SeriesKey& key) { std::sort(key.dimensions.begin(), key.dimensions.end()); }

}  // namespace

std::string SeriesRegistry::flatten(const SeriesKey& key) {
  // Length-prefixed parts, so no text can collide with another key's.
  std::string out;
  auto put = [&out](const std::string& s) {
    out += std::to_string(s.size());
    out += ':';
    out += s;
  };
  put(key.metric);
  for (const Dimension& d : key.dimensions) {
    put(d.name);
    put(d.value);
  }
  return out;
}

std::string SeriesRegistry::postingKey(std::string_view metric, const Dimension& d) {
  return fmt::format("{}:{}{}:{}{}:{}", metric.size(), metric, d.name.size(), d.name,
                     d.value.size(), d.value);
}

std::optional<SeriesId> SeriesRegistry::intern(SeriesKey key) {
  normalize(key);
  std::string flat = flatten(key);
  {
    std::shared_lock lock(mu_);
    auto it = ids_.find(flat);
    if (it != ids_.end()) return it->second;
  }
  std::unique_lock lock(mu_);
  auto it = ids_.find(flat);
  if (it != ids_.end()) return it->second;
  if (keys_.size() >= max_series_) return std::nullopt;
  const auto id = static_cast<SeriesId>(keys_.size());
  ids_.emplace(std::move(flat), id);
  by_metric_[key.metric].emplace(key, id);
  for (const Dimension& d : key.dimensions) by_dimension_[postingKey(key.metric, d)].push_back(id);
  keys_.push_back(std::move(key));
  return id;
}

std::optional<SeriesId> SeriesRegistry::find(SeriesKey key) const {
  normalize(key);
  const std::string flat = flatten(key);
  std::shared_lock lock(mu_);
  auto it = ids_.find(flat);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

SeriesKey SeriesRegistry::key(SeriesId id) const {
  std::shared_lock lock(mu_);
  return keys_.at(id);
}

size_t SeriesRegistry::size() const {
  std::shared_lock lock(mu_);
  return keys_.size();
}

std::vector<SeriesId> SeriesRegistry::match(std::string_view metric,
                                            const std::vector<Dimension>& filter) const {
  std::vector<SeriesId> out;
  std::shared_lock lock(mu_);
  if (!filter.empty()) {
    auto posting = by_dimension_.find(postingKey(metric, filter.front()));
    if (posting == by_dimension_.end()) return out;
    for (SeriesId id : posting->second) {
      const SeriesKey& key = keys_[id];
      bool all = true;
      for (size_t i = 1; i < filter.size() && all; ++i)
        all = std::binary_search(key.dimensions.begin(), key.dimensions.end(), filter[i]);
      if (all) out.push_back(id);
    }
    if (out.size() > 1)
      std::sort(out.begin(), out.end(),
                [&](SeriesId a, SeriesId b) { return keys_[a] < keys_[b]; });
    return out;
  }
  auto m = by_metric_.find(metric);
  if (m == by_metric_.end()) return out;
  for (const auto& [key, id] : m->second) {
    bool all = true;
    for (const Dimension& want : filter) {
      if (!std::binary_search(key.dimensions.begin(), key.dimensions.end(), want)) {
        all = false;
        break;
      }
    }
    if (all) out.push_back(id);
  }
  return out;
}

std::vector<SeriesKey> SeriesRegistry::keys() const {
  std::shared_lock lock(mu_);
  return keys_;
}

std::vector<SeriesKey> SeriesRegistry::keys(SeriesId from, SeriesId to) const {
  std::shared_lock lock(mu_);
  const size_t end = std::min<size_t>(to, keys_.size());
  if (from >= end) return {};
  return std::vector<SeriesKey>(keys_.begin() + from, keys_.begin() + static_cast<ptrdiff_t>(end));
}

}  // namespace costgate::metrics
