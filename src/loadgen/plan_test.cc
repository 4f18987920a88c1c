#include "loadgen/plan.h"

#include <gtest/gtest.h>

#include <map>

namespace costgate::loadgen {
namespace {

using std::chrono::milliseconds;

ProfileTraffic traffic(std::string name, double rate, Shape shape = Shape::kSteady) {
  ProfileTraffic t;
  t.profile = std::move(name);
  t.rate = rate;
  t.shape.shape = shape;
  return t;
}

// Calls due by `t`, counted per profile index, advancing in 10 ms ticks as the runner does.
std::map<size_t, int> dueBy(Pacer& pacer, double from, double to) {
  std::map<size_t, int> n;
  std::vector<size_t> due;
  for (double t = from; t <= to + 1e-9; t += 0.010) {
    due.clear();
    pacer.advance(t, due);
    for (size_t i : due) ++n[i];
  }
  return n;
}

TEST(RateFactorTest, SteadyRampAndSpikeFollowTheirDefinitions) {
  ShapeParams steady;
  EXPECT_EQ(rateFactor(steady, 0), 1);
  EXPECT_EQ(rateFactor(steady, 1e6), 1);

  ShapeParams ramp;
  ramp.shape = Shape::kRamp;  // 0.25 → 4 over 120 s
  EXPECT_DOUBLE_EQ(rateFactor(ramp, 0), 0.25);
  EXPECT_DOUBLE_EQ(rateFactor(ramp, 60), 2.125);
  EXPECT_DOUBLE_EQ(rateFactor(ramp, 120), 4);
  EXPECT_DOUBLE_EQ(rateFactor(ramp, 600), 4);

  ShapeParams spike;
  spike.shape = Shape::kSpike;  // 10x for 10 s at 45 s, then every 120 s
  EXPECT_EQ(rateFactor(spike, 44.99), 1);
  EXPECT_EQ(rateFactor(spike, 45), 10);
  EXPECT_EQ(rateFactor(spike, 54.99), 10);
  EXPECT_EQ(rateFactor(spike, 55), 1);
  EXPECT_EQ(rateFactor(spike, 164.99), 1);
  EXPECT_EQ(rateFactor(spike, 165), 10);
  EXPECT_EQ(rateFactor(spike, 175.5), 1);
}

TEST(PacerTest, FirstCallsAtOnceThenTheIntegralOfTheRate) {
  Pacer pacer({traffic("a", 2), traffic("b", 0.5)});
  std::vector<size_t> due;
  pacer.advance(0, due);
  EXPECT_EQ(due, (std::vector<size_t>{0, 1}));
  // Up to 10.01 s: 20 calls of a (2 × 10.01 = 20.02), 5 of b (0.5 × 10.01).
  auto n = dueBy(pacer, 0.010, 10.015);
  EXPECT_EQ(n[0], 20);
  EXPECT_EQ(n[1], 5);
}

TEST(PacerTest, RampIntegratesFromAQuarterToFourTimesTheRate) {
  Pacer pacer({traffic("r", 1, Shape::kRamp)});
  // ∫0^120 (0.25 + 3.75 t/120) dt = 120 × (0.25 + 4) / 2 = 255, plus the call at t=0.
  auto n = dueBy(pacer, 0, 120.005);
  EXPECT_EQ(n[0], 256);
  // Then held at 4/s.
  auto more = dueBy(pacer, 120.015, 130.005);
  EXPECT_EQ(more[0], 40);
}

TEST(PacerTest, SpikeSendsItsFactorForItsLength) {
  ProfileTraffic t = traffic("s", 0.1, Shape::kSpike);
  t.shape.spike_factor = 48;
  Pacer pacer({t});
  auto before = dueBy(pacer, 0, 44.995);  // 1 at t=0, then 4.5 at 0.1/s
  EXPECT_EQ(before[0], 1 + 4);
  auto during = dueBy(pacer, 45.005, 54.995);  // 4.8/s for 10 s, with the 0.5 credit left
  EXPECT_EQ(during[0], 48);
}

TEST(ChooserTest, SameSeedSameDrawsAndTheMixIsMet) {
  Mix mix{{{Dialect::kSeed, 1},
           {Dialect::kOpenAi, 1},
           {Dialect::kAnthropic, 1},
           {Dialect::kBedrock, 1}},
          0.3};
  Chooser a(mix, 7), b(mix, 7), c(mix, 8);
  bool differs = false;
  std::map<Dialect, int> dialects;
  int streams = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    Chooser::Choice x = a.next(), y = b.next(), z = c.next();
    ASSERT_EQ(x.dialect, y.dialect);
    ASSERT_EQ(x.stream, y.stream);
    ASSERT_EQ(x.prompt, y.prompt);
    differs |= x.dialect != z.dialect || x.stream != z.stream;
    ASSERT_LT(x.prompt, prompts().size());
    if (x.dialect == Dialect::kSeed) {
      ASSERT_FALSE(x.stream) << "/invoke never streams";
    }
    ++dialects[x.dialect];
    streams += x.stream;
  }
  EXPECT_TRUE(differs);
  for (const auto& [d, count] : dialects) {
    EXPECT_NEAR(count, n / 4, n / 40) << dialectName(d);
  }
  // 0.3 of all calls, though a quarter of them (seed) cannot stream.
  EXPECT_NEAR(streams, 0.3 * n, 0.02 * n);
}

TEST(CheckMixTest, NamesTheFlagAtFault) {
  EXPECT_TRUE(checkMix({{{Dialect::kSeed, 1}, {Dialect::kOpenAi, 1}}, 0.5}));
  Status too_many = checkMix({{{Dialect::kSeed, 1}, {Dialect::kOpenAi, 1}}, 0.6});
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error(),
            "--stream-share: 0.6 is more than the share of calls in dialects that can stream "
            "(0.5; the seed's /invoke answers whole)");
  Status none = checkMix({{}, 0});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), "--dialects: no dialect to send calls in");
  Status share = checkMix({{{Dialect::kOpenAi, 1}}, 1.5});
  ASSERT_FALSE(share);
  EXPECT_EQ(share.error(), "--stream-share: 1.5 is not between 0 and 1");
}

