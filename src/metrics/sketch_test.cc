#include "metrics/sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

namespace costgate::metrics {
namespace {

double exactQuantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

TEST(SketchTest, EveryQuantileWithinTheStatedRelativeError) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> latency(6.0, 1.5);  // ms: median ~400, long tail
  std::vector<double> samples;
  Sketch s;
  for (int i = 0; i < 20'000; ++i) {
    const double v = 1 + latency(rng);
    samples.push_back(v);
    s.add(v);
  }
  EXPECT_EQ(s.count(), 20'000u);
  for (double q : {0.0, 0.01, 0.1, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double want = exactQuantile(samples, q);
    EXPECT_LE(std::abs(s.quantile(q) - want), Sketch::kRelativeError * want + 1e-9) << q;
  }
}

TEST(SketchTest, MergeEqualsTheSketchOfAllSamples) {
  Sketch a, b, all;
  for (int i = 1; i <= 1000; ++i) {
    (i % 3 ? a : b).add(i * 1.7);
    all.add(i * 1.7);
  }
  a.add(0);
  all.add(0);
  Sketch merged = a;
  merged.merge(b);
  EXPECT_EQ(merged, all);
  EXPECT_EQ(merged.zeroCount(), 1u);
  EXPECT_EQ(merged.quantile(0), 0);
}

TEST(SketchTest, EmptyAnswersZeroAndSmallValuesCountAsZero) {
  Sketch s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.quantile(0.5), 0);
  s.add(-3);
  s.add(0);
  EXPECT_EQ(s.zeroCount(), 2u);
  EXPECT_TRUE(s.bins().empty());
}

}  // namespace
}  // namespace costgate::metrics
