#include "profiles/tags.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "common/strings.h"

namespace costgate::profiles {

namespace json = boost::json;

std::optional<std::string> checkProfileName(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 64) return fmt::format("{} is longer than 64 characters", jsonQuote(name));
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) {
      return fmt::format("{} may hold only letters, digits, '_', '-' and '.'", jsonQuote(name));
    }
  }
  return std::nullopt;
}

std::optional<std::string> checkTagKey(std::string_view key) {
  if (key.empty()) return "tag key must not be empty";
  if (key.size() > 128) return fmt::format("tag key {} is longer than 128 characters", jsonQuote(key));
  for (unsigned char c : key) {
    if (c < 0x20 || c == 0x7f || c == '=' || c == ',') {
      return fmt::format("tag key {} holds a control character, '=' or ','", jsonQuote(key));
    }
  }
  return std::nullopt;
}

std::optional<std::string> checkTagValue(std::string_view value) {
  if (value.size() > 256) {
    return fmt::format("tag value {} is longer than 256 characters", jsonQuote(value));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) {
      return fmt::format("tag value {} holds a control character", jsonQuote(value));
    }
  }
  return std::nullopt;
}

std::optional<size_t> firstDuplicateKey(const std::vector<Tag>& tags) {
  for (size_t i = 1; i < tags.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (equalsIgnoreCase(tags[i].key, tags[j].key)) return i;
    }
  }
  return std::nullopt;
}

bool isTagSubset(const std::vector<Tag>& sub, const std::vector<Tag>& super) {
  return std::all_of(sub.begin(), sub.end(), [&](const Tag& t) {
    return std::any_of(super.begin(), super.end(), [&](const Tag& u) {
      return equalsIgnoreCase(t.key, u.key) && t.value == u.value;
    });
  });
}

bool sameTagSet(const std::vector<Tag>& a, const std::vector<Tag>& b) {
  return a.size() == b.size() && isTagSubset(a, b) && isTagSubset(b, a);
}

Result<Tag> parseTagAssignment(std::string_view text) {
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    return makeError(fmt::format("tag {} is not KEY=VALUE", jsonQuote(text)));
  }
  Tag t{std::string(trim(text.substr(0, eq))), std::string(trim(text.substr(eq + 1)))};
  if (auto e = checkTagKey(t.key)) return makeError(*e);
  if (auto e = checkTagValue(t.value)) return makeError(*e);
  return t;
}

namespace {

Result<std::vector<Tag>> parseJsonTags(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return makeError(fmt::format("tags header is not valid JSON: {}", ec.message()));
  if (!v.is_array()) return makeError("tags header must be a JSON list of {\"key\", \"value\"}");
  std::vector<Tag> tags;
  for (size_t i = 0; i < v.get_array().size(); ++i) {
    const json::value& item = v.get_array()[i];
    const json::string* key = nullptr;
    const json::string* value = nullptr;
    if (item.is_object()) {
      for (const auto& kv : item.get_object()) {
        if (equalsIgnoreCase(kv.key(), "key") && kv.value().is_string()) {
          key = &kv.value().get_string();
        } else if (equalsIgnoreCase(kv.key(), "value") && kv.value().is_string()) {
          value = &kv.value().get_string();
        }
      }
    }
    if (!key || !value) {
      return makeError(fmt::format(
          "tags header item {} must be an object with string \"key\" and \"value\"", i));
    }
    tags.push_back(Tag{std::string(*key), std::string(*value)});
  }
  return tags;
}

}  // namespace

Result<std::vector<Tag>> parseTagsHeader(std::string_view text) {
  text = trim(text);
  std::vector<Tag> tags;
  if (!text.empty() && text.front() == '[') {
    auto parsed = parseJsonTags(text);
    if (!parsed) return parsed;
    tags = std::move(*parsed);
  } else {
    for (std::string_view item : split(text, ',')) {
      if (trim(item).empty()) continue;
      auto t = parseTagAssignment(item);
      if (!t) return makeError(t.error());
      tags.push_back(std::move(*t));
    }
  }
  if (tags.empty()) return makeError("tags header names no tag");
  for (const Tag& t : tags) {
    if (auto e = checkTagKey(t.key)) return makeError(*e);
    if (auto e = checkTagValue(t.value)) return makeError(*e);
  }
  if (auto dup = firstDuplicateKey(tags)) {
    return makeError(fmt::format("tags header names key {} twice", jsonQuote(tags[*dup].key)));
  }
  return tags;
}

std::string describeTags(const std::vector<Tag>& tags) {
  std::string out = "{";
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i) out += ",";
    out += jsonQuote(tags[i].key) + ":" + jsonQuote(tags[i].value);
  }
  return out + "}";
}

}  // namespace costgate::profiles
