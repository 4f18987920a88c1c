#include "store/sqlite_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "common/strings.h"
#include "store/migrations.h"

namespace costgate::store {

namespace {

using profiles::Origin;
using profiles::Profile;
using sqlite::Statement;
using sqlite::WriteTransaction;

constexpr int kBusyTimeoutMs = 5000;

template <class T>
Error errorOf(const Result<T>& r) {
  return makeError(r.error());
}

int64_t toMillis(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint fromMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// Enums are stored by the names their modules give them, and read back by matching those names.
template <class E, size_t N>
std::optional<E> enumFromName(std::string_view name, const std::array<E, N>& values,
                              const char* (*name_of)(E)) {
  for (E v : values) {
    if (name == name_of(v)) return v;
  }
  return std::nullopt;
}

constexpr std::array kOrigins = {Origin::kSetup, Origin::kCli};
constexpr std::array kRoles = {identity::Role::kAdmin, identity::Role::kTenant};
constexpr std::array kKinds = {pricing::ModelKind::kText, pricing::ModelKind::kEmbeddings,
                               pricing::ModelKind::kImage};

// {"size": {"quality": "decimal"}}, decimals as exact strings so nothing passes through a double.
std::string imagePricesToJson(const pricing::ImagePrices& images) {
  boost::json::object sizes;
  for (const auto& [size, qualities] : images) {
    boost::json::object by_quality;
    for (const auto& [quality, price] : qualities) by_quality[quality] = price.toString();
    sizes[size] = std::move(by_quality);
  }
  return boost::json::serialize(sizes);
}

Result<pricing::ImagePrices> imagePricesFromJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(text, ec);
  if (ec) return makeError("image prices are not valid JSON: " + ec.message());
  const boost::json::object* sizes = root.if_object();
  if (sizes == nullptr) return makeError("image prices are not a JSON object");
  pricing::ImagePrices images;
  for (const auto& [size, qualities_value] : *sizes) {
    const boost::json::object* qualities = qualities_value.if_object();
    if (qualities == nullptr) {
      return makeError(
          fmt::format("image prices for size {} are not a JSON object", jsonQuote(size)));
    }
    auto& out = images[std::string(size)];
    for (const auto& [quality, price_value] : *qualities) {
      const boost::json::string* price_text = price_value.if_string();
      if (price_text == nullptr) {
        return makeError(fmt::format("image price {} {} is not a decimal string", jsonQuote(size),
                                     jsonQuote(quality)));
      }
      Result<Money> price = Money::parse(*price_text);
      if (!price) {
        return makeError(fmt::format("image price {} {}: {}", jsonQuote(size), jsonQuote(quality),
                                     price.error()));
      }
      out[std::string(quality)] = *price;
    }
  }
  return images;
}

Result<Money> moneyColumn(const Statement& row, int column, std::string_view name) {
  std::string text = row.text(column);
  Result<Money> m = Money::parse(text);
  if (!m) return makeError(fmt::format("{} {}: {}", name, jsonQuote(text), m.error()));
  return m;
}

Result<std::optional<Money>> optionalMoneyColumn(const Statement& row, int column,
                                                 std::string_view name) {
  if (row.isNull(column)) return std::optional<Money>();
  Result<Money> m = moneyColumn(row, column, name);
  if (!m) return errorOf(m);
  return std::optional<Money>(*m);
}

std::optional<std::string> optionalMoneyText(const std::optional<Money>& m) {
  if (!m) return std::nullopt;
  return m->toString();
}

int primaryCode(int extended_code) { return extended_code & 0xff; }

}  // namespace

// --- opening ---

Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path, OpenOptions options) {
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::open(path, options);
  if (!store) return errorOf(store);
  return std::unique_ptr<Store>(std::move(*store));
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path,
                                                       OpenOptions options) {
  if (path.empty()) return makeError("open store: the path is empty");
  const bool in_memory = path == ":memory:";
  // Only a definite "no such file"; any other trouble (permissions) is left for SQLite to name.
  auto missing = [&]() {
    std::error_code ec;
    bool exists = std::filesystem::exists(path, ec);
    return !in_memory && !exists && !ec;
  };
  auto notFound = [&]() {
    return makeError(fmt::format("store not found: {} (run `costgate setup` first)", path));
  };
  if (!options.create_if_missing && missing()) return notFound();

  int flags = SQLITE_OPEN_READWRITE;
  if (options.create_if_missing || in_memory) flags |= SQLITE_OPEN_CREATE;
  int rc = SQLITE_OK;
  Result<sqlite::Database> opened = sqlite::Database::open(path, flags, &rc);
  if (!opened) {
    // The file may have vanished between the check above and the open.
    if (!options.create_if_missing && primaryCode(rc) == SQLITE_CANTOPEN && missing()) {
      return notFound();
    }
    return errorOf(opened);
  }
  sqlite::Database db = std::move(*opened);
  const std::string what = fmt::format("open store {}", path);

  // Before anything that takes a lock, so opening waits for a busy writer instead of failing.
  if (sqlite3_busy_timeout(db.handle(), kBusyTimeoutMs) != SQLITE_OK) return db.error(what);

  // journal_mode answers with the mode actually in effect; WAL may be refused (e.g. on a file
  // system without shared memory), and a store that silently fell back would lose concurrency.
  {
    Result<Statement> wal = db.prepare("PRAGMA journal_mode=WAL", what + ": enable WAL mode");
    if (!wal) return errorOf(wal);
    Result<bool> row = wal->step();
    if (!row) return errorOf(row);
    std::string mode = *row ? toLowerAscii(wal->text(0)) : "";
    const char* wanted = in_memory ? "memory" : "wal";
    if (mode != wanted) {
      return makeError(
          fmt::format("{}: could not enable WAL mode (journal mode is {})", what, jsonQuote(mode)));
    }
  }
  // NORMAL is durable across process crashes in WAL mode; only power loss can drop the last
  // commits, and never corrupts the file.
  if (Status st = db.exec("PRAGMA synchronous=NORMAL", what + ": set synchronous"); !st) {
    return errorOf(st);
  }
  if (Status st = db.exec("PRAGMA foreign_keys=ON", what + ": enable foreign keys"); !st) {
    return errorOf(st);
  }
  {
    // A build without foreign keys accepts the pragma and ignores it; deleting a profile would
    // then leave dangling key bindings.
    Result<Statement> fk = db.prepare("PRAGMA foreign_keys", what + ": check foreign keys");
    if (!fk) return errorOf(fk);
    Result<bool> row = fk->step();
    if (!row) return errorOf(row);
    if (!*row || fk->int64(0) != 1) {
      return makeError(fmt::format("{}: this SQLite does not enforce foreign keys", what));
    }
  }

  if (Status st = migrate(db, path, SystemClock::instance().now()); !st) return errorOf(st);
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(db)));
}

