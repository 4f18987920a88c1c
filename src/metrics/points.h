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

#include <array>
#include <cstdint>
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

// The metrics a call can contribute. Their order is the order of pointsOf's points.
enum class CallMetric : uint8_t {
  kInputTokens,
  kOutputTokens,
  kInputTokensCost,
  kOutputTokensCost,
  kInvocationSuccess,
  kInvocationFailure,
  kInvocationThrottled,
  kCacheReadTokens,
  kCacheWriteTokens,
  kInvocationLatency,
  kTimeToFirstToken,
};
inline constexpr size_t kCallMetricCount = 11;
const char* metricName(CallMetric m);  // "InputTokens", …

// A record's values, each for its metric's series: what pointsOf gives without the keys (so
// without allocating).
struct CallValues {
  struct Item {
    CallMetric metric;
    Fixed value;
  };
  std::array<Item, kCallMetricCount> items;
  size_t size = 0;
};
CallValues valuesOf(const metering::UsageRecord& record);

// The dimensions of a record's series (sorted by name).
std::vector<Dimension> dimensionsOf(const metering::UsageRecord& record, const PointOptions& opt);
std::vector<Point> pointsOf(const metering::UsageRecord& record, const PointOptions& opt);

}  // namespace costgate::metrics
