#include "common/clock.h"

#include <fmt/format.h>

#include <charconv>

namespace costgate {

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

std::string formatIso8601(TimePoint t) {
  using namespace std::chrono;
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}.{:03d}Z", int(ymd.year()),
                     unsigned(ymd.month()), unsigned(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

namespace {
bool number(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return r.ec == std::errc() && r.ptr == s.data() + pos + len;
}
}  // namespace

bool parseIso8601(std::string_view s, TimePoint& out) {
  using namespace std::chrono;
  int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!number(s, 0, 4, y) || !number(s, 5, 2, mo) || !number(s, 8, 2, d)) return false;
  if (s.size() > 10) {
    if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z') {
      return false;
    }
    if (!number(s, 11, 2, h) || !number(s, 14, 2, mi) || !number(s, 17, 2, se)) return false;
    if (s.size() == 24) {
      if (s[19] != '.' || !number(s, 20, 3, ms)) return false;
    } else if (s.size() != 20) {
      return false;
    }
    if (h > 23 || mi > 59 || se > 59) return false;
  }
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok()) return false;
  out = time_point_cast<milliseconds>(sys_days{ymd}) + hours{h} + minutes{mi} + seconds{se} +
        milliseconds{ms};
  return true;
}

}  // namespace costgate
