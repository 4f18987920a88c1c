// PrometheusCounters: the exact exposition for known records, label escaping, histogram buckets,
// exact cost sums, stable order, tag changes, new tag keys, the series cap and concurrency.

#include "metrics/prometheus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "metrics/prometheus_text.h"

namespace costgate::metrics {
namespace {

using std::chrono::milliseconds;
using Tags = std::vector<profiles::Tag>;

const TimePoint kT0 = TimePoint(milliseconds(1'767'225'600'000));  // 2026-01-01T00:00:00Z

Money usd(std::string_view text) { return *Money::parse(text); }

metering::UsageRecord record(std::string profile, Tags tags, int64_t duration_ms) {
  metering::UsageRecord r;
  r.call_id = "01KDTP0000000000000000000";
  r.profile_name = std::move(profile);
  r.tags = std::move(tags);
  r.started_at = kT0;
  r.ended_at = kT0 + milliseconds(duration_ms);
  return r;
}

metering::UsageRecord failure(std::string profile, Tags tags, int64_t duration_ms,
                              std::string error_type) {
  metering::UsageRecord r = record(std::move(profile), std::move(tags), duration_ms);
  r.status = metering::CallStatus::kFailure;
  r.http_status = 503;
  r.error_type = std::move(error_type);
  return r;
}

PrometheusOptions optionsFor(const std::vector<std::string>& keys) {
  PrometheusOptions o;
  o.dimensions = *labelDimensions(keys);
  o.version = "1.2.3";
  return o;
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> linesOf(const std::string& text, std::string_view prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

const Tags kCustomer1 = {
    {"TenantID", "customer1"}, {"ApplicationID", "websearch"}, {"Environment", "Dev"}};

TEST(PrometheusTest, ExactExpositionOfKnownRecords) {
  PrometheusCounters counters(optionsFor({"TenantID", "ApplicationID"}));
  metering::UsageRecord ok = record("customer1_websearch", kCustomer1, 120);
  ok.first_token_at = kT0 + milliseconds(40);
  ok.usage = {.input_tokens = 100, .output_tokens = 20, .cache_read_tokens = 30};
  ok.cost.plain_input = usd("0.000025");
  ok.cost.output = usd("0.000025");
  ok.cost.cache_read = usd("0.0000075");
  counters.onRecord(ok);
  counters.onRecord(failure("customer1_websearch", kCustomer1, 7, "upstream_unavailable"));

  ProcessFigures process{.start_time_ms = 1'767'225'600'123,
                         .resident_bytes = 1048576,
                         .virtual_bytes = 2097152,
                         .open_fds = 12,
                         .max_fds = 1024};
  const std::string text = counters.render({.committed_records = 2, .commits = 1}, process);

  const std::string l =
      R"(profile="customer1_websearch",application_id="websearch",tenant_id="customer1")";
  auto buckets = [&l](const std::string& name, std::vector<int> cumulative) {
    const char* le[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
                        "2.5",   "5",    "10",    "30",   "60",  "120",  "300", "+Inf"};
    std::string out;
    for (size_t i = 0; i < cumulative.size(); ++i) {
      out +=
          name + "_bucket{" + l + ",le=\"" + le[i] + "\"} " + std::to_string(cumulative[i]) + "\n";
    }
    return out;
  };
  const std::string expected =
      "# HELP costgate_build_info costgate's version, as a label; the value is 1.\n"
      "# TYPE costgate_build_info gauge\n"
      "costgate_build_info{version=\"1.2.3\"} 1\n"
      "# HELP costgate_calls_total Metered calls by outcome: success (the upstream answered) or "
      "failure (the upstream was called and the call failed). Each is one ledger record.\n"
      "# TYPE costgate_calls_total counter\n"
      "costgate_calls_total{" +
      l +
      ",status=\"success\"} 1\n"
      "costgate_calls_total{" +
      l +
      ",status=\"failure\"} 1\n"
      "# HELP costgate_call_errors_total Metered calls that ended with an error, by type "
      "(failures, and paid answers the client left early: client_disconnected).\n"
      "# TYPE costgate_call_errors_total counter\n"
      "costgate_call_errors_total{" +
      l +
      ",error_type=\"upstream_unavailable\"} 1\n"
      "# HELP costgate_tokens_total Tokens of metered calls by kind: input (plain, uncached), "
      "output, cache_read, cache_write.\n"
      "# TYPE costgate_tokens_total counter\n"
      "costgate_tokens_total{" +
      l +
      ",kind=\"input\"} 100\n"
      "costgate_tokens_total{" +
      l +
      ",kind=\"output\"} 20\n"
      "costgate_tokens_total{" +
      l +
      ",kind=\"cache_read\"} 30\n"
      "costgate_tokens_total{" +
      l +
      ",kind=\"cache_write\"} 0\n"
      "# HELP costgate_cost_usd_total Cost of metered calls in US dollars by the kind of token "
      "it paid for; exact, the sum over kinds equals the ledger's total cost.\n"
      "# TYPE costgate_cost_usd_total counter\n"
      "costgate_cost_usd_total{" +
      l +
      ",kind=\"input\"} 0.000025\n"
      "costgate_cost_usd_total{" +
      l +
      ",kind=\"output\"} 0.000025\n"
      "costgate_cost_usd_total{" +
      l +
      ",kind=\"cache_read\"} 0.0000075\n"
      "costgate_cost_usd_total{" +
      l +
      ",kind=\"cache_write\"} 0\n"
      "# HELP costgate_unpriced_calls_total Calls to a model without a price, made and recorded "
      "at zero cost (unpriced_models: allow_and_flag).\n"
      "# TYPE costgate_unpriced_calls_total counter\n"
      "costgate_unpriced_calls_total{" +
      l +
      "} 0\n"
      "# HELP costgate_estimated_usage_calls_total Calls whose token usage was estimated because "
      "the upstream's own count was not seen.\n"
      "# TYPE costgate_estimated_usage_calls_total counter\n"
      "costgate_estimated_usage_calls_total{" +
      l +
      "} 0\n"
      "# HELP costgate_request_duration_seconds Time from a metered call's arrival to its final "
      "record, in seconds.\n"
      "# TYPE costgate_request_duration_seconds histogram\n" +
      buckets("costgate_request_duration_seconds",
              {0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2}) +
      "costgate_request_duration_seconds_sum{" + l +
      "} 0.127\n"
      "costgate_request_duration_seconds_count{" +
      l +
      "} 2\n"
      "# HELP costgate_time_to_first_token_seconds Time from a streamed call's arrival to its "
      "first output token, in seconds.\n"
      "# TYPE costgate_time_to_first_token_seconds histogram\n" +
      buckets("costgate_time_to_first_token_seconds",
              {0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}) +
      "costgate_time_to_first_token_seconds_sum{" + l +
      "} 0.04\n"
      "costgate_time_to_first_token_seconds_count{" +
      l +
      "} 1\n"
      "# HELP costgate_ledger_records_committed_total Usage records committed to the ledger "
      "since the process started.\n"
      "# TYPE costgate_ledger_records_committed_total counter\n"
      "costgate_ledger_records_committed_total 2\n"
      "# HELP costgate_ledger_commits_total Ledger transactions (group commits) since the "
      "process started.\n"
      "# TYPE costgate_ledger_commits_total counter\n"
      "costgate_ledger_commits_total 1\n"
      "# HELP costgate_ledger_records_failed_total Usage records whose ledger commit failed (the "
      "calls were answered; the log names them).\n"
      "# TYPE costgate_ledger_records_failed_total counter\n"
      "costgate_ledger_records_failed_total 0\n"
      "# HELP costgate_prometheus_series Label sets (profile and tag values) this exposition "
      "holds.\n"
      "# TYPE costgate_prometheus_series gauge\n"
      "costgate_prometheus_series 1\n"
      "# HELP costgate_prometheus_dropped_records_total Records not counted here because the "
      "series cap was reached (the ledger has them).\n"
      "# TYPE costgate_prometheus_dropped_records_total counter\n"
      "costgate_prometheus_dropped_records_total 0\n"
      "# HELP process_start_time_seconds Start time of the process since the Unix epoch, in "
      "seconds.\n"
      "# TYPE process_start_time_seconds gauge\n"
      "process_start_time_seconds 1767225600.123\n"
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes 1048576\n"
      "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
      "# TYPE process_virtual_memory_bytes gauge\n"
      "process_virtual_memory_bytes 2097152\n"
      "# HELP process_open_fds Open file descriptors.\n"
      "# TYPE process_open_fds gauge\n"
      "process_open_fds 12\n"
      "# HELP process_max_fds The limit on open file descriptors.\n"
      "# TYPE process_max_fds gauge\n"
      "process_max_fds 1024\n";
  EXPECT_EQ(text, expected);
}

TEST(PrometheusTest, LabelValuesAndHelpAreEscaped) {
  EXPECT_EQ(escapeLabelValue("a\"b\\c\nd"), R"(a\"b\\c\nd)");
  EXPECT_EQ(escapeLabelValue("caf\xc3\xa9 {x}=y,z"), "caf\xc3\xa9 {x}=y,z");
  EXPECT_EQ(escapeHelp("one \\ two\nthree \"q\""), R"(one \\ two\nthree "q")");

  PrometheusCounters counters(optionsFor({"TenantID"}));
  counters.onRecord(record("p\"1", {{"TenantID", "t\\x\n\"y\""}}, 1));
  EXPECT_EQ(
      linesOf(counters.render({}, {}), "costgate_calls_total{"),
      (std::vector<std::string>{
          R"(costgate_calls_total{profile="p\"1",tenant_id="t\\x\n\"y\"",status="success"} 1)",
          R"(costgate_calls_total{profile="p\"1",tenant_id="t\\x\n\"y\"",status="failure"} 0)"}));
}

TEST(PrometheusTest, AMissingTagLeavesItsLabelOut) {
  PrometheusCounters counters(optionsFor({"TenantID", "ApplicationID"}));
  counters.onRecord(record("solo", {{"tenantid", "t9"}}, 1));  // keys match case-insensitively
  EXPECT_EQ(linesOf(counters.render({}, {}), "costgate_unpriced_calls_total{"),
            (std::vector<std::string>{
                R"(costgate_unpriced_calls_total{profile="solo",tenant_id="t9"} 0)"}));
}

TEST(PrometheusTest, HistogramBucketsAreCumulativeWithInclusiveBounds) {
  PrometheusCounters counters(optionsFor({}));
  for (int64_t ms : {0, 3, 5, 6, 400, 1000, 1001, 300000, 300001, 999999}) {
    counters.onRecord(record("p", {}, ms));
  }
  metering::UsageRecord backwards = record("p", {}, 0);
  backwards.ended_at = kT0 - milliseconds(50);  // a clock step: counted as 0
  counters.onRecord(backwards);
  const std::string text = counters.render({}, {});
  const std::vector<std::pair<const char*, int>> expected_buckets = {
      {"0.005", 4}, {"0.01", 5}, {"0.025", 5}, {"0.05", 5}, {"0.1", 5}, {"0.25", 5},
      {"0.5", 6},   {"1", 7},    {"2.5", 8},   {"5", 8},    {"10", 8},  {"30", 8},
      {"60", 8},    {"120", 8},  {"300", 9},   {"+Inf", 11}};
  std::vector<std::string> expected;
  for (const auto& [le, n] : expected_buckets) {
    expected.push_back("costgate_request_duration_seconds_bucket{profile=\"p\",le=\"" +
                       std::string(le) + "\"} " + std::to_string(n));
  }
  expected.push_back(R"(costgate_request_duration_seconds_sum{profile="p"} 1602.415)");
  expected.push_back(R"(costgate_request_duration_seconds_count{profile="p"} 11)");
  EXPECT_EQ(linesOf(text, "costgate_request_duration_seconds_"), expected);
  // No call had a first token: an empty histogram, every bucket 0.
  EXPECT_EQ(linesOf(text, "costgate_time_to_first_token_seconds_bucket{profile=\"p\",le=\"+Inf\"}"),
            std::vector<std::string>{
                R"(costgate_time_to_first_token_seconds_bucket{profile="p",le="+Inf"} 0)"});
}

TEST(PrometheusTest, CostSumsAreExactDecimals) {
  PrometheusCounters counters(optionsFor({}));
  // Binary floating point would lose 1e-18 next to 0.1 and drift over many small sums.
  metering::UsageRecord tiny = record("p", {}, 1);
  tiny.cost.plain_input = usd("0.000000000000000001");
  metering::UsageRecord dime = record("p", {}, 1);
  dime.cost.plain_input = usd("0.1");
  dime.cost.output = usd("12345678901.000000000000000007");
  for (int i = 0; i < 3; ++i) counters.onRecord(tiny);
  counters.onRecord(dime);
  metering::UsageRecord third = record("p", {}, 1);
  third.cost.cache_write = usd("0.000001");
  for (int i = 0; i < 1'000'000; ++i) counters.onRecord(third);
  EXPECT_EQ(
      linesOf(counters.render({}, {}), "costgate_cost_usd_total{"),
      (std::vector<std::string>{
          R"(costgate_cost_usd_total{profile="p",kind="input"} 0.100000000000000003)",
          R"(costgate_cost_usd_total{profile="p",kind="output"} 12345678901.000000000000000007)",
          R"(costgate_cost_usd_total{profile="p",kind="cache_read"} 0)",
          R"(costgate_cost_usd_total{profile="p",kind="cache_write"} 1)"}));
}

TEST(PrometheusTest, OrderIsStableWhateverTheArrivalOrder) {
  auto feed = [](const std::vector<metering::UsageRecord>& records) {
    PrometheusCounters counters(optionsFor({"Zone", "ApplicationID", "TenantID"}));
    for (const auto& r : records) counters.onRecord(r);
    return counters.render({}, {});
  };
  std::vector<metering::UsageRecord> records = {
      record("b", {{"TenantID", "t2"}, {"Zone", "z"}}, 1),
      record("a", {{"TenantID", "t1"}, {"ApplicationID", "x"}}, 1),
      record("b", {{"TenantID", "t1"}, {"Zone", "z"}}, 1),  // b's tags changed: a second series
      failure("a", {{"TenantID", "t1"}, {"ApplicationID", "x"}}, 1, "upstream_error"),
      failure("a", {{"TenantID", "t1"}, {"ApplicationID", "x"}}, 1, "timeout"),
  };
  const std::string text = feed(records);
  std::reverse(records.begin(), records.end());
  EXPECT_EQ(feed(records), text);
  // Profiles by name, then label values; labels by name: application_id, tenant_id, zone.
  EXPECT_EQ(
      linesOf(text, "costgate_calls_total{"),
      (std::vector<std::string>{
          R"(costgate_calls_total{profile="a",application_id="x",tenant_id="t1",status="success"} 1)",
          R"(costgate_calls_total{profile="a",application_id="x",tenant_id="t1",status="failure"} 2)",
          R"(costgate_calls_total{profile="b",tenant_id="t1",zone="z",status="success"} 1)",
          R"(costgate_calls_total{profile="b",tenant_id="t1",zone="z",status="failure"} 0)",
          R"(costgate_calls_total{profile="b",tenant_id="t2",zone="z",status="success"} 1)",
          R"(costgate_calls_total{profile="b",tenant_id="t2",zone="z",status="failure"} 0)"}));
  EXPECT_EQ(
      linesOf(text, "costgate_call_errors_total{"),
      (std::vector<std::string>{
          R"(costgate_call_errors_total{profile="a",application_id="x",tenant_id="t1",error_type="timeout"} 1)",
          R"(costgate_call_errors_total{profile="a",application_id="x",tenant_id="t1",error_type="upstream_error"} 1)"}));
  EXPECT_EQ(linesOf(text, "costgate_prometheus_series "),
            std::vector<std::string>{"costgate_prometheus_series 3"});
}

TEST(PrometheusTest, ErrorTypesAreBoundedWords) {
  PrometheusCounters counters(optionsFor({}));
  counters.onRecord(failure("p", {}, 1, "Bad Thing: {\"upstream\": 1}"));  // not a word: other
  for (size_t i = 0; i < kMaxErrorTypesPerSeries + 3; ++i) {
    counters.onRecord(failure("p", {}, 1, "type_" + std::string(1, static_cast<char>('a' + i))));
  }
  std::vector<std::string> lines = linesOf(counters.render({}, {}), "costgate_call_errors_total{");
  ASSERT_EQ(lines.size(), kMaxErrorTypesPerSeries);
  // "other" was the first seen, so 15 named types fit; the last 4 count as other.
  EXPECT_EQ(lines.front(), R"(costgate_call_errors_total{profile="p",error_type="other"} 5)");
  EXPECT_EQ(lines.back(), R"(costgate_call_errors_total{profile="p",error_type="type_o"} 1)");
}

TEST(PrometheusTest, DeclaredProfilesShowZeroesBeforeTheirFirstCall) {
  PrometheusCounters counters(optionsFor({"TenantID"}));
  counters.declareProfile("quiet", {{"TenantID", "t3"}});
  counters.declareProfile("quiet", {{"TenantID", "t3"}});  // once
  EXPECT_EQ(linesOf(counters.render({}, {}), "costgate_tokens_total{"),
            (std::vector<std::string>{
                R"(costgate_tokens_total{profile="quiet",tenant_id="t3",kind="input"} 0)",
                R"(costgate_tokens_total{profile="quiet",tenant_id="t3",kind="output"} 0)",
                R"(costgate_tokens_total{profile="quiet",tenant_id="t3",kind="cache_read"} 0)",
                R"(costgate_tokens_total{profile="quiet",tenant_id="t3",kind="cache_write"} 0)"}));
}

TEST(PrometheusTest, NewTagKeysBecomeLabelsUnlessTheyCollide) {
  PrometheusOptions o = optionsFor({"TenantID"});
  o.add_new_tag_keys = true;
  std::vector<std::string> problems;
  o.on_problem = [&problems](const std::string& p) { problems.push_back(p); };
  PrometheusCounters counters(std::move(o));
  counters.onRecord(record("a", {{"TenantID", "t1"}}, 1));
  counters.onRecord(record("b", {{"TenantID", "t2"}, {"CostCenter", "cc7"}}, 1));
  counters.onRecord(record("c", {{"tenant-id", "t3"}, {"TenantID", "t3"}}, 1));
  counters.onRecord(record("c", {{"tenant-id", "t3"}, {"TenantID", "t3"}}, 1));
  EXPECT_EQ(counters.dimensions(), (std::vector<LabelDimension>{{"TenantID", "tenant_id"},
                                                                {"CostCenter", "cost_center"}}));
  EXPECT_EQ(problems, std::vector<std::string>{
                          "/metrics: tag key \"tenant-id\" is not a label (tag keys \"TenantID\" "
                          "and \"tenant-id\" would both be the label \"tenant_id\"); set "
                          "metrics.dimensions in config.json to choose the tag keys that are"});
  EXPECT_EQ(linesOf(counters.render({}, {}), "costgate_unpriced_calls_total{"),
            (std::vector<std::string>{
                R"(costgate_unpriced_calls_total{profile="a",tenant_id="t1"} 0)",
                R"(costgate_unpriced_calls_total{profile="b",cost_center="cc7",tenant_id="t2"} 0)",
                R"(costgate_unpriced_calls_total{profile="c",tenant_id="t3"} 0)"}));
}

TEST(PrometheusTest, TheSeriesCapDropsAndCounts) {
  PrometheusOptions o = optionsFor({"TenantID"});
  o.max_series = 2;
  std::vector<std::string> problems;
  o.on_problem = [&problems](const std::string& p) { problems.push_back(p); };
  PrometheusCounters counters(std::move(o));
  counters.onRecord(record("a", {{"TenantID", "t1"}}, 1));
  counters.onRecord(record("a", {{"TenantID", "t2"}}, 1));
  counters.onRecord(record("a", {{"TenantID", "t3"}}, 1));
  counters.onRecord(record("b", {{"TenantID", "t1"}}, 1));
  counters.onRecord(record("a", {{"TenantID", "t1"}}, 1));
  const std::string text = counters.render({}, {});
  EXPECT_EQ(linesOf(text, "costgate_prometheus_dropped_records_total "),
            std::vector<std::string>{"costgate_prometheus_dropped_records_total 2"});
  EXPECT_EQ(linesOf(text, "costgate_request_duration_seconds_count{"),
            (std::vector<std::string>{
                R"(costgate_request_duration_seconds_count{profile="a",tenant_id="t1"} 2)",
                R"(costgate_request_duration_seconds_count{profile="a",tenant_id="t2"} 1)"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            "/metrics: 2 series reached (the cap); calls of further profiles or tag values are "
            "not counted there (costgate_prometheus_dropped_records_total), the ledger has them");
}

TEST(PrometheusTest, ConcurrentRecordsAreAllCounted) {
  PrometheusCounters counters(optionsFor({"TenantID"}));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&counters, t] {
      metering::UsageRecord r = record("p" + std::to_string(t % 2), {{"TenantID", "x"}}, 2);
      r.usage.output_tokens = 3;
      r.cost.output = usd("0.000000000000000001");
      for (int i = 0; i < kPerThread; ++i) {
        counters.onRecord(r);
        if (i % 5000 == 0) (void)counters.render({}, {});  // scrapes meanwhile
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::string text = counters.render({}, {});
  EXPECT_EQ(linesOf(text, "costgate_tokens_total{profile=\"p0\",tenant_id=\"x\",kind=\"output\"}"),
            std::vector<std::string>{
                R"(costgate_tokens_total{profile="p0",tenant_id="x",kind="output"} 120000)"});
  EXPECT_EQ(
      linesOf(text, "costgate_cost_usd_total{profile=\"p1\",tenant_id=\"x\",kind=\"output\"}"),
      std::vector<std::string>{
          R"(costgate_cost_usd_total{profile="p1",tenant_id="x",kind="output"} 0.00000000000004)"});
}

TEST(PrometheusTest, AlarmAndNotificationFiguresWhenTheAlarmsRun) {
  PrometheusCounters counters(optionsFor({"TenantID"}));
  EXPECT_EQ(counters.render({}, {}).find("costgate_alarm"), std::string::npos);
  const std::string text = counters.render({}, {},
                                           AlarmFigures{.ticks = 12,
                                                        .evaluation_errors = 3,
                                                        .last_tick_us = 81'250,
                                                        .ok = 299'990,
                                                        .alarm = 7,
                                                        .insufficient_data = 3,
                                                        .notifications_sent = 14,
                                                        .delivery_failures = 2,
                                                        .outbox_pending = 1});
  const size_t from = text.find("# HELP costgate_alarm_ticks_total");
  ASSERT_NE(from, std::string::npos);
  // After the exposition's own families, before the process's.
  EXPECT_LT(text.find("costgate_prometheus_dropped_records_total"), from);
  std::string figures;
  for (const std::string& line : linesOf(text.substr(from), "costgate_")) figures += line + "\n";
  EXPECT_EQ(figures,
            "costgate_alarm_ticks_total 12\n"
            "costgate_alarm_evaluation_errors_total 3\n"
            "costgate_alarm_tick_duration_seconds 0.08125\n"
            "costgate_alarms{state=\"OK\"} 299990\n"
            "costgate_alarms{state=\"ALARM\"} 7\n"
            "costgate_alarms{state=\"INSUFFICIENT_DATA\"} 3\n"
            "costgate_notifications_sent_total 14\n"
            "costgate_notification_delivery_failures_total 2\n"
            "costgate_notification_outbox_pending 1\n");
  EXPECT_NE(text.find("# TYPE costgate_alarms gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE costgate_notification_delivery_failures_total counter\n"),
            std::string::npos);
  // Not counted yet: the pending gauge is left out, the rest stays.
  const std::string uncounted = counters.render({}, {}, AlarmFigures{});
  EXPECT_EQ(uncounted.find("costgate_notification_outbox_pending"), std::string::npos);
  EXPECT_NE(uncounted.find("costgate_notifications_sent_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace costgate::metrics
