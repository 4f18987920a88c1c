#!/usr/bin/env python3
"""Streaming load generator for costgate (bench/streams.sh): holds many streaming calls open.

Opens --streams concurrent streaming chat calls in OpenAI's dialect ("stream": true,
stream_options.include_usage) to costgate, each on its own connection, --rate new connections
a second, with a tenant key and the profile named by the `tags` header; reads every SSE event to
the end and checks each stream: status 200, text/event-stream, chunks received, no error event,
the final chunk carrying costgate's `costgate` object (the call was metered), then [DONE].

It prints a progress line a second (connecting, open = answer started and not finished,
completed, failed, chunks a second) and, at the end, one line
  STREAM_RESULT {json}
with the peak of streams open at once, completed and failed counts, the errors by kind, chunk
counts, time to first chunk and the longest gap between two chunks of a stream (percentiles).
Exit status 0 when every stream completed, else 1.

Raises its own open-files limit (RLIMIT_NOFILE) to fit the streams.

  stream_load.py --port 8080 --key cgk_... [--streams 10000] [--rate 2000] [--max-tokens N]
"""

import argparse
import asyncio
import json
import sys
import time

from benchlib import raise_nofile

KIND_LIMIT = 20  # distinct error messages kept


def percentile(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


class Totals:
    def __init__(self):
        self.started = 0       # connections attempted
        self.connecting = 0    # no answer yet
        self.open = 0          # answer started, not finished
        self.peak_open = 0
        self.peak_in_progress = 0  # connecting + open
        self.completed = 0
        self.failed = 0
        self.metered = 0       # final chunk carried costgate's object
        self.chunks = 0        # content chunks (deltas with text)
        self.events = 0        # SSE events, [DONE] excluded
        self.errors = {}       # kind -> count
        self.first_chunk_ms = []
        self.max_gap_ms = []
        self.duration_ms = []
        self.chunks_per_stream = []

    def error(self, kind):
        if kind not in self.errors and len(self.errors) >= KIND_LIMIT:
            kind = "other"
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def in_progress(self):
        return self.connecting + self.open


class StreamCall(asyncio.Protocol):
    """One streaming call on its own connection."""

    def __init__(self, request, totals, done):
        self.request = request
        self.t = totals
        self.done = done  # future set when the call has ended, either way
        self.transport = None
        self.buf = bytearray()
        self.state = "connecting"  # -> body -> ended
        self.is_open = False  # counted in Totals.open (a 200 event stream is being read)
        self.status = 0
        self.chunked = False
        self.event_stream = False
        self.content_length = None
        self.sse = bytearray()
        self.started_at = time.monotonic()
        self.last_chunk_at = None
        self.max_gap = 0.0
        self.chunks = 0
        self.saw_done = False
        self.metered = False
        self.error_text = None
        self.body = bytearray()  # of a non-stream (error) answer

    # asyncio.Protocol
    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data):
        self.buf += data
        try:
            self.advance()
        except Exception as e:  # a malformed answer ends this call, not the run
            self.finish(f"malformed answer: {e!r}"[:120])

    def connection_lost(self, exc):
        if self.state != "ended":
            what = "connection closed" if exc is None else f"connection lost: {exc}"
            where = (f"mid-stream after {self.chunks} chunks" if self.state == "body"
                     else "before the answer")
            self.finish(f"{what} {where}")

    # HTTP/1.1 answer, chunked
    def advance(self):
        if self.state == "connecting":
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
            del self.buf[:end + 4]
            self.status = int(head[0].split(" ", 2)[1])
            for line in head[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                value = value.strip()
                if name == "transfer-encoding" and "chunked" in value.lower():
                    self.chunked = True
                elif name == "content-type" and value.startswith("text/event-stream"):
                    self.event_stream = True
                elif name == "content-length":
                    self.content_length = int(value)
            self.state = "body"
            if self.status == 200 and self.event_stream:
                self.t.connecting -= 1
                self.t.open += 1
                self.t.peak_open = max(self.t.peak_open, self.t.open)
                self.is_open = True
        if self.state != "body":
            return
        if self.chunked:
            while True:
                eol = self.buf.find(b"\r\n")
                if eol < 0:
                    return
                size = int(bytes(self.buf[:eol]).split(b";")[0], 16)
                if size == 0:
                    if len(self.buf) < eol + 4:
                        return
                    del self.buf[:eol + 4]
                    self.end_of_body()
                    return
                if len(self.buf) < eol + 2 + size + 2:
                    return
                data = bytes(self.buf[eol + 2:eol + 2 + size])
                del self.buf[:eol + 2 + size + 2]
                self.on_body(data)
        else:
            self.on_body(bytes(self.buf))
            self.buf.clear()
            if self.content_length is not None and len(self.body) >= self.content_length:
                self.end_of_body()

    def on_body(self, data):
        if not (self.status == 200 and self.event_stream):
            self.body += data[:4096 - len(self.body)] if len(self.body) < 4096 else b""
            return
        self.sse += data
        while True:
            end = self.sse.find(b"\n\n")
            if end < 0:
                return
            event = bytes(self.sse[:end])
            del self.sse[:end + 2]
            self.on_event(event)

    def on_event(self, event):
        payload = b"\n".join(line[5:].lstrip() for line in event.split(b"\n")
                             if line.startswith(b"data:"))
        if not payload:
            return
        if payload == b"[DONE]":
            self.saw_done = True
            return
        self.t.events += 1
        if b'"error"' in payload:
            try:
                err = json.loads(payload).get("error")
            except ValueError:
                err = None
            if err:
                msg = err.get("message", "") if isinstance(err, dict) else str(err)
                self.error_text = f"error event: {msg}"[:120]
                return
        if b'"costgate"' in payload:
            self.metered = True
        if b'"content":"' in payload and b'"content":""' not in payload:
            now = time.monotonic()
            if self.last_chunk_at is None:
                self.t.first_chunk_ms.append((now - self.started_at) * 1000)
            else:
                self.max_gap = max(self.max_gap, now - self.last_chunk_at)
            self.last_chunk_at = now
            self.chunks += 1
            self.t.chunks += 1

    def end_of_body(self):
        if self.status != 200 or not self.event_stream:
            text = bytes(self.body).decode("utf-8", "replace")
            try:
                text = json.loads(text)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                pass
            self.finish(f"HTTP {self.status}: {text}"[:120])
        elif self.error_text:
            self.finish(self.error_text)
        elif not self.saw_done:
            self.finish("stream ended without [DONE]")
        elif not self.metered:
            self.finish("final chunk without the costgate object")
        elif self.chunks == 0:
            self.finish("no content chunk")
        else:
            self.finish(None)

    def finish(self, error):
        if self.state == "ended":
            return
        t = self.t
        if self.is_open:
            t.open -= 1
        else:
            t.connecting -= 1
        self.state = "ended"
        if error is None:
            t.completed += 1
            t.metered += 1
            t.max_gap_ms.append(self.max_gap * 1000)
            t.duration_ms.append((time.monotonic() - self.started_at) * 1000)
            t.chunks_per_stream.append(self.chunks)
        else:
            t.failed += 1
            t.error(error)
        if self.transport is not None:
            self.transport.close()
        if not self.done.done():
            self.done.set_result(None)


def build_request(o):
    body = {"messages": [{"role": "system", "content": "You are a search assistant."},
                         {"role": "user", "content": "Stream a short answer, slowly."}],
            "stream": True, "stream_options": {"include_usage": True}}
    if o.max_tokens:
        body["max_tokens"] = o.max_tokens
    if o.model:
        body["model"] = o.model
    data = json.dumps(body, separators=(",", ":")).encode()
    headers = [f"POST {o.path} HTTP/1.1", f"Host: {o.host}:{o.port}",
               "Content-Type: application/json", "Accept: text/event-stream",
               f"Content-Length: {len(data)}", "Connection: close"]
    if o.key:
        headers.append(f"Authorization: Bearer {o.key}")
    if o.tags:
        headers.append(f"tags: {o.tags}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + data


async def one_call(loop, o, request, totals, calls_in_progress):
    done = loop.create_future()
    totals.started += 1
    totals.connecting += 1
    totals.peak_in_progress = max(totals.peak_in_progress, totals.in_progress())
    proto = StreamCall(request, totals, done)
    calls_in_progress.add(proto)
    try:
        await loop.create_connection(lambda: proto, o.host, o.port)
    except OSError as e:
        proto.finish(f"connect failed: {e!r}"[:120])
    await done
    calls_in_progress.discard(proto)


async def enforce_timeout(calls_in_progress, timeout):
    """Ends calls older than `timeout` seconds (one sweep a second, no timer per call)."""
    while True:
        await asyncio.sleep(1)
        now = time.monotonic()
        for proto in [p for p in calls_in_progress if now - p.started_at > timeout]:
            proto.finish(f"no end within {timeout:g} s")


async def progress(totals, every, t0):
    last_chunks = 0
    while True:
        await asyncio.sleep(every)
        t = totals
        rate = (t.chunks - last_chunks) / every
        last_chunks = t.chunks
        print(f"[{time.monotonic() - t0:6.1f}s] started {t.started} connecting {t.connecting} "
              f"open {t.open} (peak {t.peak_open}) completed {t.completed} failed {t.failed} "
              f"chunks/s {rate:.0f}", file=sys.stderr, flush=True)


async def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--path", default="/v1/chat/completions")
    ap.add_argument("--key", default="", help="API key (Authorization: Bearer)")
    ap.add_argument("--tags", default="TenantID=customer1,ApplicationID=websearch",
                    help="tags header naming the profile ('' for none)")
    ap.add_argument("--model", default="", help="body model (default: none)")
    ap.add_argument("--streams", type=int, default=10000)
    ap.add_argument("--rate", type=float, default=2000, help="new connections a second")
    ap.add_argument("--max-tokens", type=int, default=0, help="max_tokens in the body (0: none)")
    ap.add_argument("--timeout", type=float, default=300,
                    help="seconds a call may take, connecting included")
    ap.add_argument("--progress-every", type=float, default=1.0)
    o = ap.parse_args()
    limit = raise_nofile(o.streams + 1024)
    if limit < o.streams + 64:
        print(f"open-files limit {limit} is too low for {o.streams} streams", file=sys.stderr)
        return 2
    loop = asyncio.get_running_loop()
    totals = Totals()
    request = build_request(o)
    t0 = time.monotonic()
    reporter = asyncio.create_task(progress(totals, o.progress_every, t0))
    calls_in_progress = set()
    sweeper = asyncio.create_task(enforce_timeout(calls_in_progress, o.timeout))
    calls = []
    # Open at the given rate, reckoned from the clock (a busy loop that wakes late catches up),
    # in small steps so the server's listen backlog does not overflow.
    while len(calls) < o.streams:
        due = min(o.streams, 1 + int(o.rate * (time.monotonic() - t0)))
        while len(calls) < due:
            calls.append(asyncio.create_task(one_call(loop, o, request, totals,
                                                      calls_in_progress)))
        await asyncio.sleep(0.01)
    ramp_s = time.monotonic() - t0
    await asyncio.gather(*calls)
    reporter.cancel()
    sweeper.cancel()
    elapsed = time.monotonic() - t0
    t = totals
    result = {
        "streams": o.streams, "ramp_s": round(ramp_s, 2), "elapsed_s": round(elapsed, 2),
        "peak_open": t.peak_open, "peak_in_progress": t.peak_in_progress,
        "completed": t.completed, "failed": t.failed, "metered": t.metered,
        "errors": dict(sorted(t.errors.items(), key=lambda kv: -kv[1])),
        "content_chunks": t.chunks, "events": t.events,
        "chunks_per_stream": {"min": min(t.chunks_per_stream, default=None),
                              "max": max(t.chunks_per_stream, default=None)},
        "first_chunk_ms": {p: percentile(t.first_chunk_ms, q)
                           for p, q in (("p50", 50), ("p99", 99), ("max", 100))},
        "max_gap_ms": {p: percentile(t.max_gap_ms, q)
                       for p, q in (("p50", 50), ("p99", 99), ("max", 100))},
        "duration_s": {p: (None if v is None else v / 1000) for p, v in
                       (("p50", percentile(t.duration_ms, 50)),
                        ("max", percentile(t.duration_ms, 100)))},
    }
    for k in ("first_chunk_ms", "max_gap_ms", "duration_s"):
        result[k] = {p: (None if v is None else round(v, 2)) for p, v in result[k].items()}
    print("STREAM_RESULT " + json.dumps(result), flush=True)
    return 0 if t.completed == o.streams else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
