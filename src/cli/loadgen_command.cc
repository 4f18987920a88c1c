// `costgate loadgen`: realistic traffic to a running costgate, and what it cost.

#include "cli/loadgen_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "cli/child_process.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/strings.h"
#include "config/file_io.h"
#include "loadgen/runner.h"

namespace costgate::cli {

namespace {

struct LoadgenOptions {
  std::string target = "http://127.0.0.1:8080";
  std::string keys_path;
  std::string key;
  double rate = 1;
  size_t concurrency = 32;
  std::string duration;
  std::optional<uint64_t> calls;
  std::string profiles;
  std::string dialects = "seed,openai,anthropic,bedrock";
  double stream_share = 0.3;
  int64_t max_tokens = 200;
  std::vector<std::string> shapes;
  uint64_t seed = 1;
  std::string progress_every = "5s";
  std::string request_id_prefix = "loadgen";
  bool json = false;
};

Result<loadgen::KeyBook> keysFrom(const LoadgenOptions& o) {
  if (!o.keys_path.empty() && !o.key.empty()) {
    return makeError("--keys and --key are exclusive: give one");
  }
  if (o.keys_path.empty() && o.key.empty()) {
    return makeError("give --keys FILE (the output of `costgate setup --json`) or --key KEY");
  }
  if (!o.key.empty()) return loadgen::KeyBook::single(o.key);
  auto text = config::readTextFile(o.keys_path);
  if (!text) return makeError(fmt::format("--keys: {}", text.error()));
  auto book = loadgen::KeyBook::fromSetupJson(*text);
  if (!book) return makeError(fmt::format("--keys {}: {}", o.keys_path, book.error()));
  return std::move(*book);
}

// Builds the run from the flags; every error names its flag (exit 2).
Result<LoadgenPlan> planFrom(const LoadgenOptions& o) {
  if (!(o.rate > 0)) return makeError(fmt::format("--rate: {} is not a positive rate", o.rate));
  if (o.concurrency == 0) return makeError("--concurrency: must be at least 1");
  if (o.calls && *o.calls == 0) return makeError("--calls: must be at least 1");
  if (o.max_tokens < 1) return makeError("--max-tokens: must be at least 1");
  LoadgenPlan plan;
  auto keys = keysFrom(o);
  if (!keys) return makeError(keys.error());
  plan.keys = std::move(*keys);
  auto url = http::parseBaseUrl(o.target);
  if (!url) return makeError(fmt::format("--target: {}", url.error()));
  plan.run.target = *url;
  if (!o.duration.empty()) {
    auto d = loadgen::parseDuration(o.duration);
    if (!d) return makeError(fmt::format("--duration: {}", d.error()));
    plan.run.duration = *d;
  }
  plan.run.calls = o.calls;
  if (!plan.run.duration && !plan.run.calls) plan.run.duration = std::chrono::seconds(60);
  auto every = loadgen::parseDuration(o.progress_every);
  if (!every) return makeError(fmt::format("--progress-every: {}", every.error()));
  plan.run.progress_every = *every;

  // Profiles and their weights: the flag's, else every profile the keys name.
  std::vector<std::pair<std::string, double>> weights;
  if (!o.profiles.empty()) {
    auto w = loadgen::parseWeights(o.profiles, "--profiles");
    if (!w) return makeError(w.error());
    weights = std::move(*w);
  } else if (!plan.keys.profiles().empty()) {
    for (const std::string& p : plan.keys.profiles()) weights.emplace_back(p, 1);
  } else {
    return makeError("--profiles: needed with --key (which profiles to call is not known)");
  }
  double total = 0;
  for (const auto& [name, w] : weights) total += w;
  for (const auto& [name, w] : weights) {
    if (!plan.keys.forProfile(name)) {
      return makeError(
          fmt::format("--profiles: no key in {} reaches profile {}", o.keys_path, jsonQuote(name)));
    }
    loadgen::ProfileTraffic t;
    t.profile = name;
    t.rate = o.rate * w / total;
    t.max_tokens = o.max_tokens;
    plan.run.traffic.push_back(std::move(t));
  }
  for (const std::string& item : o.shapes) {
    for (std::string_view entry : split(item, ',')) {
      size_t eq = entry.find('=');
      std::string name(trim(entry.substr(0, eq)));
      auto shape = eq == std::string_view::npos ? std::nullopt
                                                : loadgen::parseShape(trim(entry.substr(eq + 1)));
      if (!shape) {
        return makeError(
            fmt::format("--shape: {} is not PROFILE=steady|ramp|spike", jsonQuote(entry)));
      }
      auto it = std::find_if(plan.run.traffic.begin(), plan.run.traffic.end(),
                             [&](const loadgen::ProfileTraffic& t) { return t.profile == name; });
      if (it == plan.run.traffic.end()) {
        return makeError(
            fmt::format("--shape: {} is not one of the profiles called", jsonQuote(name)));
      }
      it->shape.shape = *shape;
    }
  }

  // Dialects: Bedrock calls are SigV4-signed, so only with the AWS credentials of keys.json.
  auto d = loadgen::parseWeights(o.dialects, "--dialects");
  if (!d) return makeError(d.error());
  bool aws_everywhere = true;
  for (const loadgen::ProfileTraffic& t : plan.run.traffic) {
    if (!plan.keys.forProfile(t.profile)->aws) aws_everywhere = false;
  }
  for (const auto& [name, w] : *d) {
    auto dialect = loadgen::parseDialect(name);
    if (!dialect) {
      return makeError(fmt::format("--dialects: {} is not one of seed, openai, anthropic, bedrock",
                                   jsonQuote(name)));
    }
    if (*dialect == loadgen::Dialect::kBedrock && !aws_everywhere) {
      plan.notes.push_back(
          "bedrock calls skipped: they are SigV4-signed and the keys given carry no AWS "
          "credential (use --keys with the output of `costgate setup --json`)");
      continue;
    }
    plan.run.mix.dialects.emplace_back(*dialect, w);
  }
  if (plan.run.mix.dialects.empty()) {
    return makeError(
        "--dialects: nothing left to send (bedrock needs the AWS credentials of "
        "--keys)");
  }
  plan.run.mix.stream_share = o.stream_share;
  if (Status s = loadgen::checkMix(plan.run.mix); !s) return makeError(s.error());
  plan.run.concurrency = o.concurrency;
  plan.run.seed = o.seed;
  plan.run.request_id_prefix = o.request_id_prefix;
  return plan;
}

int runLoadgen(const LoadgenOptions& o) {
  auto plan = planFrom(o);
  if (!plan) {
    printError(plan.error());
    return kExitBadInput;
  }
  std::atomic<bool> stop{false};
  SignalFlag signals(stop);
  for (const std::string& note : plan->notes) printWarning(note);
  auto summary = runLoadgenPlan(
      *plan, stop, [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); });
  if (!summary) {
    printError(summary.error());
    return kExitFailure;
  }
  if (o.json) {
    printJson(summary->json());
  } else {
    std::fputs(summary->text().c_str(), stdout);
  }
  return kExitOk;
}

}  // namespace

