#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/migrations.h"
#include "store/sqlite_db.h"

namespace costgate::store {
namespace {

using identity::ApiKeyRecord;
using identity::Role;
using pricing::ModelKind;
using pricing::ModelPrice;
using profiles::Origin;
using profiles::Profile;
using profiles::Tag;

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/costgate_store_test_XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// A plain sqlite3 connection, to look at the file the way another program would.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }

  void exec(const std::string& sql) {
    char* message = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
    EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (message ? message : "");
    sqlite3_free(message);
  }
  // The first column of the first row, as text ("" when there is no row or it is NULL).
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    std::string out;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }

 private:
  sqlite3* db_ = nullptr;
};

::testing::AssertionResult contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << '"' << text << "\" does not contain \"" << part << '"';
}

TimePoint at(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

Money money(std::string_view text) {
  Result<Money> m = Money::parse(text);
  EXPECT_TRUE(m.ok()) << text << ": " << m.error();
  return m.ok() ? *m : Money();
}

Profile makeProfile(std::string id, std::string name, std::vector<Tag> tags = {}) {
  Profile p;
  p.id = std::move(id);
  p.name = std::move(name);
  p.description = "profile " + p.name;
  p.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  p.region = "us-east-1";
  p.tags = std::move(tags);
  p.arn = "arn:aws:bedrock:us-east-1:000000000000:application-inference-profile/" + p.id;
  p.created_at = at(1'700'000'000'000);
  p.origin = Origin::kSetup;
  return p;
}

ApiKeyRecord makeKey(std::string id, int64_t created_ms, std::vector<std::string> profile_ids) {
  ApiKeyRecord k;
  k.id = std::move(id);
  for (size_t i = 0; i < k.hash.size(); ++i) k.hash[i] = static_cast<uint8_t>(i * 37 + 11);
  k.role = Role::kTenant;
  k.tenant = "acme";
  k.profile_ids = std::move(profile_ids);
  k.created_at = at(created_ms);
  k.origin = Origin::kCli;
  return k;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty()) << "mkdtemp failed";
    path_ = dir_.file("costgate.db");
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> open(OpenOptions options = {}) {
    Result<std::unique_ptr<Store>> s = openSqliteStore(path_, options);
    EXPECT_TRUE(s.ok()) << s.error();
    return s.ok() ? std::move(*s) : nullptr;
  }

  int64_t generation(Store& s) {
    Result<int64_t> g = s.generation();
    EXPECT_TRUE(g.ok()) << g.error();
    return g.ok() ? *g : -1;
  }

  std::vector<Profile> profiles() {
    auto r = store_->listProfiles();
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? *r : std::vector<Profile>{};
  }
  std::vector<ApiKeyRecord> keys() {
    auto r = store_->listKeys();
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? *r : std::vector<ApiKeyRecord>{};
  }
  std::vector<ModelPrice> prices() {
    auto r = store_->listPrices();
    EXPECT_TRUE(r.ok()) << r.error();
    return r.ok() ? *r : std::vector<ModelPrice>{};
  }

  TempDir dir_;
  std::string path_;
  std::unique_ptr<Store> store_;
};

// --- opening ---

TEST_F(SqliteStoreTest, CreatesFileInWalMode) {
  EXPECT_TRUE(std::filesystem::exists(path_));
  RawDb raw(path_);
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, FreshStoreIsEmpty) {
  EXPECT_TRUE(profiles().empty());
  EXPECT_TRUE(keys().empty());
  EXPECT_TRUE(prices().empty());
  auto setting = store_->getSetting("config_path");
  ASSERT_TRUE(setting.ok()) << setting.error();
  EXPECT_EQ(*setting, "");
  EXPECT_EQ(generation(*store_), 0);
}

TEST(SqliteStoreOpenTest, MissingFileWithoutCreateFailsNamingThePath) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.file("nothing-here.db");
  auto s = openSqliteStore(path, OpenOptions{.create_if_missing = false});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "store not found: " + path + " (run `costgate setup` first)");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(SqliteStoreTest, ExistingFileOpensWithoutCreate) {
  ASSERT_TRUE(store_->setSetting("k", "v").ok());
  store_.reset();
  auto s = openSqliteStore(path_, OpenOptions{.create_if_missing = false});
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ((*s)->getSetting("k").value(), "v");
}

