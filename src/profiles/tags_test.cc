#include "profiles/tags.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace costgate::profiles {
namespace {

using Tags = std::vector<Tag>;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The error parseTagsHeader gives for `text`, or "" (a failed expectation) when it parsed.
std::string headerError(std::string_view text) {
  auto r = parseTagsHeader(text);
  EXPECT_FALSE(r.ok()) << "parseTagsHeader(" << text << ") unexpectedly parsed "
                       << (r.ok() ? describeTags(*r) : "");
  return r.ok() ? std::string() : r.error();
}

Tags mustParseHeader(std::string_view text) {
  auto r = parseTagsHeader(text);
  EXPECT_TRUE(r.ok()) << "parseTagsHeader(" << text << "): " << (r.ok() ? "" : r.error());
  return r.ok() ? *r : Tags{};
}

TEST(TagsTest, CheckProfileName) {
  EXPECT_EQ(checkProfileName("customer1_websearch"), std::nullopt);
  EXPECT_EQ(checkProfileName("A-b.c_9"), std::nullopt);
  EXPECT_EQ(checkProfileName(std::string(64, 'x')), std::nullopt);
  EXPECT_EQ(checkProfileName(""), std::optional<std::string>("must not be empty"));
  auto too_long = checkProfileName(std::string(65, 'x'));
  ASSERT_TRUE(too_long.has_value());
  EXPECT_TRUE(contains(*too_long, "longer than 64 characters")) << *too_long;
  for (const char* bad : {"has space", "slash/", "colon:", "quote\"", "tab\t", "caf\xc3\xa9",
                          "comma,", "eq=", "star*"}) {
    auto e = checkProfileName(bad);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_TRUE(contains(*e, "may hold only letters, digits")) << *e;
  }
}

TEST(TagsTest, CheckTagKey) {
  EXPECT_EQ(checkTagKey("TenantID"), std::nullopt);
  EXPECT_EQ(checkTagKey("aws:cloudformation stack-name"), std::nullopt);
  EXPECT_EQ(checkTagKey(std::string(128, 'k')), std::nullopt);
  EXPECT_EQ(checkTagKey(""), std::optional<std::string>("tag key must not be empty"));
  auto too_long = checkTagKey(std::string(129, 'k'));
  ASSERT_TRUE(too_long.has_value());
  EXPECT_TRUE(contains(*too_long, "longer than 128 characters")) << *too_long;
  for (const char* bad : {"a=b", "a,b", "a\nb", "\x01", "a\x7f"}) {
    auto e = checkTagKey(bad);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_TRUE(contains(*e, "control character, '=' or ','")) << *e;
  }
}

TEST(TagsTest, CheckTagValue) {
  EXPECT_EQ(checkTagValue("acme"), std::nullopt);
  EXPECT_EQ(checkTagValue(""), std::nullopt);  // an empty value is a value
  EXPECT_EQ(checkTagValue("a=b,c d"), std::nullopt);
  EXPECT_EQ(checkTagValue("caf\xc3\xa9"), std::nullopt);
  EXPECT_EQ(checkTagValue(std::string(256, 'v')), std::nullopt);
  auto too_long = checkTagValue(std::string(257, 'v'));
  ASSERT_TRUE(too_long.has_value());
  EXPECT_TRUE(contains(*too_long, "longer than 256 characters")) << *too_long;
  for (const char* bad : {"a\nb", "\t", "x\x7f"}) {
    auto e = checkTagValue(bad);
    ASSERT_TRUE(e.has_value()) << bad;
    EXPECT_TRUE(contains(*e, "control character")) << *e;
  }
}

TEST(TagsTest, FirstDuplicateKeyIsCaseInsensitive) {
  EXPECT_EQ(firstDuplicateKey({}), std::nullopt);
  EXPECT_EQ(firstDuplicateKey({{"A", "1"}}), std::nullopt);
  EXPECT_EQ(firstDuplicateKey({{"A", "1"}, {"B", "1"}, {"C", "1"}}), std::nullopt);
  EXPECT_EQ(firstDuplicateKey({{"TenantID", "a"}, {"App", "x"}, {"tenantid", "b"}}),
            std::optional<size_t>(2));
  EXPECT_EQ(firstDuplicateKey({{"A", "1"}, {"B", "1"}, {"b", "2"}, {"a", "2"}}),
            std::optional<size_t>(2));
  EXPECT_EQ(firstDuplicateKey({{"K", "1"}, {"K", "1"}}), std::optional<size_t>(1));
}

TEST(TagsTest, SameTagSet) {
  Tags a{{"TenantID", "acme"}, {"Env", "Prod"}};
  EXPECT_TRUE(sameTagSet(a, a));
  EXPECT_TRUE(sameTagSet(a, {{"env", "Prod"}, {"TENANTID", "acme"}}));   // order, key case
  EXPECT_FALSE(sameTagSet(a, {{"TenantID", "acme"}, {"Env", "prod"}}));  // value case
  EXPECT_FALSE(sameTagSet(a, {{"TenantID", "acme"}}));
  EXPECT_FALSE(sameTagSet(a, {{"TenantID", "acme"}, {"Env", "Prod"}, {"X", "1"}}));
  EXPECT_FALSE(sameTagSet(a, {{"TenantID", "acme"}, {"Other", "Prod"}}));
  EXPECT_TRUE(sameTagSet({}, {}));
  EXPECT_FALSE(sameTagSet({}, a));
}

TEST(TagsTest, IsTagSubset) {
  Tags profile{{"TenantID", "acme"}, {"ApplicationID", "search"}, {"Environment", "Prod"}};
  EXPECT_TRUE(isTagSubset({}, profile));
  EXPECT_TRUE(isTagSubset({{"TenantID", "acme"}}, profile));
  EXPECT_TRUE(isTagSubset({{"tenantid", "acme"}, {"ENVIRONMENT", "Prod"}}, profile));
  EXPECT_TRUE(isTagSubset(profile, profile));
  EXPECT_FALSE(isTagSubset({{"TenantID", "ACME"}}, profile));  // values are exact
  EXPECT_FALSE(isTagSubset({{"TenantID", "acme "}}, profile));
  EXPECT_FALSE(isTagSubset({{"TenantID", "acme"}, {"Missing", "x"}}, profile));
  EXPECT_FALSE(isTagSubset({{"ApplicationID", "acme"}}, profile));  // value of another key
  EXPECT_FALSE(isTagSubset(profile, {{"TenantID", "acme"}}));
  EXPECT_FALSE(isTagSubset({{"TenantID", "acme"}}, {}));
}

TEST(TagsTest, ParseTagsHeaderJsonList) {
  EXPECT_EQ(mustParseHeader(R"([{"key":"TenantID","value":"acme"}])"),
            (Tags{{"TenantID", "acme"}}));
  EXPECT_EQ(mustParseHeader(
                R"(  [ {"key": "TenantID", "value": "acme"}, {"value": "Prod", "key": "Env"} ] )"),
            (Tags{{"TenantID", "acme"}, {"Env", "Prod"}}));
  // Values are kept exactly, including characters the K=V form cannot carry.
  EXPECT_EQ(mustParseHeader(R"([{"key":"Note","value":"a=b, c"}])"), (Tags{{"Note", "a=b, c"}}));
  EXPECT_EQ(mustParseHeader(R"([{"key":"Empty","value":""}])"), (Tags{{"Empty", ""}}));
}

TEST(TagsTest, ParseTagsHeaderKeyValueList) {
  EXPECT_EQ(mustParseHeader("TenantID=acme"), (Tags{{"TenantID", "acme"}}));
  EXPECT_EQ(mustParseHeader("TenantID=acme,Environment=Prod"),
            (Tags{{"TenantID", "acme"}, {"Environment", "Prod"}}));
  EXPECT_EQ(mustParseHeader("  TenantID = acme ,  Environment=Prod  "),
            (Tags{{"TenantID", "acme"}, {"Environment", "Prod"}}));
  EXPECT_EQ(mustParseHeader("TenantID=acme,,"), (Tags{{"TenantID", "acme"}}));
  EXPECT_EQ(mustParseHeader("Formula=a=b"), (Tags{{"Formula", "a=b"}}));
  EXPECT_EQ(mustParseHeader("Name=two words"), (Tags{{"Name", "two words"}}));
}

TEST(TagsTest, ParseTagsHeaderErrors) {
  EXPECT_EQ(headerError(""), "tags header names no tag");
  EXPECT_EQ(headerError("   "), "tags header names no tag");
  EXPECT_EQ(headerError(" , ,"), "tags header names no tag");
  EXPECT_EQ(headerError("[]"), "tags header names no tag");

  EXPECT_TRUE(contains(headerError(R"([{"key":"TenantID","value":"acme"})"),
                       "tags header is not valid JSON"));
  EXPECT_TRUE(contains(headerError(R"([{"key":"TenantID",}])"), "tags header is not valid JSON"));
  EXPECT_TRUE(contains(headerError("[nope]"), "tags header is not valid JSON"));

  const std::string item0 =
      "tags header item 0 must be an object with string \"key\" and \"value\"";
  EXPECT_EQ(headerError(R"([{"key":"TenantID"}])"), item0);
  EXPECT_EQ(headerError(R"([{"value":"acme"}])"), item0);
  EXPECT_EQ(headerError(R"([{"key":"TenantID","value":1}])"), item0);
  EXPECT_EQ(headerError(R"([{"key":null,"value":"acme"}])"), item0);
  EXPECT_EQ(headerError(R"(["TenantID=acme"])"), item0);
  EXPECT_EQ(headerError(R"([{"key":"A","value":"1"},{"key":"B"}])"),
            "tags header item 1 must be an object with string \"key\" and \"value\"");

  EXPECT_EQ(headerError("TenantID"), "tag \"TenantID\" is not KEY=VALUE");
  EXPECT_EQ(headerError("TenantID=acme,Env"), "tag \"Env\" is not KEY=VALUE");
  EXPECT_EQ(headerError("=acme"), "tag key must not be empty");
  EXPECT_EQ(headerError(R"([{"key":"","value":"acme"}])"), "tag key must not be empty");
  EXPECT_TRUE(contains(headerError(R"([{"key":"a\nb","value":"acme"}])"), "control character"));
}

TEST(TagsTest, ParseTagsHeaderRejectsKeysDifferingOnlyInCase) {
  EXPECT_EQ(headerError("TenantID=acme,tenantid=other"),
            "tags header names key \"tenantid\" twice");
  EXPECT_EQ(headerError("TenantID=acme,TenantID=acme"), "tags header names key \"TenantID\" twice");
  EXPECT_EQ(headerError(R"([{"key":"Env","value":"a"},{"key":"ENV","value":"b"}])"),
            "tags header names key \"ENV\" twice");
}

TEST(TagsTest, ParseTagAssignment) {
  auto t = parseTagAssignment("TenantID=acme");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (Tag{"TenantID", "acme"}));
  t = parseTagAssignment(" Env = Prod ");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (Tag{"Env", "Prod"}));
  t = parseTagAssignment("Empty=");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (Tag{"Empty", ""}));
  t = parseTagAssignment("K=a=b");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (Tag{"K", "a=b"}));

  t = parseTagAssignment("TenantID");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error(), "tag \"TenantID\" is not KEY=VALUE");
  t = parseTagAssignment("=acme");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error(), "tag key must not be empty");
  t = parseTagAssignment("K=a\nb");
  ASSERT_FALSE(t.ok());
  EXPECT_TRUE(contains(t.error(), "control character")) << t.error();
}

TEST(TagsTest, DescribeTags) {
  EXPECT_EQ(describeTags({}), "{}");
  EXPECT_EQ(describeTags({{"TenantID", "acme"}, {"Env", "a\"b"}}),
            R"({"TenantID":"acme","Env":"a\"b"})");
}

}  // namespace
}  // namespace costgate::profiles
