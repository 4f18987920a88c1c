#pragma once
// An email (RFC 5322, MIME text/plain UTF-8) for a notification: what the SMTP sender uploads.
// Lines end in CRLF and none is longer than 998 octets; the subject is an RFC 2047 encoded word
// when it is not plain ASCII; the Message-ID comes from the notification id, so a message sent
// again after a crash carries the same one (and X-Costgate-Notification-Id carries the id).

#include <string>
#include <string_view>

#include "common/clock.h"
#include "notify/notification.h"

namespace costgate::notify {

// `from` and `to` are plain addresses (config::isEmailAddress).
std::string composeMail(const Notification& n, std::string_view from, std::string_view to);

// "Fri, 27 Nov 2026 05:16:06 +0000".
std::string rfc5322Date(TimePoint t);

// "<ID@domain>" with the domain of `from`.
std::string messageIdFor(std::string_view notification_id, std::string_view from);

// `text` as it may appear in a header: itself when printable ASCII, else "=?UTF-8?B?...?="
// words of at most 75 characters (never splitting a UTF-8 sequence) folded with CRLF SP.
std::string encodeHeaderText(std::string_view text);

// Quoted-printable (RFC 2045) of `text` with "\n" line breaks, emitted with CRLF.
std::string quotedPrintable(std::string_view text);

}  // namespace costgate::notify
