#include "config/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/alarm_thresholds.h"
#include "config/file_io.h"
#include "config/json_document.h"
#include "pricing/price_table.h"

namespace costgate::config {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Strings = std::vector<std::string>;
using IdPair = std::pair<std::string, std::string>;
using IdPairs = std::vector<IdPair>;

struct Parsed {
  Config config;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

Parsed parse(std::string_view text, const std::string& path = "config.json") {
  Diagnostics diags("config.json");
  Parsed p;
  p.config = parseConfig(text, path, diags);
  p.errors = diags.errors();
  p.warnings = diags.warnings();
  return p;
}

// Only the errors of parsing `text`.
std::vector<std::string> errorsOf(std::string_view text) { return parse(text).errors; }

// A config with one valid profile, with `extra` (a JSON fragment ending in a comma) spliced in
// at the top level.
std::string withTopLevel(std::string_view extra) {
  return "{" + std::string(extra) +
         R"( "aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": "m"}]})";
}

// The seed's config.json, with every key the seed writes and some that costgate does not know.
constexpr std::string_view kSeedConfig = R"({
    "aws_region": "us-west-2",
    "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
    "sns_topic_name": "TeamAlarms",
    "sns_email": "ops@example.com",
    "lambda_function_name": "BedrockInvocationFunction",
    "lambda_role_arn": "arn:aws:iam::123456789012:role/BedrockInvocationLambdaRole",
    "api_name": "BedrockInvocationApi",
    "api_stage": "prod",
    "dashboard_name": "TeamDashboard",
    "cost_alarm_threshold": 0.5,
    "token_alarm_threshold": 2500,
    "request_alarm_threshold": 12.5,
    "s3_bucket_name": "bedrock-cost-tracing-config",
    "profiles": [
        {
            "name": "customer1_websearch",
            "description": "Web search for customer 1",
            "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
            "tags": [
                {"key": "TenantID", "value": "customer1"},
                {"key": "ApplicationID", "value": "websearch"}
            ]
        },
        {
            "name": "customer2_codingbot",
            "description": "Coding bot for customer 2",
            "model_id": "us.amazon.nova-micro-v1:0",
            "tier": "premium",
            "provider": "bedrock",
            "tags": [
                {"key": "TenantID", "value": "customer2"},
                {"key": "ApplicationID", "value": "codingbot"}
            ]
        }
    ],
    "profile_ids": [{"customer1_websearch": "abcdefghij12"}, {"customer2_codingbot": "0123456789ab"}],
    "api_id": "a1b2c3d4e5"
})";

TEST(ConfigTest, SeedConfigParsesWithEveryField) {
  Parsed p = parse(kSeedConfig);
  EXPECT_EQ(p.errors, Strings{});
  EXPECT_EQ(p.warnings, Strings{});
  const Config& c = p.config;
  EXPECT_EQ(c.path, "config.json");
  EXPECT_EQ(c.aws_region, "us-west-2");
  EXPECT_EQ(c.default_model_id, "anthropic.claude-3-haiku-20240307-v1:0");
  EXPECT_EQ(c.sns_topic_name, "TeamAlarms");
  EXPECT_EQ(c.sns_email, "ops@example.com");
  EXPECT_EQ(c.dashboard_name, "TeamDashboard");
  EXPECT_EQ(c.thresholds.cost_per_5_minutes.toString(), "0.5");
  EXPECT_EQ(c.thresholds.tokens_per_minute, 2500);
  EXPECT_EQ(c.thresholds.requests_per_minute, 12.5);
  EXPECT_EQ(c.aws_account_id, "123456789012");
  EXPECT_EQ(c.store_path, "costgate.db");
  EXPECT_EQ(c.listen, "127.0.0.1:8080");
  EXPECT_EQ(c.default_provider, "sim");

  profiles::ProfileSpec first;
  first.name = "customer1_websearch";
  first.description = "Web search for customer 1";
  first.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  first.region = "us-west-2";
  first.tags = {{"TenantID", "customer1"}, {"ApplicationID", "websearch"}};
  profiles::ProfileSpec second;
  second.name = "customer2_codingbot";
  second.description = "Coding bot for customer 2";
  second.model_id = "us.amazon.nova-micro-v1:0";
  second.region = "us-west-2";
  second.tags = {{"TenantID", "customer2"}, {"ApplicationID", "codingbot"}};
  second.tier = "premium";
  second.provider = "bedrock";
  EXPECT_EQ(c.profiles, (std::vector<profiles::ProfileSpec>{first, second}));

  EXPECT_EQ(c.profile_ids, IdPairs({IdPair{"customer1_websearch", "abcdefghij12"},
                                    IdPair{"customer2_codingbot", "0123456789ab"}}));
  EXPECT_EQ(c.recordedIdOf("customer2_codingbot"), "0123456789ab");
  EXPECT_EQ(c.recordedIdOf("nobody"), "");
  // The document is kept whole for write-back, unknown keys included.
  EXPECT_EQ(c.doc.root.at("api_id"), "a1b2c3d4e5");
  EXPECT_EQ(c.doc.numbers.at("cost_alarm_threshold"), "0.5");
}

