// config.json's "server", "upstreams" and "unpriced_models": defaults, every key read, and
// precise errors for what is wrong.

#include "config/serve_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.h"

namespace costgate::config {
namespace {

using Strings = std::vector<std::string>;

struct Parsed {
  Config config;
  Strings errors;
};

// A config with one profile (provider as given, "" for none) and `extra` at the top level.
Parsed parseWith(std::string_view extra, std::string_view provider = "") {
  std::string text = "{" + std::string(extra) +
                     R"( "aws_region": "us-west-2", "profiles": [{"name": "a", "model_id": "m")" +
                     (provider.empty() ? "" : R"(, "provider": ")" + std::string(provider) + "\"") +
                     "}]}";
  Diagnostics diags("config.json");
  Parsed p;
  p.config = parseConfig(text, "/etc/costgate/config.json", diags);
  p.errors = diags.errors();
  return p;
}

TEST(ServeConfigTest, DefaultsWhenNothingIsSet) {
  Parsed p = parseWith("");
  ASSERT_EQ(p.errors, Strings{});
  const ServeSettings& s = p.config.serve;
  EXPECT_EQ(s.server.threads, 0);
  EXPECT_EQ(s.server.max_header_bytes, 10240);
  EXPECT_EQ(s.server.max_body_bytes, 6 * 1024 * 1024);
  EXPECT_EQ(s.server.drain_timeout_ms, 30'000);
  EXPECT_FALSE(s.server.power_loss_durability);
  EXPECT_FALSE(s.server.open_mode);
  EXPECT_EQ(s.sim.time_to_first_token_ms, 0);
  EXPECT_FALSE(s.openai);
  EXPECT_FALSE(s.anthropic);
  EXPECT_FALSE(s.bedrock);
  EXPECT_FALSE(s.allow_unpriced);
}

TEST(ServeConfigTest, ReadsEveryKey) {
  Parsed p = parseWith(R"(
    "server": {"threads": 3, "max_header_bytes": 20000, "max_body_bytes": 1048576,
               "drain_timeout_ms": 500, "ledger_durability": "power_loss",
               "ledger_commits": "request_threads", "open_mode": true},
    "upstreams": {
      "sim": {"time_to_first_token_ms": 150, "tokens_per_second": 42.5, "error_rate": 0.25,
              "seed": 7},
      "openai": {"base_url": "https://api.openai.com/v1", "api_key_env": "OPENAI_API_KEY",
                 "timeouts_ms": {"connect": 1000, "first_byte": 2000, "idle": 3000,
                                 "total": 4000},
                 "models": {"m": "gpt-4o-mini"}, "ca_file": "certs/ca.pem",
                 "max_idle_connections": 8, "default_max_tokens": 1024},
      "anthropic": {"base_url": "http://127.0.0.1:9000"}},
    "unpriced_models": "allow_and_flag",)",
                       "openai");
  ASSERT_EQ(p.errors, Strings{});
  const ServeSettings& s = p.config.serve;
  EXPECT_EQ(s.server.threads, 3);
  EXPECT_EQ(s.server.max_header_bytes, 20000);
  EXPECT_EQ(s.server.max_body_bytes, 1048576);
  EXPECT_EQ(s.server.drain_timeout_ms, 500);
  EXPECT_TRUE(s.server.power_loss_durability);
  EXPECT_TRUE(s.server.open_mode);
  EXPECT_EQ(s.sim.time_to_first_token_ms, 150);
  EXPECT_DOUBLE_EQ(s.sim.tokens_per_second, 42.5);
  EXPECT_DOUBLE_EQ(s.sim.error_rate, 0.25);
  EXPECT_EQ(s.sim.seed, 7);
  ASSERT_TRUE(s.openai);
  EXPECT_EQ(s.openai->base_url, "https://api.openai.com/v1");
  EXPECT_EQ(s.openai->api_key_env, "OPENAI_API_KEY");
  EXPECT_EQ(s.openai->timeouts.connect_ms, 1000);
  EXPECT_EQ(s.openai->timeouts.first_byte_ms, 2000);
  EXPECT_EQ(s.openai->timeouts.idle_ms, 3000);
  EXPECT_EQ(s.openai->timeouts.total_ms, 4000);
  EXPECT_EQ(s.openai->models.at("m"), "gpt-4o-mini");
  EXPECT_EQ(s.openai->ca_file, "/etc/costgate/certs/ca.pem") << "relative to the config";
  EXPECT_EQ(s.openai->max_idle_connections, 8);
  EXPECT_EQ(s.openai->default_max_tokens, 1024);
  ASSERT_TRUE(s.anthropic);
  EXPECT_EQ(s.anthropic->timeouts.first_byte_ms, 60'000) << "defaults for unset timeouts";
  EXPECT_TRUE(s.allow_unpriced);
}

TEST(ServeConfigTest, PreciseErrors) {
  EXPECT_EQ(
      parseWith(R"("server": {"thread": 2},)").errors,
      Strings(
          {"config.json: server.thread: unknown key (expected one of: threads, "
           "max_header_bytes, max_body_bytes, drain_timeout_ms, ledger_durability, ledger_commits, "
           "open_mode)"}));
  EXPECT_EQ(parseWith(R"("server": {"max_body_bytes": 10.5},)").errors,
            Strings({"config.json: server.max_body_bytes: must be a whole number from 1024 to "
                     "4294967296, got 10.5"}));
  EXPECT_EQ(parseWith(R"("server": {"ledger_durability": "fsync"},)").errors,
            Strings({R"(config.json: server.ledger_durability: "fsync" is not one of )"
                     R"("process_crash" or "power_loss")"}));
  EXPECT_EQ(parseWith(R"("server": {"open_mode": "yes"},)").errors,
            Strings({"config.json: server.open_mode: must be true or false"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"sim": {"error_rate": 2}},)").errors,
            Strings({"config.json: upstreams.sim.error_rate: must be from 0 to 1, got 2"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"openai": {"base_url": "api.openai.com"}},)").errors,
            Strings({R"(config.json: upstreams.openai.base_url: "api.openai.com" must start )"
                     "with http:// or https://"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"openai": {}},)").errors,
            Strings({"config.json: upstreams.openai.base_url: missing required key"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"openai": {"base_url": "http://h",
                                        "timeouts_ms": {"connect": 0}}},)")
                .errors,
            Strings({"config.json: upstreams.openai.timeouts_ms.connect: must be a whole number "
                     "from 1 to 86400000, got 0"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"vertex": {}},)").errors,
            Strings({"config.json: upstreams.vertex: unknown key (expected one of: sim, openai, "
                     "anthropic, bedrock)"}));
  EXPECT_EQ(parseWith(R"("unpriced_models": "free",)").errors,
            Strings({R"(config.json: unpriced_models: "free" is not one of "refuse" or )"
                     R"("allow_and_flag")"}));
}

TEST(ServeConfigTest, BedrockDefaultsToAwsInTheConfigsRegion) {
  Parsed p = parseWith(R"("upstreams": {"bedrock": {}},)");
  ASSERT_EQ(p.errors, Strings{});
  ASSERT_TRUE(p.config.serve.bedrock);
  const BedrockUpstreamSettings& b = *p.config.serve.bedrock;
  EXPECT_EQ(b.endpoint, "") << "AWS's regional endpoint";
  EXPECT_EQ(b.region, "us-west-2") << "the config's aws_region";
  EXPECT_EQ(b.timeouts.connect_ms, 5'000);
  EXPECT_EQ(b.timeouts.total_ms, 600'000);
  EXPECT_EQ(b.models.size(), 0u);
  EXPECT_EQ(b.ca_file, "");
  EXPECT_EQ(b.max_idle_connections, 64);
  EXPECT_EQ(b.default_max_tokens, 4096);
  EXPECT_FALSE(b.mirror_profiles);
  EXPECT_EQ(b.control_endpoint, "") << "AWS's regional control-plane endpoint";
  EXPECT_EQ(parseWith("", "bedrock").errors, Strings{})
      << "a profile may use bedrock without an upstreams.bedrock section (defaults apply)";
}

TEST(ServeConfigTest, BedrockReadsEveryKey) {
  Parsed p = parseWith(R"("upstreams": {"bedrock": {
      "endpoint": "http://127.0.0.1:9001", "region": "eu-central-1",
      "timeouts_ms": {"connect": 100, "first_byte": 200, "idle": 300, "total": 400},
      "models": {"m": "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.m"},
      "ca_file": "ca.pem", "max_idle_connections": 2, "default_max_tokens": 512,
      "mirror_profiles": true, "control_endpoint": "http://127.0.0.1:9002"}},)");
  ASSERT_EQ(p.errors, Strings{});
  const BedrockUpstreamSettings& b = *p.config.serve.bedrock;
  EXPECT_EQ(b.endpoint, "http://127.0.0.1:9001");
  EXPECT_EQ(b.region, "eu-central-1");
  EXPECT_EQ(b.timeouts.connect_ms, 100);
  EXPECT_EQ(b.timeouts.first_byte_ms, 200);
  EXPECT_EQ(b.timeouts.idle_ms, 300);
  EXPECT_EQ(b.timeouts.total_ms, 400);
  EXPECT_EQ(b.models.at("m"), "arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.m");
  EXPECT_EQ(b.ca_file, "/etc/costgate/ca.pem");
  EXPECT_EQ(b.max_idle_connections, 2);
  EXPECT_EQ(b.default_max_tokens, 512);
  EXPECT_TRUE(b.mirror_profiles);
  EXPECT_EQ(b.control_endpoint, "http://127.0.0.1:9002");
}

TEST(ServeConfigTest, BedrockPreciseErrors) {
  EXPECT_EQ(parseWith(R"("upstreams": {"bedrock": {"base_url": "http://h"}},)").errors,
            Strings({"config.json: upstreams.bedrock.base_url: unknown key (expected one of: "
                     "endpoint, region, timeouts_ms, models, ca_file, max_idle_connections, "
                     "default_max_tokens, mirror_profiles, control_endpoint)"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"bedrock": {"mirror": true}},)").errors,
            Strings({"config.json: upstreams.bedrock.mirror: unknown key (expected one of: "
                     "endpoint, region, timeouts_ms, models, ca_file, max_idle_connections, "
                     "default_max_tokens, mirror_profiles, control_endpoint)"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"bedrock": {"mirror_profiles": "yes"}},)").errors,
            Strings({"config.json: upstreams.bedrock.mirror_profiles: must be true or false"}));
  EXPECT_EQ(
      parseWith(R"("upstreams": {"bedrock": {"control_endpoint": "bedrock.local"}},)").errors,
      Strings({R"(config.json: upstreams.bedrock.control_endpoint: "bedrock.local" must start )"
               "with http:// or https://"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"bedrock": {"endpoint": "bedrock.local"}},)").errors,
            Strings({R"(config.json: upstreams.bedrock.endpoint: "bedrock.local" must start )"
                     "with http:// or https://"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"bedrock": {"region": "US West"}},)").errors,
            Strings({R"(config.json: upstreams.bedrock.region: "US West" is not an AWS region )"
                     R"((like "us-east-1"))"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"bedrock": {"timeouts_ms": {"idle": -1}}},)").errors,
            Strings({"config.json: upstreams.bedrock.timeouts_ms.idle: must be a whole number "
                     "from 1 to 86400000, got -1"}));
  EXPECT_EQ(parseWith(R"("upstreams": {"bedrock": {"models": {"m": ""}}},)").errors,
            Strings({"config.json: upstreams.bedrock.models.m: must not be empty"}));
}

TEST(ServeConfigTest, AnHttpUpstreamInUseMustBeConfigured) {
  EXPECT_EQ(parseWith("", "openai").errors,
            Strings({R"(config.json: profiles[0].provider: upstream "openai" is not configured: )"
                     R"(add "upstreams": {"openai": {"base_url": …, "api_key_env": …}})"}));
  EXPECT_EQ(parseWith(R"("default_provider": "anthropic",)").errors,
            Strings({R"(config.json: default_provider: upstream "anthropic" is not configured: )"
                     R"(add "upstreams": {"anthropic": {"base_url": …, "api_key_env": …}})"}));
  EXPECT_EQ(parseWith(R"("default_provider": "anthropic",)", "sim").errors, Strings{})
      << "a default no profile uses needs nothing";
}

}  // namespace
}  // namespace costgate::config

namespace costgate::config {
namespace {

TEST(ServeConfigTest, LedgerRetention) {
  Parsed none = parseWith("");
  EXPECT_FALSE(none.config.serve.ledger.retention_days) << "keeps every record by default";
  EXPECT_EQ(none.config.serve.ledger.archive_interval_minutes, 60);

  Parsed p = parseWith(R"("ledger": {"retention_days": 90, "archive_interval_minutes": 5},)");
  ASSERT_EQ(p.errors, Strings{});
  EXPECT_EQ(p.config.serve.ledger.retention_days, 90);
  EXPECT_EQ(p.config.serve.ledger.archive_interval_minutes, 5);

  EXPECT_EQ(parseWith(R"("ledger": {"retention_days": 0},)").errors,
            Strings({"config.json: ledger.retention_days: must be a whole number from 1 to "
                     "36500, got 0"}));
  EXPECT_EQ(parseWith(R"("ledger": {"retention_days": 1.5},)").errors,
            Strings({"config.json: ledger.retention_days: must be a whole number from 1 to "
                     "36500, got 1.5"}));
  EXPECT_EQ(parseWith(R"("ledger": {"retention": 30},)").errors,
            Strings({"config.json: ledger.retention: unknown key (expected one of: "
                     "retention_days, archive_interval_minutes)"}));
  EXPECT_EQ(parseWith(R"("ledger": 30,)").errors.size(), 1u);
}

}  // namespace
}  // namespace costgate::config
