#include "admin/dashboard_definition.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <set>

#include "common/strings.h"
#include "metrics/query_request.h"
#include "metrics/query_seed.h"

namespace costgate::admin {

namespace json = boost::json;

namespace {

constexpr size_t kMaxWidgets = 50;
constexpr size_t kMaxQueriesPerWidget = 20;

// How the seed's widgets are drawn: per-profile series as lines (daily ones as stacked bars, one
// per day), cross-profile series as stacked bars, as the seed's CloudWatch dashboard shows them.
struct Look {
  std::string_view view;
  bool stacked;
  std::string_view unit;
};

Look lookOf(std::string_view key, bool per_profile) {
  std::string_view unit = key.find("cost") != std::string_view::npos      ? "usd"
                          : key.find("request") != std::string_view::npos ? "requests"
                                                                          : "tokens";
  if (!per_profile) return {"bar", true, unit};
  if (key.rfind("daily_", 0) == 0) return {"bar", true, unit};
  return {"line", false, unit};
}

Error at(std::string_view path, std::string_view what) {
  return makeError(fmt::format("{}: {}", path, what));
}

const char* typeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "an object";
    case json::kind::array:
      return "an array";
    case json::kind::string:
      return "a string";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::null:
      return "null";
    default:
      return "a number";
  }
}

Error wrongType(std::string_view path, const json::value& v, std::string_view want) {
  return at(path, fmt::format("must be {}, got {}", want, typeName(v)));
}

Status onlyKeys(const json::object& o, std::string_view path,
                std::initializer_list<std::string_view> keys) {
  for (const auto& kv : o) {
    bool known = false;
    for (std::string_view k : keys) known = known || kv.key() == k;
    if (!known) {
      return at(path.empty() ? std::string(kv.key()) : fmt::format("{}.{}", path, kv.key()),
                "unknown key");
    }
  }
  return {};
}

// A required string member; "" allowed unless `non_empty`.
Result<std::string> stringMember(const json::object& o, std::string_view path, std::string_view key,
                                 bool required, bool non_empty) {
  const std::string p = fmt::format("{}.{}", path, key);
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    if (required) return at(p, "is required");
    return std::string();
  }
  if (!v->is_string()) return wrongType(p, *v, "a string");
  if (non_empty && v->get_string().empty()) return at(p, "must not be empty");
  return std::string(v->get_string());
}

bool isWidgetKey(std::string_view k) {
  if (k.empty() || k.size() > 64) return false;
  for (char c : k) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// The widget's queries, checked as one GetMetricData request over a fixed day; errors are moved
// under the widget's path.
Status validateQueries(const json::value& queries, const std::string& path) {
  if (!queries.is_array()) return wrongType(path, queries, "an array");
  const json::array& a = queries.get_array();
  if (a.empty()) return at(path, "must hold at least one query");
  if (a.size() > kMaxQueriesPerWidget) {
    return at(path, fmt::format("holds {} queries; at most {}", a.size(), kMaxQueriesPerWidget));
  }
  json::object request{{"MetricDataQueries", a},
                       {"StartTime", "2026-01-01T00:00:00Z"},
                       {"EndTime", "2026-01-02T00:00:00Z"}};
  Result<metrics::QueryRequest> parsed = metrics::parseQueryRequest(request);
  if (parsed) return {};
  constexpr std::string_view kPrefix = "MetricDataQueries";
  std::string_view e = parsed.error();
  if (e.rfind(kPrefix, 0) == 0) return makeError(path + std::string(e.substr(kPrefix.size())));
  return at(path, e);
}

}  // namespace

json::object defaultDashboard(std::string_view title) {
  json::array widgets;
  for (metrics::seed::Widget& w : metrics::seed::dashboardWidgets(kProfilePlaceholder)) {
    const Look look = lookOf(w.key, w.per_profile);
    widgets.push_back(json::object{{"key", w.key},
                                   {"title", w.title},
                                   {"scope", w.per_profile ? "profile" : "all"},
                                   {"view", look.view},
                                   {"stacked", look.stacked},
                                   {"unit", look.unit},
                                   {"queries", std::move(w.queries)}});
  }
  return json::object{{"title", title},
                      {"widgets", std::move(widgets)},
                      {"chargeback", json::object{{"group_by", "tag:TenantID"}}}};
}

