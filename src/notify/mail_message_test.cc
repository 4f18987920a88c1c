#include "notify/mail_message.h"

#include <gtest/gtest.h>

namespace costgate::notify {
namespace {

TimePoint at(const char* iso) {
  TimePoint t;
  EXPECT_TRUE(parseIso8601(iso, t)) << iso;
  return t;
}

TEST(MailMessageTest, DateIsRfc5322InUtc) {
  EXPECT_EQ(rfc5322Date(at("2026-11-27T05:16:06.999Z")), "Fri, 27 Nov 2026 05:16:06 +0000");
  EXPECT_EQ(rfc5322Date(at("2024-02-29T00:00:00Z")), "Thu, 29 Feb 2024 00:00:00 +0000");
  EXPECT_EQ(rfc5322Date(at("1999-12-31T23:59:59Z")), "Fri, 31 Dec 1999 23:59:59 +0000");
}

TEST(MailMessageTest, MessageIdComesFromTheNotificationId) {
  EXPECT_EQ(messageIdFor("01JDQ7", "alerts@example.com"), "<01JDQ7@example.com>");
  EXPECT_EQ(messageIdFor("01JDQ7", "nodomain"), "<01JDQ7@costgate.invalid>");
}

TEST(MailMessageTest, HeaderTextIsEncodedOnlyWhenNotAscii) {
  EXPECT_EQ(encodeHeaderText("ALARM: \"x\""), "ALARM: \"x\"");
  EXPECT_EQ(encodeHeaderText("a\r\nBcc: b"), "a  Bcc: b");
  // "Coût élevé" in UTF-8, base64 by RFC 4648.
  EXPECT_EQ(encodeHeaderText("Co\xC3\xBBt \xC3\xA9lev\xC3\xA9"),
            "=?UTF-8?B?Q2/Du3Qgw6lsZXbDqQ==?=");
  // 60 two-octet characters: 120 octets, cut into words of at most 45 octets that never split a
  // character (44, 44, 32), each word at most 75 characters.
  std::string text;
  for (int i = 0; i < 60; ++i) text += "\xC3\xA9";
  std::string encoded = encodeHeaderText(text);
  size_t words = 0, pos = 0;
  while (pos < encoded.size()) {
    size_t end = encoded.find("\r\n ", pos);
    std::string word =
        encoded.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    EXPECT_LE(word.size(), 75u) << word;
    EXPECT_EQ(word.rfind("=?UTF-8?B?", 0), 0u) << word;
    ++words;
    pos = end == std::string::npos ? encoded.size() : end + 3;
  }
  EXPECT_EQ(words, 3u);
}

TEST(MailMessageTest, QuotedPrintable) {
  EXPECT_EQ(quotedPrintable("a=b\nline two \nend"), "a=3Db\r\nline two=20\r\nend");
  EXPECT_EQ(quotedPrintable("caf\xC3\xA9"), "caf=C3=A9");
  std::string longline(100, 'x');
  EXPECT_EQ(quotedPrintable(longline), std::string(75, 'x') + "=\r\n" + std::string(25, 'x'));
}

TEST(MailMessageTest, WholeMessage) {
  Notification n;
  n.id = "01JDQ7ABCDEFGHJKMNPQRSTVWX";
  n.topic = "BedrockInvocationAlarms";
  n.created_at = at("2026-11-27T05:16:06Z");
  n.subject = "ALARM: \"BedrockTokenCostAlarm-p1\" for profile p1";
  n.body = "line one\n.starts with a dot\n";
  EXPECT_EQ(composeMail(n, "costgate@example.com", "ops@example.com"),
            "Date: Fri, 27 Nov 2026 05:16:06 +0000\r\n"
            "From: costgate <costgate@example.com>\r\n"
            "To: <ops@example.com>\r\n"
            "Subject: ALARM: \"BedrockTokenCostAlarm-p1\" for profile p1\r\n"
            "Message-ID: <01JDQ7ABCDEFGHJKMNPQRSTVWX@example.com>\r\n"
            "X-Costgate-Notification-Id: 01JDQ7ABCDEFGHJKMNPQRSTVWX\r\n"
            "X-Costgate-Topic: BedrockInvocationAlarms\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
            "line one\r\n"
            ".starts with a dot\r\n");
}

}  // namespace
}  // namespace costgate::notify
