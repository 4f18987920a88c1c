#pragma once
// The dashboard page: GET / answers index.html and GET /assets/{file} every other embedded file
// (admin/web_assets.h), with its Content-Type, a strong ETag (If-None-Match → 304) and
// Cache-Control: no-cache (revalidate each time: the names carry no version). No key is needed;
// the data the page shows comes from /api/v1/*, which needs one. Unknown files get 404.

#include <span>
#include <string_view>

#include "admin/web_assets.h"
#include "http/message.h"
#include "http/router.h"

namespace costgate::admin {

// "text/html; charset=utf-8" and the like, by the name's extension;
// "application/octet-stream" for an unknown one.
std::string_view contentTypeFor(std::string_view name);

// The answer to a GET of the embedded file `name` among `assets` ("" is index.html).
http::Response staticAsset(const http::Request& req, std::string_view name,
                           std::span<const WebAsset> assets = webAssets());

// Registers GET / and GET /assets/{file}.
void addStaticRoutes(http::Router& router);

}  // namespace costgate::admin
