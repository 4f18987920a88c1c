#include "loadgen/summary.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace costgate::loadgen {

namespace json = boost::json;

namespace {

std::string statusText(const std::map<std::string, uint64_t>& by_status) {
  std::string out;
  for (const auto& [status, n] : by_status) {
    out += fmt::format("{}{}={}", out.empty() ? "" : " ", status, n);
  }
  return out.empty() ? "-" : out;
}

json::object statsJson(const ProfileStats& s) {
  json::object by_status, by_dialect;
  for (const auto& [k, n] : s.by_status) by_status[k] = n;
  for (const auto& [k, n] : s.by_dialect) by_dialect[k] = n;
  double max =
      s.latencies_ms.empty() ? 0 : *std::max_element(s.latencies_ms.begin(), s.latencies_ms.end());
  return json::object{{"calls", s.calls},
                      {"streamed", s.streamed},
                      {"by_status", std::move(by_status)},
                      {"by_dialect", std::move(by_dialect)},
                      {"input_tokens", s.input_tokens},
                      {"output_tokens", s.output_tokens},
                      // An exact decimal string, as the ledger's reports give it.
                      {"cost_usd", s.cost.toString()},
                      {"calls_without_cost", s.without_cost},
                      {"latency_ms", json::object{{"p50", percentile(s.latencies_ms, 50)},
                                                  {"p99", percentile(s.latencies_ms, 99)},
                                                  {"max", max}}}};
}

}  // namespace

void ProfileStats::add(const ProfileStats& o) {
  calls += o.calls;
  streamed += o.streamed;
  for (const auto& [k, n] : o.by_status) by_status[k] += n;
  for (const auto& [k, n] : o.by_dialect) by_dialect[k] += n;
  input_tokens += o.input_tokens;
  output_tokens += o.output_tokens;
  cost += o.cost;
  without_cost += o.without_cost;
  latencies_ms.insert(latencies_ms.end(), o.latencies_ms.begin(), o.latencies_ms.end());
}

void Summary::record(const CallOutcome& c) {
  ProfileStats& s = profiles_[c.profile];
  ++s.calls;
  if (c.stream) ++s.streamed;
  ++s.by_status[c.status];
  ++s.by_dialect[dialectName(c.dialect)];
  s.input_tokens += c.facts.input_tokens;
  s.output_tokens += c.facts.output_tokens;
  if (c.facts.cost) {
    s.cost += *c.facts.cost;
  } else {
    ++s.without_cost;
  }
  s.latencies_ms.push_back(c.latency_ms);
}

ProfileStats Summary::total() const {
  ProfileStats t;
  for (const auto& [name, s] : profiles_) t.add(s);
  return t;
}

std::string Summary::text() const {
  std::string out =
      fmt::format("{:<24} {:>6} {:>6} {:>9} {:>9} {:>22} {:>8} {:>8}  {}\n", "PROFILE", "CALLS",
                  "STREAM", "INPUT", "OUTPUT", "COST USD", "P50 MS", "P99 MS", "ANSWERS");
  auto row = [&](const std::string& name, const ProfileStats& s) {
    out += fmt::format("{:<24} {:>6} {:>6} {:>9} {:>9} {:>22} {:>8.1f} {:>8.1f}  {}\n", name,
                       s.calls, s.streamed, s.input_tokens, s.output_tokens, s.cost.toString(),
                       percentile(s.latencies_ms, 50), percentile(s.latencies_ms, 99),
                       statusText(s.by_status));
  };
  for (const auto& [name, s] : profiles_) row(name, s);
  ProfileStats t = total();
  row("total", t);
  std::string dialects;
  for (const auto& [d, n] : t.by_dialect) {
    dialects += fmt::format("{}{} {}", dialects.empty() ? "" : ", ", d, n);
  }
  out += fmt::format("{} calls in {:.1f} s ({:.2f}/s); dialects: {}", t.calls, elapsed_s_,
                     elapsed_s_ > 0 ? static_cast<double>(t.calls) / elapsed_s_ : 0.0,
                     dialects.empty() ? "-" : dialects);
  if (skipped_) out += fmt::format("; {} not sent (the concurrency cap was reached)", skipped_);
  if (t.without_cost) out += fmt::format("; {} answers carried no cost", t.without_cost);
  out += "\n";
  for (const std::string& note : notes_) out += fmt::format("note: {}\n", note);
  return out;
}

json::object Summary::json() const {
  json::object profiles;
  for (const auto& [name, s] : profiles_) profiles[name] = statsJson(s);
  json::array notes;
  for (const std::string& n : notes_) notes.emplace_back(n);
  ProfileStats t = total();
  return json::object{{"elapsed_s", std::round(elapsed_s_ * 1000) / 1000},
                      {"calls", t.calls},
                      {"skipped_concurrency_cap", skipped_},
                      {"notes", std::move(notes)},
                      {"total", statsJson(t)},
                      {"profiles", std::move(profiles)}};
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

}  // namespace costgate::loadgen
