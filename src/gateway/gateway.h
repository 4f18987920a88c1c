#pragma once
// Gateway: the request path, and the only place that knows the order of its stages:
// authenticate → decode → resolve the profile → price lookup → admission → upstream →
// meter → ledger commit → answer (ARCHITECTURE.md, "The path of one request").
//
// Thread-safe: one Gateway serves every io_context thread.

#include <map>
#include <memory>
#include <string>

#include "api/dialect.h"
#include "common/clock.h"
#include "control/admission.h"
#include "gateway/snapshot.h"
#include "http/router.h"
#include "metering/ledger_writer.h"
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

class Gateway {
 public:
  Gateway(GatewayOptions options, SnapshotHolder& snapshots, metering::LedgerWriter& ledger,
          control::Admission& admission,
          std::map<std::string, std::unique_ptr<providers::Provider>> providers, Clock& clock);

  // Registers /invoke, /v1/chat/completions, /v1/messages, /healthz and /readyz.
  void addRoutes(http::Router& router);

  // Releases the upstreams' pooled connections; call after the server's threads have stopped.
  void shutdown();

  // One inference call in `dialect`.
  boost::asio::awaitable<void> handleChat(const api::Dialect& dialect, http::Request& req,
                                          http::Responder& res);

 private:
  struct Call;
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
};

}  // namespace costgate::gateway
