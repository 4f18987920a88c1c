#include "identity/api_key.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "common/random.h"

namespace costgate::identity {

namespace {
constexpr std::string_view kPrefix = "cgk_";
constexpr size_t kIdLength = 16;
constexpr size_t kSecretLength = 43;  // ~256 bits of base62
}  // namespace

const char* roleName(Role r) { return r == Role::kAdmin ? "admin" : "tenant"; }

KeyHash hashKey(std::string_view token) {
  KeyHash h;
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), h.data());
  return h;
}

NewApiKey generateApiKey(Role role, std::string tenant, std::vector<std::string> profile_ids,
                         TimePoint now, profiles::Origin origin) {
  NewApiKey k;
  k.record.id = randomString(kIdLength, kBase62);
  k.token = std::string(kPrefix) + k.record.id + "_" + randomString(kSecretLength, kBase62);
  k.record.hash = hashKey(k.token);
  k.record.role = role;
  k.record.tenant = std::move(tenant);
  k.record.profile_ids = std::move(profile_ids);
  k.record.created_at = now;
  k.record.origin = origin;
  return k;
}

bool isWellFormedKey(std::string_view token) {
  if (token.size() < 32) return false;
  for (char c : token) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<std::string> keyIdOf(std::string_view token) {
  if (!isWellFormedKey(token) || token.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = token.substr(kPrefix.size());
  if (rest.size() < kIdLength + 1 || rest[kIdLength] != '_') return std::nullopt;
  return std::string(rest.substr(0, kIdLength));
}

bool keyMatches(std::string_view token, const ApiKeyRecord& record) {
  KeyHash h = hashKey(token);
  return CRYPTO_memcmp(h.data(), record.hash.data(), h.size()) == 0;
}

}  // namespace costgate::identity
