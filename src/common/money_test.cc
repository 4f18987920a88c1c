#include "common/money.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace costgate {
namespace {

using U128 = unsigned __int128;

constexpr Money::Raw kMaxRaw = static_cast<Money::Raw>(~U128{0} >> 1);
constexpr Money::Raw kMinRaw = -kMaxRaw - 1;

// Parses text that the test knows is valid, failing the test (and returning zero) otherwise.
Money mustParse(std::string_view text) {
  auto r = Money::parse(text);
  EXPECT_TRUE(r.ok()) << "parse(\"" << text << "\"): " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : Money();
}

// The error message parse gives for `text`, or "" (a failed expectation) if it parsed.
std::string parseError(std::string_view text) {
  auto r = Money::parse(text);
  EXPECT_FALSE(r.ok()) << "parse(\"" << text << "\") unexpectedly gave " << r->toString();
  return r.ok() ? std::string() : r.error();
}

TEST(MoneyTest, HaikuInputTokensCostExactlyAQuarterDollar) {
  // anthropic.claude-3-haiku input: 0.00025 USD per 1,000 tokens; 1,000,000 tokens.
  Money per_1k = mustParse("0.00025");
  std::optional<Money> per_token = per_1k.exactDiv(1000);
  ASSERT_TRUE(per_token.has_value());
  EXPECT_EQ(per_token->toString(), "0.00000025");
  std::optional<Money> cost = per_token->checkedMul(1'000'000);
  ASSERT_TRUE(cost.has_value());
  EXPECT_EQ(cost->toString(), "0.25");
  EXPECT_EQ(*cost, mustParse("0.25"));
}

TEST(MoneyTest, SubMicroDollarPerTokenPriceIsExact) {
  // $0.00875 per million tokens is $0.00000875 per 1K tokens.
  Money per_million = mustParse("0.00875");
  Money per_1k = mustParse("0.00000875");
  EXPECT_EQ(per_million.exactDiv(1000), per_1k);
  std::optional<Money> per_token = per_1k.exactDiv(1000);
  ASSERT_TRUE(per_token.has_value());
  EXPECT_EQ(per_token->toString(), "0.00000000875");
  EXPECT_EQ(per_token->raw(), 8'750'000'000);
  EXPECT_EQ(per_token->fractionDigits(), 11);
  EXPECT_EQ(per_token->checkedMul(1000), per_1k);
  EXPECT_EQ(per_token->checkedMul(1'000'000), per_million);
}

TEST(MoneyTest, ParsesExponentForms) {
  EXPECT_EQ(mustParse("3.5e-05"), mustParse("0.000035"));
  EXPECT_EQ(mustParse("3.5e-05").raw(), 35'000'000'000'000);
  EXPECT_EQ(mustParse("1E3"), Money::dollars(1000));
  EXPECT_EQ(mustParse("1e+3"), Money::dollars(1000));
  EXPECT_EQ(mustParse("2.5E-4").toString(), "0.00025");
  EXPECT_EQ(mustParse("0.00025e2").toString(), "0.025");
  EXPECT_EQ(mustParse("12.50").toString(), "12.5");
  EXPECT_EQ(mustParse("-0.5").raw(), -Money::kOneDollar / 2);
  EXPECT_EQ(mustParse("0"), Money());
  EXPECT_EQ(mustParse("-0"), Money());
  EXPECT_EQ(mustParse("-0.000e7").toString(), "0");
  EXPECT_EQ(mustParse("007"), Money::dollars(7));
  EXPECT_EQ(mustParse("1e-18").raw(), 1);
  EXPECT_EQ(mustParse("-1e-18").raw(), -1);
  EXPECT_EQ(mustParse("1000000000e-27").raw(), 1);
  EXPECT_NE(parseError("123456789e-26").find("decimal places"), std::string::npos);
  EXPECT_EQ(mustParse("1.000000000000000000000"), Money::dollars(1));
  EXPECT_EQ(mustParse("0.000000000000000001000"), Money::fromRaw(1));
  EXPECT_EQ(mustParse("1e20").toString(), "100000000000000000000");
  // Trailing zeros of the mantissa absorb a large negative exponent.
  EXPECT_EQ(mustParse("1" + std::string(1000, '0') + "e-1000"), Money::dollars(1));
  EXPECT_EQ(mustParse("0." + std::string(1000, '0') + "5e1000").toString(), "0.5");
}

TEST(MoneyTest, RejectsTextThatIsNotAJsonNumber) {
  for (std::string_view bad :
       {"",    "abc",      "-",         "+1",    "1.", ".5", "1e",  "1e+",
        "1e-", "--1",      "1..2",      "1.2.3", " 1", "1 ", "1,5", "0x10",
        "NaN", "Infinity", "-Infinity", "1e5.5", "1f", "$1", "e5",  "1_000"}) {
    std::string message = parseError(bad);
    EXPECT_NE(message.find("not a number"), std::string::npos) << message;
  }
  EXPECT_EQ(parseError("abc"), "not a number: \"abc\"");
  EXPECT_EQ(parseError(""), "not a number: \"\"");
  EXPECT_EQ(parseError(std::string_view("1\0", 2)), "not a number: \"1\\u0000\"");
}

TEST(MoneyTest, RejectsMoreThanEighteenDecimalPlaces) {
  EXPECT_EQ(parseError("1e-19"), "more than 18 decimal places: \"1e-19\"");
  EXPECT_EQ(parseError("0.0000000000000000001"),
            "more than 18 decimal places: \"0.0000000000000000001\"");
  EXPECT_NE(parseError("1.0000000000000000001").find("more than 18 decimal places"),
            std::string::npos);
  EXPECT_NE(parseError("0.00025e-15").find("decimal places"), std::string::npos);
  EXPECT_NE(parseError("-3.5e-18").find("decimal places"), std::string::npos);
}

TEST(MoneyTest, RejectsValuesOutOfRange) {
  EXPECT_EQ(parseError("1e21"), "out of range: \"1e21\"");
  EXPECT_NE(parseError("2e20").find("out of range"), std::string::npos);
  EXPECT_NE(parseError("-1e21").find("out of range"), std::string::npos);
  EXPECT_NE(parseError(std::string(40, '9')).find("out of range"), std::string::npos);
  EXPECT_NE(parseError(std::string(39, '9') + "e-18").find("out of range"), std::string::npos);
}

TEST(MoneyTest, HugeExponentsFailFastOrGiveZero) {
  EXPECT_NE(parseError("1e999999999").find("out of range"), std::string::npos);
  EXPECT_NE(parseError("1e99999999999999999999999999999999").find("out of range"),
            std::string::npos);
  EXPECT_NE(parseError("-1E+18446744073709551617").find("out of range"), std::string::npos);
  EXPECT_NE(parseError("1e-999999999").find("decimal places"), std::string::npos);
  EXPECT_NE(parseError("1e-99999999999999999999999999999999").find("decimal places"),
            std::string::npos);
  EXPECT_EQ(mustParse("0e999999"), Money());
  EXPECT_EQ(mustParse("0e99999999999999999999999999999999"), Money());
  EXPECT_EQ(mustParse("-0.0e-99999999999999999999999999999999"), Money());
}

TEST(MoneyTest, QuotesAtMostTheStartOfAHugeBadInput) {
  std::string huge(1'000'000, '7');
  huge += 'x';
  std::string message = parseError(huge);
  EXPECT_EQ(message.rfind("not a number: \"777", 0), 0u) << message;
  EXPECT_LT(message.size(), 200u);
}

TEST(MoneyTest, ParsesTheEdgesOfTheRange) {
  EXPECT_EQ(mustParse("170141183460469231731.687303715884105727").raw(), kMaxRaw);
  EXPECT_EQ(mustParse("-170141183460469231731.687303715884105728").raw(), kMinRaw);
  EXPECT_EQ(mustParse("170141183460469231731687303715884105727e-18").raw(), kMaxRaw);
  EXPECT_NE(parseError("170141183460469231731.687303715884105728").find("out of range"),
            std::string::npos);
  EXPECT_NE(parseError("-170141183460469231731.687303715884105729").find("out of range"),
            std::string::npos);
  EXPECT_NE(parseError("170141183460469231732").find("out of range"), std::string::npos);
}

TEST(MoneyTest, ToStringOfSpecificValues) {
  EXPECT_EQ(Money().toString(), "0");
  EXPECT_EQ(Money::fromRaw(1).toString(), "0.000000000000000001");
  EXPECT_EQ(Money::fromRaw(-1).toString(), "-0.000000000000000001");
  EXPECT_EQ(Money::dollars(1).toString(), "1");
  EXPECT_EQ(Money::dollars(-12).toString(), "-12");
  EXPECT_EQ(Money::fromRaw(-Money::kOneDollar * 3 / 2).toString(), "-1.5");
  EXPECT_EQ(Money::fromRaw(Money::kOneDollar / 4).toString(), "0.25");
  EXPECT_EQ(Money::fromRaw(35'000'000'000'000).toString(), "0.000035");
  EXPECT_EQ(Money::dollars(1'000'000'000'000'000'000).toString(), "1000000000000000000");
  EXPECT_EQ(Money::fromRaw(Money::kOneDollar * 10 + 1).toString(), "10.000000000000000001");
  EXPECT_EQ(Money::fromRaw(kMaxRaw).toString(), "170141183460469231731.687303715884105727");
  EXPECT_EQ(Money::fromRaw(kMinRaw).toString(), "-170141183460469231731.687303715884105728");
  EXPECT_EQ(Money::fromRaw(kMinRaw + 1).toString(), "-170141183460469231731.687303715884105727");
}

TEST(MoneyTest, FractionDigits) {
  EXPECT_EQ(Money().fractionDigits(), 0);
  EXPECT_EQ(Money::dollars(-7).fractionDigits(), 0);
  EXPECT_EQ(mustParse("0.25").fractionDigits(), 2);
  EXPECT_EQ(mustParse("-12.5").fractionDigits(), 1);
  EXPECT_EQ(mustParse("3.5e-05").fractionDigits(), 6);
  EXPECT_EQ(Money::fromRaw(1).fractionDigits(), 18);
  EXPECT_EQ(Money::fromRaw(kMinRaw).fractionDigits(), 18);
}

// A raw value spanning every magnitude from 0 to the whole range, either sign.
Money::Raw randomRaw(std::mt19937_64& rng) {
  U128 bits = (static_cast<U128>(rng()) << 64) | rng();
  const int shift = static_cast<int>(rng() % 128);
  return static_cast<Money::Raw>(bits) >> shift;
}

TEST(MoneyTest, ToStringRoundTripsThroughParse) {
  std::mt19937_64 rng(20240611);
  std::vector<Money::Raw> values = {
      0, 1, -1, kMaxRaw, kMinRaw, kMinRaw + 1, kMaxRaw - 1, Money::kOneDollar, -Money::kOneDollar};
  for (int i = 0; i < 200'000; ++i) values.push_back(randomRaw(rng));
  // Whole-dollar and few-digit values, where trailing-zero stripping matters most.
  for (int i = 0; i < 20'000; ++i) {
    values.push_back(static_cast<Money::Raw>(static_cast<int64_t>(rng())) *
                     static_cast<Money::Raw>(1'000'000'000'000 + rng() % 3));
  }
  for (Money::Raw raw : values) {
    const Money m = Money::fromRaw(raw);
    const std::string s = m.toString();
    auto back = Money::parse(s);
    ASSERT_TRUE(back.ok()) << s << ": " << back.error();
    ASSERT_EQ(back->raw(), raw) << s;
    // Plain decimal: no exponent, no "-0", no trailing fractional zero, and the fraction has
    // exactly fractionDigits() digits.
    ASSERT_EQ(s.find_first_of("eE+"), std::string::npos) << s;
    ASSERT_NE(s, "-0");
    const size_t point = s.find('.');
    const int fraction_len =
        point == std::string::npos ? 0 : static_cast<int>(s.size() - point - 1);
    ASSERT_EQ(fraction_len, m.fractionDigits()) << s;
    if (point != std::string::npos) {
      ASSERT_NE(s.back(), '0') << s;
    }
    ASSERT_EQ(s[0] == '-', raw < 0) << s;
  }
}

TEST(MoneyTest, ToStringRoundedHalfToEven) {
  EXPECT_EQ(mustParse("0.25").toStringRounded(4), "0.2500");
  EXPECT_EQ(mustParse("0.125").toStringRounded(2), "0.12");
  EXPECT_EQ(mustParse("0.135").toStringRounded(2), "0.14");
  EXPECT_EQ(mustParse("0.1251").toStringRounded(2), "0.13");
  EXPECT_EQ(mustParse("0.1249999").toStringRounded(2), "0.12");
  EXPECT_EQ(mustParse("2.5").toStringRounded(0), "2");
  EXPECT_EQ(mustParse("3.5").toStringRounded(0), "4");
  EXPECT_EQ(mustParse("-2.5").toStringRounded(0), "-2");
  EXPECT_EQ(mustParse("-3.5").toStringRounded(0), "-4");
  EXPECT_EQ(mustParse("-0.135").toStringRounded(2), "-0.14");
  EXPECT_EQ(mustParse("9.995").toStringRounded(2), "10.00");
  EXPECT_EQ(mustParse("0.5").toStringRounded(0), "0");
  EXPECT_EQ(mustParse("12").toStringRounded(3), "12.000");
  EXPECT_EQ(Money().toStringRounded(2), "0.00");
  // A tiny negative amount rounds to zero without a sign.
  EXPECT_EQ(mustParse("-0.004").toStringRounded(2), "0.00");
  EXPECT_EQ(mustParse("-0.005").toStringRounded(2), "0.00");
  EXPECT_EQ(mustParse("-0.0051").toStringRounded(2), "-0.01");
  EXPECT_EQ(Money::fromRaw(5).toStringRounded(17), "0.00000000000000000");
  EXPECT_EQ(Money::fromRaw(15).toStringRounded(17), "0.00000000000000002");
  EXPECT_EQ(Money::fromRaw(-1).toStringRounded(18), "-0.000000000000000001");
  // Rounding away from the range's edges needs one more integer digit than fits in Raw.
  EXPECT_EQ(Money::fromRaw(kMaxRaw).toStringRounded(0), "170141183460469231732");
  EXPECT_EQ(Money::fromRaw(kMinRaw).toStringRounded(0), "-170141183460469231732");
  EXPECT_EQ(Money::fromRaw(kMinRaw).toStringRounded(18),
            "-170141183460469231731.687303715884105728");
  // Out-of-range digit counts are clamped to 0..18.
  EXPECT_EQ(mustParse("2.5").toStringRounded(-3), "2");
  EXPECT_EQ(Money::fromRaw(1).toStringRounded(40), "0.000000000000000001");
}

TEST(MoneyTest, CheckedArithmeticReportsOverflow) {
  const Money max = Money::fromRaw(kMaxRaw);
  const Money min = Money::fromRaw(kMinRaw);
  EXPECT_FALSE(max.checkedAdd(Money::fromRaw(1)).has_value());
  EXPECT_FALSE(min.checkedAdd(Money::fromRaw(-1)).has_value());
  EXPECT_EQ(max.checkedAdd(min), Money::fromRaw(-1));
  EXPECT_EQ(Money::dollars(2).checkedAdd(mustParse("-0.5")), mustParse("1.5"));
  EXPECT_FALSE(max.checkedMul(2).has_value());
  EXPECT_FALSE(min.checkedMul(-1).has_value());
  EXPECT_FALSE(Money::dollars(1).checkedMul(INT64_MAX)->checkedMul(INT64_MAX).has_value());
  EXPECT_EQ(max.checkedMul(-1), Money::fromRaw(-kMaxRaw));
  EXPECT_EQ(Money::dollars(3).checkedMul(-4), Money::dollars(-12));
  EXPECT_EQ(Money::fromRaw(7).checkedMul(0), Money());
}

TEST(MoneyTest, ExactDivOnlyWhenDivisible) {
  EXPECT_EQ(Money::dollars(1).exactDiv(4), mustParse("0.25"));
  EXPECT_EQ(Money::dollars(-1).exactDiv(8), mustParse("-0.125"));
  EXPECT_EQ(Money::dollars(3).exactDiv(-3), Money::dollars(-1));
  EXPECT_FALSE(Money::dollars(1).exactDiv(3).has_value());
  EXPECT_FALSE(Money::fromRaw(1).exactDiv(2).has_value());
  EXPECT_FALSE(mustParse("0.00000000000000001").exactDiv(100).has_value());
  EXPECT_FALSE(Money::dollars(1).exactDiv(0).has_value());
  EXPECT_FALSE(Money().exactDiv(0).has_value());
  EXPECT_EQ(Money().exactDiv(7), Money());
  EXPECT_FALSE(Money::fromRaw(kMinRaw).exactDiv(-1).has_value());
  EXPECT_EQ(Money::fromRaw(kMinRaw).exactDiv(2), Money::fromRaw(kMinRaw / 2));
  EXPECT_EQ(Money::fromRaw(kMaxRaw).exactDiv(-1), Money::fromRaw(-kMaxRaw));
}

TEST(MoneyTest, OperatorsAndComparisons) {
  Money a = mustParse("1.25");
  Money b = mustParse("0.75");
  EXPECT_EQ(a + b, Money::dollars(2));
  EXPECT_EQ(b - a, mustParse("-0.5"));
  EXPECT_EQ(a * 4, Money::dollars(5));
  EXPECT_EQ(a * -2, mustParse("-2.5"));
  a += b;
  EXPECT_EQ(a, Money::dollars(2));
  a -= Money::dollars(3);
  EXPECT_EQ(a, Money::dollars(-1));
  EXPECT_TRUE(a.isNegative());
  EXPECT_FALSE(a.isZero());
  EXPECT_LT(a, b);
  EXPECT_GT(Money::fromRaw(1), Money());
  EXPECT_TRUE(Money().isZero());
}

// ---- Ten million records against an independent exact total ----------------------------

// Realistic prices in USD per 1,000 tokens.
constexpr std::array<std::string_view, 12> kPricesPer1k = {
    "0.00025", "0.00125", "0.003",      "0.015", "0.000035",  "0.00014",
    "0.0008",  "0.0032",  "0.00000875", "0.075", "0.0000625", "0.0003"};

// A price "I.F" held as the integer mantissa I·F and its count of fractional digits, read
// from the characters alone (not through Money).
struct DecimalPrice {
  U128 mantissa = 0;
  int fraction_digits = 0;
};

DecimalPrice decimalFromText(std::string_view text) {
  DecimalPrice d;
  bool after_point = false;
  for (char c : text) {
    if (c == '.') {
      after_point = true;
      continue;
    }
    d.mantissa = d.mantissa * 10 + static_cast<unsigned>(c - '0');
    if (after_point) ++d.fraction_digits;
  }
  return d;
}

// `units` × 10^-fraction_digits as a plain decimal with trailing fractional zeros dropped:
// digit-string arithmetic, independent of Money's formatting.
std::string formatScaled(U128 units, int fraction_digits) {
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(units % 10)));
    units /= 10;
  } while (units != 0);
  if (static_cast<int>(digits.size()) <= fraction_digits) {
    digits.insert(0, static_cast<size_t>(fraction_digits) + 1 - digits.size(), '0');
  }
  std::string whole = digits.substr(0, digits.size() - static_cast<size_t>(fraction_digits));
  std::string fraction = digits.substr(whole.size());
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return fraction.empty() ? whole : whole + "." + fraction;
}

