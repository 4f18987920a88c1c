#include "providers/bedrock_control.h"

#include <fmt/format.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/serialize.hpp>

#include "providers/http_upstream.h"
#include "providers/wire_util.h"

namespace costgate::providers {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr size_t kMaxAnswerBytes = 16 * 1024 * 1024;

// Geography prefixes of Bedrock's cross-region (system) inference profiles.
constexpr std::array<std::string_view, 8> kGeographies = {"us", "us-gov", "eu", "apac",
                                                          "jp", "au",     "ca", "global"};

// The model id without its geography prefix, and whether it had one.
std::string_view baseModelId(std::string_view model_id, bool* cross_region = nullptr) {
  size_t dot = model_id.find('.');
  bool geo = false;
  if (dot != std::string_view::npos && model_id.find('.', dot + 1) != std::string_view::npos) {
    for (std::string_view g : kGeographies) geo = geo || model_id.substr(0, dot) == g;
  }
  if (cross_region) *cross_region = geo;
  return geo ? model_id.substr(dot + 1) : model_id;
}

json::array tagsJson(const std::vector<profiles::Tag>& tags) {
  json::array a;
  for (const auto& t : tags) a.push_back(json::object{{"key", t.key}, {"value", t.value}});
  return a;
}

Result<std::vector<profiles::Tag>> readTags(const json::value* v) {
  std::vector<profiles::Tag> out;
  if (!v) return out;
  if (!v->is_array()) return makeError("\"tags\" is not a list");
  for (const auto& t : v->as_array()) {
    const json::object* o = t.if_object();
    const json::value* key = o ? o->if_contains("key") : nullptr;
    const json::value* value = o ? o->if_contains("value") : nullptr;
    if (!key || !key->is_string() || !value || !value->is_string()) {
      return makeError("a tag without a string key and value");
    }
    out.push_back({std::string(key->as_string()), std::string(value->as_string())});
  }
  return out;
}

Result<InferenceProfileSummary> readSummary(const json::object& o) {
  InferenceProfileSummary p;
  p.name = stringOr(o, "inferenceProfileName");
  p.arn = stringOr(o, "inferenceProfileArn");
  p.id = stringOr(o, "inferenceProfileId");
  p.description = stringOr(o, "description");
  p.status = stringOr(o, "status");
  p.type = stringOr(o, "type");
  if (p.name.empty() || p.arn.empty()) {
    return makeError("an inference profile without inferenceProfileName or inferenceProfileArn");
  }
  if (const json::value* models = o.if_contains("models"); models && models->is_array()) {
    for (const auto& m : models->as_array()) {
      if (const json::object* mo = m.if_object()) p.model_arns.push_back(stringOr(*mo, "modelArn"));
    }
  }
  return p;
}

}  // namespace

std::string AwsError::text() const {
  if (status == 0) return message;
  return fmt::format("{} (HTTP {}): {}", type.empty() ? "error" : type, status,
                     message.empty() ? "(no message)" : message);
}

std::string modelSourceArn(std::string_view model_id, std::string_view region,
                           std::string_view account) {
  bool cross_region = false;
  baseModelId(model_id, &cross_region);
  if (cross_region) {
    return fmt::format("arn:aws:bedrock:{}:{}:inference-profile/{}", region, account, model_id);
  }
  return fmt::format("arn:aws:bedrock:{}::foundation-model/{}", region, model_id);
}

bool profileRunsModel(const InferenceProfileSummary& p, std::string_view model_id) {
  std::string suffix = fmt::format(":foundation-model/{}", baseModelId(model_id));
  for (const auto& arn : p.model_arns) {
    if (arn.size() >= suffix.size() && arn.ends_with(suffix)) return true;
  }
  return false;
}

std::string clientRequestToken(std::string_view profile_id, const CreateInferenceProfileInput& in) {
  // Everything that makes the create different: reusing a token with other parameters is a
  // ConflictException.
  CreateInferenceProfileInput without_token = in;
  without_token.client_request_token.clear();
  std::string digest = identity::sha256Hex(encodeCreateInferenceProfile(without_token));
  return fmt::format("costgate-{}-{}", profile_id, digest.substr(0, 16));
}

std::string encodeCreateInferenceProfile(const CreateInferenceProfileInput& in) {
  json::object o;
  if (!in.client_request_token.empty()) o["clientRequestToken"] = in.client_request_token;
  if (!in.description.empty()) o["description"] = in.description;
  o["inferenceProfileName"] = in.name;
  o["modelSource"] = json::object{{"copyFrom", in.copy_from}};
  if (!in.tags.empty()) o["tags"] = tagsJson(in.tags);
  return json::serialize(o);
}

std::string encodeTagResource(std::string_view arn, const std::vector<profiles::Tag>& tags) {
  return json::serialize(json::object{{"resourceARN", arn}, {"tags", tagsJson(tags)}});
}

