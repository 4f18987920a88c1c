#pragma once
// API keys. A key is shown once, when it is created; the store keeps only its SHA-256. A key
// reads `cgk_<id>_<secret>`: the id (16 base62 characters) finds the record, the whole token's
// hash is compared in constant time.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "profiles/profile.h"

namespace costgate::identity {

enum class Role { kAdmin, kTenant };
const char* roleName(Role r);  // "admin", "tenant"

using KeyHash = std::array<uint8_t, 32>;

struct ApiKeyRecord {
  std::string id;
  KeyHash hash{};
  Role role = Role::kTenant;
  std::string tenant;                    // TenantID tag value, or a profile name; admin: empty
  std::vector<std::string> profile_ids;  // tenant keys: the profiles the key reaches
  TimePoint created_at;
  std::optional<TimePoint> revoked_at;
  profiles::Origin origin = profiles::Origin::kCli;
  // An AWS credential (identity/aws_credential.h): its secret access key sealed under the store's
  // master key (identity/secret_box.h), and `id` is its access key id. Empty for an API key.
  std::string aws_secret_sealed;
  bool isAws() const { return !aws_secret_sealed.empty(); }
  friend bool operator==(const ApiKeyRecord&, const ApiKeyRecord&) = default;
};

struct NewApiKey {
  std::string token;  // shown once, never stored
  ApiKeyRecord record;
};

NewApiKey generateApiKey(Role role, std::string tenant, std::vector<std::string> profile_ids,
                         TimePoint now, profiles::Origin origin);

// True when `token` has the shape of a costgate key: one token of [A-Za-z0-9_-], at least 32
// characters.
bool isWellFormedKey(std::string_view token);
// The record id inside a costgate key, or nullopt.
std::optional<std::string> keyIdOf(std::string_view token);
KeyHash hashKey(std::string_view token);
// Constant-time comparison of the token's hash with the record's.
bool keyMatches(std::string_view token, const ApiKeyRecord& record);

}  // namespace costgate::identity
