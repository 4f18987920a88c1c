#include "http/message.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "common/strings.h"

namespace costgate::http {

std::string_view Headers::get(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (equalsIgnoreCase(n, name)) return v;
  }
  return {};
}

bool Headers::has(std::string_view name) const {
  for (const auto& [n, v] : items_) {
    if (equalsIgnoreCase(n, name)) return true;
  }
  return false;
}

void Headers::set(std::string_view name, std::string value) {
  std::erase_if(items_, [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
  items_.emplace_back(std::string(name), std::move(value));
}

std::string_view apiKeyOf(const Request& req) {
  std::string_view auth = req.headers.get("authorization");
  if (auth.size() > 7 && equalsIgnoreCase(auth.substr(0, 7), "bearer ")) {
    return trim(auth.substr(7));
  }
  return trim(req.headers.get("x-api-key"));
}

std::string errorBody(std::string_view type, std::string_view message) {
  boost::json::object inner{{"type", type}, {"message", message}};
  return boost::json::serialize(boost::json::object{{"error", std::move(inner)}});
}

Response jsonError(int status, std::string_view type, std::string_view message) {
  Response r;
  r.status = status;
  r.headers.add("content-type", "application/json");
  r.body = errorBody(type, message);
  return r;
}

}  // namespace costgate::http
