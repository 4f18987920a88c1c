#pragma once
// Prometheus label names for profile tag keys: the tag keys configured as metric dimensions
// become labels in snake_case (TenantID → tenant_id, ApplicationID → application_id,
// CustomerAccountID → customer_account_id). Depends on nothing but common/, so config/ validates
// metrics.dimensions with the same rule /metrics applies.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace costgate::metrics {

// The labels costgate's own series carry; no tag key may turn into one of them.
inline constexpr std::string_view kReservedLabels[] = {"profile",    "status", "kind",
                                                       "error_type", "le",     "version"};

// `key` in snake_case: an underscore where a lower-case letter or digit is followed by an
// upper-case one, and before the last capital of a run followed by a lower-case letter
// (HTTPStatus → http_status); ASCII letters lower-cased; every other character ('-', '.', ' ',
// non-ASCII bytes…) an underscore; runs of underscores collapsed, none at either end; a leading
// digit gets "tag_" in front (2fa → tag_2fa, 2FA → tag_2_fa). "" when the key has no ASCII letter
// or digit.
std::string labelNameOf(std::string_view key);

// A tag key used as a metric dimension, and its label.
struct LabelDimension {
  std::string tag_key;
  std::string label;
  friend bool operator==(const LabelDimension&, const LabelDimension&) = default;
};

// The dimensions for `tag_keys`, in the order given; a key repeated (tag keys compare
// case-insensitively) counts once. Fails, naming the key(s), when a key has no letter or digit,
// when its label is one costgate uses itself (kReservedLabels), or when two keys give the same
// label ("TenantID" and "tenant-id" both give tenant_id).
Result<std::vector<LabelDimension>> labelDimensions(const std::vector<std::string>& tag_keys);

}  // namespace costgate::metrics
