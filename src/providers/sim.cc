#include "providers/sim.h"

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <random>

namespace costgate::providers {

namespace asio = boost::asio;

namespace {

constexpr const char* kWords[] = {
    "costs",  "tenant", "profile", "tokens", "are",    "tracked", "per",   "call",
    "and",    "every",  "answer",  "is",     "priced", "exactly", "the",   "gateway",
    "keeps",  "a",      "ledger",  "so",     "nothing", "answered", "gets", "lost",
    "alarms", "watch",  "spend",   "minute", "by",     "minute",  "while", "dashboards"};

uint64_t fnv1a(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string messageId(uint64_t h) { return fmt::format("sim-{:016x}", h); }

asio::awaitable<void> sleepFor(int64_t ms) {
  if (ms <= 0) co_return;
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

int64_t estimateInputTokens(const chat::ChatRequest& r) {
  size_t chars = r.system.size();
  for (const auto& m : r.messages) chars += m.text.size();
  return static_cast<int64_t>((chars + 3) / 4) + 3 * static_cast<int64_t>(r.messages.size()) +
         (r.system.empty() ? 0 : 3);
}

SimAnswer simulateAnswer(const SimOptions& o, const chat::ChatRequest& r, std::string_view model) {
  uint64_t h = fnv1a(14695981039346656037ULL ^ o.seed, model);
  h = fnv1a(h, r.system);
  for (const auto& m : r.messages) h = fnv1a(h, m.text);
  std::mt19937_64 rng(h);
  SimAnswer a;
  a.usage.input_tokens = estimateInputTokens(r);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  a.fail = unit(rng) < o.error_rate;
  int64_t max_tokens = r.max_tokens.value_or(o.default_max_tokens);
  // Most answers end on their own between 30% and 100% of the budget; one in five uses it all.
  int64_t n = unit(rng) < 0.2 ? max_tokens
                              : std::max<int64_t>(1, static_cast<int64_t>(
                                                         max_tokens * (0.3 + 0.7 * unit(rng))));
  n = std::min(n, max_tokens);
  a.stop_reason = n >= max_tokens ? chat::StopReason::kMaxTokens : chat::StopReason::kEndTurn;
  a.pieces.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    std::string w = kWords[rng() % std::size(kWords)];
    a.pieces.push_back(i == 0 ? w : " " + w);
  }
  a.usage.output_tokens = n;
  return a;
}

namespace {

// The answer as a response, text and timing aside.
chat::ChatResponse responseOf(const SimAnswer& a, const std::string& model) {
  chat::ChatResponse r;
  r.id = messageId(fnv1a(0, model) ^ static_cast<uint64_t>(a.usage.output_tokens));
  r.model = model;
  r.stop_reason = a.stop_reason;
  r.usage = a.usage;
  return r;
}

Outcome simulatedFailure() {
  Outcome out;
  out.error = {503, "upstream_unavailable", "sim: simulated upstream failure"};
  return out;
}

int64_t msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

}  // namespace

asio::awaitable<Outcome> SimProvider::complete(const UpstreamCall& call) {
  auto start = std::chrono::steady_clock::now();
  SimAnswer a = simulateAnswer(options_, *call.request, call.model_id);
  if (a.fail) co_return simulatedFailure();
  int64_t total_ms = options_.time_to_first_token_ms;
  if (options_.tokens_per_second > 0) {
    total_ms += static_cast<int64_t>(static_cast<double>(a.usage.output_tokens) * 1000.0 /
                                     options_.tokens_per_second);
  }
  co_await sleepFor(total_ms);
  Outcome out;
  out.response = responseOf(a, call.model_id);
  for (const auto& p : a.pieces) out.response->text += p;
  out.response->latency_ms = msSince(start);
  co_return out;
}

asio::awaitable<Outcome> SimProvider::stream(const UpstreamCall& call, StreamSink& sink) {
  auto start = std::chrono::steady_clock::now();
  SimAnswer a = simulateAnswer(options_, *call.request, call.model_id);
  if (a.fail) co_return simulatedFailure();
  Outcome out;
  out.response = responseOf(a, call.model_id);
  chat::ChatResponse& r = *out.response;
  co_await sleepFor(options_.time_to_first_token_ms);
  bool connected = co_await sink.onStart(r.id, r.model);
  const bool paced = options_.tokens_per_second > 0;
  const size_t per_chunk = paced ? 1 : 8;
  for (size_t i = 0; i < a.pieces.size(); i += per_chunk) {
    std::string chunk;
    for (size_t j = i; j < std::min(a.pieces.size(), i + per_chunk); ++j) chunk += a.pieces[j];
    r.text += chunk;
    // A client that left is not written to, but the answer is generated (and billed) whole.
    if (connected) connected = co_await sink.onDelta(chunk);
    if (paced) co_await sleepFor(static_cast<int64_t>(1000.0 / options_.tokens_per_second));
  }
  r.latency_ms = msSince(start);
  co_return out;
}

}  // namespace costgate::providers
