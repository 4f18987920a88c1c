// Restart recovery for 10,000 profiles: the time `costgate serve` spends opening its metric store
// and rebuilding the gap after the last checkpoint from a real SQLite ledger, and the memory the
// store then holds.
//
// A child process fills the store as serve would (Recorder::onRecord for one call per profile
// per minute, maintained and checkpointed the way MetricsService does) for range(0) hours of
// minutes (4: the 3-hour memory window and the head), writes the last 70 minutes before the
// checkpoint and 10 minutes after it into the ledger (the crash: those 10 minutes never reached a
// checkpoint), and exits. The measuring process then opens the store and replays, so its RSS is the
// store's alone.

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "metrics/service.h"
#include "store/sqlite_ledger.h"

namespace costgate::metrics {
namespace {

const TimePoint kStart = TimePoint(std::chrono::seconds(1772409600));  // 2026-03-02T00:00:00Z
constexpr int kProfiles = 10'000;
constexpr int kLedgerMinutesBefore = 70;  // what replay reads back before the checkpoint
constexpr int kGapMinutes = 10;           // calls after the checkpoint: the crash's gap

long rssKiB(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  return 0;
}

metering::UsageRecord callOf(int profile, int minute, int64_t seq) {
  metering::UsageRecord r;
  char id[32];
  std::snprintf(id, sizeof id, "01KB%022lld", static_cast<long long>(seq));  // 26 characters
  r.call_id = id;
  r.profile_id = "ip" + std::to_string(100000 + profile);
  r.profile_name = "customer" + std::to_string(profile) + "_websearch";
  r.tags = {{"TenantID", "customer" + std::to_string(profile / 2)},
            {"ApplicationID", "websearch" + std::to_string(profile % 7)}};
  r.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  r.usage.input_tokens = 800 + (seq * 7919) % 900;
  r.usage.output_tokens = 100 + (seq * 104729) % 400;
  r.cost.plain_input = Money::fromRaw(r.usage.input_tokens * 250'000'000'000LL);
  r.cost.output = Money::fromRaw(r.usage.output_tokens * 1'250'000'000'000LL);
  r.started_at = kStart + std::chrono::minutes(minute) + std::chrono::milliseconds(profile * 5);
  r.first_token_at = r.started_at + std::chrono::milliseconds(150 + seq % 200);
  r.ended_at = r.started_at + std::chrono::milliseconds(600 + seq % 1500);
  if (seq % 97 == 0) {
    r.status = metering::CallStatus::kFailure;
    r.http_status = seq % 2 ? 429 : 500;
  }
  return r;
}

// The child: fills, checkpoints, writes the ledger. Exits 0 on success.
int prepare(const std::string& dir, int hours) {
  const int minutes = hours * 60;
  FakeClock clock(kStart);
  StoreOptions o;
  o.dir = dir + "/costgate.db.metrics";
  auto ledger =
      store::openSqliteLedger(dir + "/costgate.db", store::LedgerDurability::kProcessCrash);
  if (!ledger) return 1;
  auto service = MetricsService::open(o, {}, clock);
  if (!service) return 2;
  int64_t seq = 0;
  std::vector<metering::UsageRecord> batch;
  for (int minute = 0; minute < minutes + kGapMinutes; ++minute) {
    const bool after = minute >= minutes;
    for (int p = 0; p < kProfiles; ++p) {
      metering::UsageRecord r = callOf(p, minute, ++seq);
      if (!after) (*service)->recorder().onRecord(r);
      if (minute >= minutes - kLedgerMinutesBefore) batch.push_back(std::move(r));
    }
    if (batch.size() >= 20'000) {
      if (!(*ledger)->append(batch)) return 3;
      batch.clear();
    }
    clock.set(kStart + std::chrono::minutes(minute + 1));
    // MetricsService's minute: maintain, then checkpoint; the last one before the gap is the one
    // the restart starts from.
    if (minute + 1 == minutes) {
      if (!(*service)->stop()) return 4;
    } else if (!after && minute % 10 == 9) {
      if (!(*service)->store().maintain()) return 5;
    }
  }
  if (!batch.empty() && !(*ledger)->append(batch)) return 3;
  return 0;
}

void BM_RestartRecovery10kProfiles(benchmark::State& state) {
  const int hours = static_cast<int>(state.range(0));
  char tmpl[] = "/tmp/costgate-recovery-bench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const auto fill0 = std::chrono::steady_clock::now();
  const pid_t child = ::fork();
  if (child == 0) ::_exit(prepare(dir, hours));
  int wstatus = 0;
  ::waitpid(child, &wstatus, 0);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    state.SkipWithError("preparing the store and ledger failed");
    std::filesystem::remove_all(dir);
    return;
  }
  const double fill_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - fill0).count();
  FakeClock clock(kStart + std::chrono::minutes(hours * 60 + kGapMinutes));
  StoreOptions o;
  o.dir = dir + "/costgate.db.metrics";
  double open_ms = 0, replay_ms = 0;
  size_t replayed = 0, skipped = 0, series = 0;
  long rss_before = 0, rss_after = 0;
  for (auto _ : state) {
    rss_before = rssKiB("VmRSS:");
    auto t0 = std::chrono::steady_clock::now();
    auto service = MetricsService::open(o, {}, clock);
    auto t1 = std::chrono::steady_clock::now();
    auto ledger =
        store::openSqliteLedger(dir + "/costgate.db", store::LedgerDurability::kProcessCrash);
    auto st = (*service)->replay(**ledger);
    auto t2 = std::chrono::steady_clock::now();
    if (!st) {
      state.SkipWithError(st.error().c_str());
      break;
    }
    rss_after = rssKiB("VmRSS:");
    open_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    replay_ms = std::chrono::duration<double, std::milli>(t2 - t1).count();
    replayed = st->records;
    skipped = st->skipped;
    series = (*service)->store().stats().series;
  }
  state.counters["fill_s"] = fill_s;
  state.counters["open_ms"] = open_ms;
  state.counters["replay_ms"] = replay_ms;
  state.counters["replayed"] = static_cast<double>(replayed);
  state.counters["skipped"] = static_cast<double>(skipped);
  state.counters["replay_records_per_s"] = static_cast<double>(replayed) / (replay_ms / 1000);
  state.counters["series"] = static_cast<double>(series);
  state.counters["rss_MiB_store"] = static_cast<double>(rss_after - rss_before) / 1024;
  state.counters["rss_MiB_process"] = static_cast<double>(rss_after) / 1024;
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RestartRecovery10kProfiles)
    ->Arg(4)
    ->ArgName("hours")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace costgate::metrics
