#include "metrics/series.h"

#include <fmt/format.h>

#include <charconv>

namespace costgate::metrics {

namespace {

struct NamedKind {
  std::string_view name;
  Statistic::Kind kind;
};
constexpr NamedKind kNamed[] = {
    {"Sum", Statistic::Kind::kSum},         {"SampleCount", Statistic::Kind::kSampleCount},
    {"Average", Statistic::Kind::kAverage}, {"Minimum", Statistic::Kind::kMinimum},
    {"Maximum", Statistic::Kind::kMaximum},
};

}  // namespace

Result<Statistic> Statistic::parse(std::string_view text) {
  for (const NamedKind& n : kNamed)
    if (text == n.name) return Statistic{n.kind, 0};
  if (text.size() >= 2 && text[0] == 'p') {
    std::string_view digits = text.substr(1);
    double p = 0;
    auto [end, ec] =
        std::from_chars(digits.data(), digits.data() + digits.size(), p, std::chars_format::fixed);
    if (ec == std::errc() && end == digits.data() + digits.size() && p > 0 && p < 100)
      return Statistic{Kind::kPercentile, p};
  }
  return makeError(fmt::format(
      "unknown statistic \"{}\" (expected Sum, SampleCount, Average, Minimum, Maximum or a "
      "percentile such as p50, p90, p99.9)",
      text));
}

std::string Statistic::name() const {
  if (kind == Kind::kPercentile) return fmt::format("p{}", percentile);
  for (const NamedKind& n : kNamed)
    if (kind == n.kind) return std::string(n.name);
  return "Sum";
}

}  // namespace costgate::metrics