std::string encodeUntagResource(std::string_view arn, const std::vector<std::string>& keys) {
  return json::serialize(json::object{{"resourceARN", arn}, {"tagKeys", stringArray(keys)}});
}

std::string encodeListTagsForResource(std::string_view arn) {
  return json::serialize(json::object{{"resourceARN", arn}});
}

Result<std::string> decodeCreateInferenceProfile(std::string_view body) {
  auto v = parseJsonObject(body, "the CreateInferenceProfile answer");
  if (!v) return makeError(v.error());
  std::string arn = stringOr(v->as_object(), "inferenceProfileArn");
  if (arn.empty()) return makeError("the CreateInferenceProfile answer has no inferenceProfileArn");
  return arn;
}

Result<InferenceProfileSummary> decodeGetInferenceProfile(std::string_view body) {
  auto v = parseJsonObject(body, "the GetInferenceProfile answer");
  if (!v) return makeError(v.error());
  return readSummary(v->as_object());
}

Result<InferenceProfilePage> decodeListInferenceProfiles(std::string_view body) {
  auto v = parseJsonObject(body, "the ListInferenceProfiles answer");
  if (!v) return makeError(v.error());
  const json::object& o = v->as_object();
  InferenceProfilePage page;
  page.next_token = stringOr(o, "nextToken");
  const json::value* list = o.if_contains("inferenceProfileSummaries");
  if (!list) return page;
  if (!list->is_array()) return makeError("\"inferenceProfileSummaries\" is not a list");
  for (const auto& item : list->as_array()) {
    if (!item.is_object()) return makeError("an inference profile summary is not an object");
    auto p = readSummary(item.as_object());
    if (!p) return makeError(p.error());
    page.profiles.push_back(std::move(*p));
  }
  return page;
}

Result<std::vector<profiles::Tag>> decodeListTagsForResource(std::string_view body) {
  auto v = parseJsonObject(body, "the ListTagsForResource answer");
  if (!v) return makeError(v.error());
  return readTags(v->as_object().if_contains("tags"));
}

AwsError decodeAwsError(int status, const http::Headers& headers, std::string_view body) {
  AwsError e;
  e.status = status;
  std::string_view header = headers.get("x-amzn-errortype");
  if (!header.empty()) e.type = std::string(header.substr(0, header.find(':')));
  if (auto v = parseJsonObject(body, "the error"); v) {
    const json::object& o = v->as_object();
    if (e.type.empty()) {
      std::string type = stringOr(o, "__type", stringOr(o, "code"));
      size_t hash = type.rfind('#');
      e.type = hash == std::string::npos ? type : type.substr(hash + 1);
      e.type = e.type.substr(0, e.type.find(':'));
    }
    e.message = stringOr(o, "message", stringOr(o, "Message"));
  } else {
    e.message = std::string(body.substr(0, 200));
  }
  return e;
}

// ---------------------------------------------------------------------------- the client

Result<std::unique_ptr<BedrockControl>> BedrockControl::make(BedrockControlOptions options) {
  std::string endpoint = options.endpoint.empty()
                             ? fmt::format("https://bedrock.{}.amazonaws.com", options.region)
                             : options.endpoint;
  auto url = http::parseBaseUrl(endpoint);
  if (!url) return makeError(fmt::format("Bedrock control endpoint {}: {}", endpoint, url.error()));
  return std::unique_ptr<BedrockControl>(
      new BedrockControl(std::move(options), std::move(endpoint), *url));
}

BedrockControl::BedrockControl(BedrockControlOptions options, std::string endpoint,
                               const http::Url& url)
    : options_(std::move(options)), endpoint_(std::move(endpoint)) {
  http::ClientOptions o;
  o.base = url;
  o.timeouts = options_.timeouts;
  o.ca_file = options_.ca_file;
  o.max_idle_connections = 2;
  client_ = std::make_unique<http::HttpClient>(std::move(o));
}

BedrockControl::~BedrockControl() { client_->closeIdle(); }

namespace {

struct Exchanged {
  int status = 0;
  http::Headers headers;
  std::string body;
  std::optional<http::ClientError> error;
};

asio::awaitable<void> exchange(http::HttpClient* client, const http::Request* request,
                               const http::BeforeSend* sign, Exchanged* out) {
  http::ClientResult sent = co_await client->send(*request, sign);
  if (!sent.ok()) {
    out->error = sent.error;
    co_return;
  }
  http::Exchange& x = *sent.exchange;
  out->status = x.status();
  out->headers = x.headers();
  bool whole = co_await x.readAll(out->body, kMaxAnswerBytes);
  if (!whole && x.error()) out->error = *x.error();
}

}  // namespace

