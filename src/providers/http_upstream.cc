#include "providers/http_upstream.h"

#include <fmt/format.h>

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

}  // namespace

HttpUpstream::HttpUpstream(HttpUpstreamOptions options, std::unique_ptr<WireFormat> wire)
    : options_(std::move(options)), wire_(std::move(wire)), client_(options_.client) {}

http::Request HttpUpstream::buildRequest(const UpstreamCall& call) const {
  http::Request req;
  req.method = "POST";
  req.target = wire_->path();
  req.headers.add("content-type", "application/json");
  req.headers.add("accept", call.request->stream ? "text/event-stream" : "application/json");
  req.headers.add("user-agent", "costgate");
  wire_->addHeaders(req.headers, options_.api_key);
  auto mapped = options_.models.find(call.model_id);
  const std::string& model = mapped == options_.models.end() ? call.model_id : mapped->second;
  req.body = wire_->encodeRequest(*call.request, model, options_.default_max_tokens);
  return req;
}

chat::CallError HttpUpstream::failure(const http::ClientError& e) const {
  std::string where = fmt::format("upstream {} ({})", options_.name,
                                  options_.client.base.text());
  switch (e.kind) {
    case http::ClientFailure::kUnreachable:
      return {502, "upstream_unreachable", fmt::format("{}: {}", where, e.message)};
    case http::ClientFailure::kTimeout:
      return {504, "upstream_timeout",
              fmt::format("{} timed out at stage {}: {}", where, http::stageName(e.stage),
                          e.message)};
    case http::ClientFailure::kBadResponse:
      break;
  }
  return {502, "upstream_bad_response", fmt::format("{}: {}", where, e.message)};
}

chat::CallError HttpUpstream::statusError(int status, std::string_view body) const {
  std::string message = wire_->errorMessage(body);
  if (message.empty()) {
    message = std::string(body.substr(0, 200));
    if (message.empty()) message = "(no body)";
  }
  return {status, "upstream_error",
          fmt::format("upstream {} answered {}: {}", options_.name, status, message)};
}

asio::awaitable<Outcome> HttpUpstream::complete(const UpstreamCall& call) {
  auto start = std::chrono::steady_clock::now();
  Outcome out;
  http::Request req = buildRequest(call);
  http::ClientResult sent = co_await client_.send(req);
  if (!sent.ok()) {
    out.error = failure(sent.error);
    co_return out;
  }
  http::Exchange& x = *sent.exchange;
  std::string body;
  bool whole = co_await x.readAll(body, x.status() >= 400 ? kMaxErrorBytes : kMaxAnswerBytes);
  if (x.status() >= 400) {
    out.error = statusError(x.status(), body);
    co_return out;
  }
  if (!whole) {
    out.error = failure(*x.error());
    co_return out;
  }
  auto decoded = wire_->decodeResponse(body);
  if (!decoded) {
    out.error = {502, "upstream_bad_response",
                 fmt::format("upstream {} sent an answer costgate cannot read: {}",
                             options_.name, decoded.error())};
    co_return out;
  }
  out.response = std::move(*decoded);
  out.response->latency_ms = msSince(start);
  co_return out;
}

asio::awaitable<Outcome> HttpUpstream::stream(const UpstreamCall& call, StreamSink& sink) {
  auto start = std::chrono::steady_clock::now();
  Outcome out;
  http::Request req = buildRequest(call);
  http::ClientResult sent = co_await client_.send(req);
  if (!sent.ok()) {
    out.error = failure(sent.error);
    co_return out;
  }
  http::Exchange& x = *sent.exchange;
  if (x.status() >= 400) {
    std::string body;
    co_await x.readAll(body, kMaxErrorBytes);
    out.error = statusError(x.status(), body);
    co_return out;
  }

  http::SseReader reader;
  StreamState state;
  std::vector<http::SseEvent> events;
  std::string piece, text;
  size_t deltas = 0;
  bool started = false, connected = true;
  std::optional<chat::CallError> broken;
  while (!state.finished && !state.upstream_error && !broken) {
    bool more = co_await x.read(piece);
    if (!more) {
      if (x.error()) {
        broken = failure(*x.error());
      } else {
        broken = chat::CallError{502, "upstream_bad_response",
                                 fmt::format("upstream {} ended the stream before its end "
                                             "event",
                                             options_.name)};
      }
      break;
    }
    events.clear();
    reader.feed(piece, events);
    for (const http::SseEvent& e : events) {
      state.deltas.clear();
      Status s = wire_->onEvent(e, state);
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
  r.model = state.model;
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
