#pragma once
// What `costgate loadgen` and `costgate demo` share: a planned run (its keys, its traffic and
// notes about what was left out) and running it with progress lines and a stop flag.

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "loadgen/keys.h"
#include "loadgen/runner.h"
#include "loadgen/summary.h"

namespace costgate::cli {

struct LoadgenPlan {
  loadgen::KeyBook keys;
  loadgen::RunOptions run;         // keys, stop and on_progress are set by runLoadgenPlan
  std::vector<std::string> notes;  // e.g. why Bedrock calls were skipped; added to the summary
};

// Runs `plan` until it ends or `stop` is set; blocks the calling thread.
Result<loadgen::Summary> runLoadgenPlan(LoadgenPlan& plan, const std::atomic<bool>& stop,
                                        std::function<void(const std::string&)> on_progress);

}  // namespace costgate::cli
