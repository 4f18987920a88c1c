#include "providers/aws_credentials.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "common/strings.h"

namespace costgate::providers {

namespace {

// The largest credentials file read (real ones are a few hundred bytes per profile).
constexpr std::streamsize kMaxFileBytes = 1024 * 1024;

struct Section {
  std::map<std::string, std::string> keys;  // lower-case key -> value
};

}  // namespace

Result<std::optional<AwsCredentials>> awsCredentialsFromEnv(const EnvLookup& env) {
  std::optional<std::string> id = env("AWS_ACCESS_KEY_ID");
  std::optional<std::string> secret = env("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) return std::optional<AwsCredentials>();
  if (!id || !secret) {
    return makeError(
        fmt::format("{} is set but {} is not: set both, or neither to use the "
                    "shared credentials file",
                    id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"));
  }
  AwsCredentials c;
  c.keys.access_key_id = *id;
  c.keys.secret_access_key = *secret;
  c.keys.session_token = env("AWS_SESSION_TOKEN").value_or("");
  c.source = "environment (AWS_ACCESS_KEY_ID)";
  return std::optional<AwsCredentials>(std::move(c));
}

Result<AwsCredentials> parseSharedCredentialsFile(std::string_view text, std::string_view profile,
                                                  std::string_view file) {
  std::map<std::string, Section, std::less<>> sections;
  std::vector<std::string> order;
  Section* current = nullptr;
  bool nested_allowed = false;  // the key before had no value: indented lines belong to it
  size_t line_no = 0;
  for (std::string_view raw : split(text, '\n')) {
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    bool indented = raw.front() == ' ' || raw.front() == '\t';
    if (indented && nested_allowed) continue;  // e.g. an "s3 =" block's settings
    auto malformed = [&](std::string_view why) {
      return makeError(fmt::format("{} line {}: {}", file, line_no, why));
    };
    if (line.front() == '[') {
      if (line.back() != ']') return malformed("a section header must end with ']'");
      std::string name(trim(line.substr(1, line.size() - 2)));
      if (name.empty()) return malformed("empty section name");
      if (!sections.contains(name)) order.push_back(name);
      current = &sections[name];
      nested_allowed = false;
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return malformed("expected `key = value` or `[section]`");
    if (!current) return malformed("a setting before any [section]");
    std::string key = toLowerAscii(trim(line.substr(0, eq)));
    if (key.empty()) return malformed("empty key before '='");
    std::string value(trim(line.substr(eq + 1)));
    nested_allowed = value.empty();
    current->keys[key] = std::move(value);
  }
  auto found = sections.find(profile);
  if (found == sections.end()) {
    std::string present;
    for (const auto& name : order) present += (present.empty() ? "" : ", ") + name;
    return makeError(fmt::format("{} has no [{}] section ({})", file, profile,
                                 present.empty() ? "it has none" : "it has: " + present));
  }
  const auto& keys = found->second.keys;
  auto get = [&keys](const char* k) {
    auto it = keys.find(k);
    return it == keys.end() ? std::string() : it->second;
  };
  AwsCredentials c;
  c.keys.access_key_id = get("aws_access_key_id");
  c.keys.secret_access_key = get("aws_secret_access_key");
  c.keys.session_token = get("aws_session_token");
  if (c.keys.session_token.empty()) c.keys.session_token = get("aws_security_token");  // older
  for (const char* k : {"aws_access_key_id", "aws_secret_access_key"}) {
    if (get(k).empty()) {
      return makeError(fmt::format("{} [{}] has no {}", file, profile, k));
    }
  }
  c.source = fmt::format("{} [{}]", file, profile);
  return c;
}

std::string sharedCredentialsPath(const EnvLookup& env) {
  if (auto f = env("AWS_SHARED_CREDENTIALS_FILE")) return *f;
  if (auto home = env("HOME")) return *home + "/.aws/credentials";
  return "";
}

Result<AwsCredentials> loadAwsCredentials(const EnvLookup& env) {
  auto from_env = awsCredentialsFromEnv(env);
  if (!from_env) return makeError(from_env.error());
  if (*from_env) return std::move(**from_env);
  std::string path = sharedCredentialsPath(env);
  const std::string looked = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set";
  if (path.empty()) {
    return makeError(
        fmt::format("no AWS credentials: {}, and neither "
                    "AWS_SHARED_CREDENTIALS_FILE nor HOME is set",
                    looked));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return makeError(fmt::format("no AWS credentials: {}, and {} cannot be read ({})", looked, path,
                                 std::strerror(errno)));
  }
  std::string text(static_cast<size_t>(kMaxFileBytes) + 1, '\0');
  in.read(text.data(), kMaxFileBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > static_cast<size_t>(kMaxFileBytes)) {
    return makeError(fmt::format("{} is larger than {} bytes", path, kMaxFileBytes));
  }
  std::string profile = env("AWS_PROFILE").value_or("default");
  auto parsed = parseSharedCredentialsFile(text, profile, path);
  if (!parsed) {
    return makeError(fmt::format("no AWS credentials: {}, and {}", looked, parsed.error()));
  }
  return parsed;
}

EnvLookup processEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace costgate::providers
