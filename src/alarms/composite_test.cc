#include "alarms/composite.h"

#include <gtest/gtest.h>

namespace costgate::alarms {
namespace {

constexpr AlarmState kOk = AlarmState::kOk;
constexpr AlarmState kAlarm = AlarmState::kAlarm;
constexpr AlarmState kInsufficient = AlarmState::kInsufficientData;

bool eval(std::string_view rule, std::vector<AlarmState> states) {
  Result<AlarmRule> r = AlarmRule::parse(rule);
  EXPECT_TRUE(r.ok()) << rule << ": " << (r.ok() ? "" : r.error());
  if (!r.ok()) return false;
  EXPECT_EQ(r->references().size(), states.size()) << rule;
  return r->evaluate(states);
}

std::string parseError(std::string_view rule) {
  Result<AlarmRule> r = AlarmRule::parse(rule);
  return r.ok() ? "<parsed>" : r.error();
}

TEST(AlarmRuleTest, StatesConstantsAndOperators) {
  EXPECT_TRUE(eval(R"(ALARM("a") AND NOT OK("b"))", {kAlarm, kInsufficient}));
  EXPECT_FALSE(eval(R"(ALARM("a") AND NOT OK("b"))", {kAlarm, kOk}));
  EXPECT_TRUE(eval(R"(OK("a") OR INSUFFICIENT_DATA("b"))", {kAlarm, kInsufficient}));
  EXPECT_TRUE(eval("TRUE", {}));
  EXPECT_FALSE(eval("FALSE OR NOT TRUE", {}));
  // AND binds tighter than OR; NOT tighter than AND; parentheses override.
  EXPECT_TRUE(eval("TRUE OR FALSE AND FALSE", {}));
  EXPECT_FALSE(eval("(TRUE OR FALSE) AND FALSE", {}));
  EXPECT_TRUE(eval("NOT FALSE AND TRUE", {}));
  EXPECT_FALSE(eval("NOT (FALSE OR TRUE)", {}));
  // The same alarm twice is one reference.
  EXPECT_TRUE(eval(R"(ALARM("a") OR (OK(a) AND TRUE))", {kOk}));
}

TEST(AlarmRuleTest, NamesAreQuotedWithEscapesOrBare) {
  Result<AlarmRule> r = AlarmRule::parse(
      R"(ALARM("BedrockTokenCostAlarm-customer1_websearch") OR ALARM("odd \"name\" \\ x"))"
      R"( OR OK(bare-name.1))");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->references(), (std::vector<std::string>{"BedrockTokenCostAlarm-customer1_websearch",
                                                       R"(odd "name" \ x)", "bare-name.1"}));
}

TEST(AlarmRuleTest, ErrorsNameThePosition) {
  EXPECT_EQ(parseError(""), "rule is empty");
  EXPECT_EQ(parseError(R"(ALARM("a") AND)"),
            "rule: expected ALARM(\"name\"), OK(\"name\"), INSUFFICIENT_DATA(\"name\"), TRUE, "
            "FALSE, NOT or '(' at position 15 (the end)");
  EXPECT_EQ(parseError(R"(ALARM("a") XOR OK("b"))"),
            "rule: expected AND, OR or the end of the rule at position 12 (found \"XOR\")");
  EXPECT_EQ(parseError(R"((ALARM("a") OR TRUE)"), "rule: expected ')' at position 20 (the end)");
  EXPECT_EQ(parseError(R"(ALARM("a)"),
            "rule: unterminated alarm name at position 7 (found \"\"\")");
  EXPECT_EQ(parseError("OK( )"), "rule: expected an alarm name at position 5 (found \")\")");
  EXPECT_EQ(parseError("ALARM a"),
            "rule: expected '(' and an alarm name at position 7 (found \"a\")");
  EXPECT_EQ(parseError(R"(ALARM(""))"),
            "rule: alarm name must have 1 to 255 characters (has 0) at position 7 (found \"\"\")");
  EXPECT_EQ(parseError("alarm(\"a\")"),
            "rule: expected ALARM(\"name\"), OK(\"name\"), INSUFFICIENT_DATA(\"name\"), TRUE, "
            "FALSE, NOT or '(' at position 1 (found \"alarm\")");
  EXPECT_EQ(parseError(std::string(70, '(') + "TRUE" + std::string(70, ')')),
            "rule: nesting deeper than 64 at position 65 (found \"(\")");
}

}  // namespace
}  // namespace costgate::alarms
