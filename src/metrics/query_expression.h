#pragma once
// Metric math expressions, after CloudWatch's GetMetricData (see query_request.h for the request
// around them and query_eval.h for what they compute).
//
// Grammar (whitespace between tokens is ignored; function names are case-insensitive, REPEAT is
// upper case;
// an identifier directly followed by "(" is a function call, otherwise it names a query Id):
//
//   expr     := term (("+" | "-") term)*
//   term     := unary (("*" | "/") unary)*
//   unary    := "-" unary | primary
//   primary  := NUMBER | ID | "(" expr ")" | list | call
//   list     := "[" expr ("," expr)* "]"
//   call     := FILL "(" expr "," (expr | REPEAT) ")"
//             | SUM "(" expr ")"
//             | SEARCH "(" STRING "," STRING ["," NUMBER] ")"
//   NUMBER   := digits ["." digits] [("e" | "E") ["+" | "-"] digits]
//   ID       := [a-z][a-zA-Z0-9_]*            (CloudWatch's rule for query Ids)
//   STRING   := "'" (any character but "'" and "\", or "\'" or "\\")* "'"
//
// SEARCH's first STRING is a search over the store's series, its second the statistic ("Sum",
// "p99"…), its NUMBER the period in seconds (60 or a multiple; when omitted, the Period of the
// query that holds the expression):
//
//   search   := ["{" NAMESPACE ("," DIMENSION)* "}"] (NAME "=" VALUE)*
//   NAMESPACE:= BedrockInvocationTracing | costgate
//   VALUE    := '"' (any character but '"')* '"' | [A-Za-z0-9_.:/@-]+
//
// The terms are ANDed. "MetricName" = VALUE is required and names the metric; any other NAME is a
// dimension the series must carry with exactly that value. The DIMENSIONs of the schema are what
// the result is grouped by (at least one is required): one series per distinct combination of
// their values among the matching series, labelled with those values joined by " ". Unlike
// CloudWatch, a series may carry more dimensions than the schema names (every costgate series
// carries InferenceProfile and the profile's tags), e.g.
//   SEARCH('{BedrockInvocationTracing,TenantID} MetricName="InputTokensCost"', 'Sum', 300)
// is every profile's InputTokensCost summed per TenantID.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "metrics/series.h"

namespace costgate::metrics {

// A parsed SEARCH(…).
struct SearchSpec {
  std::string metric;
  std::vector<std::string> group_by;  // the schema's dimensions, in the order written
  std::vector<Dimension> filter;      // NAME = VALUE terms other than MetricName, sorted
  Statistic stat;
  std::optional<std::chrono::seconds> period;  // nullopt: the enclosing query's Period
};

struct Expr {
  enum class Kind {
    kNumber,
    kId,
    kNegate,
    kAdd,
    kSubtract,
    kMultiply,
    kDivide,
    kList,
    kFill,
    kSum,
    kSearch
  };
  Kind kind = Kind::kNumber;
  size_t column = 1;                        // 1-based position in the text, for messages
  double number = 0;                        // kNumber
  std::string id;                           // kId
  std::vector<std::unique_ptr<Expr>> args;  // operands, list items, function arguments
  bool repeat = false;                      // kFill: FILL(x, REPEAT); args then holds x only
  SearchSpec search;                        // kSearch
};
using ExprPtr = std::unique_ptr<Expr>;

// Longest expression accepted, and deepest nesting (parentheses, lists, calls, unary minus).
inline constexpr size_t kMaxExpressionLength = 2048;
inline constexpr int kMaxExpressionDepth = 64;

// The expression `text` denotes, or "at column N: what was expected" naming what was found.
Result<ExprPtr> parseExpression(std::string_view text);

// The query Ids `e` names, each once, in order of first appearance.
std::vector<std::string> referencedIds(const Expr& e);

// True for CloudWatch's Id rule: a lowercase letter, then letters, digits and underscores.
bool isValidQueryId(std::string_view id);

}  // namespace costgate::metrics
