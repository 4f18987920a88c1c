#include "http/wire_head.h"

#include <gtest/gtest.h>

namespace costgate::http {
namespace {

Headers headersOf(std::initializer_list<std::pair<const char*, const char*>> items) {
  Headers h;
  for (const auto& [name, value] : items) h.add(name, value);
  return h;
}

TEST(WireHeadTest, ResponseHeadKeepAliveOnHttp11SaysNothingAboutTheConnection) {
  std::string out;
  appendResponseHead(out, 200, 11, headersOf({{"content-type", "application/json"}}), true, 5);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nContent-Length: 5\r\n\r\n");
}

TEST(WireHeadTest, ResponseHeadSaysCloseOnHttp11AndKeepAliveOnHttp10) {
  std::string closing;
  appendResponseHead(closing, 413, 11, Headers(), false, 0);
  EXPECT_EQ(closing,
            "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  std::string old;
  appendResponseHead(old, 404, 10, Headers(), true, 2);
  EXPECT_EQ(old, "HTTP/1.0 404 Not Found\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n");
  std::string old_closing;
  appendResponseHead(old_closing, 200, 10, Headers(), false, 2);
  EXPECT_EQ(old_closing, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n");
}

TEST(WireHeadTest, NoContentAndNotModifiedSayNoLength) {
  for (int status : {204, 304, 103}) {
    std::string out;
    appendResponseHead(out, status, 11, headersOf({{"etag", "\"x\""}}), true, 0);
    EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
    EXPECT_EQ(out.find("Transfer-Encoding"), std::string::npos) << out;
    EXPECT_TRUE(out.ends_with("etag: \"x\"\r\n\r\n")) << out;
  }
  std::string out;
  appendResponseHead(out, 205, 11, Headers(), true, 0);
  EXPECT_NE(out.find("Content-Length: 0\r\n"), std::string::npos) << out;
}

TEST(WireHeadTest, StreamedResponseIsChunked) {
  std::string out;
  appendResponseHead(out, 200, 11, headersOf({{"content-type", "text/event-stream"}}), true,
                     std::nullopt);
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: "
            "chunked\r\n\r\n");
}

TEST(WireHeadTest, FramingFieldsAreTheWritersOwnAndLineBreaksCannotSplitAField) {
  std::string out;
  appendResponseHead(out, 200, 11,
                     headersOf({{"Content-Length", "999"},
                                {"connection", "upgrade"},
                                {"transfer-encoding", "gzip"},
                                {"x-request-id", "a\r\nSet-Cookie: b"}}),
                     true, 3);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nx-request-id: a  Set-Cookie: b\r\nContent-Length: 3\r\n\r\n");
}

TEST(WireHeadTest, RequestHeadHasHostFirstAndALengthForPost) {
  std::string out;
  appendRequestHead(out, "POST", "/base", "/v1/chat/completions", "api.example:8080",
                    headersOf({{"content-type", "application/json"}}), 0);
  EXPECT_EQ(out,
            "POST /base/v1/chat/completions HTTP/1.1\r\nHost: api.example:8080\r\n"
            "content-type: application/json\r\nContent-Length: 0\r\n\r\n");
  std::string get;
  appendRequestHead(get, "GET", "", "/models", "h", Headers(), 0);
  EXPECT_EQ(get, "GET /models HTTP/1.1\r\nHost: h\r\n\r\n");
}

}  // namespace
}  // namespace costgate::http
