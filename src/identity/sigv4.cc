#include "identity/sigv4.h"

#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdlib>
#include <memory>
#include <optional>

#include "common/strings.h"

namespace costgate::identity {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kTerminator = "aws4_request";
constexpr size_t kSignatureHexLength = 64;

// Headers a proxy or the HTTP layer may add, drop or rewrite; the AWS SDK for JavaScript leaves
// the same ones unsigned.
constexpr std::string_view kUnsignable[] = {
    "authorization", "cache-control",     "connection", "expect",     "from",
    "keep-alive",    "max-forwards",      "pragma",     "referer",    "te",
    "trailer",       "transfer-encoding", "upgrade",    "user-agent", "x-amzn-trace-id",
};

using Digest = std::array<unsigned char, 32>;

// OpenSSL failing to hash is not a state the request path can recover from.
[[noreturn]] void cryptoFailure() { std::abort(); }

const EVP_MD* sha256Algorithm() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) cryptoFailure();
  return md;
}

EVP_MAC* hmacAlgorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) cryptoFailure();
  return mac;
}

Digest sha256(std::string_view data) {
  Digest out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, sha256Algorithm(), nullptr) != 1 ||
      len != out.size()) {
    cryptoFailure();
  }
  return out;
}

Digest hmacSha256(const unsigned char* key, size_t key_len, std::string_view data) {
  std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(hmacAlgorithm()),
                                                                &EVP_MAC_CTX_free);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end(),
  };
  Digest out;
  size_t len = 0;
  if (ctx == nullptr || EVP_MAC_init(ctx.get(), key, key_len, params) != 1 ||
      EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(ctx.get(), out.data(), &len, out.size()) != 1 || len != out.size()) {
    cryptoFailure();
  }
  return out;
}

Digest hmacSha256(const Digest& key, std::string_view data) {
  return hmacSha256(key.data(), key.size(), data);
}

std::string hex(const Digest& d) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(d.size() * 2);
  for (unsigned char b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

// RFC 3986 encoding as SigV4 defines it: everything but the unreserved characters, '%' included,
// becomes %XX with upper-case hex.
void uriEncodeInto(std::string_view s, std::string& out) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if (isUnreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 0xf];
    }
  }
}

std::string uriEncode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  uriEncodeInto(s, out);
  return out;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes; a '%' not followed by two hex digits stays as it is. '+' stays '+': the
// SDKs encode a space in a query as %20.
std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Trims the value and turns each run of white space inside it into one space.
void appendCanonicalValue(std::string_view v, std::string& out) {
  bool pending_space = false;
  bool started = false;
  for (char c : v) {
    if (isSpace(c)) {
      pending_space = started;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    started = true;
    out += c;
  }
}

bool isUnsignable(std::string_view lower_name) {
  return std::find(std::begin(kUnsignable), std::end(kUnsignable), lower_name) !=
         std::end(kUnsignable);
}

bool isDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "20150830T123600Z" -> a time, or nullopt.
std::optional<TimePoint> parseAmzDate(std::string_view s) {
  using namespace std::chrono;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z' || !isDigits(s.substr(0, 8)) ||
      !isDigits(s.substr(9, 6))) {
    return std::nullopt;
  }
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  year_month_day ymd{year{num(0, 4)}, month{unsigned(num(4, 2))}, day{unsigned(num(6, 2))}};
  int h = num(9, 2), mi = num(11, 2), se = num(13, 2);
  if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
  return time_point_cast<milliseconds>(sys_days{ymd}) + hours{h} + minutes{mi} + seconds{se};
}

// Untrusted text quoted for an error message, cut short so a hostile header cannot make the
// answer large.
std::string quoted(std::string_view s) {
  constexpr size_t kMax = 80;
  if (s.size() <= kMax) return fmt::format("'{}'", s);
  return fmt::format("'{}…' ({} bytes)", s.substr(0, kMax), s.size());
}