TEST(ParseDurationTest, UnitsAndPlainSeconds) {
  EXPECT_EQ(*parseDuration("60s"), milliseconds(60'000));
  EXPECT_EQ(*parseDuration("2m"), milliseconds(120'000));
  EXPECT_EQ(*parseDuration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(*parseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*parseDuration("1.5"), milliseconds(1'500));
  for (const char* bad : {"", "s", "abc", "-1s", "0", "10x", "1e400"}) {
    auto d = parseDuration(bad);
    EXPECT_FALSE(d) << bad;
  }
  EXPECT_EQ(parseDuration("ten").error(),
            "\"ten\" is not a positive duration (e.g. 60s, 2m, 1h, 500ms, or plain seconds)");
}

TEST(ParseWeightsTest, NamesWithOptionalWeights) {
  auto w = parseWeights("a=3, b=1.5,c", "--profiles");
  ASSERT_TRUE(w) << w.error();
  EXPECT_EQ(*w, (std::vector<std::pair<std::string, double>>{{"a", 3}, {"b", 1.5}, {"c", 1}}));
  EXPECT_EQ(parseWeights("a,a", "--profiles").error(), "--profiles: \"a\" is given twice");
  EXPECT_EQ(parseWeights("a=0", "--profiles").error(),
            "--profiles: the weight of \"a\" must be a positive number, not \"0\"");
  EXPECT_EQ(parseWeights("a,,b", "--dialects").error(), "--dialects: an empty entry in \"a,,b\"");
  EXPECT_FALSE(parseWeights("=2", "--profiles"));
}

TEST(DialectNamesTest, RoundTripAsTheLedgerNamesThem) {
  for (Dialect d : {Dialect::kSeed, Dialect::kOpenAi, Dialect::kAnthropic, Dialect::kBedrock}) {
    EXPECT_EQ(parseDialect(dialectName(d)), d);
  }
  EXPECT_FALSE(parseDialect("OpenAI"));
  EXPECT_FALSE(canStream(Dialect::kSeed));
  EXPECT_TRUE(canStream(Dialect::kBedrock));
}

}  // namespace
}  // namespace costgate::loadgen
