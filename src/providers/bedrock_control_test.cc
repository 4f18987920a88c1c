// The Bedrock control plane's request bodies and answers, byte for byte, and its errors as AWS
// names them. Shapes from botocore's bedrock 2023-04-20 service model (CreateInferenceProfile,
// GetInferenceProfile, ListInferenceProfiles, TagResource, UntagResource, ListTagsForResource)
// and the AWS CLI reference examples for `aws bedrock create-inference-profile`.

#include "providers/bedrock_control.h"

#include <gtest/gtest.h>

#include <cctype>

namespace costgate::providers {
namespace {

using profiles::Tag;

TEST(BedrockControlTest, CopyFromIsTheFoundationModelOrTheSystemProfile) {
  EXPECT_EQ(modelSourceArn("anthropic.claude-3-haiku-20240307-v1:0", "us-west-2", "123456789012"),
            "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0");
  EXPECT_EQ(modelSourceArn("amazon.nova-pro-v1:0", "eu-central-1", "123456789012"),
            "arn:aws:bedrock:eu-central-1::foundation-model/amazon.nova-pro-v1:0");
  // A cross-region model id copies its system inference profile, which lives in the account.
  EXPECT_EQ(modelSourceArn("us.amazon.nova-micro-v1:0", "us-west-2", "123456789012"),
            "arn:aws:bedrock:us-west-2:123456789012:inference-profile/us.amazon.nova-micro-v1:0");
  EXPECT_EQ(modelSourceArn("apac.anthropic.claude-3-haiku-20240307-v1:0", "ap-south-1", "1"),
            "arn:aws:bedrock:ap-south-1:1:inference-profile/"
            "apac.anthropic.claude-3-haiku-20240307-v1:0");
  EXPECT_EQ(modelSourceArn("global.anthropic.claude-sonnet-4-v1:0", "us-east-1", "1"),
            "arn:aws:bedrock:us-east-1:1:inference-profile/global.anthropic.claude-sonnet-4-v1:0");
  // A provider named like a geography is not one without a model after it.
  EXPECT_EQ(modelSourceArn("us.model-v1", "us-east-1", "1"),
            "arn:aws:bedrock:us-east-1::foundation-model/us.model-v1");
}

TEST(BedrockControlTest, CreateBodyIsExact) {
  CreateInferenceProfileInput in;
  in.name = "customer1_websearch";
  in.description = "Web search assistant for customer 1";
  in.copy_from =
      "arn:aws:bedrock:us-west-2::foundation-model/anthropic.claude-3-haiku-20240307-v1:0";
  in.tags = {{"TenantID", "customer1"}, {"Environment", "Dev"}};
  in.client_request_token = "costgate-abc";
  EXPECT_EQ(
      encodeCreateInferenceProfile(in),
      R"({"clientRequestToken":"costgate-abc",)"
      R"("description":"Web search assistant for customer 1",)"
      R"("inferenceProfileName":"customer1_websearch",)"
      R"("modelSource":{"copyFrom":"arn:aws:bedrock:us-west-2::foundation-model/)"
      R"(anthropic.claude-3-haiku-20240307-v1:0"},)"
      R"("tags":[{"key":"TenantID","value":"customer1"},{"key":"Environment","value":"Dev"}]})");
  // AWS wants a description of 1 to 200 characters: an empty one, and no tags, are left out.
  CreateInferenceProfileInput bare;
  bare.name = "n";
  bare.copy_from = "arn:aws:bedrock:us-east-1::foundation-model/m";
  EXPECT_EQ(encodeCreateInferenceProfile(bare),
            R"({"inferenceProfileName":"n",)"
            R"("modelSource":{"copyFrom":"arn:aws:bedrock:us-east-1::foundation-model/m"}})");
}

TEST(BedrockControlTest, ClientRequestTokenIsDeterministicPerProfileAndParameters) {
  CreateInferenceProfileInput in;
  in.name = "p";
  in.copy_from = "arn:aws:bedrock:us-east-1::foundation-model/m";
  in.tags = {{"K", "V"}};
  std::string token = clientRequestToken("abcdefghij12", in);
  EXPECT_EQ(token.size(), std::string("costgate-abcdefghij12-").size() + 16);
  EXPECT_EQ(token.rfind("costgate-abcdefghij12-", 0), 0u) << token;
  EXPECT_EQ(clientRequestToken("abcdefghij12", in), token) << "same profile, same parameters";
  in.client_request_token = "ignored";
  EXPECT_EQ(clientRequestToken("abcdefghij12", in), token) << "the token itself is not hashed";
  EXPECT_NE(clientRequestToken("abcdefghij13", in), token) << "another profile";
  in.tags = {{"K", "W"}};
  EXPECT_NE(clientRequestToken("abcdefghij12", in), token) << "other parameters";
  // AWS's pattern for the token: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}.
  for (char c : token) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-');
}

