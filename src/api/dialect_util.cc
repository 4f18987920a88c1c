#include "api/dialect_util.h"

#include <fmt/format.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace costgate::api {

namespace json = boost::json;

namespace {

std::string str(const json::string& s) { return std::string(s.data(), s.size()); }

// A JSON number as a double, or nullopt for any other kind.
std::optional<double> asDouble(const json::value& v) {
  switch (v.kind()) {
    case json::kind::double_:
      return v.get_double();
    case json::kind::int64:
      return static_cast<double>(v.get_int64());
    case json::kind::uint64:
      return static_cast<double>(v.get_uint64());
    default:
      return std::nullopt;
  }
}

std::string joinLines(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '\n';
    out += parts[i];
  }
  return out;
}

}  // namespace

DecodeResult invalidRequest(std::string message) {
  DecodeResult r;
  r.error.status = 400;
  r.error.type = "invalid_request_error";
  r.error.message = std::move(message);
  return r;
}

const char* jsonKindName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "a list";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

// FieldReader

const json::value* FieldReader::get(std::string_view key) const {
  const json::value* v = obj_.if_contains(key);
  return v == nullptr || v->is_null() ? nullptr : v;
}

void FieldReader::fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

void FieldReader::failField(std::string_view key, std::string_view message) {
  fail(fmt::format("{}: {}", path(key), message));
}

std::optional<std::string> FieldReader::string(std::string_view key, bool required) {
  const json::value* v = get(key);
  if (v == nullptr) {
    if (required) failField(key, "is required");
    return std::nullopt;
  }
  if (!v->is_string()) {
    failField(key, fmt::format("must be a string, not {}", jsonKindName(*v)));
    return std::nullopt;
  }
  return str(v->get_string());
}

std::optional<bool> FieldReader::boolean(std::string_view key) {
  const json::value* v = get(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) {
    failField(key, fmt::format("must be true or false, not {}", jsonKindName(*v)));
    return std::nullopt;
  }
  return v->get_bool();
}

std::optional<int64_t> FieldReader::positiveInt(std::string_view key, bool required) {
  const json::value* v = get(key);
  if (v == nullptr) {
    if (required) failField(key, "is required");
    return std::nullopt;
  }
  if (!v->is_int64() || v->get_int64() < 1) {
    failField(key, "must be a positive integer");
    return std::nullopt;
  }
  return v->get_int64();
}

std::optional<double> FieldReader::number(std::string_view key, double lo, double hi) {
  const json::value* v = get(key);
  if (v == nullptr) return std::nullopt;
  std::optional<double> d = asDouble(*v);
  if (!d || !(*d >= lo && *d <= hi)) {  // also refuses NaN
    failField(key, fmt::format("must be a number between {} and {}", lo, hi));
    return std::nullopt;
  }
  return d;
}

std::vector<std::string> FieldReader::stringList(std::string_view key, bool allow_single) {
  std::vector<std::string> out;
  const json::value* v = get(key);
  if (v == nullptr) return out;
  if (allow_single && v->is_string()) {
    out.push_back(str(v->get_string()));
    return out;
  }
  const std::string_view want =
      allow_single ? "must be a string or a list of strings" : "must be a list of strings";
  const json::array* a = v->if_array();
  if (a == nullptr) {
    failField(key, want);
    return {};
  }
  for (size_t i = 0; i < a->size(); ++i) {
    const json::value& e = (*a)[i];
    if (!e.is_string()) {
      fail(fmt::format("{}[{}]: must be a string, not {}", path(key), i, jsonKindName(e)));
      return {};
    }
    out.push_back(str(e.get_string()));
  }
  return out;
}

const json::object* FieldReader::object(std::string_view key) {
  const json::value* v = get(key);
  if (v == nullptr) return nullptr;
  if (!v->is_object()) {
    failField(key, fmt::format("must be an object, not {}", jsonKindName(*v)));
    return nullptr;
  }
  return &v->get_object();
}

const json::array* FieldReader::array(std::string_view key, bool required) {
  const json::value* v = get(key);
  if (v == nullptr) {
    if (required) failField(key, "is required");
    return nullptr;
  }
  if (!v->is_array()) {
    failField(key, fmt::format("must be a list, not {}", jsonKindName(*v)));
    return nullptr;
  }
  return &v->get_array();
}