TEST(SqliteStoreOpenTest, MissingDirectoryFailsNamingThePath) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.file("no/such/dir/costgate.db");
  auto s = openSqliteStore(path);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error(), path));
}

TEST(SqliteStoreOpenTest, NotADatabaseIsRefused) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.file("config.json");
  std::ofstream(path) << std::string(4096, 'x');
  auto s = openSqliteStore(path);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error(), path));
  EXPECT_TRUE(contains(s.error(), "not a database"));
}

TEST(SqliteStoreOpenTest, EmptyPathIsRefused) {
  auto s = openSqliteStore("");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(contains(s.error(), "path is empty"));
}

TEST(SqliteStoreOpenTest, InMemoryStoreWorks) {
  auto s = SqliteStore::open(":memory:");
  ASSERT_TRUE(s.ok()) << s.error();
  ASSERT_TRUE((*s)->insertProfile(makeProfile("p00000000001", "acme")).ok());
  EXPECT_EQ((*s)->listProfiles()->size(), 1u);
}

// --- profiles ---

TEST_F(SqliteStoreTest, ProfileRoundTripsWithTagsInOrder) {
  Profile p = makeProfile("abc123def456", "acme-prod",
                          {{"TenantID", "acme"},
                           {"zeta", "last-alphabetically-first-in-order"},
                           {"CostCenter", "CC-42"},
                           {"alpha", ""},
                           {"Env", "Prod"}});
  p.tier = "gold";
  p.provider = "sim";
  p.bedrock_arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/xyz";
  p.origin = Origin::kCli;
  p.created_at = at(1'767'225'600'123);
  ASSERT_TRUE(store_->insertProfile(p).ok());

  std::vector<Profile> got = profiles();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].tags, p.tags);  // order and case kept
  EXPECT_EQ(got[0].tier, "gold");
  EXPECT_EQ(got[0].provider, "sim");
  EXPECT_EQ(got[0].origin, Origin::kCli);
  EXPECT_EQ(got[0].created_at, p.created_at);
  EXPECT_EQ(got[0], p);
}

TEST_F(SqliteStoreTest, AwkwardTextRoundTrips) {
  Profile p = makeProfile("p00000000001", "O'Brien \"quoted\"; DROP TABLE profiles; --",
                          {{"Kéy ☕", std::string("nul\0inside", 10)}, {"empty", ""}});
  p.description = "";
  p.provider = "";
  ASSERT_TRUE(store_->insertProfile(p).ok());
  std::vector<Profile> got = profiles();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], p);
  EXPECT_EQ(got[0].tags[0].value.size(), 10u);
}

TEST_F(SqliteStoreTest, ProfileWithoutTagsRoundTrips) {
  Profile p = makeProfile("p00000000001", "plain");
  ASSERT_TRUE(store_->insertProfile(p).ok());
  std::vector<Profile> got = profiles();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], p);
}

TEST_F(SqliteStoreTest, ProfilesAreListedByName) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "charlie", {{"a", "1"}})).ok());
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000002", "alpha", {{"b", "2"}})).ok());
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000003", "bravo")).ok());
  std::vector<Profile> got = profiles();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].name, "alpha");
  EXPECT_EQ(got[0].tags, (std::vector<Tag>{{"b", "2"}}));
  EXPECT_EQ(got[1].name, "bravo");
  EXPECT_TRUE(got[1].tags.empty());
  EXPECT_EQ(got[2].name, "charlie");
  EXPECT_EQ(got[2].tags, (std::vector<Tag>{{"a", "1"}}));
}

TEST_F(SqliteStoreTest, DuplicateNameIsRefused) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "acme")).ok());
  int64_t before = generation(*store_);
  Status st = store_->insertProfile(makeProfile("p00000000002", "acme", {{"k", "v"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "insert profile \"acme\": UNIQUE constraint failed: profiles.name");
  EXPECT_EQ(profiles().size(), 1u);
  EXPECT_EQ(generation(*store_), before);
}

TEST_F(SqliteStoreTest, DuplicateIdIsRefused) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "acme")).ok());
  Status st = store_->insertProfile(makeProfile("p00000000001", "other"));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "insert profile \"other\""));
  EXPECT_TRUE(contains(st.error(), "profiles.id"));
  ASSERT_EQ(profiles().size(), 1u);
  EXPECT_EQ(profiles()[0].name, "acme");
}