bool isHeaderNameChar(char c) {
  // RFC 9110 token characters, lower-case only.
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isScopePart(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return c > ' ' && c < 0x7f && c != ',' && c != '/' && c != '=';
  });
}

SigV4Status failure(SigV4Error e, std::string message) {
  return SigV4Status{e, std::move(message)};
}

}  // namespace

std::string sha256Hex(std::string_view data) { return hex(sha256(data)); }

std::string formatAmzDate(TimePoint t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{floor<seconds>(t - day)};
  return fmt::format("{:04d}{:02d}{:02d}T{:02d}{:02d}{:02d}Z", int(ymd.year()),
                     unsigned(ymd.month()), unsigned(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count());
}

std::string sigV4CanonicalUri(std::string_view path) {
  // Dot segments and empty segments go, as in the SDKs (RFC 3986 section 5.2.4, plus "//").
  std::vector<std::string_view> segments;
  for (std::string_view seg : split(path, '/')) {
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(seg);
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out += '/';
    uriEncodeInto(segments[i], out);
  }
  if (!segments.empty() && !path.empty() && path.back() == '/') out += '/';
  return out;
}

std::string sigV4CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  for (std::string_view piece : split(query, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    std::string_view name = piece.substr(0, eq);
    std::string_view value = eq == std::string_view::npos ? "" : piece.substr(eq + 1);
    params.emplace_back(uriEncode(percentDecode(name)), uriEncode(percentDecode(value)));
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

std::string sigV4CanonicalRequest(const SigV4Request& request,
                                  const std::vector<std::string>& signed_headers,
                                  std::string_view payload_hash) {
  std::string out;
  out.reserve(256 + request.path.size() + request.query.size());
  out += request.method;
  out += '\n';
  out += sigV4CanonicalUri(request.path);
  out += '\n';
  out += sigV4CanonicalQuery(request.query);
  out += '\n';
  for (const std::string& name : signed_headers) {
    out += name;
    out += ':';
    bool first = true;
    for (const auto& [n, v] : request.headers) {
      if (!equalsIgnoreCase(n, name)) continue;
      if (!first) out += ',';
      first = false;
      appendCanonicalValue(v, out);
    }
    out += '\n';
  }
  out += '\n';
  for (size_t i = 0; i < signed_headers.size(); ++i) {
    if (i > 0) out += ';';
    out += signed_headers[i];
  }
  out += '\n';
  out += payload_hash;
  return out;
}

std::string sigV4StringToSign(std::string_view amz_date, std::string_view scope,
                              std::string_view canonical_request) {
  return fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date, scope, sha256Hex(canonical_request));
}

std::string sigV4Signature(std::string_view secret, std::string_view date, std::string_view region,
                           std::string_view service, std::string_view string_to_sign) {
  std::string first_key = "AWS4";
  first_key += secret;
  Digest key =
      hmacSha256(reinterpret_cast<const unsigned char*>(first_key.data()), first_key.size(), date);
  OPENSSL_cleanse(first_key.data(), first_key.size());
  key = hmacSha256(key, region);
  key = hmacSha256(key, service);
  key = hmacSha256(key, kTerminator);
  std::string signature = hex(hmacSha256(key, string_to_sign));
  OPENSSL_cleanse(key.data(), key.size());
  return signature;
}

std::string SigV4Authorization::scope() const {
  return fmt::format("{}/{}/{}/{}", date, region, service, kTerminator);
}

void signSigV4(SigV4Request& request, const SigV4Credentials& credentials, std::string_view region,
               std::string_view service, TimePoint now, SigV4PayloadHeader payload_header) {
  auto& headers = request.headers;
  assert(std::any_of(headers.begin(), headers.end(),
                     [](const auto& h) { return equalsIgnoreCase(h.first, "host"); }));
  std::erase_if(headers, [](const auto& h) {
    return equalsIgnoreCase(h.first, "authorization") || equalsIgnoreCase(h.first, "x-amz-date") ||
           equalsIgnoreCase(h.first, "x-amz-security-token") ||
           equalsIgnoreCase(h.first, "x-amz-content-sha256");
  });
  const std::string amz_date = formatAmzDate(now);
  const std::string payload_hash = sha256Hex(request.body);
  headers.emplace_back("x-amz-date", amz_date);
  if (!credentials.session_token.empty()) {
    headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  if (payload_header == SigV4PayloadHeader::kAdd) {
    headers.emplace_back("x-amz-content-sha256", payload_hash);
  }

  std::vector<std::string> signed_headers;
  for (const auto& [name, value] : headers) {
    std::string lower = toLowerAscii(name);
    if (!isUnsignable(lower)) signed_headers.push_back(std::move(lower));
  }
  std::sort(signed_headers.begin(), signed_headers.end());
  signed_headers.erase(std::unique(signed_headers.begin(), signed_headers.end()),
                       signed_headers.end());

  const std::string date = amz_date.substr(0, 8);
  const std::string scope = fmt::format("{}/{}/{}/{}", date, region, service, kTerminator);
  const std::string string_to_sign = sigV4StringToSign(
      amz_date, scope, sigV4CanonicalRequest(request, signed_headers, payload_hash));
  std::string signed_list;
  for (const std::string& name : signed_headers) {
    if (!signed_list.empty()) signed_list += ';';
    signed_list += name;
  }
  headers.emplace_back("authorization",
                       fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}",
                                   kAlgorithm, credentials.access_key_id, scope, signed_list,
                                   sigV4Signature(credentials.secret_access_key, date, region,
                                                  service, string_to_sign)));
}

Result<SigV4Authorization> parseSigV4Authorization(std::string_view header) {
  std::string_view s = trim(header);
  if (s.empty()) return makeError("The Authorization header is empty.");
  size_t space = s.find(' ');
  std::string_view algorithm = s.substr(0, space);
  if (algorithm != kAlgorithm) {
    if (algorithm == "AWS4-ECDSA-P256-SHA256") {
      return makeError(
          "Signature Version 4a (AWS4-ECDSA-P256-SHA256) is not supported; sign with Signature "
          "Version 4 (AWS4-HMAC-SHA256).");
    }
    return makeError(fmt::format(
        "Unsupported authorization type {}: an AWS request must be signed with Signature "
        "Version 4, 'AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…'.",
        quoted(algorithm)));
  }
  std::string_view rest = space == std::string_view::npos ? "" : s.substr(space + 1);

  std::optional<std::string_view> credential, signed_headers, signature;
  for (std::string_view part : split(rest, ',')) {
    part = trim(part);
    if (part.empty()) continue;
    size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      return makeError(
          fmt::format("Authorization parameter {} is not of the form key=value.", quoted(part)));
    }
    std::string_view key = trim(part.substr(0, eq));
    std::string_view value = trim(part.substr(eq + 1));
    std::optional<std::string_view>* slot = key == "Credential"      ? &credential
                                            : key == "SignedHeaders" ? &signed_headers
                                            : key == "Signature"     ? &signature
                                                                     : nullptr;
    if (slot == nullptr) {
      return makeError(fmt::format(
          "Unknown Authorization parameter {}: expected Credential, SignedHeaders and Signature.",
          quoted(key)));
    }
    if (slot->has_value()) {
      return makeError(fmt::format("Authorization parameter '{}' appears more than once.", key));
    }
    *slot = value;
  }
  std::string missing;
  for (auto [name, value] :
       {std::pair{"Credential", credential}, std::pair{"SignedHeaders", signed_headers},
        std::pair{"Signature", signature}}) {
    if (!value.has_value()) {
      if (!missing.empty()) missing += ' ';
      missing += fmt::format("Authorization header requires '{}' parameter.", name);
    }
  }
  if (!missing.empty()) return makeError(missing);

  SigV4Authorization out;
  std::vector<std::string_view> scope = split(*credential, '/');
  if (scope.size() != 5) {
    return makeError(fmt::format(
        "Credential must have the form <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request; "
        "got {}.",
        quoted(*credential)));
  }
  if (!isScopePart(scope[0])) {
    return makeError(fmt::format("Credential has an invalid access key id {}.", quoted(scope[0])));
  }
  if (scope[1].size() != 8 || !isDigits(scope[1])) {
    return makeError(fmt::format("Credential scope date must be YYYYMMDD (like 20150830); got {}.",
                                 quoted(scope[1])));
  }
  if (!isScopePart(scope[2])) {
    return makeError(
        fmt::format("Credential should be scoped to a valid region, not {}.", quoted(scope[2])));
  }
  if (!isScopePart(scope[3])) {
    return makeError(
        fmt::format("Credential should be scoped to a valid service, not {}.", quoted(scope[3])));
  }
  if (scope[4] != kTerminator) {
    return makeError(
        fmt::format("Credential should be scoped with a valid terminator: 'aws4_request', not {}.",
                    quoted(scope[4])));
  }
  out.access_key_id = scope[0];
  out.date = scope[1];
  out.region = scope[2];
  out.service = scope[3];

  for (std::string_view name : split(*signed_headers, ';')) {
    // An HTTP/2 pseudo-header may be signed too: the AWS SDK for JavaScript over HTTP/2 signs
    // ":authority" where HTTP/1.1 has "host".
    std::string_view bare = name.starts_with(':') ? name.substr(1) : name;
    bool valid = !bare.empty() && std::all_of(bare.begin(), bare.end(), isHeaderNameChar);
    if (!valid || (!out.signed_headers.empty() && out.signed_headers.back() >= name)) {
      return makeError(fmt::format(
          "SignedHeaders must be lower-case header names, sorted, each once, separated by ';'; "
          "got {}.",
          quoted(*signed_headers)));
    }
    out.signed_headers.emplace_back(name);
  }

  if (signature->size() != kSignatureHexLength ||
      !std::all_of(signature->begin(), signature->end(),
                   [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); })) {
    return makeError(
        fmt::format("Signature must be 64 lower-case hex digits; got {}.", quoted(*signature)));
  }
  out.signature = *signature;
  return out;
}

