#include "config/models.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "pricing/price_table.h"

namespace costgate::config {
namespace {

namespace fs = std::filesystem;
using pricing::ModelKind;
using pricing::ModelPrice;
using Strings = std::vector<std::string>;

struct Parsed {
  std::vector<ModelPrice> prices;
  Strings errors;
};

Parsed parse(std::string_view text) {
  Diagnostics diags("models.json");
  Parsed p;
  p.prices = parseModels(text, diags);
  p.errors = diags.errors();
  return p;
}

Strings errorsOf(std::string_view text) { return parse(text).errors; }

// models.json holding one text model "m" in us-west-2 whose entry is `entry`.
std::string textEntry(std::string_view entry) {
  return R"({"us-west-2": {"text": {"m": )" + std::string(entry) + "}}}";
}

// Parses text the test knows is valid, failing the test otherwise.
std::vector<ModelPrice> mustParse(std::string_view text) {
  Parsed p = parse(text);
  EXPECT_EQ(p.errors, Strings{});
  return p.prices;
}

Money money(std::string_view text) {
  auto m = Money::parse(text);
  EXPECT_TRUE(m.ok()) << text;
  return m.ok() ? *m : Money();
}

TimePoint at(std::string_view iso) {
  TimePoint t;
  EXPECT_TRUE(parseIso8601(iso, t)) << iso;
  return t;
}

// The seed's models.json shape.
constexpr std::string_view kSeedModels = R"({
    "us-west-2": {
        "text": {
            "anthropic.claude-3-haiku-20240307-v1:0": {"input_cost": 0.00025, "output_cost": 0.00125},
            "amazon.nova-micro-v1:0": {"input_cost": 3.5e-05, "output_cost": 0.00014}
        },
        "embeddings": {
            "amazon.titan-embed-text-v2:0": {"input_cost": 2e-05, "output_cost": 0}
        },
        "image": {
            "amazon.titan-image-generator-v1": {
                "512x512": {"standard": 0.008, "premium": 0.01},
                "larger": {"standard": 0.01, "premium": 0.012}
            }
        }
    },
    "us-east-1": {
        "text": {
            "us.amazon.nova-micro-v1:0": {"input_cost": 3.5e-05, "output_cost": 0.00014}
        }
    }
})";

TEST(ModelsTest, SeedNestedFormatParses) {
  std::vector<ModelPrice> prices = mustParse(kSeedModels);
  ASSERT_EQ(prices.size(), 5u);

  EXPECT_EQ(prices[0].region, "us-west-2");
  EXPECT_EQ(prices[0].model_id, "anthropic.claude-3-haiku-20240307-v1:0");
  EXPECT_EQ(prices[0].kind, ModelKind::kText);
  EXPECT_EQ(prices[0].tokens.input_per_1k.toString(), "0.00025");
  EXPECT_EQ(prices[0].tokens.output_per_1k.toString(), "0.00125");
  EXPECT_FALSE(prices[0].tokens.cache_read_per_1k.has_value());
  EXPECT_FALSE(prices[0].tokens.cache_write_per_1k.has_value());
  EXPECT_FALSE(prices[0].effective_from.has_value());
  EXPECT_TRUE(prices[0].images.empty());

  EXPECT_EQ(prices[1].model_id, "amazon.nova-micro-v1:0");
  EXPECT_EQ(prices[1].tokens.input_per_1k.toString(), "0.000035");
  EXPECT_EQ(prices[1].tokens.input_per_1k, money("0.000035"));
  EXPECT_EQ(prices[1].tokens.output_per_1k.toString(), "0.00014");

  EXPECT_EQ(prices[2].model_id, "amazon.titan-embed-text-v2:0");
  EXPECT_EQ(prices[2].kind, ModelKind::kEmbeddings);
  EXPECT_EQ(prices[2].tokens.input_per_1k.toString(), "0.00002");
  EXPECT_TRUE(prices[2].tokens.output_per_1k.isZero());

  EXPECT_EQ(prices[3].model_id, "amazon.titan-image-generator-v1");
  EXPECT_EQ(prices[3].kind, ModelKind::kImage);
  pricing::ImagePrices images = {
      {"512x512", {{"standard", money("0.008")}, {"premium", money("0.01")}}},
      {"larger", {{"standard", money("0.01")}, {"premium", money("0.012")}}}};
  EXPECT_EQ(prices[3].images, images);

  EXPECT_EQ(prices[4].region, "us-east-1");
  EXPECT_EQ(prices[4].model_id, "us.amazon.nova-micro-v1:0");
  EXPECT_EQ(prices[4].tokens.input_per_1k.toString(), "0.000035");
}

