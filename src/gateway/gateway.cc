#include "gateway/gateway.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/strings.h"
#include "identity/sigv4.h"
#include "metering/usage_record.h"
#include "profiles/tags.h"
#include "providers/sim.h"

namespace costgate::gateway {

namespace asio = boost::asio;
using chat::CallError;
using profiles::Profile;

struct Gateway::Call {
  std::shared_ptr<const Snapshot> snap;
  metering::UsageRecord record;
  std::optional<identity::Principal> caller;
  const Profile* profile = nullptr;
  const pricing::ModelPrice* price = nullptr;
  chat::ChatRequest request;
  api::StreamContext ctx;
  bool streaming_started = false;
  CallError error;              // what answerError() sends
  bool aws_auth_error = false;  // error is a SigV4 failure: answered in AWS's shape on any route
  bool upstream_called = false;
};

namespace {

// One turn of committing the ledger on this thread (LedgerWriter::Committer::kCallers); while
// records are left that no thread has taken on, the next turn comes after the handlers ready.
void commitTurn(metering::LedgerWriter& ledger, const asio::any_io_executor& ex) {
  if (ledger.commitQueued()) asio::post(ex, [&ledger, ex] { commitTurn(ledger, ex); });
}

// Awaits the ledger's group commit of one record; the writer's callback resumes the coroutine
// on its own executor.
template <class Token>
auto asyncAppend(metering::LedgerWriter& ledger, metering::UsageRecord record, Token&& token) {
  return asio::async_initiate<Token, void(Status)>(
      [&ledger](auto handler, metering::UsageRecord r) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        ledger.append(std::move(r), [h, ex](const Status& s) {
          asio::post(ex, [h, s]() mutable { std::move (*h)(s); });
        });
        // With LedgerWriter::Committer::kCallers this thread commits, once the handlers
        // already ready have run: the calls answered in the same round share the transaction.
        // A later turn finds the queue empty (or another thread committing) and returns.
        if (ledger.callersCommit()) asio::post(ex, [&ledger, ex] { commitTurn(ledger, ex); });
      },
      token, std::move(record));
}

std::string answerId(const api::Dialect& d, const std::string& call_id) {
  std::string_view name = d.name();
  if (name == "openai") return "chatcmpl-" + call_id;
  if (name == "anthropic") return "msg_" + call_id;
  return call_id;
}

constexpr std::string_view kSigV4Scheme = "AWS4-HMAC-SHA256";
// Each x-costgate-tag-K: V header adds the tag K=V to the request's (ARCHITECTURE.md).
constexpr std::string_view kTagHeaderPrefix = "x-costgate-tag-";
constexpr std::string_view kAwsMismatch =
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details.";

bool isSigV4(std::string_view authorization) {
  return authorization.size() > kSigV4Scheme.size() && authorization.starts_with(kSigV4Scheme) &&
         authorization[kSigV4Scheme.size()] == ' ';
}

int statusOf(profiles::Resolution::Outcome o) {
  using O = profiles::Resolution::Outcome;
  switch (o) {
    case O::kFound:
      return 200;
    case O::kNotFound:
      return 404;
    case O::kAmbiguous:
      return 409;
    case O::kForbidden:
      return 403;
    case O::kConflict:
      return 400;
  }
  return 400;
}

const char* typeOf(profiles::Resolution::Outcome o) {
  using O = profiles::Resolution::Outcome;
  switch (o) {
    case O::kFound:
      return "ok";
    case O::kNotFound:
      return "profile_not_found";
    case O::kAmbiguous:
      return "profile_ambiguous";
    case O::kForbidden:
      return "permission_denied";
    case O::kConflict:
      return "profile_conflict";
  }
  return "invalid_request_error";
}

void addCostHeaders(http::Headers& h, const chat::CallInfo& info) {
  h.add("x-costgate-profile", info.profile);
  h.add("x-costgate-input-tokens",
        std::to_string(info.usage.input_tokens + info.usage.cache_read_tokens +
                       info.usage.cache_write_tokens));
  h.add("x-costgate-output-tokens", std::to_string(info.usage.output_tokens));
  h.add("x-costgate-cost-usd", info.cost_usd);
}

chat::CallInfo infoOf(const metering::UsageRecord& r) {
  return {r.call_id, r.request_id, r.profile_name, r.usage, r.cost.total().toString()};
}

// Streams the upstream's deltas to the client in its dialect.
class DialectSink final : public providers::StreamSink {
 public:
  DialectSink(const api::Dialect& dialect, api::StreamContext& ctx, http::Responder& res,
              http::Headers headers, bool& started, std::optional<TimePoint>& first_token_at,
              Clock& clock)
      : dialect_(dialect),
        ctx_(ctx),
        res_(res),
        headers_(std::move(headers)),
        started_(started),
        first_token_at_(first_token_at),
        clock_(clock) {}

