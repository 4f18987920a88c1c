#pragma once
// JsonDocument: a JSON file parsed for configuration. Besides the DOM it keeps the exact text of
// every number, by JSON path, so that a price written as 3.5e-05 becomes exactly 0.000035 and
// numbers are written back as the user wrote them. Duplicate object keys are an error (the last
// one silently winning would hide a typo in a price file).

#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/result.h"

namespace costgate::config {

using NumberTexts = std::unordered_map<std::string, std::string>;

struct JsonDocument {
  boost::json::value root;
  NumberTexts numbers;  // JSON path (as jsonPath* build it) -> the number's source text
};

// Parses `text`. On failure the error reads "line L, column C: what is wrong".
Result<JsonDocument> parseJsonDocument(std::string_view text);

// Path helpers: `profiles[2].tags[1].key`; keys that are not [A-Za-z0-9_-]+ are bracketed and
// quoted (`us-east-1.text["amazon.nova-micro-v1:0"].input_cost`).
std::string jsonPathKey(std::string_view parent, std::string_view key);
std::string jsonPathIndex(std::string_view parent, size_t index);

// Pretty-prints with four-space indentation (as Python's json.dump(indent=4) does, so seed
// files keep their look). A number whose source text is in `numbers` (at the same path, and
// still denoting the same value) is written as that text.
std::string writeJsonDocument(const boost::json::value& root, const NumberTexts& numbers = {});

}  // namespace costgate::config
