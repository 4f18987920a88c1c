#include "gateway/snapshot.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "identity/aws_credential.h"
#include "store/sqlite_store.h"

namespace costgate::gateway {
namespace {

using identity::Role;
using profiles::Origin;

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2025} / 6 / 1}};

class SnapshotAwsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/costgate_snapshot_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    key_path_ = dir_ + "/costgate.db.key";
    auto s = store::SqliteStore::open(":memory:");
    ASSERT_TRUE(s.ok()) << s.error();
    store_ = std::move(*s);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  identity::NewAwsCredential addCredential(const identity::MasterKey& key) {
    identity::NewAwsCredential c =
        identity::generateAwsCredential(Role::kAdmin, "", {}, kNow, Origin::kCli, key);
    EXPECT_TRUE(store_->insertKey(c.record).ok());
    return c;
  }

  std::string dir_;
  std::string key_path_;
  std::unique_ptr<store::SqliteStore> store_;
};

TEST_F(SnapshotAwsTest, OpensLiveCredentialsWithTheMasterKey) {
  auto key = identity::loadOrCreateMasterKey(key_path_);
  ASSERT_TRUE(key.ok()) << key.error();
  identity::NewAwsCredential live = addCredential(*key);
  identity::NewAwsCredential revoked = addCredential(*key);
  ASSERT_TRUE(store_->revokeKey(revoked.record.id, kNow).ok());
  auto snap = loadSnapshot(*store_, key_path_);
  ASSERT_TRUE(snap.ok()) << snap.error();
  const identity::AwsCaller* found = (*snap)->keys.findAwsCredential(live.record.id);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->secret_access_key, live.secret_access_key);
  EXPECT_EQ(found->principal.role, Role::kAdmin);
  EXPECT_EQ((*snap)->keys.findAwsCredential(revoked.record.id), nullptr);
}

TEST_F(SnapshotAwsTest, NoCredentialsNeedNoMasterKey) {
  auto snap = loadSnapshot(*store_, key_path_);
  ASSERT_TRUE(snap.ok()) << snap.error();
  EXPECT_FALSE(std::filesystem::exists(key_path_));
}

TEST_F(SnapshotAwsTest, AnUnopenableCredentialIsNamedAndLeftOutWithoutFailingTheLoad) {
  identity::MasterKey key{};
  key.fill(5);
  identity::NewAwsCredential c = addCredential(key);
  // An API key beside it, and a price-less store otherwise: the rest of the snapshot must load.
  identity::NewApiKey api = identity::generateApiKey(Role::kAdmin, "", {}, kNow, Origin::kCli);
  ASSERT_TRUE(store_->insertKey(api.record).ok());

  auto missing = loadSnapshot(*store_, key_path_);
  ASSERT_TRUE(missing.ok()) << missing.error();
  ASSERT_EQ((*missing)->aws_credential_problems.size(), 1u);
  EXPECT_TRUE((*missing)->aws_credential_problems[0].starts_with(
      "AWS credential " + c.record.id +
      ": the store holds AWS credentials, but cannot read master key " + key_path_ +
      ": No such file or directory; "))
      << (*missing)->aws_credential_problems[0];
  EXPECT_EQ((*missing)->keys.findAwsCredential(c.record.id), nullptr);  // its callers are refused
  EXPECT_TRUE((*missing)->keys.authenticate(api.token).has_value());    // API keys still work

  std::ofstream(key_path_, std::ios::binary) << std::string(32, '\x06');
  auto wrong = loadSnapshot(*store_, key_path_);
  ASSERT_TRUE(wrong.ok()) << wrong.error();
  EXPECT_EQ((*wrong)->aws_credential_problems,
            std::vector<std::string>{"AWS credential " + c.record.id +
                                     ": the secret does not decrypt under this master key (wrong "
                                     "key file, or the stored secret was altered)"});
  EXPECT_EQ((*wrong)->keys.findAwsCredential(c.record.id), nullptr);
}

}  // namespace
}  // namespace costgate::gateway
