#include "metrics/query_expression.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "common/strings.h"

namespace costgate::metrics {

namespace {

bool isLower(char c) { return c >= 'a' && c <= 'z'; }
bool isAlpha(char c) { return isLower(c) || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isWordChar(char c) { return isAlpha(c) || isDigit(c) || c == '_'; }

// Recursive descent over the grammar in the header; each method leaves pos_ after what it read.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<ExprPtr> parseAll() {
    auto e = expr();
    if (!e) return e;
    skipSpace();
    if (pos_ < text_.size()) return fail("expected an operator or the end of the expression");
    return e;
  }

 private:
  void skipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r'))
      ++pos_;
  }
  bool accept(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string found() const {
    if (pos_ >= text_.size()) return "the end of the expression";
    size_t end = pos_ + 1;
    if (isWordChar(text_[pos_]))
      while (end < text_.size() && isWordChar(text_[end])) ++end;
    return jsonQuote(text_.substr(pos_, end - pos_));
  }
  Error fail(std::string_view what) const {
    return makeError(fmt::format("at column {}: {}, found {}", pos_ + 1, what, found()));
  }
  Error failAt(size_t column, std::string_view what) const {
    return makeError(fmt::format("at column {}: {}", column, what));
  }
  ExprPtr node(Expr::Kind kind, size_t column) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->column = column;
    return e;
  }
  Result<ExprPtr> binary(Expr::Kind kind, size_t column, ExprPtr lhs, Result<ExprPtr> rhs) {
    if (!rhs) return rhs;
    auto e = node(kind, column);
    e->args.push_back(std::move(lhs));
    e->args.push_back(std::move(*rhs));
    return e;
  }

  Result<ExprPtr> expr() {
    if (++depth_ > kMaxExpressionDepth)
      return failAt(pos_ + 1, fmt::format("nested deeper than {} levels", kMaxExpressionDepth));
    auto lhs = term();
    while (lhs) {
      skipSpace();
      size_t column = pos_ + 1;
      if (accept('+')) {
        lhs = binary(Expr::Kind::kAdd, column, std::move(*lhs), term());
      } else if (accept('-')) {
        lhs = binary(Expr::Kind::kSubtract, column, std::move(*lhs), term());
      } else {
        break;
      }
    }
    --depth_;
    return lhs;
  }

  Result<ExprPtr> term() {
    auto lhs = unary();
    while (lhs) {
      skipSpace();
      size_t column = pos_ + 1;
      if (accept('*')) {
        lhs = binary(Expr::Kind::kMultiply, column, std::move(*lhs), unary());
      } else if (accept('/')) {
        lhs = binary(Expr::Kind::kDivide, column, std::move(*lhs), unary());
      } else {
        break;
      }
    }
    return lhs;
  }

  Result<ExprPtr> unary() {
    skipSpace();
    size_t column = pos_ + 1;
    if (!accept('-')) return primary();
    if (++depth_ > kMaxExpressionDepth)
      return failAt(column, fmt::format("nested deeper than {} levels", kMaxExpressionDepth));
    auto operand = unary();
    --depth_;
    if (!operand) return operand;
    auto e = node(Expr::Kind::kNegate, column);
    e->args.push_back(std::move(*operand));
    return e;
  }

