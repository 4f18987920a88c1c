#include "config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <filesystem>

#include "common/strings.h"
#include "config/alarm_thresholds.h"
#include "config/file_io.h"
#include "config/json_reader.h"
#include "profiles/tags.h"

namespace costgate::config {

namespace json = boost::json;

std::string Config::recordedIdOf(std::string_view name) const {
  for (const auto& [n, id] : profile_ids) {
    if (n == name) return id;
  }
  return "";
}

namespace {

class ConfigParser {
 public:
  ConfigParser(const JsonDocument& doc, Diagnostics& diags) : r_(doc, diags), diags_(diags) {}

  void parse(const json::object& root, Config& c) {
    if (auto s = r_.stringMember(root, "", "aws_region", true)) {
      c.aws_region = *s;
      if (c.aws_region.empty()) diags_.error("aws_region", "must not be empty");
    }
    if (root.contains("default_model_id")) {
      c.default_model_id = r_.stringMember(root, "", "default_model_id", false).value_or("");
    } else {
      c.default_model_id = r_.stringMember(root, "", "model_id", false).value_or("");
    }
    stringInto(root, "sns_topic_name", c.sns_topic_name, /*nonempty=*/true);
    stringInto(root, "sns_email", c.sns_email, false);
    if (!c.sns_email.empty() && c.sns_email.find('@') == std::string::npos) {
      diags_.error("sns_email", fmt::format("{} is not an email address", jsonQuote(c.sns_email)));
    }
    stringInto(root, "dashboard_name", c.dashboard_name, true);
    thresholds(root, c.thresholds);
    account(root, c);
    extensions(root, c);
    profiles(root, c);
    profileIds(root, c);
    upstreamsConfigured(c);
  }

 private:
  void stringInto(const json::object& o, std::string_view key, std::string& out, bool nonempty) {
    if (auto s = r_.stringMember(o, "", key, false)) {
      if (nonempty && s->empty()) {
        diags_.error(key, "must not be empty");
      } else {
        out = *s;
      }
    }
  }

  void thresholds(const json::object& root, AlarmThresholds& t) {
    if (const json::value* v = r_.member(root, "", "cost_alarm_threshold", false)) {
      if (auto m = r_.asDecimal(*v, "cost_alarm_threshold")) {
        if (m->isNegative() || m->isZero()) {
          diags_.error("cost_alarm_threshold",
                       fmt::format("must be a positive number of USD, got {}", m->toString()));
        } else {
          t.cost_per_5_minutes = *m;
        }
      }
    }
    positive(root, "token_alarm_threshold", t.tokens_per_minute);
    positive(root, "request_alarm_threshold", t.requests_per_minute);
  }

  void positive(const json::object& root, std::string_view key, double& out) {
    const json::value* v = r_.member(root, "", key, false);
    if (!v) return;
    auto d = r_.asNumber(*v, key);
    if (!d) return;
    if (!(*d > 0)) {
      diags_.error(key, fmt::format("must be a positive number, got {}", r_.numberText(*v, key)));
      return;
    }
    out = *d;
  }

  void account(const json::object& root, Config& c) {
    if (auto id = r_.stringMember(root, "", "aws_account_id", false)) {
      bool ok = id->size() == 12 && std::all_of(id->begin(), id->end(), ::isdigit);
      if (!ok) {
        diags_.error("aws_account_id", fmt::format("{} is not 12 digits", jsonQuote(*id)));
      } else {
        c.aws_account_id = *id;
      }
    } else if (auto role = r_.stringMember(root, "", "lambda_role_arn", false)) {
      if (auto acct = profiles::accountOfArn(*role)) c.aws_account_id = *acct;
    }
  }

  void extensions(const json::object& root, Config& c) {
    if (auto s = r_.stringMember(root, "", "store", false)) {
      if (s->empty()) {
        diags_.error("store", "must not be empty");
      } else {
        c.store_path = *s;
      }
    }
    if (auto s = r_.stringMember(root, "", "listen", false)) {
      if (s->rfind(':') == std::string::npos) {
        diags_.error("listen", fmt::format("{} is not HOST:PORT", jsonQuote(*s)));
      } else {
        c.listen = *s;
      }
    }
    if (auto s = r_.stringMember(root, "", "default_provider", false)) {
      if (providerKnown(*s, "default_provider")) c.default_provider = *s;
    }
    parseServeSettings(r_, root, c.serve);
    parseNotifySettings(r_, root, c.notify);
  }