TEST_F(SqliteStoreTest, TagKeysDifferingOnlyInCaseAreRefusedAtomically) {
  Status st = store_->insertProfile(
      makeProfile("p00000000001", "acme", {{"Team", "blue"}, {"team", "red"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "insert profile \"acme\""));
  EXPECT_TRUE(contains(st.error(), "tag key \"team\" appears more than once"));
  EXPECT_TRUE(profiles().empty());  // the profile row went with the failed tags
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM profile_tags"), 0);
}

TEST_F(SqliteStoreTest, UpdateReplacesEverythingButIdAndCreatedAt) {
  Profile p = makeProfile("p00000000001", "acme", {{"A", "1"}, {"B", "2"}});
  ASSERT_TRUE(store_->insertProfile(p).ok());

  Profile changed = p;
  changed.name = "acme-renamed";
  changed.description = "new description";
  changed.model_id = "amazon.nova-pro-v1:0";
  changed.region = "eu-west-1";
  changed.tier = "silver";
  changed.provider = "bedrock";
  changed.arn = "arn:aws:bedrock:eu-west-1:000000000000:application-inference-profile/x";
  changed.bedrock_arn = "arn:aws:bedrock:eu-west-1:1:application-inference-profile/y";
  changed.origin = Origin::kCli;
  changed.tags = {{"c", "3"}, {"a", "one"}};
  changed.created_at = at(42);  // ignored
  ASSERT_TRUE(store_->updateProfile(changed).ok());

  std::vector<Profile> got = profiles();
  ASSERT_EQ(got.size(), 1u);
  Profile want = changed;
  want.created_at = p.created_at;
  EXPECT_EQ(got[0], want);
}

TEST_F(SqliteStoreTest, UpdateOfMissingProfileFails) {
  Status st = store_->updateProfile(makeProfile("p0000000000x", "ghost"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "update profile \"ghost\": no profile with id \"p0000000000x\"");
  EXPECT_TRUE(profiles().empty());
}

TEST_F(SqliteStoreTest, UpdateToATakenNameFailsAndChangesNothing) {
  Profile a = makeProfile("p00000000001", "a", {{"k", "v"}});
  ASSERT_TRUE(store_->insertProfile(a).ok());
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000002", "b")).ok());
  Profile renamed = a;
  renamed.name = "b";
  renamed.tags = {};
  Status st = store_->updateProfile(renamed);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "UNIQUE constraint failed: profiles.name"));
  EXPECT_EQ(profiles()[0], a);
}

TEST_F(SqliteStoreTest, DeleteRemovesTagsAndUnbindsKeys) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one", {{"k", "v"}})).ok());
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000002", "two", {{"k", "w"}})).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("key1", 1000, {"p00000000001", "p00000000002"})).ok());

  ASSERT_TRUE(store_->deleteProfile("p00000000001").ok());

  std::vector<Profile> left = profiles();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].id, "p00000000002");
  std::vector<ApiKeyRecord> k = keys();
  ASSERT_EQ(k.size(), 1u);
  EXPECT_EQ(k[0].profile_ids, (std::vector<std::string>{"p00000000002"}));
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM profile_tags WHERE profile_id = 'p00000000001'"), 0);
}

TEST_F(SqliteStoreTest, DeletingAMissingProfileSucceeds) {
  int64_t before = generation(*store_);
  EXPECT_TRUE(store_->deleteProfile("nosuchprofil").ok());
  EXPECT_EQ(generation(*store_), before);  // nothing changed, nothing to reload
}

// --- API keys ---

TEST_F(SqliteStoreTest, KeyRoundTripsWithHashBytesIntact) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000002", "two")).ok());
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000003", "three")).ok());

  ApiKeyRecord tenant = makeKey("Abc0123456789xyZ", 1000, {"p00000000003", "p00000000001"});
  tenant.hash.fill(0);  // NULs must not truncate the blob
  tenant.hash[5] = 0xff;
  tenant.hash[31] = 0x80;
  ApiKeyRecord admin = makeKey("admin00000000000", 2000, {});
  admin.role = Role::kAdmin;
  admin.tenant = "";
  admin.origin = Origin::kSetup;
  ASSERT_TRUE(store_->insertKey(tenant).ok());
  ASSERT_TRUE(store_->insertKey(admin).ok());

  std::vector<ApiKeyRecord> got = keys();
  ASSERT_EQ(got.size(), 2u);
  ApiKeyRecord want = tenant;
  want.profile_ids = {"p00000000001", "p00000000003"};  // sorted
  EXPECT_EQ(got[0].hash, tenant.hash);
  EXPECT_EQ(got[0], want);
  EXPECT_EQ(got[1], admin);
  EXPECT_FALSE(got[1].revoked_at.has_value());

  RawDb raw(path_);
  EXPECT_EQ(raw.text("SELECT typeof(hash) FROM api_keys LIMIT 1"), "blob");
  EXPECT_EQ(raw.integer("SELECT min(length(hash)) FROM api_keys"), 32);
}