TEST(ConfigTest, DefaultsWhenOptionalKeysAreAbsent) {
  Parsed p = parse(withTopLevel(""));
  EXPECT_EQ(p.errors, Strings{});
  const Config& c = p.config;
  EXPECT_EQ(c.default_model_id, "");
  EXPECT_EQ(c.sns_topic_name, "BedrockInvocationAlarms");
  EXPECT_EQ(c.sns_email, "");
  EXPECT_EQ(c.dashboard_name, "BedrockInvocationDashboard");
  EXPECT_EQ(c.thresholds.cost_per_5_minutes.toString(), "1");
  EXPECT_EQ(c.thresholds.tokens_per_minute, 2000);
  EXPECT_EQ(c.thresholds.requests_per_minute, 10);
  EXPECT_EQ(c.aws_account_id, "000000000000");
  EXPECT_TRUE(c.profile_ids.empty());
  ASSERT_EQ(c.profiles.size(), 1u);
  EXPECT_EQ(c.profiles[0].region, "us-west-2");
  EXPECT_TRUE(c.profiles[0].tags.empty());
}

TEST(ConfigTest, DefaultModelIdWinsOverTheOlderModelIdKey) {
  EXPECT_EQ(parse(withTopLevel(R"("model_id": "old",)")).config.default_model_id, "old");
  EXPECT_EQ(parse(withTopLevel(R"("default_model_id": "new", "model_id": "old",)"))
                .config.default_model_id,
            "new");
}

TEST(ConfigTest, AccountComesFromExplicitKeyElseLambdaRoleElseDefault) {
  EXPECT_EQ(parse(withTopLevel("")).config.aws_account_id, "000000000000");
  EXPECT_EQ(parse(withTopLevel(R"("lambda_role_arn": "arn:aws:iam::123456789012:role/r",)"))
                .config.aws_account_id,
            "123456789012");
  EXPECT_EQ(parse(withTopLevel(R"("lambda_role_arn": "arn:aws:iam::123456789012:role/r",)"
                               R"( "aws_account_id": "999988887777",)"))
                .config.aws_account_id,
            "999988887777");
  // A role ARN without an account leaves the default.
  EXPECT_EQ(parse(withTopLevel(R"("lambda_role_arn": "not-an-arn",)")).config.aws_account_id,
            "000000000000");
  EXPECT_EQ(errorsOf(withTopLevel(R"("aws_account_id": "12345",)")),
            Strings({R"(config.json: aws_account_id: "12345" is not 12 digits)"}));
}

TEST(ConfigTest, StorePathDefaultsBesideTheConfigAndResolvesRelativePaths) {
  EXPECT_EQ(parse(withTopLevel(""), "config.json").config.store_path, "costgate.db");
  EXPECT_EQ(parse(withTopLevel(""), "/etc/costgate/config.json").config.store_path,
            "/etc/costgate/costgate.db");
  EXPECT_EQ(parse(withTopLevel(""), "deploy/config.json").config.store_path, "deploy/costgate.db");
  EXPECT_EQ(parse(withTopLevel(R"("store": "data/usage.db",)"), "/etc/costgate/config.json")
                .config.store_path,
            "/etc/costgate/data/usage.db");
  EXPECT_EQ(parse(withTopLevel(R"("store": "/var/lib/costgate.db",)"), "/etc/costgate/config.json")
                .config.store_path,
            "/var/lib/costgate.db");
  EXPECT_EQ(errorsOf(withTopLevel(R"("store": "",)")),
            Strings({"config.json: store: must not be empty"}));
}

