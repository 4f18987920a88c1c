"""AWS wire formats for the Python end-to-end tests, written from the specifications and kept
apart from costgate's C++ so each checks the other: SigV4 header signing (as the AWS SDKs sign
Bedrock requests) and the AWS event-stream framing (both CRCs checked).

Standard library only.
"""

import datetime
import hashlib
import hmac
import struct
import urllib.parse
import zlib

SERVICE = "bedrock"


def _hmac(key, text):
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def canonical_uri(path):
    """Every service but S3: the path as sent (already percent-encoded), each segment encoded
    once more, so "/model/a%3A0" is signed as "/model/a%253A0"."""
    return "/".join(urllib.parse.quote(s, safe="-_.~") for s in path.split("/"))


def sigv4_headers(method, host, path, body, access_key_id, secret_access_key, region,
                  service=SERVICE, now=None, session_token=None, extra=None):
    """The headers of a request signed with SigV4 (header form): host, x-amz-date,
    x-amz-content-sha256, x-amz-security-token (with a session token), `extra` (all signed)
    and authorization. `path` is the path as it will be sent; the query must be empty."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    payload = hashlib.sha256(body).hexdigest()
    headers = {"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload}
    if session_token:
        headers["x-amz-security-token"] = session_token
    for k, v in (extra or {}).items():
        headers[k.lower()] = v.strip()
    names = sorted(headers)
    canonical = "\n".join([method, canonical_uri(path), "",
                           "".join("%s:%s\n" % (n, headers[n]) for n in names),
                           ";".join(names), payload])
    scope = "%s/%s/%s/aws4_request" % (day, region, service)
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(("AWS4" + secret_access_key).encode("utf-8"), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
        % (access_key_id, scope, ";".join(names), signature))
    return headers


class Message:
    """One event-stream message: headers (name -> value) and the payload bytes."""

    def __init__(self, headers, payload):
        self.headers = headers
        self.payload = payload

    @property
    def kind(self):
        return self.headers.get(":message-type")

    @property
    def name(self):
        """The :event-type of an event, the :exception-type of an exception."""
        return self.headers.get(":event-type") or self.headers.get(":exception-type")

    def __repr__(self):
        return "Message(%r, %r)" % (self.headers, self.payload[:300])


def _header_value(data, at, kind):
    fixed = {0: (None, 0), 1: (None, 0), 2: (">b", 1), 3: (">h", 2), 4: (">i", 4),
             5: (">q", 8), 8: (">q", 8)}
    if kind in (0, 1):
        return kind == 0, at
    if kind in fixed:
        fmt, n = fixed[kind]
        return struct.unpack_from(fmt, data, at)[0], at + n
    if kind in (6, 7):
        (n,) = struct.unpack_from(">H", data, at)
        raw = data[at + 2:at + 2 + n]
        return (raw.decode("utf-8") if kind == 7 else raw), at + 2 + n
    if kind == 9:
        return data[at:at + 16], at + 16
    raise ValueError("unknown header value type %d" % kind)


def event_stream_messages(data):
    """Decodes a whole event stream; raises ValueError on a bad CRC, a bad length or a
    trailing partial message."""
    out = []
    at = 0
    while at < len(data):
        if len(data) - at < 16:
            raise ValueError("a partial message of %d bytes at %d" % (len(data) - at, at))
        total, hlen, prelude_crc = struct.unpack_from(">III", data, at)
        if zlib.crc32(data[at:at + 8]) != prelude_crc:
            raise ValueError("bad prelude CRC at %d" % at)
        if total < 16 + hlen or at + total > len(data):
            raise ValueError("bad message length %d at %d" % (total, at))
        (msg_crc,) = struct.unpack_from(">I", data, at + total - 4)
        if zlib.crc32(data[at:at + total - 4]) != msg_crc:
            raise ValueError("bad message CRC at %d" % at)
        headers = {}
        h = at + 12
        end = h + hlen
        while h < end:
            n = data[h]
            name = data[h + 1:h + 1 + n].decode("utf-8")
            value, h = _header_value(data, h + 2 + n, data[h + 1 + n])
            headers[name] = value
        out.append(Message(headers, data[end:at + total - 4]))
        at += total
    return out
