#include "config/json_document.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>
#include <string_view>

namespace costgate::config {
namespace {

namespace json = boost::json;

// Parses text the test knows is valid, failing the test (and returning an empty document)
// otherwise.
JsonDocument mustParse(std::string_view text) {
  auto r = parseJsonDocument(text);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
  return r.ok() ? *r : JsonDocument{};
}

// The error parseJsonDocument gives for `text`, or "" (a failed expectation) if it parsed.
std::string parseError(std::string_view text) {
  auto r = parseJsonDocument(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  return r.ok() ? std::string() : r.error();
}

TEST(JsonDocumentTest, MalformedJsonNamesLineAndColumnOnALaterLine) {
  // Line 3 is `    "b": ,`: the value is missing where the ',' stands, column 10.
  std::string text =
      "{\n"
      "    \"a\": 1,\n"
      "    \"b\": ,\n"
      "    \"c\": 3\n"
      "}\n";
  EXPECT_EQ(parseError(text), "line 3, column 10: malformed JSON: syntax error");
}

TEST(JsonDocumentTest, MalformedJsonOnFirstCharacter) {
  EXPECT_EQ(parseError("x"), "line 1, column 1: malformed JSON: syntax error");
}

TEST(JsonDocumentTest, TruncatedJsonIsReportedAsIncompleteAtTheEnd) {
  EXPECT_EQ(parseError("{\n  \"a\": [1, 2"),
            "line 2, column 13: malformed JSON: unexpected end of input (incomplete JSON)");
}

TEST(JsonDocumentTest, EmptyTextIsIncomplete) {
  EXPECT_EQ(parseError(""),
            "line 1, column 1: malformed JSON: unexpected end of input (incomplete JSON)");
}

TEST(JsonDocumentTest, TrailingCommaIsMalformed) {
  EXPECT_EQ(parseError("{\"a\": 1,\n}"), "line 2, column 1: malformed JSON: syntax error");
}

TEST(JsonDocumentTest, TextAfterTheDocumentIsMalformed) {
  // A second value (for example two files pasted together) must not be silently dropped.
  EXPECT_EQ(parseError("{\"a\": 1}\n{\"b\": 2}\n"),
            "line 2, column 1: malformed JSON: unexpected text after the JSON value");
  EXPECT_EQ(parseError("{\"a\": 1} x"),
            "line 1, column 10: malformed JSON: unexpected text after the JSON value");
  EXPECT_EQ(parseError("[1]]"),
            "line 1, column 4: malformed JSON: unexpected text after the JSON value");
}

TEST(JsonDocumentTest, TrailingWhitespaceIsFine) {
  JsonDocument doc = mustParse("  {\"a\": 1}  \n\n\t ");
  EXPECT_EQ(doc.root, json::parse(R"({"a": 1})"));
}

TEST(JsonDocumentTest, DuplicateKeyIsRejectedWithItsPath) {
  std::string text =
      "{\n"
      "    \"profiles\": [\n"
      "        {\"name\": \"a\", \"model_id\": \"m\"},\n"
      "        {\"name\": \"b\", \"name\": \"c\"}\n"
      "    ]\n"
      "}\n";
  // The position is the end of the repeated key (its closing quote).
  EXPECT_EQ(parseError(text), "line 4, column 28: profiles[1].name: duplicate key \"name\"");
}

TEST(JsonDocumentTest, DuplicateKeyWithDotsIsBracketedInThePath) {
  std::string e = parseError(R"({"us-west-2": {"text": {"a.b:0": {}, "a.b:0": {}}}})");
  EXPECT_NE(e.find(R"(: us-west-2.text["a.b:0"]: duplicate key "a.b:0")"), std::string::npos) << e;
}

TEST(JsonDocumentTest, DuplicateTopLevelKeyIsRejected) {
  EXPECT_EQ(parseError("{\"aws_region\": \"x\",\n \"aws_region\": \"y\"}"),
            "line 2, column 13: aws_region: duplicate key \"aws_region\"");
}

TEST(JsonDocumentTest, SameKeyInDifferentObjectsIsFine) {
  JsonDocument doc = mustParse(R"([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])");
  ASSERT_TRUE(doc.root.is_array());
  EXPECT_EQ(doc.root.get_array().size(), 2u);
}

TEST(JsonDocumentTest, NumberTextsAreKeptByPath) {
  JsonDocument doc = mustParse(R"({
    "us-west-2": {"text": {"amazon.nova-micro-v1:0": {"input_cost": 3.5e-05, "output_cost": 0.00014}}},
    "list": [1, 2.50, -7, 1E3, {"deep": [0.1]}],
    "big": 18446744073709551615,
    "name": "not a number"
  })");
  EXPECT_EQ(doc.numbers.at(R"(us-west-2.text["amazon.nova-micro-v1:0"].input_cost)"), "3.5e-05");
  EXPECT_EQ(doc.numbers.at(R"(us-west-2.text["amazon.nova-micro-v1:0"].output_cost)"), "0.00014");
  EXPECT_EQ(doc.numbers.at("list[0]"), "1");
  EXPECT_EQ(doc.numbers.at("list[1]"), "2.50");
  EXPECT_EQ(doc.numbers.at("list[2]"), "-7");
  EXPECT_EQ(doc.numbers.at("list[3]"), "1E3");
  EXPECT_EQ(doc.numbers.at("list[4].deep[0]"), "0.1");
  EXPECT_EQ(doc.numbers.at("big"), "18446744073709551615");
  EXPECT_EQ(doc.numbers.size(), 8u);
  EXPECT_EQ(doc.numbers.count("name"), 0u);
  // The DOM holds the values too.
  EXPECT_DOUBLE_EQ(doc.root.at("list").at(1).as_double(), 2.5);
  EXPECT_EQ(doc.root.at("list").at(2).as_int64(), -7);
}

TEST(JsonDocumentTest, PathHelpers) {
  EXPECT_EQ(jsonPathKey("", "profiles"), "profiles");
  EXPECT_EQ(jsonPathIndex("profiles", 2), "profiles[2]");
  EXPECT_EQ(jsonPathKey(jsonPathIndex(jsonPathKey(jsonPathIndex("profiles", 2), "tags"), 1), "key"),
            "profiles[2].tags[1].key");
  EXPECT_EQ(jsonPathKey("us-east-1.text", "amazon.nova-micro-v1:0"),
            R"(us-east-1.text["amazon.nova-micro-v1:0"])");
  EXPECT_EQ(jsonPathKey("", "a b"), R"(["a b"])");
  EXPECT_EQ(jsonPathKey("x", ""), R"(x[""])");
  EXPECT_EQ(jsonPathKey("x", "say \"hi\""), R"(x["say \"hi\""])");
}

TEST(JsonDocumentTest, WritesFourSpaceIndentationAndInlinesSmallScalarObjects) {
  JsonDocument doc = mustParse(
      R"({"aws_region": "us-west-2", "cost_alarm_threshold": 0.50, "empty": {}, "none": [],)"
      R"( "profiles": [{"name": "acme_search", "tags": [{"key": "TenantID", "value": "acme"}]}]})");
  EXPECT_EQ(writeJsonDocument(doc.root, doc.numbers),
            "{\n"
            "    \"aws_region\": \"us-west-2\",\n"
            "    \"cost_alarm_threshold\": 0.50,\n"
            "    \"empty\": {},\n"
            "    \"none\": [],\n"
            "    \"profiles\": [\n"
            "        {\n"
            "            \"name\": \"acme_search\",\n"
            "            \"tags\": [\n"
            "                {\"key\": \"TenantID\", \"value\": \"acme\"}\n"
            "            ]\n"
            "        }\n"
            "    ]\n"
            "}\n");
}

TEST(JsonDocumentTest, LongScalarObjectsAreNotInlined) {
  std::string long_value(120, 'v');
  json::value root = {{"o", {{"k", long_value}}}};
  EXPECT_EQ(writeJsonDocument(root),
            "{\n    \"o\": {\n        \"k\": \"" + long_value + "\"\n    }\n}\n");
}

TEST(JsonDocumentTest, RoundTripKeepsDomNumberTextsKeyOrderAndUnknownKeys) {
  std::string text = R"({
    "zeta_unknown": {"nested": {"custom": [1, 2, {"x": null}]}, "flag": true},
    "aws_region": "us-west-2",
    "prices": {"input_cost": 3.5e-05, "output_cost": 0.00125, "thousand": 1e3, "exp": 2.5E+2},
    "ints": [0, -1, 9007199254740993, 18446744073709551615],
    "text": "quote \" backslash \\ newline \n tab \t unicode \u00e9",
    "alpha_unknown": false
})";
  JsonDocument first = mustParse(text);
  std::string written = writeJsonDocument(first.root, first.numbers);
  JsonDocument second = mustParse(written);
  EXPECT_EQ(first.root, second.root);
  // Numbers are written as their source text.
  EXPECT_NE(written.find("\"input_cost\": 3.5e-05"), std::string::npos) << written;
  EXPECT_NE(written.find("\"thousand\": 1e3"), std::string::npos) << written;
  EXPECT_NE(written.find("\"exp\": 2.5E+2"), std::string::npos) << written;
  EXPECT_NE(written.find("9007199254740993"), std::string::npos) << written;
  EXPECT_EQ(second.numbers, first.numbers);
  // Key order is kept, unknown keys included.
  std::vector<std::string> keys;
  for (const auto& kv : second.root.get_object()) keys.emplace_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"zeta_unknown", "aws_region", "prices", "ints", "text",
                                            "alpha_unknown"}));
  // Writing again is stable.
  EXPECT_EQ(writeJsonDocument(second.root, second.numbers), written);
}

TEST(JsonDocumentTest, SourceTextIsNotUsedOnceTheValueChanged) {
  JsonDocument doc = mustParse(R"({"a": 1.50, "b": 3.5e-05, "c": 7})");
  doc.root.as_object()["a"] = 2.25;
  doc.root.as_object()["c"] = 8;
  std::string written = writeJsonDocument(doc.root, doc.numbers);
  JsonDocument again = mustParse(written);
  EXPECT_DOUBLE_EQ(again.root.at("a").to_number<double>(), 2.25);
  EXPECT_EQ(again.root.at("c").to_number<int64_t>(), 8);
  EXPECT_EQ(again.numbers.at("b"), "3.5e-05");
  EXPECT_EQ(written.find("1.50"), std::string::npos) << written;
}

TEST(JsonDocumentTest, WritesWithoutNumberTextsToo) {
  json::value root = {{"n", 0.5}, {"i", 3}};
  JsonDocument again = mustParse(writeJsonDocument(root));
  EXPECT_EQ(again.root, root);
}

}  // namespace
}  // namespace costgate::config
