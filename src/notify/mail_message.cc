#include "notify/mail_message.h"

#include <fmt/format.h>

#include <chrono>

namespace costgate::notify {

namespace {

bool isPrintableAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

std::string base64(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v =
        (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    out += kTable[v >> 18];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += kTable[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    out += kTable[v >> 18];
    out += kTable[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8);
    out += kTable[v >> 18];
    out += kTable[(v >> 12) & 63];
    out += kTable[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Headers are one line: control characters (CR and LF above all) become spaces.
std::string headerSafe(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

}  // namespace

std::string rfc5322Date(TimePoint t) {
  using namespace std::chrono;
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto day = floor<days>(t);
  year_month_day ymd(day);
  hh_mm_ss hms(floor<seconds>(t - day));
  weekday wd(day);
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} +0000", kDays[wd.c_encoding()],
                     unsigned(ymd.day()), kMonths[unsigned(ymd.month()) - 1], int(ymd.year()),
                     hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

std::string messageIdFor(std::string_view notification_id, std::string_view from) {
  size_t at = from.rfind('@');
  std::string_view domain = at == std::string_view::npos ? "costgate.invalid" : from.substr(at + 1);
  return fmt::format("<{}@{}>", notification_id, domain);
}

std::string encodeHeaderText(std::string_view text) {
  std::string safe = headerSafe(text);
  if (isPrintableAscii(safe)) return safe;
  // "=?UTF-8?B?" + base64 + "?=" within 75: 12 characters of frame leave 63, that is 60 base64
  // characters or 45 input octets. Cut before a UTF-8 continuation octet never splits a
  // character.
  std::string out;
  size_t i = 0;
  while (i < safe.size()) {
    size_t n = std::min<size_t>(45, safe.size() - i);
    while (n > 0 && i + n < safe.size() &&
           (static_cast<unsigned char>(safe[i + n]) & 0xC0) == 0x80) {
      --n;
    }
    if (n == 0) n = std::min<size_t>(45, safe.size() - i);  // not UTF-8: cut anywhere
    if (!out.empty()) out += "\r\n ";
    out += "=?UTF-8?B?" + base64(safe.substr(i, n)) + "?=";
    i += n;
  }
  return out;
}

std::string quotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  size_t col = 0;
  auto put = [&](std::string_view piece) {
    if (col + piece.size() > 75) {  // a soft break keeps every line within 76
      out += "=\r\n";
      col = 0;
    }
    out += piece;
    col += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    bool line_end = i + 1 == text.size() || text[i + 1] == '\n';
    if (c == '\n') {
      out += "\r\n";
      col = 0;
    } else if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end)) {
      put(std::string_view(reinterpret_cast<const char*>(&text[i]), 1));
    } else {
      const char enc[3] = {'=', kHex[c >> 4], kHex[c & 15]};
      put(std::string_view(enc, 3));
    }
  }
  return out;
}

std::string composeMail(const Notification& n, std::string_view from, std::string_view to) {
  std::string m;
  m += "Date: " + rfc5322Date(n.created_at) + "\r\n";
  m += "From: costgate <" + headerSafe(from) + ">\r\n";
  m += "To: <" + headerSafe(to) + ">\r\n";
  m += "Subject: " + encodeHeaderText(n.subject) + "\r\n";
  m += "Message-ID: " + messageIdFor(n.id, from) + "\r\n";
  m += "X-Costgate-Notification-Id: " + headerSafe(n.id) + "\r\n";
  m += "X-Costgate-Topic: " + headerSafe(n.topic) + "\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: quoted-printable\r\n";
  m += "\r\n";
  m += quotedPrintable(n.body);
  if (!m.ends_with("\r\n")) m += "\r\n";
  return m;
}

}  // namespace costgate::notify
