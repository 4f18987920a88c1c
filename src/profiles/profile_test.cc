#include "profiles/profile.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace costgate::profiles {
namespace {

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

TEST(ProfileIdTest, NewIdIsTwelveLowercaseLettersAndDigits) {
  for (int i = 0; i < 1000; ++i) {
    std::string id = newProfileId();
    ASSERT_EQ(id.size(), 12u) << id;
    for (char c : id) ASSERT_TRUE(isLowerAlnum(c)) << id;
    EXPECT_TRUE(isValidProfileId(id)) << id;
  }
}

TEST(ProfileIdTest, NewIdsAreRandom) {
  // 36^12 possible ids: 10,000 draws repeating one would mean the generator is broken.
  std::set<std::string> seen;
  std::set<char> first_chars;
  std::set<char> all_chars;
  for (int i = 0; i < 10000; ++i) {
    std::string id = newProfileId();
    EXPECT_TRUE(seen.insert(id).second) << "repeated id " << id;
    first_chars.insert(id[0]);
    all_chars.insert(id.begin(), id.end());
  }
  // Every character of the alphabet shows up, in the first position and overall.
  EXPECT_EQ(first_chars.size(), 36u);
  EXPECT_EQ(all_chars.size(), 36u);
}

TEST(ProfileIdTest, IsValidProfileId) {
  EXPECT_TRUE(isValidProfileId("abcdefghijkl"));
  EXPECT_TRUE(isValidProfileId("0123456789ab"));
  EXPECT_TRUE(isValidProfileId("a1b2c3d4e5f6"));
  EXPECT_FALSE(isValidProfileId(""));
  EXPECT_FALSE(isValidProfileId("abcdefghijk"));    // 11
  EXPECT_FALSE(isValidProfileId("abcdefghijklm"));  // 13
  EXPECT_FALSE(isValidProfileId("Abcdefghijkl"));   // upper case
  EXPECT_FALSE(isValidProfileId("abcdefghijk-"));
  EXPECT_FALSE(isValidProfileId("abcdefghijk_"));
  EXPECT_FALSE(isValidProfileId("abcdef ghijk"));
  EXPECT_FALSE(isValidProfileId(std::string("abcdefghijk\0", 12)));
  EXPECT_FALSE(isValidProfileId("abcdefghijk\xc3"));
}

TEST(ProfileArnTest, Format) {
  EXPECT_EQ(profileArn("us-west-2", "123456789012", "abcdef123456"),
            "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdef123456");
  EXPECT_EQ(profileArn("eu-central-1", "000000000000", "zzzzzzzzzzzz"),
            "arn:aws:bedrock:eu-central-1:000000000000:application-inference-profile/zzzzzzzzzzzz");
}

TEST(ProfileArnTest, ParseRoundTrips) {
  for (int i = 0; i < 100; ++i) {
    std::string id = newProfileId();
    auto parsed = parseProfileArn(profileArn("ap-southeast-2", "210987654321", id));
    ASSERT_TRUE(parsed.has_value()) << id;
    EXPECT_EQ(parsed->region, "ap-southeast-2");
    EXPECT_EQ(parsed->account, "210987654321");
    EXPECT_EQ(parsed->id, id);
  }
}

TEST(ProfileArnTest, ParseAcceptsTheSeedShape) {
  auto parsed = parseProfileArn(
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/"
      "a1b2c3d4e5f6");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->region, "us-east-1");
  EXPECT_EQ(parsed->account, "123456789012");
  EXPECT_EQ(parsed->id, "a1b2c3d4e5f6");
}

TEST(ProfileArnTest, ParseRejectsNearMisses) {
  const char* bad[] = {
      "",
      "abcdef123456",
      "arn",
      // wrong service
      "arn:aws:sagemaker:us-west-2:123456789012:application-inference-profile/abcdef123456",
      "arn:aws:Bedrock:us-west-2:123456789012:application-inference-profile/abcdef123456",
      // not "arn"
      "urn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdef123456",
      "ARN:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdef123456",
      // wrong resource type
      "arn:aws:bedrock:us-west-2:123456789012:inference-profile/abcdef123456",
      "arn:aws:bedrock:us-west-2:123456789012:foundation-model/abcdef123456",
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile",
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/",
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profileabcdef123456",
      // bad id
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdef12345",
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdef1234567",
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/ABCDEF123456",
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdef123456/x",
      // missing parts
      "arn:aws:bedrock:us-west-2:application-inference-profile/abcdef123456",
      "arn:aws:bedrock::123456789012:application-inference-profile/abcdef123456",
      "arn:aws:bedrock:us-west-2::application-inference-profile/abcdef123456",
      "arn::bedrock:us-west-2:123456789012:application-inference-profile/abcdef123456",
      // not an account id
      "arn:aws:bedrock:us-west-2:12345678901:application-inference-profile/abcdef123456",
      "arn:aws:bedrock:us-west-2:12345678901x:application-inference-profile/abcdef123456",
      "arn:aws:bedrock:us-west-2:123456789012",
      // extra parts
      "arn:aws:bedrock:us-west-2:123456789012:x:application-inference-profile/abcdef123456",
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdef123456:",
  };
  for (const char* arn : bad) {
    EXPECT_FALSE(parseProfileArn(arn).has_value()) << arn;
  }
}

TEST(ProfileArnTest, AccountOfIamRoleArn) {
  EXPECT_EQ(accountOfArn("arn:aws:iam::123456789012:role/BedrockInvocationLambdaRole"),
            std::optional<std::string>("123456789012"));
  EXPECT_EQ(accountOfArn("arn:aws:iam::000000000001:role/path/to/Role"),
            std::optional<std::string>("000000000001"));
  // Our own profile ARNs carry the account in the same place.
  EXPECT_EQ(accountOfArn(profileArn("us-west-2", "555555555555", "abcdef123456")),
            std::optional<std::string>("555555555555"));
}

TEST(ProfileArnTest, AccountOfArnRejectsMalformed) {
  EXPECT_FALSE(accountOfArn("").has_value());
  EXPECT_FALSE(accountOfArn("BedrockInvocationLambdaRole").has_value());
  EXPECT_FALSE(accountOfArn("arn:aws:iam::12345678901:role/x").has_value());    // 11 digits
  EXPECT_FALSE(accountOfArn("arn:aws:iam::1234567890123:role/x").has_value());  // 13 digits
  EXPECT_FALSE(accountOfArn("arn:aws:iam::12345678901a:role/x").has_value());
  EXPECT_FALSE(accountOfArn("arn:aws:iam:::role/x").has_value());
  EXPECT_FALSE(accountOfArn("arn:aws:iam::123456789012").has_value());  // no resource
  EXPECT_FALSE(accountOfArn("urn:aws:iam::123456789012:role/x").has_value());
}

}  // namespace
}  // namespace costgate::profiles
