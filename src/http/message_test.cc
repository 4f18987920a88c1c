#include "http/message.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace costgate::http {
namespace {

TEST(HttpHeadersTest, GetIsCaseInsensitiveAndReturnsTheFirstValue) {
  Headers h;
  h.add("Content-Type", "text/plain");
  h.add("x-tag", "one");
  h.add("X-Tag", "two");
  EXPECT_EQ(h.get("content-type"), "text/plain");
  EXPECT_EQ(h.get("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(h.get("x-TAG"), "one");
  EXPECT_TRUE(h.has("X-TAG"));
}

TEST(HttpHeadersTest, MissingHeaderIsEmpty) {
  Headers h;
  EXPECT_EQ(h.get("x-none"), "");
  EXPECT_FALSE(h.has("x-none"));
  h.add("x-empty", "");
  EXPECT_TRUE(h.has("x-empty"));
  EXPECT_EQ(h.get("x-empty"), "");
}

TEST(HttpHeadersTest, SetReplacesEveryValueInAnyCase) {
  Headers h;
  h.add("X-Tag", "one");
  h.add("other", "kept");
  h.add("x-tag", "two");
  h.set("X-TAG", "three");
  ASSERT_EQ(h.items().size(), 2u);
  EXPECT_EQ(h.get("x-tag"), "three");
  EXPECT_EQ(h.get("other"), "kept");
}

TEST(HttpErrorBodyTest, IsCostgatesErrorShapeWithEscaping) {
  std::string body = errorBody("bad_request", "line 1: \"quote\" and \\ and \n");
  auto v = boost::json::parse(body);
  EXPECT_EQ(v.at("error").at("type").as_string(), "bad_request");
  EXPECT_EQ(v.at("error").at("message").as_string(), "line 1: \"quote\" and \\ and \n");
  EXPECT_EQ(v.as_object().size(), 1u);
}

TEST(HttpErrorBodyTest, JsonErrorSetsStatusAndContentType) {
  Response r = jsonError(413, "request_too_large", "too big");
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_EQ(r.body, R"({"error":{"type":"request_too_large","message":"too big"}})");
}

}  // namespace
}  // namespace costgate::http
