#!/usr/bin/env python3
"""A slow OpenAI-compatible upstream for costgate's streaming benchmark (bench/streams.sh).

POST .../chat/completions with "stream": true is answered as OpenAI does: a first chunk with
delta {"role": "assistant", "content": ""} at once, then one content chunk every --interval
seconds (--chunks of them, one word each), a chunk with the finish_reason, a usage chunk
("choices": []) when stream_options.include_usage is set (every other chunk then carries
"usage": null), and "data: [DONE]". Without "stream" the whole chat.completion comes back at once.
GET /healthz answers 200. With --api-key, calls without "Authorization: Bearer KEY" get 401.

Built for many slow streams at once: one asyncio Protocol per connection and one timer per
stream (no task, no per-stream buffers beyond the socket's), HTTP/1.1 keep-alive, and its own
open-files limit raised so 10,000 connections fit.

  slow_stream_upstream.py [--port 0] [--chunks 20] [--interval 1.0] [--api-key KEY]

Prints "listening on HOST:PORT" on stdout once ready, then one stats line on stderr every
--stats-every seconds (connections, streams running, streams and chunks done).
"""

import argparse
import asyncio
import json
import signal
import sys
import time

from benchlib import raise_nofile

WORDS = ("costs tenant profile tokens are tracked per call and every answer is priced exactly "
         "the gateway keeps a ledger so nothing answered gets lost").split()
MAX_HEADER_BYTES = 64 * 1024


class Stats:
    connections = 0
    connections_total = 0
    streams_running = 0
    streams_done = 0
    streams_cut = 0  # the client (costgate) went away mid-stream
    completions = 0
    chunks = 0
    peak_connections = 0
    peak_streams = 0


def count_prompt_tokens(body):
    chars = 0
    for m in body.get("messages") or []:
        c = m.get("content")
        if isinstance(c, str):
            chars += len(c)
        elif isinstance(c, list):
            chars += sum(len(p.get("text", "")) for p in c if isinstance(p, dict))
    return (chars + 3) // 4 + 3 * len(body.get("messages") or [])


def http_chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse(obj) -> bytes:
    return b"data: " + json.dumps(obj, separators=(",", ":")).encode() + b"\n\n"


