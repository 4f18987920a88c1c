#include "identity/api_key.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>

namespace costgate::identity {
namespace {

const TimePoint kNow{std::chrono::sys_days{std::chrono::year{2025} / 6 / 1}};

std::string hex(const KeyHash& h) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : h) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

bool isKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

TEST(ApiKeyTest, GeneratedKeyIsOneLongTokenContainingItsId) {
  std::set<std::string> tokens, ids;
  for (int i = 0; i < 500; ++i) {
    NewApiKey k =
        generateApiKey(Role::kTenant, "acme", {"abcdef123456"}, kNow, profiles::Origin::kSetup);
    ASSERT_GE(k.token.size(), 32u) << k.token;
    for (char c : k.token) ASSERT_TRUE(isKeyChar(c)) << k.token;
    EXPECT_TRUE(isWellFormedKey(k.token)) << k.token;
    EXPECT_NE(k.token.find(k.record.id), std::string::npos) << k.token;
    EXPECT_EQ(keyIdOf(k.token), std::optional<std::string>(k.record.id));
    EXPECT_EQ(k.record.id.size(), 16u);
    EXPECT_TRUE(tokens.insert(k.token).second) << "repeated token";
    EXPECT_TRUE(ids.insert(k.record.id).second) << "repeated id";
  }
}

TEST(ApiKeyTest, GeneratedRecordHoldsWhatWasAskedAndOnlyTheHash) {
  NewApiKey k = generateApiKey(Role::kTenant, "acme", {"abcdef123456", "ghijkl789012"}, kNow,
                               profiles::Origin::kCli);
  EXPECT_EQ(k.record.role, Role::kTenant);
  EXPECT_EQ(k.record.tenant, "acme");
  EXPECT_EQ(k.record.profile_ids, (std::vector<std::string>{"abcdef123456", "ghijkl789012"}));
  EXPECT_EQ(k.record.created_at, kNow);
  EXPECT_EQ(k.record.revoked_at, std::nullopt);
  EXPECT_EQ(k.record.origin, profiles::Origin::kCli);
  EXPECT_EQ(k.record.hash, hashKey(k.token));
  // The secret part of the token is nowhere in the record.
  const std::string secret = k.token.substr(k.token.rfind('_') + 1);
  EXPECT_GE(secret.size(), 32u);
  EXPECT_EQ(k.record.id.find(secret), std::string::npos);

  NewApiKey admin = generateApiKey(Role::kAdmin, "", {}, kNow, profiles::Origin::kSetup);
  EXPECT_EQ(admin.record.role, Role::kAdmin);
  EXPECT_TRUE(admin.record.profile_ids.empty());
  EXPECT_EQ(admin.record.origin, profiles::Origin::kSetup);
}

TEST(ApiKeyTest, RoleNames) {
  EXPECT_STREQ(roleName(Role::kAdmin), "admin");
  EXPECT_STREQ(roleName(Role::kTenant), "tenant");
}

TEST(ApiKeyTest, IsWellFormedKey) {
  EXPECT_TRUE(isWellFormedKey(std::string(32, 'a')));
  EXPECT_TRUE(isWellFormedKey("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123456789_-"));
  EXPECT_FALSE(isWellFormedKey(std::string(31, 'a')));
  EXPECT_FALSE(isWellFormedKey(""));
  EXPECT_FALSE(isWellFormedKey(std::string(40, 'a') + " "));
  EXPECT_FALSE(isWellFormedKey(std::string(40, 'a') + "="));
  EXPECT_FALSE(isWellFormedKey(std::string(40, 'a') + "."));
  EXPECT_FALSE(isWellFormedKey("Bearer " + std::string(40, 'a')));
  EXPECT_FALSE(isWellFormedKey(std::string(40, 'a') + std::string(1, '\0')));
}

TEST(ApiKeyTest, KeyIdOf) {
  const std::string id = "ABCDefgh01234567";
  const std::string secret(43, 'z');
  EXPECT_EQ(keyIdOf("cgk_" + id + "_" + secret), std::optional<std::string>(id));
  EXPECT_EQ(keyIdOf("cgk_" + id + "_" + secret + "_more-"), std::optional<std::string>(id));
  EXPECT_EQ(keyIdOf("xyz_" + id + "_" + secret), std::nullopt);  // wrong prefix
  EXPECT_EQ(keyIdOf("CGK_" + id + "_" + secret), std::nullopt);
  EXPECT_EQ(keyIdOf(id + "_" + secret), std::nullopt);
  EXPECT_EQ(keyIdOf("cgk_" + id + secret), std::nullopt);                  // no separator
  EXPECT_EQ(keyIdOf("cgk_" + id.substr(1) + "_" + secret), std::nullopt);  // id too short
  EXPECT_EQ(keyIdOf("cgk_" + id + "x_" + secret), std::nullopt);           // id too long
  EXPECT_EQ(keyIdOf("cgk_" + id + "_" + secret + "!"), std::nullopt);      // bad character
  EXPECT_EQ(keyIdOf("cgk_" + id + "_"), std::nullopt);  // 21 characters: too short a key
  EXPECT_EQ(keyIdOf(""), std::nullopt);
}

TEST(ApiKeyTest, HashIsSha256OfTheToken) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(hex(hashKey("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(hashKey("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(hashKey("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Embedded NUL bytes are hashed, not cut off.
  EXPECT_NE(hashKey(std::string("ab\0c", 4)), hashKey("ab"));
}

TEST(ApiKeyTest, KeyMatches) {
  NewApiKey k = generateApiKey(Role::kAdmin, "", {}, kNow, profiles::Origin::kCli);
  EXPECT_TRUE(keyMatches(k.token, k.record));
  std::string wrong = k.token;
  wrong.back() = wrong.back() == 'a' ? 'b' : 'a';
  EXPECT_FALSE(keyMatches(wrong, k.record));
  EXPECT_FALSE(keyMatches(k.token.substr(0, k.token.size() - 1), k.record));
  EXPECT_FALSE(keyMatches(k.token + "a", k.record));
  EXPECT_FALSE(keyMatches("", k.record));
  NewApiKey other = generateApiKey(Role::kAdmin, "", {}, kNow, profiles::Origin::kCli);
  EXPECT_FALSE(keyMatches(other.token, k.record));
  ApiKeyRecord blank;  // an all-zero hash matches no token
  EXPECT_FALSE(keyMatches(k.token, blank));
  EXPECT_FALSE(keyMatches("", blank));
}

}  // namespace
}  // namespace costgate::identity