  // providers::StreamSink
  // g++ 12 miscompiles a coroutine that has both `if (!co_await …)` and `co_return co_await …`
  // (it crashes on resume), so every co_await result goes into a local first.
  asio::awaitable<bool> onStart(std::string_view message_id, std::string_view model) override {
    started_ = true;
    first_token_at_ = clock_.now();
    bool connected = co_await res_.startStream(200, headers_);
    if (!connected) co_return false;
    std::string start = dialect_.streamStart(ctx_);
    connected = co_await res_.writeChunk(start);
    co_return connected;
  }
  asio::awaitable<bool> onDelta(std::string_view text) override {
    std::string delta = dialect_.streamDelta(ctx_, text);
    bool connected = co_await res_.writeChunk(delta);
    co_return connected;
  }

 private:
  const api::Dialect& dialect_;
  api::StreamContext& ctx_;
  http::Responder& res_;
  http::Headers headers_;
  bool& started_;
  std::optional<TimePoint>& first_token_at_;
  Clock& clock_;
};

}  // namespace

Gateway::Gateway(GatewayOptions options, SnapshotHolder& snapshots, metering::LedgerWriter& ledger,
                 control::Admission& admission,
                 std::map<std::string, std::unique_ptr<providers::Provider>> providers,
                 Clock& clock)
    : options_(std::move(options)),
      snapshots_(snapshots),
      ledger_(ledger),
      admission_(admission),
      providers_(std::move(providers)),
      clock_(clock) {}

void Gateway::addRoutes(http::Router& router) {
  auto chat = [this](const api::Dialect& d) {
    return [this, &d](http::Request& req, http::Responder& res,
                      std::string_view param) -> asio::awaitable<void> {
      co_await handleChat(d, req, res);
    };
  };
  router.add("POST", "/invoke", chat(api::seedDialect()));
  router.add("POST", "/v1/chat/completions", chat(api::openAiDialect()));
  router.add("POST", "/v1/messages", chat(api::anthropicDialect()));
  auto bedrock = [this](bool stream) {
    return [this, stream](http::Request& req, http::Responder& res,
                          std::string_view param) -> asio::awaitable<void> {
      const ChatRoute route{std::string(param), stream};
      co_await handleChat(api::bedrockDialect(), req, res, &route);
    };
  };
  router.add("POST", "/model/{modelId}/converse", bedrock(false));
  router.add("POST", "/model/{modelId}/converse-stream", bedrock(true));
  auto health = [](http::Request& req, http::Responder& res,
                   std::string_view param) -> asio::awaitable<void> {
    http::Response r;
    r.headers.add("content-type", "application/json");
    r.body = R"({"status":"ok"})";
    co_await res.send(std::move(r));
  };
  router.add("GET", "/healthz", health);
  router.add("GET", "/readyz",
             [this](http::Request& req, http::Responder& res,
                    std::string_view param) -> asio::awaitable<void> {
               auto snap = snapshots_.get();
               http::Response r;
               r.headers.add("content-type", "application/json");
               r.body = fmt::format(R"({{"status":"ready","profiles":{},"generation":{}}})",
                                    snap->profiles.size(), snap->generation);
               co_await res.send(std::move(r));
             });
}

void Gateway::shutdown() {
  for (auto& [name, provider] : providers_) provider->shutdown();
}

void Gateway::priceUsage(Call& call) {
  metering::UsageRecord& rec = call.record;
  if (!call.price) return;  // unpriced, allowed by config: zero cost, flagged
  auto cost = pricing::PriceTable::cost(*call.price, rec.usage);
  if (cost) {
    rec.cost = *cost;
  } else {
    spdlog::error("call {}: cannot price usage: {}", rec.call_id, cost.error());
    rec.estimated = true;
  }
}

