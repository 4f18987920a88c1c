#include "pricing/price_table.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/money.h"

namespace costgate::pricing {
namespace {

using Strings = std::vector<std::string>;

Money money(std::string_view text) {
  auto m = Money::parse(text);
  EXPECT_TRUE(m.ok()) << text;
  return m.ok() ? *m : Money();
}

TimePoint day(int y, unsigned m, unsigned d) {
  return TimePoint(std::chrono::sys_days(std::chrono::year(y) / m / d));
}

ModelPrice text(std::string region, std::string model, std::string_view in, std::string_view out,
                std::optional<TimePoint> since = std::nullopt) {
  ModelPrice p;
  p.region = std::move(region);
  p.model_id = std::move(model);
  p.kind = ModelKind::kText;
  p.tokens.input_per_1k = money(in);
  p.tokens.output_per_1k = money(out);
  p.effective_from = since;
  return p;
}

PriceTable mustBuild(std::vector<ModelPrice> prices) {
  auto t = PriceTable::build(std::move(prices));
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error());
  return t.ok() ? std::move(*t) : PriceTable();
}

Cost mustCost(const ModelPrice& price, const Usage& usage) {
  auto c = PriceTable::cost(price, usage);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error());
  return c.ok() ? *c : Cost{};
}

constexpr std::string_view kHaiku = "anthropic.claude-3-haiku-20240307-v1:0";

TEST(PriceTableTest, FindPicksTheVersionInForceAtTheInstant) {
  // Given out of order on purpose: build sorts by effective date.
  PriceTable t = mustBuild({text("us-west-2", "m", "0.3", "0.6", day(2025, 9, 1)),
                            text("us-west-2", "m", "0.1", "0.2"),
                            text("us-west-2", "m", "0.2", "0.4", day(2025, 4, 1))});
  auto inputAt = [&](TimePoint when) {
    const ModelPrice* p = t.find("us-west-2", "m", when);
    return p ? p->tokens.input_per_1k.toString() : std::string("none");
  };
  EXPECT_EQ(inputAt(day(2000, 1, 1)), "0.1");
  EXPECT_EQ(inputAt(day(2025, 4, 1) - std::chrono::milliseconds(1)), "0.1");
  EXPECT_EQ(inputAt(day(2025, 4, 1)), "0.2");
  EXPECT_EQ(inputAt(day(2025, 8, 31)), "0.2");
  EXPECT_EQ(inputAt(day(2025, 9, 1)), "0.3");
  EXPECT_EQ(inputAt(day(2030, 1, 1)), "0.3");
  EXPECT_EQ(t.latest("us-west-2", "m")->tokens.input_per_1k.toString(), "0.3");
  // all() is ordered by effective date.
  ASSERT_EQ(t.all().size(), 3u);
  EXPECT_FALSE(t.all()[0].effective_from.has_value());
  EXPECT_EQ(t.all()[1].effective_from, day(2025, 4, 1));
  EXPECT_EQ(t.all()[2].effective_from, day(2025, 9, 1));
}

TEST(PriceTableTest, NothingIsFoundBeforeTheFirstDatedVersion) {
  PriceTable t = mustBuild({text("us-west-2", "m", "0.1", "0.2", day(2025, 1, 1))});
  EXPECT_EQ(t.find("us-west-2", "m", day(2024, 12, 31)), nullptr);
  ASSERT_NE(t.find("us-west-2", "m", day(2025, 1, 1)), nullptr);
  ASSERT_NE(t.latest("us-west-2", "m"), nullptr);
}

TEST(PriceTableTest, LookupsAreByRegionAndModel) {
  PriceTable t =
      mustBuild({text("us-west-2", "a", "0.1", "0.2"), text("eu-west-1", "a", "0.3", "0.4"),
                 text("us-west-2", "b", "0.5", "0.6")});
  EXPECT_EQ(t.find("eu-west-1", "a", day(2025, 1, 1))->tokens.input_per_1k.toString(), "0.3");
  EXPECT_EQ(t.find("us-west-2", "a", day(2025, 1, 1))->tokens.input_per_1k.toString(), "0.1");
  EXPECT_EQ(t.find("eu-west-1", "b", day(2025, 1, 1)), nullptr);
  EXPECT_EQ(t.latest("ap-south-1", "a"), nullptr);
  EXPECT_EQ(t.latest("us-west-2", "c"), nullptr);
  // Region and model do not run together in the key.
  EXPECT_EQ(t.latest("us-west-2a", ""), nullptr);
}

TEST(PriceTableTest, RegionsOfListsEachRegionOnceInOrder) {
  PriceTable t = mustBuild({text("us-west-2", "a", "0.1", "0.2"),
                            text("us-west-2", "a", "0.1", "0.2", day(2025, 1, 1)),
                            text("eu-west-1", "a", "0.3", "0.4"), text("us-east-1", "b", "1", "1"),
                            text("ap-south-1", "a", "0.3", "0.4")});
  EXPECT_EQ(t.regionsOf("a"), Strings({"ap-south-1", "eu-west-1", "us-west-2"}));
  EXPECT_EQ(t.regionsOf("b"), Strings({"us-east-1"}));
  EXPECT_EQ(t.regionsOf("c"), Strings{});
}