// Content

Result<std::string> typedTextContent(const json::value& v, const std::string& path,
                                     std::string_view noun) {
  if (v.is_string()) return str(v.get_string());
  const json::array* blocks = v.if_array();
  if (blocks == nullptr) {
    return makeError(fmt::format("{}: must be a string or a list of {}s", path, noun));
  }
  std::vector<std::string> parts;
  for (size_t i = 0; i < blocks->size(); ++i) {
    const std::string at = fmt::format("{}[{}]", path, i);
    const json::object* b = (*blocks)[i].if_object();
    if (b == nullptr) return makeError(fmt::format("{}: must be an object", at));
    const json::value* type = b->if_contains("type");
    if (type == nullptr || !type->is_string()) {
      return makeError(fmt::format("{}.type: is required and must be a string", at));
    }
    if (type->get_string() != "text") {
      return makeError(fmt::format("{}: {} type '{}' is not supported; only 'text' is", at, noun,
                                   std::string_view(type->get_string())));
    }
    const json::value* text = b->if_contains("text");
    if (text == nullptr || !text->is_string()) {
      return makeError(fmt::format("{}.text: is required and must be a string", at));
    }
    parts.push_back(str(text->get_string()));
  }
  return joinLines(parts);
}

Result<std::string> converseTextContent(const json::value& v, const std::string& path) {
  const json::array* blocks = v.if_array();
  if (blocks == nullptr) {
    return makeError(
        fmt::format("{}: must be a list of content blocks, e.g. [{{\"text\": \"Hi\"}}]", path));
  }
  std::vector<std::string> parts;
  for (size_t i = 0; i < blocks->size(); ++i) {
    const std::string at = fmt::format("{}[{}]", path, i);
    const json::object* b = (*blocks)[i].if_object();
    if (b == nullptr) return makeError(fmt::format("{}: must be an object", at));
    const json::value* text = b->if_contains("text");
    if (text == nullptr) {
      std::string kind = b->empty() ? std::string("empty") : std::string(b->begin()->key());
      return makeError(fmt::format(
          "{}: content block '{}' is not supported; only text blocks ({{\"text\": …}}) are", at,
          kind));
    }
    if (!text->is_string()) return makeError(fmt::format("{}.text: must be a string", at));
    parts.push_back(str(text->get_string()));
  }
  return joinLines(parts);
}

void readConverseOptions(FieldReader& f, chat::ChatRequest& req) {
  if (const json::value* system = f.get("system"); system != nullptr && f.ok()) {
    Result<std::string> text = converseTextContent(*system, "system");
    if (text) {
      req.system = std::move(*text);
    } else {
      f.fail(text.error());
    }
  }
  if (const json::object* config = f.object("inferenceConfig")) {
    FieldReader c(*config, "inferenceConfig.");
    req.max_tokens = c.positiveInt("maxTokens");
    req.temperature = c.number("temperature", 0, 1);
    req.top_p = c.number("topP", 0, 1);
    req.stop_sequences = c.stringList("stopSequences");
    if (!c.ok()) f.fail(c.error());
  }
  if (f.get("toolConfig") != nullptr) f.failField("toolConfig", "tool use is not supported");
}

// Framing and shared answer parts

std::string sseEvent(std::string_view event, const json::value& v) {
  std::string out;
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  out += "data: ";
  out += json::serialize(v);  // one line: serialize escapes every control character
  out += "\n\n";
  return out;
}

std::string sseData(const json::value& v) { return sseEvent({}, v); }

json::object costgateInfo(const chat::CallInfo& info) {
  json::object o;
  o["call_id"] = info.call_id;
  o["profile"] = info.profile;
  o["cost_usd"] = info.cost_usd;
  o["input_tokens"] = info.usage.input_tokens;
  o["output_tokens"] = info.usage.output_tokens;
  if (info.usage.cache_read_tokens != 0) {
    o["cache_read_input_tokens"] = info.usage.cache_read_tokens;
  }
  if (info.usage.cache_write_tokens != 0) {
    o["cache_write_input_tokens"] = info.usage.cache_write_tokens;
  }
  if (!info.request_id.empty()) o["request_id"] = info.request_id;
  return o;
}

