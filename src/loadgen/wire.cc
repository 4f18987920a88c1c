#include "loadgen/wire.h"

#include <fmt/format.h>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <vector>

#include "http/event_stream.h"
#include "http/sse.h"

namespace costgate::loadgen {

namespace json = boost::json;

namespace {

// A path segment as the AWS SDKs send it: everything but the unreserved characters
// percent-encoded.
std::string encodeSegment(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

json::object converseBody(const CallSpec& spec) {
  json::object text{{"text", spec.prompt}};
  json::object message{{"role", "user"}, {"content", json::array{text}}};
  return json::object{{"messages", json::array{message}},
                      {"inferenceConfig", json::object{{"maxTokens", spec.max_tokens}}}};
}

int64_t intMember(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_int64() ? v->as_int64() : 0;
}

// The facts in a "costgate" member (api/dialect_util.cc's costgateInfo).
CallFacts factsFromInfo(const json::object& info) {
  CallFacts f;
  if (const json::value* p = info.if_contains("profile"); p && p->is_string()) {
    f.profile = std::string(p->as_string());
  }
  f.input_tokens = intMember(info, "input_tokens") + intMember(info, "cache_read_input_tokens") +
                   intMember(info, "cache_write_input_tokens");
  f.output_tokens = intMember(info, "output_tokens");
  if (const json::value* c = info.if_contains("cost_usd"); c && c->is_string()) {
    auto m = Money::parse(c->as_string());
    if (m) {
      f.cost = *m;
    } else {
      f.error = fmt::format("cost_usd {} is not a decimal: {}", json::serialize(*c), m.error());
    }
  }
  return f;
}

// Looks into one event's JSON: its "costgate" member (top level, or a Bedrock metadata's), or
// an error. True when it settled the facts.
bool readEvent(std::string_view payload, CallFacts& facts, bool& seen) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return false;
  const json::object& o = v.as_object();
  if (const json::value* info = o.if_contains("costgate"); info && info->is_object()) {
    facts = factsFromInfo(info->as_object());
    seen = true;
    return true;
  }
  if (const json::value* err = o.if_contains("error"); err) {
    const json::value* type = err->is_object() ? err->as_object().if_contains("type") : nullptr;
    facts.error = type && type->is_string() ? std::string(type->as_string()) : "stream_error";
    return true;
  }
  return false;
}

}  // namespace

http::Request buildRequest(const CallSpec& spec, std::string_view api_key) {
  http::Request r;
  r.method = "POST";
  r.headers.add("content-type", "application/json");
  if (!spec.request_id.empty()) r.headers.add("x-request-id", spec.request_id);
  json::object body;
  switch (spec.dialect) {
    case Dialect::kSeed:
      r.target = "/invoke";
      r.headers.add("inference-profile-name", spec.profile);
      body = converseBody(spec);
      break;
    case Dialect::kOpenAi: {
      r.target = "/v1/chat/completions";
      json::object message{{"role", "user"}, {"content", spec.prompt}};
      body = json::object{{"model", spec.profile},
                          {"max_tokens", spec.max_tokens},
                          {"messages", json::array{message}}};
      if (spec.stream) {
        body["stream"] = true;
        body["stream_options"] = json::object{{"include_usage", true}};
      }
      break;
    }
    case Dialect::kAnthropic: {
      r.target = "/v1/messages";
      r.headers.add("anthropic-version", "2023-06-01");
      json::object message{{"role", "user"}, {"content", spec.prompt}};
      body = json::object{{"model", spec.profile},
                          {"max_tokens", spec.max_tokens},
                          {"messages", json::array{message}}};
      if (spec.stream) body["stream"] = true;
      break;
    }
    case Dialect::kBedrock:
      r.target = fmt::format("/model/{}/{}", encodeSegment(spec.profile),
                             spec.stream ? "converse-stream" : "converse");
      body = converseBody(spec);
      break;
  }
  if (!api_key.empty()) {
    if (spec.dialect == Dialect::kAnthropic) {
      r.headers.add("x-api-key", std::string(api_key));
    } else {
      r.headers.add("authorization", fmt::format("Bearer {}", api_key));
    }
  }
  r.path = r.target;
  r.body = json::serialize(body);
  return r;
}

void signBedrock(http::Request& request, const identity::SigV4Credentials& credentials,
                 std::string_view region, TimePoint now) {
  identity::SigV4Request s;
  s.method = request.method;
  size_t q = request.target.find('?');
  s.path = request.target.substr(0, q);
  if (q != std::string::npos) s.query = request.target.substr(q + 1);
  s.headers = request.headers.items();
  s.body = request.body;
  identity::signSigV4(s, credentials, region, "bedrock", now);
  http::Headers signed_headers;
  for (auto& [name, value] : s.headers) signed_headers.add(std::move(name), std::move(value));
  request.headers = std::move(signed_headers);
}

CallFacts factsFromHeaders(const http::Headers& headers) {
  CallFacts f;
  f.profile = std::string(headers.get("x-costgate-profile"));
  auto number = [&](std::string_view name) -> int64_t {
    std::string_view v = headers.get(name);
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc() && end == v.data() + v.size() ? n : 0;
  };
  f.input_tokens = number("x-costgate-input-tokens");
  f.output_tokens = number("x-costgate-output-tokens");
  if (headers.has("x-costgate-cost-usd")) {
    auto m = Money::parse(headers.get("x-costgate-cost-usd"));
    if (m) {
      f.cost = *m;
    } else {
      f.error = fmt::format("x-costgate-cost-usd is not a decimal: {}", m.error());
    }
  }
  return f;
}

CallFacts factsFromStream(Dialect dialect, const http::Headers& headers, std::string_view body) {
  CallFacts facts;
  bool seen = false;
  if (dialect == Dialect::kBedrock) {
    http::EventStreamReader reader;
    std::vector<http::EventStreamMessage> messages;
    Status st = reader.feed(body, messages);
    for (const http::EventStreamMessage& m : messages) {
      const std::string* type = m.stringHeader(":message-type");
      if (type && *type == "exception") {
        const std::string* name = m.stringHeader(":exception-type");
        facts.error = name ? *name : "exception";
        break;
      }
      if (readEvent(m.payload, facts, seen) && !facts.error.empty()) break;
    }
    if (!st && facts.error.empty()) facts.error = "bad event stream: " + st.error();
  } else {
    http::SseReader reader;
    std::vector<http::SseEvent> events;
    reader.feed(body, events);
    for (const http::SseEvent& e : events) {
      if (e.data == "[DONE]") continue;
      if (readEvent(e.data, facts, seen) && !facts.error.empty()) break;
    }
  }
  if (facts.profile.empty()) facts.profile = std::string(headers.get("x-costgate-profile"));
  if (!seen && facts.error.empty()) facts.error = "the stream ended without costgate's final event";
  return facts;
}

}  // namespace costgate::loadgen
