#pragma once
// Upstreams reached over HTTP (OpenAI-compatible, Anthropic, Bedrock): one HttpUpstream drives
// the exchange (pooled client, timeouts, errors, streaming, usage to the end even when the client
// has gone, SigV4 signing per attempt for AWS), and a WireFormat says how one API spells paths,
// requests, answers, errors and stream events (SSE or AWS event-stream). The wire formats are
// pure functions, tested without sockets.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat.h"
#include "common/clock.h"
#include "common/result.h"
#include "common/thread_annotations.h"
#include "http/client.h"
#include "http/event_stream.h"
#include "http/sse.h"
#include "identity/sigv4.h"
#include "providers/provider.h"

namespace costgate::providers {

// AWS Signature Version 4 for every request (Bedrock): signed just before each attempt is sent,
// with x-amz-date, x-amz-content-sha256 and, for temporary credentials, x-amz-security-token.
struct AwsSigning {
  identity::SigV4Credentials credentials;
  std::string service = "bedrock";
  std::string default_region;  // the signing region of a call that has none
  const Clock* clock = &SystemClock::instance();
};

struct HttpUpstreamOptions {
  std::string name;  // "openai", "anthropic", "bedrock": in messages and the ledger
  // client.base is the endpoint, unless regional_endpoint is set.
  http::ClientOptions client;
  // An endpoint per region, "{region}" replaced by the call's region (else the signing default),
  // e.g. "https://bedrock-runtime.{region}.amazonaws.com"; one pooled client per region.
  std::string regional_endpoint;
  std::optional<AwsSigning> aws_signing;
  std::string api_key;
  // The upstream's name for a profile's model, when it differs (e.g. a Bedrock model id mapped
  // to Anthropic's API name); unmapped models are sent as they are.
  std::map<std::string, std::string, std::less<>> models;
  int64_t default_max_tokens = 4096;  // when the request sets none and the API requires one
};

// What a stream has said so far.
struct StreamState {
  std::string id;
  std::string model;
  std::vector<std::string> deltas;  // text from the last event fed (the reader clears it)
  pricing::Usage usage;     // as far as the upstream has reported it
  bool usage_final = false;  // the upstream's final usage report was seen
  chat::StopReason stop_reason = chat::StopReason::kEndTurn;
  bool finished = false;  // the upstream's own end of stream was seen
  std::optional<chat::CallError> upstream_error;  // an error event in the stream
};

enum class StreamFraming {
  kSse,          // text/event-stream: onEvent
  kEventStream,  // application/vnd.amazon.eventstream, both CRCs checked: onMessage
};

class WireFormat {
 public:
  virtual ~WireFormat() = default;
  // After the base URL, already percent-encoded: "/chat/completions",
  // "/model/a.b-v1%3A0/converse-stream".
  virtual std::string path(std::string_view model, bool stream) const = 0;
  virtual const char* accept(bool stream) const {
    return stream ? "text/event-stream" : "application/json";
  }
  virtual void addHeaders(http::Headers& headers, const std::string& api_key) const = 0;
  virtual std::string encodeRequest(const chat::ChatRequest& request, const std::string& model,
                                    int64_t default_max_tokens) const = 0;
  virtual Result<chat::ChatResponse> decodeResponse(std::string_view body) const = 0;
  // The human message inside an error body, or "" when there is none.
  virtual std::string errorMessage(std::string_view body) const = 0;
  // The error's name from an error answer's headers or body ("ThrottlingException"), or "".
  virtual std::string errorType(const http::Headers& headers, std::string_view body) const {
    (void)headers, (void)body;
    return "";
  }
  virtual StreamFraming streamFraming() const { return StreamFraming::kSse; }
  // Takes one stream event (SSE) or message (event-stream) into `state`; an error for one that
  // cannot be read, or of the framing this API does not use.
  virtual Status onEvent(const http::SseEvent& event, StreamState& state) const;
  virtual Status onMessage(const http::EventStreamMessage& message, StreamState& state) const;
};

std::unique_ptr<WireFormat> openAiWireFormat();
std::unique_ptr<WireFormat> anthropicWireFormat();
std::unique_ptr<WireFormat> bedrockWireFormat();

// `s` percent-encoded as one path segment, as the AWS SDKs encode a URI label: every byte but
// A-Z a-z 0-9 - . _ ~ becomes %XX (upper-case hex), so ':' is %3A and '/' is %2F.
std::string encodePathSegment(std::string_view s);

class HttpUpstream final : public Provider {
 public:
  HttpUpstream(HttpUpstreamOptions options, std::unique_ptr<WireFormat> wire);
  // providers::Provider
  const char* name() const override { return options_.name.c_str(); }
  boost::asio::awaitable<Outcome> complete(const UpstreamCall& call) override;
  boost::asio::awaitable<Outcome> stream(const UpstreamCall& call, StreamSink& sink) override;
  void shutdown() override;

  // Summed over the upstream's clients (one per region for a regional endpoint).
  http::ClientStats stats() const;

 private:
  // What one call sends, where, and how it is signed.
  struct Prepared {
    http::Request request;
    http::HttpClient* client = nullptr;
    std::string model;      // the upstream's name for the model
    std::string region;     // the signing region
    http::BeforeSend sign;  // empty when unsigned
  };
  Result<Prepared> prepare(const UpstreamCall& call);
  // The client for `endpoint`, made on first use.
  http::HttpClient& clientFor(const std::string& endpoint, const http::Url& url);
  chat::CallError failure(const http::ClientError& e, const http::HttpClient& client) const;
  chat::CallError statusError(int status, const http::Headers& headers,
                              std::string_view body) const;

  HttpUpstreamOptions options_;
  std::unique_ptr<WireFormat> wire_;
  http::HttpClient* fixed_client_ = nullptr;  // the one client, without a regional endpoint
  mutable std::mutex clients_mu_;
  // By endpoint URL; entries are never removed while the upstream lives.
  std::map<std::string, std::unique_ptr<http::HttpClient>, std::less<>> clients_
      GUARDED_BY(clients_mu_);
};

}  // namespace costgate::providers