const char* awsErrorCode(SigV4Error e) {
  switch (e) {
    case SigV4Error::kNone:
      return "";
    case SigV4Error::kIncompleteSignature:
      return "IncompleteSignatureException";
    case SigV4Error::kSignatureMismatch:
      return "InvalidSignatureException";
    case SigV4Error::kSignatureExpired:
      return "InvalidSignatureException";
  }
  return "";
}

SigV4Status verifySigV4(const SigV4Request& request, const SigV4Authorization& authorization,
                        std::string_view secret, TimePoint now, std::chrono::minutes max_skew) {
  // The date: present once, well formed, the scope's day, and close enough to now.
  std::optional<std::string_view> amz_date;
  std::optional<std::string_view> content_sha256;
  for (const auto& [name, value] : request.headers) {
    std::optional<std::string_view>* slot = equalsIgnoreCase(name, "x-amz-date") ? &amz_date
                                            : equalsIgnoreCase(name, "x-amz-content-sha256")
                                                ? &content_sha256
                                                : nullptr;
    if (slot == nullptr) continue;
    if (slot->has_value()) {
      return failure(SigV4Error::kIncompleteSignature,
                     fmt::format("The request has more than one {} header.", name));
    }
    *slot = trim(value);
  }
  if (!amz_date) {
    return failure(SigV4Error::kIncompleteSignature,
                   "Authorization header requires existence of a 'X-Amz-Date' header (costgate "
                   "does not accept the Date header in its place).");
  }
  std::optional<TimePoint> signed_at = parseAmzDate(*amz_date);
  if (!signed_at) {
    return failure(SigV4Error::kIncompleteSignature,
                   fmt::format("X-Amz-Date must be an ISO 8601 basic date and time in UTC, like "
                               "20150830T123600Z; got {}.",
                               quoted(*amz_date)));
  }
  if (amz_date->substr(0, 8) != authorization.date) {
    return failure(SigV4Error::kSignatureMismatch,
                   fmt::format("Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                               "version of date from HTTP: '{}' != '{}', from '{}'.",
                               authorization.date, amz_date->substr(0, 8), *amz_date));
  }
  if (*signed_at < now - max_skew) {
    return failure(SigV4Error::kSignatureExpired,
                   fmt::format("Signature expired: {} is now earlier than {} ({} - {} min.). "
                               "Sign each request just before sending it, and check the clock "
                               "of the machine that signs.",
                               *amz_date, formatAmzDate(now - max_skew), formatAmzDate(now),
                               max_skew.count()));
  }
  if (*signed_at > now + max_skew) {
    return failure(SigV4Error::kSignatureExpired,
                   fmt::format("Signature not yet current: {} is still later than {} ({} + {} "
                               "min.). Check the clock of the machine that signs.",
                               *amz_date, formatAmzDate(now + max_skew), formatAmzDate(now),
                               max_skew.count()));
  }

  // What the signature covers: host (":authority" over HTTP/2), and only headers the request
  // still has.
  const auto& names = authorization.signed_headers;
  if (std::find(names.begin(), names.end(), "host") == names.end() &&
      std::find(names.begin(), names.end(), ":authority") == names.end()) {
    return failure(SigV4Error::kIncompleteSignature,
                   "'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  for (const std::string& name : names) {
    bool present = std::any_of(request.headers.begin(), request.headers.end(),
                               [&](const auto& h) { return equalsIgnoreCase(h.first, name); });
    if (!present) {
      return failure(SigV4Error::kSignatureMismatch,
                     fmt::format("The signature covers the header '{}', but the request has no "
                                 "such header (was it removed on the way?).",
                                 name));
    }
  }

  // The body.
  const std::string body_hash = sha256Hex(request.body);
  if (content_sha256 && *content_sha256 != body_hash) {
    if (*content_sha256 == "UNSIGNED-PAYLOAD" || content_sha256->starts_with("STREAMING-")) {
      return failure(SigV4Error::kSignatureMismatch,
                     fmt::format("x-amz-content-sha256 is {}, but costgate accepts only a signed "
                                 "payload: send the hex SHA-256 of the body.",
                                 quoted(*content_sha256)));
    }
    return failure(SigV4Error::kSignatureMismatch,
                   fmt::format("x-amz-content-sha256 says the body's SHA-256 is {}, but the body "
                               "costgate received hashes to {}: the body was changed after "
                               "signing, or the hash was taken over different bytes.",
                               quoted(*content_sha256), body_hash));
  }

  // The signature.
  const std::string canonical_request = sigV4CanonicalRequest(request, names, body_hash);
  const std::string string_to_sign =
      sigV4StringToSign(*amz_date, authorization.scope(), canonical_request);
  const std::string expected = sigV4Signature(secret, authorization.date, authorization.region,
                                              authorization.service, string_to_sign);
  if (authorization.signature.size() != expected.size() ||
      CRYPTO_memcmp(expected.data(), authorization.signature.data(), expected.size()) != 0) {
    return failure(SigV4Error::kSignatureMismatch,
                   fmt::format("The request signature we calculated does not match the signature "
                               "you provided. Check your AWS Secret Access Key and signing "
                               "method. Consult the service documentation for details.\n\n"
                               "The Canonical String for this request should have been\n'{}'\n\n"
                               "The String-to-Sign should have been\n'{}'\n",
                               canonical_request, string_to_sign));
  }
  return SigV4Status{};
}

}  // namespace costgate::identity
