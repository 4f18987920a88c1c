#!/usr/bin/env python3
"""A fake upstream speaking OpenAI's and Anthropic's wire formats, for end-to-end tests.

One ThreadingHTTPServer on 127.0.0.1 (HTTP/1.1, keep-alive, Content-Length bodies; streams are
server-sent events with Transfer-Encoding: chunked, as both real APIs send them) serving

    POST /v1/chat/completions   OpenAI: `Authorization: Bearer KEY`; errors
                                {"error": {"message", "type", "param", "code"}}
    POST /v1/messages           Anthropic: `x-api-key: KEY` and `anthropic-version`; errors
                                {"type": "error", "error": {"type", "message"}, "request_id"}
    GET  /_stats                what it received (below); POST /_reset_stats clears it

Answers are deterministic, so a test can predict them:

- the text is N words "w1 w2 ... wN", N = min(max_tokens, words) where `words` is 8 unless the
  marker words=K says otherwise and max_tokens defaults to 16 (OpenAI; Anthropic requires it);
  the stop reason is "length" / "max_tokens" when max_tokens < words, else "stop" / "end_turn";
  a stop sequence equal to one of the words ends the text before it ("stop" / "stop_sequence");
- input tokens = the whitespace-separated words of the system prompt and of every message's text;
  output tokens = N. Streams send one word per content chunk ("w1", " w2", ...).

Markers, read from the text of the LAST user message (so they pass through any client dialect
unchanged), each a whitespace-separated word; several may be combined:

    cached=K              OpenAI: prompt_tokens_details.cached_tokens = K and
                          prompt_tokens = words + K; Anthropic: cache_read_input_tokens = K
                          (input_tokens = words)
    cache_write=K         Anthropic: cache_creation_input_tokens = K
    words=K               answer K words (before max_tokens)
    chunk_ms=MS           pause MS between stream chunks; without streaming, the body is sent in
                          16-byte pieces MS apart (keeps a connection busy past a total timeout)
    fault=status_NNN      status NNN with the provider's error body (500, 429, 400, 529, ...)
    fault=malformed_json  200 with a body that is not JSON; streaming: the second data line is not
                          JSON
    fault=delay_headers:MS  wait MS before sending anything
    fault=stall_after:N   streaming: N content chunks, then hang without closing; otherwise the
                          headers and half the body, then hang
    fault=cut_after:N     streaming: N content chunks, then close the connection (no usage, no
                          final events); otherwise the headers and half the body, then close
    fault=reset           read the request, then close the connection with a TCP RST, no answer

A hang ends when the client closes the connection (counted in stats "client_aborts"), when the
fake stops, or after 60 s.

HTTPS: given a certificate chain and its key (FakeUpstream(tls_cert=PEM, tls_key=PEM), or
--tls-cert/--tls-key), the fake speaks TLS on its port (the URLs say https://). The handshake runs
in the connection's own thread; one that fails (e.g. the client does not trust the certificate)
is counted in stats "tls_failures" and the connection is closed without an answer.

Stats (GET /_stats, FakeUpstream.stats()): {"requests", "by_path", "connections" (TCP connections
accepted), "open_connections", "client_aborts", "tls_failures", "last_tls_error",
"last_request": {"path", "headers" (lower-case names), "body" (parsed JSON, or the text when it
is not JSON), "connection"}, "recent": the last 100 such requests}.

As a library:

    fake = FakeUpstream(key="sk-test").start()
    ... fake.port, fake.openai_base_url, fake.anthropic_base_url, fake.stats() ...
    fake.stop()

As a script (prints "fake upstream listening on 127.0.0.1:PORT", with " (https)" after it when
serving TLS, and serves until SIGTERM/SIGINT):

    python3 tests/fake_upstream.py --port 0 --key sk-test

Standard library only.
"""

import argparse
import copy
import http.server
import io
import json
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import uuid

DEFAULT_WORDS = 8
DEFAULT_MAX_TOKENS = 16
HANG_LIMIT_S = 60
RECENT = 100

