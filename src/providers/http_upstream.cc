#include "providers/http_upstream.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "common/strings.h"
#include "providers/sim.h"

namespace costgate::providers {

namespace asio = boost::asio;

namespace {

// Non-streamed answers larger than this are refused (the largest real answers are well under).
constexpr size_t kMaxAnswerBytes = 32 * 1024 * 1024;
// Error bodies are read up to this much; the rest is not needed to say what went wrong.
constexpr size_t kMaxErrorBytes = 64 * 1024;
// How long the rest of a stream's body may take after the upstream's end event.
constexpr std::chrono::milliseconds kDrainAfterEnd{500};

int64_t msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// What the upstream generated before a stream broke, when it never said: output tokens are
// counted as about four characters each, at least one per delta received.
pricing::Usage estimateUsage(const chat::ChatRequest& request, const StreamState& s,
                             size_t text_bytes, size_t deltas) {
  pricing::Usage u = s.usage;
  if (u.input_tokens == 0 && u.cache_read_tokens == 0 && u.cache_write_tokens == 0) {
    u.input_tokens = estimateInputTokens(request);
  }
  int64_t by_chars = static_cast<int64_t>((text_bytes + 3) / 4);
  u.output_tokens = std::max({u.output_tokens, by_chars, static_cast<int64_t>(deltas)});
  return u;
}

// A region as it may appear in a host name: lower-case letters, digits and '-'.
bool validRegion(std::string_view r) {
  if (r.empty() || r.size() > 32) return false;
  for (char c : r) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

Status WireFormat::onEvent(const http::SseEvent&, StreamState&) const {
  return makeError("this upstream's streams are AWS event streams, not server-sent events");
}

Status WireFormat::onMessage(const http::EventStreamMessage&, StreamState&) const {
  return makeError("this upstream's streams are server-sent events, not AWS event streams");
}

std::string encodePathSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

HttpUpstream::HttpUpstream(HttpUpstreamOptions options, std::unique_ptr<WireFormat> wire)
    : options_(std::move(options)), wire_(std::move(wire)) {
  if (options_.regional_endpoint.empty()) {
    auto client = std::make_unique<http::HttpClient>(options_.client);
    fixed_client_ = client.get();
    std::lock_guard lock(clients_mu_);
    clients_.emplace(options_.client.base.text(), std::move(client));
  }
}

void HttpUpstream::shutdown() {
  std::lock_guard lock(clients_mu_);
  for (auto& [endpoint, client] : clients_) client->closeIdle();
}

http::ClientStats HttpUpstream::stats() const {
  http::ClientStats sum;
  std::lock_guard lock(clients_mu_);
  for (const auto& [endpoint, client] : clients_) {
    http::ClientStats s = client->stats();
    sum.connections_opened += s.connections_opened;
    sum.connections_reused += s.connections_reused;
    sum.retries += s.retries;
  }
  return sum;
}

http::HttpClient& HttpUpstream::clientFor(const std::string& endpoint, const http::Url& url) {
  std::lock_guard lock(clients_mu_);
  auto it = clients_.find(endpoint);
  if (it == clients_.end()) {
    http::ClientOptions o = options_.client;
    o.base = url;
    it = clients_.emplace(endpoint, std::make_unique<http::HttpClient>(std::move(o))).first;
  }
  return *it->second;
}

Result<HttpUpstream::Prepared> HttpUpstream::prepare(const UpstreamCall& call) {
  Prepared p;
  p.region = call.region;
  if (p.region.empty() && options_.aws_signing) p.region = options_.aws_signing->default_region;
  if (fixed_client_) {
    p.client = fixed_client_;
  } else {
    if (!validRegion(p.region)) {
      return makeError(fmt::format("no endpoint for region {}", jsonQuote(p.region)));
    }
    std::string endpoint = options_.regional_endpoint;
    for (size_t at; (at = endpoint.find("{region}")) != std::string::npos;) {
      endpoint.replace(at, 8, p.region);
    }
    auto url = http::parseBaseUrl(endpoint);
    if (!url) return makeError(url.error());
    p.client = &clientFor(endpoint, *url);
  }
  auto mapped = options_.models.find(call.model_id);
  p.model = mapped == options_.models.end() ? call.model_id : mapped->second;
  http::Request& req = p.request;
  req.method = "POST";
  req.target = wire_->path(p.model, call.request->stream);
  req.headers.add("content-type", "application/json");
  req.headers.add("accept", wire_->accept(call.request->stream));
  req.headers.add("user-agent", "costgate");
  wire_->addHeaders(req.headers, options_.api_key);
  req.body = wire_->encodeRequest(*call.request, p.model, options_.default_max_tokens);
  if (options_.aws_signing) {
    if (p.region.empty()) return makeError("no region to sign for");
    const AwsSigning* signing = &*options_.aws_signing;
    p.sign = [signing, region = p.region](http::Request& r) {
      identity::SigV4Request s;
      s.method = r.method;
      size_t q = r.target.find('?');
      s.path = r.target.substr(0, q);
      if (q != std::string::npos) s.query = r.target.substr(q + 1);
      s.headers = r.headers.items();
      s.body = r.body;
      identity::signSigV4(s, signing->credentials, region, signing->service, signing->clock->now());
      http::Headers signed_headers;
      for (auto& [name, value] : s.headers) signed_headers.add(std::move(name), std::move(value));
      r.headers = std::move(signed_headers);
    };
  }
  return p;
}

chat::CallError HttpUpstream::failure(const http::ClientError& e,
                                      const http::HttpClient& client) const {
  std::string where = fmt::format("upstream {} ({})", options_.name, client.options().base.text());
  switch (e.kind) {
    case http::ClientFailure::kUnreachable:
      return {502, "upstream_unreachable", fmt::format("{}: {}", where, e.message)};
    case http::ClientFailure::kTimeout:
      return {
          504, "upstream_timeout",
          fmt::format("{} timed out at stage {}: {}", where, http::stageName(e.stage), e.message)};
    case http::ClientFailure::kBadResponse:
      break;
  }
  return {502, "upstream_bad_response", fmt::format("{}: {}", where, e.message)};
}

chat::CallError HttpUpstream::statusError(int status, const http::Headers& headers,
                                          std::string_view body) const {
  std::string message = wire_->errorMessage(body);
  if (message.empty()) {
    message = std::string(body.substr(0, 200));
    if (message.empty()) message = "(no body)";
  }
  std::string type = wire_->errorType(headers, body);
  if (status == 401 || status == 403) {
    // The upstream refused costgate's own credentials. That is the operator's to fix, not the
    // caller's: a 401/403 would tell an SDK its own key is wrong, and the upstream's message may
    // quote what costgate signed (AWS's includes the canonical request, session token and all).
    // The log gets the first line of it.
    std::string first_line = message.substr(0, std::min(message.find('\n'), size_t{300}));
    spdlog::error("upstream {} refused costgate's credentials: {} {}{}", options_.name, status,
                  type.empty() ? "" : type + ": ", first_line);
    return {502, "upstream_auth_error",
            fmt::format("upstream {} refused costgate's own credentials ({}{}); costgate's "
                        "operator must fix them (details in costgate's log)",
                        options_.name, status, type.empty() ? "" : " " + type)};
  }
  if (!type.empty()) message = type + ": " + message;
  return {status, "upstream_error",
          fmt::format("upstream {} answered {}: {}", options_.name, status, message)};
}

asio::awaitable<Outcome> HttpUpstream::complete(const UpstreamCall& call) {
  auto start = std::chrono::steady_clock::now();
  Outcome out;
  Result<Prepared> prepared = prepare(call);
  if (!prepared) {
    out.error = {502, "upstream_unreachable",
                 fmt::format("upstream {}: {}", options_.name, prepared.error())};
    co_return out;
  }
  Prepared& p = *prepared;
  http::ClientResult sent = co_await p.client->send(p.request, p.sign ? &p.sign : nullptr);
  if (!sent.ok()) {
    out.error = failure(sent.error, *p.client);
    co_return out;
  }
  http::Exchange& x = *sent.exchange;
  std::string body;
  bool whole = co_await x.readAll(body, x.status() >= 400 ? kMaxErrorBytes : kMaxAnswerBytes);
  if (x.status() >= 400) {
    out.error = statusError(x.status(), x.headers(), body);
    co_return out;
  }
  if (!whole) {
    out.error = failure(*x.error(), *p.client);
    co_return out;
  }
  auto decoded = wire_->decodeResponse(body);
  if (!decoded) {
    out.error = {502, "upstream_bad_response",
                 fmt::format("upstream {} sent an answer costgate cannot read: {}", options_.name,
                             decoded.error())};
    co_return out;
  }
  out.response = std::move(*decoded);
  if (out.response->model.empty()) out.response->model = p.model;
  out.response->latency_ms = msSince(start);
  co_return out;
}

asio::awaitable<Outcome> HttpUpstream::stream(const UpstreamCall& call, StreamSink& sink) {
  auto start = std::chrono::steady_clock::now();
  Outcome out;
  Result<Prepared> prepared = prepare(call);
  if (!prepared) {
    out.error = {502, "upstream_unreachable",
                 fmt::format("upstream {}: {}", options_.name, prepared.error())};
    co_return out;
  }
  Prepared& p = *prepared;
  http::ClientResult sent = co_await p.client->send(p.request, p.sign ? &p.sign : nullptr);
  if (!sent.ok()) {
    out.error = failure(sent.error, *p.client);
    co_return out;
  }
  http::Exchange& x = *sent.exchange;
  if (x.status() >= 400) {
    std::string body;
    co_await x.readAll(body, kMaxErrorBytes);
    out.error = statusError(x.status(), x.headers(), body);
    co_return out;
  }

  const bool framed = wire_->streamFraming() == StreamFraming::kEventStream;
  http::SseReader sse;
  http::EventStreamReader frames;
  StreamState state;
  std::vector<http::SseEvent> events;
  std::vector<http::EventStreamMessage> messages;
  std::string piece, text;
  size_t deltas = 0;
  bool started = false, connected = true;
  std::optional<chat::CallError> broken;
  while (!state.finished && !state.upstream_error && !broken) {
    bool more = co_await x.read(piece);
    if (!more) {
      if (x.error()) {
        broken = failure(*x.error(), *p.client);
      } else {
        broken = chat::CallError{502, "upstream_bad_response",
                                 fmt::format("upstream {} ended the stream before its end "
                                             "event",
                                             options_.name)};
      }
      break;
    }
    events.clear();
    messages.clear();
    // Messages before a corrupt one are taken; the stream cannot go on past it.
    std::string corrupt;
    size_t count = 0;
    if (framed) {
      Status fed = frames.feed(piece, messages);
      if (!fed) corrupt = fed.error();
      count = messages.size();
    } else {
      sse.feed(piece, events);
      count = events.size();
    }
    for (size_t i = 0; i < count; ++i) {
      state.deltas.clear();
      Status s = framed ? wire_->onMessage(messages[i], state) : wire_->onEvent(events[i], state);
      if (!s) {
        broken = chat::CallError{502, "upstream_bad_response",
                                 fmt::format("upstream {} sent a stream event costgate cannot "
                                             "read: {}",
                                             options_.name, s.error())};
        break;
      }
      for (const std::string& d : state.deltas) {
        if (d.empty()) continue;
        if (!started) {
          started = true;
          // A client that left is not written to, but the stream is read to its end so the
          // usage the upstream reports is what is charged.
          connected = co_await sink.onStart(state.id, state.model);
        }
        text += d;
        ++deltas;
        if (connected) connected = co_await sink.onDelta(d);
      }
      if (state.finished || state.upstream_error) break;
    }
    if (!broken && !state.finished && !state.upstream_error && !corrupt.empty()) {
      broken = chat::CallError{
          502, "upstream_bad_response",
          fmt::format("upstream {} sent a corrupt event stream: {}", options_.name, corrupt)};
    }
  }
  if (!broken && state.upstream_error) broken = state.upstream_error;
  if (broken) {
    out.error = *broken;
    if (state.usage_final) {
      out.partial_usage = state.usage;
    } else if (deltas > 0 || state.usage.input_tokens > 0) {
      out.partial_usage = estimateUsage(*call.request, state, text.size(), deltas);
      out.usage_estimated = true;
    }
    co_return out;
  }
  // The body's end (the last chunk of a chunked stream) usually follows at once; reading it
  // lets the connection be reused. An upstream that holds the stream open loses the connection.
  co_await x.drain(kDrainAfterEnd);
  if (!started) {
    // An answer with no text at all still opens the client's stream.
    started = true;
    connected = co_await sink.onStart(state.id, state.model);
  }
  chat::ChatResponse r;
  r.id = state.id;
  r.model = state.model.empty() ? p.model : state.model;
  r.text = std::move(text);
  r.stop_reason = state.stop_reason;
  if (state.usage_final) {
    r.usage = state.usage;
  } else {
    r.usage = estimateUsage(*call.request, state, r.text.size(), deltas);
    out.usage_estimated = true;
  }
  r.latency_ms = msSince(start);
  out.response = std::move(r);
  co_return out;
}

}  // namespace costgate::providers
