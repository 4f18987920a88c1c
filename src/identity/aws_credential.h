#pragma once
// AWS credentials for callers that sign with SigV4 (the AWS SDKs): an access key id and a secret
// access key, reaching the same profiles as an API key of the same scope. They are ApiKeyRecords
// (so `keys list` and `keys revoke` treat them alike) whose id is the access key id and whose
// secret is sealed under the store's master key, since verifying a signature needs the secret
// itself.

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "identity/api_key.h"
#include "identity/secret_box.h"

namespace costgate::identity {

// Every access key id costgate issues starts so: "AKCG" + 16 of A-Z0-9.
inline constexpr std::string_view kAwsAccessKeyIdPrefix = "AKCG";
inline constexpr size_t kAwsAccessKeyIdLength = 20;
inline constexpr size_t kAwsSecretLength = 40;

struct NewAwsCredential {
  std::string secret_access_key;  // shown once; stored only sealed
  ApiKeyRecord record;            // record.id is the access key id
};

// A fresh credential whose secret is sealed under `master_key` (the access key id is the
// associated data, binding the ciphertext to its row).
NewAwsCredential generateAwsCredential(Role role, std::string tenant,
                                       std::vector<std::string> profile_ids, TimePoint now,
                                       profiles::Origin origin, const MasterKey& master_key);

// True for 20 characters of A-Z and 0-9 (the shape of any AWS access key id).
bool isAwsAccessKeyId(std::string_view s);

// The secret access key of an AWS credential record; an error naming the record when it does not
// decrypt under `master_key`.
Result<std::string> openAwsSecret(const ApiKeyRecord& record, const MasterKey& master_key);

}  // namespace costgate::identity
