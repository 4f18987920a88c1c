#pragma once
// The metric points one metered call contributes, each on its profile's series: dimension
// InferenceProfile (the profile's name) plus the call's profile tags whose keys are configured.
//
//   InputTokens, OutputTokens, InputTokensCost, OutputTokensCost (exact USD, input covering
//   every kind of input token as the seed's does)      every call
//   InvocationSuccess = 1 | InvocationFailure = 1      by the call's status
//   InvocationThrottled = 1                            HTTP 429
//   CacheReadTokens, CacheWriteTokens                  when not zero
//   InvocationLatency (ms, ended - started)            every call
//   TimeToFirstToken (ms, first token - started)       when a first token was seen
//
// All at record.started_at. Pure functions.

#include <optional>
#include <string>
#include <vector>

#include "metering/usage_record.h"
#include "metrics/agg.h"
#include "metrics/series.h"

namespace costgate::metrics {

struct PointOptions {
  // Tag keys that become dimensions (compared case-insensitively; the record's spelling is
  // kept); nullopt: every tag key of the profile.
  std::optional<std::vector<std::string>> tag_keys;
};

struct Point {
  SeriesKey key;
  TimePoint timestamp;
  Fixed value = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

// The dimensions of a record's series (sorted by name).
std::vector<Dimension> dimensionsOf(const metering::UsageRecord& record, const PointOptions& opt);
std::vector<Point> pointsOf(const metering::UsageRecord& record, const PointOptions& opt);

}  // namespace costgate::metrics
