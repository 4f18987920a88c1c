// The ledger's group commit as serve runs it: batches of records, as the gateway's calls make
// them (~550 bytes a row: tags, prices, costs), appended to a file-backed SQLite ledger in WAL mode
// (durability process_crash, background checkpoints). Arg: records per batch.
//
// Counter: records per second. For the pages each commit writes, count the pwrite()s:
//
//   strace -f -c -e trace=pwrite64 build/costgate_bench --benchmark_filter=BM_LedgerGroupCommit/6

#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>
#include <vector>

#include "metering/usage_record.h"
#include "store/sqlite_ledger.h"

namespace costgate::store {
namespace {

metering::UsageRecord benchRecord(TimePoint start) {
  metering::UsageRecord r;
  r.call_id = metering::newCallId(start);
  r.request_id = "req-0123456789abcdef";
  r.started_at = start;
  r.first_token_at = start + std::chrono::milliseconds(180);
  r.ended_at = start + std::chrono::milliseconds(900);
  r.profile_id = "ip-0f3c9a1b2d4e5f60";
  r.profile_name = "customer1_websearch";
  r.tags = {{"TenantID", "customer1"}, {"ApplicationID", "websearch"}, {"Environment", "prod"}};
  r.key_id = "key_0123456789ab";
  r.model_id = "gpt-4o-mini-2024-07-18";
  r.region = "us-east-1";
  r.dialect = "openai";
  r.upstream = "openai";
  r.usage.input_tokens = 24;
  r.usage.output_tokens = 13;
  r.prices.input_per_1k = *Money::parse("0.00015");
  r.prices.output_per_1k = *Money::parse("0.0006");
  r.cost.plain_input = *Money::parse("0.0000036");
  r.cost.output = *Money::parse("0.0000078");
  r.http_status = 200;
  return r;
}

void BM_LedgerGroupCommit(benchmark::State& state) {
  const size_t batch_size = static_cast<size_t>(state.range(0));
  const std::string dir = std::filesystem::temp_directory_path() / "costgate-ledger-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/costgate.db";
  {
    auto ledger = openSqliteLedger(path, LedgerDurability::kProcessCrash,
                                   LedgerCheckpoints::kBackground);
    if (!ledger) std::abort();
    TimePoint t = TimePoint(std::chrono::milliseconds(1'795'000'000'000));
    std::vector<metering::UsageRecord> batch(batch_size);
    uint64_t batches = 0;
    for (auto _ : state) {
      state.PauseTiming();
      for (auto& r : batch) {
        t += std::chrono::milliseconds(1);
        r = benchRecord(t);
      }
      state.ResumeTiming();
      if (!(*ledger)->append(batch)) std::abort();
      ++batches;
    }
    state.counters["records_per_s"] = benchmark::Counter(
        static_cast<double>(batches * batch_size), benchmark::Counter::kIsRate);
    auto rows = (*ledger)->count();
    if (!rows || *rows != static_cast<int64_t>(batches * batch_size)) std::abort();
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LedgerGroupCommit)->Arg(1)->Arg(6)->Arg(64)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace costgate::store