SqliteStore::SqliteStore(sqlite::Database db) : db_(std::move(db)) {}

SqliteStore::~SqliteStore() = default;

// --- transactions and the generation ---

Status SqliteStore::transaction(const std::function<Status()>& fn) {
  if (in_transaction_) {
    return makeError("begin transaction: already inside a transaction (transactions do not nest)");
  }
  Result<WriteTransaction> txn =
      WriteTransaction::begin(db_, WriteTransaction::Kind::kTopLevel, "begin transaction");
  if (!txn) return errorOf(txn);
  Status st;
  {
    struct Leave {
      bool& flag;
      ~Leave() { flag = false; }
    } leave{in_transaction_};
    in_transaction_ = true;
    st = fn();
  }
  if (!st) return st;  // txn's destructor rolls back
  return txn->commit("commit transaction");
}

Status SqliteStore::write(std::string_view what, const std::function<Result<bool>()>& body) {
  if (in_transaction_ && !db_.inTransaction()) {
    // SQLite ends a transaction by itself after some errors (disk full, I/O). Writing on would
    // start and commit a new one behind the caller's back.
    return makeError(
        fmt::format("{}: the enclosing transaction was rolled back after an earlier error", what));
  }
  Result<WriteTransaction> txn = WriteTransaction::begin(
      db_, in_transaction_ ? WriteTransaction::Kind::kSavepoint : WriteTransaction::Kind::kTopLevel,
      what);
  if (!txn) return errorOf(txn);
  Result<bool> changed = body();
  if (!changed) return errorOf(changed);
  if (*changed) {
    Result<Statement> bump =
        db_.prepare("UPDATE meta SET value = value + 1 WHERE name = 'generation'",
                    fmt::format("{}: bump the generation", what));
    if (!bump) return errorOf(bump);
    if (Status st = bump->run(); !st) return st;
  }
  return txn->commit(what);
}

