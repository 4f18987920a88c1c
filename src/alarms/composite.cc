#include "alarms/composite.h"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

namespace costgate::alarms {

namespace {
constexpr size_t kMaxRuleLength = 10'240;
constexpr int kMaxDepth = 64;

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool isWordChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
}  // namespace

// Recursive descent over the text; builds AlarmRule's node array.
class RuleParser {
 public:
  RuleParser(std::string_view text, AlarmRule& out) : text_(text), out_(out) {}

  Status run() {
    if (text_.size() > kMaxRuleLength) {
      return makeError(
          fmt::format("rule has {} characters, more than {}", text_.size(), kMaxRuleLength));
    }
    skipSpace();
    if (pos_ == text_.size()) return makeError("rule is empty");
    Result<int> root = parseOr(0);
    if (!root) return makeError(root.error());
    skipSpace();
    if (pos_ != text_.size()) return fail("expected AND, OR or the end of the rule");
    out_.root_ = *root;
    return {};
  }

 private:
  Error fail(std::string_view what) const {
    if (pos_ >= text_.size()) {
      return makeError(fmt::format("rule: {} at position {} (the end)", what, pos_ + 1));
    }
    return makeError(
        fmt::format("rule: {} at position {} (found \"{}\")", what, pos_ + 1, peekToken()));
  }
  std::string peekToken() const {
    size_t end = pos_;
    if (isWordChar(text_[end])) {
      while (end < text_.size() && isWordChar(text_[end])) ++end;
    } else {
      ++end;
    }
    return std::string(text_.substr(pos_, end - pos_));
  }
  void skipSpace() {
    while (pos_ < text_.size() && isSpace(text_[pos_])) ++pos_;
  }
  // Consumes `word` when it is the next whole word.
  bool acceptWord(std::string_view word) {
    skipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    size_t after = pos_ + word.size();
    if (after < text_.size() && isWordChar(text_[after])) return false;
    pos_ = after;
    return true;
  }
  bool acceptChar(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  int add(AlarmRule::Node n) {
    out_.nodes_.push_back(n);
    return static_cast<int>(out_.nodes_.size()) - 1;
  }

  Result<int> parseOr(int depth) {
    Result<int> left = parseAnd(depth);
    if (!left) return left;
    int node = *left;
    while (acceptWord("OR")) {
      Result<int> right = parseAnd(depth);
      if (!right) return right;
      node = add({.kind = AlarmRule::Node::Kind::kOr, .left = node, .right = *right});
    }
    return node;
  }

  Result<int> parseAnd(int depth) {
    Result<int> left = parseNot(depth);
    if (!left) return left;
    int node = *left;
    while (acceptWord("AND")) {
      Result<int> right = parseNot(depth);
      if (!right) return right;
      node = add({.kind = AlarmRule::Node::Kind::kAnd, .left = node, .right = *right});
    }
    return node;
  }

  Result<int> parseNot(int depth) {
    if (depth >= kMaxDepth) return fail(fmt::format("nesting deeper than {}", kMaxDepth));
    skipSpace();
    if (acceptWord("NOT")) {
      Result<int> inner = parseNot(depth + 1);
      if (!inner) return inner;
      return add({.kind = AlarmRule::Node::Kind::kNot, .left = *inner});
    }
    if (acceptChar('(')) {
      Result<int> inner = parseOr(depth + 1);
      if (!inner) return inner;
      if (!acceptChar(')')) return fail("expected ')'");
      return inner;
    }
    if (acceptWord("TRUE")) return add({.kind = AlarmRule::Node::Kind::kConst, .value = true});
    if (acceptWord("FALSE")) return add({.kind = AlarmRule::Node::Kind::kConst, .value = false});
    for (AlarmState s : {AlarmState::kAlarm, AlarmState::kOk, AlarmState::kInsufficientData}) {
      if (!acceptWord(stateName(s))) continue;
      if (!acceptChar('(')) return fail("expected '(' and an alarm name");
      Result<std::string> name = parseName();
      if (!name) return makeError(name.error());
      if (!acceptChar(')')) return fail("expected ')' after the alarm name");
      return add({.kind = AlarmRule::Node::Kind::kState, .state = s, .ref = refIndex(*name)});
    }
    return fail(
        "expected ALARM(\"name\"), OK(\"name\"), INSUFFICIENT_DATA(\"name\"), TRUE, FALSE, NOT or "
        "'('");
  }

  Result<std::string> parseName() {
    skipSpace();
    std::string name;
    const size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      ++pos_;
      while (true) {
        if (pos_ >= text_.size()) {
          pos_ = start;
          return fail("unterminated alarm name");
        }
        char c = text_[pos_++];
        if (c == '"') break;
        if (c == '\\' && pos_ < text_.size() && (text_[pos_] == '"' || text_[pos_] == '\\')) {
          c = text_[pos_++];
        }
        name.push_back(c);
      }
    } else {
      while (pos_ < text_.size() && text_[pos_] != ')' && !isSpace(text_[pos_]) &&
             text_[pos_] != '(' && text_[pos_] != '"') {
        name.push_back(text_[pos_++]);
      }
    }
    if (pos_ == start) return fail("expected an alarm name");
    if (Status st = validateAlarmName(name); !st) {
      pos_ = start;
      return fail(st.error());
    }
    return name;
  }

