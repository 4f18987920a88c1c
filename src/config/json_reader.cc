#include "config/json_reader.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>

#include "common/strings.h"

namespace costgate::config {

namespace json = boost::json;

const char* jsonTypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: return "number";
    case json::kind::string: return "string";
    case json::kind::array: return "array";
    case json::kind::object: return "object";
  }
  return "?";
}

void JsonReader::wrongType(const json::value& v, std::string_view path, std::string_view want) {
  std::string got = jsonTypeName(v);
  if (v.is_string()) got += " " + jsonQuote(v.get_string());
  diags_.error(path, fmt::format("must be {}, got {}", want, got));
}

const json::value* JsonReader::member(const json::object& obj, std::string_view path,
                                      std::string_view key, bool required) {
  const json::value* v = obj.if_contains(json::string_view(key.data(), key.size()));
  if (!v && required) diags_.error(jsonPathKey(path, key), "missing required key");
  return v;
}

const json::object* JsonReader::asObject(const json::value& v, std::string_view path) {
  if (!v.is_object()) {
    wrongType(v, path, "an object");
    return nullptr;
  }
  return &v.get_object();
}

const json::array* JsonReader::asArray(const json::value& v, std::string_view path) {
  if (!v.is_array()) {
    wrongType(v, path, "a list");
    return nullptr;
  }
  return &v.get_array();
}

std::optional<std::string> JsonReader::asString(const json::value& v, std::string_view path) {
  if (!v.is_string()) {
    wrongType(v, path, "a string");
    return std::nullopt;
  }
  return std::string(v.get_string());
}

std::optional<Money> JsonReader::asDecimal(const json::value& v, std::string_view path) {
  if (!v.is_number()) {
    wrongType(v, path, "a number");
    return std::nullopt;
  }
  auto m = Money::parse(numberText(v, path));
  if (!m) {
    diags_.error(path, m.error());
    return std::nullopt;
  }
  return *m;
}

std::string JsonReader::numberText(const json::value& v, std::string_view path) const {
  auto it = doc_.numbers.find(std::string(path));
  return it != doc_.numbers.end() ? it->second : json::serialize(v);
}

std::optional<double> JsonReader::asNumber(const json::value& v, std::string_view path) {
  if (!v.is_number()) {
    wrongType(v, path, "a number");
    return std::nullopt;
  }
  return v.to_number<double>();
}

std::optional<std::string> JsonReader::stringMember(const json::object& obj,
                                                    std::string_view path, std::string_view key,
                                                    bool required) {
  const json::value* v = member(obj, path, key, required);
  if (!v) return std::nullopt;
  return asString(*v, jsonPathKey(path, key));
}

}  // namespace costgate::config
