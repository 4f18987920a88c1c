#pragma once
// The Bedrock control plane's application inference profiles and their tags (the `bedrock`
// service's REST JSON API, 2023-04-20): CreateInferenceProfile, GetInferenceProfile,
// ListInferenceProfiles, DeleteInferenceProfile, TagResource, UntagResource and
// ListTagsForResource, SigV4-signed with service "bedrock" against
// https://bedrock.REGION.amazonaws.com (or an endpoint given for tests).
//
// The encoders and decoders are pure functions, tested without sockets. BedrockControl is
// synchronous, for the command line: each call runs the upstream client on a private
// io_context. Not thread-safe: one BedrockControl per thread.

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "http/client.h"
#include "http/message.h"
#include "identity/sigv4.h"
#include "profiles/profile.h"

namespace costgate::providers {

// An AWS API error as AWS names it, or a call that got no answer.
struct AwsError {
  int status = 0;    // HTTP status; 0 when there was no answer (unreachable, timeout)
  std::string type;  // "ConflictException", "ResourceNotFoundException"; "" without an answer
  std::string message;
  // "ConflictException (HTTP 400): An inference profile with the name x already exists."
  std::string text() const;
};

// A value, or the AwsError that stopped it.
template <class T>
struct AwsResult {
  std::optional<T> value;
  AwsError error;  // meaningful when !ok()
  bool ok() const { return value.has_value(); }
  static AwsResult failure(AwsError e) { return AwsResult{std::nullopt, std::move(e)}; }
};
struct AwsDone {};

struct InferenceProfileSummary {
  std::string name;
  std::string arn;
  std::string id;
  std::string description;
  std::string status;                   // "ACTIVE"
  std::string type;                     // "APPLICATION" | "SYSTEM_DEFINED"
  std::vector<std::string> model_arns;  // models[].modelArn
};

struct CreateInferenceProfileInput {
  std::string name;
  std::string description;  // omitted when empty (AWS wants 1 to 200 characters)
  std::string copy_from;    // modelSource.copyFrom: see modelSourceArn
  std::vector<profiles::Tag> tags;
  std::string client_request_token;  // omitted when empty
};

// What modelSource.copyFrom names for a model: a cross-region model id (a geography prefix such
// as "us." or "eu." before the provider) copies its system inference profile,
// arn:aws:bedrock:REGION:ACCOUNT:inference-profile/MODEL; any other model id its foundation
// model, arn:aws:bedrock:REGION::foundation-model/MODEL.
std::string modelSourceArn(std::string_view model_id, std::string_view region,
                           std::string_view account);

// Whether an inference profile runs `model_id`: one of its models[] is that foundation model
// (for a cross-region id, the model after the geography prefix) in any region.
bool profileRunsModel(const InferenceProfileSummary& p, std::string_view model_id);

// A clientRequestToken that is the same for the same profile and parameters, so retrying a
// create never makes a second profile: "costgate-<profile id>-<16 hex of their SHA-256>".
std::string clientRequestToken(std::string_view profile_id, const CreateInferenceProfileInput& in);

// Request bodies, members in the order the AWS SDK for JavaScript writes them (by name).
std::string encodeCreateInferenceProfile(const CreateInferenceProfileInput& in);
std::string encodeTagResource(std::string_view arn, const std::vector<profiles::Tag>& tags);
std::string encodeUntagResource(std::string_view arn, const std::vector<std::string>& keys);
std::string encodeListTagsForResource(std::string_view arn);

// Answers. Each error says what is missing or malformed.
Result<std::string> decodeCreateInferenceProfile(std::string_view body);  // the new ARN
Result<InferenceProfileSummary> decodeGetInferenceProfile(std::string_view body);
struct InferenceProfilePage {
  std::vector<InferenceProfileSummary> profiles;
  std::string next_token;  // "" on the last page
};
Result<InferenceProfilePage> decodeListInferenceProfiles(std::string_view body);
Result<std::vector<profiles::Tag>> decodeListTagsForResource(std::string_view body);

// An error answer: the type from x-amzn-ErrorType (up to its ':'), else the body's __type
// (after its '#'), else "code"; the message from "message" or "Message".
AwsError decodeAwsError(int status, const http::Headers& headers, std::string_view body);

struct BedrockControlOptions {
  // "" for https://bedrock.REGION.amazonaws.com; else this base URL (tests, VPC endpoints).
  std::string endpoint;
  std::string region;  // the signing region, and the endpoint's
  identity::SigV4Credentials credentials;
  const Clock* clock = &SystemClock::instance();
  http::ClientTimeouts timeouts;
  std::string ca_file;
};

class BedrockControl {
 public:
  // Fails when the endpoint is not a URL.
  static Result<std::unique_ptr<BedrockControl>> make(BedrockControlOptions options);
  ~BedrockControl();

  const std::string& endpoint() const { return endpoint_; }

  AwsResult<std::string> createInferenceProfile(const CreateInferenceProfileInput& in);
  // `identifier`: an id or an ARN.
  AwsResult<InferenceProfileSummary> getInferenceProfile(std::string_view identifier);
  // Every application inference profile, all pages read.
  AwsResult<std::vector<InferenceProfileSummary>> listApplicationInferenceProfiles();
  AwsResult<AwsDone> deleteInferenceProfile(std::string_view identifier);
  AwsResult<AwsDone> tagResource(std::string_view arn, const std::vector<profiles::Tag>& tags);
  AwsResult<AwsDone> untagResource(std::string_view arn, const std::vector<std::string>& keys);
  AwsResult<std::vector<profiles::Tag>> listTagsForResource(std::string_view arn);

 private:
  struct Answer {
    int status = 0;
    http::Headers headers;
    std::string body;
  };
  BedrockControl(BedrockControlOptions options, std::string endpoint, const http::Url& url);
  // One signed exchange; an AwsError for no answer or an error status.
  AwsResult<Answer> call(std::string method, std::string target, std::string body);

  BedrockControlOptions options_;
  std::string endpoint_;
  boost::asio::io_context io_;  // declared before client_: the client closes its sockets first
  std::unique_ptr<http::HttpClient> client_;
};

}  // namespace costgate::providers
