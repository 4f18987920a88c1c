#pragma once
// One load-generator call on the wire: the HTTP request a client of each dialect sends to
// costgate, and what costgate's answer says the call used and cost (the x-costgate-* headers of a
// whole answer, the "costgate" member of a stream's final event). Pure functions, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/money.h"
#include "http/message.h"
#include "identity/sigv4.h"
#include "loadgen/plan.h"

namespace costgate::loadgen {

struct CallSpec {
  Dialect dialect = Dialect::kSeed;
  bool stream = false;
  std::string profile;  // the profile's name
  int64_t max_tokens = 200;
  std::string prompt;
  std::string request_id;  // sent as x-request-id; costgate stores it in the ledger
};

// The request for `spec`: the dialect's path and body, the profile named the way its clients
// name it (the model for OpenAI and Anthropic, the path's modelId for Bedrock, the
// inference-profile-name header for the seed's /invoke), and `api_key` as a bearer token unless
// it is empty (Bedrock calls are signed instead, see signBedrock).
http::Request buildRequest(const CallSpec& spec, std::string_view api_key);

// Signs `request` as the AWS SDK does for Bedrock (SigV4, service "bedrock"). The request must
// already hold its `host` header and its final target (HttpClient's BeforeSend hook).
void signBedrock(http::Request& request, const identity::SigV4Credentials& credentials,
                 std::string_view region, TimePoint now);

// What one answer said.
struct CallFacts {
  std::string profile;       // x-costgate-profile; "" when the answer had none
  int64_t input_tokens = 0;  // cache reads and writes included
  int64_t output_tokens = 0;
  std::optional<Money> cost;  // x-costgate-cost-usd; absent when the answer carried none
  std::string error;          // a stream's error event, or why the facts could not be read
};

// From a whole answer's headers.
CallFacts factsFromHeaders(const http::Headers& headers);
// From a streamed answer's body (SSE for OpenAI and Anthropic, AWS event-stream for Bedrock):
// the "costgate" member of its final events; `headers` supply the profile when it has none.
CallFacts factsFromStream(Dialect dialect, const http::Headers& headers, std::string_view body);

}  // namespace costgate::loadgen
