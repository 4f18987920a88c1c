#pragma once
// Tag rules shared by config validation, the CLI and request resolution. Tag keys compare
// case-insensitively (HTTP/2 and proxies lowercase header names); values compare exactly.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "profiles/profile.h"

namespace costgate::profiles {

// The rules for names and tags; each returns a message, or nullopt when the input is fine.
std::optional<std::string> checkProfileName(std::string_view name);
std::optional<std::string> checkTagKey(std::string_view key);
std::optional<std::string> checkTagValue(std::string_view value);

// Index of the first tag whose key repeats an earlier one case-insensitively, or nullopt.
std::optional<size_t> firstDuplicateKey(const std::vector<Tag>& tags);

// True when both hold the same keys (case-insensitively) with the same values.
bool sameTagSet(const std::vector<Tag>& a, const std::vector<Tag>& b);
// True when every tag of `sub` is in `super` (keys case-insensitive, values exact).
bool isTagSubset(const std::vector<Tag>& sub, const std::vector<Tag>& super);

// Parses the `tags` request header: a JSON list of {"key": K, "value": V} objects, or
// `K=V,K=V`. Fails on an empty list, a malformed item, or one key given twice.
Result<std::vector<Tag>> parseTagsHeader(std::string_view text);
// Parses `K=V` (the CLI's --tag).
Result<Tag> parseTagAssignment(std::string_view text);

// {"K":"V","K2":"V2"} for messages.
std::string describeTags(const std::vector<Tag>& tags);

}  // namespace costgate::profiles