TEST(ConfigTest, MalformedJsonReportsLineAndColumn) {
  std::string text =
      "{\n"
      "    \"aws_region\": \"us-west-2\",\n"
      "    \"profiles\": [,]\n"
      "}\n";
  EXPECT_EQ(errorsOf(text),
            Strings({"config.json: line 3, column 18: malformed JSON: syntax error"}));
}

TEST(ConfigTest, DuplicateJsonKeyIsAnError) {
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2", "aws_region": "eu-west-1", "profiles": []})"),
            Strings({R"(config.json: line 1, column 40: aws_region: duplicate key "aws_region")"}));
}

TEST(ConfigTest, TopLevelMustBeAnObject) {
  EXPECT_EQ(errorsOf("[]"), Strings({"config.json: must be a JSON object, got array"}));
}

TEST(ConfigTest, MissingRequiredKeys) {
  EXPECT_EQ(errorsOf(R"({"profiles": [{"description": "no name, no model"}]})"),
            Strings({"config.json: aws_region: missing required key",
                     "config.json: profiles[0].name: missing required key",
                     "config.json: profiles[0].model_id: missing required key"}));
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2"})"),
            Strings({"config.json: profiles: missing required key"}));
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "a",)"
                     R"( "model_id": "m", "tags": [{"key": "k"}, {"value": "v"}]}]})"),
            Strings({"config.json: profiles[0].tags[0].value: missing required key",
                     "config.json: profiles[0].tags[1].key: missing required key"}));
}

TEST(ConfigTest, WrongTypes) {
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2", "profiles": {"name": "a"}})"),
            Strings({"config.json: profiles: must be a list, got object"}));
  EXPECT_EQ(errorsOf(R"({"aws_region": 5, "profiles": []})"),
            Strings({"config.json: aws_region: must be a string, got number"}));
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": 7, "model_id": "m"}]})"),
            Strings({"config.json: profiles[0].name: must be a string, got number"}));
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2", "profiles": ["a"]})"),
            Strings({R"(config.json: profiles[0]: must be an object, got string "a")"}));
  EXPECT_EQ(
      errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": "m",)"
               R"( "tags": ["TenantID=acme"]}]})"),
      Strings(
          {R"(config.json: profiles[0].tags[0]: must be an object, got string "TenantID=acme")"}));
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": "m",)"
                     R"( "tags": {"TenantID": "acme"}}]})"),
            Strings({"config.json: profiles[0].tags: must be a list, got object"}));
  EXPECT_EQ(errorsOf(withTopLevel(R"("cost_alarm_threshold": "1",)")),
            Strings({R"(config.json: cost_alarm_threshold: must be a number, got string "1")"}));
  EXPECT_EQ(errorsOf(withTopLevel(R"("sns_email": false,)")),
            Strings({"config.json: sns_email: must be a string, got boolean"}));
  EXPECT_EQ(errorsOf(withTopLevel(R"("profile_ids": {"a": "abcdefghij12"},)")),
            Strings({"config.json: profile_ids: must be a list, got object"}));
}

TEST(ConfigTest, EmptyOrInvalidValues) {
  EXPECT_EQ(errorsOf(R"({"aws_region": "", "profiles": []})"),
            Strings({"config.json: aws_region: must not be empty"}));
  EXPECT_EQ(errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": ""}]})"),
            Strings({"config.json: profiles[0].model_id: must not be empty"}));
  EXPECT_EQ(
      errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "a b", "model_id": "m"}]})"),
      Strings(
          {R"(config.json: profiles[0].name: "a b" may hold only letters, digits, '_', '-' and '.')"}));
  EXPECT_EQ(errorsOf(withTopLevel(R"("sns_email": "ops.example.com",)")),
            Strings({R"(config.json: sns_email: "ops.example.com" is not an email address)"}));
  EXPECT_EQ(errorsOf(withTopLevel(R"("listen": "8080",)")),
            Strings({R"(config.json: listen: "8080" is not HOST:PORT)"}));
  EXPECT_EQ(
      errorsOf(withTopLevel(R"("default_provider": "azure",)")),
      Strings(
          {R"(config.json: default_provider: unknown provider "azure" (expected sim, bedrock, openai or anthropic))"}));
}

TEST(ConfigTest, DuplicateProfileNames) {
  EXPECT_EQ(
      errorsOf(R"({"aws_region": "us-west-2", "profiles": [
          {"name": "a", "model_id": "m"}, {"name": "b", "model_id": "m"},
          {"name": "a", "model_id": "m2"}]})"),
      Strings({R"(config.json: profiles[2].name: duplicate profile name "a" (also profiles[0]))"}));
}

