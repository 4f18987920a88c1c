#include "loadgen/plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/strings.h"

namespace costgate::loadgen {

const char* dialectName(Dialect d) {
  switch (d) {
    case Dialect::kSeed:
      return "seed";
    case Dialect::kOpenAi:
      return "openai";
    case Dialect::kAnthropic:
      return "anthropic";
    case Dialect::kBedrock:
      return "bedrock";
  }
  return "seed";
}

std::optional<Dialect> parseDialect(std::string_view name) {
  for (Dialect d : {Dialect::kSeed, Dialect::kOpenAi, Dialect::kAnthropic, Dialect::kBedrock}) {
    if (name == dialectName(d)) return d;
  }
  return std::nullopt;
}

bool canStream(Dialect d) { return d != Dialect::kSeed; }

const char* shapeName(Shape s) {
  switch (s) {
    case Shape::kSteady:
      return "steady";
    case Shape::kRamp:
      return "ramp";
    case Shape::kSpike:
      return "spike";
  }
  return "steady";
}

std::optional<Shape> parseShape(std::string_view name) {
  for (Shape s : {Shape::kSteady, Shape::kRamp, Shape::kSpike}) {
    if (name == shapeName(s)) return s;
  }
  return std::nullopt;
}

double rateFactor(const ShapeParams& s, double t) {
  switch (s.shape) {
    case Shape::kSteady:
      return 1;
    case Shape::kRamp: {
      double progress = s.ramp_seconds > 0 ? std::clamp(t / s.ramp_seconds, 0.0, 1.0) : 1.0;
      return s.ramp_from + (s.ramp_to - s.ramp_from) * progress;
    }
    case Shape::kSpike: {
      if (t < s.spike_first) return 1;
      double into =
          s.spike_every > 0 ? std::fmod(t - s.spike_first, s.spike_every) : t - s.spike_first;
      return into < s.spike_seconds ? s.spike_factor : 1;
    }
  }
  return 1;
}

Pacer::Pacer(std::vector<ProfileTraffic> traffic)
    : traffic_(std::move(traffic)), credit_(traffic_.size(), 1.0) {}

void Pacer::advance(double t, std::vector<size_t>& due) {
  // Each profile holds a credit of calls; a whole credit is a call due. Starting at one credit
  // makes every profile's first call go at once.
  auto collect = [&] {
    for (size_t i = 0; i < credit_.size(); ++i) {
      while (credit_[i] >= 1.0) {
        credit_[i] -= 1.0;
        due.push_back(i);
      }
    }
  };
  if (!started_) {
    started_ = true;
    collect();
  }
  // Midpoint integration in steps of at most 10 ms: exact for steady and ramp, and within one
  // step of a spike's edges.
  constexpr double kStep = 0.010;
  while (last_ < t) {
    double next = std::min(t, last_ + kStep);
    double mid = (last_ + next) / 2;
    for (size_t i = 0; i < traffic_.size(); ++i) {
      credit_[i] += traffic_[i].rate * rateFactor(traffic_[i].shape, mid) * (next - last_);
    }
    last_ = next;
    collect();
  }
}

Status checkMix(const Mix& mix) {
  if (mix.dialects.empty()) return makeError("--dialects: no dialect to send calls in");
  double total = 0, streamable = 0;
  for (const auto& [d, w] : mix.dialects) {
    if (!(w > 0)) {
      return makeError(
          fmt::format("--dialects: the weight of {} must be positive", dialectName(d)));
    }
    total += w;
    if (canStream(d)) streamable += w;
  }
  if (!(mix.stream_share >= 0 && mix.stream_share <= 1)) {
    return makeError(fmt::format("--stream-share: {} is not between 0 and 1", mix.stream_share));
  }
  // A tolerance for weights like 1/3 that do not add up exactly.
  if (mix.stream_share > streamable / total + 1e-9) {
    return makeError(fmt::format(
        "--stream-share: {} is more than the share of calls in dialects that can stream ({:.3g}; "
        "the seed's /invoke answers whole)",
        mix.stream_share, streamable / total));
  }
  return {};
}

Chooser::Chooser(Mix mix, uint64_t seed) : mix_(std::move(mix)), rng_(seed) {
  double total = 0, streamable = 0;
  for (const auto& [d, w] : mix_.dialects) {
    total += w;
    if (canStream(d)) streamable += w;
  }
  stream_given_streamable_ =
      streamable > 0 ? std::min(1.0, mix_.stream_share * total / streamable) : 0.0;
}

Chooser::Choice Chooser::next() {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double total = 0;
  for (const auto& [d, w] : mix_.dialects) total += w;
  double pick = unit(rng_) * total;
  Choice c;
  c.dialect = mix_.dialects.back().first;
  for (const auto& [d, w] : mix_.dialects) {
    if (pick < w) {
      c.dialect = d;
      break;
    }
    pick -= w;
  }
  double s = unit(rng_);
  c.stream = canStream(c.dialect) && s < stream_given_streamable_;
  c.prompt = static_cast<size_t>(rng_() % prompts().size());
  return c;
}

const std::vector<std::string>& prompts() {
  static const std::vector<std::string> all = {
      "What changed in the EU AI Act this month?",
      "Find three recent reviews of the Framework Laptop 16 and summarise what they agree on.",
      "Write a Python function that merges two sorted lists without using sort().",
      "Why does my React component render twice in development mode?",
      "Compare PostgreSQL logical replication with physical streaming replication for a "
      "read-heavy service with one writer.",
      "Summarise today's news about interest rates in two sentences.",
      "Refactor this loop into a list comprehension: for x in xs: if x % 2: out.append(x * x)",
      "Explain the difference between a mutex and a semaphore to a new engineer.",
      "What are the opening hours of the British Museum on public holidays?",
      "Write a unit test for a function that parses ISO 8601 durations like PT1H30M.",
  };
  return all;
}

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
  std::string_view t = trim(text);
  double scale = 1000;  // plain numbers are seconds
  std::string_view number = t;
  for (auto [suffix, ms] : {std::pair<std::string_view, double>{"ms", 1},
                            {"s", 1000},
                            {"m", 60'000},
                            {"h", 3'600'000}}) {
    if (t.size() > suffix.size() && t.ends_with(suffix)) {
      number = t.substr(0, t.size() - suffix.size());
      scale = ms;
      break;
    }
  }
  double value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || end != number.data() + number.size() || !(value > 0) ||
      !std::isfinite(value)) {
    return makeError(
        fmt::format("{} is not a positive duration (e.g. 60s, 2m, 1h, 500ms, or plain seconds)",
                    jsonQuote(text)));
  }
  auto ms = static_cast<int64_t>(std::llround(value * scale));
  if (ms <= 0) return makeError(fmt::format("{} is shorter than a millisecond", jsonQuote(text)));
  return std::chrono::milliseconds(ms);
}

