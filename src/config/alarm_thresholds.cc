#include "config/alarm_thresholds.h"

#include <fmt/format.h>

#include "common/strings.h"
#include "config/json_reader.h"

namespace costgate::config {

namespace json = boost::json;

std::map<std::string, AlarmThresholds, std::less<>> readProfileAlarmThresholds(
    const JsonDocument& doc, const AlarmThresholds& defaults, Diagnostics& diags) {
  std::map<std::string, AlarmThresholds, std::less<>> out;
  const json::object* root = doc.root.if_object();
  const json::value* list = root ? root->if_contains("profiles") : nullptr;
  if (list == nullptr || !list->is_array()) return out;  // parseConfig reports those
  JsonReader r(doc, diags);
  for (size_t i = 0; i < list->get_array().size(); ++i) {
    const json::object* o = list->get_array()[i].if_object();
    if (o == nullptr) continue;
    const std::string path = jsonPathIndex("profiles", i);
    const json::value* v = o->if_contains("alarm_thresholds");
    if (v == nullptr) continue;
    const std::string tpath = jsonPathKey(path, "alarm_thresholds");
    const json::object* t = r.asObject(*v, tpath);
    if (t == nullptr) continue;
    AlarmThresholds th = defaults;
    for (const auto& [key, value] : *t) {
      const std::string kpath = jsonPathKey(tpath, key);
      if (key == "cost_per_5_minutes") {
        if (auto m = r.asDecimal(value, kpath)) {
          if (m->isNegative() || m->isZero()) {
            diags.error(kpath,
                        fmt::format("must be a positive number of USD, got {}", m->toString()));
          } else {
            th.cost_per_5_minutes = *m;
          }
        }
      } else if (key == "tokens_per_minute" || key == "requests_per_minute") {
        auto d = r.asNumber(value, kpath);
        if (!d) continue;
        if (!(*d > 0)) {
          diags.error(kpath,
                      fmt::format("must be a positive number, got {}", r.numberText(value, kpath)));
          continue;
        }
        (key == "tokens_per_minute" ? th.tokens_per_minute : th.requests_per_minute) = *d;
      } else {
        diags.error(kpath,
                    fmt::format("unknown key {} (expected cost_per_5_minutes, tokens_per_minute "
                                "or requests_per_minute)",
                                jsonQuote(key)));
      }
    }
    const json::value* name = o->if_contains("name");
    if (name != nullptr && name->is_string()) out[std::string(name->get_string())] = th;
  }
  return out;
}

AlarmThresholds alarmThresholdsOf(const Config& c, std::string_view name) {
  Diagnostics ignored(c.path);  // a valid config has no problems left to report
  auto all = readProfileAlarmThresholds(c.doc, c.thresholds, ignored);
  auto it = all.find(name);
  return it == all.end() ? c.thresholds : it->second;
}

}  // namespace costgate::config
