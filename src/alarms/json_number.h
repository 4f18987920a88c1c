#pragma once
// A double as a JSON number that reads as people write it: integral values as integers (5, not
// Boost.JSON's 5E0), others as the shortest double that round-trips.

#include <boost/json/value.hpp>
#include <cmath>
#include <cstdint>

namespace costgate::alarms {

inline boost::json::value jsonNumber(double x) {
  constexpr double kExact = 9007199254740992.0;  // 2^53
  if (std::isfinite(x) && x == std::trunc(x) && std::fabs(x) < kExact) {
    return static_cast<int64_t>(x);
  }
  return x;
}

}  // namespace costgate::alarms