  // A profile (or the default) sent to an HTTP upstream needs that upstream's settings.
  void upstreamsConfigured(const Config& c) {
    auto configured = [&c](std::string_view p) {
      if (p == "openai") return c.serve.openai.has_value();
      if (p == "anthropic") return c.serve.anthropic.has_value();
      return true;
    };
    auto report = [this](std::string_view path, std::string_view p) {
      diags_.error(path, fmt::format("upstream {} is not configured: add \"upstreams\": {{{}: "
                                     "{{\"base_url\": …, \"api_key_env\": …}}}}",
                                     jsonQuote(p), jsonQuote(p)));
    };
    bool default_used = false;
    for (size_t i = 0; i < c.profiles.size(); ++i) {
      const std::string& p = c.profiles[i].provider;
      if (p.empty()) {
        default_used = true;
      } else if (!configured(p)) {
        report(jsonPathKey(jsonPathIndex("profiles", i), "provider"), p);
      }
    }
    if ((default_used || c.profiles.empty()) && !configured(c.default_provider)) {
      report("default_provider", c.default_provider);
    }
  }

  bool providerKnown(const std::string& p, std::string_view path) {
    if (std::find(std::begin(kProviders), std::end(kProviders), p) != std::end(kProviders)) {
      return true;
    }
    diags_.error(path, fmt::format("unknown provider {} (expected sim, bedrock, openai or "
                                   "anthropic)",
                                   jsonQuote(p)));
    return false;
  }

  void profiles(const json::object& root, Config& c) {
    const json::value* v = r_.member(root, "", "profiles", true);
    if (!v) return;
    const json::array* list = r_.asArray(*v, "profiles");
    if (!list) return;
    std::vector<std::string> paths;
    for (size_t i = 0; i < list->size(); ++i) {
      std::string path = jsonPathIndex("profiles", i);
      const json::object* o = r_.asObject((*list)[i], path);
      if (!o) continue;
      profiles::ProfileSpec spec;
      spec.region = c.aws_region;
      if (auto s = r_.stringMember(*o, path, "name", true)) {
        if (auto e = profiles::checkProfileName(*s)) {
          diags_.error(jsonPathKey(path, "name"), *e);
        }
        spec.name = *s;
      }
      spec.description = r_.stringMember(*o, path, "description", false).value_or("");
      if (auto s = r_.stringMember(*o, path, "model_id", true)) {
        if (s->empty()) diags_.error(jsonPathKey(path, "model_id"), "must not be empty");
        spec.model_id = *s;
      }
      spec.tier = r_.stringMember(*o, path, "tier", false).value_or("");
      if (auto s = r_.stringMember(*o, path, "provider", false)) {
        if (providerKnown(*s, jsonPathKey(path, "provider"))) spec.provider = *s;
      }
      tags(*o, path, spec);
      c.profiles.push_back(std::move(spec));
      paths.push_back(path);
    }
    crossChecks(c.profiles, paths);
  }

  void tags(const json::object& o, const std::string& path, profiles::ProfileSpec& spec) {
    const json::value* v = r_.member(o, path, "tags", false);
    if (!v) return;
    std::string tpath = jsonPathKey(path, "tags");
    const json::array* list = r_.asArray(*v, tpath);
    if (!list) return;
    for (size_t j = 0; j < list->size(); ++j) {
      std::string ipath = jsonPathIndex(tpath, j);
      const json::object* t = r_.asObject((*list)[j], ipath);
      if (!t) continue;
      auto key = r_.stringMember(*t, ipath, "key", true);
      auto value = r_.stringMember(*t, ipath, "value", true);
      if (!key || !value) continue;
      if (auto e = profiles::checkTagKey(*key)) diags_.error(jsonPathKey(ipath, "key"), *e);
      if (auto e = profiles::checkTagValue(*value)) {
        diags_.error(jsonPathKey(ipath, "value"), *e);
      }
      for (const profiles::Tag& earlier : spec.tags) {
        if (equalsIgnoreCase(earlier.key, *key)) {
          std::string same_case = earlier.key == *key ? ""
                                                      : fmt::format(
                                                            " (same as {}: tag keys are matched "
                                                            "case-insensitively)",
                                                            jsonQuote(earlier.key));
          diags_.error(jsonPathKey(ipath, "key"),
                       fmt::format("duplicate key {} in profile {}{}", jsonQuote(*key),
                                   jsonQuote(spec.name), same_case));
          break;
        }
      }
      spec.tags.push_back({*key, *value});
    }
  }

  void crossChecks(const std::vector<profiles::ProfileSpec>& specs,
                   const std::vector<std::string>& paths) {
    for (size_t i = 0; i < specs.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (!specs[i].name.empty() && specs[i].name == specs[j].name) {
          diags_.error(jsonPathKey(paths[i], "name"),
                       fmt::format("duplicate profile name {} (also {})", jsonQuote(specs[i].name),
                                   paths[j]));
          continue;
        }
        if (specs[i].tags.empty() || specs[j].tags.empty()) continue;
        if (profiles::sameTagSet(specs[i].tags, specs[j].tags)) {
          diags_.error(jsonPathKey(paths[i], "tags"),
                       fmt::format("profile {} has the same tags as profile {} ({}), so tags "
                                   "cannot tell them apart",
                                   jsonQuote(specs[i].name), jsonQuote(specs[j].name), paths[j]));
        } else if (profiles::isTagSubset(specs[i].tags, specs[j].tags) ||
                   profiles::isTagSubset(specs[j].tags, specs[i].tags)) {
          diags_.warning(jsonPathKey(paths[i], "tags"),
                         fmt::format("the tags of profile {} and profile {} are a subset of one "
                                     "another: a request carrying only the smaller set is "
                                     "ambiguous",
                                     jsonQuote(specs[i].name), jsonQuote(specs[j].name)));
        }
      }
    }
  }

