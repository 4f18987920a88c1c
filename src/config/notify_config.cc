#include "config/notify_config.h"

#include <fmt/format.h>

#include <cmath>
#include <initializer_list>

#include "common/strings.h"
#include "config/json_document.h"

namespace costgate::config {

const char* smtpTlsName(SmtpTls t) {
  switch (t) {
    case SmtpTls::kStartTls:
      return "starttls";
    case SmtpTls::kImplicit:
      return "implicit";
    case SmtpTls::kNone:
      return "none";
  }
  return "?";
}

const char* webhookShapeName(WebhookShape s) {
  switch (s) {
    case WebhookShape::kJson:
      return "json";
    case WebhookShape::kSlack:
      return "slack";
    case WebhookShape::kAlertmanager:
      return "alertmanager";
  }
  return "?";
}

std::string checkTopicName(std::string_view name) {
  if (name.empty() || name.size() > 256) return "must be 1 to 256 characters";
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return "may hold only letters, digits, '_' and '-'";
  }
  return "";
}

bool isEmailAddress(std::string_view s) {
  size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size()) return false;
  if (s.find('@', at + 1) != std::string_view::npos || s.size() > 254) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        c == '(' || c == ')' || c == '\\') {
      return false;
    }
  }
  return true;
}

bool isLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

namespace {

namespace json = boost::json;

class NotifyParser {
 public:
  explicit NotifyParser(JsonReader& r) : r_(r) {}

  void parse(const json::object& root, NotifySettings& out) {
    const json::object* o =
        section(root, "", "notify",
                {"smtp", "file", "dashboard_url", "webhook_timeout_ms", "retry", "topics"});
    if (!o) return;
    smtp(*o, out.smtp);
    if (auto f = r_.stringMember(*o, "notify", "file", false)) {
      if (f->empty()) {
        r_.diags().error("notify.file", "must not be empty");
      } else {
        out.file = *f;
      }
    }
    if (auto u = r_.stringMember(*o, "notify", "dashboard_url", false)) {
      if (httpUrl("notify.dashboard_url", *u)) out.dashboard_url = *u;
    }
    integer(*o, "notify", "webhook_timeout_ms", 1, 600'000, out.webhook_timeout_ms);
    if (const json::object* r = section(
            *o, "notify", "retry", {"initial_ms", "max_delay_ms", "max_attempts", "max_age_ms"})) {
      constexpr int64_t kWeek = 7 * 86'400'000LL;
      integer(*r, "notify.retry", "initial_ms", 1, kWeek, out.retry.initial_ms);
      integer(*r, "notify.retry", "max_delay_ms", 1, kWeek, out.retry.max_delay_ms);
      integer(*r, "notify.retry", "max_attempts", 1, 1'000'000, out.retry.max_attempts);
      integer(*r, "notify.retry", "max_age_ms", 1, kWeek, out.retry.max_age_ms);
      if (out.retry.max_delay_ms < out.retry.initial_ms) {
        r_.diags().error("notify.retry.max_delay_ms",
                         fmt::format("must be at least initial_ms ({}), got {}",
                                     out.retry.initial_ms, out.retry.max_delay_ms));
      }
    }
    topics(*o, out.topics);
  }

 private:
  const json::object* section(const json::object& obj, std::string_view path, std::string_view key,
                              std::initializer_list<std::string_view> known) {
    const json::value* v = r_.member(obj, path, key, false);
    if (!v) return nullptr;
    std::string p = path.empty() ? std::string(key) : jsonPathKey(path, key);
    const json::object* o = r_.asObject(*v, p);
    if (!o) return nullptr;
    unknownKeys(*o, p, known);
    return o;
  }

  void unknownKeys(const json::object& o, const std::string& path,
                   std::initializer_list<std::string_view> known) {
    for (const auto& kv : o) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || kv.key() == k;
      if (ok) continue;
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      r_.diags().error(jsonPathKey(path, kv.key()),
                       fmt::format("unknown key (expected one of: {})", list));
    }
  }

