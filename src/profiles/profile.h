#pragma once
// A profile: the unit that pays for calls, as an application inference profile is in Bedrock.

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace costgate::profiles {

struct Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Tag&, const Tag&) = default;
};

// What the config (or the CLI) says a profile should be.
struct ProfileSpec {
  std::string name;  // unique; the InferenceProfile metric dimension
  std::string description;
  std::string model_id;  // the model the profile copies from
  std::string region;    // where it runs and is priced
  std::vector<Tag> tags;  // each key once (case-insensitively)
  std::string tier;       // optional; carried and shown, used by later work
  std::string provider;   // optional upstream override ("sim", "bedrock", ...); empty: default
  friend bool operator==(const ProfileSpec&, const ProfileSpec&) = default;
};

// Who created a profile or key: `setup` (and so `unsetup` removes it) or the CLI.
enum class Origin { kSetup, kCli };
const char* originName(Origin o);  // "setup", "cli"

struct Profile : ProfileSpec {
  std::string id;   // 12 characters, [a-z0-9]
  std::string arn;  // arn:aws:bedrock:REGION:ACCOUNT:application-inference-profile/ID
  std::string bedrock_arn;  // ARN of its mirror in Bedrock (setup --bedrock); "" when none
  TimePoint created_at;
  Origin origin = Origin::kSetup;
  friend bool operator==(const Profile&, const Profile&) = default;
};

// A fresh random profile id.
std::string newProfileId();
bool isValidProfileId(std::string_view id);

std::string profileArn(std::string_view region, std::string_view account, std::string_view id);

struct ParsedArn {
  std::string region;
  std::string account;
  std::string id;
};
// Parses an application-inference-profile ARN; nullopt for anything else.
std::optional<ParsedArn> parseProfileArn(std::string_view arn);

// The account of an IAM role ARN (`arn:aws:iam::123456789012:role/x`), or nullopt.
std::optional<std::string> accountOfArn(std::string_view arn);

}  // namespace costgate::profiles
