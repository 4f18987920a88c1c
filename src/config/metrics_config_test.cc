// config.json's "metrics": dimensions (tag keys as labels) and bearer_token_env, with precise
// errors.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"
#include "config/serve_config.h"

namespace costgate::config {
namespace {

using Strings = std::vector<std::string>;

struct Parsed {
  Config config;
  Strings errors;
};

Parsed parseWith(std::string_view extra) {
  std::string text = "{" + std::string(extra) +
                     R"( "aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": "m"}]})";
  Diagnostics diags("config.json");
  Parsed p;
  p.config = parseConfig(text, "/etc/costgate/config.json", diags);
  p.errors = diags.errors();
  return p;
}

TEST(MetricsConfigTest, DefaultsToEveryTagKeyAndNoToken) {
  Parsed p = parseWith("");
  ASSERT_EQ(p.errors, Strings{});
  EXPECT_FALSE(p.config.serve.metrics.dimensions);
  EXPECT_EQ(p.config.serve.metrics.bearer_token_env, "");
}

TEST(MetricsConfigTest, ReadsEveryKey) {
  Parsed p = parseWith(R"("metrics": {"dimensions": ["TenantID", "ApplicationID"],
                                      "bearer_token_env": "COSTGATE_METRICS_TOKEN"},)");
  ASSERT_EQ(p.errors, Strings{});
  EXPECT_EQ(p.config.serve.metrics.dimensions, (Strings{"TenantID", "ApplicationID"}));
  EXPECT_EQ(p.config.serve.metrics.bearer_token_env, "COSTGATE_METRICS_TOKEN");
  Parsed none = parseWith(R"("metrics": {"dimensions": []},)");
  ASSERT_EQ(none.errors, Strings{});
  EXPECT_EQ(none.config.serve.metrics.dimensions, Strings{});
}

TEST(MetricsConfigTest, PreciseErrors) {
  EXPECT_EQ(parseWith(R"("metrics": {"dimensions": ["TenantID", "tenant-id"]},)").errors,
            Strings({"config.json: metrics.dimensions: tag keys \"TenantID\" and \"tenant-id\" "
                     "would both be the label \"tenant_id\""}));
  EXPECT_EQ(parseWith(R"("metrics": {"dimensions": ["Kind"]},)").errors,
            Strings({"config.json: metrics.dimensions: tag key \"Kind\" would be the label "
                     "\"kind\", which costgate's own series already carry"}));
  EXPECT_EQ(parseWith(R"("metrics": {"dimensions": ["TenantID", "", 7]},)").errors,
            Strings({"config.json: metrics.dimensions[1]: must not be empty (a profile tag key)",
                     "config.json: metrics.dimensions[2]: must be a string, got number"}));
  EXPECT_EQ(parseWith(R"("metrics": {"dimensions": "TenantID"},)").errors,
            Strings({"config.json: metrics.dimensions: must be a list, got string \"TenantID\""}));
  EXPECT_EQ(parseWith(R"("metrics": {"bearer_token_env": "s3cret token!"},)").errors,
            Strings({"config.json: metrics.bearer_token_env: \"s3cret token!\" is not the name of "
                     "an environment variable (letters, digits and _, like "
                     "\"COSTGATE_METRICS_TOKEN\"); the token itself never goes in config.json"}));
  EXPECT_EQ(parseWith(R"("metrics": {"bearer_token": "x"},)").errors,
            Strings({"config.json: metrics.bearer_token: unknown key (expected one of: "
                     "dimensions, bearer_token_env)"}));
}

}  // namespace
}  // namespace costgate::config