asio::awaitable<Status> Gateway::commit(Call& call) {
  call.record.ended_at = clock_.now();
  Status s = co_await asyncAppend(ledger_, call.record, asio::use_awaitable);
  if (!s) {
    // The answer still goes out: a paid call is never reported as failed because bookkeeping
    // failed after it. The loss is loud.
    spdlog::error("ledger: call {} (profile {}, cost {}) was not recorded: {}", call.record.call_id,
                  call.record.profile_name, call.record.cost.total().toString(), s.error());
  }
  for (metering::RecordSink* sink : sinks_) sink->onRecord(call.record);
  co_return s;
}

// The error to send is call.error: passing a CallError temporary into a coroutine call makes
// g++ 12 destroy it twice.
asio::awaitable<void> Gateway::answerError(const api::Dialect& dialect, Call& call,
                                           http::Responder& res) {
  const CallError& error = call.error;
  // A SigV4 caller is an AWS client, whatever route it signed for.
  const api::Dialect& shape = call.aws_auth_error ? api::bedrockDialect() : dialect;
  if (call.upstream_called) {
    // Calls that reached the upstream are recorded even when they fail (InvocationFailure);
    // a request refused before that changes nothing.
    call.record.status = metering::CallStatus::kFailure;
    call.record.http_status = error.status;
    call.record.error_type = error.type;
    co_await commit(call);
  }
  if (call.streaming_started) {
    std::string event = dialect.streamError(call.ctx, error);
    co_await res.writeChunk(event);
    co_await res.endStream();
    co_return;
  }
  http::Response r;
  r.status = error.status;
  r.headers.add("content-type", "application/json");
  for (auto& [name, value] : shape.errorHeaders(error)) r.headers.add(name, value);
  r.headers.add("x-costgate-call-id", call.record.call_id);
  if (!call.record.request_id.empty()) r.headers.add("x-request-id", call.record.request_id);
  if (call.profile) addCostHeaders(r.headers, infoOf(call.record));
  r.body = shape.encodeError(error);
  co_await res.send(std::move(r));
}

bool Gateway::authenticateSigV4(Call& call, const http::Request& req) {
  call.aws_auth_error = true;
  auto fail = [&](int status, const char* type, std::string message, std::string_view key_id) {
    // Never the secret; the message may hold the canonical request, which is the client's own.
    spdlog::warn("SigV4 authentication failed (access key {}, {} {} from {}): {}: {}",
                 key_id.empty() ? "?" : key_id, req.method, req.path, req.remote_address, type,
                 message.substr(0, message.find('\n')));
    call.error = {status, type, std::move(message)};
    return false;
  };
  auto auth = identity::parseSigV4Authorization(req.headers.get("authorization"));
  if (!auth) return fail(400, "IncompleteSignatureException", auth.error(), "");
  if (auth->service != "bedrock") {
    return fail(403, "InvalidSignatureException",
                fmt::format("Credential should be scoped to correct service: 'bedrock'. (The "
                            "credential scope names service '{}'.)",
                            auth->service),
                auth->access_key_id);
  }
  const identity::AwsCaller* who = call.snap->keys.findAwsCredential(auth->access_key_id);
  if (who == nullptr) {
    return fail(403, "UnrecognizedClientException",
                "The security token included in the request is invalid.", auth->access_key_id);
  }
  identity::SigV4Request signed_request{req.method, req.path, req.query, req.headers.items(),
                                        req.body};
  // Over HTTP/2 the server hands the request's :authority on as `host`; a client that signed
  // the pseudo-header (the AWS SDK for JavaScript does) signed that same value.
  if (std::binary_search(auth->signed_headers.begin(), auth->signed_headers.end(),
                         std::string(":authority")) &&
      req.headers.get(":authority").empty()) {
    signed_request.headers.emplace_back(":authority", std::string(req.headers.get("host")));
  }
  identity::SigV4Status verified =
      identity::verifySigV4(signed_request, *auth, who->secret_access_key, clock_.now());
  if (!verified) {
    std::string message = std::move(verified.message);
    if (verified.error == identity::SigV4Error::kSignatureMismatch &&
        !message.starts_with(kAwsMismatch) && !message.starts_with("Date in Credential scope")) {
      message = fmt::format("{} ({})", kAwsMismatch, message);
    }
    const int status = verified.error == identity::SigV4Error::kIncompleteSignature ? 400 : 403;
    return fail(status, identity::awsErrorCode(verified.error), std::move(message),
                auth->access_key_id);
  }
  // The headers that choose who pays (and the client's request id, which the ledger keeps) must
  // be covered by the signature: otherwise a captured request could be replayed, within the
  // skew window, charged to another of the caller's profiles. The AWS SDKs sign every header
  // they send.
  for (const auto& [name, value] : req.headers.items()) {
    std::string lower = toLowerAscii(name);
    const bool chooses_payer = lower == "inference-profile-id" ||
                               lower == "inference-profile-name" || lower == "tags" ||
                               lower == "x-request-id" || lower.starts_with(kTagHeaderPrefix);
    if (chooses_payer &&
        !std::binary_search(auth->signed_headers.begin(), auth->signed_headers.end(), lower)) {
      return fail(403, "InvalidSignatureException",
                  fmt::format("The header '{}' must be signed: it chooses the profile that pays "
                              "(add it to SignedHeaders).",
                              lower),
                  auth->access_key_id);
    }
  }
  call.aws_auth_error = false;
  call.caller = who->principal;
  return true;
}

