// Where the Bedrock upstream's AWS credentials come from: the environment first, then the shared
// credentials file's profile; every failure says where costgate looked.

#include "providers/aws_credentials.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

namespace costgate::providers {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string, std::less<>>;

EnvLookup lookupIn(const Env& env) {
  return [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

constexpr std::string_view kFile = R"(# comment
[default]
aws_access_key_id = AKIDEFAULT000000000
aws_secret_access_key=secretDefault

; another comment
[team]
AWS_ACCESS_KEY_ID = ASIATEAM0000000000
aws_secret_access_key = secretTeam
aws_session_token = tokenTeam
s3 =
    max_concurrent_requests = 20
region = us-west-2

[broken]
aws_access_key_id = AKIBROKEN
)";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "costgate-aws-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name, std::string_view text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(AwsCredentialsTest, EnvironmentComesFirst) {
  TempDir dir;
  Env env{{"AWS_ACCESS_KEY_ID", "AKIAENV"},
          {"AWS_SECRET_ACCESS_KEY", "secretEnv"},
          {"AWS_SESSION_TOKEN", "tokenEnv"},
          {"AWS_SHARED_CREDENTIALS_FILE", dir.file("credentials", kFile)}};
  auto c = loadAwsCredentials(lookupIn(env));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->keys.access_key_id, "AKIAENV");
  EXPECT_EQ(c->keys.secret_access_key, "secretEnv");
  EXPECT_EQ(c->keys.session_token, "tokenEnv");
  EXPECT_EQ(c->source, "environment (AWS_ACCESS_KEY_ID)");

  env.erase("AWS_SESSION_TOKEN");
  auto long_term = loadAwsCredentials(lookupIn(env));
  ASSERT_TRUE(long_term);
  EXPECT_EQ(long_term->keys.session_token, "");
}

TEST(AwsCredentialsTest, HalfAnEnvironmentPairIsAnError) {
  auto c = loadAwsCredentials(lookupIn({{"AWS_ACCESS_KEY_ID", "AKIAENV"}}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(),
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set both, or neither to "
            "use the shared credentials file");
  auto d = loadAwsCredentials(lookupIn({{"AWS_SECRET_ACCESS_KEY", "s"}}));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().rfind("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not", 0), 0u);
}

TEST(AwsCredentialsTest, SharedFileDefaultAndNamedProfiles) {
  TempDir dir;
  std::string path = dir.file("credentials", kFile);
  Env env{{"AWS_SHARED_CREDENTIALS_FILE", path}};
  auto d = loadAwsCredentials(lookupIn(env));
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->keys.access_key_id, "AKIDEFAULT000000000");
  EXPECT_EQ(d->keys.secret_access_key, "secretDefault");
  EXPECT_EQ(d->keys.session_token, "");
  EXPECT_EQ(d->source, path + " [default]");

  env["AWS_PROFILE"] = "team";
  auto t = loadAwsCredentials(lookupIn(env));
  ASSERT_TRUE(t) << t.error();
  EXPECT_EQ(t->keys.access_key_id, "ASIATEAM0000000000") << "key names are case-insensitive";
  EXPECT_EQ(t->keys.secret_access_key, "secretTeam");
  EXPECT_EQ(t->keys.session_token, "tokenTeam");
  EXPECT_EQ(t->source, path + " [team]");
}

TEST(AwsCredentialsTest, HomeCredentialsFileWhenNoPathIsSet) {
  TempDir dir;
  fs::create_directories(dir.path() + "/.aws");
  dir.file(".aws/credentials", "[default]\naws_access_key_id=AKIHOME\naws_secret_access_key=s\n");
  auto c = loadAwsCredentials(lookupIn({{"HOME", dir.path()}}));
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->keys.access_key_id, "AKIHOME");
  EXPECT_EQ(sharedCredentialsPath(lookupIn({{"HOME", "/home/u"}})), "/home/u/.aws/credentials");
  EXPECT_EQ(sharedCredentialsPath(
                lookupIn({{"HOME", "/home/u"}, {"AWS_SHARED_CREDENTIALS_FILE", "/etc/aws"}})),
            "/etc/aws");
}

TEST(AwsCredentialsTest, MissingFileSaysWhereItLooked) {
  TempDir dir;
  std::string path = dir.path() + "/nope";
  auto c = loadAwsCredentials(lookupIn({{"AWS_SHARED_CREDENTIALS_FILE", path}}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(),
            "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not "
            "set, and " +
                path + " cannot be read (No such file or directory)");
  auto none = loadAwsCredentials(lookupIn({}));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(),
            "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are "
            "not set, and neither AWS_SHARED_CREDENTIALS_FILE nor HOME is set");
}

TEST(AwsCredentialsTest, MissingProfileOrKeyIsNamed) {
  auto missing = parseSharedCredentialsFile(kFile, "prod", "creds");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(), "creds has no [prod] section (it has: default, team, broken)");
  auto broken = parseSharedCredentialsFile(kFile, "broken", "creds");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error(), "creds [broken] has no aws_secret_access_key");
  auto empty = parseSharedCredentialsFile("", "default", "creds");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error(), "creds has no [default] section (it has none)");
}

TEST(AwsCredentialsTest, MalformedFilesNameTheLine) {
  auto no_eq = parseSharedCredentialsFile("[default]\naws_access_key_id AKID\n", "default", "f");
  ASSERT_FALSE(no_eq);
  EXPECT_EQ(no_eq.error(), "f line 2: expected `key = value` or `[section]`");
  auto open = parseSharedCredentialsFile("\n[default\n", "default", "f");
  ASSERT_FALSE(open);
  EXPECT_EQ(open.error(), "f line 2: a section header must end with ']'");
  auto orphan = parseSharedCredentialsFile("aws_access_key_id = x\n", "default", "f");
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.error(), "f line 1: a setting before any [section]");
  auto crlf = parseSharedCredentialsFile(
      "[default]\r\naws_access_key_id = A\r\n"
      "aws_secret_access_key = S\r\n",
      "default", "f");
  ASSERT_TRUE(crlf) << crlf.error();
  EXPECT_EQ(crlf->keys.secret_access_key, "S") << "Windows line ends are accepted";
}

TEST(AwsCredentialsTest, MalformedFileThroughLoadSaysItIsNotUsable) {
  TempDir dir;
  std::string path = dir.file("credentials", "[default]\njunk\n");
  auto c = loadAwsCredentials(lookupIn({{"AWS_SHARED_CREDENTIALS_FILE", path}}));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error(),
            "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not "
            "set, and " +
                path + " line 2: expected `key = value` or `[section]`");
}

}  // namespace
}  // namespace costgate::providers