TEST(ConfigTest, DuplicateTagKeyInAProfileNamesFileIndexKeyAndProfile) {
  // The exact line the issue asks for.
  constexpr std::string_view kText = R"({
    "aws_region": "us-west-2",
    "profiles": [
        {"name": "customer1_websearch", "model_id": "m",
         "tags": [{"key": "TenantID", "value": "customer1"}]},
        {"name": "customer1_codingbot", "model_id": "m",
         "tags": [{"key": "TenantID", "value": "customer1"}, {"key": "ApplicationID", "value": "codingbot"}]},
        {"name": "customer2_websearch", "model_id": "m",
         "tags": [
             {"key": "TenantID", "value": "customer2"},
             {"key": "TenantID", "value": "customer3"},
             {"key": "ApplicationID", "value": "websearch"}
         ]}
    ]
})";
  EXPECT_EQ(
      errorsOf(kText),
      Strings(
          {R"(config.json: profiles[2].tags[1].key: duplicate key "TenantID" in profile "customer2_websearch")"}));
}

TEST(ConfigTest, TagKeysThatDifferOnlyInCaseAreDuplicates) {
  EXPECT_EQ(
      errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "acme_search", "model_id": "m",
          "tags": [{"key": "TenantID", "value": "acme"}, {"key": "tenantid", "value": "acme"}]}]})"),
      Strings(
          {R"(config.json: profiles[0].tags[1].key: duplicate key "tenantid" in profile "acme_search" (same as "TenantID": tag keys are matched case-insensitively))"}));
}

TEST(ConfigTest, ProfilesWithIdenticalTagSetsAreAnError) {
  EXPECT_EQ(
      errorsOf(R"({"aws_region": "us-west-2", "profiles": [
          {"name": "a", "model_id": "m", "tags": [{"key": "TenantID", "value": "acme"}]},
          {"name": "b", "model_id": "m", "tags": [{"key": "TenantID", "value": "acme"}]}]})"),
      Strings(
          {R"(config.json: profiles[1].tags: profile "b" has the same tags as profile "a" (profiles[0]), so tags cannot tell them apart)"}));
}

TEST(ConfigTest, IdenticalTagSetsAreFoundRegardlessOfOrderAndKeyCase) {
  EXPECT_EQ(
      errorsOf(R"({"aws_region": "us-west-2", "profiles": [
          {"name": "a", "model_id": "m", "tags": [{"key": "TenantID", "value": "acme"},
                                                 {"key": "App", "value": "search"}]},
          {"name": "b", "model_id": "m", "tags": [{"key": "TenantID", "value": "other"}]},
          {"name": "c", "model_id": "m", "tags": [{"key": "app", "value": "search"},
                                                 {"key": "TENANTID", "value": "acme"}]}]})"),
      Strings(
          {R"(config.json: profiles[2].tags: profile "c" has the same tags as profile "a" (profiles[0]), so tags cannot tell them apart)"}));
}

TEST(ConfigTest, TagValuesCompareExactly) {
  Parsed p = parse(R"({"aws_region": "us-west-2", "profiles": [
      {"name": "a", "model_id": "m", "tags": [{"key": "TenantID", "value": "acme"}]},
      {"name": "b", "model_id": "m", "tags": [{"key": "TenantID", "value": "ACME"}]}]})");
  EXPECT_EQ(p.errors, Strings{});
  EXPECT_EQ(p.warnings, Strings{});
}

TEST(ConfigTest, NestedTagSetsAreAWarningNotAnError) {
  Parsed p = parse(R"({"aws_region": "us-west-2", "profiles": [
      {"name": "a", "model_id": "m", "tags": [{"key": "TenantID", "value": "acme"}]},
      {"name": "b", "model_id": "m", "tags": [{"key": "TenantID", "value": "acme"},
                                             {"key": "App", "value": "x"}]}]})");
  EXPECT_EQ(p.errors, Strings{});
  EXPECT_EQ(
      p.warnings,
      Strings(
          {R"(config.json: profiles[1].tags: the tags of profile "b" and profile "a" are a subset of one another: a request carrying only the smaller set is ambiguous)"}));
}

