#pragma once
// HTTP messages as the rest of costgate sees them: plain strings, no Beast types, so handlers
// and tests do not pull Beast in. Header names compare case-insensitively.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace costgate::http {

class Headers {
 public:
  // The first value of `name` (any case), or "" when absent.
  std::string_view get(std::string_view name) const;
  bool has(std::string_view name) const;
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every value of `name` with one.
  void set(std::string_view name, std::string value);
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: path and query
  std::string path;    // target without the query
  std::string query;   // after '?', "" when none
  Headers headers;
  std::string body;
  std::string remote_address;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

// The API key a request carries: the token of `Authorization: Bearer KEY`, else the value of
// `x-api-key`, trimmed; "" when neither is there. Says nothing about whether the key is valid.
std::string_view apiKeyOf(const Request& req);

// {"error":{"type":…,"message":…}}: costgate's own error body (ARCHITECTURE.md).
std::string errorBody(std::string_view type, std::string_view message);
Response jsonError(int status, std::string_view type, std::string_view message);

}  // namespace costgate::http
