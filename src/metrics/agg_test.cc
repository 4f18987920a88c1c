#include "metrics/agg.h"

#include <gtest/gtest.h>

#include <random>

namespace costgate::metrics {
namespace {

// toDouble as it was before its 64-bit fast path: one 128-bit division.
double reference(Fixed v) {
  const Fixed whole = v / kFixedOne;
  const Fixed frac = v % kFixedOne;
  return static_cast<double>(static_cast<long double>(whole) +
                             static_cast<long double>(static_cast<int64_t>(frac)) / 1e18L);
}

TEST(ToDoubleTest, TheFastPathGivesTheSameDoubles) {
  const Fixed edge = Fixed{1} << 81;
  std::vector<Fixed> values = {0,
                               1,
                               -1,
                               kFixedOne,
                               -kFixedOne,
                               kFixedOne / 10,
                               kFixedOne * 3 / 10,
                               fixedFromInt(1'000'000) + 125'000'000'000'000'000,
                               edge - 1,
                               -(edge - 1),
                               edge,
                               -edge,
                               edge + 1,
                               std::numeric_limits<Fixed>::max(),
                               std::numeric_limits<Fixed>::min() + 1};
  std::mt19937_64 random(42);
  for (int i = 0; i < 200'000; ++i) {
    const Fixed wide = (static_cast<Fixed>(random()) << 64) | random();
    values.push_back(wide >> (random() % 120));  // every magnitude, both signs
  }
  for (Fixed v : values) {
    const double want = reference(v);
    const double got = toDouble(v);
    ASSERT_EQ(std::signbit(got), std::signbit(want));
    ASSERT_EQ(got, want) << static_cast<double>(v);
  }
  EXPECT_EQ(toDouble(kFixedOne * 3 / 10), 0.3);
  EXPECT_EQ(toDouble(fixedFromInt(-7)), -7.0);
}

}  // namespace
}  // namespace costgate::metrics