TEST_F(SqliteStoreTest, KeysAreListedByCreationThenId) {
  ASSERT_TRUE(store_->insertKey(makeKey("k3", 3000, {})).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("kb", 2000, {})).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("k1", 1000, {})).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("ka", 2000, {})).ok());
  std::vector<std::string> ids;
  for (const ApiKeyRecord& k : keys()) ids.push_back(k.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"k1", "ka", "kb", "k3"}));
}

TEST_F(SqliteStoreTest, KeyInsertedRevokedRoundTrips) {
  ApiKeyRecord k = makeKey("k1", 1000, {});
  k.revoked_at = at(1500);
  ASSERT_TRUE(store_->insertKey(k).ok());
  EXPECT_EQ(keys().at(0), k);
}

TEST_F(SqliteStoreTest, RepeatedProfileIdsBindOnce) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("k1", 1000, {"p00000000001", "p00000000001"})).ok());
  EXPECT_EQ(keys().at(0).profile_ids, (std::vector<std::string>{"p00000000001"}));
}

TEST_F(SqliteStoreTest, KeyForUnknownProfileIsRefusedAtomically) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
  Status st = store_->insertKey(makeKey("k1", 1000, {"p00000000001", "p0000000000x"}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "insert API key \"k1\": no profile with id \"p0000000000x\"");
  EXPECT_TRUE(keys().empty());
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM api_key_profiles"), 0);
}

TEST_F(SqliteStoreTest, DuplicateKeyIdIsRefused) {
  ASSERT_TRUE(store_->insertKey(makeKey("k1", 1000, {})).ok());
  Status st = store_->insertKey(makeKey("k1", 2000, {}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "insert API key \"k1\": UNIQUE constraint failed: api_keys.id");
}

TEST_F(SqliteStoreTest, RevokeKeepsTheFirstTime) {
  ASSERT_TRUE(store_->insertKey(makeKey("k1", 1000, {})).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("k2", 1001, {})).ok());
  ASSERT_TRUE(store_->revokeKey("k1", at(5000)).ok());
  int64_t after_first = generation(*store_);
  ASSERT_TRUE(store_->revokeKey("k1", at(9000)).ok());
  EXPECT_EQ(generation(*store_), after_first);

  std::vector<ApiKeyRecord> got = keys();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].revoked_at, at(5000));
  EXPECT_FALSE(got[1].revoked_at.has_value());
}

TEST_F(SqliteStoreTest, RevokingAMissingKeyFails) {
  Status st = store_->revokeKey("nope", at(5000));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "revoke API key \"nope\": no API key with id \"nope\"");
}

TEST_F(SqliteStoreTest, DeleteKeyRemovesItAndItsBindings) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("k1", 1000, {"p00000000001"})).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("k2", 2000, {"p00000000001"})).ok());
  ASSERT_TRUE(store_->deleteKey("k1").ok());
  std::vector<ApiKeyRecord> got = keys();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "k2");
  EXPECT_EQ(profiles().size(), 1u);  // the profile stays
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM api_key_profiles WHERE key_id = 'k1'"), 0);

  EXPECT_TRUE(store_->deleteKey("k1").ok());  // missing: not an error
}

// --- prices ---

