// Schema version 4: AWS credentials as api_keys rows with a sealed secret, and the upgrade of a
// version-3 store in place.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "identity/aws_credential.h"
#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/store_file_test.h"

namespace costgate::store {
namespace {

using identity::ApiKeyRecord;
using identity::Role;
using profiles::Origin;

TimePoint at(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

class AwsCredentialStoreTest : public StoreFileTest {};

TEST_F(AwsCredentialStoreTest, MigrationFourAddsTheSealedSecretColumn) {
  std::span<const Migration> all = schemaMigrations();
  ASSERT_GE(all.size(), 4u);
  EXPECT_EQ(all[3].version, 4);
  EXPECT_GE(latestSchemaVersion(), 4);
  EXPECT_NE(all[3].sql.find("ALTER TABLE api_keys ADD COLUMN aws_secret BLOB"), std::string::npos);
}

TEST_F(AwsCredentialStoreTest, VersionThreeStoreUpgradesInPlaceKeepingItsKeys) {
  {
    // A store as costgate with schema 3 left it, holding one API key bound to one profile.
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE(migrate(*db, path_, at(100), schemaMigrations().first(3)).ok());
    ASSERT_TRUE(db->exec("INSERT INTO profiles VALUES ('p00000000001', 'one', '', 'm', "
                         "'us-east-1', '', '', 'arn', '', 1, 'setup');"
                         "INSERT INTO api_keys (id, hash, role, tenant, created_at, revoked_at, "
                         "origin) VALUES ('k000000000000001', zeroblob(32), 'tenant', 'acme', "
                         "5, NULL, 'cli');"
                         "INSERT INTO api_key_profiles VALUES ('k000000000000001', "
                         "'p00000000001');",
                         "seed a version-3 store")
                    .ok());
  }
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"), "3");

  auto opened = SqliteStore::open(path_, {.create_if_missing = false});
  ASSERT_TRUE(opened.ok()) << opened.error();
  std::unique_ptr<SqliteStore> store = std::move(*opened);
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"),
            std::to_string(latestSchemaVersion()));
  EXPECT_EQ(query("SELECT aws_secret FROM api_keys"), "NULL");
  auto keys = store->listKeys();
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].id, "k000000000000001");
  EXPECT_FALSE((*keys)[0].isAws());
  EXPECT_EQ((*keys)[0].profile_ids, (std::vector<std::string>{"p00000000001"}));

  // The upgraded store takes AWS credentials beside the API key.
  identity::MasterKey master{};
  master.fill(7);
  identity::NewAwsCredential c = identity::generateAwsCredential(
      Role::kTenant, "acme", {"p00000000001"}, at(10), Origin::kCli, master);
  ASSERT_TRUE(store->insertKey(c.record).ok());
  keys = store->listKeys();
  ASSERT_TRUE(keys.ok()) << keys.error();
  ASSERT_EQ(keys->size(), 2u);
  const ApiKeyRecord& back = (*keys)[1];
  EXPECT_EQ(back, c.record);
  EXPECT_TRUE(back.isAws());
  Result<std::string> secret = identity::openAwsSecret(back, master);
  ASSERT_TRUE(secret.ok()) << secret.error();
  EXPECT_EQ(*secret, c.secret_access_key);
  EXPECT_EQ(query("SELECT length(aws_secret) FROM api_keys WHERE id = '" + c.record.id + "'"),
            "68");  // 12-byte nonce, 40 bytes of secret, 16-byte tag

  // Revocation applies to it as to any key.
  ASSERT_TRUE(store->revokeKey(c.record.id, at(20)).ok());
  keys = store->listKeys();
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ((*keys)[1].revoked_at, at(20));
}

}  // namespace
}  // namespace costgate::store
