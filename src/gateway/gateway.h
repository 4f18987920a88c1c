#pragma once
// Gateway: the request path, and the only place that knows the order of its stages:
// authenticate → decode → resolve the profile → price lookup → admission → upstream →
// meter → ledger commit → answer (ARCHITECTURE.md, "The path of one request").
//
// Thread-safe: one Gateway serves every io_context thread.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/dialect.h"
#include "common/clock.h"
#include "control/admission.h"
#include "gateway/snapshot.h"
#include "http/router.h"
#include "metering/ledger_writer.h"
#include "metering/record_sink.h"
#include "providers/provider.h"

namespace costgate::gateway {

struct GatewayOptions {
  std::string default_provider = "sim";
  // Output tokens assumed for the worst-case estimate when a request sets no max_tokens.
  int64_t default_max_output_tokens = 4096;
  // Calls without a key are served as admin (config "server.open_mode"; serve allows it only on
  // a loopback listener).
  bool open_mode = false;
  // A model without a price is called anyway, recorded at zero cost and flagged unpriced
  // (config "unpriced_models": "allow_and_flag"); otherwise it is refused with 422.
  bool allow_unpriced = false;
};

// What a route's path says about the call (Bedrock's /model/{modelId}/converse[-stream]): the
// model, URL-decoded, and whether to stream. It overrides the body's.
struct ChatRoute {
  std::string model;
  bool stream = false;
};

class Gateway {
 public:
  Gateway(GatewayOptions options, SnapshotHolder& snapshots, metering::LedgerWriter& ledger,
          control::Admission& admission,
          std::map<std::string, std::unique_ptr<providers::Provider>> providers, Clock& clock);

  // Registers /invoke, /v1/chat/completions, /v1/messages, /model/{modelId}/converse,
  // /model/{modelId}/converse-stream, /healthz and /readyz.
  void addRoutes(http::Router& router);

  // Tells `sink` of every call's final record (after its ledger commit). Call before serving;
  // `sink` must outlive the Gateway.
  void addRecordSink(metering::RecordSink& sink) { sinks_.push_back(&sink); }

  // Releases the upstreams' pooled connections; call after the server's threads have stopped.
  void shutdown();

  // One inference call in `dialect`. The caller is authenticated by an API key (Bearer or
  // x-api-key) or by an AWS SigV4 signature (Authorization: AWS4-HMAC-SHA256 …, service
  // "bedrock", any region, at most 15 minutes of clock skew); `route`, when given, must outlive
  // the call.
  boost::asio::awaitable<void> handleChat(const api::Dialect& dialect, http::Request& req,
                                          http::Responder& res, const ChatRoute* route = nullptr);

 private:
  struct Call;
  // Checks a SigV4-signed request: sets call.caller, or call.error (in AWS's shape) and returns
  // false.
  bool authenticateSigV4(Call& call, const http::Request& req);
  boost::asio::awaitable<void> answerError(const api::Dialect& dialect, Call& call,
                                           http::Responder& res);
  boost::asio::awaitable<void> runUpstream(const api::Dialect& dialect, Call& call,
                                           http::Responder& res);
  boost::asio::awaitable<Status> commit(Call& call);
  // The record's cost from its usage and the call's price (none when unpriced).
  void priceUsage(Call& call);

  GatewayOptions options_;
  SnapshotHolder& snapshots_;
  metering::LedgerWriter& ledger_;
  control::Admission& admission_;
  std::map<std::string, std::unique_ptr<providers::Provider>> providers_;
  Clock& clock_;
  std::vector<metering::RecordSink*> sinks_;
};

}  // namespace costgate::gateway