TEST(ConfigTest, ThresholdsMustBePositiveNumbers) {
  EXPECT_EQ(
      errorsOf(withTopLevel(
          R"("cost_alarm_threshold": 0, "token_alarm_threshold": 0, "request_alarm_threshold": 0,)")),
      Strings({"config.json: cost_alarm_threshold: must be a positive number of USD, got 0",
               "config.json: token_alarm_threshold: must be a positive number, got 0",
               "config.json: request_alarm_threshold: must be a positive number, got 0"}));
  EXPECT_EQ(
      errorsOf(withTopLevel(
          R"("cost_alarm_threshold": -1, "token_alarm_threshold": -1, "request_alarm_threshold": -1,)")),
      Strings({"config.json: cost_alarm_threshold: must be a positive number of USD, got -1",
               "config.json: token_alarm_threshold: must be a positive number, got -1",
               "config.json: request_alarm_threshold: must be a positive number, got -1"}));
  EXPECT_EQ(
      errorsOf(withTopLevel(
          R"("cost_alarm_threshold": "5", "token_alarm_threshold": "5", "request_alarm_threshold": "5",)")),
      Strings({R"(config.json: cost_alarm_threshold: must be a number, got string "5")",
               R"(config.json: token_alarm_threshold: must be a number, got string "5")",
               R"(config.json: request_alarm_threshold: must be a number, got string "5")"}));
  EXPECT_EQ(
      errorsOf(withTopLevel(
          R"("cost_alarm_threshold": null, "token_alarm_threshold": null, "request_alarm_threshold": null,)")),
      Strings({"config.json: cost_alarm_threshold: must be a number, got null",
               "config.json: token_alarm_threshold: must be a number, got null",
               "config.json: request_alarm_threshold: must be a number, got null"}));
}

TEST(ConfigTest, NonPositiveFractionalThresholdIsShownAsWritten) {
  EXPECT_EQ(
      errorsOf(withTopLevel(
          R"("cost_alarm_threshold": -0.25, "token_alarm_threshold": -1.5, "request_alarm_threshold": 0.0,)")),
      Strings({"config.json: cost_alarm_threshold: must be a positive number of USD, got -0.25",
               "config.json: token_alarm_threshold: must be a positive number, got -1.5",
               "config.json: request_alarm_threshold: must be a positive number, got 0.0"}));
}

TEST(ConfigTest, ThresholdsAreReadExactly) {
  Parsed p = parse(withTopLevel(
      R"("cost_alarm_threshold": 2.5e-1, "token_alarm_threshold": 1e3, "request_alarm_threshold": 3,)"));
  EXPECT_EQ(p.errors, Strings{});
  EXPECT_EQ(p.config.thresholds.cost_per_5_minutes.toString(), "0.25");
  EXPECT_EQ(p.config.thresholds.tokens_per_minute, 1000);
  EXPECT_EQ(p.config.thresholds.requests_per_minute, 3);
}

TEST(ConfigTest, AllErrorsAreReportedAtOnce) {
  // Four different problems: a missing key, a wrong type, a bad threshold and a duplicate tag.
  EXPECT_EQ(
      errorsOf(R"({
          "cost_alarm_threshold": "1",
          "profiles": [
              {"name": 3, "model_id": "m"},
              {"name": "b", "model_id": "m", "tags": [{"key": "K", "value": "1"},
                                                     {"key": "k", "value": "2"}]}
          ]
      })"),
      Strings(
          {"config.json: aws_region: missing required key",
           R"(config.json: cost_alarm_threshold: must be a number, got string "1")",
           "config.json: profiles[0].name: must be a string, got number",
           R"(config.json: profiles[1].tags[1].key: duplicate key "k" in profile "b" (same as "K": tag keys are matched case-insensitively))"}));
}

pricing::PriceTable table(std::vector<pricing::ModelPrice> prices) {
  auto t = pricing::PriceTable::build(std::move(prices));
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error());
  return t.ok() ? std::move(*t) : pricing::PriceTable();
}

pricing::ModelPrice price(std::string region, std::string model) {
  pricing::ModelPrice p;
  p.region = std::move(region);
  p.model_id = std::move(model);
  p.tokens.input_per_1k = Money::dollars(1);
  return p;
}