class Upstream(asyncio.Protocol):
    """One client connection: requests in order, one at a time (a stream holds the connection)."""

    def __init__(self, opts, stats):
        self.opts = opts
        self.stats = stats
        self.transport = None
        self.buf = bytearray()
        self.busy = False  # a stream is being sent
        self.timer = None
        self.stream = None  # the stream being sent: ids, counts
        self.closed = False

    # asyncio.Protocol
    def connection_made(self, transport):
        self.transport = transport
        s = self.stats
        s.connections += 1
        s.connections_total += 1
        s.peak_connections = max(s.peak_connections, s.connections)

    def connection_lost(self, exc):
        self.closed = True
        self.stats.connections -= 1
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
            self.stats.streams_running -= 1
            self.stats.streams_cut += 1

    def data_received(self, data):
        self.buf += data
        self.serve_buffered()

    # HTTP/1.1
    def serve_buffered(self):
        while not self.busy and not self.closed:
            req = self.parse_request()
            if req is None:
                return
            self.handle(*req)

    def parse_request(self):
        """(method, path, headers, body) of the next whole request, consumed from buf; else None."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > MAX_HEADER_BYTES:
                self.reply(431, {"error": {"message": "headers too large"}}, close=True)
            return None
        head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        try:
            method, path, _version = head[0].split(" ", 2)
        except ValueError:
            self.reply(400, {"error": {"message": "bad request line"}}, close=True)
            return None
        headers = {}
        for line in head[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body, consumed = self.dechunk(start)
            if body is None:
                return None
            del self.buf[:consumed]
        else:
            n = int(headers.get("content-length", "0") or 0)
            if len(self.buf) < start + n:
                return None
            body = bytes(self.buf[start:start + n])
            del self.buf[:start + n]
        return method, path, headers, body

    def dechunk(self, pos):
        body = bytearray()
        while True:
            eol = self.buf.find(b"\r\n", pos)
            if eol < 0:
                return None, 0
            size = int(bytes(self.buf[pos:eol]).split(b";")[0], 16)
            if size == 0:
                # No trailers expected: the terminating CRLF follows.
                if len(self.buf) < eol + 4:
                    return None, 0
                return bytes(body), eol + 4
            if len(self.buf) < eol + 2 + size + 2:
                return None, 0
            body += self.buf[eol + 2:eol + 2 + size]
            pos = eol + 2 + size + 2

    def reply(self, status, obj, close=False):
        body = json.dumps(obj, separators=(",", ":")).encode()
        reason = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found",
                  431: b"Request Header Fields Too Large"}.get(status, b"Error")
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n%s\r\n%s"
            % (status, reason, len(body), b"connection: close\r\n" if close else b"", body))
        if close:
            self.closed = True
            self.transport.close()

    def handle(self, method, path, headers, body):
        o = self.opts
        if method == "GET" and path.rstrip("/").endswith("/healthz"):
            self.reply(200, {"status": "ok"})
            return
        if method != "POST" or not path.split("?")[0].endswith("/chat/completions"):
            self.reply(404, {"error": {"message": f"no route {method} {path}",
                                       "type": "invalid_request_error"}})
            return
        if o.api_key and headers.get("authorization", "") != "Bearer " + o.api_key:
            self.reply(401, {"error": {"message": "Incorrect API key provided",
                                       "type": "invalid_request_error", "code": "invalid_api_key"}})
            return
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            self.reply(400, {"error": {"message": "body is not JSON",
                                       "type": "invalid_request_error"}})
            return
        model = req.get("model") or "gpt-4o-mini"
        prompt = count_prompt_tokens(req)
        cid = "chatcmpl-slow%012x" % self.stats.connections_total
        created = int(time.time())
        if not req.get("stream"):
            self.stats.completions += 1
            n = o.chunks
            text = " ".join(WORDS[i % len(WORDS)] for i in range(n))
            self.reply(200, {
                "id": cid, "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text,
                                                     "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": n,
                          "total_tokens": prompt + n},
                "system_fingerprint": "fp_slow"})
            return
        include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
        self.busy = True
        self.stream = {"id": cid, "created": created, "model": model, "prompt": prompt,
                       "include_usage": include_usage, "sent": 0}
        self.stats.streams_running += 1
        self.stats.peak_streams = max(self.stats.peak_streams, self.stats.streams_running)
        self.transport.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n"
            b"cache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n" +
            http_chunk(self.chunk({"role": "assistant", "content": ""}, None)))
        self.timer = asyncio.get_running_loop().call_later(o.interval, self.tick)

    def chunk(self, delta, finish):
        st = self.stream
        c = {"id": st["id"], "object": "chat.completion.chunk", "created": st["created"],
             "model": st["model"], "system_fingerprint": "fp_slow",
             "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
        if st["include_usage"]:
            c["usage"] = None
        return sse(c)

    def tick(self):
        self.timer = None
        if self.closed:
            return
        st = self.stream
        i = st["sent"]
        word = WORDS[i % len(WORDS)]
        self.transport.write(http_chunk(self.chunk({"content": word if i == 0 else " " + word},
                                                   None)))
        self.stats.chunks += 1
        st["sent"] = i + 1
        if st["sent"] < self.opts.chunks:
            self.timer = asyncio.get_running_loop().call_later(self.opts.interval, self.tick)
            return
        out = self.chunk({}, "stop")
        if st["include_usage"]:
            n = st["sent"]
            out += sse({"id": st["id"], "object": "chat.completion.chunk",
                        "created": st["created"], "model": st["model"],
                        "system_fingerprint": "fp_slow", "choices": [],
                        "usage": {"prompt_tokens": st["prompt"], "completion_tokens": n,
                                  "total_tokens": st["prompt"] + n}})
        out += b"data: [DONE]\n\n"
        self.transport.write(http_chunk(out) + b"0\r\n\r\n")
        self.stats.streams_running -= 1
        self.stats.streams_done += 1
        self.busy = False
        self.stream = None
        self.serve_buffered()


async def report(stats, every):
    while True:
        await asyncio.sleep(every)
        s = stats
        print(f"upstream: {s.connections} connections (peak {s.peak_connections}), "
              f"{s.streams_running} streams running (peak {s.peak_streams}), "
              f"{s.streams_done} done, {s.streams_cut} cut, {s.completions} completions, "
              f"{s.chunks} chunks", file=sys.stderr, flush=True)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    ap.add_argument("--chunks", type=int, default=20, help="content chunks per stream")
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between chunks")
    ap.add_argument("--api-key", default="", help="require Authorization: Bearer KEY")
    ap.add_argument("--nofile", type=int, default=65536, help="open-files limit to raise to")
    ap.add_argument("--stats-every", type=float, default=5.0)
    o = ap.parse_args()
    limit = raise_nofile(o.nofile)
    stats = Stats()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Upstream(o, stats), o.host, o.port, backlog=65535,
                                      reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {o.host}:{port} (open-files limit {limit})", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    reporter = asyncio.create_task(report(stats, o.stats_every))
    await stop.wait()
    reporter.cancel()
    server.close()
    print(f"upstream: stopped; {stats.streams_done} streams done, {stats.streams_cut} cut, "
          f"peak {stats.peak_streams} streams on {stats.peak_connections} connections",
          file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
