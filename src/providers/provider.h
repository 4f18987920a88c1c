#pragma once
// Provider: one upstream dialect. It turns a canonical ChatRequest into the upstream's call and
// the upstream's answer back into a ChatResponse with the upstream's own usage figures.
// Providers never touch the store or prices.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "chat/chat.h"

namespace costgate::providers {

// The call as the gateway hands it over, after the profile is resolved.
struct UpstreamCall {
  const chat::ChatRequest* request = nullptr;
  std::string model_id;  // the model (or, for Bedrock, the profile ARN) to call
  std::string region;
};

struct Outcome {
  std::optional<chat::ChatResponse> response;  // set on success
  chat::CallError error;                        // otherwise
  // Usage the upstream reported even though the call failed (billable), when any.
  std::optional<pricing::Usage> partial_usage;
  // The usage (of a response or partial_usage) is costgate's estimate, not the upstream's count:
  // the stream broke before the upstream reported it.
  bool usage_estimated = false;
  bool ok() const { return response.has_value(); }
};

// Receives a stream as it arrives. A sink that returns false has lost its client; the provider
// keeps reading to the end anyway, so the usage is known and the call is charged correctly.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  virtual boost::asio::awaitable<bool> onStart(std::string_view message_id,
                                               std::string_view model) = 0;
  virtual boost::asio::awaitable<bool> onDelta(std::string_view text) = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual const char* name() const = 0;
  virtual boost::asio::awaitable<Outcome> complete(const UpstreamCall& call) = 0;
  // Streams the answer into `sink`; the Outcome carries the whole text, stop reason and usage.
  virtual boost::asio::awaitable<Outcome> stream(const UpstreamCall& call, StreamSink& sink) = 0;
  // Releases pooled connections; called once the I/O threads have stopped, before their
  // io_contexts go.
  virtual void shutdown() {}
};

}  // namespace costgate::providers
