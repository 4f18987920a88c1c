#pragma once
// The keys a load generator calls with: those `costgate setup --json` printed (an admin key and
// one key per tenant, each with an AWS credential for SigV4), or one key given by hand.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "identity/sigv4.h"

namespace costgate::loadgen {

struct CallerKey {
  std::string api_key;
  std::optional<identity::SigV4Credentials> aws;  // absent: no Bedrock calls with this key
};

class KeyBook {
 public:
  // From the text of `setup --json`'s output: {"keys": [{"role", "tenant"?, "profiles"?, "key",
  // "aws_access_key_id"?, "aws_secret_access_key"?}, …], …}.
  static Result<KeyBook> fromSetupJson(std::string_view text);
  // One key for every profile, without an AWS credential.
  static KeyBook single(std::string api_key);

  // The key to call `profile` with: its tenant's key, else the admin key, else the single key;
  // nullptr when none reaches it.
  const CallerKey* forProfile(const std::string& profile) const;
  // The profiles the tenant keys name, in the file's order ("" for a single key: unknown).
  const std::vector<std::string>& profiles() const { return profiles_; }
  const CallerKey* admin() const { return admin_ ? &*admin_ : nullptr; }

 private:
  std::optional<CallerKey> admin_;
  std::map<std::string, CallerKey> by_profile_;
  std::vector<std::string> profiles_;
};

}  // namespace costgate::loadgen