Status validateDashboard(const json::value& definition) {
  if (!definition.is_object()) return wrongType("definition", definition, "an object");
  const json::object& d = definition.get_object();
  if (Status st = onlyKeys(d, "", {"title", "widgets", "chargeback"}); !st) return st;
  if (const json::value* t = d.if_contains("title"); t && !t->is_string()) {
    return wrongType("title", *t, "a string");
  }
  const json::value* widgets = d.if_contains("widgets");
  if (widgets == nullptr) return at("widgets", "is required");
  if (!widgets->is_array()) return wrongType("widgets", *widgets, "an array");
  const json::array& ws = widgets->get_array();
  if (ws.size() > kMaxWidgets) {
    return at("widgets", fmt::format("holds {} widgets; at most {}", ws.size(), kMaxWidgets));
  }
  std::set<std::string, std::less<>> keys;
  for (size_t i = 0; i < ws.size(); ++i) {
    const std::string path = fmt::format("widgets[{}]", i);
    if (!ws[i].is_object()) return wrongType(path, ws[i], "an object");
    const json::object& w = ws[i].get_object();
    if (Status st =
            onlyKeys(w, path, {"key", "title", "scope", "view", "stacked", "unit", "queries"});
        !st) {
      return st;
    }
    auto key = stringMember(w, path, "key", true, true);
    if (!key) return makeError(key.error());
    if (!isWidgetKey(*key)) {
      return at(path + ".key",
                fmt::format("{} must be 1 to 64 characters of a-z, 0-9 and _", jsonQuote(*key)));
    }
    if (!keys.insert(*key).second) {
      return at(path + ".key", fmt::format("{} is used by an earlier widget", jsonQuote(*key)));
    }
    auto title = stringMember(w, path, "title", true, false);
    if (!title) return makeError(title.error());
    auto scope = stringMember(w, path, "scope", true, true);
    if (!scope) return makeError(scope.error());
    if (*scope != "profile" && *scope != "all") {
      return at(path + ".scope",
                fmt::format("{} is not \"profile\" or \"all\"", jsonQuote(*scope)));
    }
    auto view = stringMember(w, path, "view", true, true);
    if (!view) return makeError(view.error());
    if (*view != "line" && *view != "bar") {
      return at(path + ".view", fmt::format("{} is not \"line\" or \"bar\"", jsonQuote(*view)));
    }
    if (const json::value* s = w.if_contains("stacked"); s && !s->is_bool()) {
      return wrongType(path + ".stacked", *s, "a boolean");
    }
    auto unit = stringMember(w, path, "unit", false, false);
    if (!unit) return makeError(unit.error());
    if (*unit != "" && *unit != "tokens" && *unit != "usd" && *unit != "requests") {
      return at(path + ".unit", fmt::format("{} is not \"tokens\", \"usd\", \"requests\" or \"\"",
                                            jsonQuote(*unit)));
    }
    const json::value* queries = w.if_contains("queries");
    if (queries == nullptr) return at(path + ".queries", "is required");
    if (Status st = validateQueries(*queries, path + ".queries"); !st) return st;
  }
  if (const json::value* c = d.if_contains("chargeback")) {
    if (!c->is_object()) return wrongType("chargeback", *c, "an object");
    if (Status st = onlyKeys(c->get_object(), "chargeback", {"group_by"}); !st) return st;
    auto g = stringMember(c->get_object(), "chargeback", "group_by", false, true);
    if (!g) return makeError(g.error());
  }
  return {};
}

Status validateDashboardName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 255;
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '.' || c == '-');
  }
  if (ok) return {};
  return makeError(fmt::format(
      "dashboard name {} must be 1 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'",
      jsonQuote(name)));
}

}  // namespace costgate::admin