asio::awaitable<void> Gateway::handleChat(const api::Dialect& dialect, http::Request& req,
                                          http::Responder& res, const ChatRoute* route) {
  Call call;
  call.snap = snapshots_.get();
  const Snapshot& snap = *call.snap;
  metering::UsageRecord& rec = call.record;
  rec.started_at = clock_.now();
  rec.call_id = metering::newCallId(rec.started_at);
  rec.request_id = std::string(req.headers.get("x-request-id"));
  rec.dialect = dialect.name();

  // Who is calling.
  std::string_view token = http::apiKeyOf(req);
  std::string_view authorization = req.headers.get("authorization");
  if (isSigV4(authorization)) {
    if (!authenticateSigV4(call, req)) {
      co_await answerError(dialect, call, res);
      co_return;
    }
  } else if (!authorization.empty() && !(authorization.size() > 7 &&
                                         equalsIgnoreCase(authorization.substr(0, 7), "bearer "))) {
    call.error = {401, "authentication_error",
                  "the Authorization header must be \"Bearer KEY\" (or send x-api-key: KEY)"};
    co_await answerError(dialect, call, res);
    co_return;
  }
  if (call.caller) {
    // Signed with SigV4 above.
  } else if (token.empty() && options_.open_mode) {
    call.caller = identity::Principal{identity::Role::kAdmin, "open", "", {}};
  } else if (token.empty()) {
    call.error = {401, "authentication_error",
                  "missing API key: send Authorization: Bearer KEY or x-api-key: KEY"};
    co_await answerError(dialect, call, res);
    co_return;
  } else {
    call.caller = snap.keys.authenticate(token);
  }
  if (!call.caller) {
    call.error = {401, "authentication_error", "invalid or revoked API key"};
    co_await answerError(dialect, call, res);
    co_return;
  }
  rec.key_id = call.caller->key_id;

  // What is asked.
  api::DecodeResult decoded = dialect.decode(req.body);
  if (!decoded.request) {
    call.error = decoded.error;
    co_await answerError(dialect, call, res);
    co_return;
  }
  call.request = std::move(*decoded.request);
  if (route != nullptr) {
    call.request.model = route->model;
    call.request.stream = route->stream;
  }

  // Which profile pays.
  const identity::Principal& caller = *call.caller;
  auto reach = [&caller](const Profile& p) { return caller.reaches(p); };
  profiles::ProfileQuery q;
  q.id_or_arn = std::string(trim(req.headers.get("inference-profile-id")));
  q.name = std::string(trim(req.headers.get("inference-profile-name")));
  if (std::string_view tags = req.headers.get("tags"); !tags.empty()) {
    auto parsed = profiles::parseTagsHeader(tags);
    if (!parsed) {
      call.error = {400, "invalid_request_error", parsed.error()};
      co_await answerError(dialect, call, res);
      co_return;
    }
    q.tags = std::move(*parsed);
  }
  for (const auto& [name, value] : req.headers.items()) {
    if (name.size() > kTagHeaderPrefix.size() &&
        equalsIgnoreCase(std::string_view(name).substr(0, kTagHeaderPrefix.size()),
                         kTagHeaderPrefix)) {
      q.tags.push_back({name.substr(kTagHeaderPrefix.size()), std::string(trim(value))});
    }
  }
  if (auto dup = profiles::firstDuplicateKey(q.tags)) {
    call.error = {400, "invalid_request_error",
                  fmt::format("tag {} is given twice", jsonQuote(q.tags[*dup].key))};
    co_await answerError(dialect, call, res);
    co_return;
  }
  const std::string& body_model = call.request.model;
  const Profile* named_by_model = nullptr;
  if (!body_model.empty()) {
    named_by_model = snap.profiles.byIdOrArn(body_model);
    if (!named_by_model) named_by_model = snap.profiles.byName(body_model);
  }
  if (q.empty()) {
    if (named_by_model) {
      if (!caller.reaches(*named_by_model)) {
        spdlog::warn("key {} (tenant {}) tried to use profile {} (named as the model)",
                     caller.key_id, caller.tenant, named_by_model->name);
        call.error = {
            403, "permission_denied",
            fmt::format("this key may not use profile {}", jsonQuote(named_by_model->name))};
        co_await answerError(dialect, call, res);
        co_return;
      }
      call.profile = named_by_model;
    } else if (caller.role == identity::Role::kTenant && caller.profile_ids.size() == 1) {
      call.profile = snap.profiles.byId(*caller.profile_ids.begin());
    }
    if (!call.profile) {
      call.error = {
          400, "invalid_request_error",
          "the request names no profile: send inference-profile-id, inference-profile-name or "
          "tags headers, or name the profile as the model"};
      co_await answerError(dialect, call, res);
      co_return;
    }
  } else {
    profiles::Resolution r = snap.profiles.resolve(q, reach);
    if (!r.found()) {
      if (r.outcome == profiles::Resolution::Outcome::kForbidden) {
        spdlog::warn("key {} (tenant {}) tried to use profile {}", caller.key_id, caller.tenant,
                     r.profile ? r.profile->name : "?");
      }
      call.error = {statusOf(r.outcome), typeOf(r.outcome), r.message};
      co_await answerError(dialect, call, res);
      co_return;
    }
    if (named_by_model && named_by_model != r.profile) {
      call.error = {400, "profile_conflict",
                    fmt::format("the headers name profile {} but the model names profile "
                                "{}",
                                jsonQuote(r.profile->name), jsonQuote(named_by_model->name))};
      co_await answerError(dialect, call, res);
      co_return;
    }
    call.profile = r.profile;
  }
  const Profile& profile = *call.profile;
  rec.profile_id = profile.id;
  rec.profile_name = profile.name;
  rec.tags = profile.tags;
  rec.model_id = profile.model_id;
  rec.region = profile.region;
  if (!body_model.empty() && !named_by_model && body_model != profile.model_id) {
    call.error = {
        400, "invalid_request_error",
        fmt::format("model {} differs from profile {}'s model {}; omit it or "
                    "send the profile's model",
                    jsonQuote(body_model), jsonQuote(profile.name), jsonQuote(profile.model_id))};
    co_await answerError(dialect, call, res);
    co_return;
  }
  // From here on, failures are recorded against the profile.
  call.profile = &profile;

  // The price, before anything is spent.
  call.price = snap.prices.find(profile.region, profile.model_id, rec.started_at);
  if (call.price && call.price->kind == pricing::ModelKind::kImage) call.price = nullptr;
  if (!call.price && !options_.allow_unpriced) {
    call.error = {422, "unpriced_model",
                  fmt::format("model {} has no token price in region {}; the call was "
                              "not made",
                              jsonQuote(profile.model_id), jsonQuote(profile.region))};
    co_await answerError(dialect, call, res);
    co_return;
  }
  if (call.price) {
    rec.prices = call.price->tokens;
  } else {
    rec.unpriced = true;
    spdlog::warn(
        "call {}: model {} has no price in region {}; calling it anyway "
        "(unpriced_models: allow_and_flag), recorded at zero cost and flagged",
        rec.call_id, profile.model_id, profile.region);
  }

  // Admission, on the worst case.
  control::AdmissionRequest adm;
  adm.profile = &profile;
  adm.caller = &caller;
  adm.model_id = profile.model_id;
  adm.estimated_input_tokens = providers::estimateInputTokens(call.request);
  adm.max_output_tokens = call.request.max_tokens.value_or(options_.default_max_output_tokens);
  if (call.price) {
    auto worst = pricing::PriceTable::cost(
        *call.price, {adm.estimated_input_tokens, adm.max_output_tokens, 0, 0});
    if (worst) adm.worst_case_cost = worst->total();
  }
  control::AdmissionDecision decision = admission_.admit(adm);
  if (!decision.admitted()) {
    call.error = {decision.httpStatus(), "admission_refused", decision.reason};
    co_await answerError(dialect, call, res);
    co_return;
  }

  co_await runUpstream(dialect, call, res);
}