  Result<ExprPtr> primary() {
    skipSpace();
    size_t column = pos_ + 1;
    if (pos_ >= text_.size()) return fail("expected a number, an Id, a function or \"(\"");
    char c = text_[pos_];
    if (isDigit(c) || c == '.') return number();
    if (accept('(')) {
      auto inner = expr();
      if (!inner) return inner;
      if (!accept(')')) return fail("expected \")\"");
      return inner;
    }
    if (accept('[')) {
      auto list = node(Expr::Kind::kList, column);
      do {
        auto item = expr();
        if (!item) return item;
        list->args.push_back(std::move(*item));
      } while (accept(','));
      if (!accept(']')) return fail("expected \",\" or \"]\"");
      return list;
    }
    if (!isAlpha(c)) return fail("expected a number, an Id, a function or \"(\"");
    size_t start = pos_;
    while (pos_ < text_.size() && isWordChar(text_[pos_])) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == '(') {
      ++pos_;
      return call(word, column);
    }
    if (!isValidQueryId(word))
      return failAt(column, fmt::format("{} is not a query Id (Ids start with a lowercase letter)",
                                        jsonQuote(word)));
    auto e = node(Expr::Kind::kId, column);
    e->id = std::string(word);
    return e;
  }

  Result<ExprPtr> number() {
    size_t start = pos_;
    while (pos_ < text_.size() && isDigit(text_[pos_])) ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      while (pos_ < text_.size() && isDigit(text_[pos_])) ++pos_;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < text_.size() && (text_[p] == '+' || text_[p] == '-')) ++p;
      if (p < text_.size() && isDigit(text_[p])) {
        pos_ = p;
        while (pos_ < text_.size() && isDigit(text_[pos_])) ++pos_;
      }
    }
    std::string_view digits = text_.substr(start, pos_ - start);
    auto e = node(Expr::Kind::kNumber, start + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), e->number);
    if (ec != std::errc() || end != digits.data() + digits.size() ||
        (pos_ < text_.size() && isWordChar(text_[pos_]))) {
      pos_ = start;
      return fail("expected a number");
    }
    return e;
  }

  Result<ExprPtr> call(std::string_view name, size_t column) {
    std::string lower = toLowerAscii(name);
    if (lower == "fill") return fill(column);
    if (lower == "sum") {
      auto e = node(Expr::Kind::kSum, column);
      auto arg = expr();
      if (!arg) return arg;
      e->args.push_back(std::move(*arg));
      if (!accept(')')) return fail("SUM takes one argument; expected \")\"");
      return e;
    }
    if (lower == "search") return search(column);
    return failAt(
        column, fmt::format("unknown function {} (expected FILL, SUM or SEARCH)", jsonQuote(name)));
  }

  Result<ExprPtr> fill(size_t column) {
    auto e = node(Expr::Kind::kFill, column);
    auto series = expr();
    if (!series) return series;
    e->args.push_back(std::move(*series));
    if (!accept(',')) return fail("FILL takes two arguments; expected \",\"");
    skipSpace();
    size_t start = pos_;
    while (pos_ < text_.size() && isWordChar(text_[pos_])) ++pos_;
    std::string_view word = text_.substr(start, pos_ - start);
    skipSpace();
    if (word == "REPEAT" && (pos_ >= text_.size() || text_[pos_] != '(')) {
      e->repeat = true;
    } else {
      pos_ = start;
      auto value = expr();
      if (!value) return value;
      e->args.push_back(std::move(*value));
    }
    if (!accept(')')) return fail("FILL takes two arguments; expected \")\"");
    return e;
  }

  Result<std::string> quoted() {
    skipSpace();
    if (pos_ >= text_.size() || text_[pos_] != '\'') return fail("expected a '…' string");
    std::string out;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      char c = text_[pos_];
      if (c == '\'') {
        ++pos_;
        return out;
      }
      if (c == '\\' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == '\'' || text_[pos_ + 1] == '\\'))
        c = text_[++pos_];
      out += c;
    }
    return fail("unterminated string; expected \"'\"");
  }

  Result<ExprPtr> search(size_t column);

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
};