Result<std::vector<std::pair<std::string, double>>> parseWeights(std::string_view text,
                                                                 std::string_view what) {
  std::vector<std::pair<std::string, double>> out;
  for (std::string_view item : split(text, ',')) {
    item = trim(item);
    if (item.empty())
      return makeError(fmt::format("{}: an empty entry in {}", what, jsonQuote(text)));
    double weight = 1;
    std::string_view name = item;
    if (size_t eq = item.find('='); eq != std::string_view::npos) {
      name = trim(item.substr(0, eq));
      std::string_view w = trim(item.substr(eq + 1));
      auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), weight);
      if (ec != std::errc() || end != w.data() + w.size() || !(weight > 0) ||
          !std::isfinite(weight)) {
        return makeError(fmt::format("{}: the weight of {} must be a positive number, not {}", what,
                                     jsonQuote(name), jsonQuote(w)));
      }
    }
    if (name.empty())
      return makeError(fmt::format("{}: a weight without a name in {}", what, jsonQuote(text)));
    for (const auto& [seen, _] : out) {
      if (seen == name)
        return makeError(fmt::format("{}: {} is given twice", what, jsonQuote(name)));
    }
    out.emplace_back(std::string(name), weight);
  }
  if (out.empty()) return makeError(fmt::format("{}: nothing given", what));
  return out;
}

}  // namespace costgate::loadgen