asio::awaitable<void> Gateway::runUpstream(const api::Dialect& dialect, Call& call,
                                           http::Responder& res) {
  const Profile& profile = *call.profile;
  metering::UsageRecord& rec = call.record;
  const std::string& provider_name =
      profile.provider.empty() ? options_.default_provider : profile.provider;
  rec.upstream = provider_name;
  auto it = providers_.find(provider_name);
  if (it == providers_.end()) {
    call.error = {502, "upstream_not_configured",
                  fmt::format("profile {} uses upstream {}, which this server does not "
                              "have configured",
                              jsonQuote(profile.name), jsonQuote(provider_name))};
    co_await answerError(dialect, call, res);
    co_return;
  }
  providers::Provider& provider = *it->second;
  // A profile mirrored to Bedrock is called by its AWS ARN, so AWS's own cost allocation tags
  // see the call too.
  const bool mirrored = provider_name == "bedrock" && !profile.bedrock_arn.empty();
  providers::UpstreamCall up{&call.request, mirrored ? profile.bedrock_arn : profile.model_id,
                             profile.region};

  call.ctx.id = answerId(dialect, rec.call_id);
  call.ctx.model = profile.model_id;
  call.ctx.created_unix =
      std::chrono::duration_cast<std::chrono::seconds>(rec.started_at.time_since_epoch()).count();
  call.ctx.input_tokens = providers::estimateInputTokens(call.request);
  call.ctx.include_usage = call.request.include_usage;

  providers::Outcome out;
  call.upstream_called = true;
  if (call.request.stream) {
    http::Headers headers;
    headers.add("content-type", dialect.streamContentType());
    headers.add("cache-control", "no-cache");
    headers.add("x-costgate-call-id", rec.call_id);
    headers.add("x-costgate-profile", profile.name);
    if (!rec.request_id.empty()) headers.add("x-request-id", rec.request_id);
    DialectSink sink(dialect, call.ctx, res, std::move(headers), call.streaming_started,
                     rec.first_token_at, clock_);
    out = co_await provider.stream(up, sink);
  } else {
    out = co_await provider.complete(up);
  }

  rec.estimated = out.usage_estimated;
  if (!out.ok()) {
    if (out.partial_usage) {
      rec.usage = *out.partial_usage;
      priceUsage(call);
    }
    call.error = out.error;
    co_await answerError(dialect, call, res);
    co_return;
  }
  chat::ChatResponse& answer = *out.response;
  rec.usage = answer.usage;
  priceUsage(call);
  rec.status = metering::CallStatus::kSuccess;
  rec.http_status = 200;
  if (call.request.stream && !res.clientConnected()) {
    // The upstream answered in full and is paid in full; the client left before the end.
    rec.http_status = 499;
    rec.error_type = "client_disconnected";
    spdlog::info(
        "call {} (profile {}): the client left mid-stream; charged for the whole answer "
        "the upstream generated ({} output tokens)",
        rec.call_id, profile.name, rec.usage.output_tokens);
  }
  answer.id = call.ctx.id;
  answer.model = profile.model_id;

  // The record is committed before the final byte of the answer leaves.
  co_await commit(call);
  chat::CallInfo info = infoOf(rec);
  if (call.request.stream) {
    std::string last = dialect.streamEnd(call.ctx, answer, info);
    co_await res.writeChunk(last);
    co_await res.endStream();
    co_return;
  }
  http::Response r;
  r.headers.add("content-type", "application/json");
  r.headers.add("x-costgate-call-id", rec.call_id);
  if (!rec.request_id.empty()) r.headers.add("x-request-id", rec.request_id);
  addCostHeaders(r.headers, info);
  r.body = dialect.encodeResponse(answer, info, call.ctx);
  co_await res.send(std::move(r));
}

}  // namespace costgate::gateway
