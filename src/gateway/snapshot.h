#pragma once
// Snapshot: what the request path reads on every call (profiles, keys, prices), built from the
// store and swapped whole when the store changes, so CLI changes reach a running server within
// two seconds without a restart and without locks on the request path.

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>

#include "common/result.h"
#include "identity/principal.h"
#include "pricing/price_table.h"
#include "profiles/profile_index.h"
#include "store/store.h"

namespace costgate::gateway {

struct Snapshot {
  profiles::ProfileIndex profiles;
  identity::KeyRing keys;
  pricing::PriceTable prices;
  int64_t generation = 0;
  size_t key_count = 0;
  // Live AWS credentials whose secret could not be opened (the master key file missing,
  // unreadable or wrong, or a damaged row), one message each. They are left out of `keys`, so
  // their callers are refused; everything else in the snapshot is whole.
  std::vector<std::string> aws_credential_problems;
};

// Reads everything from the store. The live AWS credentials' secrets are opened with the master
// key at `master_key_path` (identity::masterKeyPathFor), read only when there are any. One that
// cannot be opened does not fail the load (a running server must still see revocations and
// price changes): it is left out and named in aws_credential_problems.
Result<std::shared_ptr<const Snapshot>> loadSnapshot(store::Store& store,
                                                     const std::string& master_key_path);

// Holds the current snapshot and, when started, a thread that reloads it whenever the store's
// generation moves (checked every `interval`). Thread-safe.
class SnapshotHolder {
 public:
  explicit SnapshotHolder(std::shared_ptr<const Snapshot> initial) : current_(std::move(initial)) {}
  ~SnapshotHolder() { stopWatching(); }

  std::shared_ptr<const Snapshot> get() const { return current_.load(); }
  void set(std::shared_ptr<const Snapshot> s) { current_.store(std::move(s)); }

  // Takes its own store connection; logs reload failures and keeps the last good snapshot.
  void watch(std::unique_ptr<store::Store> store, std::string master_key_path,
             std::chrono::milliseconds interval);
  void stopWatching();

 private:
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::atomic<bool> stop_{false};
  std::thread watcher_;
};

}  // namespace costgate::gateway
