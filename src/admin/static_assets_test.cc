#include "admin/static_assets.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace costgate::admin {
namespace {

http::Request get(std::string if_none_match = "") {
  http::Request r;
  r.method = "GET";
  if (!if_none_match.empty()) r.headers.add("If-None-Match", std::move(if_none_match));
  return r;
}

const WebAsset kTest[] = {
    {"app.js", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "let x = 1;"},
    {"index.html", "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
     "<!doctype html>"},
};

TEST(StaticAssets, ContentTypesByExtension) {
  EXPECT_EQ(contentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(contentTypeFor("uPlot.min.css"), "text/css; charset=utf-8");
  EXPECT_EQ(contentTypeFor("uPlot.iife.min.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(contentTypeFor("logo.svg"), "image/svg+xml");
  EXPECT_EQ(contentTypeFor("README"), "application/octet-stream");
}

TEST(StaticAssets, ServesByNameWithAnETagAndRevalidation) {
  http::Response index = staticAsset(get(), "", kTest);
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html>");
  EXPECT_EQ(index.headers.get("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.headers.get("etag"), "\"fedcba9876543210fedcba9876543210\"");
  EXPECT_EQ(index.headers.get("cache-control"), "no-cache");
  EXPECT_TRUE(index.headers.has("content-security-policy"));

  http::Response js = staticAsset(get(), "app.js", kTest);
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.body, "let x = 1;");
  EXPECT_EQ(js.headers.get("content-type"), "text/javascript; charset=utf-8");

  http::Response again = staticAsset(get("\"0123456789abcdef0123456789abcdef\""), "app.js", kTest);
  EXPECT_EQ(again.status, 304);
  EXPECT_EQ(again.body, "");
  EXPECT_EQ(
      staticAsset(get("\"x\", W/\"0123456789abcdef0123456789abcdef\""), "app.js", kTest).status,
      304);
  EXPECT_EQ(staticAsset(get("\"stale\""), "app.js", kTest).status, 200);
}

TEST(StaticAssets, UnknownNamesAre404) {
  http::Response r = staticAsset(get(), "secrets.txt", kTest);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, http::errorBody("not_found", "no asset is named \"secrets.txt\""));
  EXPECT_EQ(staticAsset(get(), "../costgate.db", kTest).status, 404);
}

TEST(StaticAssets, TheBinaryEmbedsThePageAndUPlot) {
  std::vector<std::string> names;
  for (const WebAsset& a : webAssets()) {
    names.emplace_back(a.name);
    EXPECT_EQ(a.sha256.size(), 64u) << a.name;
    EXPECT_FALSE(a.bytes.empty()) << a.name;
  }
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  for (const char* want :
       {"index.html", "app.js", "style.css", "uPlot.iife.min.js", "uPlot.min.css"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  }
  http::Response r = staticAsset(get(), "uPlot.iife.min.js");
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("uPlot"), std::string::npos);
}

}  // namespace
}  // namespace costgate::admin