TEST(BedrockControlTest, TagBodiesAreExact) {
  const std::string arn =
      "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/abcdefghij12";
  EXPECT_EQ(encodeTagResource(arn, {{"Team", "a b"}, {"CostCenter", "42"}}),
            R"({"resourceARN":")" + arn +
                R"(","tags":[{"key":"Team","value":"a b"},{"key":"CostCenter","value":"42"}]})");
  EXPECT_EQ(encodeUntagResource(arn, {"Team", "CostCenter"}),
            R"({"resourceARN":")" + arn + R"(","tagKeys":["Team","CostCenter"]})");
  EXPECT_EQ(encodeListTagsForResource(arn), R"({"resourceARN":")" + arn + R"("})");
}

TEST(BedrockControlTest, DecodesAnswers) {
  auto arn = decodeCreateInferenceProfile(
      R"({"inferenceProfileArn":"arn:aws:bedrock:us-west-2:1:application-inference-profile/x",)"
      R"("status":"ACTIVE"})");
  ASSERT_TRUE(arn.ok()) << arn.error();
  EXPECT_EQ(*arn, "arn:aws:bedrock:us-west-2:1:application-inference-profile/x");
  EXPECT_EQ(decodeCreateInferenceProfile(R"({"status":"ACTIVE"})").error(),
            "the CreateInferenceProfile answer has no inferenceProfileArn");
  EXPECT_EQ(decodeCreateInferenceProfile("[]").error(),
            "the CreateInferenceProfile answer is not a JSON object");

  const char* summary =
      R"({"inferenceProfileName":"p","inferenceProfileArn":"arn:x","inferenceProfileId":"x",)"
      R"("description":"d","status":"ACTIVE","type":"APPLICATION","createdAt":"2024-01-01T00:00:00Z",)"
      R"("models":[{"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0"},)"
      R"({"modelArn":"arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-micro-v1:0"}]})";
  auto got = decodeGetInferenceProfile(summary);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(got->name, "p");
  EXPECT_EQ(got->arn, "arn:x");
  EXPECT_EQ(got->id, "x");
  EXPECT_EQ(got->description, "d");
  EXPECT_EQ(got->status, "ACTIVE");
  EXPECT_EQ(got->type, "APPLICATION");
  ASSERT_EQ(got->model_arns.size(), 2u);
  EXPECT_TRUE(profileRunsModel(*got, "us.amazon.nova-micro-v1:0"));
  EXPECT_TRUE(profileRunsModel(*got, "amazon.nova-micro-v1:0"));
  EXPECT_FALSE(profileRunsModel(*got, "amazon.nova-pro-v1:0"));
  EXPECT_FALSE(profileRunsModel(*got, "nova-micro-v1:0")) << "the whole model id must match";

  auto page = decodeListInferenceProfiles(std::string(R"({"inferenceProfileSummaries":[)") +
                                          summary + R"(],"nextToken":"Y3Vyc29yLTE="})");
  ASSERT_TRUE(page.ok()) << page.error();
  ASSERT_EQ(page->profiles.size(), 1u);
  EXPECT_EQ(page->profiles[0].arn, "arn:x");
  EXPECT_EQ(page->next_token, "Y3Vyc29yLTE=");
  auto last = decodeListInferenceProfiles(R"({"inferenceProfileSummaries":[]})");
  ASSERT_TRUE(last.ok());
  EXPECT_TRUE(last->profiles.empty());
  EXPECT_EQ(last->next_token, "");
  EXPECT_EQ(
      decodeListInferenceProfiles(R"({"inferenceProfileSummaries":[{"status":"ACTIVE"}]})").error(),
      "an inference profile without inferenceProfileName or inferenceProfileArn");

  auto tags =
      decodeListTagsForResource(R"({"tags":[{"key":"K","value":"V"},{"key":"E","value":""}]})");
  ASSERT_TRUE(tags.ok()) << tags.error();
  EXPECT_EQ(*tags, (std::vector<Tag>{{"K", "V"}, {"E", ""}}));
  EXPECT_EQ(decodeListTagsForResource(R"({"tags":[{"key":"K"}]})").error(),
            "a tag without a string key and value");
}

TEST(BedrockControlTest, ErrorsAreNamedAsAwsNamesThem) {
  http::Headers h;
  h.add("x-amzn-ErrorType",
        "ConflictException:http://internal.amazon.com/coral/com.amazon.bedrock/");
  AwsError e = decodeAwsError(
      400, h, R"({"message":"An inference profile with the name p already exists."})");
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "ConflictException");
  EXPECT_EQ(e.message, "An inference profile with the name p already exists.");
  EXPECT_EQ(e.text(),
            "ConflictException (HTTP 400): An inference profile with the name p already exists.");

  // Without the header: the body's __type (a shape id), or code; Message with a capital M.
  e = decodeAwsError(404, {},
                     R"({"__type":"com.amazon.bedrock#ResourceNotFoundException",)"
                     R"("Message":"gone"})");
  EXPECT_EQ(e.type, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "gone");
  e = decodeAwsError(403, {}, R"({"code":"AccessDeniedException","message":"no"})");
  EXPECT_EQ(e.text(), "AccessDeniedException (HTTP 403): no");
  e = decodeAwsError(502, {}, "<html>bad gateway</html>");
  EXPECT_EQ(e.type, "");
  EXPECT_EQ(e.text(), "error (HTTP 502): <html>bad gateway</html>");
  EXPECT_EQ((AwsError{0, "", "connect refused"}).text(), "connect refused");
}

}  // namespace
}  // namespace costgate::providers