std::string answerId(const StreamContext& ctx, const chat::ChatResponse& r,
                     const chat::CallInfo& info, std::string_view prefix) {
  if (!ctx.id.empty()) return ctx.id;
  if (!r.id.empty() && std::string_view(r.id).starts_with(prefix)) return r.id;
  return std::string(prefix) + (info.call_id.empty() ? r.id : info.call_id);
}

std::string answerModel(const StreamContext& ctx, const chat::ChatResponse& r) {
  return ctx.model.empty() ? r.model : ctx.model;
}

int64_t allInputTokens(const pricing::Usage& u) {
  return u.input_tokens + u.cache_read_tokens + u.cache_write_tokens;
}

json::object converseUsage(const pricing::Usage& u) {
  json::object o;
  o["inputTokens"] = u.input_tokens;
  o["outputTokens"] = u.output_tokens;
  o["totalTokens"] = allInputTokens(u) + u.output_tokens;
  if (u.cache_read_tokens != 0) o["cacheReadInputTokens"] = u.cache_read_tokens;
  if (u.cache_write_tokens != 0) o["cacheWriteInputTokens"] = u.cache_write_tokens;
  return o;
}

json::object converseMetrics(const chat::ChatResponse& r) {
  json::object o;
  o["latencyMs"] = r.latency_ms;
  return o;
}

json::object converseMessage(std::string_view text) {
  json::object block;
  block["text"] = text;
  json::object message;
  message["role"] = "assistant";
  message["content"] = json::array{std::move(block)};
  return message;
}

void addConverseOutcome(json::object& o, const chat::ChatResponse& r, const chat::CallInfo& info) {
  o["stopReason"] = chat::stopReasonName(r.stop_reason);
  o["usage"] = converseUsage(r.usage);
  o["metrics"] = converseMetrics(r);
  o["costgate"] = costgateInfo(info);
}

std::vector<std::pair<const char*, json::object>> converseStreamEnd(const chat::ChatResponse& r,
                                                                    const chat::CallInfo& info) {
  json::object block_stop;
  block_stop["contentBlockIndex"] = 0;
  json::object stop;
  stop["stopReason"] = chat::stopReasonName(r.stop_reason);
  json::object metadata;
  metadata["usage"] = converseUsage(r.usage);
  metadata["metrics"] = converseMetrics(r);
  metadata["costgate"] = costgateInfo(info);
  std::vector<std::pair<const char*, json::object>> events;
  events.emplace_back("contentBlockStop", std::move(block_stop));
  events.emplace_back("messageStop", std::move(stop));
  events.emplace_back("metadata", std::move(metadata));
  return events;
}

bool readUserAssistantMessages(FieldReader& f, const json::array& msgs, chat::ChatRequest& req,
                               ContentTextReader text, std::string_view role_hint) {
  if (msgs.empty()) {
    f.failField("messages", "must not be empty");
    return false;
  }
  for (size_t i = 0; i < msgs.size(); ++i) {
    const std::string path = fmt::format("messages[{}]", i);
    const json::object* m = msgs[i].if_object();
    if (m == nullptr) {
      f.fail(fmt::format("{}: must be an object, not {}", path, jsonKindName(msgs[i])));
      return false;
    }
    FieldReader mf(*m, path + ".");
    std::optional<std::string> role = mf.string("role", true);
    if (!mf.ok()) {
      f.fail(mf.error());
      return false;
    }
    if (*role != "user" && *role != "assistant") {
      f.fail(fmt::format("{}.role: must be 'user' or 'assistant', not '{}'{}", path, *role,
                         role_hint));
      return false;
    }
    const json::value* content = mf.get("content");
    if (content == nullptr) {
      f.fail(path + ".content: is required");
      return false;
    }
    Result<std::string> t = text(*content, path + ".content");
    if (!t) {
      f.fail(t.error());
      return false;
    }
    const auto r = *role == "user" ? chat::Role::kUser : chat::Role::kAssistant;
    req.messages.push_back(chat::Message{r, std::move(*t)});
  }
  return true;
}

}  // namespace costgate::api