// The search string of SEARCH (header: `search`), parsed into `spec`.
Status parseSearchString(std::string_view s, SearchSpec& spec) {
  size_t pos = 0;
  auto space = [&] {
    while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  };
  auto word = [&](bool value_chars) {
    size_t start = pos;
    while (pos < s.size() &&
           (isWordChar(s[pos]) ||
            (value_chars && std::string_view(".:/@-").find(s[pos]) != std::string_view::npos)))
      ++pos;
    return std::string(s.substr(start, pos - start));
  };
  auto err = [&](std::string_view what) {
    return makeError(fmt::format("in the search string at character {}: {}", pos + 1, what));
  };
  space();
  if (pos < s.size() && s[pos] == '{') {
    ++pos;
    space();
    const size_t ns_start = pos;
    std::string ns = word(true);
    if (ns != "BedrockInvocationTracing" && ns != "costgate") {
      pos = ns_start;
      return err(
          fmt::format("namespace {} is not known (expected BedrockInvocationTracing or costgate)",
                      jsonQuote(ns)));
    }
    for (space(); pos < s.size() && s[pos] == ','; space()) {
      ++pos;
      space();
      std::string dim = word(false);
      if (dim.empty()) return err("expected a dimension name");
      if (std::find(spec.group_by.begin(), spec.group_by.end(), dim) != spec.group_by.end())
        return err(fmt::format("dimension {} appears twice", jsonQuote(dim)));
      spec.group_by.push_back(std::move(dim));
    }
    if (pos >= s.size() || s[pos] != '}') return err("expected \",\" or \"}\"");
    ++pos;
  }
  bool have_metric = false;
  for (space(); pos < s.size(); space()) {
    std::string name = word(false);
    if (name.empty()) return err("expected NAME=\"VALUE\"");
    space();
    if (pos >= s.size() || s[pos] != '=') return err("expected \"=\"");
    ++pos;
    space();
    std::string value;
    if (pos < s.size() && s[pos] == '"') {
      size_t close = s.find('"', pos + 1);
      if (close == std::string_view::npos) return err("unterminated \"…\"");
      value = std::string(s.substr(pos + 1, close - pos - 1));
      pos = close + 1;
    } else {
      value = word(true);
    }
    if (value.empty()) return err(fmt::format("{} needs a value", jsonQuote(name)));
    if (name == "MetricName") {
      if (have_metric) return err("MetricName appears twice");
      have_metric = true;
      spec.metric = std::move(value);
      continue;
    }
    for (const Dimension& d : spec.filter)
      if (d.name == name) return err(fmt::format("{} appears twice", jsonQuote(name)));
    spec.filter.push_back({std::move(name), std::move(value)});
  }
  if (!have_metric) return err("MetricName=\"…\" is required");
  if (spec.group_by.empty())
    return makeError(
        "the search string needs a schema naming the dimensions to group by, e.g. "
        "{BedrockInvocationTracing,InferenceProfile}");
  std::sort(spec.filter.begin(), spec.filter.end());
  return {};
}

Result<ExprPtr> Parser::search(size_t column) {
  auto e = node(Expr::Kind::kSearch, column);
  skipSpace();
  size_t text_column = pos_ + 1;
  auto text = quoted();
  if (!text) return makeError(text.error());
  if (auto ok = parseSearchString(*text, e->search); !ok) return failAt(text_column, ok.error());
  if (!accept(','))
    return fail(
        "SEARCH takes a search string, a statistic and a period; "
        "expected \",\"");
  skipSpace();
  size_t stat_column = pos_ + 1;
  auto stat_text = quoted();
  if (!stat_text) return makeError(stat_text.error());
  auto stat = Statistic::parse(*stat_text);
  if (!stat) return failAt(stat_column, stat.error());
  e->search.stat = *stat;
  if (accept(',')) {
    skipSpace();
    size_t period_column = pos_ + 1;
    auto period = number();
    if (!period) return period;
    double p = (*period)->number;
    if (!(p >= 60 && p <= 1e9 && p == static_cast<double>(static_cast<int64_t>(p)) &&
          static_cast<int64_t>(p) % 60 == 0))
      return failAt(period_column, "the period must be 60 or a multiple of 60 seconds");
    e->search.period = std::chrono::seconds(static_cast<int64_t>(p));
  }
  if (!accept(')')) return fail("expected \")\" after SEARCH's arguments");
  return e;
}

void collectIds(const Expr& e, std::vector<std::string>& out) {
  if (e.kind == Expr::Kind::kId && std::find(out.begin(), out.end(), e.id) == out.end())
    out.push_back(e.id);
  for (const ExprPtr& a : e.args) collectIds(*a, out);
}

}  // namespace

bool isValidQueryId(std::string_view id) {
  if (id.empty() || id.size() > 255 || !isLower(id[0])) return false;
  return std::all_of(id.begin(), id.end(), isWordChar);
}

Result<ExprPtr> parseExpression(std::string_view text) {
  if (text.size() > kMaxExpressionLength)
    return makeError(fmt::format("longer than {} characters", kMaxExpressionLength));
  return Parser(text).parseAll();
}

std::vector<std::string> referencedIds(const Expr& e) {
  std::vector<std::string> out;
  collectIds(e, out);
  return out;
}

}  // namespace costgate::metrics
