#include "loadgen/wire.h"

#include <gtest/gtest.h>

#include "api/dialect.h"
#include "identity/sigv4.h"

namespace costgate::loadgen {
namespace {

CallSpec spec(Dialect d, bool stream) {
  CallSpec s;
  s.dialect = d;
  s.stream = stream;
  s.profile = "customer1_websearch";
  s.max_tokens = 123;
  s.prompt = "What changed this month?";
  s.request_id = "loadgen-7";
  return s;
}

// The request as costgate's own decoder for the dialect reads it.
chat::ChatRequest decoded(const api::Dialect& d, const http::Request& r) {
  api::DecodeResult out = d.decode(r.body);
  EXPECT_TRUE(out.request) << out.error.message << ": " << r.body;
  return out.request.value_or(chat::ChatRequest{});
}

TEST(BuildRequestTest, EachDialectAsItsClientsSendIt) {
  http::Request seed = buildRequest(spec(Dialect::kSeed, false), "cg_key");
  EXPECT_EQ(seed.target, "/invoke");
  EXPECT_EQ(seed.headers.get("inference-profile-name"), "customer1_websearch");
  EXPECT_EQ(seed.headers.get("authorization"), "Bearer cg_key");
  EXPECT_EQ(seed.headers.get("x-request-id"), "loadgen-7");
  chat::ChatRequest s = decoded(api::seedDialect(), seed);
  EXPECT_EQ(s.max_tokens, 123);
  ASSERT_EQ(s.messages.size(), 1u);
  EXPECT_EQ(s.messages[0].text, "What changed this month?");

  http::Request openai = buildRequest(spec(Dialect::kOpenAi, true), "cg_key");
  EXPECT_EQ(openai.target, "/v1/chat/completions");
  chat::ChatRequest o = decoded(api::openAiDialect(), openai);
  EXPECT_EQ(o.model, "customer1_websearch");
  EXPECT_TRUE(o.stream);
  EXPECT_TRUE(o.include_usage);
  EXPECT_EQ(o.max_tokens, 123);

  http::Request anthropic = buildRequest(spec(Dialect::kAnthropic, false), "cg_key");
  EXPECT_EQ(anthropic.target, "/v1/messages");
  EXPECT_EQ(anthropic.headers.get("x-api-key"), "cg_key");
  EXPECT_FALSE(anthropic.headers.has("authorization"));
  chat::ChatRequest a = decoded(api::anthropicDialect(), anthropic);
  EXPECT_EQ(a.model, "customer1_websearch");
  EXPECT_FALSE(a.stream);

  http::Request bedrock = buildRequest(spec(Dialect::kBedrock, true), "");
  EXPECT_EQ(bedrock.target, "/model/customer1_websearch/converse-stream");
  EXPECT_FALSE(bedrock.headers.has("authorization"));
  chat::ChatRequest b = decoded(api::bedrockDialect(), bedrock);
  EXPECT_EQ(b.max_tokens, 123);
  CallSpec odd = spec(Dialect::kBedrock, false);
  odd.profile = "a:b c";
  EXPECT_EQ(buildRequest(odd, "").target, "/model/a%3Ab%20c/converse");
}

TEST(SignBedrockTest, TheGatewaysVerifierAcceptsTheSignature) {
  http::Request r = buildRequest(spec(Dialect::kBedrock, false), "");
  r.headers.add("host", "127.0.0.1:8080");
  const TimePoint now = TimePoint(std::chrono::milliseconds(1'780'000'000'000));
  identity::SigV4Credentials creds{"AKIDEXAMPLE", "secret/key", ""};
  signBedrock(r, creds, "us-west-2", now);
  auto auth = identity::parseSigV4Authorization(r.headers.get("authorization"));
  ASSERT_TRUE(auth) << auth.error();
  EXPECT_EQ(auth->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(auth->service, "bedrock");
  EXPECT_EQ(auth->region, "us-west-2");
  identity::SigV4Request v{r.method, r.target, "", r.headers.items(), r.body};
  EXPECT_TRUE(identity::verifySigV4(v, *auth, "secret/key", now));
  EXPECT_FALSE(identity::verifySigV4(v, *auth, "another", now));
}

TEST(FactsTest, FromTheCostHeadersExactly) {
  http::Headers h;
  h.add("X-Costgate-Profile", "customer1_websearch");
  h.add("x-costgate-input-tokens", "17");
  h.add("x-costgate-output-tokens", "91");
  h.add("x-costgate-cost-usd", "0.000118000000000001");
  CallFacts f = factsFromHeaders(h);
  EXPECT_EQ(f.profile, "customer1_websearch");
  EXPECT_EQ(f.input_tokens, 17);
  EXPECT_EQ(f.output_tokens, 91);
  ASSERT_TRUE(f.cost);
  EXPECT_EQ(f.cost->toString(), "0.000118000000000001");
  EXPECT_TRUE(f.error.empty());

  CallFacts none = factsFromHeaders(http::Headers{});
  EXPECT_FALSE(none.cost);
  http::Headers bad;
  bad.add("x-costgate-cost-usd", "$1");
  EXPECT_FALSE(factsFromHeaders(bad).cost);
  EXPECT_FALSE(factsFromHeaders(bad).error.empty());
}

// A whole stream as costgate writes it in `d`, ending with `info`.
std::string streamOf(const api::Dialect& d, const chat::CallInfo& info, bool include_usage) {
  api::StreamContext ctx;
  ctx.id = "x";
  ctx.model = "m";
  ctx.include_usage = include_usage;
  chat::ChatResponse r;
  r.text = "Hello there";
  r.usage = info.usage;
  return d.streamStart(ctx) + d.streamDelta(ctx, "Hello") + d.streamDelta(ctx, " there") +
         d.streamEnd(ctx, r, info);
}

TEST(FactsTest, FromTheFinalEventOfEveryStreamingDialect) {
  chat::CallInfo info;
  info.call_id = "01JCALL";
  info.profile = "customer2_websearch";
  info.usage.input_tokens = 12;
  info.usage.cache_read_tokens = 3;
  info.usage.output_tokens = 40;
  info.cost_usd = "0.000007105";
  struct Case {
    Dialect dialect;
    const api::Dialect& wire;
    bool include_usage;
  };
  for (const Case& c : {Case{Dialect::kOpenAi, api::openAiDialect(), false},
                        Case{Dialect::kOpenAi, api::openAiDialect(), true},
                        Case{Dialect::kAnthropic, api::anthropicDialect(), false},
                        Case{Dialect::kBedrock, api::bedrockDialect(), false}}) {
    std::string body = streamOf(c.wire, info, c.include_usage);
    CallFacts f = factsFromStream(c.dialect, http::Headers{}, body);
    SCOPED_TRACE(dialectName(c.dialect));
    EXPECT_TRUE(f.error.empty()) << f.error;
    EXPECT_EQ(f.profile, "customer2_websearch");
    EXPECT_EQ(f.input_tokens, 15);  // cache reads counted, as x-costgate-input-tokens does
    EXPECT_EQ(f.output_tokens, 40);
    ASSERT_TRUE(f.cost);
    EXPECT_EQ(*f.cost, *Money::parse("0.000007105"));
  }
}

TEST(FactsTest, AStreamThatEndsInAnErrorOrEarlySaysSo) {
  api::StreamContext ctx;
  chat::CallError e{503, "upstream_unavailable", "the sim failed"};
  std::string openai =
      api::openAiDialect().streamStart(ctx) + api::openAiDialect().streamError(ctx, e);
  http::Headers h;
  h.add("x-costgate-profile", "p");
  CallFacts f = factsFromStream(Dialect::kOpenAi, h, openai);
  EXPECT_EQ(f.error, "upstream_unavailable");
  EXPECT_EQ(f.profile, "p");
  EXPECT_FALSE(f.cost);

  std::string bedrock =
      api::bedrockDialect().streamStart(ctx) + api::bedrockDialect().streamError(ctx, e);
  CallFacts b = factsFromStream(Dialect::kBedrock, h, bedrock);
  EXPECT_FALSE(b.error.empty());
  EXPECT_FALSE(b.cost);

  CallFacts cut = factsFromStream(Dialect::kAnthropic, h, api::anthropicDialect().streamStart(ctx));
  EXPECT_EQ(cut.error, "the stream ended without costgate's final event");
}

}  // namespace
}  // namespace costgate::loadgen
