#include "identity/aws_credential.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "identity/principal.h"
#include "identity/secret_box.h"

namespace costgate::identity {
namespace {

using profiles::Origin;

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2025} / 6 / 1}};

MasterKey keyOf(uint8_t seed) {
  MasterKey k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 7);
  return k;
}

// A fresh directory under /tmp, removed with everything in it when the test ends.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/costgate_secret_test_XXXXXX";
    if (mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// --- secret_box ---

TEST(SecretBoxTest, SealedSecretOpensWithTheSameKeyAndAad) {
  const MasterKey key = keyOf(1);
  const std::string secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  std::string sealed = sealSecret(key, secret, "AKCGEXAMPLE000000001");
  EXPECT_EQ(sealed.size(), 12 + secret.size() + 16);  // nonce | ciphertext | tag
  EXPECT_EQ(sealed.find(secret), std::string::npos);
  Result<std::string> opened = openSecret(key, sealed, "AKCGEXAMPLE000000001");
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(*opened, secret);
  // A fresh nonce each time: sealing twice gives different bytes.
  EXPECT_NE(sealSecret(key, secret, "AKCGEXAMPLE000000001"), sealed);
}

TEST(SecretBoxTest, WrongKeyAadOrAnyChangedByteIsRefused) {
  const MasterKey key = keyOf(1);
  std::string sealed = sealSecret(key, "the secret", "id-1");
  const std::string refusal =
      "the secret does not decrypt under this master key (wrong key file, or the stored secret "
      "was altered)";
  Result<std::string> wrong_key = openSecret(keyOf(2), sealed, "id-1");
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.error(), refusal);
  Result<std::string> wrong_aad = openSecret(key, sealed, "id-2");
  ASSERT_FALSE(wrong_aad.ok());
  EXPECT_EQ(wrong_aad.error(), refusal);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string altered = sealed;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_FALSE(openSecret(key, altered, "id-1").ok()) << "byte " << i;
  }
  Result<std::string> short_one = openSecret(key, sealed.substr(0, 27), "id-1");
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.error(), "the sealed secret is too short to be one");
}

