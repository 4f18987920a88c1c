#pragma once
// JsonReader: typed access to a JsonDocument that reports every problem to Diagnostics with
// its JSON path, so validation code reads as a list of expectations.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/money.h"
#include "config/diagnostics.h"
#include "config/json_document.h"

namespace costgate::config {

const char* jsonTypeName(const boost::json::value& v);  // "string", "number", ...

class JsonReader {
 public:
  JsonReader(const JsonDocument& doc, Diagnostics& diags) : doc_(doc), diags_(diags) {}

  // The member `key` of `obj` (at `path`), or nullptr; reports it when `required`.
  const boost::json::value* member(const boost::json::object& obj, std::string_view path,
                                   std::string_view key, bool required);
  // Each returns nullopt (and reports why) when the value has the wrong type.
  const boost::json::object* asObject(const boost::json::value& v, std::string_view path);
  const boost::json::array* asArray(const boost::json::value& v, std::string_view path);
  std::optional<std::string> asString(const boost::json::value& v, std::string_view path);
  // A JSON number read as the exact decimal its source text denotes.
  std::optional<Money> asDecimal(const boost::json::value& v, std::string_view path);
  std::optional<double> asNumber(const boost::json::value& v, std::string_view path);
  // The number at `path` as the file wrote it ("0.0", not "0E0"), for messages.
  std::string numberText(const boost::json::value& v, std::string_view path) const;

  // Shorthands for an optional or required member of a given type.
  std::optional<std::string> stringMember(const boost::json::object& obj, std::string_view path,
                                          std::string_view key, bool required);

  Diagnostics& diags() { return diags_; }

 private:
  void wrongType(const boost::json::value& v, std::string_view path, std::string_view want);
  const JsonDocument& doc_;
  Diagnostics& diags_;
};

}  // namespace costgate::config