std::vector<ModelPrice> samplePrices() {
  ModelPrice text;
  text.region = "us-east-1";
  text.model_id = "anthropic.claude-3-5-haiku-20241022-v1:0";
  text.kind = ModelKind::kText;
  text.tokens.input_per_1k = money("0.00000875");
  text.tokens.output_per_1k = money("3.5e-05");
  text.tokens.cache_read_per_1k = money("0.00008");
  text.tokens.cache_write_per_1k = money("0.001");

  ModelPrice text_later = text;
  text_later.effective_from = at(1'767'225'600'000);
  text_later.tokens.input_per_1k = money("0.000000000000000001");  // the smallest step
  text_later.tokens.output_per_1k = money("123456789012.5");
  text_later.tokens.cache_read_per_1k.reset();
  text_later.tokens.cache_write_per_1k = money("0");

  ModelPrice embeddings;
  embeddings.region = "eu-west-1";
  embeddings.model_id = "amazon.titan-embed-text-v2:0";
  embeddings.kind = ModelKind::kEmbeddings;
  embeddings.tokens.input_per_1k = money("0.00002");
  embeddings.tokens.output_per_1k = money("0");

  ModelPrice image;
  image.region = "us-west-2";
  image.model_id = "stability.sd3-large-v1:0";
  image.kind = ModelKind::kImage;
  image.images = {{"512x512", {{"standard", money("0.018")}, {"premium", money("0.036")}}},
                  {"larger", {{"standard", money("3.6e-2")}, {"premium", money("0.072")}}}};
  image.effective_from = at(0);  // the epoch is a date, not "since always"
  return {text, text_later, embeddings, image};
}

TEST_F(SqliteStoreTest, PricesRoundTripExactly) {
  std::vector<ModelPrice> want = samplePrices();
  ASSERT_TRUE(store_->replacePrices(want).ok());
  std::vector<ModelPrice> got = prices();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_TRUE(got[i] == want[i]) << "price " << i;

  EXPECT_EQ(got[0].tokens.input_per_1k.toString(), "0.00000875");
  EXPECT_EQ(got[0].tokens.output_per_1k, money("0.000035"));
  EXPECT_FALSE(got[0].effective_from.has_value());
  EXPECT_FALSE(got[1].tokens.cache_read_per_1k.has_value());
  EXPECT_EQ(got[1].tokens.cache_write_per_1k, money("0"));
  EXPECT_EQ(got[1].effective_from, at(1'767'225'600'000));
  EXPECT_EQ(got[3].effective_from, at(0));
  EXPECT_EQ(got[3].images.at("larger").at("standard"), money("0.036"));
}

TEST_F(SqliteStoreTest, MoneyIsStoredAsExactText) {
  ASSERT_TRUE(store_->replacePrices(samplePrices()).ok());
  RawDb raw(path_);
  EXPECT_EQ(raw.text("SELECT typeof(input_per_1k) FROM prices WHERE position = 0"), "text");
  EXPECT_EQ(raw.text("SELECT output_per_1k FROM prices WHERE position = 0"), "0.000035");
  EXPECT_EQ(raw.text("SELECT cache_read_per_1k IS NULL FROM prices WHERE position = 1"), "1");
  EXPECT_EQ(raw.text("SELECT images_json FROM prices WHERE position = 3"),
            R"({"512x512":{"premium":"0.036","standard":"0.018"},)"
            R"("larger":{"premium":"0.072","standard":"0.036"}})");
  EXPECT_EQ(raw.text("SELECT images_json IS NULL FROM prices WHERE position = 0"), "1");
}

TEST_F(SqliteStoreTest, ReplacePricesReplacesTheWholeTable) {
  ASSERT_TRUE(store_->replacePrices(samplePrices()).ok());
  std::vector<ModelPrice> next = {samplePrices()[2]};
  next[0].tokens.input_per_1k = money("0.00003");
  ASSERT_TRUE(store_->replacePrices(next).ok());
  std::vector<ModelPrice> got = prices();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(got[0] == next[0]);

  ASSERT_TRUE(store_->replacePrices({}).ok());
  EXPECT_TRUE(prices().empty());
}

TEST_F(SqliteStoreTest, TwoVersionsWithTheSameStartAreRefused) {
  std::vector<ModelPrice> dup = {samplePrices()[0], samplePrices()[0]};
  Status st = store_->replacePrices(dup);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "two price versions with the same effective date"));

  std::vector<ModelPrice> dated = {samplePrices()[1], samplePrices()[1]};
  EXPECT_FALSE(store_->replacePrices(dated).ok());
}

TEST_F(SqliteStoreTest, FailedReplaceKeepsTheOldTable) {
  std::vector<ModelPrice> old = samplePrices();
  ASSERT_TRUE(store_->replacePrices(old).ok());
  ASSERT_FALSE(store_->replacePrices({old[0], old[0]}).ok());
  EXPECT_EQ(prices().size(), old.size());
}

