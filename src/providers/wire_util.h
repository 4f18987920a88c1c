#pragma once
// Lenient reads of an upstream's JSON: a field that is absent or of another type reads as the
// fallback (upstreams add and omit fields; what matters is checked by the caller).

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat.h"
#include "common/result.h"

namespace costgate::providers {

// The parsed text, or the parser's complaint.
inline Result<boost::json::value> parseJson(std::string_view text) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return makeError("malformed JSON: " + ec.message());
  return v;
}

// The parsed text when it is a JSON object; `what` names it in the complaint otherwise.
inline Result<boost::json::value> parseJsonObject(std::string_view text, std::string_view what) {
  auto v = parseJson(text);
  if (v && !v->is_object()) return makeError(std::string(what) + " is not a JSON object");
  return v;
}

// The conversation as both APIs spell it: [{"role": "user"|"assistant", "content": TEXT}, …].
inline boost::json::array textMessages(const chat::ChatRequest& r) {
  boost::json::array messages;
  for (const auto& m : r.messages) {
    messages.push_back(boost::json::object{
        {"role", m.role == chat::Role::kAssistant ? "assistant" : "user"}, {"content", m.text}});
  }
  return messages;
}

inline boost::json::array stringArray(const std::vector<std::string>& items) {
  boost::json::array a;
  for (const auto& s : items) a.push_back(boost::json::string(s));
  return a;
}

inline int64_t intOr0(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return 0;
}

inline std::string stringOr(const boost::json::object& o, std::string_view key,
                            std::string fallback = "") {
  const boost::json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : fallback;
}

}  // namespace costgate::providers