  void profileIds(const json::object& root, Config& c) {
    const json::value* v = r_.member(root, "", "profile_ids", false);
    if (!v) return;
    const json::array* list = r_.asArray(*v, "profile_ids");
    if (!list) return;
    for (size_t i = 0; i < list->size(); ++i) {
      std::string path = jsonPathIndex("profile_ids", i);
      const json::object* o = r_.asObject((*list)[i], path);
      if (!o) continue;
      if (o->size() != 1) {
        diags_.error(path, "must be an object with one key: {\"profile name\": \"profile id\"}");
        continue;
      }
      const auto& kv = *o->begin();
      if (auto id = r_.asString(kv.value(), jsonPathKey(path, kv.key()))) {
        c.profile_ids.emplace_back(std::string(kv.key()), *id);
      }
    }
  }

  JsonReader r_;
  Diagnostics& diags_;
};

}  // namespace

Config parseConfig(std::string_view text, const std::string& path, Diagnostics& diags) {
  Config c;
  c.path = path;
  auto doc = parseJsonDocument(text);
  if (!doc) {
    diags.error("", doc.error());
    return c;
  }
  c.doc = std::move(*doc);
  if (!c.doc.root.is_object()) {
    diags.error("", fmt::format("must be a JSON object, got {}", jsonTypeName(c.doc.root)));
    return c;
  }
  ConfigParser(c.doc, diags).parse(c.doc.root.get_object(), c);
  (void)readProfileAlarmThresholds(c.doc, c.thresholds, diags);  // checked here, read by setup
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (c.store_path.empty()) {
    c.store_path = (dir / "costgate.db").string();
  } else if (std::filesystem::path(c.store_path).is_relative()) {
    c.store_path = (dir / c.store_path).string();
  }
  if (std::string& m = c.serve.metrics.directory; m.empty()) {
    m = c.store_path + ".metrics";
  } else if (std::filesystem::path(m).is_relative()) {
    m = (dir / m).string();
  }
  for (auto* up : {&c.serve.openai, &c.serve.anthropic}) {
    if (*up && !(*up)->ca_file.empty() && std::filesystem::path((*up)->ca_file).is_relative()) {
      (*up)->ca_file = (dir / (*up)->ca_file).string();
    }
  }
  if (auto& b = c.serve.bedrock;
      b && !b->ca_file.empty() && std::filesystem::path(b->ca_file).is_relative()) {
    b->ca_file = (dir / b->ca_file).string();
  }
  if (auto& b = c.serve.bedrock; b && b->region.empty()) b->region = c.aws_region;
  return c;
}

void checkPricesCover(const Config& c, const pricing::PriceTable& prices, Diagnostics& diags) {
  auto check = [&](const std::string& model, const std::string& path) {
    if (model.empty() || c.aws_region.empty()) return;
    if (prices.latest(c.aws_region, model)) return;
    auto regions = prices.regionsOf(model);
    std::string hint =
        regions.empty() ? "models.json has no price for it in any region"
                        : fmt::format("models.json prices it only in {}", fmt::join(regions, ", "));
    diags.error(path, fmt::format("model {} has no price in region {} ({}); a call would be "
                                  "priced at nothing",
                                  jsonQuote(model), jsonQuote(c.aws_region), hint));
  };
  const bool seed_key =
      c.doc.root.is_object() && !c.doc.root.get_object().contains("default_model_id");
  check(c.default_model_id, seed_key ? "model_id" : "default_model_id");
  for (size_t i = 0; i < c.profiles.size(); ++i) {
    check(c.profiles[i].model_id, jsonPathKey(jsonPathIndex("profiles", i), "model_id"));
  }
}

std::optional<Config> loadConfig(const std::string& path, Diagnostics& diags) {
  auto text = readTextFile(path);
  if (!text) {
    diags.error("", text.error());
    return std::nullopt;
  }
  Config c = parseConfig(*text, path, diags);
  if (diags.hasErrors()) return std::nullopt;
  return c;
}

Status writeProfileIds(const Config& config,
                       const std::vector<std::pair<std::string, std::string>>& ids) {
  json::value root = config.doc.root;
  json::object& o = root.as_object();
  if (ids.empty()) {
    o.erase("profile_ids");
  } else {
    json::array list;
    for (const auto& [name, id] : ids) {
      json::object entry;
      entry[name] = id;
      list.push_back(std::move(entry));
    }
    o["profile_ids"] = std::move(list);
  }
  return replaceFileAtomically(config.path, writeJsonDocument(root, config.doc.numbers));
}

}  // namespace costgate::config