TEST(MoneyTest, TenMillionRandomRecordsSumExactlyToAnIndependentTotal) {
  constexpr int kRecords = 10'000'000;
  constexpr uint64_t kMaxTokens = 200'000;
  std::mt19937_64 rng(0xC057'6A7E);

  Money total;
  std::array<uint64_t, kPricesPer1k.size()> tokens_at_price{};
  for (int i = 0; i < kRecords; ++i) {
    const uint64_t tokens = rng() % (kMaxTokens + 1);
    const size_t price = static_cast<size_t>(rng() % kPricesPer1k.size());
    // The gateway's path: parse the per-1K price, per-token price, times the tokens.
    auto per_1k = Money::parse(kPricesPer1k[price]);
    std::optional<Money> per_token = per_1k.ok() ? per_1k->exactDiv(1000) : std::nullopt;
    std::optional<Money> cost =
        per_token ? per_token->checkedMul(static_cast<int64_t>(tokens)) : std::nullopt;
    if (!cost) FAIL() << "record " << i << ": no cost for " << kPricesPer1k[price];
    total += *cost;
    tokens_at_price[price] += tokens;
  }

  // Independent: total = sum over prices of tokens × mantissa × 10^-(fraction_digits + 3),
  // brought to the common scale 10^-(max fraction digits + 3).
  int max_fraction_digits = 0;
  std::array<DecimalPrice, kPricesPer1k.size()> decimals;
  for (size_t p = 0; p < kPricesPer1k.size(); ++p) {
    decimals[p] = decimalFromText(kPricesPer1k[p]);
    max_fraction_digits = std::max(max_fraction_digits, decimals[p].fraction_digits);
  }
  U128 units = 0;
  for (size_t p = 0; p < kPricesPer1k.size(); ++p) {
    U128 scaled = decimals[p].mantissa;
    for (int k = decimals[p].fraction_digits; k < max_fraction_digits; ++k) scaled *= 10;
    units += static_cast<U128>(tokens_at_price[p]) * scaled;
  }
  const std::string expected = formatScaled(units, max_fraction_digits + 3);

  EXPECT_EQ(total.toString(), expected);
  // The data make the comparison meaningful: every price was used, and the total (millions
  // of dollars) carries digits down to the finest per-token price, 1e-11 USD. mt19937_64's
  // output is fixed by the standard, so these hold on every platform.
  for (uint64_t tokens : tokens_at_price) EXPECT_GT(tokens, 0u);
  EXPECT_GT(total, Money::dollars(1'000'000));
  EXPECT_EQ(total.fractionDigits(), max_fraction_digits + 3) << expected;
}

}  // namespace
}  // namespace costgate
