#pragma once
// The load generator's run: paces calls per the plan (open loop: a call due while the
// concurrency cap is reached is not sent and is counted), sends each through costgate's own
// HttpClient on one io_context thread (the caller's), and sums what the answers report.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "http/client.h"
#include "loadgen/keys.h"
#include "loadgen/plan.h"
#include "loadgen/summary.h"

namespace costgate::loadgen {

struct RunOptions {
  http::Url target;
  std::vector<ProfileTraffic> traffic;
  const KeyBook* keys = nullptr;  // must reach every profile; Bedrock calls need its AWS keys
  Mix mix;
  uint64_t seed = 1;
  size_t concurrency = 32;
  // The run ends at the first of: the duration, the number of calls sent, `stop` set (by
  // another thread, e.g. on SIGINT). With none of them it runs until `stop`.
  std::optional<std::chrono::milliseconds> duration;
  std::optional<uint64_t> calls;
  const std::atomic<bool>* stop = nullptr;
  // After the end, how long the calls in flight may take to finish (the rest are abandoned and
  // counted as transport errors).
  std::chrono::milliseconds drain{30'000};
  // A progress line every so often (none when the callback is empty).
  std::chrono::milliseconds progress_every{5'000};
  std::function<void(const std::string&)> on_progress;
  // Each call's x-request-id is PREFIX-N (N from 1), so its ledger row can be found.
  std::string request_id_prefix = "loadgen";
  std::string sigv4_region = "us-west-2";
};

// Runs the traffic to its end and returns what it did. Blocks the calling thread.
Result<Summary> run(const RunOptions& options);

// One GET of `path` at `target`, waiting at most `timeout`: the answer's status, or why there
// was none. For readiness checks (GET /readyz).
Result<int> probe(const http::Url& target, const std::string& path,
                  std::chrono::milliseconds timeout);

}  // namespace costgate::loadgen