TEST(ConfigTest, CheckPricesCoverNamesModelRegionAndWhereItIsPriced) {
  Parsed p = parse(R"({"aws_region": "us-west-2", "model_id": "haiku", "profiles": [
      {"name": "a", "model_id": "haiku"},
      {"name": "b", "model_id": "nova-pro"},
      {"name": "c", "model_id": "unknown-model"}]})");
  ASSERT_EQ(p.errors, Strings{});
  pricing::PriceTable prices = table({price("us-west-2", "haiku"), price("us-east-1", "nova-pro"),
                                      price("eu-west-1", "nova-pro")});
  Diagnostics diags("config.json");
  checkPricesCover(p.config, prices, diags);
  EXPECT_EQ(
      diags.errors(),
      Strings(
          {R"(config.json: profiles[1].model_id: model "nova-pro" has no price in region "us-west-2" (models.json prices it only in eu-west-1, us-east-1); a call would be priced at nothing)",
           R"(config.json: profiles[2].model_id: model "unknown-model" has no price in region "us-west-2" (models.json has no price for it in any region); a call would be priced at nothing)"}));
}

TEST(ConfigTest, CheckPricesCoverChecksTheDefaultModelUnderTheKeyUsed) {
  pricing::PriceTable prices = table({price("us-west-2", "haiku")});
  {
    Parsed p = parse(withTopLevel(R"("model_id": "gone",)"));
    Diagnostics diags("config.json");
    checkPricesCover(p.config, prices, diags);
    EXPECT_EQ(
        diags.errors(),
        Strings(
            {R"(config.json: model_id: model "gone" has no price in region "us-west-2" (models.json has no price for it in any region); a call would be priced at nothing)",
             R"(config.json: profiles[0].model_id: model "m" has no price in region "us-west-2" (models.json has no price for it in any region); a call would be priced at nothing)"}));
  }
  {
    Parsed p = parse(R"({"aws_region": "us-west-2", "default_model_id": "gone",)"
                     R"( "profiles": [{"name": "a", "model_id": "haiku"}]})");
    Diagnostics diags("config.json");
    checkPricesCover(p.config, prices, diags);
    EXPECT_EQ(
        diags.errors(),
        Strings(
            {R"(config.json: default_model_id: model "gone" has no price in region "us-west-2" (models.json has no price for it in any region); a call would be priced at nothing)"}));
  }
  {
    Parsed p = parse(R"({"aws_region": "us-west-2", "default_model_id": "haiku",)"
                     R"( "profiles": [{"name": "a", "model_id": "haiku"}]})");
    Diagnostics diags("config.json");
    checkPricesCover(p.config, prices, diags);
    EXPECT_EQ(diags.errors(), Strings{});
  }
}

// A fresh directory under the system's temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "costgate-config-test-XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(std::string_view name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void writeFile(const std::string& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good());
}

std::string readFile(const std::string& path) {
  auto text = readTextFile(path);
  EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error());
  return text.ok() ? *text : std::string();
}

std::vector<std::string> topLevelKeys(const json::value& root) {
  std::vector<std::string> keys;
  for (const auto& kv : root.as_object()) keys.emplace_back(kv.key());
  return keys;
}

mode_t modeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

constexpr std::string_view kConfigWithUnknownKeys = R"({
    "api_id": "previous-api",
    "aws_region": "us-west-2",
    "s3_bucket_name": "my-bucket",
    "custom": {"nested": {"list": [1, 2.50, {"deep": true}]}, "rate": 3.5e-05},
    "token_alarm_threshold": 1e3,
    "cost_alarm_threshold": 0.50,
    "profiles": [
        {"name": "customer1_websearch", "model_id": "m",
         "tags": [{"key": "TenantID", "value": "customer1"}]},
        {"name": "customer2_websearch", "model_id": "m",
         "tags": [{"key": "TenantID", "value": "customer2"}]}
    ],
    "zz_last": null
})";

TEST(ConfigTest, LoadConfigReadsTheFile) {
  TempDir dir;
  std::string path = dir.file("config.json");
  writeFile(path, kConfigWithUnknownKeys);
  Diagnostics diags("config.json");
  auto c = loadConfig(path, diags);
  EXPECT_EQ(diags.errors(), Strings{});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->path, path);
  EXPECT_EQ(c->store_path, dir.file("costgate.db"));
  EXPECT_EQ(c->profiles.size(), 2u);
}

