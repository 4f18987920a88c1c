#include "gateway/snapshot.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "identity/aws_credential.h"

namespace costgate::gateway {

namespace {

// access key id -> secret, for every live AWS credential that can be opened; the others are
// named in `problems`.
std::unordered_map<std::string, std::string> openAwsSecrets(
    const std::vector<identity::ApiKeyRecord>& keys, const std::string& master_key_path,
    std::vector<std::string>& problems) {
  std::unordered_map<std::string, std::string> out;
  std::optional<Result<identity::MasterKey>> master;
  for (const identity::ApiKeyRecord& k : keys) {
    if (!k.isAws() || k.revoked_at) continue;
    if (!master) master = identity::loadMasterKey(master_key_path);
    if (!*master) {
      problems.push_back(fmt::format("AWS credential {}: the store holds AWS credentials, but {}",
                                     k.id, master->error()));
      continue;
    }
    auto secret = identity::openAwsSecret(k, **master);
    if (!secret) {
      problems.push_back(secret.error());  // names the credential itself
      continue;
    }
    out.emplace(k.id, std::move(*secret));
  }
  return out;
}

}  // namespace

Result<std::shared_ptr<const Snapshot>> loadSnapshot(store::Store& store,
                                                     const std::string& master_key_path) {
  // Read the generation first: a change that lands while we read bumps it again, and the next
  // check reloads.
  auto gen = store.generation();
  if (!gen) return makeError(gen.error());
  auto profiles = store.listProfiles();
  if (!profiles) return makeError(profiles.error());
  auto keys = store.listKeys();
  if (!keys) return makeError(keys.error());
  std::vector<std::string> aws_problems;
  auto aws_secrets = openAwsSecrets(*keys, master_key_path, aws_problems);
  auto prices = store.listPrices();
  if (!prices) return makeError(prices.error());
  auto table = pricing::PriceTable::build(std::move(*prices));
  if (!table) return makeError(table.error());
  auto s = std::make_shared<Snapshot>();
  s->generation = *gen;
  s->key_count = keys->size();
  s->profiles = profiles::ProfileIndex(std::move(*profiles));
  std::erase_if(*keys, [&aws_secrets](const identity::ApiKeyRecord& k) {
    return k.isAws() && !k.revoked_at && !aws_secrets.contains(k.id);
  });
  s->keys = identity::KeyRing(std::move(*keys), std::move(aws_secrets));
  s->aws_credential_problems = std::move(aws_problems);
  s->prices = std::move(*table);
  return std::shared_ptr<const Snapshot>(std::move(s));
}

void SnapshotHolder::watch(std::unique_ptr<store::Store> store, std::string master_key_path,
                           std::chrono::milliseconds interval) {
  stop_ = false;
  watcher_ = std::thread([this, st = std::move(store), key_path = std::move(master_key_path),
                          interval] {
    while (!stop_) {
      for (auto waited = std::chrono::milliseconds(0); waited < interval && !stop_;
           waited += std::chrono::milliseconds(50)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (stop_) break;
      auto gen = st->generation();
      if (!gen) {
        spdlog::warn("cannot check the store for changes: {}", gen.error());
        continue;
      }
      if (*gen == get()->generation) continue;
      auto fresh = loadSnapshot(*st, key_path);
      if (!fresh) {
        spdlog::error("reloading profiles, keys and prices failed (keeping the previous ones): {}",
                      fresh.error());
        continue;
      }
      spdlog::info("store changed (generation {}): reloaded {} profiles, {} keys, {} prices",
                   (*fresh)->generation, (*fresh)->profiles.size(), (*fresh)->key_count,
                   (*fresh)->prices.all().size());
      for (const std::string& problem : (*fresh)->aws_credential_problems) {
        spdlog::error("{}; its callers are refused until this is fixed", problem);
      }
      set(std::move(*fresh));
    }
  });
}

void SnapshotHolder::stopWatching() {
  stop_ = true;
  if (watcher_.joinable()) watcher_.join();
}

}  // namespace costgate::gateway