TEST(ModelsTest, ExponentPricesAreExact) {
  std::vector<ModelPrice> prices =
      mustParse(textEntry(R"({"input_cost": 3.5e-05, "output_cost": 1.4E-4})"));
  ASSERT_EQ(prices.size(), 1u);
  EXPECT_EQ(prices[0].tokens.input_per_1k.toString(), "0.000035");
  EXPECT_EQ(prices[0].tokens.input_per_1k.raw(), static_cast<Money::Raw>(35'000'000'000'000));
  EXPECT_EQ(prices[0].tokens.output_per_1k.toString(), "0.00014");
}

TEST(ModelsTest, NegativePriceIsAnErrorWithItsPath) {
  EXPECT_EQ(
      errorsOf(
          R"({"us-west-2": {"text": {"amazon.nova-micro-v1:0": {"input_cost": -0.1, "output_cost": 0.00014}}}})"),
      Strings(
          {R"(models.json: us-west-2.text["amazon.nova-micro-v1:0"].input_cost: must not be negative, got -0.1)"}));
  EXPECT_EQ(
      errorsOf(textEntry(R"({"input_cost": 0.1, "output_cost": -2e-3})")),
      Strings({R"(models.json: us-west-2.text.m.output_cost: must not be negative, got -0.002)"}));
}

TEST(ModelsTest, NonNumericPricesAreErrors) {
  EXPECT_EQ(
      errorsOf(textEntry(R"({"input_cost": "0.1", "output_cost": 0.2})")),
      Strings({R"(models.json: us-west-2.text.m.input_cost: must be a number, got string "0.1")"}));
  EXPECT_EQ(errorsOf(textEntry(R"({"input_cost": null, "output_cost": 0.2})")),
            Strings({"models.json: us-west-2.text.m.input_cost: must be a number, got null"}));
  EXPECT_EQ(errorsOf(textEntry(R"({"input_cost": {"usd": 0.1}, "output_cost": 0.2})")),
            Strings({"models.json: us-west-2.text.m.input_cost: must be a number, got object"}));
  EXPECT_EQ(errorsOf(textEntry(R"({"input_cost": 0.1, "output_cost": true})")),
            Strings({"models.json: us-west-2.text.m.output_cost: must be a number, got boolean"}));
}

