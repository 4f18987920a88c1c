#include "metrics/query_visibility.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace costgate::metrics {

namespace {

const std::string* profileOf(const SeriesKey& key) {
  for (const Dimension& d : key.dimensions)
    if (d.name == kProfileDimension) return &d.value;
  return nullptr;
}

std::vector<Dimension> withProfile(std::vector<Dimension> filter, const std::string& profile) {
  filter.push_back({std::string(kProfileDimension), profile});
  std::sort(filter.begin(), filter.end());
  return filter;
}

using Merged = std::map<TimePoint, double>;

template <class Combine>
void mergeInto(Merged& out, const Datapoints& points, Combine combine) {
  for (const Datapoint& p : points) {
    auto [it, inserted] = out.try_emplace(p.timestamp, p.value);
    if (!inserted) it->second = combine(it->second, p.value);
  }
}

Datapoints toPoints(const Merged& m) {
  Datapoints out;
  out.reserve(m.size());
  for (const auto& [t, v] : m) out.push_back({t, v});
  return out;
}

}  // namespace

bool VisibleProfiles::allowsSeries(const SeriesKey& key) const {
  if (!restricted()) return true;
  const std::string* profile = profileOf(key);
  return profile != nullptr && allows(*profile);
}

std::vector<SeriesKey> VisibleSeries::findSeries(std::string_view metric,
                                                 const std::vector<Dimension>& filter) const {
  std::vector<SeriesKey> keys = source_.findSeries(metric, filter);
  if (visible_.restricted())
    std::erase_if(keys, [&](const SeriesKey& k) { return !visible_.allowsSeries(k); });
  return keys;
}

Result<Datapoints> VisibleSeries::fetch(std::string_view metric,
                                        const std::vector<Dimension>& filter, TimePoint from,
                                        TimePoint to, std::chrono::seconds period,
                                        const Statistic& stat) const {
  if (!visible_.restricted()) return source_.fetch(metric, filter, from, to, period, stat);
  for (const Dimension& d : filter) {
    if (d.name != kProfileDimension) continue;
    if (!visible_.allows(d.value)) return Datapoints{};
    return source_.fetch(metric, filter, from, to, period, stat);
  }
  std::set<std::string> profiles;
  bool hidden = false;
  for (const SeriesKey& k : source_.findSeries(metric, filter)) {
    if (visible_.allowsSeries(k)) {
      profiles.insert(*profileOf(k));
    } else {
      hidden = true;
    }
  }
  if (!hidden) return source_.fetch(metric, filter, from, to, period, stat);
  if (profiles.empty()) return Datapoints{};
  if (profiles.size() == 1)
    return source_.fetch(metric, withProfile(filter, *profiles.begin()), from, to, period, stat);

  using K = Statistic::Kind;
  if (stat.kind == K::kPercentile)
    return makeError(fmt::format(
        "{} of {} over several profiles is not available to a key that sees only some of the "
        "matching series; add an InferenceProfile dimension",
        stat.name(), metric));
  const bool average = stat.kind == K::kAverage;
  Merged merged, counts;
  for (const std::string& profile : profiles) {
    const std::vector<Dimension> f = withProfile(filter, profile);
    const Statistic read = average ? Statistic{K::kSum, 0} : stat;
    auto points = source_.fetch(metric, f, from, to, period, read);
    if (!points) return points;
    switch (stat.kind) {
      case K::kMinimum:
        mergeInto(merged, *points, [](double a, double b) { return std::min(a, b); });
        break;
      case K::kMaximum:
        mergeInto(merged, *points, [](double a, double b) { return std::max(a, b); });
        break;
      default:
        mergeInto(merged, *points, [](double a, double b) { return a + b; });
    }
    if (average) {
      auto n = source_.fetch(metric, f, from, to, period, Statistic{K::kSampleCount, 0});
      if (!n) return n;
      mergeInto(counts, *n, [](double a, double b) { return a + b; });
    }
  }
  if (average) {
    for (auto& [t, v] : merged) {
      auto n = counts.find(t);
      v = (n != counts.end() && n->second > 0) ? v / n->second : 0;
    }
    std::erase_if(merged, [&](const auto& kv) {
      auto n = counts.find(kv.first);
      return n == counts.end() || n->second <= 0;
    });
  }
  return toPoints(merged);
}

}  // namespace costgate::metrics
