#include "identity/aws_credential.h"

#include <fmt/format.h>

#include "common/random.h"

namespace costgate::identity {

NewAwsCredential generateAwsCredential(Role role, std::string tenant,
                                       std::vector<std::string> profile_ids, TimePoint now,
                                       profiles::Origin origin, const MasterKey& master_key) {
  NewAwsCredential c;
  c.record.id = std::string(kAwsAccessKeyIdPrefix) +
                randomString(kAwsAccessKeyIdLength - kAwsAccessKeyIdPrefix.size(), kUpperAlnum);
  // Base62 rather than AWS's base64 alphabet: the secret survives shells and URLs unquoted.
  c.secret_access_key = randomString(kAwsSecretLength, kBase62);
  c.record.aws_secret_sealed = sealSecret(master_key, c.secret_access_key, c.record.id);
  // The store wants a hash for every key; the secret's own carries no risk (~238 random bits).
  c.record.hash = hashKey(c.secret_access_key);
  c.record.role = role;
  c.record.tenant = std::move(tenant);
  c.record.profile_ids = std::move(profile_ids);
  c.record.created_at = now;
  c.record.origin = origin;
  return c;
}

bool isAwsAccessKeyId(std::string_view s) {
  if (s.size() != kAwsAccessKeyIdLength) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

Result<std::string> openAwsSecret(const ApiKeyRecord& record, const MasterKey& master_key) {
  Result<std::string> secret = openSecret(master_key, record.aws_secret_sealed, record.id);
  if (!secret) {
    return makeError(fmt::format("AWS credential {}: {}", record.id, secret.error()));
  }
  return secret;
}

}  // namespace costgate::identity
