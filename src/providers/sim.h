#pragma once
// The simulated upstream: built in, the default of the examples and the demo. Deterministic: the
// same request gets the same answer. Input tokens are counted from the text (about four
// characters a token, plus a few per message); output tokens come from max_tokens and a seeded
// distribution; time to first token, speed and error rate are configurable. Streams in every
// dialect.

#include <cstdint>
#include <string>

#include "providers/provider.h"

namespace costgate::providers {

struct SimOptions {
  int64_t time_to_first_token_ms = 0;
  double tokens_per_second = 0;  // 0: as fast as possible
  double error_rate = 0;         // 0..1: the share of calls that fail with a 503
  uint64_t seed = 42;
  int64_t default_max_tokens = 256;  // when the request sets none
};

// The answer the sim gives, without the waiting: for tests and for estimates.
struct SimAnswer {
  std::vector<std::string> pieces;  // one per output token
  chat::StopReason stop_reason = chat::StopReason::kEndTurn;
  pricing::Usage usage;
  bool fail = false;
};
SimAnswer simulateAnswer(const SimOptions& options, const chat::ChatRequest& request,
                         std::string_view model);

// Input tokens of a request as the sim (and the admission estimate) counts them.
int64_t estimateInputTokens(const chat::ChatRequest& request);

class SimProvider final : public Provider {
 public:
  explicit SimProvider(SimOptions options) : options_(options) {}
  // providers::Provider
  const char* name() const override { return "sim"; }
  boost::asio::awaitable<Outcome> complete(const UpstreamCall& call) override;
  boost::asio::awaitable<Outcome> stream(const UpstreamCall& call, StreamSink& sink) override;

 private:
  SimOptions options_;
};

}  // namespace costgate::providers
