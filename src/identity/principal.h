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

// An AWS credential a server accepts: who signs with it, and the secret to check signatures with.
struct AwsCaller {
  Principal principal;
  std::string secret_access_key;
};

// KeyRing: the keys a server accepts. Immutable once built; safe to share between threads.
class KeyRing {
 public:
  KeyRing() = default;
  // `aws_secrets` maps the access key id of each live AWS credential among `records` to its
  // opened secret; an AWS credential without one there is not accepted.
  explicit KeyRing(std::vector<ApiKeyRecord> records,
                   std::unordered_map<std::string, std::string> aws_secrets = {});
  // The caller behind `token`, or nullopt for an unknown, malformed or revoked key. The hash
  // comparison takes the same time whatever the token. AWS credentials never match here.
  std::optional<Principal> authenticate(std::string_view token) const;
  // The AWS credential with this access key id, or nullptr when it is unknown or revoked.
  const AwsCaller* findAwsCredential(std::string_view access_key_id) const;

 private:
  std::unordered_map<std::string, ApiKeyRecord> by_id_;
  std::unordered_map<std::string, AwsCaller> aws_by_id_;
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
