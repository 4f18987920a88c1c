#pragma once
// Router: picks the handler for a method and path. Paths are exact ("/healthz") or patterns with
// one `{name}` segment ("/model/{modelId}/converse"), whose value reaches the handler
// URL-decoded. A known path with another method gets 405 (with Allow); an unknown path 404.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/server.h"

namespace costgate::http {

class Router {
 public:
  using RouteHandler =
      std::function<boost::asio::awaitable<void>(Request&, Responder&, std::string_view param)>;

  void add(std::string method, std::string pattern, RouteHandler handler);
  // The server handler that dispatches to the routes.
  boost::asio::awaitable<void> dispatch(Request& req, Responder& res) const;

 private:
  struct Route {
    std::string method;
    std::string prefix;  // before {param}, or the whole path
    std::string suffix;  // after {param}
    bool has_param = false;
    RouteHandler handler;
  };
  static bool match(const Route& r, std::string_view path, std::string& param);
  std::vector<Route> routes_;
};

// Percent-decoding of one path segment; nullopt on a malformed escape.
std::optional<std::string> urlDecode(std::string_view s);

}  // namespace costgate::http
