#pragma once
// Store: everything costgate keeps between runs, behind an interface small enough that a
// PostgreSQL implementation can follow without touching callers. No SQL leaks out of store/.
//
// One Store object is used by one thread at a time (the CLI; the server's single writer).
// Several processes may open the same store: SQLite's locking serialises their writes.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "identity/api_key.h"
#include "pricing/price.h"
#include "profiles/profile.h"

namespace costgate::store {

class Store {
 public:
  virtual ~Store() = default;

  // Runs `fn` in one transaction: everything it wrote is committed if it returns ok, and
  // nothing is if it fails. Not reentrant.
  virtual Status transaction(const std::function<Status()>& fn) = 0;

  // A number that grows whenever any process commits a change to profiles, keys or prices, so a
  // running server can notice CLI changes cheaply.
  virtual Result<int64_t> generation() = 0;

  // Profiles, ordered by name.
  virtual Result<std::vector<profiles::Profile>> listProfiles() = 0;
  // Fails if the id or the name is taken.
  virtual Status insertProfile(const profiles::Profile& p) = 0;
  // Replaces the profile with p.id (every field but id and created_at). Fails if it is missing.
  virtual Status updateProfile(const profiles::Profile& p) = 0;
  // Deletes the profile and unbinds it from every key. It is not an error if it did not exist.
  virtual Status deleteProfile(std::string_view id) = 0;

  // API keys, ordered by creation time.
  virtual Result<std::vector<identity::ApiKeyRecord>> listKeys() = 0;
  virtual Status insertKey(const identity::ApiKeyRecord& k) = 0;
  // Marks the key revoked at `at`; fails if there is no such key. Revoking twice keeps the
  // first time.
  virtual Status revokeKey(std::string_view id, TimePoint at) = 0;
  // Removes the key for good. It is not an error if it did not exist.
  virtual Status deleteKey(std::string_view id) = 0;

  // Every price version.
  virtual Result<std::vector<pricing::ModelPrice>> listPrices() = 0;
  // Replaces the whole price table.
  virtual Status replacePrices(const std::vector<pricing::ModelPrice>& prices) = 0;

  // Small named settings (e.g. which config file set the store up).
  virtual Result<std::string> getSetting(std::string_view name) = 0;  // "" when unset
  virtual Status setSetting(std::string_view name, std::string_view value) = 0;
};

struct OpenOptions {
  // When false, opening a store file that does not exist fails instead of creating it.
  bool create_if_missing = true;
};

// Opens (creating if allowed) the SQLite store at `path`, in WAL mode, and applies every pending
// schema migration.
Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path, OpenOptions options = {});

}  // namespace costgate::store
