#include "metrics/prometheus_labels.h"

#include <fmt/format.h>

#include "common/strings.h"

namespace costgate::metrics {

namespace {

bool isUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool isLower(char c) { return c >= 'a' && c <= 'z'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string labelNameOf(std::string_view key) {
  std::string out;
  out.reserve(key.size() + 4);
  auto underscore = [&out] {
    if (!out.empty() && out.back() != '_') out.push_back('_');
  };
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (isUpper(c)) {
      const char prev = i > 0 ? key[i - 1] : '\0';
      const char next = i + 1 < key.size() ? key[i + 1] : '\0';
      if (isLower(prev) || isDigit(prev) || (isUpper(prev) && isLower(next))) underscore();
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else if (isLower(c) || isDigit(c)) {
      out.push_back(c);
    } else {
      underscore();
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  if (!out.empty() && isDigit(out.front())) out.insert(0, "tag_");
  return out;
}

Result<std::vector<LabelDimension>> labelDimensions(const std::vector<std::string>& tag_keys) {
  std::vector<LabelDimension> out;
  for (const std::string& key : tag_keys) {
    bool repeated = false;
    for (const LabelDimension& d : out) repeated = repeated || equalsIgnoreCase(d.tag_key, key);
    if (repeated) continue;
    std::string label = labelNameOf(key);
    if (label.empty()) {
      return makeError(
          fmt::format("tag key {} cannot be a Prometheus label: it has no ASCII letter or digit",
                      jsonQuote(key)));
    }
    for (std::string_view reserved : kReservedLabels) {
      if (label == reserved) {
        return makeError(fmt::format(
            "tag key {} would be the label \"{}\", which costgate's own series already carry",
            jsonQuote(key), label));
      }
    }
    for (const LabelDimension& d : out) {
      if (d.label == label) {
        return makeError(fmt::format("tag keys {} and {} would both be the label \"{}\"",
                                     jsonQuote(d.tag_key), jsonQuote(key), label));
      }
    }
    out.push_back({key, std::move(label)});
  }
  return out;
}

}  // namespace costgate::metrics
