// SigV4 as the AWS SDK for JavaScript signs over HTTP/2: the pseudo-header ":authority" is in
// SignedHeaders instead of "host" (seen from @aws-sdk/client-bedrock-runtime 3.1164, whose
// default handler is HTTP/2). The server hands :authority on as `host`; the gateway gives the
// verifier the ":authority" value back.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "identity/sigv4.h"

namespace costgate::identity {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view kAmzDate = "20261127T120000Z";
const TimePoint kNow = TimePoint(std::chrono::seconds(1795780800));  // 2026-11-27T12:00:00Z

TEST(SigV4Http2Test, AuthoritySignedInsteadOfHostVerifies) {
  const std::string body = R"({"messages":[]})";
  SigV4Request request;
  request.method = "POST";
  request.path = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse";
  request.body = body;
  const std::string payload_hash = sha256Hex(body);

  request.headers = {{":authority", "127.0.0.1:8080"},
                     {"content-type", "application/json"},
                     {"x-amz-content-sha256", payload_hash},
                     {"x-amz-date", std::string(kAmzDate)}};
  const std::vector<std::string> names = {":authority", "content-type", "x-amz-content-sha256",
                                          "x-amz-date"};
  const std::string scope = "20261127/us-east-1/bedrock/aws4_request";
  const std::string signature = sigV4Signature(
      kSecret, "20261127", "us-east-1", "bedrock",
      sigV4StringToSign(kAmzDate, scope, sigV4CanonicalRequest(request, names, payload_hash)));
  const std::string header = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/" + scope +
                             ", SignedHeaders=:authority;content-type;x-amz-content-sha256;"
                             "x-amz-date, Signature=" +
                             signature;

  auto auth = parseSigV4Authorization(header);
  ASSERT_TRUE(auth.ok()) << auth.error();
  EXPECT_EQ(auth->signed_headers, names);
  SigV4Status ok = verifySigV4(request, *auth, kSecret, kNow);
  EXPECT_TRUE(ok) << ok.message;

  // Another authority than the one signed is a mismatch.
  SigV4Request moved = request;
  moved.headers[0].second = "127.0.0.1:9999";
  EXPECT_EQ(verifySigV4(moved, *auth, kSecret, kNow).error, SigV4Error::kSignatureMismatch);
}

TEST(SigV4Http2Test, NeitherHostNorAuthoritySignedIsIncomplete) {
  auto auth = parseSigV4Authorization(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/bedrock/aws4_request, "
      "SignedHeaders=content-type;x-amz-date, Signature=" +
      std::string(64, 'a'));
  ASSERT_TRUE(auth.ok()) << auth.error();
  SigV4Request request;
  request.method = "POST";
  request.path = "/";
  request.headers = {{"content-type", "application/json"}, {"x-amz-date", std::string(kAmzDate)}};
  SigV4Status st = verifySigV4(request, *auth, kSecret, kNow);
  EXPECT_EQ(st.error, SigV4Error::kIncompleteSignature) << st.message;
}

TEST(SigV4Http2Test, OnlyAPseudoHeaderMayStartWithAColon) {
  for (std::string_view bad : {":", "::authority", ":Authority", "a:b"}) {
    auto auth = parseSigV4Authorization(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/us-east-1/bedrock/aws4_request, "
        "SignedHeaders=" +
        std::string(bad) + ";host, Signature=" + std::string(64, 'a'));
    EXPECT_FALSE(auth.ok()) << bad;
  }
}

}  // namespace
}  // namespace costgate::identity