TEST(PriceTableTest, DuplicateEffectiveDatesAreRejected) {
  auto t = PriceTable::build({text("us-west-2", "m", "0.1", "0.2", day(2025, 1, 1)),
                              text("us-west-2", "m", "0.3", "0.4", day(2025, 1, 1))});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error(), "us-west-2 m: two price versions with the same effective date");

  auto undated = PriceTable::build(
      {text("us-west-2", "m", "0.1", "0.2"), text("us-west-2", "m", "0.3", "0.4")});
  ASSERT_FALSE(undated.ok());
  EXPECT_EQ(undated.error(), "us-west-2 m: two price versions with the same effective date");

  // The same date in different regions or for different models is fine.
  EXPECT_TRUE(PriceTable::build({text("us-west-2", "m", "0.1", "0.2", day(2025, 1, 1)),
                                 text("eu-west-1", "m", "0.1", "0.2", day(2025, 1, 1)),
                                 text("us-west-2", "n", "0.1", "0.2", day(2025, 1, 1))})
                  .ok());
}

TEST(PriceTableTest, PricesThatAreNotExactPerTokenAreRejected) {
  ModelPrice p = text("us-west-2", "m", "0.1", "0.2");
  p.tokens.cache_read_per_1k = money("0.0000000000000001");
  auto t = PriceTable::build({p});
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error(),
            "us-west-2 m: cache read price 0.0000000000000001 has more than 15 decimal places per "
            "1,000 tokens, so a single token has no exact price");
}

TEST(PriceTableTest, MillionHaikuInputTokensCostExactlyAQuarter) {
  ModelPrice haiku = text("us-west-2", std::string(kHaiku), "0.00025", "0.00125");
  Cost c = mustCost(haiku, Usage{.input_tokens = 1'000'000});
  EXPECT_EQ(c.plain_input.toString(), "0.25");
  EXPECT_EQ(c.plain_input, money("0.25"));
  EXPECT_EQ(c.input().toString(), "0.25");
  EXPECT_TRUE(c.output.isZero());
  EXPECT_EQ(c.total().toString(), "0.25");

  Cost both = mustCost(haiku, Usage{.input_tokens = 1'000'000, .output_tokens = 1'000'000});
  EXPECT_EQ(both.output.toString(), "1.25");
  EXPECT_EQ(both.total().toString(), "1.5");

  // A single token costs exactly a thousandth of the per-1K price.
  Cost one = mustCost(haiku, Usage{.input_tokens = 1, .output_tokens = 3});
  EXPECT_EQ(one.plain_input.toString(), "0.00000025");
  EXPECT_EQ(one.output.toString(), "0.00000375");
  EXPECT_EQ(one.total().toString(), "0.000004");
}

TEST(PriceTableTest, ExponentPriceCostIsExact) {
  ModelPrice nova = text("us-west-2", "amazon.nova-micro-v1:0", "3.5e-05", "0.00014");
  Cost c = mustCost(nova, Usage{.input_tokens = 123'457, .output_tokens = 999});
  EXPECT_EQ(c.plain_input.toString(), "0.004320995");
  EXPECT_EQ(c.output.toString(), "0.00013986");
}

TEST(PriceTableTest, CacheTokensUseCachePricesWhenGiven) {
  ModelPrice p = text("us-west-2", "m", "0.003", "0.015");
  p.tokens.cache_read_per_1k = money("0.0003");
  p.tokens.cache_write_per_1k = money("0.00375");
  Cost c = mustCost(p, Usage{.input_tokens = 1000,
                             .output_tokens = 2000,
                             .cache_read_tokens = 10'000,
                             .cache_write_tokens = 4000});
  EXPECT_EQ(c.plain_input.toString(), "0.003");
  EXPECT_EQ(c.cache_read.toString(), "0.003");
  EXPECT_EQ(c.cache_write.toString(), "0.015");
  EXPECT_EQ(c.output.toString(), "0.03");
  // input() counts every kind of input token.
  EXPECT_EQ(c.input().toString(), "0.021");
  EXPECT_EQ(c.total().toString(), "0.051");
}

TEST(PriceTableTest, CacheTokensUseTheInputPriceWhenNoCachePriceIsGiven) {
  ModelPrice p = text("us-west-2", "m", "0.003", "0.015");
  Cost c = mustCost(p, Usage{.input_tokens = 1000,
                             .output_tokens = 0,
                             .cache_read_tokens = 10'000,
                             .cache_write_tokens = 4000});
  EXPECT_EQ(c.plain_input.toString(), "0.003");
  EXPECT_EQ(c.cache_read.toString(), "0.03");
  EXPECT_EQ(c.cache_write.toString(), "0.012");
  EXPECT_EQ(c.input().toString(), "0.045");
  EXPECT_EQ(c.total().toString(), "0.045");

  // Only one of the two cache prices given: the other falls back to the input price.
  p.tokens.cache_read_per_1k = money("0.0003");
  Cost mixed = mustCost(p, Usage{.cache_read_tokens = 1000, .cache_write_tokens = 1000});
  EXPECT_EQ(mixed.cache_read.toString(), "0.0003");
  EXPECT_EQ(mixed.cache_write.toString(), "0.003");
  EXPECT_EQ(mixed.input().toString(), "0.0033");
}

TEST(PriceTableTest, ZeroUsageCostsNothing) {
  Cost c = mustCost(text("us-west-2", "m", "0.003", "0.015"), Usage{});
  EXPECT_TRUE(c.total().isZero());
  EXPECT_EQ(c.total().toString(), "0");
}

TEST(PriceTableTest, AbsurdTokenCountsFail) {
  ModelPrice p = text("us-west-2", "m", "0.003", "0.015");
  auto negative = PriceTable::cost(p, Usage{.output_tokens = -5});
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error(), "negative token count -5");

  ModelPrice pricey = text("us-west-2", "m", "100000000000000", "0");
  auto huge = PriceTable::cost(pricey, Usage{.input_tokens = std::numeric_limits<int64_t>::max()});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error(), "cost of 9223372036854775807 tokens is out of range");
}

}  // namespace
}  // namespace costgate::pricing