TEST_F(SqliteStoreTest, CorruptPriceTextIsReportedNotGuessed) {
  ASSERT_TRUE(store_->replacePrices({samplePrices()[0]}).ok());
  RawDb(path_).exec("UPDATE prices SET input_per_1k = '1,5'");
  auto got = store_->listPrices();
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(contains(got.error(), "input_per_1k \"1,5\""));
}

// --- settings ---

TEST_F(SqliteStoreTest, SettingsSetGetAndOverwrite) {
  EXPECT_EQ(store_->getSetting("config_path").value(), "");
  ASSERT_TRUE(store_->setSetting("config_path", "/etc/costgate/config.json").ok());
  ASSERT_TRUE(store_->setSetting("other", "x").ok());
  EXPECT_EQ(store_->getSetting("config_path").value(), "/etc/costgate/config.json");
  ASSERT_TRUE(store_->setSetting("config_path", "./config.json").ok());
  EXPECT_EQ(store_->getSetting("config_path").value(), "./config.json");
  EXPECT_EQ(store_->getSetting("other").value(), "x");
}

// --- transactions ---

TEST_F(SqliteStoreTest, TransactionCommitsEverything) {
  int64_t before = generation(*store_);
  Status st = store_->transaction([&]() -> Status {
    if (Status s = store_->insertProfile(makeProfile("p00000000001", "one")); !s) return s;
    if (Status s = store_->insertKey(makeKey("k1", 1000, {"p00000000001"})); !s) return s;
    if (Status s = store_->replacePrices(samplePrices()); !s) return s;
    return store_->setSetting("config_path", "c.json");
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(profiles().size(), 1u);
  EXPECT_EQ(keys().size(), 1u);
  EXPECT_EQ(prices().size(), 4u);
  EXPECT_EQ(store_->getSetting("config_path").value(), "c.json");
  EXPECT_GT(generation(*store_), before);
}

TEST_F(SqliteStoreTest, FailedTransactionLeavesNothing) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000000", "existing")).ok());
  int64_t before = generation(*store_);
  Status st = store_->transaction([&]() -> Status {
    EXPECT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one", {{"k", "v"}})).ok());
    EXPECT_TRUE(store_->insertKey(makeKey("k1", 1000, {"p00000000001"})).ok());
    EXPECT_TRUE(store_->replacePrices(samplePrices()).ok());
    EXPECT_TRUE(store_->setSetting("config_path", "c.json").ok());
    EXPECT_TRUE(store_->deleteProfile("p00000000000").ok());
    // Reads inside see the uncommitted writes.
    EXPECT_EQ(store_->listProfiles()->size(), 1u);
    return makeError("changed my mind");
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "changed my mind");

  std::vector<Profile> got = profiles();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].name, "existing");
  EXPECT_TRUE(keys().empty());
  EXPECT_TRUE(prices().empty());
  EXPECT_EQ(store_->getSetting("config_path").value(), "");
  EXPECT_EQ(generation(*store_), before);
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM profile_tags"), 0);
}

TEST_F(SqliteStoreTest, FailedCallInsideATransactionUndoesOnlyItself) {
  Status st = store_->transaction([&]() -> Status {
    EXPECT_TRUE(store_->insertProfile(makeProfile("p00000000001", "a")).ok());
    // Fails after its profile row is written: the savepoint takes the row back.
    EXPECT_FALSE(
        store_->insertProfile(makeProfile("p00000000002", "bad", {{"K", "1"}, {"k", "2"}})).ok());
    EXPECT_TRUE(store_->insertProfile(makeProfile("p00000000003", "c")).ok());
    return {};
  });
  ASSERT_TRUE(st.ok()) << st.error();
  std::vector<Profile> got = profiles();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].name, "a");
  EXPECT_EQ(got[1].name, "c");
}

TEST_F(SqliteStoreTest, TransactionsDoNotNest) {
  Status inner;
  Status outer = store_->transaction([&]() -> Status {
    inner = store_->transaction([] { return Status(); });
    return {};
  });
  EXPECT_TRUE(outer.ok()) << outer.error();
  ASSERT_FALSE(inner.ok());
  EXPECT_TRUE(contains(inner.error(), "do not nest"));
  // And the store is usable again afterwards.
  EXPECT_TRUE(store_->transaction([] { return Status(); }).ok());
}

