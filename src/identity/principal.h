#pragma once
// Who is calling, once a key has been checked, and which profiles that caller reaches.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "identity/api_key.h"
#include "profiles/profile.h"

namespace costgate::identity {

struct Principal {
  Role role = Role::kTenant;
  std::string key_id;
  std::string tenant;
  std::unordered_set<std::string> profile_ids;
  // An admin reaches every profile; a tenant key only the profiles bound to it.
  bool reaches(const profiles::Profile& p) const {
    return role == Role::kAdmin || profile_ids.count(p.id) > 0;
  }
};

// KeyRing: the keys a server accepts. Immutable once built; safe to share between threads.
class KeyRing {
 public:
  KeyRing() = default;
  explicit KeyRing(std::vector<ApiKeyRecord> records);
  // The caller behind `token`, or nullopt for an unknown, malformed or revoked key. The hash
  // comparison takes the same time whatever the token.
  std::optional<Principal> authenticate(std::string_view token) const;

 private:
  std::unordered_map<std::string, ApiKeyRecord> by_id_;
};

// The value of the profile's TenantID tag (key matched case-insensitively), or nullopt.
std::optional<std::string> tenantTagOf(const profiles::Profile& p);
// The tenant a profile belongs to: its TenantID tag, else its own name, so that a profile
// without a tenant gets a key of its own.
std::string tenantOf(const profiles::Profile& p);

struct TenantGroup {
  std::string tenant;
  std::vector<std::string> profile_ids;
  std::vector<std::string> profile_names;
};
// Profiles grouped by tenantOf(), in order of first appearance. Only profiles with a TenantID
// tag share a group; each profile without one is a group of its own.
std::vector<TenantGroup> groupByTenant(const std::vector<profiles::Profile>& profiles);

}  // namespace costgate::identity
