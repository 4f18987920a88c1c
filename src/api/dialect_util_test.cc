#include "api/dialect_util.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "api/dialect_test_support.h"

namespace costgate::api {
namespace {

namespace json = boost::json;
using testing::parseJson;

json::object obj(std::string_view text) { return parseJson(text).as_object(); }

TEST(DialectUtilTest, NullCountsAsAbsent) {
  json::object o = obj(R"({"a": null})");
  FieldReader f(o);
  EXPECT_EQ(f.get("a"), nullptr);
  EXPECT_EQ(f.string("a"), std::nullopt);
  EXPECT_TRUE(f.ok());
  EXPECT_EQ(f.string("a", /*required=*/true), std::nullopt);
  EXPECT_EQ(f.error(), "a: is required");
}

TEST(DialectUtilTest, FirstFailureSticks) {
  json::object o = obj(R"({"a": 1, "b": "x"})");
  FieldReader f(o, "cfg.");
  EXPECT_EQ(f.string("a"), std::nullopt);
  EXPECT_EQ(f.positiveInt("b"), std::nullopt);
  EXPECT_FALSE(f.ok());
  EXPECT_EQ(f.error(), "cfg.a: must be a string, not a number");
}

TEST(DialectUtilTest, PositiveIntAcceptsOnlyJsonIntegersFromOne) {
  json::object o = obj(R"({"one": 1, "big": 9223372036854775807, "zero": 0, "neg": -1,
                           "frac": 1.5, "whole_double": 2.0, "str": "3", "huge": 18446744073709551615,
                           "bool": true})");
  {
    FieldReader f(o);
    EXPECT_EQ(f.positiveInt("one"), 1);
    EXPECT_EQ(f.positiveInt("big"), INT64_MAX);
    EXPECT_TRUE(f.ok());
  }
  for (const char* bad : {"zero", "neg", "frac", "whole_double", "str", "huge", "bool"}) {
    FieldReader f(o);
    EXPECT_EQ(f.positiveInt(bad), std::nullopt) << bad;
    EXPECT_EQ(f.error(), std::string(bad) + ": must be a positive integer");
  }
}

TEST(DialectUtilTest, NumberRangeIsInclusive) {
  json::object o = obj(R"({"lo": 0, "hi": 2.0, "mid": 1.25, "over": 2.000001, "under": -0.0001,
                           "str": "1"})");
  FieldReader f(o);
  EXPECT_EQ(f.number("lo", 0, 2), 0.0);
  EXPECT_EQ(f.number("hi", 0, 2), 2.0);
  EXPECT_EQ(f.number("mid", 0, 2), 1.25);
  EXPECT_TRUE(f.ok());
  for (const char* bad : {"over", "under", "str"}) {
    FieldReader g(o);
    EXPECT_EQ(g.number(bad, 0, 2), std::nullopt) << bad;
    EXPECT_EQ(g.error(), std::string(bad) + ": must be a number between 0 and 2");
  }
}

