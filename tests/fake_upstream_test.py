#!/usr/bin/env python3
"""Self-tests of fake_upstream.py: its wire formats, markers and faults, seen from a plain
HTTP client, so a failing upstream_test.py points at costgate and not at the fake.

    python3 tests/fake_upstream_test.py -v

Standard library only; needs no costgate binary.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

from fake_upstream import FakeUpstream

KEY = "sk-self-test"


class FakeTestCase(unittest.TestCase):
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeUpstream(key=KEY).start()
        cls.addClassCleanup(cls.fake.stop)

    def post(self, path, body, headers=None, timeout=10, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=timeout)
        try:
            conn.request("POST", path, json.dumps(body),
                         dict({"Content-Type": "application/json"}, **(headers or {})))
            resp = conn.getresponse()
            return resp, resp.read()
        finally:
            if own:
                conn.close()

    def openai(self, text, conn=None, **extra):
        body = {"model": "gpt-x", "messages": [{"role": "system", "content": "Be brief."},
                                               {"role": "user", "content": text}]}
        body.update(extra)
        return self.post("/v1/chat/completions", body, {"Authorization": "Bearer " + KEY},
                         conn=conn)

    def anthropic(self, text, **extra):
        body = {"model": "claude-x", "max_tokens": 16, "system": "Be brief.",
                "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]}
        body.update(extra)
        return self.post("/v1/messages", body, {"x-api-key": KEY,
                                                "anthropic-version": "2023-06-01"})

    @staticmethod
    def events(data):
        out = []
        for block in data.decode().split("\n\n"):
            if block.strip():
                name = re.search(r"^event: (.*)$", block, re.M)
                out.append((name.group(1) if name else None,
                            re.search(r"^data: (.*)$", block, re.M).group(1)))
        return out

    def raw(self, request_bytes, timeout=5):
        """Sends bytes, reads until close, timeout or reset: returns (bytes, how it ended)."""
        s = socket.create_connection(("127.0.0.1", self.fake.port), timeout=timeout)
        s.sendall(request_bytes)
        got = b""
        try:
            while True:
                piece = s.recv(65536)
                if not piece:
                    return got, "closed"
                got += piece
        except socket.timeout:
            return got, "timeout"
        except ConnectionResetError:
            return got, "reset"
        finally:
            s.close()

    def raw_post(self, path, body, headers):
        data = json.dumps(body).encode()
        head = "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" % path
        head += "".join("%s: %s\r\n" % kv for kv in headers.items())
        head += "Content-Length: %d\r\n\r\n" % len(data)
        return head.encode() + data


class OpenAiFormatTest(FakeTestCase):

    def test_whole_answer(self):
        resp, data = self.openai("one two three cached=5", max_tokens=4)
        self.assertEqual(resp.status, 200)
        body = json.loads(data)
        self.assertEqual(body["object"], "chat.completion")
        self.assertTrue(body["id"].startswith("chatcmpl-"))
        self.assertEqual(body["model"], "gpt-x")
        c = body["choices"][0]
        self.assertEqual(c["message"]["content"], "w1 w2 w3 w4")
        self.assertEqual(c["finish_reason"], "length")
        self.assertIsNone(c["logprobs"])
        # "Be brief." + 4 words, plus the 5 cached tokens counted in prompt_tokens.
        self.assertEqual(body["usage"]["prompt_tokens"], 6 + 5)
        self.assertEqual(body["usage"]["prompt_tokens_details"]["cached_tokens"], 5)
        self.assertEqual(body["usage"]["completion_tokens"], 4)
        self.assertEqual(body["usage"]["total_tokens"], 15)
        self.assertEqual(body["usage"]["completion_tokens_details"]["reasoning_tokens"], 0)

    def test_defaults_stop_and_words(self):
        _, data = self.openai("hi")
        self.assertEqual(json.loads(data)["choices"][0]["message"]["content"], fake(8))
        _, data = self.openai("hi words=12", stop=["w10"])
        c = json.loads(data)["choices"][0]
        self.assertEqual((c["message"]["content"], c["finish_reason"]), (fake(9), "stop"))
        _, data = self.openai("hi words=40")
        self.assertEqual(json.loads(data)["usage"]["completion_tokens"], 16)

    def test_stream_with_usage(self):
        resp, data = self.openai("a b", stream=True, stream_options={"include_usage": True},
                                 max_tokens=3)
        self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
        self.assertTrue(resp.getheader("Content-Type").startswith("text/event-stream"))
        ev = self.events(data)
        self.assertEqual(ev[-1], (None, "[DONE]"))
        chunks = [json.loads(d) for _, d in ev[:-1]]
        self.assertEqual(chunks[0]["choices"][0]["delta"]["role"], "assistant")
        self.assertEqual("".join(c["choices"][0]["delta"].get("content") or ""
                                 for c in chunks if c["choices"]), "w1 w2 w3")
        self.assertEqual(chunks[-2]["choices"][0]["finish_reason"], "length")
        self.assertEqual(chunks[-1]["choices"], [])
        self.assertEqual(chunks[-1]["usage"]["prompt_tokens"], 4)
        self.assertTrue(all(c["usage"] is None for c in chunks[:-1]))

    def test_stream_without_usage(self):
        _, data = self.openai("a b", stream=True)
        chunks = [json.loads(d) for _, d in self.events(data)[:-1]]
        self.assertTrue(all(c["choices"] and "usage" not in c for c in chunks))

    def test_errors(self):
        resp, data = self.post("/v1/chat/completions", {"model": "x", "messages": []},
                               {"Authorization": "Bearer nope"})
        self.assertEqual(resp.status, 401)
        err = json.loads(data)["error"]
        self.assertEqual(set(err), {"message", "type", "param", "code"})
        self.assertEqual(err["code"], "invalid_api_key")
        resp, data = self.openai("x", stream_options={"include_usage": True})
        self.assertEqual(resp.status, 400)
        resp, data = self.openai("x", bogus=1)
        self.assertEqual(resp.status, 400)
        self.assertIn("bogus", json.loads(data)["error"]["message"])
        for status in (400, 429, 500, 503):
            resp, data = self.openai("x fault=status_%d" % status)
            self.assertEqual(resp.status, status)
            self.assertEqual(set(json.loads(data)["error"]), {"message", "type", "param", "code"})


class AnthropicFormatTest(FakeTestCase):

    def test_whole_answer(self):
        resp, data = self.anthropic("one two cached=3 cache_write=2", max_tokens=5)
        self.assertEqual(resp.status, 200)
        body = json.loads(data)
        self.assertEqual((body["type"], body["role"], body["model"]),
                         ("message", "assistant", "claude-x"))
        self.assertTrue(body["id"].startswith("msg_"))
        self.assertEqual(body["content"], [{"type": "text", "text": fake(5)}])
        self.assertEqual((body["stop_reason"], body["stop_sequence"]), ("max_tokens", None))
        u = body["usage"]
        self.assertEqual((u["input_tokens"], u["cache_read_input_tokens"],
                          u["cache_creation_input_tokens"], u["output_tokens"]), (6, 3, 2, 5))

    def test_stop_sequence(self):
        _, data = self.anthropic("x", stop_sequences=["w3"])
        body = json.loads(data)
        self.assertEqual((body["content"][0]["text"], body["stop_reason"],
                          body["stop_sequence"]), ("w1 w2", "stop_sequence", "w3"))

    def test_stream(self):
        resp, data = self.anthropic("x y", stream=True, max_tokens=2)
        self.assertEqual(resp.getheader("Transfer-Encoding"), "chunked")
        ev = self.events(data)
        self.assertEqual([n for n, _ in ev],
                         ["message_start", "content_block_start", "ping", "content_block_delta",
                          "content_block_delta", "content_block_stop", "message_delta",
                          "message_stop"])
        d = [json.loads(x) for _, x in ev]
        self.assertEqual([x["type"] for x in d], [n for n, _ in ev])
        self.assertEqual(d[0]["message"]["usage"]["input_tokens"], 4)
        self.assertEqual(d[3]["delta"], {"type": "text_delta", "text": "w1"})
        self.assertEqual(d[4]["delta"], {"type": "text_delta", "text": " w2"})
        self.assertEqual(d[6]["usage"], {"output_tokens": 2})
        self.assertEqual(d[6]["delta"]["stop_reason"], "max_tokens")

    def test_errors(self):
        body = {"model": "x", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
        resp, data = self.post("/v1/messages", body, {"x-api-key": "bad",
                                                      "anthropic-version": "2023-06-01"})
        self.assertEqual(resp.status, 401)
        self.assertEqual(json.loads(data)["error"]["type"], "authentication_error")
        resp, data = self.post("/v1/messages", body, {"x-api-key": KEY})
        self.assertEqual(resp.status, 400)
        self.assertIn("anthropic-version", json.loads(data)["error"]["message"])
        resp, data = self.post("/v1/messages", dict(body, max_tokens=None),
                               {"x-api-key": KEY, "anthropic-version": "2023-06-01"})
        self.assertEqual(resp.status, 400)
        resp, data = self.anthropic("x", stream_options={})
        self.assertEqual(resp.status, 400)
        for status, etype in ((529, "overloaded_error"), (500, "api_error"),
                              (429, "rate_limit_error"), (400, "invalid_request_error")):
            resp, data = self.anthropic("x fault=status_%d" % status)
            self.assertEqual(resp.status, status)
            b = json.loads(data)
            self.assertEqual((b["type"], b["error"]["type"]), ("error", etype))
            self.assertTrue(b["request_id"].startswith("req_"))


class FaultTest(FakeTestCase):
    OPENAI = {"Authorization": "Bearer " + KEY}

    def openai_raw(self, text, stream=False):
        body = {"model": "m", "messages": [{"role": "user", "content": text}],
                "stream": stream}
        return self.raw_post("/v1/chat/completions", body, self.OPENAI)

    def test_malformed_json(self):
        resp, data = self.openai("x fault=malformed_json")
        self.assertEqual(resp.status, 200)
        with self.assertRaises(ValueError):
            json.loads(data)
        resp, data = self.openai("x fault=malformed_json", stream=True)
        ev = self.events(data)
        json.loads(ev[0][1])
        with self.assertRaises(ValueError):
            json.loads(ev[1][1])

    def test_delay_headers(self):
        t0 = time.monotonic()
        resp, _ = self.openai("x fault=delay_headers:300")
        self.assertEqual(resp.status, 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.3)

    def test_stall_after_streaming_and_whole(self):
        aborts = self.fake.stats()["client_aborts"]
        got, how = self.raw(self.openai_raw("x fault=stall_after:2", stream=True), timeout=0.5)
        self.assertEqual(how, "timeout")
        self.assertIn(b'"content": " w2"', got)
        self.assertNotIn(b'" w3"', got)
        got, how = self.raw(self.openai_raw("x fault=stall_after:0"), timeout=0.5)
        self.assertEqual(how, "timeout")
        head, _, body = got.partition(b"\r\n\r\n")
        length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
        self.assertEqual(len(body), length // 2)
        # Both hangs saw the client go.
        deadline = time.monotonic() + 2
        while self.fake.stats()["client_aborts"] < aborts + 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.fake.stats()["client_aborts"], aborts + 2)

    def test_cut_after(self):
        got, how = self.raw(self.openai_raw("x fault=cut_after:3", stream=True))
        self.assertEqual(how, "closed")
        self.assertIn(b'" w3"', got)
        self.assertNotIn(b'" w4"', got)
        self.assertNotIn(b"[DONE]", got)
        self.assertFalse(got.endswith(b"0\r\n\r\n"))

    def test_reset(self):
        before = self.fake.stats()["by_path"].get("/v1/chat/completions", 0)
        got, how = self.raw(self.openai_raw("x fault=reset"))
        self.assertEqual((got, how), (b"", "reset"))
        self.assertEqual(self.fake.stats()["by_path"]["/v1/chat/completions"], before + 1)

    def test_chunk_ms(self):
        t0 = time.monotonic()
        _, data = self.openai("x words=4 chunk_ms=100", stream=True)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)
        self.assertIn(b" w4", data)
        t0 = time.monotonic()
        resp, data = self.openai("x words=2 chunk_ms=20")
        self.assertEqual(json.loads(data)["choices"][0]["message"]["content"], "w1 w2")
        self.assertGreaterEqual(time.monotonic() - t0, 20 * (len(data) // 16) / 1000.0)


class StatsTest(FakeTestCase):

    def test_keep_alive_and_stats(self):
        self.fake.reset_stats()
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
        for i in range(3):
            resp, _ = self.openai("keep %d" % i, conn=conn)
            self.assertEqual(resp.status, 200)
        resp, _ = self.openai("x stream", conn=conn, stream=True)
        resp, _ = self.openai("after stream", conn=conn)
        self.assertEqual(resp.status, 200)
        conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=10)
        conn.request("GET", "/_stats")
        s = json.loads(conn.getresponse().read())
        conn.close()
        self.assertEqual(s["requests"], 5)
        self.assertEqual(s["by_path"], {"/v1/chat/completions": 5})
        self.assertEqual(s["connections"], 2)
        self.assertEqual(s["last_request"]["headers"]["authorization"], "Bearer " + KEY)
        self.assertEqual(s["last_request"]["body"]["messages"][-1]["content"], "after stream")
        self.assertEqual(len(self.fake.requests_with("keep 1")), 1)
        resp, _ = self.post("/_reset_stats", {})
        self.assertEqual(self.fake.stats()["requests"], 0)

    def test_script_mode(self):
        here = os.path.dirname(os.path.abspath(__file__))
        proc = subprocess.Popen([sys.executable, os.path.join(here, "fake_upstream.py"),
                                 "--port", "0", "--key", "k"], stdout=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            m = re.fullmatch(r"fake upstream listening on 127\.0\.0\.1:(\d+)\n", line)
            self.assertTrue(m, line)
            conn = http.client.HTTPConnection("127.0.0.1", int(m.group(1)), timeout=10)
            conn.request("GET", "/_stats")
            self.assertEqual(json.loads(conn.getresponse().read())["requests"], 0)
            conn.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(10), 0)
            proc.stdout.close()


def fake(n):
    return " ".join("w%d" % (i + 1) for i in range(n))


if __name__ == "__main__":
    unittest.main()
