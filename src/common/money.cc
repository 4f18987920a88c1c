#include "common/money.h"

#include <array>
#include <cassert>
#include <cstddef>

#include "common/strings.h"

namespace costgate {

namespace {

using U128 = unsigned __int128;

// Spelled out rather than taken from std::numeric_limits, which need not know __int128 in a
// strict -std=c++20 build.
constexpr U128 kMaxMagnitude = ~static_cast<U128>(0) >> 1;  // the largest positive raw value
constexpr Money::Raw kMaxRaw = static_cast<Money::Raw>(kMaxMagnitude);
constexpr Money::Raw kMinRaw = -kMaxRaw - 1;

constexpr uint64_t kOneDollarU64 = static_cast<uint64_t>(Money::kOneDollar);

// 10^0 .. 10^38; 10^38 is the largest power of ten an unsigned 128-bit integer holds.
constexpr std::array<U128, 39> kPow10 = [] {
  std::array<U128, 39> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}();

// An exponent this large either way already decides the outcome (range or decimal places)
// for any text that fits in memory, so parsing saturates here instead of overflowing.
constexpr int64_t kExponentCap = 1'000'000'000'000'000;

// Error messages quote at most this much of the input: the text may be hostile and huge.
constexpr size_t kMaxQuotedInput = 64;

bool isDigit(char c) { return c >= '0' && c <= '9'; }

Error parseError(std::string_view what, std::string_view text) {
  std::string shown = text.size() <= kMaxQuotedInput
                          ? jsonQuote(text)
                          : jsonQuote(text.substr(0, kMaxQuotedInput)) + "...";
  return makeError(std::string(what) + ": " + shown);
}

// The magnitude of `raw`, correct for the minimum value too (whose negation overflows Raw).
U128 magnitude(Money::Raw raw) {
  return raw < 0 ? U128{0} - static_cast<U128>(raw) : static_cast<U128>(raw);
}

// Writes `v` in decimal ending just before `end`, padded with zeros to at least `min_width`
// digits; returns the first character written.
char* writeDigitsBackward(uint64_t v, int min_width, char* end) {
  char* p = end;
  while (v != 0 || min_width > 0) {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
    --min_width;
  }
  return p;
}

// Writes the whole number `v` (no leading zeros; "0" for zero) ending just before `end`.
// Splits into 18-digit chunks so the per-digit work is 64-bit.
char* writeWholeBackward(U128 v, char* end) {
  if (v == 0) {
    *--end = '0';
    return end;
  }
  char* p = end;
  while (v >= kOneDollarU64) {
    p = writeDigitsBackward(static_cast<uint64_t>(v % kOneDollarU64), 18, p);
    v /= kOneDollarU64;
  }
  return writeDigitsBackward(static_cast<uint64_t>(v), 0, p);
}

// Enough for a sign, 21 integer digits (the range is about 1.7e20 even after rounding up), a
// point and 18 fractional digits.
constexpr size_t kBufferSize = 48;

}  // namespace

Result<Money> Money::parse(std::string_view text) {
  // Grammar (JSON number, leading zeros allowed): '-'? digit+ ('.' digit+)? ([eE] [+-]? digit+)?
  size_t pos = 0;
  const size_t size = text.size();
  bool negative = false;
  if (pos < size && text[pos] == '-') {
    negative = true;
    ++pos;
  }
  const size_t int_begin = pos;
  while (pos < size && isDigit(text[pos])) ++pos;
  const size_t int_len = pos - int_begin;
  if (int_len == 0) return parseError("not a number", text);

  size_t frac_begin = pos;
  size_t frac_len = 0;
  if (pos < size && text[pos] == '.') {
    frac_begin = ++pos;
    while (pos < size && isDigit(text[pos])) ++pos;
    frac_len = pos - frac_begin;
    if (frac_len == 0) return parseError("not a number", text);
  }

  int64_t exponent = 0;
  if (pos < size && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exponent_negative = false;
    if (pos < size && (text[pos] == '+' || text[pos] == '-')) {
      exponent_negative = text[pos] == '-';
      ++pos;
    }
    const size_t exp_begin = pos;
    for (; pos < size && isDigit(text[pos]); ++pos) {
      if (exponent < kExponentCap) exponent = exponent * 10 + (text[pos] - '0');
    }
    if (pos == exp_begin) return parseError("not a number", text);
    if (exponent_negative) exponent = -exponent;
  }
  if (pos != size) return parseError("not a number", text);

  // The digits, integer part then fraction, read as one digit string D; the value is
  // D * 10^(exponent - frac_len). Trim D to its significant digits [first, last].
  const size_t total_digits = int_len + frac_len;
  auto digitAt = [&](size_t i) {
    return i < int_len ? text[int_begin + i] : text[frac_begin + (i - int_len)];
  };
  size_t first = 0;
  while (first < total_digits && digitAt(first) == '0') ++first;
  if (first == total_digits) return Money();  // zero, whatever the exponent or sign
  size_t last = total_digits - 1;
  while (digitAt(last) == '0') --last;

  // Value = S * 10^scale, S the significant digits (last one non-zero).
  const int64_t significant = static_cast<int64_t>(last - first + 1);
  const int64_t scale =
      exponent - static_cast<int64_t>(frac_len) + static_cast<int64_t>(total_digits - 1 - last);
  if (scale < -kFractionDigits) return parseError("more than 18 decimal places", text);
  // |value| >= 10^(significant + scale - 1), and the range ends below 10^21.
  if (significant + scale > 21) return parseError("out of range", text);

  // Now significant <= 39 and 0 <= scale + 18 <= 39 - significant, so the checks below only
  // decide values close to the range's edge.
  U128 mag = 0;
  for (size_t i = first; i <= last; ++i) {
    if (__builtin_mul_overflow(mag, U128{10}, &mag) ||
        __builtin_add_overflow(mag, static_cast<U128>(digitAt(i) - '0'), &mag)) {
      return parseError("out of range", text);
    }
  }
  if (__builtin_mul_overflow(mag, kPow10[static_cast<size_t>(scale + kFractionDigits)], &mag)) {
    return parseError("out of range", text);
  }
  const U128 limit = negative ? kMaxMagnitude + 1 : kMaxMagnitude;
  if (mag > limit) return parseError("out of range", text);
  return Money(negative ? static_cast<Raw>(U128{0} - mag) : static_cast<Raw>(mag));
}

std::string Money::toString() const {
  const U128 mag = magnitude(raw_);
  uint64_t frac = static_cast<uint64_t>(mag % kOneDollarU64);
  char buf[kBufferSize];
  char* end = buf + kBufferSize;
  char* p = end;
  if (frac != 0) {
    int width = kFractionDigits;
    while (frac % 10 == 0) {
      frac /= 10;
      --width;
    }
    p = writeDigitsBackward(frac, width, p);
    *--p = '.';
  }
  p = writeWholeBackward(mag / kOneDollarU64, p);
  if (raw_ < 0) *--p = '-';
  return std::string(p, end);
}

std::string Money::toStringRounded(int digits) const {
  // Display only: an out-of-range request is clamped rather than failed.
  if (digits < 0) digits = 0;
  if (digits > kFractionDigits) digits = kFractionDigits;
  const U128 mag = magnitude(raw_);
  const U128 unit = kPow10[static_cast<size_t>(kFractionDigits - digits)];
  U128 q = mag / unit;  // at most 2^127 / 1, so q + 1 below cannot overflow
  const U128 r = mag % unit;
  const U128 half = unit / 2;  // unit is even whenever r can be non-zero
  if (r > half || (r == half && r != 0 && (q & 1) != 0)) ++q;

  const U128 scale = kPow10[static_cast<size_t>(digits)];
  char buf[kBufferSize];
  char* end = buf + kBufferSize;
  char* p = end;
  if (digits > 0) {
    p = writeDigitsBackward(static_cast<uint64_t>(q % scale), digits, p);
    *--p = '.';
  }
  p = writeWholeBackward(q / scale, p);
  if (raw_ < 0 && q != 0) *--p = '-';  // no "-0.00" for a tiny negative amount
  return std::string(p, end);
}

int Money::fractionDigits() const {
  uint64_t frac = static_cast<uint64_t>(magnitude(raw_) % kOneDollarU64);
  if (frac == 0) return 0;
  int digits = kFractionDigits;
  while (frac % 10 == 0) {
    frac /= 10;
    --digits;
  }
  return digits;
}

std::optional<Money> Money::checkedAdd(Money other) const {
  Raw sum;
  if (__builtin_add_overflow(raw_, other.raw_, &sum)) return std::nullopt;
  return Money(sum);
}

std::optional<Money> Money::checkedMul(int64_t n) const {
  Raw product;
  if (__builtin_mul_overflow(raw_, static_cast<Raw>(n), &product)) return std::nullopt;
  return Money(product);
}

std::optional<Money> Money::exactDiv(int64_t divisor) const {
  if (divisor == 0) return std::nullopt;
  // The one quotient that leaves the range (and traps in hardware): minimum / -1.
  if (divisor == -1 && raw_ == kMinRaw) return std::nullopt;
  const Raw d = divisor;
  if (raw_ % d != 0) return std::nullopt;
  return Money(raw_ / d);
}

Money Money::operator+(Money o) const {
  Raw sum;
  [[maybe_unused]] const bool overflow = __builtin_add_overflow(raw_, o.raw_, &sum);
  assert(!overflow && "Money + overflowed");
  return Money(sum);
}

Money Money::operator-(Money o) const {
  Raw difference;
  [[maybe_unused]] const bool overflow = __builtin_sub_overflow(raw_, o.raw_, &difference);
  assert(!overflow && "Money - overflowed");
  return Money(difference);
}

Money Money::operator*(int64_t n) const {
  Raw product;
  [[maybe_unused]] const bool overflow =
      __builtin_mul_overflow(raw_, static_cast<Raw>(n), &product);
  assert(!overflow && "Money * overflowed");
  return Money(product);
}

}  // namespace costgate
