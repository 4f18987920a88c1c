#include "metrics/query_expression.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace costgate::metrics {
namespace {

// The tree in prefix form, e.g. "(+ m1 (* m2 2))".
std::string show(const Expr& e) {
  using K = Expr::Kind;
  auto args = [&] {
    std::string s;
    for (const ExprPtr& a : e.args) s += " " + show(*a);
    return s;
  };
  switch (e.kind) {
    case K::kNumber:
      return fmt::format("{}", e.number);
    case K::kId:
      return e.id;
    case K::kNegate:
      return "(neg" + args() + ")";
    case K::kAdd:
      return "(+" + args() + ")";
    case K::kSubtract:
      return "(-" + args() + ")";
    case K::kMultiply:
      return "(*" + args() + ")";
    case K::kDivide:
      return "(/" + args() + ")";
    case K::kList:
      return "[" + args() + " ]";
    case K::kFill:
      return "(FILL" + args() + (e.repeat ? " REPEAT)" : ")");
    case K::kSum:
      return "(SUM" + args() + ")";
    case K::kSearch: {
      std::string s = "(SEARCH " + e.search.metric + " by";
      for (const std::string& g : e.search.group_by) s += " " + g;
      for (const Dimension& d : e.search.filter) s += " " + d.name + "=" + d.value;
      s += " " + e.search.stat.name();
      if (e.search.period) s += fmt::format(" {}", e.search.period->count());
      return s + ")";
    }
  }
  return "?";
}

std::string parsed(std::string_view text) {
  auto e = parseExpression(text);
  return e ? show(**e) : "error: " + e.error();
}

TEST(QueryExpressionTest, OperatorsBindWithPrecedenceAndLeftToRight) {
  EXPECT_EQ(parsed("m1 + m2 * 2"), "(+ m1 (* m2 2))");
  EXPECT_EQ(parsed("(m1 + m2) * 2"), "(* (+ m1 m2) 2)");
  EXPECT_EQ(parsed("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(parsed("a / b / c"), "(/ (/ a b) c)");
  EXPECT_EQ(parsed("a - b * c / d + e"), "(+ (- a (/ (* b c) d)) e)");
  EXPECT_EQ(parsed("-m1 * -2"), "(* (neg m1) (neg 2))");
  EXPECT_EQ(parsed("--m1"), "(neg (neg m1))");
  EXPECT_EQ(parsed("m1--m2"), "(- m1 (neg m2))");
  EXPECT_EQ(parsed("  1.5e3+.25 "), "(+ 1500 0.25)");
  EXPECT_EQ(parsed("in_Tokens2"), "in_Tokens2");
}

TEST(QueryExpressionTest, FunctionsAndLists) {
  EXPECT_EQ(parsed("FILL(m1, 0)"), "(FILL m1 0)");
  EXPECT_EQ(parsed("fill(m1, -1.5)"), "(FILL m1 (neg 1.5))");
  EXPECT_EQ(parsed("FILL(m1 + m2, REPEAT)"), "(FILL (+ m1 m2) REPEAT)");
  EXPECT_EQ(parsed("FILL(m1, repeat)"), "(FILL m1 repeat)");  // lowercase: a query Id
  EXPECT_EQ(parsed("SUM([m1, m2, FILL(m3, 0)])"), "(SUM [ m1 m2 (FILL m3 0) ])");
  EXPECT_EQ(parsed("SEARCH('{BedrockInvocationTracing,TenantID} MetricName=\"InputTokensCost\"', "
                   "'Sum', 300)"),
            "(SEARCH InputTokensCost by TenantID Sum 300)");
  EXPECT_EQ(parsed("SEARCH('{costgate, InferenceProfile, TenantID} TenantID=acme "
                   "MetricName=InputTokens ApplicationID=\"web search\"', 'p99')"),
            "(SEARCH InputTokens by InferenceProfile TenantID ApplicationID=web search "
            "TenantID=acme p99)");
  EXPECT_EQ(parsed("SUM(SEARCH('{costgate,TenantID} MetricName=\"a\\'b\"', 'Sum', 60)) / 2"),
            "(/ (SUM (SEARCH a'b by TenantID Sum 60)) 2)");
}

TEST(QueryExpressionTest, ErrorsNameTheColumnAndWhatWasFound) {
  EXPECT_EQ(parsed(""),
            "error: at column 1: expected a number, an Id, a function or \"(\", "
            "found the end of the expression");
  EXPECT_EQ(parsed("m1 +"),
            "error: at column 5: expected a number, an Id, a function or \"(\", "
            "found the end of the expression");
  EXPECT_EQ(parsed("m1 m2"),
            "error: at column 4: expected an operator or the end of the expression, found "
            "\"m2\"");
  EXPECT_EQ(parsed("(m1 + m2"),
            "error: at column 9: expected \")\", found the end of the "
            "expression");
  EXPECT_EQ(parsed("M1 + 1"),
            "error: at column 1: \"M1\" is not a query Id (Ids start with a lowercase letter)");
  EXPECT_EQ(parsed("AVG(m1)"),
            "error: at column 1: unknown function \"AVG\" (expected FILL, SUM or SEARCH)");
  EXPECT_EQ(parsed("FILL(m1)"),
            "error: at column 8: FILL takes two arguments; expected \",\", found \")\"");
  EXPECT_EQ(parsed("SUM(m1, m2)"),
            "error: at column 7: SUM takes one argument; expected \")\", found \",\"");
  EXPECT_EQ(parsed("m1 % 2"),
            "error: at column 4: expected an operator or the end of the "
            "expression, found \"%\"");
  EXPECT_EQ(parsed("2x"), "error: at column 1: expected a number, found \"2x\"");
  EXPECT_EQ(parsed("[m1, m2"),
            "error: at column 8: expected \",\" or \"]\", found the end of "
            "the expression");
}

TEST(QueryExpressionTest, SearchErrors) {
  EXPECT_EQ(parsed("SEARCH('{AWS/EC2,TenantID} MetricName=\"x\"', 'Sum', 60)"),
            "error: at column 8: in the search string at character 2: namespace \"AWS/EC2\" is "
            "not known (expected BedrockInvocationTracing or costgate)");
  EXPECT_EQ(parsed("SEARCH('{costgate,TenantID}', 'Sum', 60)"),
            "error: at column 8: in the search string at character 20: MetricName=\"…\" is "
            "required");
  EXPECT_EQ(parsed("SEARCH('MetricName=\"x\"', 'Sum', 60)"),
            "error: at column 8: the search string needs a schema naming the dimensions to group "
            "by, e.g. {BedrockInvocationTracing,InferenceProfile}");
  EXPECT_EQ(parsed("SEARCH('{costgate,TenantID} MetricName=x', 'Median', 60)"),
            "error: at column 44: unknown statistic \"Median\" (expected Sum, SampleCount, "
            "Average, Minimum, Maximum or a percentile such as p50, p90, p99.9)");
  EXPECT_EQ(parsed("SEARCH('{costgate,TenantID} MetricName=x', 'Sum', 90)"),
            "error: at column 51: the period must be 60 or a multiple of 60 seconds");
  EXPECT_EQ(parsed("SEARCH('{costgate,TenantID} MetricName=x, 'Sum', 60)"),
            "error: at column 8: in the search string at character 33: expected NAME=\"VALUE\"");
  EXPECT_EQ(parsed("SEARCH('{costgate,TenantID} MetricName=x"),
            "error: at column 41: unterminated string; expected \"'\", found the end of the "
            "expression");
}

TEST(QueryExpressionTest, LimitsLengthAndDepth) {
  std::string deep = std::string(100, '(') + "m1" + std::string(100, ')');
  EXPECT_NE(parsed(deep).find("nested deeper than 64 levels"), std::string::npos) << parsed(deep);
  std::string minus(100, '-');
  EXPECT_NE(parsed(minus + "m1").find("nested deeper than 64 levels"), std::string::npos);
  std::string shallow = std::string(30, '(') + "m1" + std::string(30, ')');
  EXPECT_EQ(parsed(shallow), "m1");
  std::string long_text(kMaxExpressionLength + 1, ' ');
  EXPECT_EQ(parsed(long_text), "error: longer than 2048 characters");
}

TEST(QueryExpressionTest, ReferencedIdsOnceInOrder) {
  auto e = parseExpression("FILL(b, 0) + a * b - SUM([c, a])");
  ASSERT_TRUE(e) << e.error();
  EXPECT_EQ(referencedIds(**e), (std::vector<std::string>{"b", "a", "c"}));
}

TEST(QueryExpressionTest, QueryIdRule) {
  for (const char* ok : {"m1", "a", "errorRate", "in_tokens_2"}) EXPECT_TRUE(isValidQueryId(ok));
  for (const char* bad : {"", "M1", "1m", "_m", "m-1", "m 1", "m.1"})
    EXPECT_FALSE(isValidQueryId(bad)) << bad;
  EXPECT_TRUE(isValidQueryId(std::string(255, 'a')));
  EXPECT_FALSE(isValidQueryId(std::string(256, 'a')));
}

}  // namespace
}  // namespace costgate::metrics