Result<int64_t> SqliteStore::generation() {
  Result<Statement> stmt =
      db_.prepare("SELECT value FROM meta WHERE name = 'generation'", "read generation");
  if (!stmt) return errorOf(stmt);
  Result<bool> row = stmt->step();
  if (!row) return errorOf(row);
  if (!*row) return makeError("read generation: the store has no generation counter");
  return stmt->int64(0);
}

// --- profiles ---

Result<std::vector<Profile>> SqliteStore::listProfiles() {
  // One statement, so the profiles and their tags come from one snapshot even while another
  // process writes.
  Result<Statement> stmt = db_.prepare(
      "SELECT p.id, p.name, p.description, p.model_id, p.region, p.tier, p.provider, p.arn, "
      "p.bedrock_arn, p.created_at, p.origin, t.key, t.value "
      "FROM profiles p LEFT JOIN profile_tags t ON t.profile_id = p.id "
      "ORDER BY p.name, p.id, t.position",
      "list profiles");
  if (!stmt) return errorOf(stmt);
  std::vector<Profile> out;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return errorOf(row);
    if (!*row) break;
    std::string id = stmt->text(0);
    if (out.empty() || out.back().id != id) {
      Profile p;
      p.id = std::move(id);
      p.name = stmt->text(1);
      p.description = stmt->text(2);
      p.model_id = stmt->text(3);
      p.region = stmt->text(4);
      p.tier = stmt->text(5);
      p.provider = stmt->text(6);
      p.arn = stmt->text(7);
      p.bedrock_arn = stmt->text(8);
      p.created_at = fromMillis(stmt->int64(9));
      std::string origin = stmt->text(10);
      std::optional<Origin> o = enumFromName(origin, kOrigins, &profiles::originName);
      if (!o) {
        return makeError(fmt::format("list profiles: profile {} has unknown origin {}",
                                     jsonQuote(p.name), jsonQuote(origin)));
      }
      p.origin = *o;
      out.push_back(std::move(p));
    }
    if (!stmt->isNull(11)) out.back().tags.push_back({stmt->text(11), stmt->text(12)});
  }
  return out;
}

Status SqliteStore::insertTags(const Profile& p, std::string_view what) {
  Result<Statement> stmt = db_.prepare(
      "INSERT INTO profile_tags (profile_id, position, key, key_lower, value) "
      "VALUES (?1, ?2, ?3, ?4, ?5)",
      std::string(what));
  if (!stmt) return errorOf(stmt);
  for (size_t i = 0; i < p.tags.size(); ++i) {
    const profiles::Tag& tag = p.tags[i];
    stmt->reset();
    stmt->bindText(1, p.id)
        .bindInt64(2, static_cast<int64_t>(i))
        .bindText(3, tag.key)
        .bindText(4, toLowerAscii(tag.key))
        .bindText(5, tag.value);
    if (Status st = stmt->run(); !st) {
      if (stmt->lastErrorCode() == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return makeError(
            fmt::format("{}: tag key {} appears more than once (tag keys are "
                        "case-insensitive)",
                        what, jsonQuote(tag.key)));
      }
      return st;
    }
  }
  return {};
}

