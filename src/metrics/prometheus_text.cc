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

std::string PrometheusText::labelText(const Labels& labels) {
  std::string out;
  for (const Label& l : labels) {
    if (l.value.empty()) continue;
    if (!out.empty()) out += ',';
    out += l.name;
    out += "=\"";
    out += escapeLabelValue(l.value);
    out += '"';
  }
  return out;
}

void PrometheusText::sample(std::string_view name, std::string_view label_text, Label extra,
                            std::string_view value) {
  out_ += name;
  const bool with_extra = !extra.name.empty() && !extra.value.empty();
  if (!label_text.empty() || with_extra) {
    out_ += '{';
    out_ += label_text;
    if (with_extra) {
      if (!label_text.empty()) out_ += ',';
      out_ += extra.name;
      out_ += "=\"";
      out_ += escapeLabelValue(extra.value);
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::sample(std::string_view name, std::string_view label_text, Label extra,
                            int64_t value) {
  fmt::format_int digits(value);
  sample(name, label_text, extra, std::string_view(digits.data(), digits.size()));
}

void PrometheusText::sample(std::string_view name, const Labels& labels, std::string_view value) {
  sample(name, labelText(labels), Label{}, value);
}

void PrometheusText::sample(std::string_view name, const Labels& labels, int64_t value) {
  fmt::format_int digits(value);
  sample(name, labelText(labels), Label{}, std::string_view(digits.data(), digits.size()));
}

std::string exactDecimal(int64_t units, int digits) {
  Money::Raw scale = 1;
  for (int i = digits; i < Money::kFractionDigits; ++i) scale *= 10;
  return Money::fromRaw(static_cast<Money::Raw>(units) * scale).toString();
}

void PrometheusText::single(std::string_view name, std::string_view type, std::string_view help,
                            std::string_view value) {
  family(name, type, help);
  sample(name, Labels{}, value);
}

void PrometheusText::single(std::string_view name, std::string_view type, std::string_view help,
                            int64_t value) {
  family(name, type, help);
  sample(name, Labels{}, value);
}

}  // namespace costgate::metrics