  bool integer(const json::object& o, std::string_view path, std::string_view key, int64_t lo,
               int64_t hi, int64_t& out) {
    const json::value* v = r_.member(o, path, key, false);
    if (!v) return false;
    std::string p = jsonPathKey(path, key);
    auto d = r_.asNumber(*v, p);
    if (!d) return false;
    if (*d != std::floor(*d) || *d < static_cast<double>(lo) || *d > static_cast<double>(hi)) {
      r_.diags().error(p, fmt::format("must be a whole number from {} to {}, got {}", lo, hi,
                                      r_.numberText(*v, p)));
      return false;
    }
    out = static_cast<int64_t>(*d);
    return true;
  }

  bool httpUrl(const std::string& path, const std::string& url) {
    bool ok = (url.rfind("http://", 0) == 0 && url.size() > 7) ||
              (url.rfind("https://", 0) == 0 && url.size() > 8);
    for (unsigned char c : url) ok = ok && c > 0x20 && c != 0x7f;
    if (!ok) {
      r_.diags().error(path, fmt::format("{} is not an http:// or https:// URL", jsonQuote(url)));
    }
    return ok;
  }

  bool address(const std::string& path, const std::string& a) {
    if (isEmailAddress(a)) return true;
    r_.diags().error(path, fmt::format("{} is not an email address (name@domain)", jsonQuote(a)));
    return false;
  }

  void smtp(const json::object& notify, std::optional<SmtpSettings>& out) {
    const std::string path = "notify.smtp";
    const json::object* o = section(
        notify, "notify", "smtp",
        {"host", "port", "tls", "username", "password_env", "from", "ca_file", "timeout_ms"});
    if (!o) return;
    SmtpSettings s;
    if (auto t = r_.stringMember(*o, path, "tls", false)) {
      if (*t == "starttls") {
        s.tls = SmtpTls::kStartTls;
      } else if (*t == "implicit") {
        s.tls = SmtpTls::kImplicit;
      } else if (*t == "none") {
        s.tls = SmtpTls::kNone;
      } else {
        r_.diags().error(jsonPathKey(path, "tls"),
                         fmt::format("{} is not one of \"starttls\" or \"implicit\" or \"none\"",
                                     jsonQuote(*t)));
      }
    }
    s.port = s.tls == SmtpTls::kImplicit ? 465 : s.tls == SmtpTls::kNone ? 25 : 587;
    if (auto h = r_.stringMember(*o, path, "host", true)) {
      bool ok = !h->empty();
      for (unsigned char c : *h) ok = ok && c > 0x20 && c != 0x7f && c != '/' && c != '@';
      if (!ok) {
        r_.diags().error(jsonPathKey(path, "host"),
                         fmt::format("{} is not a host name or address", jsonQuote(*h)));
      } else if (s.tls == SmtpTls::kNone && !isLoopbackHost(*h)) {
        // Without TLS the password and the mail cross the network in the clear.
        r_.diags().error(jsonPathKey(path, "tls"),
                         fmt::format("\"none\" is allowed only for a loopback host (127.0.0.1, "
                                     "::1, localhost), not {}",
                                     jsonQuote(*h)));
      }
      s.host = *h;
    }
    integer(*o, path, "port", 1, 65535, s.port);
    s.username = r_.stringMember(*o, path, "username", false).value_or("");
    s.password_env = r_.stringMember(*o, path, "password_env", false).value_or("");
    if (!s.username.empty() && s.password_env.empty()) {
      r_.diags().error(jsonPathKey(path, "password_env"),
                       "missing: a username needs the name of the environment variable that "
                       "holds its password (the password itself never goes in a file)");
    } else if (s.username.empty() && !s.password_env.empty()) {
      r_.diags().error(jsonPathKey(path, "username"), "missing: password_env needs a username");
    }
    for (char c : s.password_env) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        r_.diags().error(
            jsonPathKey(path, "password_env"),
            fmt::format("{} is not an environment variable name", jsonQuote(s.password_env)));
        break;
      }
    }
    if (auto f = r_.stringMember(*o, path, "from", true)) {
      address(jsonPathKey(path, "from"), *f);
      s.from = *f;
    }
    s.ca_file = r_.stringMember(*o, path, "ca_file", false).value_or("");
    integer(*o, path, "timeout_ms", 1, 600'000, s.timeout_ms);
    out = std::move(s);
  }

