// Router dispatch and urlDecode, driven through a recording Responder on a local io_context.
// (ServerRoutingTest in server_test.cc runs a Router behind a real Server.)

#include "http/router.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

namespace costgate::http {
namespace {

namespace asio = boost::asio;

// Keeps whatever the router answers.
class RecordingResponder final : public Responder {
 public:
  // http::Responder
  asio::awaitable<void> send(Response response) override {
    responses.push_back(std::move(response));
    co_return;
  }
  asio::awaitable<bool> startStream(int status, Headers headers) override { co_return true; }
  asio::awaitable<bool> writeChunk(std::string_view data) override { co_return true; }
  asio::awaitable<void> endStream() override { co_return; }
  bool clientConnected() const override { return true; }

  std::vector<Response> responses;
};

// Answers with the route's name in x-route and the decoded parameter as the body.
Router::RouteHandler named(std::string name) {
  return [name](Request& req, Responder& res, std::string_view param) -> asio::awaitable<void> {
    Response r;
    r.headers.add("x-route", name);
    r.body = std::string(param);
    co_await res.send(std::move(r));
  };
}

Response dispatch(const Router& router, std::string method, std::string path) {
  Request req;
  req.method = std::move(method);
  req.target = path;
  req.path = std::move(path);
  RecordingResponder res;
  asio::io_context ioc;
  asio::co_spawn(ioc, router.dispatch(req, res), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  ioc.run();
  EXPECT_EQ(res.responses.size(), 1u);
  return res.responses.empty() ? Response{} : res.responses.front();
}

std::string errorType(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec) return "";
  return std::string(v.at("error").at("type").as_string());
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() {
    router_.add("GET", "/healthz", named("healthz"));
    router_.add("POST", "/model/{modelId}/converse", named("converse"));
    router_.add("POST", "/model/{modelId}/converse-stream", named("converse-stream"));
    router_.add("GET", "/v1/models/{id}", named("model"));
    router_.add("GET", "/v1/things", named("things-get"));
    router_.add("POST", "/v1/things", named("things-post"));
  }
  Router router_;
};

TEST_F(RouterTest, ExactRouteMatches) {
  Response r = dispatch(router_, "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("x-route"), "healthz");
  EXPECT_EQ(r.body, "");
}

TEST_F(RouterTest, ExactRouteNeedsTheWholePath) {
  for (const char* path : {"/healthz/", "/health", "/healthzz", "/HEALTHZ", "healthz", ""}) {
    EXPECT_EQ(dispatch(router_, "GET", path).status, 404) << path;
  }
}

TEST_F(RouterTest, SameMethodDifferentPathsPickTheirOwnHandler) {
  EXPECT_EQ(dispatch(router_, "GET", "/v1/things").headers.get("x-route"), "things-get");
  EXPECT_EQ(dispatch(router_, "POST", "/v1/things").headers.get("x-route"), "things-post");
}

TEST_F(RouterTest, ParamRoutePassesTheSegment) {
  Response r = dispatch(router_, "POST", "/model/anthropic.claude-3-haiku/converse");
  EXPECT_EQ(r.headers.get("x-route"), "converse");
  EXPECT_EQ(r.body, "anthropic.claude-3-haiku");

  Response stream = dispatch(router_, "POST", "/model/m1/converse-stream");
  EXPECT_EQ(stream.headers.get("x-route"), "converse-stream");
  EXPECT_EQ(stream.body, "m1");

  Response tail = dispatch(router_, "GET", "/v1/models/gpt-4o");
  EXPECT_EQ(tail.headers.get("x-route"), "model");
  EXPECT_EQ(tail.body, "gpt-4o");
}

TEST_F(RouterTest, ParamRouteUrlDecodesAnArn) {
  Response r = dispatch(router_, "POST",
                        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-"
                        "inference-profile%2Fabc123/converse");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("x-route"), "converse");
  EXPECT_EQ(r.body, "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123");
}

TEST_F(RouterTest, ParamIsExactlyOneNonEmptySegment) {
  EXPECT_EQ(dispatch(router_, "POST", "/model//converse").status, 404);
  EXPECT_EQ(dispatch(router_, "POST", "/model/a/b/converse").status, 404);
  EXPECT_EQ(dispatch(router_, "POST", "/model/converse").status, 404);
  EXPECT_EQ(dispatch(router_, "GET", "/v1/models/").status, 404);
  EXPECT_EQ(dispatch(router_, "GET", "/v1/models/a/b").status, 404);
}

TEST_F(RouterTest, UnknownPathGets404WithJsonError) {
  Response r = dispatch(router_, "GET", "/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_EQ(errorType(r.body), "not_found");
  EXPECT_NE(r.body.find("/nowhere"), std::string::npos);
}

TEST_F(RouterTest, KnownPathWithOtherMethodGets405ListingAllowedMethods) {
  Response r = dispatch(router_, "DELETE", "/v1/things");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.get("allow"), "GET, POST");
  EXPECT_EQ(r.headers.get("content-type"), "application/json");
  EXPECT_EQ(errorType(r.body), "method_not_allowed");

  Response one = dispatch(router_, "GET", "/model/m1/converse");
  EXPECT_EQ(one.status, 405);
  EXPECT_EQ(one.headers.get("allow"), "POST");

  Response head = dispatch(router_, "HEAD", "/healthz");
  EXPECT_EQ(head.status, 405);
  EXPECT_EQ(head.headers.get("allow"), "GET");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
  EXPECT_EQ(dispatch(router_, "get", "/healthz").status, 405);
}

TEST_F(RouterTest, MalformedEscapeInParamGets404) {
  for (const char* path : {"/model/%ZZ/converse", "/model/abc%4/converse", "/model/%/converse",
                           "/model/abc%/converse", "/model/%g0/converse"}) {
    Response r = dispatch(router_, "POST", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(errorType(r.body), "not_found") << path;
  }
}

TEST(RouterEmptyTest, EverythingIs404) {
  Router router;
  EXPECT_EQ(dispatch(router, "GET", "/").status, 404);
}

// --- urlDecode ----------------------------------------------------------------------------

TEST(RouterUrlDecodeTest, PlainTextIsUnchanged) {
  EXPECT_EQ(urlDecode(""), "");
  EXPECT_EQ(urlDecode("abc-._~:@!$&'()*,;="), "abc-._~:@!$&'()*,;=");
  EXPECT_EQ(urlDecode("a+b"), "a+b");  // '+' is a space only in forms, not in paths
}

TEST(RouterUrlDecodeTest, DecodesEscapesInEitherCase) {
  EXPECT_EQ(urlDecode("%41"), "A");
  EXPECT_EQ(urlDecode("%3a%3A"), "::");
  EXPECT_EQ(urlDecode("a%2Fb"), "a/b");
  EXPECT_EQ(urlDecode("%20x%20"), " x ");
  EXPECT_EQ(urlDecode("%25"), "%");
  EXPECT_EQ(urlDecode("%2541"), "%41");               // decoded once, not twice
  EXPECT_EQ(urlDecode("%E2%82%AC"), "\xE2\x82\xAC");  // UTF-8 bytes pass through
  EXPECT_EQ(urlDecode("%ff"), std::string(1, '\xff'));
  EXPECT_EQ(urlDecode("%00"), std::string(1, '\0'));
}

TEST(RouterUrlDecodeTest, RejectsMalformedEscapes) {
  for (const char* bad : {"%", "%4", "a%", "a%4", "%G1", "%1G", "%zz", "%-1", "% 1", "%%41"}) {
    EXPECT_FALSE(urlDecode(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace costgate::http
