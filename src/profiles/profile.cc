#include "profiles/profile.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/random.h"
#include "common/strings.h"

namespace costgate::profiles {

const char* originName(Origin o) { return o == Origin::kSetup ? "setup" : "cli"; }

std::string newProfileId() { return randomString(12, kLowerAlnum); }

bool isValidProfileId(std::string_view id) {
  if (id.size() != 12) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string profileArn(std::string_view region, std::string_view account, std::string_view id) {
  return fmt::format("arn:aws:bedrock:{}:{}:application-inference-profile/{}", region, account,
                     id);
}

namespace {
bool isAccountId(std::string_view account) {
  return account.size() == 12 &&
         std::all_of(account.begin(), account.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}  // namespace

std::optional<ParsedArn> parseProfileArn(std::string_view arn) {
  auto parts = split(arn, ':');
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].empty() || parts[2] != "bedrock" ||
      !isAccountId(parts[4])) {
    return std::nullopt;
  }
  std::string_view resource = parts[5];
  constexpr std::string_view kPrefix = "application-inference-profile/";
  if (resource.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view id = resource.substr(kPrefix.size());
  if (!isValidProfileId(id) || parts[3].empty()) return std::nullopt;
  return ParsedArn{std::string(parts[3]), std::string(parts[4]), std::string(id)};
}

std::optional<std::string> accountOfArn(std::string_view arn) {
  auto parts = split(arn, ':');
  if (parts.size() < 6 || parts[0] != "arn") return std::nullopt;
  if (!isAccountId(parts[4])) return std::nullopt;
  return std::string(parts[4]);
}

}  // namespace costgate::profiles