TEST_F(SqliteStoreTest, ExceptionInTransactionRollsBack) {
  auto throwing = [&]() -> Status {
    EXPECT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
    throw std::runtime_error("boom");
  };
  EXPECT_THROW((void)store_->transaction(throwing), std::runtime_error);
  EXPECT_TRUE(profiles().empty());
  // Neither a transaction nor the "inside transaction()" state is left behind.
  EXPECT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
  EXPECT_TRUE(store_->transaction([] { return Status(); }).ok());
  EXPECT_EQ(profiles().size(), 1u);
}

TEST_F(SqliteStoreTest, UncommittedWritesAreInvisibleToOtherProcesses) {
  std::unique_ptr<Store> other = open();
  ASSERT_NE(other, nullptr);
  Status st = store_->transaction([&]() -> Status {
    EXPECT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
    EXPECT_TRUE(other->listProfiles()->empty());
    return {};
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(other->listProfiles()->size(), 1u);
}

TEST_F(SqliteStoreTest, WriterWaitsForAnotherWriter) {
  RawDb raw(path_);
  raw.exec("BEGIN IMMEDIATE");
  raw.exec("INSERT INTO settings (name, value) VALUES ('from', 'raw')");
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    raw.exec("COMMIT");
  });
  Status st = store_->setSetting("from", "store");  // blocks until the raw writer commits
  releaser.join();
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(store_->getSetting("from").value(), "store");
}

// --- generation ---

TEST_F(SqliteStoreTest, GenerationGrowsWithEveryChangeAndIsSeenByOtherProcesses) {
  std::unique_ptr<Store> other = open();
  ASSERT_NE(other, nullptr);
  int64_t last = generation(*other);
  auto expectGrew = [&](const char* step) {
    int64_t now = generation(*other);
    EXPECT_GT(now, last) << step;
    EXPECT_EQ(generation(*store_), now) << step;
    last = now;
  };

  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one")).ok());
  expectGrew("insertProfile");
  Profile changed = makeProfile("p00000000001", "one-renamed");
  ASSERT_TRUE(store_->updateProfile(changed).ok());
  expectGrew("updateProfile");
  ASSERT_TRUE(store_->insertKey(makeKey("k1", 1000, {"p00000000001"})).ok());
  expectGrew("insertKey");
  ASSERT_TRUE(store_->revokeKey("k1", at(2000)).ok());
  expectGrew("revokeKey");
  ASSERT_TRUE(store_->deleteKey("k1").ok());
  expectGrew("deleteKey");
  ASSERT_TRUE(store_->replacePrices(samplePrices()).ok());
  expectGrew("replacePrices");
  ASSERT_TRUE(store_->setSetting("a", "b").ok());
  expectGrew("setSetting");
  ASSERT_TRUE(store_->deleteProfile("p00000000001").ok());
  expectGrew("deleteProfile");
  ASSERT_TRUE(store_->transaction([&] { return store_->setSetting("a", "c"); }).ok());
  expectGrew("transaction");

  // Reads and failures change nothing.
  (void)store_->listProfiles();
  (void)store_->listKeys();
  (void)store_->listPrices();
  (void)store_->getSetting("a");
  EXPECT_FALSE(store_->revokeKey("missing", at(1)).ok());
  EXPECT_FALSE(store_->updateProfile(makeProfile("p0000000000x", "x")).ok());
  EXPECT_EQ(generation(*other), last);

  // And the other process's changes are seen here too.
  ASSERT_TRUE(other->setSetting("from", "other").ok());
  EXPECT_GT(generation(*store_), last);
  EXPECT_EQ(store_->getSetting("from").value(), "other");
}

TEST_F(SqliteStoreTest, GenerationSurvivesReopening) {
  ASSERT_TRUE(store_->setSetting("a", "b").ok());
  ASSERT_TRUE(store_->setSetting("a", "c").ok());
  int64_t g = generation(*store_);
  store_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(generation(*store_), g);
}

// --- migrations ---

TEST(SchemaMigrationsTest, VersionsRunFromOneWithoutGaps) {
  std::span<const Migration> all = schemaMigrations();
  ASSERT_FALSE(all.empty());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i].version, static_cast<int>(i) + 1);
  EXPECT_EQ(latestSchemaVersion(), all.back().version);
}