Status SqliteStore::insertProfile(const Profile& p) {
  const std::string what = fmt::format("insert profile {}", jsonQuote(p.name));
  return write(what, [&]() -> Result<bool> {
    Result<Statement> stmt = db_.prepare(
        "INSERT INTO profiles (id, name, description, model_id, region, tier, provider, arn, "
        "bedrock_arn, created_at, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        what);
    if (!stmt) return errorOf(stmt);
    stmt->bindText(1, p.id)
        .bindText(2, p.name)
        .bindText(3, p.description)
        .bindText(4, p.model_id)
        .bindText(5, p.region)
        .bindText(6, p.tier)
        .bindText(7, p.provider)
        .bindText(8, p.arn)
        .bindText(9, p.bedrock_arn)
        .bindInt64(10, toMillis(p.created_at))
        .bindText(11, profiles::originName(p.origin));
    if (Status st = stmt->run(); !st) return errorOf(st);
    if (Status st = insertTags(p, what); !st) return errorOf(st);
    return true;
  });
}

Status SqliteStore::updateProfile(const Profile& p) {
  const std::string what = fmt::format("update profile {}", jsonQuote(p.name));
  return write(what, [&]() -> Result<bool> {
    Result<Statement> stmt = db_.prepare(
        "UPDATE profiles SET name = ?2, description = ?3, model_id = ?4, region = ?5, tier = ?6, "
        "provider = ?7, arn = ?8, bedrock_arn = ?9, origin = ?10 WHERE id = ?1",
        what);
    if (!stmt) return errorOf(stmt);
    stmt->bindText(1, p.id)
        .bindText(2, p.name)
        .bindText(3, p.description)
        .bindText(4, p.model_id)
        .bindText(5, p.region)
        .bindText(6, p.tier)
        .bindText(7, p.provider)
        .bindText(8, p.arn)
        .bindText(9, p.bedrock_arn)
        .bindText(10, profiles::originName(p.origin));
    if (Status st = stmt->run(); !st) return errorOf(st);
    if (db_.changes() == 0) {
      return makeError(fmt::format("{}: no profile with id {}", what, jsonQuote(p.id)));
    }
    Result<Statement> clear = db_.prepare("DELETE FROM profile_tags WHERE profile_id = ?1", what);
    if (!clear) return errorOf(clear);
    clear->bindText(1, p.id);
    if (Status st = clear->run(); !st) return errorOf(st);
    if (Status st = insertTags(p, what); !st) return errorOf(st);
    return true;
  });
}

Status SqliteStore::deleteProfile(std::string_view id) {
  const std::string what = fmt::format("delete profile {}", jsonQuote(id));
  return write(what, [&]() -> Result<bool> {
    // Tags and key bindings go with it (ON DELETE CASCADE).
    Result<Statement> stmt = db_.prepare("DELETE FROM profiles WHERE id = ?1", what);
    if (!stmt) return errorOf(stmt);
    stmt->bindText(1, id);
    if (Status st = stmt->run(); !st) return errorOf(st);
    return db_.changes() > 0;
  });
}

// --- API keys ---

Result<std::vector<identity::ApiKeyRecord>> SqliteStore::listKeys() {
  Result<Statement> stmt = db_.prepare(
      "SELECT k.id, k.hash, k.role, k.tenant, k.created_at, k.revoked_at, k.origin, b.profile_id, "
      "k.aws_secret "
      "FROM api_keys k LEFT JOIN api_key_profiles b ON b.key_id = k.id "
      "ORDER BY k.created_at, k.id, b.profile_id",
      "list API keys");
  if (!stmt) return errorOf(stmt);
  std::vector<identity::ApiKeyRecord> out;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return errorOf(row);
    if (!*row) break;
    std::string id = stmt->text(0);
    if (out.empty() || out.back().id != id) {
      identity::ApiKeyRecord k;
      k.id = std::move(id);
      std::span<const uint8_t> hash = stmt->blob(1);
      if (hash.size() != k.hash.size()) {
        return makeError(fmt::format("list API keys: key {} has a {}-byte hash, expected {}",
                                     jsonQuote(k.id), hash.size(), k.hash.size()));
      }
      std::copy(hash.begin(), hash.end(), k.hash.begin());
      std::string role = stmt->text(2);
      std::optional<identity::Role> r = enumFromName(role, kRoles, &identity::roleName);
      if (!r) {
        return makeError(fmt::format("list API keys: key {} has unknown role {}", jsonQuote(k.id),
                                     jsonQuote(role)));
      }
      k.role = *r;
      k.tenant = stmt->text(3);
      k.created_at = fromMillis(stmt->int64(4));
      if (std::optional<int64_t> revoked = stmt->optionalInt64(5)) {
        k.revoked_at = fromMillis(*revoked);
      }
      std::string origin = stmt->text(6);
      std::optional<Origin> o = enumFromName(origin, kOrigins, &profiles::originName);
      if (!o) {
        return makeError(fmt::format("list API keys: key {} has unknown origin {}", jsonQuote(k.id),
                                     jsonQuote(origin)));
      }
      k.origin = *o;
      if (!stmt->isNull(8)) {
        std::span<const uint8_t> sealed = stmt->blob(8);
        k.aws_secret_sealed.assign(sealed.begin(), sealed.end());
      }
      out.push_back(std::move(k));
    }
    if (!stmt->isNull(7)) out.back().profile_ids.push_back(stmt->text(7));
  }
  return out;
}