TEST(ModelsTest, MissingInputCostIsAnError) {
  EXPECT_EQ(errorsOf(textEntry(R"({"output_cost": 0.2})")),
            Strings({"models.json: us-west-2.text.m.input_cost: missing required key"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": {"embeddings": {"e": {"output_cost": 0}}}})"),
            Strings({"models.json: us-west-2.embeddings.e.input_cost: missing required key"}));
}

TEST(ModelsTest, OutputCostIsRequiredForTextButNotForEmbeddings) {
  EXPECT_EQ(errorsOf(textEntry(R"({"input_cost": 0.1})")),
            Strings({"models.json: us-west-2.text.m.output_cost: missing required key"}));
  std::vector<ModelPrice> prices =
      mustParse(R"({"us-west-2": {"embeddings": {"e": {"input_cost": 0.0001}}}})");
  ASSERT_EQ(prices.size(), 1u);
  EXPECT_EQ(prices[0].kind, ModelKind::kEmbeddings);
  EXPECT_EQ(prices[0].tokens.input_per_1k.toString(), "0.0001");
  EXPECT_TRUE(prices[0].tokens.output_per_1k.isZero());
}

TEST(ModelsTest, UnknownKeyInAnEntryIsAnError) {
  EXPECT_EQ(errorsOf(textEntry(R"({"input_cots": 0.1, "output_cost": 0.2})")),
            Strings({"models.json: us-west-2.text.m.input_cots: unknown key (expected input_cost, "
                     "output_cost, cache_read_cost, cache_write_cost or effective_from)",
                     "models.json: us-west-2.text.m.input_cost: missing required key"}));
}

TEST(ModelsTest, UnknownKindIsAnError) {
  EXPECT_EQ(
      errorsOf(R"({"us-west-2": {"txt": {"m": {"input_cost": 0.1, "output_cost": 0.2}}}})"),
      Strings(
          {R"(models.json: us-west-2.txt: unknown model kind (expected "text", "embeddings" or "image"))"}));
}

TEST(ModelsTest, WrongShapesAreErrors) {
  EXPECT_EQ(errorsOf("[]"), Strings({"models.json: must be an object, got array"}));
  EXPECT_EQ(errorsOf("{}"), Strings({"models.json: names no region"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": ["text"]})"),
            Strings({"models.json: us-west-2: must be an object, got array"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": {"text": [1]}})"),
            Strings({"models.json: us-west-2.text: must be an object, got array"}));
  EXPECT_EQ(errorsOf(textEntry("0.1")),
            Strings({"models.json: us-west-2.text.m: must be an object, got number"}));
  EXPECT_EQ(errorsOf(textEntry("[]")), Strings({"models.json: us-west-2.text.m: lists no price"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": {"text": {"": {"input_cost": 0.1, "output_cost": 0.2}}}})"),
            Strings({R"(models.json: us-west-2.text[""]: model id must not be empty)"}));
}

TEST(ModelsTest, MalformedJsonNamesLineAndColumn) {
  EXPECT_EQ(errorsOf("{\n  \"us-west-2\": {\n    \"text\" {}\n  }\n}"),
            Strings({"models.json: line 3, column 12: malformed JSON: syntax error"}));
}

TEST(ModelsTest, DuplicateModelKeyIsAnError) {
  // The last price silently winning would hide a pasted-twice entry.
  EXPECT_EQ(
      errorsOf(R"({"us-west-2": {"text": {
      "amazon.nova-micro-v1:0": {"input_cost": 0.1, "output_cost": 0.2},
      "amazon.nova-micro-v1:0": {"input_cost": 0.3, "output_cost": 0.4}}}})"),
      Strings(
          {R"(models.json: line 3, column 30: us-west-2.text["amazon.nova-micro-v1:0"]: duplicate key "amazon.nova-micro-v1:0")"}));
}

TEST(ModelsTest, CachePricesAreParsed) {
  std::vector<ModelPrice> prices = mustParse(textEntry(
      R"({"input_cost": 0.0008, "output_cost": 0.004, "cache_read_cost": 8e-05, "cache_write_cost": 0.001})"));
  ASSERT_EQ(prices.size(), 1u);
  ASSERT_TRUE(prices[0].tokens.cache_read_per_1k.has_value());
  ASSERT_TRUE(prices[0].tokens.cache_write_per_1k.has_value());
  EXPECT_EQ(prices[0].tokens.cache_read_per_1k->toString(), "0.00008");
  EXPECT_EQ(prices[0].tokens.cache_write_per_1k->toString(), "0.001");
  EXPECT_EQ(
      errorsOf(textEntry(R"({"input_cost": 0.1, "output_cost": 0.2, "cache_read_cost": -1})")),
      Strings({"models.json: us-west-2.text.m.cache_read_cost: must not be negative, got -1"}));
  EXPECT_EQ(
      errorsOf(textEntry(R"({"input_cost": 0.1, "output_cost": 0.2, "cache_write_cost": "x"})")),
      Strings(
          {R"(models.json: us-west-2.text.m.cache_write_cost: must be a number, got string "x")"}));
}

TEST(ModelsTest, EffectiveFromTakesADateOrAnInstant) {
  std::vector<ModelPrice> prices = mustParse(textEntry(R"([
      {"input_cost": 0.1, "output_cost": 0.2},
      {"input_cost": 0.2, "output_cost": 0.4, "effective_from": "2025-04-01"},
      {"input_cost": 0.3, "output_cost": 0.6, "effective_from": "2025-06-01T12:30:00Z"}])"));
  ASSERT_EQ(prices.size(), 3u);
  EXPECT_FALSE(prices[0].effective_from.has_value());
  ASSERT_TRUE(prices[1].effective_from.has_value());
  EXPECT_EQ(*prices[1].effective_from,
            TimePoint(std::chrono::sys_days(std::chrono::year(2025) / 4 / 1)));
  ASSERT_TRUE(prices[2].effective_from.has_value());
  EXPECT_EQ(formatIso8601(*prices[2].effective_from), "2025-06-01T12:30:00.000Z");
  EXPECT_EQ(prices[2].tokens.input_per_1k.toString(), "0.3");
  for (const ModelPrice& p : prices) {
    EXPECT_EQ(p.region, "us-west-2");
    EXPECT_EQ(p.model_id, "m");
  }
  // A single (unlisted) entry may carry a date too.
  prices = mustParse(
      textEntry(R"({"input_cost": 0.1, "output_cost": 0.2, "effective_from": "2024-01-31"})"));
  ASSERT_EQ(prices.size(), 1u);
  EXPECT_EQ(formatIso8601(prices[0].effective_from.value()), "2024-01-31T00:00:00.000Z");
}

TEST(ModelsTest, InvalidEffectiveDateIsAnError) {
  EXPECT_EQ(
      errorsOf(textEntry(R"([{"input_cost": 0.1, "output_cost": 0.2},
          {"input_cost": 0.1, "output_cost": 0.2, "effective_from": "2025-02-30"}])")),
      Strings(
          {R"(models.json: us-west-2.text.m[1].effective_from: "2025-02-30" is not a UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ))"}));
  EXPECT_EQ(
      errorsOf(
          textEntry(R"({"input_cost": 0.1, "output_cost": 0.2, "effective_from": "April 1"})")),
      Strings(
          {R"(models.json: us-west-2.text.m.effective_from: "April 1" is not a UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ))"}));
  EXPECT_EQ(
      errorsOf(textEntry(R"({"input_cost": 0.1, "output_cost": 0.2, "effective_from": 20250401})")),
      Strings({"models.json: us-west-2.text.m.effective_from: must be a string, got number"}));
}

TEST(ModelsTest, MoreThanFifteenDecimalPlacesPer1kIsAnError) {
  // 15 places per 1,000 tokens is 18 per token: still exact.
  std::vector<ModelPrice> prices =
      mustParse(textEntry(R"({"input_cost": 0.000000000000001, "output_cost": 0.2})"));
  ASSERT_EQ(prices.size(), 1u);
  EXPECT_EQ(prices[0].tokens.input_per_1k.toString(), "0.000000000000001");
  EXPECT_EQ(
      errorsOf(textEntry(R"({"input_cost": 0.0000000000000001, "output_cost": 0.2})")),
      Strings({"models.json: us-west-2.text.m.input_cost: 0.0000000000000001 has more than 15 "
               "decimal places, so one token has no exact price"}));
  EXPECT_EQ(
      errorsOf(textEntry(R"({"input_cost": 0.1, "output_cost": 1.5e-16})")),
      Strings({"models.json: us-west-2.text.m.output_cost: 0.00000000000000015 has more than 15 "
               "decimal places, so one token has no exact price"}));
  // Beyond Money's own precision the error still names the path.
  Strings errors = errorsOf(textEntry(R"({"input_cost": 1e-19, "output_cost": 0.2})"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("models.json: us-west-2.text.m.input_cost: ", 0), 0u) << errors[0];
}

TEST(ModelsTest, ImagePricesAreCheckedToo) {
  EXPECT_EQ(
      errorsOf(
          R"({"us-west-2": {"image": {"i": {"512x512": {"standard": -0.5, "premium": "1"}}}}})"),
      Strings(
          {R"(models.json: us-west-2.image.i.512x512.standard: must not be negative, got -0.5)",
           R"(models.json: us-west-2.image.i.512x512.premium: must be a number, got string "1")"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": {"image": {"i": {"512x512": 0.04}}}})"),
            Strings({"models.json: us-west-2.image.i.512x512: must be an object, got number"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": {"image": {"i": {"512x512": {}}}}})"),
            Strings({"models.json: us-west-2.image.i.512x512: lists no quality"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": {"image": {"i": {}}}})"),
            Strings({"models.json: us-west-2.image.i: lists no image size"}));
  EXPECT_EQ(errorsOf(R"({"us-west-2": {"image": {"i": {"effective_from": "2025-01-01"}}}})"),
            Strings({"models.json: us-west-2.image.i: lists no image size"}));
}

TEST(ModelsTest, AllErrorsAreReportedAtOnce) {
  EXPECT_EQ(
      errorsOf(R"({
      "us-west-2": {
          "txt": {},
          "text": {
              "a": {"input_cost": -1, "output_cost": 0.1},
              "b": {"input_cost": null},
              "c": {"input_cost": 0.1, "output_cost": 0.1, "effective_from": "soon"}
          }
      }
  })"),
      Strings(
          {R"(models.json: us-west-2.txt: unknown model kind (expected "text", "embeddings" or "image"))",
           "models.json: us-west-2.text.a.input_cost: must not be negative, got -1",
           "models.json: us-west-2.text.b.input_cost: must be a number, got null",
           "models.json: us-west-2.text.b.output_cost: missing required key",
           R"(models.json: us-west-2.text.c.effective_from: "soon" is not a UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ))"}));
}

// A fresh directory under the system's temporary folder, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "costgate-models-test-XXXXXX").string();
    EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string write(std::string_view name, std::string_view text) const {
    std::string path = (path_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

 private:
  fs::path path_;
};

TEST(ModelsTest, LoadModelsBuildsATableThatPicksTheVersionByDate) {
  TempDir dir;
  std::string path = dir.write("models.json", R"({
      "us-west-2": {"text": {
          "anthropic.claude-3-5-sonnet-20241022-v2:0": [
              {"input_cost": 0.003, "output_cost": 0.015, "effective_from": "2025-04-01"},
              {"input_cost": 0.002, "output_cost": 0.010},
              {"input_cost": 0.004, "output_cost": 0.020, "effective_from": "2025-09-01T00:00:00Z"}
          ],
          "amazon.nova-micro-v1:0": {"input_cost": 3.5e-05, "output_cost": 0.00014}
      }},
      "eu-west-1": {"text": {
          "amazon.nova-micro-v1:0": {"input_cost": 4e-05, "output_cost": 0.00016}
      }}
  })");
  Diagnostics diags("models.json");
  auto table = loadModels(path, diags);
  EXPECT_EQ(diags.errors(), Strings{});
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->all().size(), 5u);

  const std::string sonnet = "anthropic.claude-3-5-sonnet-20241022-v2:0";
  const ModelPrice* p = table->find("us-west-2", sonnet, at("2024-12-31T23:59:59Z"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tokens.input_per_1k.toString(), "0.002");
  p = table->find("us-west-2", sonnet, at("2025-04-01"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tokens.input_per_1k.toString(), "0.003");
  p = table->find("us-west-2", sonnet, at("2025-08-31T23:59:59.999Z"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tokens.input_per_1k.toString(), "0.003");
  p = table->find("us-west-2", sonnet, at("2026-01-01"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tokens.input_per_1k.toString(), "0.004");
  EXPECT_EQ(table->latest("us-west-2", sonnet)->tokens.input_per_1k.toString(), "0.004");

  p = table->find("eu-west-1", "amazon.nova-micro-v1:0", at("2025-01-01"));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->tokens.input_per_1k.toString(), "0.00004");
  EXPECT_EQ(table->find("eu-west-1", sonnet, at("2025-01-01")), nullptr);
  EXPECT_EQ(table->regionsOf("amazon.nova-micro-v1:0"), Strings({"eu-west-1", "us-west-2"}));
}

TEST(ModelsTest, LoadModelsRejectsTwoVersionsWithTheSameDate) {
  TempDir dir;
  std::string path = dir.write("models.json", textEntry(R"([
      {"input_cost": 0.1, "output_cost": 0.2, "effective_from": "2025-01-01"},
      {"input_cost": 0.3, "output_cost": 0.4, "effective_from": "2025-01-01T00:00:00Z"}])"));
  Diagnostics diags("models.json");
  EXPECT_FALSE(loadModels(path, diags).has_value());
  EXPECT_EQ(diags.errors(),
            Strings({"models.json: us-west-2 m: two price versions with the same effective date"}));
}

TEST(ModelsTest, LoadModelsReportsParseErrorsAndMissingFiles) {
  TempDir dir;
  std::string path = dir.write("models.json", textEntry(R"({"input_cost": -1, "output_cost": 1})"));
  Diagnostics diags("models.json");
  EXPECT_FALSE(loadModels(path, diags).has_value());
  EXPECT_EQ(diags.errors(),
            Strings({"models.json: us-west-2.text.m.input_cost: must not be negative, got -1"}));

  Diagnostics missing("models.json");
  std::string absent = path + ".absent";
  EXPECT_FALSE(loadModels(absent, missing).has_value());
  EXPECT_EQ(missing.errors(),
            Strings({"models.json: cannot read " + absent + ": No such file or directory"}));
}

}  // namespace
}  // namespace costgate::config
