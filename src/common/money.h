#pragma once
// Money: an exact amount of US dollars. Fixed point with 18 fractional digits in a signed
// 128-bit integer: the smallest step is 1e-18 USD and the range is about ±1.7e20 USD, so no
// realistic ledger total can overflow. There is no floating point anywhere in this type.
//
// Thread-compatible value type.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace costgate {

class Money {
 public:
  using Raw = __int128;
  static constexpr int kFractionDigits = 18;
  static constexpr Raw kOneDollar = static_cast<Raw>(1'000'000'000'000'000'000LL);

  constexpr Money() = default;
  static constexpr Money fromRaw(Raw raw) { return Money(raw); }
  // Whole dollars.
  static constexpr Money dollars(int64_t d) { return Money(static_cast<Raw>(d) * kOneDollar); }

  // Parses a JSON-style decimal: optional '-', digits, optional fraction, optional exponent
  // ("0.00025", "3.5e-05", "12", "1E3"). The result is the exact decimal the text denotes; it
  // fails (naming why) when that needs more than 18 fractional digits or exceeds the range.
  static Result<Money> parse(std::string_view text);

  // The exact plain decimal: no exponent, no symbol, no rounding, trailing fractional zeros
  // dropped ("0.25", "0.000035", "0", "-1.5"). parse(toString()) gives the same amount back.
  std::string toString() const;

  // Rounded half-to-even to `digits` fractional digits, for display only ("0.2500" for 4).
  std::string toStringRounded(int digits) const;

  constexpr Raw raw() const { return raw_; }
  constexpr bool isZero() const { return raw_ == 0; }
  constexpr bool isNegative() const { return raw_ < 0; }
  // Number of significant fractional digits (0 for whole dollars, 18 at most).
  int fractionDigits() const;

  // Checked arithmetic: nullopt when the result leaves the range.
  std::optional<Money> checkedAdd(Money other) const;
  std::optional<Money> checkedMul(int64_t n) const;
  // Exact division: nullopt unless `divisor` divides the amount exactly.
  std::optional<Money> exactDiv(int64_t divisor) const;

  // Unchecked operators for sums that the range makes safe (ledger totals); overflow is a bug
  // and trips an assertion in debug builds.
  Money operator+(Money o) const;
  Money operator-(Money o) const;
  Money& operator+=(Money o) { return *this = *this + o; }
  Money& operator-=(Money o) { return *this = *this - o; }
  Money operator*(int64_t n) const;

  friend constexpr bool operator==(Money a, Money b) { return a.raw_ == b.raw_; }
  friend constexpr auto operator<=>(Money a, Money b) { return a.raw_ <=> b.raw_; }

 private:
  constexpr explicit Money(Raw raw) : raw_(raw) {}
  Raw raw_ = 0;
};

}  // namespace costgate
