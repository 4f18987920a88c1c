#pragma once
// AWS credentials for the Bedrock upstream, from the standard places the AWS SDKs read first:
// the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), else the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), section AWS_PROFILE
// (else "default"). Parsing is pure; only loadAwsCredentials reads the environment and files.
// Not covered: ~/.aws/config, SSO, instance and container roles, credential_process.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "identity/sigv4.h"

namespace costgate::providers {

struct AwsCredentials {
  identity::SigV4Credentials keys;
  // Where they came from, for the log (never the secret): "environment (AWS_ACCESS_KEY_ID)" or
  // "/home/u/.aws/credentials [default]".
  std::string source;
};

// The value of an environment variable, or nullopt when it is unset or empty.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Credentials from the environment variables alone: nullopt when neither key variable is set;
// an error when only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is.
Result<std::optional<AwsCredentials>> awsCredentialsFromEnv(const EnvLookup& env);

// The `profile` section of a shared credentials file's text (INI: `[name]` sections,
// `key = value` lines, `#` and `;` comments, indented lines nested under the key before them).
// `file` names the file in errors and in `source`. An error names the line of a malformed file,
// a missing section (listing those present) or a missing key.
Result<AwsCredentials> parseSharedCredentialsFile(std::string_view text, std::string_view profile,
                                                  std::string_view file);

// The shared credentials file's path: AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials;
// "" when neither is set.
std::string sharedCredentialsPath(const EnvLookup& env);

// The environment's credentials, else the shared file's. The error says where it looked.
Result<AwsCredentials> loadAwsCredentials(const EnvLookup& env);

// The process environment.
EnvLookup processEnv();

}  // namespace costgate::providers