  void topics(const json::object& notify,
              std::vector<std::pair<std::string, std::vector<SubscriptionSettings>>>& out) {
    const json::value* v = r_.member(notify, "notify", "topics", false);
    if (!v) return;
    const json::object* o = r_.asObject(*v, "notify.topics");
    if (!o) return;
    for (const auto& kv : *o) {
      std::string name(kv.key());
      std::string tpath = jsonPathKey("notify.topics", name);
      if (std::string why = checkTopicName(name); !why.empty()) {
        r_.diags().error(tpath, fmt::format("topic name {}", why));
        continue;
      }
      const json::array* list = r_.asArray(kv.value(), tpath);
      if (!list) continue;
      std::vector<SubscriptionSettings> subs;
      for (size_t i = 0; i < list->size(); ++i) {
        if (auto s = subscription((*list)[i], jsonPathIndex(tpath, i))) {
          subs.push_back(std::move(*s));
        }
      }
      out.emplace_back(std::move(name), std::move(subs));
    }
  }

  std::optional<SubscriptionSettings> subscription(const json::value& v, const std::string& path) {
    const json::object* o = r_.asObject(v, path);
    if (!o) return std::nullopt;
    unknownKeys(*o, path, {"email", "webhook", "file", "shape"});
    int kinds = o->contains("email") + o->contains("webhook") + o->contains("file");
    if (kinds != 1) {
      r_.diags().error(path, "must have exactly one of \"email\", \"webhook\" or \"file\"");
      return std::nullopt;
    }
    SubscriptionSettings s;
    if (o->contains("shape") && !o->contains("webhook")) {
      r_.diags().error(jsonPathKey(path, "shape"), "applies only to a webhook");
    }
    if (auto e = r_.stringMember(*o, path, "email", false)) {
      if (!address(jsonPathKey(path, "email"), *e)) return std::nullopt;
      s.kind = SubscriptionSettings::Kind::kEmail;
      s.target = *e;
    } else if (auto u = r_.stringMember(*o, path, "webhook", false)) {
      if (!httpUrl(jsonPathKey(path, "webhook"), *u)) return std::nullopt;
      s.kind = SubscriptionSettings::Kind::kWebhook;
      s.target = *u;
      if (auto shape = r_.stringMember(*o, path, "shape", false)) {
        if (*shape == "json") {
          s.shape = WebhookShape::kJson;
        } else if (*shape == "slack") {
          s.shape = WebhookShape::kSlack;
        } else if (*shape == "alertmanager") {
          s.shape = WebhookShape::kAlertmanager;
        } else {
          r_.diags().error(jsonPathKey(path, "shape"),
                           fmt::format("{} is not one of \"json\" or \"slack\" or "
                                       "\"alertmanager\"",
                                       jsonQuote(*shape)));
          return std::nullopt;
        }
      }
    } else if (auto f = r_.stringMember(*o, path, "file", false)) {
      if (f->empty()) {
        r_.diags().error(jsonPathKey(path, "file"), "must not be empty");
        return std::nullopt;
      }
      s.kind = SubscriptionSettings::Kind::kFile;
      s.target = *f;
    } else {
      return std::nullopt;  // the wrong type, already reported
    }
    return s;
  }

  JsonReader& r_;
};

}  // namespace

void parseNotifySettings(JsonReader& reader, const json::object& root, NotifySettings& out) {
  NotifyParser(reader).parse(root, out);
}

}  // namespace costgate::config
