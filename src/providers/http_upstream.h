#pragma once
// Upstreams reached over HTTP (OpenAI-compatible and Anthropic): one HttpUpstream drives the
// exchange (pooled client, timeouts, errors, streaming, usage to the end even when the client
// has gone), and a WireFormat says how one API spells requests, answers, errors and stream
// events. The wire formats are pure functions, tested without sockets.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat.h"
#include "common/result.h"
#include "http/client.h"
#include "providers/provider.h"
#include "http/sse.h"

namespace costgate::providers {

struct HttpUpstreamOptions {
  std::string name;  // "openai", "anthropic": in messages and the ledger's upstream column
  http::ClientOptions client;
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

class WireFormat {
 public:
  virtual ~WireFormat() = default;
  virtual std::string path() const = 0;  // after the base URL, e.g. "/chat/completions"
  virtual void addHeaders(http::Headers& headers, const std::string& api_key) const = 0;
  virtual std::string encodeRequest(const chat::ChatRequest& request, const std::string& model,
                                    int64_t default_max_tokens) const = 0;
  virtual Result<chat::ChatResponse> decodeResponse(std::string_view body) const = 0;
  // The human message inside an error body, or "" when there is none.
  virtual std::string errorMessage(std::string_view body) const = 0;
  // Takes one stream event into `state`; an error for an event that cannot be read.
  virtual Status onEvent(const http::SseEvent& event, StreamState& state) const = 0;
};

std::unique_ptr<WireFormat> openAiWireFormat();
std::unique_ptr<WireFormat> anthropicWireFormat();

class HttpUpstream final : public Provider {
 public:
  HttpUpstream(HttpUpstreamOptions options, std::unique_ptr<WireFormat> wire);
  // providers::Provider
  const char* name() const override { return options_.name.c_str(); }
  boost::asio::awaitable<Outcome> complete(const UpstreamCall& call) override;
  boost::asio::awaitable<Outcome> stream(const UpstreamCall& call, StreamSink& sink) override;
  void shutdown() override { client_.closeIdle(); }

  http::ClientStats stats() const { return client_.stats(); }

 private:
  http::Request buildRequest(const UpstreamCall& call) const;
  chat::CallError failure(const http::ClientError& e) const;
  chat::CallError statusError(int status, std::string_view body) const;

  HttpUpstreamOptions options_;
  std::unique_ptr<WireFormat> wire_;
  http::HttpClient client_;
};

}  // namespace costgate::providers
