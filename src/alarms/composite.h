#pragma once
// Composite alarm rules, CloudWatch's AlarmRule language:
//
//   rule    := or
//   or      := and ( "OR" and )*
//   and     := not ( "AND" not )*
//   not     := "NOT" not | "(" rule ")" | "TRUE" | "FALSE" | state "(" name ")"
//   state   := "ALARM" | "OK" | "INSUFFICIENT_DATA"
//   name    := "\"" chars "\""  (\" and \\ escape)  |  bare chars up to ")" or a space
//
// Keywords are upper case. NOT binds tighter than AND, AND tighter than OR. ALARM("a") is TRUE
// when alarm a is in ALARM. At most 10,240 characters and 64 levels of nesting; errors say what
// was expected and give the 1-based character position.

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alarms/alarm.h"
#include "common/result.h"

namespace costgate::alarms {

class AlarmRule {
 public:
  static Result<AlarmRule> parse(std::string_view text);

  // The alarms the rule names, each once, in order of first appearance.
  const std::vector<std::string>& references() const { return references_; }

  // The rule's value when references()[i] is in states[i]. states.size() == references().size().
  bool evaluate(std::span<const AlarmState> states) const;

 private:
  struct Node {
    enum class Kind { kConst, kState, kNot, kAnd, kOr } kind;
    bool value = false;         // kConst
    AlarmState state{};         // kState: the state tested for
    size_t ref = 0;             // kState: index into references_
    int left = -1, right = -1;  // children (kNot uses left)
  };
  friend class RuleParser;
  bool eval(int node, std::span<const AlarmState> states) const;

  std::vector<Node> nodes_;
  int root_ = -1;
  std::vector<std::string> references_;
};

// Checks that every composite alarm among `alarms` names only alarms in `alarms` and that no
// composite depends on itself through others. The error names a missing alarm, or the cycle
// ("a -> b -> a").
Status checkCompositeReferences(std::span<const Alarm> alarms);

}  // namespace costgate::alarms