  size_t refIndex(const std::string& name) {
    auto& refs = out_.references_;
    for (size_t i = 0; i < refs.size(); ++i)
      if (refs[i] == name) return i;
    refs.push_back(name);
    return refs.size() - 1;
  }

  std::string_view text_;
  AlarmRule& out_;
  size_t pos_ = 0;
};

Result<AlarmRule> AlarmRule::parse(std::string_view text) {
  AlarmRule rule;
  RuleParser parser(text, rule);
  if (Status st = parser.run(); !st) return makeError(st.error());
  return rule;
}

bool AlarmRule::evaluate(std::span<const AlarmState> states) const {
  return root_ >= 0 && eval(root_, states);
}

bool AlarmRule::eval(int n, std::span<const AlarmState> states) const {
  const Node& node = nodes_[n];
  switch (node.kind) {
    case Node::Kind::kConst:
      return node.value;
    case Node::Kind::kState:
      return states[node.ref] == node.state;
    case Node::Kind::kNot:
      return !eval(node.left, states);
    case Node::Kind::kAnd:
      return eval(node.left, states) && eval(node.right, states);
    case Node::Kind::kOr:
      return eval(node.left, states) || eval(node.right, states);
  }
  return false;
}

Status checkCompositeReferences(std::span<const Alarm> alarms) {
  std::unordered_map<std::string_view, const Alarm*> by_name;
  for (const Alarm& a : alarms) by_name.emplace(alarmName(a), &a);

  // Edges of the dependency graph, composite -> the alarms its rule names.
  std::map<std::string_view, std::vector<std::string>> edges;
  for (const Alarm& a : alarms) {
    const auto* c = std::get_if<CompositeAlarm>(&a);
    if (c == nullptr) continue;
    Result<AlarmRule> rule = AlarmRule::parse(c->rule);
    if (!rule) return makeError(fmt::format("alarm \"{}\": {}", c->name, rule.error()));
    for (const std::string& ref : rule->references()) {
      if (!by_name.contains(ref)) {
        return makeError(fmt::format(
            "alarm \"{}\": its rule names alarm \"{}\", which does not exist", c->name, ref));
      }
    }
    edges[c->name] = rule->references();
  }

  // Depth-first search; a node met again while on the stack closes a cycle.
  enum class Mark { kNone, kOnStack, kDone };
  std::map<std::string_view, Mark> mark;
  std::vector<std::string_view> stack;
  std::string cycle;
  auto visit = [&](auto& self, std::string_view name) -> bool {
    mark[name] = Mark::kOnStack;
    stack.push_back(name);
    auto it = edges.find(name);
    if (it != edges.end()) {
      for (const std::string& next : it->second) {
        Mark m = mark[next];
        if (m == Mark::kOnStack) {
          size_t from = 0;
          while (stack[from] != next) ++from;
          for (size_t i = from; i < stack.size(); ++i) cycle += fmt::format("{} -> ", stack[i]);
          cycle += next;
          return false;
        }
        if (m == Mark::kNone && !self(self, next)) return false;
      }
    }
    stack.pop_back();
    mark[name] = Mark::kDone;
    return true;
  };
  for (const auto& [name, refs] : edges) {
    if (mark[name] == Mark::kNone && !visit(visit, name)) {
      return makeError(fmt::format("composite alarms form a cycle: {}", cycle));
    }
  }
  return {};
}

}  // namespace costgate::alarms