Status SqliteStore::insertKey(const identity::ApiKeyRecord& k) {
  const std::string what = fmt::format("insert API key {}", jsonQuote(k.id));
  return write(what, [&]() -> Result<bool> {
    Result<Statement> stmt = db_.prepare(
        "INSERT INTO api_keys (id, hash, role, tenant, created_at, revoked_at, origin, aws_secret) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        what);
    if (!stmt) return errorOf(stmt);
    std::optional<int64_t> revoked;
    if (k.revoked_at) revoked = toMillis(*k.revoked_at);
    stmt->bindText(1, k.id)
        .bindBlob(2, k.hash)
        .bindText(3, identity::roleName(k.role))
        .bindText(4, k.tenant)
        .bindInt64(5, toMillis(k.created_at))
        .bindOptionalInt64(6, revoked)
        .bindText(7, profiles::originName(k.origin));
    if (k.isAws()) {
      stmt->bindBlob(8, std::span(reinterpret_cast<const uint8_t*>(k.aws_secret_sealed.data()),
                                  k.aws_secret_sealed.size()));
    } else {
      stmt->bindNull(8);
    }
    if (Status st = stmt->run(); !st) return errorOf(st);

    // profile_ids is a set: a repeated id binds once. OR IGNORE does not cover foreign keys, so
    // an unknown profile still fails.
    Result<Statement> bind = db_.prepare(
        "INSERT OR IGNORE INTO api_key_profiles (key_id, profile_id) VALUES (?1, ?2)", what);
    if (!bind) return errorOf(bind);
    for (const std::string& profile_id : k.profile_ids) {
      bind->reset();
      bind->bindText(1, k.id).bindText(2, profile_id);
      if (Status st = bind->run(); !st) {
        if (bind->lastErrorCode() == SQLITE_CONSTRAINT_FOREIGNKEY) {
          return makeError(fmt::format("{}: no profile with id {}", what, jsonQuote(profile_id)));
        }
        return errorOf(st);
      }
    }
    return true;
  });
}

Status SqliteStore::revokeKey(std::string_view id, TimePoint at) {
  const std::string what = fmt::format("revoke API key {}", jsonQuote(id));
  return write(what, [&]() -> Result<bool> {
    Result<Statement> revoke = db_.prepare(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", what);
    if (!revoke) return errorOf(revoke);
    revoke->bindText(1, id).bindInt64(2, toMillis(at));
    if (Status st = revoke->run(); !st) return errorOf(st);
    if (db_.changes() > 0) return true;

    // Nothing changed: either revoked already (keep the first time) or no such key.
    Result<Statement> exists = db_.prepare("SELECT 1 FROM api_keys WHERE id = ?1", what);
    if (!exists) return errorOf(exists);
    exists->bindText(1, id);
    Result<bool> row = exists->step();
    if (!row) return errorOf(row);
    if (!*row) return makeError(fmt::format("{}: no API key with id {}", what, jsonQuote(id)));
    return false;
  });
}

Status SqliteStore::deleteKey(std::string_view id) {
  const std::string what = fmt::format("delete API key {}", jsonQuote(id));
  return write(what, [&]() -> Result<bool> {
    Result<Statement> stmt = db_.prepare("DELETE FROM api_keys WHERE id = ?1", what);
    if (!stmt) return errorOf(stmt);
    stmt->bindText(1, id);
    if (Status st = stmt->run(); !st) return errorOf(st);
    return db_.changes() > 0;
  });
}

// --- prices ---

Result<std::vector<pricing::ModelPrice>> SqliteStore::listPrices() {
  Result<Statement> stmt = db_.prepare(
      "SELECT region, model_id, kind, effective_from, input_per_1k, output_per_1k, "
      "cache_read_per_1k, cache_write_per_1k, images_json FROM prices ORDER BY position",
      "list prices");
  if (!stmt) return errorOf(stmt);
  std::vector<pricing::ModelPrice> out;
  for (;;) {
    Result<bool> row = stmt->step();
    if (!row) return errorOf(row);
    if (!*row) break;
    pricing::ModelPrice p;
    p.region = stmt->text(0);
    p.model_id = stmt->text(1);
    auto fail = [&](std::string_view why) {
      return makeError(fmt::format("list prices: {} {}: {}", p.region, p.model_id, why));
    };
    std::string kind = stmt->text(2);
    std::optional<pricing::ModelKind> k = enumFromName(kind, kKinds, &pricing::modelKindName);
    if (!k) return fail(fmt::format("unknown model kind {}", jsonQuote(kind)));
    p.kind = *k;
    if (std::optional<int64_t> from = stmt->optionalInt64(3)) p.effective_from = fromMillis(*from);

    Result<Money> input = moneyColumn(*stmt, 4, "input_per_1k");
    if (!input) return fail(input.error());
    Result<Money> output = moneyColumn(*stmt, 5, "output_per_1k");
    if (!output) return fail(output.error());
    Result<std::optional<Money>> cache_read = optionalMoneyColumn(*stmt, 6, "cache_read_per_1k");
    if (!cache_read) return fail(cache_read.error());
    Result<std::optional<Money>> cache_write = optionalMoneyColumn(*stmt, 7, "cache_write_per_1k");
    if (!cache_write) return fail(cache_write.error());
    p.tokens = {*input, *output, *cache_read, *cache_write};

    if (std::optional<std::string> images = stmt->optionalText(8)) {
      Result<pricing::ImagePrices> parsed = imagePricesFromJson(*images);
      if (!parsed) return fail(parsed.error());
      p.images = std::move(*parsed);
    }
    out.push_back(std::move(p));
  }
  return out;
}

Status SqliteStore::replacePrices(const std::vector<pricing::ModelPrice>& prices) {
  const std::string what = "replace prices";
  return write(what, [&]() -> Result<bool> {
    if (Status st = db_.exec("DELETE FROM prices", what); !st) return errorOf(st);
    Result<Statement> stmt = db_.prepare(
        "INSERT INTO prices (position, region, model_id, kind, effective_from, input_per_1k, "
        "output_per_1k, cache_read_per_1k, cache_write_per_1k, images_json) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        what);
    if (!stmt) return errorOf(stmt);
    for (size_t i = 0; i < prices.size(); ++i) {
      const pricing::ModelPrice& p = prices[i];
      std::optional<int64_t> from;
      if (p.effective_from) from = toMillis(*p.effective_from);
      std::optional<std::string> images;
      if (!p.images.empty()) images = imagePricesToJson(p.images);
      stmt->reset();
      stmt->bindInt64(1, static_cast<int64_t>(i))
          .bindText(2, p.region)
          .bindText(3, p.model_id)
          .bindText(4, pricing::modelKindName(p.kind))
          .bindOptionalInt64(5, from)
          .bindText(6, p.tokens.input_per_1k.toString())
          .bindText(7, p.tokens.output_per_1k.toString())
          .bindOptionalText(8, optionalMoneyText(p.tokens.cache_read_per_1k))
          .bindOptionalText(9, optionalMoneyText(p.tokens.cache_write_per_1k))
          .bindOptionalText(10, images);
      if (Status st = stmt->run(); !st) {
        if (stmt->lastErrorCode() == SQLITE_CONSTRAINT_UNIQUE) {
          return makeError(fmt::format("{}: {} {}: two price versions with the same effective date",
                                       what, p.region, p.model_id));
        }
        return errorOf(st);
      }
    }
    return true;
  });
}

// --- settings ---

Result<std::string> SqliteStore::getSetting(std::string_view name) {
  Result<Statement> stmt = db_.prepare("SELECT value FROM settings WHERE name = ?1",
                                       fmt::format("read setting {}", jsonQuote(name)));
  if (!stmt) return errorOf(stmt);
  stmt->bindText(1, name);
  Result<bool> row = stmt->step();
  if (!row) return errorOf(row);
  return *row ? stmt->text(0) : std::string();
}

Status SqliteStore::setSetting(std::string_view name, std::string_view value) {
  const std::string what = fmt::format("set setting {}", jsonQuote(name));
  return write(what, [&]() -> Result<bool> {
    Result<Statement> stmt = db_.prepare(
        "INSERT INTO settings (name, value) VALUES (?1, ?2) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        what);
    if (!stmt) return errorOf(stmt);
    stmt->bindText(1, name).bindText(2, value);
    if (Status st = stmt->run(); !st) return errorOf(st);
    return true;
  });
}

}  // namespace costgate::store