Result<loadgen::Summary> runLoadgenPlan(LoadgenPlan& plan, const std::atomic<bool>& stop,
                                        std::function<void(const std::string&)> on_progress) {
  plan.run.keys = &plan.keys;
  plan.run.stop = &stop;
  plan.run.on_progress = std::move(on_progress);
  auto summary = loadgen::run(plan.run);
  if (summary) {
    for (const std::string& note : plan.notes) summary->addNote(note);
  }
  return summary;
}

void addLoadgenCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<LoadgenOptions>();
  CLI::App* cmd = app.add_subcommand(
      "loadgen",
      "Send realistic calls to a running costgate (open loop: a rate, a mix of profiles, "
      "dialects and streaming) and sum what they cost, exactly, from costgate's answers");
  cmd->add_option("--target", o->target, "costgate's base URL (default http://127.0.0.1:8080)");
  cmd->add_option("--keys", o->keys_path,
                  "the keys to call with: the output of `costgate setup --json` (each profile "
                  "with its tenant's key; Bedrock calls signed with its AWS credential)");
  cmd->add_option("--key", o->key, "one API key for every call (no Bedrock calls)");
  cmd->add_option("--rate", o->rate, "calls per second over all profiles (default 1)");
  cmd->add_option("--concurrency", o->concurrency,
                  "calls in flight at most; a call due beyond it is not sent, and counted "
                  "(default 32)");
  cmd->add_option("--duration", o->duration,
                  "how long to send: 60s, 2m, 500ms… (default 60s unless --calls is given)");
  cmd->add_option("--calls", o->calls, "stop after sending N calls");
  cmd->add_option("--profiles", o->profiles,
                  "profiles to call with weights, e.g. p1=3,p2=1 (default: every profile of "
                  "--keys, equally)");
  cmd->add_option("--dialects", o->dialects,
                  "client dialects with optional weights, from seed, openai, anthropic, bedrock "
                  "(default all four, equally)");
  cmd->add_option("--stream-share", o->stream_share,
                  "share of all calls that stream, 0..1 (default 0.3; /invoke never streams)");
  cmd->add_option("--max-tokens", o->max_tokens, "max_tokens of each call (default 200)");
  cmd->add_option("--shape", o->shapes,
                  "a profile's rate over time: PROFILE=steady|ramp|spike (ramp: 1/4 to 4x the "
                  "rate over 120 s; spike: 10x for 10 s at 45 s, then every 120 s)");
  cmd->add_option("--seed", o->seed, "seed of the dialect, streaming and prompt draws (default 1)");
  cmd->add_option("--progress-every", o->progress_every,
                  "a progress line on stderr this often (default 5s)");
  cmd->add_option("--request-id-prefix", o->request_id_prefix,
                  "each call's x-request-id is PREFIX-N (default loadgen)");
  cmd->add_flag("--json", o->json, "print the summary as JSON");
  cmd->callback([o, &exit_code] { exit_code = runLoadgen(*o); });
}

}  // namespace costgate::cli
