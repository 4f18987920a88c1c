#include "config/json_document.h"

#include <fmt/format.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>
#include <cstdlib>
#include <unordered_set>
#include <vector>

#include "common/strings.h"

namespace costgate::config {

namespace json = boost::json;

std::string jsonPathKey(std::string_view parent, std::string_view key) {
  bool plain = !key.empty();
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) plain = false;
  }
  if (!plain) return fmt::format("{}[{}]", parent, jsonQuote(key));
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string jsonPathIndex(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

namespace {

// basic_parser handler: builds the DOM through a value_stack, tracks the path of the value
// being parsed, records number texts and rejects duplicate keys.
class Handler {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  json::value_stack stack;
  NumberTexts numbers;
  std::string duplicate_key_error;

  bool on_document_begin(json::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(json::error_code&) { return true; }
  bool on_array_begin(json::error_code&) {
    frames_.push_back(Frame{true, 0, {}, {}, valuePath()});
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code&) {
    stack.push_array(n);
    frames_.pop_back();
    valueDone();
    return true;
  }
  bool on_object_begin(json::error_code&) {
    frames_.push_back(Frame{false, 0, {}, {}, valuePath()});
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    stack.push_object(n);
    frames_.pop_back();
    valueDone();
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    stack.push_string(s);
    valueDone();
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key_part_.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key_part_.append(s.data(), s.size());
    Frame& f = frames_.back();
    if (!f.keys.insert(key_part_).second) {
      duplicate_key_error = fmt::format("{}: duplicate key {}", jsonPathKey(f.path, key_part_),
                                        jsonQuote(key_part_));
      ec = json::error::syntax;
      return false;
    }
    f.key = std::move(key_part_);
    key_part_.clear();
    stack.push_key(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number_part_.append(s.data(), s.size());
    return true;
  }
  bool on_int64(int64_t i, json::string_view s, json::error_code&) {
    recordNumber(s);
    stack.push_int64(i);
    valueDone();
    return true;
  }
  bool on_uint64(uint64_t u, json::string_view s, json::error_code&) {
    recordNumber(s);
    stack.push_uint64(u);
    valueDone();
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    recordNumber(s);
    stack.push_double(d);
    valueDone();
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    stack.push_bool(b);
    valueDone();
    return true;
  }
  bool on_null(json::error_code&) {
    stack.push_null();
    valueDone();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }

 private:
  struct Frame {
    bool array;
    size_t index;
    std::string key;
    std::unordered_set<std::string> keys;
    std::string path;
  };

  std::string valuePath() const {
    if (frames_.empty()) return "";
    const Frame& f = frames_.back();
    return f.array ? jsonPathIndex(f.path, f.index) : jsonPathKey(f.path, f.key);
  }
  void valueDone() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  void recordNumber(json::string_view last) {
    number_part_.append(last.data(), last.size());
    numbers.emplace(valuePath(), std::move(number_part_));
    number_part_.clear();
  }

  std::vector<Frame> frames_;
  std::string key_part_;
  std::string number_part_;
};

std::string lineColumn(std::string_view text, size_t offset) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return fmt::format("line {}, column {}", line, col);
}

}  // namespace

Result<JsonDocument> parseJsonDocument(std::string_view text) {
  json::basic_parser<Handler> parser(json::parse_options{});
  json::error_code ec;
  size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    Handler& h = parser.handler();
    if (!h.duplicate_key_error.empty()) {
      return makeError(fmt::format("{}: {}", lineColumn(text, used), h.duplicate_key_error));
    }
    std::string what = ec.message();
    if (ec == json::error::incomplete) what = "unexpected end of input (incomplete JSON)";
    return makeError(fmt::format("{}: malformed JSON: {}", lineColumn(text, used), what));
  }
  // write_some stops after one value (and the whitespace after it); anything left is a second
  // value or garbage, which must not be silently dropped.
  if (used < text.size()) {
    return makeError(fmt::format("{}: malformed JSON: unexpected text after the JSON value",
                                 lineColumn(text, used)));
  }
  JsonDocument doc;
  doc.root = parser.handler().stack.release();
  doc.numbers = std::move(parser.handler().numbers);
  return doc;
}

namespace {

void writeValue(std::string& out, const json::value& v, const std::string& path,
                const NumberTexts& numbers, int depth);

void indent(std::string& out, int depth) { out.append(static_cast<size_t>(depth) * 4, ' '); }

bool sameNumber(const json::value& v, const std::string& text) {
  // The source text is used only while it still denotes the value in the DOM.
  const char* begin = text.c_str();
  char* end = nullptr;
  double d = std::strtod(begin, &end);
  if (end != begin + text.size()) return false;
  switch (v.kind()) {
    case json::kind::int64: return d == static_cast<double>(v.get_int64()) &&
                                   text.find_first_of(".eE") == std::string::npos &&
                                   std::to_string(v.get_int64()) == text;
    case json::kind::uint64: return std::to_string(v.get_uint64()) == text;
    case json::kind::double_: return d == v.get_double();
    default: return false;
  }
}

// A container of scalars that fits on one line is written on one line, the way people write
// tag lists by hand ({"key": "TenantID", "value": "acme"}).
constexpr size_t kLineWidth = 100;

bool writeInline(std::string& out, const json::value& v, const std::string& path,
                 const NumberTexts& numbers, int depth) {
  std::string line;
  if (v.is_object()) {
    const auto& o = v.get_object();
    line += '{';
    size_t i = 0;
    for (const auto& kv : o) {
      if (kv.value().is_structured()) return false;
      if (i++) line += ", ";
      line += json::serialize(json::string_view(kv.key()));
      line += ": ";
      writeValue(line, kv.value(), jsonPathKey(path, kv.key()), numbers, 0);
    }
    line += '}';
  } else {
    const auto& a = v.get_array();
    line += '[';
    for (size_t i = 0; i < a.size(); ++i) {
      if (a[i].is_structured()) return false;
      if (i) line += ", ";
      writeValue(line, a[i], jsonPathIndex(path, i), numbers, 0);
    }
    line += ']';
  }
  if (static_cast<size_t>(depth) * 4 + line.size() > kLineWidth) return false;
  out += line;
  return true;
}

void writeValue(std::string& out, const json::value& v, const std::string& path,
                const NumberTexts& numbers, int depth) {
  if (depth > 0 && v.is_structured() && writeInline(out, v, path, numbers, depth)) return;
  switch (v.kind()) {
    case json::kind::object: {
      const auto& o = v.get_object();
      if (o.empty()) {
        out += "{}";
        return;
      }
      out += "{\n";
      size_t i = 0;
      for (const auto& kv : o) {
        indent(out, depth + 1);
        out += json::serialize(json::string_view(kv.key()));
        out += ": ";
        writeValue(out, kv.value(), jsonPathKey(path, kv.key()), numbers, depth + 1);
        out += (++i < o.size()) ? ",\n" : "\n";
      }
      indent(out, depth);
      out += '}';
      return;
    }
    case json::kind::array: {
      const auto& a = v.get_array();
      if (a.empty()) {
        out += "[]";
        return;
      }
      out += "[\n";
      for (size_t i = 0; i < a.size(); ++i) {
        indent(out, depth + 1);
        writeValue(out, a[i], jsonPathIndex(path, i), numbers, depth + 1);
        out += (i + 1 < a.size()) ? ",\n" : "\n";
      }
      indent(out, depth);
      out += ']';
      return;
    }
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_: {
      auto it = numbers.find(path);
      if (it != numbers.end() && sameNumber(v, it->second)) {
        out += it->second;
      } else {
        out += json::serialize(v);
      }
      return;
    }
    default:
      out += json::serialize(v);
  }
}

}  // namespace

std::string writeJsonDocument(const json::value& root, const NumberTexts& numbers) {
  std::string out;
  writeValue(out, root, "", numbers, 0);
  out += '\n';
  return out;
}

}  // namespace costgate::config