TEST(ConfigTest, LoadConfigReportsAMissingFileAndInvalidContent) {
  TempDir dir;
  Diagnostics missing("config.json");
  EXPECT_FALSE(loadConfig(dir.file("absent.json"), missing).has_value());
  ASSERT_EQ(missing.errors().size(), 1u);
  EXPECT_EQ(missing.errors()[0],
            "config.json: cannot read " + dir.file("absent.json") + ": No such file or directory");

  writeFile(dir.file("config.json"), R"({"profiles": []})");
  Diagnostics invalid("config.json");
  EXPECT_FALSE(loadConfig(dir.file("config.json"), invalid).has_value());
  EXPECT_EQ(invalid.errors(), Strings({"config.json: aws_region: missing required key"}));
}

TEST(ConfigTest, WriteProfileIdsKeepsEveryOtherKeyTheirOrderAndNumbersAsWritten) {
  TempDir dir;
  std::string path = dir.file("config.json");
  writeFile(path, kConfigWithUnknownKeys);
  Diagnostics diags("config.json");
  auto c = loadConfig(path, diags);
  ASSERT_TRUE(c.has_value()) << ::testing::PrintToString(diags.errors());

  ASSERT_TRUE(writeProfileIds(*c, {{"customer1_websearch", "abcdefghij12"},
                                   {"customer2_websearch", "0123456789ab"}})
                  .ok());
  std::string written = readFile(path);
  auto doc = parseJsonDocument(written);
  ASSERT_TRUE(doc.ok()) << doc.error() << "\n" << written;
  // Every key kept, in order, with profile_ids added at the end.
  EXPECT_EQ(topLevelKeys(doc->root),
            Strings({"api_id", "aws_region", "s3_bucket_name", "custom", "token_alarm_threshold",
                     "cost_alarm_threshold", "profiles", "zz_last", "profile_ids"}));
  // Nothing but profile_ids changed.
  json::value expected = c->doc.root;
  expected.as_object().erase("profile_ids");
  json::value got = doc->root;
  got.as_object().erase("profile_ids");
  EXPECT_EQ(got, expected);
  // Numbers as the user wrote them.
  EXPECT_NE(written.find("\"rate\": 3.5e-05"), std::string::npos) << written;
  EXPECT_NE(written.find("\"token_alarm_threshold\": 1e3"), std::string::npos) << written;
  EXPECT_NE(written.find("\"cost_alarm_threshold\": 0.50"), std::string::npos) << written;
  EXPECT_NE(written.find("2.50"), std::string::npos) << written;
  // profile_ids in the seed's shape: a list of one-key objects.
  EXPECT_EQ(doc->root.at("profile_ids"),
            json::parse(R"([{"customer1_websearch": "abcdefghij12"},)"
                        R"( {"customer2_websearch": "0123456789ab"}])"));
  EXPECT_NE(written.find("    \"profile_ids\": [\n"
                         "        {\"customer1_websearch\": \"abcdefghij12\"},\n"
                         "        {\"customer2_websearch\": \"0123456789ab\"}\n"
                         "    ]\n"),
            std::string::npos)
      << written;
  // No temporary file is left behind.
  EXPECT_FALSE(fs::exists(path + ".costgate-tmp"));

  // Read back.
  Diagnostics again("config.json");
  auto reread = loadConfig(path, again);
  ASSERT_TRUE(reread.has_value()) << ::testing::PrintToString(again.errors());
  EXPECT_EQ(reread->profile_ids, IdPairs({IdPair{"customer1_websearch", "abcdefghij12"},
                                          IdPair{"customer2_websearch", "0123456789ab"}}));
  EXPECT_EQ(reread->thresholds.cost_per_5_minutes.toString(), "0.5");
  EXPECT_EQ(reread->thresholds.tokens_per_minute, 1000);
}

TEST(ConfigTest, WriteProfileIdsReplacesAnExistingListInPlace) {
  TempDir dir;
  std::string path = dir.file("config.json");
  writeFile(path, R"({"aws_region": "us-west-2", "profile_ids": [{"old": "aaaaaaaaaaaa"}],)"
                  R"( "profiles": [{"name": "a", "model_id": "m"}], "api_id": "x"})");
  Diagnostics diags("config.json");
  auto c = loadConfig(path, diags);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(writeProfileIds(*c, {{"a", "bbbbbbbbbbbb"}}).ok());
  auto doc = parseJsonDocument(readFile(path));
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(topLevelKeys(doc->root), Strings({"aws_region", "profile_ids", "profiles", "api_id"}));
  EXPECT_EQ(doc->root.at("profile_ids"), json::parse(R"([{"a": "bbbbbbbbbbbb"}])"));
}

