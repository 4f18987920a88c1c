#include "admin/dashboard_definition.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace costgate::admin {
namespace {

namespace json = boost::json;

std::string problem(const json::value& v) {
  Status st = validateDashboard(v);
  return st ? "ok" : st.error();
}

json::object oneWidget(json::object widget) {
  return json::object{{"widgets", json::array{std::move(widget)}}};
}

json::object validWidget() {
  return json::parse(R"({"key": "w", "title": "W", "scope": "profile", "view": "line",
    "queries": [{"Id": "a", "MetricStat": {"Metric": {"MetricName": "InputTokens",
      "Dimensions": [{"Name": "InferenceProfile", "Value": "${profile}"}]},
      "Period": 300, "Stat": "Sum"}}]})")
      .as_object();
}

TEST(DashboardDefinition, TheDefaultHoldsTheSeedsElevenWidgets) {
  json::object d = defaultDashboard("BedrockInvocationDashboard");
  EXPECT_EQ(problem(d), "ok");
  EXPECT_EQ(d.at("title"), "BedrockInvocationDashboard");
  std::vector<std::string> per_profile, across;
  for (const json::value& w : d.at("widgets").as_array()) {
    const json::object& o = w.as_object();
    (o.at("scope") == "profile" ? per_profile : across).emplace_back(o.at("key").as_string());
    if (o.at("scope") == "all") {
      EXPECT_EQ(o.at("view"), "bar") << o.at("key");
      EXPECT_EQ(o.at("stacked"), true) << o.at("key");
    }
  }
  EXPECT_EQ(per_profile,
            (std::vector<std::string>{"token_counts", "token_costs", "tokens_per_minute",
                                      "requests_per_minute", "daily_tokens", "daily_costs",
                                      "daily_requests"}));
  EXPECT_EQ(across, (std::vector<std::string>{"cost_per_profile", "requests_per_minute_all",
                                              "tokens_per_minute_all", "requests_per_tenant"}));
  EXPECT_EQ(d.at("chargeback").at("group_by"), "tag:TenantID");
  // The placeholder stands for the profile in per-profile queries.
  const json::value& first = d.at("widgets").at(0).at("queries").at(0);
  EXPECT_EQ(first.at("MetricStat").at("Metric").at("Dimensions").at(0).at("Value"), "${profile}");
  EXPECT_EQ(d.at("widgets").at(0).at("view"), "line");
  EXPECT_EQ(d.at("widgets").at(4).at("view"), "bar") << "daily tokens: one stacked bar a day";
  EXPECT_EQ(d.at("widgets").at(4).at("stacked"), true);
  EXPECT_EQ(d.at("widgets").at(1).at("unit"), "usd");
  EXPECT_EQ(d.at("widgets").at(3).at("unit"), "requests");
}

TEST(DashboardDefinition, ProblemsNameTheirJsonPath) {
  EXPECT_EQ(problem(json::array{}), "definition: must be an object, got an array");
  EXPECT_EQ(problem(json::object{}), "widgets: is required");
  EXPECT_EQ(problem(json::object{{"widgets", json::array{}}, {"colour", "red"}}),
            "colour: unknown key");
  EXPECT_EQ(problem(oneWidget(validWidget())), "ok");

  json::object w = validWidget();
  w["scope"] = "tenant";
  EXPECT_EQ(problem(oneWidget(w)), "widgets[0].scope: \"tenant\" is not \"profile\" or \"all\"");
  w = validWidget();
  w["key"] = "Bad Key";
  EXPECT_EQ(problem(oneWidget(w)),
            "widgets[0].key: \"Bad Key\" must be 1 to 64 characters of a-z, 0-9 and _");
  w = validWidget();
  w.erase("title");
  EXPECT_EQ(problem(oneWidget(w)), "widgets[0].title: is required");
  w = validWidget();
  w["stacked"] = "yes";
  EXPECT_EQ(problem(oneWidget(w)), "widgets[0].stacked: must be a boolean, got a string");
  w = validWidget();
  w["queries"].as_array()[0].as_object()["MetricStat"].as_object()["Period"] = 90;
  EXPECT_EQ(problem(oneWidget(w)),
            "widgets[0].queries[0].MetricStat.Period: must be 60 or a multiple of 60");
  w = validWidget();
  w["queries"] = json::array{};
  EXPECT_EQ(problem(oneWidget(w)), "widgets[0].queries: must hold at least one query");
  json::object two{{"widgets", json::array{validWidget(), validWidget()}}};
  EXPECT_EQ(problem(two), "widgets[1].key: \"w\" is used by an earlier widget");
  json::object d = oneWidget(validWidget());
  d["chargeback"] = json::object{{"group_by", 3}};
  EXPECT_EQ(problem(d), "chargeback.group_by: must be a string, got a number");
}

TEST(DashboardDefinition, NamesAreSafeInAPath) {
  EXPECT_TRUE(validateDashboardName("BedrockInvocationDashboard").ok());
  EXPECT_TRUE(validateDashboardName("team-a.costs_2").ok());
  EXPECT_FALSE(validateDashboardName("").ok());
  EXPECT_FALSE(validateDashboardName("a/b").ok());
  EXPECT_EQ(validateDashboardName("a b").error(),
            "dashboard name \"a b\" must be 1 to 255 characters of A-Z, a-z, 0-9, '_', '.' and "
            "'-'");
  EXPECT_FALSE(validateDashboardName(std::string(256, 'a')).ok());
}

}  // namespace
}  // namespace costgate::admin
