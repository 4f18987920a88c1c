// Schema version 5: the AWS ARN of a profile mirrored to Bedrock names one profile, and a
// version-4 store upgrades in place keeping its profiles.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "store/migrations.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/store_file_test.h"

namespace costgate::store {
namespace {

TimePoint at(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

constexpr char kMirrorArn[] =
    "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdefghij12";

class BedrockMirrorStoreTest : public StoreFileTest {
 protected:
  static profiles::Profile profile(std::string id, std::string name, std::string bedrock_arn) {
    profiles::Profile p;
    p.id = std::move(id);
    p.name = std::move(name);
    p.model_id = "amazon.nova-pro-v1:0";
    p.region = "us-west-2";
    p.arn = profiles::profileArn(p.region, "123456789012", p.id);
    p.bedrock_arn = std::move(bedrock_arn);
    p.created_at = at(1000);
    return p;
  }
};

TEST_F(BedrockMirrorStoreTest, MigrationFiveIndexesTheMirrorArn) {
  std::span<const Migration> all = schemaMigrations();
  ASSERT_GE(all.size(), 5u);
  EXPECT_EQ(all[4].version, 5);
  EXPECT_GE(latestSchemaVersion(), 5);
  EXPECT_NE(all[4].sql.find("CREATE UNIQUE INDEX profiles_by_bedrock_arn ON profiles "
                            "(bedrock_arn) WHERE bedrock_arn <> ''"),
            std::string::npos);
}

TEST_F(BedrockMirrorStoreTest, VersionFourStoreUpgradesInPlaceKeepingItsProfiles) {
  {
    // A store as costgate with schema 4 left it: one profile that is not mirrored.
    auto db = sqlite::Database::open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok()) << db.error();
    ASSERT_TRUE(migrate(*db, path_, at(100), schemaMigrations().first(4)).ok());
    ASSERT_TRUE(db->exec("INSERT INTO profiles VALUES ('p00000000001', 'one', 'd', "
                         "'amazon.nova-pro-v1:0', 'us-west-2', '', 'bedrock', 'arn', '', 1, "
                         "'setup');"
                         "INSERT INTO profile_tags VALUES ('p00000000001', 0, 'TenantID', "
                         "'tenantid', 'acme');",
                         "seed a version-4 store")
                    .ok());
  }
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"), "4");
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'profiles_by_bedrock_arn'"),
            "0");

  auto opened = SqliteStore::open(path_, {.create_if_missing = false});
  ASSERT_TRUE(opened.ok()) << opened.error();
  std::unique_ptr<SqliteStore> store = std::move(*opened);
  EXPECT_EQ(query("SELECT max(version) FROM schema_migrations"),
            std::to_string(latestSchemaVersion()));
  EXPECT_EQ(query("SELECT count(*) FROM sqlite_master WHERE name = 'profiles_by_bedrock_arn'"),
            "1");
  auto listed = store->listProfiles();
  ASSERT_TRUE(listed.ok()) << listed.error();
  ASSERT_EQ(listed->size(), 1u);
  profiles::Profile one = (*listed)[0];
  EXPECT_EQ(one.id, "p00000000001");
  EXPECT_EQ(one.bedrock_arn, "") << "not mirrored";
  EXPECT_EQ(one.tags, (std::vector<profiles::Tag>{{"TenantID", "acme"}}));

  // Mirroring records the ARN; it reads back, and the index serves the lookup by it.
  one.bedrock_arn = kMirrorArn;
  ASSERT_TRUE(store->updateProfile(one).ok());
  listed = store->listProfiles();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)[0].bedrock_arn, kMirrorArn);
  EXPECT_EQ(query(std::string("SELECT id FROM profiles INDEXED BY profiles_by_bedrock_arn "
                              "WHERE bedrock_arn <> '' AND bedrock_arn = '") +
                  kMirrorArn + "'"),
            "p00000000001");
}

TEST_F(BedrockMirrorStoreTest, AnAwsArnNamesOneProfileOnly) {
  auto opened = SqliteStore::open(path_);
  ASSERT_TRUE(opened.ok()) << opened.error();
  SqliteStore& store = **opened;
  ASSERT_TRUE(store.insertProfile(profile("p00000000001", "one", kMirrorArn)).ok());
  Status dup = store.insertProfile(profile("p00000000002", "two", kMirrorArn));
  ASSERT_FALSE(dup.ok()) << "two profiles with one AWS ARN";
  EXPECT_NE(dup.error().find("UNIQUE constraint failed: profiles.bedrock_arn"), std::string::npos)
      << dup.error();
  // Any number of profiles are not mirrored.
  EXPECT_TRUE(store.insertProfile(profile("p00000000003", "three", "")).ok());
  EXPECT_TRUE(store.insertProfile(profile("p00000000004", "four", "")).ok());
  auto listed = store.listProfiles();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 3u);
}

}  // namespace
}  // namespace costgate::store
