// config.json's "metrics": dimensions (tag keys as labels), bearer_token_env, and the metric
// store's directory, retention_days and max_series, with precise errors.

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
  // The store's defaults: beside the SQLite store, CloudWatch's retention, the store's cap.
  EXPECT_EQ(p.config.serve.metrics.directory, "/etc/costgate/costgate.db.metrics");
  EXPECT_EQ(p.config.serve.metrics.retention_days_1m, 15);
  EXPECT_EQ(p.config.serve.metrics.retention_days_5m, 63);
  EXPECT_EQ(p.config.serve.metrics.retention_days_1h, 455);
  EXPECT_FALSE(p.config.serve.metrics.max_series);
  EXPECT_EQ(parseWith(R"("store": "data/usage.db",)").config.serve.metrics.directory,
            "/etc/costgate/data/usage.db.metrics");
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

TEST(MetricsConfigTest, ReadsTheStoreKeys) {
  Parsed p = parseWith(R"("metrics": {"directory": "state/metrics", "max_series": 250000,
                                      "retention_days": {"1m": 3, "5m": 30, "1h": 400}},)");
  ASSERT_EQ(p.errors, Strings{});
  const MetricsSettings& m = p.config.serve.metrics;
  EXPECT_EQ(m.directory, "/etc/costgate/state/metrics");  // relative to the config's folder
  EXPECT_EQ(m.retention_days_1m, 3);
  EXPECT_EQ(m.retention_days_5m, 30);
  EXPECT_EQ(m.retention_days_1h, 400);
  EXPECT_EQ(m.max_series, 250000);
  EXPECT_EQ(parseWith(R"("metrics": {"directory": "/var/lib/costgate/m"},)")
                .config.serve.metrics.directory,
            "/var/lib/costgate/m");
  // Each resolution is optional; the others keep their defaults (and the order holds).
  Parsed one = parseWith(R"("metrics": {"retention_days": {"5m": 15}},)");
  ASSERT_EQ(one.errors, Strings{});
  EXPECT_EQ(one.config.serve.metrics.retention_days_1m, 15);
  EXPECT_EQ(one.config.serve.metrics.retention_days_5m, 15);
  EXPECT_EQ(one.config.serve.metrics.retention_days_1h, 455);
}

TEST(MetricsConfigTest, PreciseStoreErrors) {
  EXPECT_EQ(parseWith(R"("metrics": {"retention_days": {"1m": 0}},)").errors,
            Strings({"config.json: metrics.retention_days.1m: must be a whole number from 1 to "
                     "36500, got 0"}));
  EXPECT_EQ(
      parseWith(R"("metrics": {"retention_days": {"5m": 2.5, "1h": "x"}},)").errors,
      Strings({"config.json: metrics.retention_days.5m: must be a whole number from 1 to "
               "36500, got 2.5",
               "config.json: metrics.retention_days.1h: must be a number, got string \"x\""}));
  EXPECT_EQ(parseWith(R"("metrics": {"retention_days": {"1m": 70}},)").errors,
            Strings({"config.json: metrics.retention_days: 1m (70 days) must not be longer than "
                     "5m (63 days): a coarser resolution is kept at least as long"}));
  EXPECT_EQ(parseWith(R"("metrics": {"retention_days": {"5m": 100, "1h": 90}},)").errors,
            Strings({"config.json: metrics.retention_days: 5m (100 days) must not be longer than "
                     "1h (90 days): a coarser resolution is kept at least as long"}));
  EXPECT_EQ(parseWith(R"("metrics": {"retention_days": {"1d": 5}},)").errors,
            Strings({"config.json: metrics.retention_days.1d: unknown key (expected one of: 1m, "
                     "5m, 1h)"}));
  EXPECT_EQ(parseWith(R"("metrics": {"retention_days": 15},)").errors,
            Strings({"config.json: metrics.retention_days: must be an object, got number"}));
  EXPECT_EQ(parseWith(R"("metrics": {"max_series": -1},)").errors,
            Strings({"config.json: metrics.max_series: must be a whole number from 1 to "
                     "1000000000, got -1"}));
  EXPECT_EQ(parseWith(R"("metrics": {"directory": ""},)").errors,
            Strings({"config.json: metrics.directory: must not be empty (leave it out for "
                     "<store>.metrics beside the store)"}));
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
                     "dimensions, bearer_token_env, directory, retention_days, max_series)"}));
}

}  // namespace
}  // namespace costgate::config