TEST(DialectUtilTest, StringLists) {
  json::object o = obj(R"({"one": "a", "many": ["a", "b"], "empty": [], "mixed": ["a", {}]})");
  FieldReader f(o);
  EXPECT_EQ(f.stringList("one", /*allow_single=*/true), std::vector<std::string>{"a"});
  EXPECT_EQ(f.stringList("many"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(f.stringList("empty").empty());
  EXPECT_TRUE(f.stringList("absent").empty());
  EXPECT_TRUE(f.ok());
  EXPECT_TRUE(f.stringList("one").empty());
  EXPECT_EQ(f.error(), "one: must be a list of strings");
  FieldReader g(o);
  EXPECT_TRUE(g.stringList("mixed", true).empty());
  EXPECT_EQ(g.error(), "mixed[1]: must be a string, not an object");
}

TEST(DialectUtilTest, TypedTextContent) {
  auto text = [](std::string_view j) {
    return typedTextContent(parseJson(j), "messages[2].content", "content block");
  };
  EXPECT_EQ(*text(R"("plain")"), "plain");
  EXPECT_EQ(*text(R"([])"), "");
  EXPECT_EQ(*text(R"([{"type":"text","text":"a"},{"type":"text","text":"b","extra":1}])"), "a\nb");
  EXPECT_EQ(text(R"(5)").error(),
            "messages[2].content: must be a string or a list of content blocks");
  EXPECT_EQ(text(R"([{"type":"image"}])").error(),
            "messages[2].content[0]: content block type 'image' is not supported; only 'text' is");
  EXPECT_EQ(text(R"([{"type":"text"}])").error(),
            "messages[2].content[0].text: is required and must be a string");
  EXPECT_EQ(text(R"([{"type":7}])").error(),
            "messages[2].content[0].type: is required and must be a string");
  EXPECT_EQ(text(R"(["a"])").error(), "messages[2].content[0]: must be an object");
}

TEST(DialectUtilTest, ConverseTextContent) {
  auto text = [](std::string_view j) { return converseTextContent(parseJson(j), "system"); };
  EXPECT_EQ(*text(R"([{"text":"a"},{"text":"b"}])"), "a\nb");
  EXPECT_EQ(text(R"([{"document":{}}])").error(),
            "system[0]: content block 'document' is not supported; only text blocks "
            "({\"text\": …}) are");
  EXPECT_EQ(text(R"([{}])").error(),
            "system[0]: content block 'empty' is not supported; only text blocks ({\"text\": …}) "
            "are");
}

TEST(DialectUtilTest, SseFramingKeepsDataOnOneLine) {
  json::object o;
  o["text"] = "line1\nline2\r\n\"q\"";
  std::string e = sseEvent("content_block_delta", o);
  EXPECT_EQ(e, "event: content_block_delta\ndata: {\"text\":\"line1\\nline2\\r\\n\\\"q\\\"\"}\n\n");
  EXPECT_EQ(sseData(o), "data: {\"text\":\"line1\\nline2\\r\\n\\\"q\\\"\"}\n\n");
  std::vector<testing::SseEvent> ev = testing::parseSse(e + sseData(o));
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(parseJson(ev[0].data).at("text"), "line1\nline2\r\n\"q\"");
  EXPECT_EQ(ev[1].event, "");
}

TEST(DialectUtilTest, CostgateInfo) {
  chat::CallInfo info;
  info.call_id = "c";
  info.profile = "p";
  info.cost_usd = "1.000000001";
  info.usage = pricing::Usage{1, 2, 0, 0};
  EXPECT_EQ(json::value(costgateInfo(info)),
            parseJson(R"({"call_id":"c","profile":"p","cost_usd":"1.000000001",
                          "input_tokens":1,"output_tokens":2})"));
  info.request_id = "r";
  info.usage = pricing::Usage{1, 2, 3, 4};
  EXPECT_EQ(json::value(costgateInfo(info)),
            parseJson(R"({"call_id":"c","profile":"p","cost_usd":"1.000000001",
                          "input_tokens":1,"output_tokens":2,"cache_read_input_tokens":3,
                          "cache_write_input_tokens":4,"request_id":"r"})"));
}

TEST(DialectUtilTest, AnswerIdAndModel) {
  StreamContext ctx;
  chat::ChatResponse r;
  chat::CallInfo info;
  r.id = "msg_1";
  info.call_id = "CALL";
  EXPECT_EQ(answerId(ctx, r, info, "msg_"), "msg_1");
  EXPECT_EQ(answerId(ctx, r, info, "chatcmpl-"), "chatcmpl-CALL");
  info.call_id.clear();
  EXPECT_EQ(answerId(ctx, r, info, "chatcmpl-"), "chatcmpl-msg_1");
  ctx.id = "chatcmpl-ctx";
  EXPECT_EQ(answerId(ctx, r, info, "chatcmpl-"), "chatcmpl-ctx");
  r.model = "upstream-model";
  EXPECT_EQ(answerModel(ctx, r), "upstream-model");
  ctx.model = "shown";
  EXPECT_EQ(answerModel(ctx, r), "shown");
}

}  // namespace
}  // namespace costgate::api
