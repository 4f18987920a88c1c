#pragma once
// What a load-generator run did, per profile and in total: calls sent, answers by status, tokens
// and the exact cost costgate reported for them (summed as Money, never as floating point), and
// latency percentiles. Not thread-safe: the runner's one I/O thread owns it.

#include <boost/json/object.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/money.h"
#include "loadgen/plan.h"
#include "loadgen/wire.h"

namespace costgate::loadgen {

struct ProfileStats {
  uint64_t calls = 0;     // sent
  uint64_t streamed = 0;  // of which asked to stream
  // Answers by HTTP status ("200", "429", …), plus "transport_error" for calls that got no
  // answer and "stream_error" for 200 streams that ended in an error event.
  std::map<std::string, uint64_t> by_status;
  std::map<std::string, uint64_t> by_dialect;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  Money cost;                        // the sum of every x-costgate-cost-usd seen
  uint64_t without_cost = 0;         // answers that carried no cost (refused before a profile, …)
  std::vector<double> latencies_ms;  // from sending to the last byte of the answer

  void add(const ProfileStats& other);
};

// One finished call, as the runner saw it.
struct CallOutcome {
  std::string profile;  // the profile the call was sent for
  Dialect dialect = Dialect::kSeed;
  bool stream = false;
  std::string status;  // "200", "503", "transport_error", "stream_error"
  CallFacts facts;
  double latency_ms = 0;
};

class Summary {
 public:
  void record(const CallOutcome& outcome);
  void noteSkipped() { ++skipped_; }
  void setElapsed(double seconds) { elapsed_s_ = seconds; }
  void addNote(std::string note) { notes_.push_back(std::move(note)); }

  uint64_t sent() const { return total().calls; }
  uint64_t skipped() const { return skipped_; }
  double elapsed() const { return elapsed_s_; }
  const std::map<std::string, ProfileStats>& profiles() const { return profiles_; }
  ProfileStats total() const;

  // A table per profile and a total line, for people.
  std::string text() const;
  // {"elapsed_s", "calls", "skipped_concurrency_cap", "notes", "total": {…},
  //  "profiles": {name: {…}}}; each stats object: calls, streamed, by_status, by_dialect,
  // input_tokens, output_tokens, cost_usd (an exact decimal string), calls_without_cost,
  // latency_ms {p50, p99, max}.
  boost::json::object json() const;

 private:
  std::map<std::string, ProfileStats> profiles_;
  uint64_t skipped_ = 0;
  double elapsed_s_ = 0;
  std::vector<std::string> notes_;
};

// The nearest-rank percentile (p in (0, 100]) of `values`; 0 for none. Sorts a copy.
double percentile(std::vector<double> values, double p);

}  // namespace costgate::loadgen