TEST(ConfigTest, WritingNoProfileIdsRemovesTheKey) {
  TempDir dir;
  std::string path = dir.file("config.json");
  writeFile(path, kConfigWithUnknownKeys);
  Diagnostics diags("config.json");
  auto c = loadConfig(path, diags);
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(writeProfileIds(*c, {{"customer1_websearch", "abcdefghij12"}}).ok());

  Diagnostics again("config.json");
  auto with_ids = loadConfig(path, again);
  ASSERT_TRUE(with_ids.has_value());
  ASSERT_EQ(with_ids->profile_ids.size(), 1u);
  ASSERT_TRUE(writeProfileIds(*with_ids, {}).ok());

  std::string written = readFile(path);
  EXPECT_EQ(written.find("profile_ids"), std::string::npos) << written;
  auto doc = parseJsonDocument(written);
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->root, c->doc.root);
  EXPECT_EQ(doc->numbers, c->doc.numbers);
}

TEST(ConfigTest, WriteProfileIdsKeepsFilePermissions) {
  TempDir dir;
  for (mode_t mode : {mode_t{0600}, mode_t{0640}, mode_t{0664}}) {
    std::string path = dir.file("config.json");
    writeFile(path, kConfigWithUnknownKeys);
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    Diagnostics diags("config.json");
    auto c = loadConfig(path, diags);
    ASSERT_TRUE(c.has_value());
    ASSERT_TRUE(writeProfileIds(*c, {{"customer1_websearch", "abcdefghij12"}}).ok());
    EXPECT_EQ(modeOf(path), mode);
    ASSERT_TRUE(writeProfileIds(*c, {}).ok());
    EXPECT_EQ(modeOf(path), mode);
  }
}

TEST(ConfigTest, WriteProfileIdsFailsCleanlyInAMissingFolder) {
  TempDir dir;
  Parsed p = parse(withTopLevel(""), dir.file("no-such-folder/config.json"));
  ASSERT_EQ(p.errors, Strings{});
  Status st = writeProfileIds(p.config, {{"a", "abcdefghij12"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "cannot write " + dir.file("no-such-folder/config.json.costgate-tmp") +
                            ": No such file or directory");
}

}  // namespace
}  // namespace costgate::config

namespace costgate::config {
namespace {

TEST(ConfigAlarmThresholdsTest, AProfileOverridesTheSeedsThresholdsKeyByKey) {
  Parsed p = parse(R"({"aws_region": "us-west-2", "token_alarm_threshold": 500,
    "profiles": [{"name": "a", "model_id": "m",
                  "alarm_thresholds": {"cost_per_5_minutes": 0.25, "requests_per_minute": 3}},
                 {"name": "b", "model_id": "m"}]})");
  EXPECT_EQ(p.errors, Strings{});
  const AlarmThresholds a = alarmThresholdsOf(p.config, "a");
  EXPECT_EQ(a.cost_per_5_minutes.toString(), "0.25");
  EXPECT_EQ(a.tokens_per_minute, 500);  // the config's
  EXPECT_EQ(a.requests_per_minute, 3);
  const AlarmThresholds b = alarmThresholdsOf(p.config, "b");
  EXPECT_EQ(b.cost_per_5_minutes.toString(), "1");
  EXPECT_EQ(b.tokens_per_minute, 500);
  EXPECT_EQ(b.requests_per_minute, 10);
}

TEST(ConfigAlarmThresholdsTest, BadThresholdsAreErrorsNamingTheirPath) {
  EXPECT_EQ(
      errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": "m",
        "alarm_thresholds": {"cost_per_5_minutes": 0, "tokens_per_minute": -1,
                             "requests": 3}}]})"),
      Strings({"config.json: profiles[0].alarm_thresholds.cost_per_5_minutes: must be a positive "
               "number of USD, got 0",
               "config.json: profiles[0].alarm_thresholds.tokens_per_minute: must be a positive "
               "number, got -1",
               "config.json: profiles[0].alarm_thresholds.requests: unknown key \"requests\" "
               "(expected cost_per_5_minutes, tokens_per_minute or requests_per_minute)"}));
  Strings wrong = errorsOf(R"({"aws_region": "us-west-2", "profiles": [{"name": "a",
        "model_id": "m", "alarm_thresholds": 5}]})");
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_EQ(wrong[0].rfind("config.json: profiles[0].alarm_thresholds: must be an object, got ", 0),
            0u)
      << wrong[0];
}

}  // namespace
}  // namespace costgate::config
