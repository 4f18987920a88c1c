#pragma once
// The Prometheus text exposition format, version 0.0.4: families (# HELP and # TYPE lines) and
// their samples, with label values and help text escaped. Only the format: what is exposed is
// prometheus.h's business, and HTTP admin/'s.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace costgate::metrics {

// The content type of the format.
inline constexpr std::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// A label value as the format quotes it: backslash, double quote and line feed escaped as \\, \"
// and \n; every other byte as it is.
std::string escapeLabelValue(std::string_view value);
// Help text: backslash and line feed escaped.
std::string escapeHelp(std::string_view help);

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::vector<Label>;

// Builds one exposition. The caller keeps each family's samples together and writes a family
// once (the format requires both); names and label names must be valid, which the caller's
// constants and labelDimensions() guarantee.
class PrometheusText {
 public:
  // "# HELP name help" and "# TYPE name type" (type: counter, gauge, histogram).
  void family(std::string_view name, std::string_view type, std::string_view help);
  // "name{l1="v1",l2="v2"} value". A label whose value is empty is left out: Prometheus treats
  // an empty label and an absent one alike.
  void sample(std::string_view name, const Labels& labels, std::string_view value);
  void sample(std::string_view name, const Labels& labels, int64_t value);
  // A family of one sample without labels: family() then sample().
  void single(std::string_view name, std::string_view type, std::string_view help,
              std::string_view value);
  void single(std::string_view name, std::string_view type, std::string_view help, int64_t value);
  // The same with the labels already written by labelText() (a series' labels, written once
  // for its many samples), and one more label when `extra.name` is not empty.
  void sample(std::string_view name, std::string_view label_text, Label extra,
              std::string_view value);
  void sample(std::string_view name, std::string_view label_text, Label extra, int64_t value);

  // l1="v1",l2="v2": labels escaped, those with empty values left out.
  static std::string labelText(const Labels& labels);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// The exact decimal of `units` / 10^digits, as Money prints amounts ("0.001234", "1.5", "0"),
// for sums kept in integer units (microseconds, milliseconds). 0 <= digits <= 18.
std::string exactDecimal(int64_t units, int digits);

}  // namespace costgate::metrics
