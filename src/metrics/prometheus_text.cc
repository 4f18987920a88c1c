#include "metrics/prometheus_text.h"

#include <fmt/format.h>

#include "common/money.h"

namespace costgate::metrics {

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, escapeHelp(help),
                 name, type);
}

void PrometheusText::sample(std::string_view name, const Labels& labels, std::string_view value) {
  out_ += name;
  bool first = true;
  for (const Label& l : labels) {
    if (l.value.empty()) continue;
    out_ += first ? '{' : ',';
    first = false;
    out_ += l.name;
    out_ += "=\"";
    out_ += escapeLabelValue(l.value);
    out_ += '"';
  }
  if (!first) out_ += '}';
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, int64_t value) {
  sample(name, labels, std::string_view(fmt::format("{}", value)));
}

std::string exactDecimal(int64_t units, int digits) {
  Money::Raw scale = 1;
  for (int i = digits; i < Money::kFractionDigits; ++i) scale *= 10;
  return Money::fromRaw(static_cast<Money::Raw>(units) * scale).toString();
}

}  // namespace costgate::metrics