OPENAI_FIELDS = {
    "model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n",
    "stream", "stream_options", "stop", "presence_penalty", "frequency_penalty", "logit_bias",
    "logprobs", "top_logprobs", "user", "seed", "tools", "tool_choice", "parallel_tool_calls",
    "response_format", "service_tier", "store", "metadata", "reasoning_effort", "modalities",
    "prediction", "audio", "web_search_options",
}
ANTHROPIC_FIELDS = {
    "model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k",
    "stop_sequences", "stream", "metadata", "tools", "tool_choice", "thinking", "service_tier",
    "container", "mcp_servers",
}

OPENAI_ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error",
                      403: "invalid_request_error", 404: "invalid_request_error",
                      429: "requests"}
OPENAI_ERROR_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}
ANTHROPIC_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                         402: "billing_error", 403: "permission_error", 404: "not_found_error",
                         413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
                         529: "overloaded_error"}
ERROR_MESSAGES = {
    400: "Invalid request (injected fault)",
    429: "Rate limit reached for requests (injected fault)",
    500: "The server had an error while processing your request (injected fault)",
    503: "The service is temporarily unavailable (injected fault)",
    529: "Overloaded (injected fault)",
}


class BadRequest(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def text_of(content):
    """The text of a message's content: a string, or a list of parts with "text"."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for part in content:
            if isinstance(part, str):
                out.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                out.append(part["text"])
        return "\n".join(out)
    return ""


def count_words(text):
    return len(text.split())


def parse_markers(text):
    """Markers of the last user message: {"cached": K, ..., "faults": [(name, arg)]}."""
    out = {"faults": []}
    for word in text.split():
        m = re.fullmatch(r"(cached|cache_write|words|chunk_ms)=([0-9]+)", word)
        if m:
            out[m.group(1)] = int(m.group(2))
            continue
        m = re.fullmatch(r"fault=([a-z_]+?)(?:[:_]([0-9]+))?", word)
        if m:
            name, arg = m.group(1), m.group(2)
            if name == "status" and arg:
                out["faults"].append(("status", int(arg)))
            elif name in ("delay_headers", "stall_after", "cut_after") and arg is not None:
                out["faults"].append((name, int(arg)))
            elif name in ("malformed_json", "reset"):
                out["faults"].append((name, None))
    return out


class Plan:
    """What one request gets: text pieces, stop reason and usage, from the request and markers."""

    def __init__(self, words_in, markers, max_tokens, stop_sequences):
        want = markers.get("words", DEFAULT_WORDS)
        limit = max_tokens if max_tokens is not None else DEFAULT_MAX_TOKENS
        n = min(limit, want)
        words = ["w%d" % (i + 1) for i in range(n)]
        self.stop_kind = "max_tokens" if limit < want else "end_turn"
        self.stop_sequence = None
        for i, w in enumerate(words):
            if w in stop_sequences:
                words = words[:i]
                self.stop_kind = "stop_sequence"
                self.stop_sequence = w
                break
        self.words = words
        self.pieces = [w if i == 0 else " " + w for i, w in enumerate(words)]
        self.text = "".join(self.pieces)
        self.input_words = words_in
        self.output_tokens = len(words)
        self.cached = markers.get("cached", 0)
        self.cache_write = markers.get("cache_write", 0)
        self.chunk_ms = markers.get("chunk_ms", 0)
        self.faults = dict(markers["faults"])


def _now():
    return int(time.time())


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def version_string(self):
        return "fake-upstream/1"

    # --- connection bookkeeping ----------------------------------------------------------

    def setup(self):
        self.fake = self.server.fake
        self.tls_failed = False
        ctx = self.fake.tls_context
        if ctx is not None:
            # The handshake happens here, in this connection's thread, not in the accept loop.
            try:
                self.request.settimeout(10)
                self.request = ctx.wrap_socket(self.request, server_side=True)
                self.request.settimeout(None)
            except (ssl.SSLError, OSError) as e:
                self.tls_failed = True
                self.fake._tls_failure(e)
        super().setup()
        self.conn_no = self.fake._opened()

    def handle(self):
        if self.tls_failed:
            self.close_connection = True
            return
        super().handle()

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        if isinstance(self.request, ssl.SSLSocket):
            # socketserver closes the plain socket it accepted, which wrap_socket() detached.
            try:
                self.request.close()
            except OSError:
                pass
        self.fake._closed()

    def log_message(self, fmt, *args):
        if self.fake.verbose:
            sys.stderr.write("fake upstream: %s\n" % (fmt % args))

    # --- reading -------------------------------------------------------------------------

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def record(self, body_bytes):
        try:
            body = json.loads(body_bytes.decode("utf-8")) if body_bytes else None
        except ValueError:
            body = body_bytes.decode("utf-8", "replace")
        entry = {"path": self.path, "method": self.command,
                 "headers": {k.lower(): v for k, v in self.headers.items()},
                 "body": body, "connection": self.conn_no, "time": time.time()}
        self.fake._record(entry)
        return body

    # --- writing -------------------------------------------------------------------------

    def send_json(self, status, obj, extra_headers=()):
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self, extra_headers=()):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for k, v in extra_headers:
            self.send_header(k, v)
        self.end_headers()

    def write_chunk(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")

    def wait(self, ms):
        """Sleeps ms, watching the connection; returns False when the client closed it (or the
        fake is stopping) meanwhile."""
        deadline = time.monotonic() + ms / 1000.0
        sock = self.connection
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            if self.fake._stopping.is_set():
                return False
            try:
                r, _, _ = select.select([sock], [], [], min(left, 0.05))
                if r:
                    # The TCP socket itself (an SSLSocket refuses MSG_PEEK): a TLS record that
                    # arrives counts as data, the connection's end as the client leaving.
                    peek = socket.socket.recv(sock, 1, socket.MSG_PEEK)
                    if not peek:
                        self.fake._client_abort()
                        return False
                    time.sleep(min(left, 0.05))  # data we do not expect: keep waiting
            except (OSError, ValueError):
                self.fake._client_abort()
                return False

    def hang(self):
        """Holds the connection open, sending nothing, until the client closes it."""
        self.wait(HANG_LIMIT_S * 1000)
        self.close_connection = True

    def cut(self):
        """Closes the connection (FIN) without finishing the answer."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def reset(self):
        """Closes the connection with a TCP RST."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            # The socket really closes (and resets) once its file objects are closed too.
            self.rfile.close()
            self.wfile.close()
            self.connection.close()
        except OSError:
            pass
        self.wfile = io.BytesIO()  # what the request loop still flushes goes nowhere

    def send_body_slowly(self, status, data, content_type, chunk_ms, fault):
        """A Content-Length body after its headers: in 16-byte pieces chunk_ms apart, or half of
        it and then a stall or a cut."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault in ("stall_after", "cut_after"):
            self.wfile.write(data[:len(data) // 2])
            self.hang() if fault == "stall_after" else self.cut()
            return
        for i in range(0, len(data), 16):
            if i and not self.wait(chunk_ms):
                self.close_connection = True
                return
            self.wfile.write(data[i:i + 16])

    # --- dispatch ------------------------------------------------------------------------

    def do_GET(self):
        if self.path == "/_stats":
            self.send_json(200, self.fake.stats())
            return
        body = self.read_body()
        self.record(body)
        self.send_json(404, {"error": {"message": "no route %s %s" % (self.command, self.path),
                                       "type": "invalid_request_error", "param": None,
                                       "code": None}})

    def do_POST(self):
        if self.path == "/_reset_stats":
            self.read_body()
            self.fake.reset_stats()
            self.send_json(200, {"ok": True})
            return
        raw = self.read_body()
        body = self.record(raw)
        try:
            if self.path == "/v1/chat/completions":
                self.openai(body)
            elif self.path == "/v1/messages":
                self.anthropic(body)
            else:
                self.send_json(404, {"error": {"message": "Invalid URL (POST %s)" % self.path,
                                               "type": "invalid_request_error", "param": None,
                                               "code": None}})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # --- OpenAI --------------------------------------------------------------------------

    def openai_error(self, status, message, code=None, param=None):
        etype = OPENAI_ERROR_TYPES.get(status, "server_error" if status >= 500
                                       else "invalid_request_error")
        self.send_json(status, {"error": {"message": message, "type": etype, "param": param,
                                          "code": code or OPENAI_ERROR_CODES.get(status)}},
                       [("x-request-id", "req_" + uuid.uuid4().hex)])

    def openai_plan(self, body):
        if not isinstance(body, dict):
            raise BadRequest(400, "We could not parse the JSON body of your request.")
        unknown = sorted(set(body) - OPENAI_FIELDS)
        if unknown:
            raise BadRequest(400, "Unrecognized request argument supplied: %s" % unknown[0])
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise BadRequest(400, "you must provide a model parameter")
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            raise BadRequest(400, "[] is too short - 'messages'")
        words = 0
        last_user = None
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user",
                                                                 "assistant", "tool"):
                raise BadRequest(400, "Invalid value for 'messages[%d].role'" % i)
            if not isinstance(m.get("content"), (str, list)):
                raise BadRequest(400, "Invalid type for 'messages[%d].content'" % i)
            text = text_of(m["content"])
            words += count_words(text)
            if m["role"] == "user":
                last_user = text
        if last_user is None:
            raise BadRequest(400, "no user message")
        mt = body.get("max_completion_tokens", body.get("max_tokens"))
        if mt is not None and (not isinstance(mt, int) or isinstance(mt, bool) or mt < 1):
            raise BadRequest(400, "Invalid 'max_tokens': integer below minimum value.")
        for name, hi in (("temperature", 2), ("top_p", 1)):
            v = body.get(name)
            if v is not None and (not isinstance(v, (int, float)) or not 0 <= v <= hi):
                raise BadRequest(400, "Invalid '%s'" % name)
        stop = body.get("stop")
        if isinstance(stop, str):
            stop = [stop]
        if stop is not None and (not isinstance(stop, list) or len(stop) > 4
                                 or not all(isinstance(s, str) for s in stop)):
            raise BadRequest(400, "Invalid 'stop'")
        if "stream_options" in body and not body.get("stream"):
            raise BadRequest(400, "The 'stream_options' parameter is only allowed when 'stream' "
                                  "is enabled.")
        return Plan(words, parse_markers(last_user), mt, stop or [])

    def openai(self, body):
        auth = self.headers.get("Authorization") or ""
        if auth != "Bearer " + self.fake.key:
            shown = auth[len("Bearer "):] if auth.startswith("Bearer ") else auth
            self.openai_error(401, "Incorrect API key provided: %s. You can find your API key "
                                   "at https://platform.openai.com/account/api-keys."
                              % (shown[:6] + "*" * 4 if shown else "(none)"))
            return
        try:
            plan = self.openai_plan(body)
        except BadRequest as e:
            self.openai_error(e.status, e.message)
            return
        if not self.common_faults(plan, self.openai_error):
            return
        finish = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}[
            plan.stop_kind]
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = _now()
        model = body["model"]
        usage = {"prompt_tokens": plan.input_words + plan.cached,
                 "completion_tokens": plan.output_tokens,
                 "total_tokens": plan.input_words + plan.cached + plan.output_tokens,
                 "prompt_tokens_details": {"cached_tokens": plan.cached, "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                               "accepted_prediction_tokens": 0,
                                               "rejected_prediction_tokens": 0}}
        headers = [("x-request-id", "req_" + uuid.uuid4().hex), ("openai-processing-ms", "1")]
        if not body.get("stream"):
            answer = {"id": cid, "object": "chat.completion", "created": created, "model": model,
                      "choices": [{"index": 0,
                                   "message": {"role": "assistant", "content": plan.text,
                                               "refusal": None, "annotations": []},
                                   "logprobs": None, "finish_reason": finish}],
                      "usage": usage, "service_tier": "default",
                      "system_fingerprint": "fp_fake0001"}
            self.answer_whole(plan, json.dumps(answer).encode("utf-8"), headers)
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

        def chunk(delta, finish_reason=None):
            c = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
                 "service_tier": "default", "system_fingerprint": "fp_fake0001",
                 "choices": [{"index": 0, "delta": delta, "logprobs": None,
                              "finish_reason": finish_reason}]}
            if include_usage:
                c["usage"] = None
            return "data: " + json.dumps(c) + "\n\n"

        first = chunk({"role": "assistant", "content": "", "refusal": None})
        content = [chunk({"content": p}) for p in plan.pieces]
        tail = [chunk({}, finish)]
        if include_usage:
            last = {"id": cid, "object": "chat.completion.chunk", "created": created,
                    "model": model, "service_tier": "default",
                    "system_fingerprint": "fp_fake0001", "choices": [], "usage": usage}
            tail.append("data: " + json.dumps(last) + "\n\n")
        tail.append("data: [DONE]\n\n")
        self.answer_stream(plan, [first], content, tail, headers)

    # --- Anthropic -----------------------------------------------------------------------

    def anthropic_error(self, status, message, code=None, param=None):
        etype = ANTHROPIC_ERROR_TYPES.get(status, "api_error" if status >= 500
                                          else "invalid_request_error")
        rid = "req_" + uuid.uuid4().hex[:24]
        self.send_json(status, {"type": "error", "error": {"type": etype, "message": message},
                                "request_id": rid}, [("request-id", rid)])

    def anthropic_plan(self, body):
        if not isinstance(body, dict):
            raise BadRequest(400, "There was an error parsing the body of your request")
        unknown = sorted(set(body) - ANTHROPIC_FIELDS)
        if unknown:
            raise BadRequest(400, "%s: Extra inputs are not permitted" % unknown[0])
        if not isinstance(body.get("model"), str) or not body["model"]:
            raise BadRequest(400, "model: Field required")
        mt = body.get("max_tokens")
        if mt is None:
            raise BadRequest(400, "max_tokens: Field required")
        if not isinstance(mt, int) or isinstance(mt, bool) or mt < 1:
            raise BadRequest(400, "max_tokens: Input should be a valid integer greater than 0")
        msgs = body.get("messages")
        if not isinstance(msgs, list) or not msgs:
            raise BadRequest(400, "messages: at least one message is required")
        system = body.get("system")
        if system is not None and not isinstance(system, (str, list)):
            raise BadRequest(400, "system: Input should be a valid string or list")
        words = count_words(text_of(system))
        last_user = None
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
                raise BadRequest(400, "messages.%d.role: Input should be 'user' or 'assistant'"
                                 % i)
            if not isinstance(m.get("content"), (str, list)):
                raise BadRequest(400, "messages.%d.content: Field required" % i)
            text = text_of(m["content"])
            words += count_words(text)
            if m["role"] == "user":
                last_user = text
        if last_user is None:
            raise BadRequest(400, "messages: a user message is required")
        for name in ("temperature", "top_p"):
            v = body.get(name)
            if v is not None and (not isinstance(v, (int, float)) or not 0 <= v <= 1):
                raise BadRequest(400, "%s: Input should be less than or equal to 1" % name)
        stop = body.get("stop_sequences")
        if stop is not None and (not isinstance(stop, list)
                                 or not all(isinstance(s, str) for s in stop)):
            raise BadRequest(400, "stop_sequences: Input should be a valid list")
        return Plan(words, parse_markers(last_user), mt, stop or [])

    def anthropic(self, body):
        if self.headers.get("x-api-key") != self.fake.anthropic_key:
            self.anthropic_error(401, "invalid x-api-key")
            return
        if not self.headers.get("anthropic-version"):
            self.anthropic_error(400, "anthropic-version: header is required")
            return
        try:
            plan = self.anthropic_plan(body)
        except BadRequest as e:
            self.anthropic_error(e.status, e.message)
            return
        if not self.common_faults(plan, self.anthropic_error):
            return
        mid = "msg_01" + uuid.uuid4().hex[:22]
        model = body["model"]
        rid = "req_" + uuid.uuid4().hex[:24]
        headers = [("request-id", rid), ("anthropic-organization-id", "fake-org")]
        usage = {"input_tokens": plan.input_words,
                 "cache_creation_input_tokens": plan.cache_write,
                 "cache_read_input_tokens": plan.cached,
                 "output_tokens": plan.output_tokens,
                 "service_tier": "standard"}
        if not body.get("stream"):
            answer = {"id": mid, "type": "message", "role": "assistant", "model": model,
                      "content": [{"type": "text", "text": plan.text}],
                      "stop_reason": plan.stop_kind, "stop_sequence": plan.stop_sequence,
                      "usage": usage}
            self.answer_whole(plan, json.dumps(answer).encode("utf-8"), headers)
            return

        def event(name, data):
            return "event: %s\ndata: %s\n\n" % (name, json.dumps(data))

        start_usage = dict(usage, output_tokens=1)
        head = [
            event("message_start", {"type": "message_start", "message": {
                "id": mid, "type": "message", "role": "assistant", "content": [],
                "model": model, "stop_reason": None, "stop_sequence": None,
                "usage": start_usage}}),
            event("content_block_start", {"type": "content_block_start", "index": 0,
                                          "content_block": {"type": "text", "text": ""}}),
            event("ping", {"type": "ping"}),
        ]
        content = [event("content_block_delta",
                         {"type": "content_block_delta", "index": 0,
                          "delta": {"type": "text_delta", "text": p}}) for p in plan.pieces]
        tail = [
            event("content_block_stop", {"type": "content_block_stop", "index": 0}),
            event("message_delta", {"type": "message_delta",
                                    "delta": {"stop_reason": plan.stop_kind,
                                              "stop_sequence": plan.stop_sequence},
                                    "usage": {"output_tokens": plan.output_tokens}}),
            event("message_stop", {"type": "message_stop"}),
        ]
        self.answer_stream(plan, head, content, tail, headers)

    # --- shared answers and faults ---------------------------------------------------------

    def common_faults(self, plan, error):
        """Faults that come before any answer; returns False when the request is done."""
        f = plan.faults
        if "delay_headers" in f and not self.wait(f["delay_headers"]):
            self.close_connection = True
            return False
        if "reset" in f:
            self.reset()
            return False
        if "status" in f:
            status = f["status"]
            error(status, ERROR_MESSAGES.get(status, "Injected error %d" % status))
            return False
        return True

    def answer_whole(self, plan, data, headers):
        f = plan.faults
        if "malformed_json" in f:
            data = b"<html><body>502 Bad Gateway: not JSON {" + data[:40] + b"</body></html>"
        if "stall_after" in f or "cut_after" in f or plan.chunk_ms:
            fault = "stall_after" if "stall_after" in f else (
                "cut_after" if "cut_after" in f else None)
            self.send_body_slowly(200, data, "application/json", plan.chunk_ms, fault)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def answer_stream(self, plan, head, content, tail, headers):
        f = plan.faults
        events = head + content
        if "malformed_json" in f:
            # The second data line is not JSON; the stream goes on as if nothing happened.
            first, rest = events[0], events[1:]
            events = [first, "data: {\"id\": \"broken, not JSON\n\n"] + rest
        self.start_stream(headers)
        sent_content = 0
        n_head = len(head) + (1 if "malformed_json" in f else 0)
        for i, ev in enumerate(events):
            is_content = i >= n_head
            if is_content:
                if "stall_after" in f and sent_content >= f["stall_after"]:
                    self.hang()
                    return
                if "cut_after" in f and sent_content >= f["cut_after"]:
                    self.cut()
                    return
                if plan.chunk_ms and sent_content and not self.wait(plan.chunk_ms):
                    self.close_connection = True
                    return
            self.write_chunk(ev)
            if is_content:
                sent_content += 1
        if "stall_after" in f:
            self.hang()
            return
        if "cut_after" in f:
            self.cut()
            return
        for ev in tail:
            if plan.chunk_ms and not self.wait(plan.chunk_ms):
                self.close_connection = True
                return
            self.write_chunk(ev)
        self.end_chunks()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class FakeUpstream:
    """The fake as an object: start() binds 127.0.0.1 (port 0: any free port) and serves on a
    background thread; stop() closes it. Thread-safe."""

    def __init__(self, key="sk-fake-test-key", anthropic_key=None, port=0, verbose=False,
                 tls_cert=None, tls_key=None):
        self.key = key
        self.tls_context = None
        if tls_cert:
            self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls_context.load_cert_chain(tls_cert, tls_key)
        self.anthropic_key = anthropic_key if anthropic_key is not None else key
        self.verbose = verbose
        self._want_port = port
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd = None
        self._thread = None
        self._open = 0
        self.reset_stats()

    # --- life ----------------------------------------------------------------------------

    def start(self):
        self._httpd = _Server(("127.0.0.1", self._want_port), Handler)
        self._httpd.fake = self
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-upstream", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
            self._httpd = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._httpd.server_address[1]

    @property
    def url(self):
        scheme = "https" if self.tls_context is not None else "http"
        return "%s://127.0.0.1:%d" % (scheme, self.port)

    @property
    def openai_base_url(self):
        return self.url + "/v1"

    @property
    def anthropic_base_url(self):
        return self.url

    # --- stats ---------------------------------------------------------------------------

    def reset_stats(self):
        with self._lock:
            self._stats = {"requests": 0, "by_path": {}, "connections": 0,
                           "client_aborts": 0, "tls_failures": 0, "last_tls_error": None,
                           "last_request": None}
            self._recent = []

    def stats(self):
        with self._lock:
            s = copy.deepcopy(self._stats)
            s["open_connections"] = self._open
            s["recent"] = copy.deepcopy(self._recent)
        return s

    def requests_with(self, text):
        """The recent requests whose body mentions `text` (e.g. a test's unique word)."""
        out = []
        for r in self.stats()["recent"]:
            if text in json.dumps(r["body"]):
                out.append(r)
        return out

    def _opened(self):
        with self._lock:
            self._stats["connections"] += 1
            self._open += 1
            return self._stats["connections"]

    def _closed(self):
        with self._lock:
            self._open -= 1

    def _client_abort(self):
        with self._lock:
            self._stats["client_aborts"] += 1

    def _tls_failure(self, error):
        with self._lock:
            self._stats["tls_failures"] += 1
            self._stats["last_tls_error"] = str(error)
        if self.verbose:
            sys.stderr.write("fake upstream: TLS handshake failed: %s\n" % error)

    def _record(self, entry):
        with self._lock:
            self._stats["requests"] += 1
            by = self._stats["by_path"]
            by[entry["path"]] = by.get(entry["path"], 0) + 1
            self._stats["last_request"] = entry
            self._recent.append(entry)
            del self._recent[:-RECENT]


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake OpenAI + Anthropic upstream for tests.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--key", default="sk-fake-test-key",
                    help="the OpenAI Bearer key (and the Anthropic x-api-key by default)")
    ap.add_argument("--anthropic-key", default=None)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve HTTPS")
    ap.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    args = ap.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    fake = FakeUpstream(args.key, args.anthropic_key, args.port, args.verbose,
                        tls_cert=args.tls_cert, tls_key=args.tls_key).start()
    print("fake upstream listening on 127.0.0.1:%d%s"
          % (fake.port, " (https)" if fake.tls_context is not None else ""), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
