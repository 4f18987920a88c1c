#pragma once
// The SQLite implementation of metering::LedgerStore: the usage_records table of the store's own
// database file (schema migration 2), reached through a connection of its own so that the ledger
// writer's thread never shares one with the store's user.
//
// Money is kept as Money::toString()'s exact decimal text and read back with Money::parse;
// totals are summed in C++ with Money, never by SQL over text or REAL. Filters on profiles and
// time run in SQL (both are indexed); tag filters run on the rows that come back.
//
// Thread-compatible: one thread at a time per ledger. Readers that run beside the writer (the
// admin API) open a ledger of their own; WAL lets them read while it commits.

#include <memory>
#include <string>

#include "common/result.h"
#include "metering/ledger_store.h"

namespace costgate::store {

// What a committed batch survives. Either way a commit is atomic and the file never corrupts.
enum class LedgerDurability {
  // WAL with synchronous=NORMAL: a commit survives the process dying (kill -9) at any point;
  // power loss or an OS crash may drop the last commits.
  kProcessCrash,
  // synchronous=FULL: each commit is on stable storage before it returns (an fsync per group).
  kPowerLoss,
};
const char* ledgerDurabilityName(LedgerDurability d);  // "process_crash", "power_loss"

// Who moves the WAL's pages into the database file (a checkpoint, which syncs the file).
enum class LedgerCheckpoints {
  // SQLite's default: the committing connection, whenever the WAL passes 1000 pages. Fine for
  // the CLI's occasional writes.
  kOnCommit,
  // A thread of the ledger's own with its own connection, every quarter second, so the sync
  // never stalls a commit (and the answers waiting for it). For the server.
  kBackground,
};

// Opens the ledger in the store file at `path`, creating the file if it is missing and applying
// every pending schema migration (the same ones the store applies, so either may open first).
Result<std::unique_ptr<metering::LedgerStore>> openSqliteLedger(
    const std::string& path, LedgerDurability d,
    LedgerCheckpoints checkpoints = LedgerCheckpoints::kOnCommit);

}  // namespace costgate::store
