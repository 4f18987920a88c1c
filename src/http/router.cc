#include "http/router.h"

#include <fmt/format.h>

#include <optional>

namespace costgate::http {

std::optional<std::string> urlDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

void Router::add(std::string method, std::string pattern, RouteHandler handler) {
  Route r;
  r.method = std::move(method);
  size_t open = pattern.find('{');
  if (open == std::string::npos) {
    r.prefix = std::move(pattern);
  } else {
    size_t close = pattern.find('}', open);
    r.prefix = pattern.substr(0, open);
    r.suffix = pattern.substr(close + 1);
    r.has_param = true;
  }
  r.handler = std::move(handler);
  routes_.push_back(std::move(r));
}

bool Router::match(const Route& r, std::string_view path, std::string& param) {
  if (!r.has_param) return path == r.prefix;
  if (path.size() <= r.prefix.size() + r.suffix.size()) return false;
  if (path.substr(0, r.prefix.size()) != r.prefix) return false;
  if (path.substr(path.size() - r.suffix.size()) != r.suffix) return false;
  std::string_view middle =
      path.substr(r.prefix.size(), path.size() - r.prefix.size() - r.suffix.size());
  if (middle.find('/') != std::string_view::npos) return false;
  auto decoded = urlDecode(middle);
  if (!decoded) return false;
  param = std::move(*decoded);
  return true;
}

boost::asio::awaitable<void> Router::dispatch(Request& req, Responder& res) const {
  std::string allow;
  for (const Route& r : routes_) {
    std::string param;
    if (!match(r, req.path, param)) continue;
    if (r.method == req.method) {
      co_await r.handler(req, res, param);
      co_return;
    }
    allow += (allow.empty() ? "" : ", ") + r.method;
  }
  if (!allow.empty()) {
    Response e = jsonError(405, "method_not_allowed",
                           fmt::format("{} does not accept {}; use {}", req.path, req.method, allow));
    e.headers.add("allow", allow);
    co_await res.send(std::move(e));
    co_return;
  }
  co_await res.send(jsonError(404, "not_found", fmt::format("no route for {}", req.path)));
}

}  // namespace costgate::http
