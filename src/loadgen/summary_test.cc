#include "loadgen/summary.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace costgate::loadgen {
namespace {

CallOutcome outcome(std::string profile, Dialect d, bool stream, std::string status,
                    const char* cost, int64_t in, int64_t out, double ms) {
  CallOutcome c;
  c.profile = std::move(profile);
  c.dialect = d;
  c.stream = stream;
  c.status = std::move(status);
  if (cost) c.facts.cost = *Money::parse(cost);
  c.facts.input_tokens = in;
  c.facts.output_tokens = out;
  c.latency_ms = ms;
  return c;
}

TEST(SummaryTest, SumsExactlyPerProfileAndInTotal) {
  Summary s;
  // 0.1 + 0.2 is 0.3 exactly here (as a double sum it would not be).
  s.record(outcome("a", Dialect::kOpenAi, true, "200", "0.1", 10, 20, 5));
  s.record(outcome("a", Dialect::kSeed, false, "200", "0.2", 1, 2, 7));
  s.record(outcome("b", Dialect::kBedrock, false, "503", "0.000000000000000001", 3, 0, 9));
  s.record(outcome("b", Dialect::kAnthropic, false, "transport_error", nullptr, 0, 0, 1));
  s.noteSkipped();
  s.setElapsed(2);
  EXPECT_EQ(s.sent(), 4u);
  EXPECT_EQ(s.profiles().at("a").cost.toString(), "0.3");
  ProfileStats t = s.total();
  EXPECT_EQ(t.cost.toString(), "0.300000000000000001");
  EXPECT_EQ(t.input_tokens, 14);
  EXPECT_EQ(t.output_tokens, 22);
  EXPECT_EQ(t.streamed, 1u);
  EXPECT_EQ(t.without_cost, 1u);
  EXPECT_EQ(t.by_status,
            (std::map<std::string, uint64_t>{{"200", 2}, {"503", 1}, {"transport_error", 1}}));

  boost::json::object j = s.json();
  EXPECT_EQ(j["calls"].as_uint64(), 4u);
  EXPECT_EQ(j["skipped_concurrency_cap"].as_uint64(), 1u);
  EXPECT_EQ(j["total"].at("cost_usd").as_string(), "0.300000000000000001");
  EXPECT_EQ(j["profiles"].at("a").at("cost_usd").as_string(), "0.3");
  EXPECT_EQ(j["profiles"].at("a").at("by_dialect").at("openai").as_uint64(), 1u);
  EXPECT_EQ(j["profiles"].at("b").at("by_status").at("503").as_uint64(), 1u);
  EXPECT_EQ(j["profiles"].at("a").at("latency_ms").at("p50").as_double(), 5);
  EXPECT_EQ(j["profiles"].at("a").at("latency_ms").at("p99").as_double(), 7);

  std::string text = s.text();
  EXPECT_NE(text.find("0.300000000000000001"), std::string::npos) << text;
  EXPECT_NE(text.find("1 not sent (the concurrency cap was reached)"), std::string::npos) << text;
}

TEST(PercentileTest, NearestRank) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i) v.push_back(i);
  EXPECT_EQ(percentile(v, 50), 50);
  EXPECT_EQ(percentile(v, 99), 99);
  EXPECT_EQ(percentile(v, 100), 100);
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({3}, 99), 3);
}

}  // namespace
}  // namespace costgate::loadgen
