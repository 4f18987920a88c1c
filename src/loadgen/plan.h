#pragma once
// The traffic a load generator sends, as pure logic (no I/O, no clock): each profile's base rate
// and the shape that modulates it over time, an open-loop pacer that says which calls are due,
// and a seeded chooser of each call's dialect, streaming and prompt. The runner (runner.h) turns
// this into HTTP calls; tests drive it with made-up times.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace costgate::loadgen {

// A client dialect, named as the ledger's `dialect` column names it.
enum class Dialect { kSeed, kOpenAi, kAnthropic, kBedrock };
const char* dialectName(Dialect d);  // "seed", "openai", "anthropic", "bedrock"
std::optional<Dialect> parseDialect(std::string_view name);
// The seed's POST /invoke answers whole; the others can stream.
bool canStream(Dialect d);

// How a profile's rate changes over time (t: seconds since the run started):
//   steady  the base rate throughout;
//   ramp    from ramp_from × base at t=0 linearly to ramp_to × base at t=ramp_seconds, then held;
//   spike   the base rate, except spike_factor × base for spike_seconds, first at spike_first and
//           then every spike_every seconds.
enum class Shape { kSteady, kRamp, kSpike };
const char* shapeName(Shape s);  // "steady", "ramp", "spike"
std::optional<Shape> parseShape(std::string_view name);

struct ShapeParams {
  Shape shape = Shape::kSteady;
  double ramp_seconds = 120;
  double ramp_from = 0.25;
  double ramp_to = 4;
  double spike_first = 45;
  double spike_every = 120;
  double spike_seconds = 10;
  double spike_factor = 10;
};

// The multiplier of the base rate at `t` seconds.
double rateFactor(const ShapeParams& s, double t);

// One profile's share of the traffic.
struct ProfileTraffic {
  std::string profile;  // the profile's name
  double rate = 0;      // base calls per second
  ShapeParams shape;
  int64_t max_tokens = 200;
};

// Open-loop pacing: each profile's rate is integrated over time and a call is due each time the
// integral passes a whole number; every profile's first call is due at t=0. Deterministic: the
// same times give the same calls.
class Pacer {
 public:
  explicit Pacer(std::vector<ProfileTraffic> traffic);
  // Appends to `due` the indexes (into the traffic) of the calls due in (last t, t], in time
  // order within one step of at most 10 ms. `t` must not go back.
  void advance(double t, std::vector<size_t>& due);
  const std::vector<ProfileTraffic>& traffic() const { return traffic_; }

 private:
  std::vector<ProfileTraffic> traffic_;
  std::vector<double> credit_;
  double last_ = 0;
  bool started_ = false;
};

// The per-call mix: dialects with weights and the share of all calls that stream.
struct Mix {
  std::vector<std::pair<Dialect, double>> dialects;
  double stream_share = 0;
};

// Checks that the mix can be met: at least one dialect, positive weights, a share in [0, 1] and
// no more than the calls in dialects that can stream. The error names the flag at fault.
Status checkMix(const Mix& mix);

// Draws each call's dialect, whether it streams (among dialects that can, with the probability
// that makes the share of all calls the mix's) and its prompt. Seeded: the same seed gives the
// same sequence.
class Chooser {
 public:
  Chooser(Mix mix, uint64_t seed);
  struct Choice {
    Dialect dialect = Dialect::kSeed;
    bool stream = false;
    size_t prompt = 0;  // an index into prompts()
  };
  Choice next();

 private:
  Mix mix_;
  double stream_given_streamable_ = 0;
  std::mt19937_64 rng_;
};

// Realistic user prompts (a few dozen to a few hundred characters).
const std::vector<std::string>& prompts();

// "60s", "2m", "1h", "500ms" or plain seconds ("90", "1.5"); positive.
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

// "a=3,b=1,c": names with positive weights (1 when none is given), in order, no duplicates.
// `what` names the flag in errors.
Result<std::vector<std::pair<std::string, double>>> parseWeights(std::string_view text,
                                                                 std::string_view what);

}  // namespace costgate::loadgen
