// The JSON work of one call on the request path: the client's body decoded, the upstream's body
// encoded and its answer decoded, the client's answer encoded (OpenAI on both sides, the
// benchmark's shape in bench/gateway_vs_nginx.sh).

#include <benchmark/benchmark.h>

#include "api/dialect.h"
#include "providers/http_upstream.h"

namespace costgate::api {
namespace {

constexpr std::string_view kClientBody =
    R"({"model":"gpt-4o-mini","messages":[{"role":"system","content":"You are terse."},)"
    R"({"role":"user","content":"How much did this call cost, exactly, to the last digit?"}],)"
    R"("max_tokens":64,"temperature":0.2})";

constexpr std::string_view kUpstreamAnswer =
    R"({"id":"chatcmpl-abc123","object":"chat.completion","created":1764200000,)"
    R"("model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant",)"
    R"("content":"Exactly what the ledger says.","refusal":null},"logprobs":null,)"
    R"("finish_reason":"stop"}],"usage":{"prompt_tokens":31,"completion_tokens":7,)"
    R"("total_tokens":38,"prompt_tokens_details":{"cached_tokens":0},)"
    R"("completion_tokens_details":{"reasoning_tokens":0}}})";

void BM_OpenAiClientDecode(benchmark::State& state) {
  const Dialect& d = openAiDialect();
  for (auto _ : state) {
    DecodeResult r = d.decode(kClientBody);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_OpenAiClientDecode);

void BM_OpenAiUpstreamEncode(benchmark::State& state) {
  DecodeResult r = openAiDialect().decode(kClientBody);
  auto wire = providers::openAiWireFormat();
  for (auto _ : state) {
    std::string body = wire->encodeRequest(*r.request, "gpt-4o-mini", 4096);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_OpenAiUpstreamEncode);

void BM_OpenAiUpstreamDecode(benchmark::State& state) {
  auto wire = providers::openAiWireFormat();
  for (auto _ : state) {
    auto r = wire->decodeResponse(kUpstreamAnswer);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_OpenAiUpstreamDecode);

void BM_OpenAiClientEncode(benchmark::State& state) {
  auto answer = *providers::openAiWireFormat()->decodeResponse(kUpstreamAnswer);
  chat::CallInfo info{"01KB0000000000000000000000", "", "customer1_websearch", answer.usage,
                      "0.00001645"};
  StreamContext ctx{"chatcmpl-01KB0000000000000000000000", "gpt-4o-mini", 1764200000, 31, false};
  const Dialect& d = openAiDialect();
  for (auto _ : state) {
    std::string body = d.encodeResponse(answer, info, ctx);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_OpenAiClientEncode);

}  // namespace
}  // namespace costgate::api
