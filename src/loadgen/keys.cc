#include "loadgen/keys.h"

#include <fmt/format.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace costgate::loadgen {

namespace json = boost::json;

namespace {

std::string stringMember(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Result<KeyBook> KeyBook::fromSetupJson(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return makeError(fmt::format("not JSON: {}", ec.message()));
  const json::value* keys = doc.is_object() ? doc.as_object().if_contains("keys") : nullptr;
  if (!keys || !keys->is_array()) {
    return makeError("no \"keys\" list (expected the output of `costgate setup --json`)");
  }
  KeyBook book;
  size_t index = 0;
  for (const json::value& item : keys->as_array()) {
    ++index;
    if (!item.is_object()) return makeError(fmt::format("keys[{}] is not an object", index - 1));
    const json::object& o = item.as_object();
    CallerKey k;
    k.api_key = stringMember(o, "key");
    if (k.api_key.empty()) return makeError(fmt::format("keys[{}] has no \"key\"", index - 1));
    std::string id = stringMember(o, "aws_access_key_id");
    std::string secret = stringMember(o, "aws_secret_access_key");
    if (!id.empty() && !secret.empty()) k.aws = identity::SigV4Credentials{id, secret, ""};
    std::string role = stringMember(o, "role");
    if (role == "admin") {
      if (!book.admin_) book.admin_ = k;
      continue;
    }
    const json::value* profiles = o.if_contains("profiles");
    if (!profiles || !profiles->is_array()) continue;
    for (const json::value& p : profiles->as_array()) {
      if (!p.is_string()) continue;
      std::string name(p.as_string());
      if (book.by_profile_.emplace(name, k).second) book.profiles_.push_back(name);
    }
  }
  if (!book.admin_ && book.by_profile_.empty()) return makeError("it holds no usable key");
  return book;
}

KeyBook KeyBook::single(std::string api_key) {
  KeyBook book;
  book.admin_ = CallerKey{std::move(api_key), std::nullopt};
  return book;
}

const CallerKey* KeyBook::forProfile(const std::string& profile) const {
  auto it = by_profile_.find(profile);
  if (it != by_profile_.end()) return &it->second;
  return admin_ ? &*admin_ : nullptr;
}

}  // namespace costgate::loadgen
