#pragma once
// The dashboard's files, embedded in the binary at build time: web/*.{html,css,js,svg} and
// uPlot's uPlot.iife.min.js and uPlot.min.css from web/node_modules (cmake/embed_web_assets.cmake
// writes web_assets.cc into the build tree).

#include <span>
#include <string_view>

namespace costgate::admin {

struct WebAsset {
  std::string_view name;    // file name, e.g. "index.html", "uPlot.min.css"
  std::string_view sha256;  // hex SHA-256 of the bytes, computed at build time
  std::string_view bytes;
};

// Every embedded file, ordered by name.
std::span<const WebAsset> webAssets();

}  // namespace costgate::admin
