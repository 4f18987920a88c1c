#pragma once
// AWS Signature Version 4 (header form, AWS4-HMAC-SHA256), in both directions: signing the
// requests costgate sends to Bedrock, and verifying the requests AWS SDK clients send to
// costgate. Pure functions: no network, no clock (the caller passes "now"), no state.
//
// The canonical URI follows the SDKs for every service but S3: the path is taken as sent on the
// wire (already percent-encoded), its dot segments and empty segments are removed, and each
// segment is percent-encoded once more. A Bedrock model id `…-v1:0` is sent as `…-v1%3A0` and
// signed as `…-v1%253A0`, which is what Bedrock itself recomputes.
//
// Every function here is thread-safe.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace costgate::identity {

// The parts of an HTTP request that a signature covers.
struct SigV4Request {
  std::string method;  // "POST"
  std::string path;    // as sent on the wire, already percent-encoded: "/model/a.b-v1%3A0/converse"
  std::string query;   // without '?', as sent on the wire; may be empty
  // In any case and order; a name may repeat (its values are joined with ',', in order). Must hold
  // `host` as the upstream (or the gateway) sees it.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;
};

struct SigV4Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term keys
};

enum class SigV4PayloadHeader {
  kAdd,   // send x-amz-content-sha256 (as the AWS SDK for JavaScript does); the default
  kOmit,  // do not (as botocore does for services other than S3)
};

// Signs `request` for `region` and `service` at `now`: removes any earlier authorization,
// x-amz-date, x-amz-security-token and x-amz-content-sha256 headers, then adds x-amz-date,
// x-amz-security-token (when the credentials carry a session token), x-amz-content-sha256
// (unless told not to) and authorization. Every header present is signed except the few a proxy
// may rewrite (user-agent, connection, expect, transfer-encoding, …). The request must hold
// `host`; the caller must not change a signed header, the path, the query or the body afterwards.
void signSigV4(SigV4Request& request, const SigV4Credentials& credentials, std::string_view region,
               std::string_view service, TimePoint now,
               SigV4PayloadHeader payload_header = SigV4PayloadHeader::kAdd);

// The parts of an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
// header.
struct SigV4Authorization {
  std::string access_key_id;
  std::string date;     // YYYYMMDD, from the credential scope
  std::string region;   // any region: the signature is checked with the one the client used
  std::string service;  // "bedrock" from the AWS SDKs; the caller decides which it accepts
  std::vector<std::string> signed_headers;  // lower-case, sorted, unique
  std::string signature;                    // 64 lower-case hex digits
  std::string scope() const;                // date/region/service/aws4_request
};

// Parses an Authorization header value. An error says which part is missing or malformed; every
// error here is what AWS calls IncompleteSignatureException (HTTP 400).
Result<SigV4Authorization> parseSigV4Authorization(std::string_view header);

enum class SigV4Error {
  kNone,
  // The request lacks what a signature needs: a well-formed x-amz-date, a signed host. AWS:
  // IncompleteSignatureException (HTTP 400).
  kIncompleteSignature,
  // The request is not the one that was signed, or was signed with another secret. AWS:
  // InvalidSignatureException (HTTP 403).
  kSignatureMismatch,
  // x-amz-date is further from now than the allowed skew. AWS answers InvalidSignatureException
  // "Signature expired: …"; the caller may prefer to count it apart.
  kSignatureExpired,
};

// AWS's error code for `e`, for the `__type` of a JSON error body ("" for kNone).
const char* awsErrorCode(SigV4Error e);

// The outcome of verifySigV4. `message` is written for the developer of the calling client.
struct [[nodiscard]] SigV4Status {
  SigV4Error error = SigV4Error::kNone;
  std::string message;
  bool ok() const { return error == SigV4Error::kNone; }
  explicit operator bool() const { return ok(); }
};

// Checks that `request` carries a valid signature `authorization` made with `secret` (the secret
// of authorization.access_key_id; finding it is the caller's job). Checks, in this order: the
// x-amz-date header and its format; that the credential scope's date is x-amz-date's date; that
// x-amz-date is within `max_skew` of `now`, either way (the bound itself passes); that `host` is
// signed and every signed header is present; that x-amz-content-sha256, when present, is the
// SHA-256 of the body; and the signature itself, compared in constant time. A mismatch message
// carries the canonical request and the string to sign costgate computed, as AWS's does, so a
// client developer can diff them against their own.
SigV4Status verifySigV4(const SigV4Request& request, const SigV4Authorization& authorization,
                        std::string_view secret, TimePoint now,
                        std::chrono::minutes max_skew = std::chrono::minutes(15));

// The steps of the algorithm, exposed for tests and diagnostics.

// `path` (as sent) normalised and each segment percent-encoded: "/a b/../c%3A" -> "/c%253A".
std::string sigV4CanonicalUri(std::string_view path);
// `query` (as sent) decoded, re-encoded strictly and sorted by name, then value.
std::string sigV4CanonicalQuery(std::string_view query);
// method \n canonical URI \n canonical query \n canonical headers \n signed headers \n payload
// hash. `signed_headers` are lower-case and sorted; a header absent from the request is signed
// with an empty value.
std::string sigV4CanonicalRequest(const SigV4Request& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash);
// "AWS4-HMAC-SHA256" \n amz_date \n scope \n hex SHA-256 of the canonical request.
std::string sigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request);
// Hex HMAC-SHA256 of `string_to_sign` under the key derived from "AWS4" + secret, date, region,
// service and "aws4_request".
std::string sigV4Signature(std::string_view secret, std::string_view date, std::string_view region,
                           std::string_view service, std::string_view string_to_sign);
// Lower-case hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);
// "20150830T123600Z" (UTC; milliseconds dropped).
std::string formatAmzDate(TimePoint t);

}  // namespace costgate::identity
