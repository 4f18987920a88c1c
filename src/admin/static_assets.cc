#include "admin/static_assets.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/strings.h"

namespace costgate::admin {

namespace {

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The page loads nothing from elsewhere; uPlot sets element styles from script, which
// style-src does not govern, and its CSS is a file of ours.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'";

}  // namespace

std::string_view contentTypeFor(std::string_view name) {
  if (endsWith(name, ".html")) return "text/html; charset=utf-8";
  if (endsWith(name, ".css")) return "text/css; charset=utf-8";
  if (endsWith(name, ".js") || endsWith(name, ".mjs")) return "text/javascript; charset=utf-8";
  if (endsWith(name, ".svg")) return "image/svg+xml";
  if (endsWith(name, ".json")) return "application/json";
  if (endsWith(name, ".png")) return "image/png";
  if (endsWith(name, ".ico")) return "image/x-icon";
  return "application/octet-stream";
}

http::Response staticAsset(const http::Request& req, std::string_view name,
                           std::span<const WebAsset> assets) {
  if (name.empty()) name = "index.html";
  auto it = std::find_if(assets.begin(), assets.end(),
                         [name](const WebAsset& a) { return a.name == name; });
  if (it == assets.end()) {
    return http::jsonError(404, "not_found", fmt::format("no asset is named {}", jsonQuote(name)));
  }
  const std::string etag = fmt::format("\"{}\"", it->sha256.substr(0, 32));
  http::Response r;
  r.headers.add("etag", etag);
  r.headers.add("cache-control", "no-cache");
  r.headers.add("x-content-type-options", "nosniff");
  if (name == "index.html") {
    r.headers.add("content-security-policy", std::string(kContentSecurityPolicy));
    r.headers.add("referrer-policy", "no-referrer");
  }
  // If-None-Match may list several tags; a weak comparison is enough for a GET.
  std::string_view inm = req.headers.get("if-none-match");
  bool match = trim(inm) == "*";
  for (std::string_view tag : split(inm, ',')) {
    tag = trim(tag);
    if (tag.rfind("W/", 0) == 0) tag.remove_prefix(2);
    match = match || tag == etag;
  }
  if (match) {
    r.status = 304;
    return r;
  }
  r.headers.add("content-type", std::string(contentTypeFor(name)));
  r.body = std::string(it->bytes);
  return r;
}

void addStaticRoutes(http::Router& router) {
  router.add("GET", "/",
             [](http::Request& req, http::Responder& res,
                std::string_view param) -> boost::asio::awaitable<void> {
               http::Response r = staticAsset(req, "");
               co_await res.send(std::move(r));
             });
  router.add("GET", "/assets/{file}",
             [](http::Request& req, http::Responder& res,
                std::string_view param) -> boost::asio::awaitable<void> {
               http::Response r = staticAsset(req, param);
               co_await res.send(std::move(r));
             });
}

}  // namespace costgate::admin
