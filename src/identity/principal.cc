#include "identity/principal.h"

#include <algorithm>

#include "common/strings.h"

namespace costgate::identity {

namespace {

Principal principalOf(const ApiKeyRecord& r) {
  Principal p;
  p.role = r.role;
  p.key_id = r.id;
  p.tenant = r.tenant;
  p.profile_ids.insert(r.profile_ids.begin(), r.profile_ids.end());
  return p;
}

}  // namespace

KeyRing::KeyRing(std::vector<ApiKeyRecord> records,
                 std::unordered_map<std::string, std::string> aws_secrets) {
  for (ApiKeyRecord& r : records) {
    if (!r.isAws()) {
      by_id_.emplace(r.id, std::move(r));
      continue;
    }
    auto secret = aws_secrets.find(r.id);
    if (r.revoked_at || secret == aws_secrets.end()) continue;
    aws_by_id_.emplace(r.id, AwsCaller{principalOf(r), std::move(secret->second)});
  }
}

const AwsCaller* KeyRing::findAwsCredential(std::string_view access_key_id) const {
  auto it = aws_by_id_.find(std::string(access_key_id));
  return it == aws_by_id_.end() ? nullptr : &it->second;
}

std::optional<Principal> KeyRing::authenticate(std::string_view token) const {
  auto id = keyIdOf(token);
  if (!id) return std::nullopt;
  auto it = by_id_.find(*id);
  if (it == by_id_.end()) return std::nullopt;
  const ApiKeyRecord& r = it->second;
  if (!keyMatches(token, r) || r.revoked_at) return std::nullopt;
  return principalOf(r);
}

std::optional<std::string> tenantTagOf(const profiles::Profile& p) {
  for (const profiles::Tag& t : p.tags) {
    if (equalsIgnoreCase(t.key, "TenantID")) return t.value;
  }
  return std::nullopt;
}

std::string tenantOf(const profiles::Profile& p) { return tenantTagOf(p).value_or(p.name); }

std::vector<TenantGroup> groupByTenant(const std::vector<profiles::Profile>& profiles) {
  std::vector<TenantGroup> groups;
  // Only profiles with a TenantID tag share a group: a profile without one gets its own even
  // when its name equals some tenant's TenantID.
  std::unordered_map<std::string, size_t> tagged;  // TenantID value -> index in groups
  for (const profiles::Profile& p : profiles) {
    const bool has_tenant_tag = std::any_of(p.tags.begin(), p.tags.end(), [](const auto& t) {
      return equalsIgnoreCase(t.key, "TenantID");
    });
    std::string tenant = tenantOf(p);
    size_t g = groups.size();
    if (has_tenant_tag) g = tagged.emplace(tenant, groups.size()).first->second;
    if (g == groups.size()) groups.push_back(TenantGroup{std::move(tenant), {}, {}});
    groups[g].profile_ids.push_back(p.id);
    groups[g].profile_names.push_back(p.name);
  }
  return groups;
}

}  // namespace costgate::identity