TEST(SecretBoxTest, MasterKeyFileIsCreatedOnceWithMode0600) {
  TempDir dir;
  const std::string path = masterKeyPathFor(dir.file("costgate.db"));
  EXPECT_EQ(path, dir.file("costgate.db.key"));
  Result<MasterKey> created = loadOrCreateMasterKey(path);
  ASSERT_TRUE(created.ok()) << created.error();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_EQ(st.st_size, 32);
  Result<MasterKey> again = loadOrCreateMasterKey(path);
  ASSERT_TRUE(again.ok()) << again.error();
  EXPECT_EQ(*again, *created);
  Result<MasterKey> loaded = loadMasterKey(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error();
  EXPECT_EQ(*loaded, *created);
}

TEST(SecretBoxTest, MissingOrMalformedMasterKeyIsAClearError) {
  TempDir dir;
  const std::string path = dir.file("costgate.db.key");
  Result<MasterKey> missing = loadMasterKey(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(),
            "cannot read master key " + path + ": No such file or directory; the master key file " +
                path +
                " holds the key that AWS secret access keys in the store are encrypted with; "
                "restore it from a backup (without it those credentials cannot be used: revoke "
                "them and create new ones with `costgate keys create --aws`)");
  for (size_t size : {0, 31, 33}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(size, 'k');
    Result<MasterKey> bad = loadMasterKey(path);
    ASSERT_FALSE(bad.ok()) << size;
    EXPECT_TRUE(bad.error().starts_with("master key " + path + " is not 32 bytes long; "))
        << bad.error();
    // loadOrCreate never replaces a file that exists.
    EXPECT_FALSE(loadOrCreateMasterKey(path).ok());
  }
}

// --- AWS credentials ---

TEST(AwsCredentialTest, IssuesAnAccessKeyIdAndASealedSecret) {
  const MasterKey key = keyOf(9);
  NewAwsCredential c =
      generateAwsCredential(Role::kTenant, "acme", {"p1", "p2"}, kNow, Origin::kCli, key);
  EXPECT_TRUE(std::regex_match(c.record.id, std::regex("AKCG[A-Z0-9]{16}"))) << c.record.id;
  EXPECT_TRUE(isAwsAccessKeyId(c.record.id));
  EXPECT_TRUE(std::regex_match(c.secret_access_key, std::regex("[A-Za-z0-9]{40}")));
  EXPECT_TRUE(c.record.isAws());
  EXPECT_EQ(c.record.aws_secret_sealed.find(c.secret_access_key), std::string::npos);
  EXPECT_EQ(c.record.role, Role::kTenant);
  EXPECT_EQ(c.record.tenant, "acme");
  EXPECT_EQ(c.record.profile_ids, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(c.record.created_at, kNow);
  Result<std::string> opened = openAwsSecret(c.record, key);
  ASSERT_TRUE(opened.ok()) << opened.error();
  EXPECT_EQ(*opened, c.secret_access_key);

  NewAwsCredential other =
      generateAwsCredential(Role::kTenant, "acme", {}, kNow, Origin::kCli, key);
  EXPECT_NE(other.record.id, c.record.id);
  EXPECT_NE(other.secret_access_key, c.secret_access_key);
}

TEST(AwsCredentialTest, WrongMasterKeyNamesTheCredential) {
  NewAwsCredential c = generateAwsCredential(Role::kAdmin, "", {}, kNow, Origin::kCli, keyOf(1));
  Result<std::string> opened = openAwsSecret(c.record, keyOf(2));
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error(), "AWS credential " + c.record.id +
                                ": the secret does not decrypt under this master key (wrong key "
                                "file, or the stored secret was altered)");
  // A row's sealed secret moved to another row does not open there either.
  NewAwsCredential d = generateAwsCredential(Role::kAdmin, "", {}, kNow, Origin::kCli, keyOf(1));
  d.record.aws_secret_sealed = c.record.aws_secret_sealed;
  EXPECT_FALSE(openAwsSecret(d.record, keyOf(1)).ok());
}

TEST(AwsCredentialTest, AccessKeyIdShape) {
  EXPECT_TRUE(isAwsAccessKeyId("AKIAIOSFODNN7EXAMPLE"));
  EXPECT_FALSE(isAwsAccessKeyId("AKIAIOSFODNN7EXAMPL"));
  EXPECT_FALSE(isAwsAccessKeyId("AKIAIOSFODNN7EXAMPLEX"));
  EXPECT_FALSE(isAwsAccessKeyId("akiaiosfodnn7example"));
  EXPECT_FALSE(isAwsAccessKeyId("AKIAIOSFODNN7EXAMPL_"));
}

TEST(AwsCredentialTest, KeyRingFindsLiveCredentialsOnly) {
  const MasterKey key = keyOf(3);
  NewAwsCredential live =
      generateAwsCredential(Role::kTenant, "acme", {"p1"}, kNow, Origin::kSetup, key);
  NewAwsCredential revoked =
      generateAwsCredential(Role::kTenant, "acme", {"p1"}, kNow, Origin::kCli, key);
  revoked.record.revoked_at = kNow;
  NewAwsCredential unopened = generateAwsCredential(Role::kAdmin, "", {}, kNow, Origin::kCli, key);
  NewApiKey api = generateApiKey(Role::kAdmin, "", {}, kNow, Origin::kCli);
  KeyRing ring(
      {live.record, revoked.record, unopened.record, api.record},
      {{live.record.id, live.secret_access_key}, {revoked.record.id, revoked.secret_access_key}});

  const AwsCaller* found = ring.findAwsCredential(live.record.id);
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->secret_access_key, live.secret_access_key);
  EXPECT_EQ(found->principal.role, Role::kTenant);
  EXPECT_EQ(found->principal.key_id, live.record.id);
  EXPECT_EQ(found->principal.tenant, "acme");
  EXPECT_EQ(found->principal.profile_ids, (std::unordered_set<std::string>{"p1"}));
  EXPECT_EQ(ring.findAwsCredential(revoked.record.id), nullptr);
  EXPECT_EQ(ring.findAwsCredential(unopened.record.id), nullptr);
  EXPECT_EQ(ring.findAwsCredential(api.record.id), nullptr);
  EXPECT_EQ(ring.findAwsCredential("AKCG0000000000000000"), nullptr);
  // The API key still works as one; an AWS secret is never a bearer token.
  EXPECT_TRUE(ring.authenticate(api.token).has_value());
  EXPECT_FALSE(ring.authenticate(live.secret_access_key).has_value());
  EXPECT_FALSE(ring.authenticate(live.record.id).has_value());
}

}  // namespace
}  // namespace costgate::identity