AwsResult<BedrockControl::Answer> BedrockControl::call(std::string method, std::string target,
                                                       std::string body) {
  http::Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  if (!body.empty()) request.headers.add("content-type", "application/json");
  request.headers.add("accept", "application/json");
  request.headers.add("user-agent", "costgate");
  request.body = std::move(body);
  const BedrockControlOptions* o = &options_;
  http::BeforeSend sign = [o](http::Request& r) {
    identity::SigV4Request s;
    s.method = r.method;
    size_t q = r.target.find('?');
    s.path = r.target.substr(0, q);
    if (q != std::string::npos) s.query = r.target.substr(q + 1);
    s.headers = r.headers.items();
    s.body = r.body;
    identity::signSigV4(s, o->credentials, o->region, "bedrock", o->clock->now());
    http::Headers signed_headers;
    for (auto& [name, value] : s.headers) signed_headers.add(std::move(name), std::move(value));
    r.headers = std::move(signed_headers);
  };
  Exchanged x;
  asio::co_spawn(io_, exchange(client_.get(), &request, &sign, &x), asio::detached);
  io_.restart();
  io_.run();
  const std::string what = fmt::format("{} {}{}", request.method, endpoint_, request.target);
  if (x.error && x.status == 0) {
    return AwsResult<Answer>::failure({0, "", fmt::format("{}: {}", what, x.error->message)});
  }
  if (x.status >= 300)
    return AwsResult<Answer>::failure(decodeAwsError(x.status, x.headers, x.body));
  if (x.error) {
    return AwsResult<Answer>::failure(
        {0, "", fmt::format("{}: the answer broke off: {}", what, x.error->message)});
  }
  return {Answer{x.status, std::move(x.headers), std::move(x.body)}, {}};
}

namespace {

// A decoded answer, or its decoding error as an AwsError without a type.
template <class T>
AwsResult<T> decoded(Result<T> r, std::string_view operation) {
  if (!r) return AwsResult<T>::failure({0, "", fmt::format("{}: {}", operation, r.error())});
  return {std::move(*r), {}};
}

}  // namespace

AwsResult<std::string> BedrockControl::createInferenceProfile(
    const CreateInferenceProfileInput& in) {
  auto a = call("POST", "/inference-profiles", encodeCreateInferenceProfile(in));
  if (!a.ok()) return AwsResult<std::string>::failure(a.error);
  return decoded(decodeCreateInferenceProfile(a.value->body), "CreateInferenceProfile");
}

AwsResult<InferenceProfileSummary> BedrockControl::getInferenceProfile(
    std::string_view identifier) {
  auto a = call("GET", "/inference-profiles/" + encodePathSegment(identifier), "");
  if (!a.ok()) return AwsResult<InferenceProfileSummary>::failure(a.error);
  return decoded(decodeGetInferenceProfile(a.value->body), "GetInferenceProfile");
}

AwsResult<std::vector<InferenceProfileSummary>> BedrockControl::listApplicationInferenceProfiles() {
  using R = AwsResult<std::vector<InferenceProfileSummary>>;
  std::vector<InferenceProfileSummary> all;
  std::string token;
  do {
    std::string target = "/inference-profiles?maxResults=1000";
    if (!token.empty()) target += "&nextToken=" + encodePathSegment(token);
    target += "&type=APPLICATION";
    auto a = call("GET", target, "");
    if (!a.ok()) return R::failure(a.error);
    auto page = decodeListInferenceProfiles(a.value->body);
    if (!page) return R::failure({0, "", "ListInferenceProfiles: " + page.error()});
    for (auto& p : page->profiles) all.push_back(std::move(p));
    token = page->next_token;
  } while (!token.empty());
  return {std::move(all), {}};
}

AwsResult<AwsDone> BedrockControl::deleteInferenceProfile(std::string_view identifier) {
  auto a = call("DELETE", "/inference-profiles/" + encodePathSegment(identifier), "");
  if (!a.ok()) return AwsResult<AwsDone>::failure(a.error);
  return {AwsDone{}, {}};
}

AwsResult<AwsDone> BedrockControl::tagResource(std::string_view arn,
                                               const std::vector<profiles::Tag>& tags) {
  auto a = call("POST", "/tagResource", encodeTagResource(arn, tags));
  if (!a.ok()) return AwsResult<AwsDone>::failure(a.error);
  return {AwsDone{}, {}};
}

AwsResult<AwsDone> BedrockControl::untagResource(std::string_view arn,
                                                 const std::vector<std::string>& keys) {
  auto a = call("POST", "/untagResource", encodeUntagResource(arn, keys));
  if (!a.ok()) return AwsResult<AwsDone>::failure(a.error);
  return {AwsDone{}, {}};
}

AwsResult<std::vector<profiles::Tag>> BedrockControl::listTagsForResource(std::string_view arn) {
  auto a = call("POST", "/listTagsForResource", encodeListTagsForResource(arn));
  if (!a.ok()) return AwsResult<std::vector<profiles::Tag>>::failure(a.error);
  return decoded(decodeListTagsForResource(a.value->body), "ListTagsForResource");
}

}  // namespace costgate::providers