TEST_F(SqliteStoreTest, ReopeningKeepsDataAndDoesNotRerunMigrations) {
  ASSERT_TRUE(store_->insertProfile(makeProfile("p00000000001", "one", {{"k", "v"}})).ok());
  ASSERT_TRUE(store_->insertKey(makeKey("k1", 1000, {"p00000000001"})).ok());
  ASSERT_TRUE(store_->replacePrices(samplePrices()).ok());
  std::string applied;
  {
    RawDb raw(path_);
    EXPECT_EQ(raw.integer("SELECT count(*) FROM schema_migrations"), latestSchemaVersion());
    EXPECT_EQ(raw.integer("SELECT max(version) FROM schema_migrations"), latestSchemaVersion());
    applied = raw.text("SELECT group_concat(version || ':' || applied_at) FROM schema_migrations");
    EXPECT_GT(raw.integer("SELECT min(applied_at) FROM schema_migrations"), 0);
  }
  std::vector<Profile> before = profiles();
  store_.reset();

  store_ = open(OpenOptions{.create_if_missing = false});
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(profiles(), before);
  EXPECT_EQ(keys().size(), 1u);
  EXPECT_EQ(prices().size(), samplePrices().size());
  RawDb raw(path_);
  EXPECT_EQ(raw.text("SELECT group_concat(version || ':' || applied_at) FROM schema_migrations"),
            applied);
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  store_.reset();
  int newer = latestSchemaVersion() + 1;
  RawDb(path_).exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                    std::to_string(newer) + ", 1)");
  auto s = openSqliteStore(path_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "store " + path_ + " has schema version " + std::to_string(newer) +
                           ", newer than this costgate knows (" +
                           std::to_string(latestSchemaVersion()) +
                           "); upgrade costgate to open it");
}

class MigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    path_ = dir_.file("m.db");
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.error();
    db_.emplace(std::move(*db));
  }
  int version() {
    auto v = schemaVersion(*db_);
    EXPECT_TRUE(v.ok()) << v.error();
    return v.ok() ? *v : -1;
  }

  static constexpr Migration kSteps[] = {
      {1, "CREATE TABLE t (a INTEGER NOT NULL)"},
      {2, "ALTER TABLE t ADD COLUMN b TEXT; INSERT INTO t (a, b) VALUES (1, 'one')"},
      {3, "INSERT INTO t (a) VALUES (2); CREATE TABLE t (x)"},  // fails halfway
  };

  TempDir dir_;
  std::string path_;
  std::optional<sqlite::Database> db_;
};

TEST_F(MigrateTest, AppliesPendingStepsInOrderOnce) {
  EXPECT_EQ(version(), 0);
  std::span<const Migration> steps(kSteps);
  ASSERT_TRUE(migrate(*db_, path_, at(100), steps.first(1)).ok());
  EXPECT_EQ(version(), 1);
  ASSERT_TRUE(migrate(*db_, path_, at(200), steps.first(2)).ok());
  EXPECT_EQ(version(), 2);
  ASSERT_TRUE(migrate(*db_, path_, at(300), steps.first(2)).ok());  // nothing pending

  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM t"), 1);
  EXPECT_EQ(raw.text("SELECT group_concat(version || ':' || applied_at) FROM schema_migrations"),
            "1:100,2:200");
}

TEST_F(MigrateTest, FailingStepLeavesThePreviousVersion) {
  std::span<const Migration> steps(kSteps);
  Status st = migrate(*db_, path_, at(100), steps);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "store " + path_ + ": apply schema migration 3: "));
  EXPECT_TRUE(contains(st.error(), "table t already exists"));
  EXPECT_EQ(version(), 2);
  RawDb raw(path_);
  EXPECT_EQ(raw.integer("SELECT count(*) FROM t"), 1);  // step 3's insert was undone
}

TEST_F(MigrateTest, NewerStoreIsRefusedUnchanged) {
  std::span<const Migration> steps(kSteps);
  ASSERT_TRUE(migrate(*db_, path_, at(100), steps.first(2)).ok());
  Status st = migrate(*db_, path_, at(200), steps.first(1));
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "schema version 2, newer than this costgate knows (1)"));
  EXPECT_EQ(version(), 2);
}

}  // namespace
}  // namespace costgate::store
