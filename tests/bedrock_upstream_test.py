#!/usr/bin/env python3
"""End-to-end tests of costgate's `bedrock` upstream against tests/sdk/fake_bedrock.mjs.

The fake speaks Bedrock's runtime (Converse, ConverseStream in the AWS event-stream framing) and
verifies every SigV4 signature with @smithy/signature-v4, independently of costgate's C++. The
workspace's config.json gets upstreams.bedrock {endpoint: the fake, region, short timeouts,
models}, and the example profiles are moved onto it, two by "provider", two by
"default_provider":

    customer1_websearch  haiku       provider bedrock   (unmapped: "...-v1:0" sent as "...-v1%3A0")
    customer1_codingbot  sonnet      provider bedrock   (models: sonnet -> a system-defined
                                                         inference profile ARN, ':' and '/' encoded)
    customer2_websearch  nova micro  default_provider
    customer2_codingbot  nova pro    default_provider

The fake's answers are predictable (N words "w1 ... wN", input tokens = the words of the system
prompt and messages, markers such as cached=K or fault=throttle in the last user message), so
each test knows the exact usage, prices it with Decimal from examples/models.json, and checks
the client's answer, the x-costgate headers, what the fake received (path, modelId, body, a
valid signature) and the ledger. Clients of every dialect: /v1/chat/completions, /v1/messages,
/invoke, and /model/{modelId}/converse[-stream] signed with SigV4 (tests/aws_wire.py) with a
credential from `costgate keys create --aws`.

    COSTGATE_BIN=build/costgate COSTGATE_NODE=node python3 tests/bedrock_upstream_test.py -v

Needs node and tests/sdk/node_modules (for the fake). Standard library only otherwise.
"""

import json
import time
import unittest
import urllib.parse
import uuid
from decimal import Decimal

from aws_wire import event_stream_messages, sigv4_headers
from testlib import (HAIKU, HTTP_TIMEOUT_S, NOVA_MICRO_US, NOVA_PRO, REGION, SONNET, FakeBedrock,
                     GatewayTestCase, Server, Workspace, anthropic_stream_facts, check_environment,
                     expected_cost, openai_stream_facts, request)

TIMEOUTS = {"connect": 1000, "first_byte": 800, "idle": 600, "total": 3000}
TIMEOUT_S = {k: v / 1000.0 for k, v in TIMEOUTS.items()}
SLACK_S = 1.5  # how much later than its deadline a timeout may fire on a loaded machine

SONNET_ARN = "arn:aws:bedrock:%s:123456789012:inference-profile/us.%s" % (REGION, SONNET)
MODELS = {SONNET: SONNET_ARN}
PROFILES = {"customer1_websearch": HAIKU, "customer1_codingbot": SONNET,
            "customer2_websearch": NOVA_MICRO_US, "customer2_codingbot": NOVA_PRO}
SYSTEM = "You are a terse assistant."
PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages", "seed": "/invoke"}
DIALECT_NAMES = {"openai": "openai", "anthropic": "anthropic", "seed": "seed",
                 "converse": "bedrock"}
STOP_NAMES = {"openai": {"stop_sequence": "stop", "max_tokens": "length", "end_turn": "stop"}}


def words(text):
    return len(text.split())


def fake_words(n):
    return " ".join("w%d" % (i + 1) for i in range(n))


def unique():
    """A word no other request carries, to find this call's request at the fake."""
    return "tok-" + uuid.uuid4().hex[:12]


def estimated_input(text, system=SYSTEM):
    """providers::estimateInputTokens of one user message and a system prompt."""
    return (len(system) + len(text) + 3) // 4 + 3 + 3


def upstream_path(profile, stream):
    model = MODELS.get(PROFILES[profile], PROFILES[profile])
    return "/model/%s/%s" % (urllib.parse.quote(model, safe="-_.~"),
                             "converse-stream" if stream else "converse")


def bedrock_workspace(url, timeouts=None):
    def edit(config):
        for p in config["profiles"]:
            if p["name"].startswith("customer1_"):
                p["provider"] = "bedrock"
        config["default_provider"] = "bedrock"
    ups = {"bedrock": {"endpoint": url, "region": REGION,
                       "timeouts_ms": dict(TIMEOUTS, **(timeouts or {})), "models": MODELS}}
    return Workspace(prefix="costgate-bedrock-test-", config_keys={"upstreams": ups},
                     edit_config=edit)


def client_body(dialect, text, max_tokens=24, stream=False, stop=None):
    """A request in a client dialect with every translated parameter set."""
    if dialect == "openai":
        body = {"messages": [{"role": "system", "content": SYSTEM},
                             {"role": "user", "content": text}],
                "max_tokens": max_tokens, "temperature": 0.5, "top_p": 0.9}
        if stop is not None:
            body["stop"] = stop
        if stream:
            body.update(stream=True, stream_options={"include_usage": True})
        return body
    if dialect == "anthropic":
        body = {"system": SYSTEM, "max_tokens": max_tokens, "temperature": 0.5, "top_p": 0.9,
                "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]}
        if stop is not None:
            body["stop_sequences"] = stop
        if stream:
            body["stream"] = True
        return body
    cfg = {"maxTokens": max_tokens, "temperature": 0.5, "topP": 0.9}
    if stop is not None:
        cfg["stopSequences"] = stop
    return {"messages": [{"role": "user", "content": [{"text": text}]}],
            "system": [{"text": SYSTEM}], "inferenceConfig": cfg}


class BedrockTestCase(GatewayTestCase):
    """The fake, a workspace whose profiles use it, an AWS credential for SigV4 clients, and
    `costgate serve` signing with the fake's credentials, for the whole class."""
    fake_options = {}
    costgate_secret = None  # another secret than the fake's: every signature is wrong

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeBedrock(**cls.fake_options)
        cls.addClassCleanup(cls.fake.stop)
        env = {"AWS_SESSION_TOKEN": None, "AWS_PROFILE": None}
        env.update(cls.fake.env())
        if cls.costgate_secret:
            env["AWS_SECRET_ACCESS_KEY"] = cls.costgate_secret
        cls.server_env = env
        super().setUpClass()

    @classmethod
    def make_workspace(cls):
        ws = bedrock_workspace(cls.fake.url)
        cls.aws = ws.json_ok("keys", "create", "--aws", "--admin")
        return ws

    # --- calls ---------------------------------------------------------------------------

    def call(self, dialect, profile, body, stream=False, model_by="arn", timeout=HTTP_TIMEOUT_S):
        """POSTs `body` in `dialect` for `profile`; converse calls are SigV4-signed and name the
        profile in the path by its ARN, its id, or (model_by="model") by the model id with an
        inference-profile-name header. Returns (reply, seconds it took)."""
        if dialect != "converse":
            headers = dict(self.admin, **{"inference-profile-name": profile})
            t0 = time.monotonic()
            r = self.post(PATHS[dialect], body, headers, timeout=timeout)
            return r, time.monotonic() - t0
        p = self.ws.profiles[profile]
        model_id = {"arn": p["arn"], "id": p["id"], "model": PROFILES[profile]}[model_by]
        path = "/model/%s/%s" % (urllib.parse.quote(model_id, safe="-_.~"),
                                 "converse-stream" if stream else "converse")
        data = json.dumps(body).encode("utf-8")
        extra = {"content-type": "application/json"}
        if model_by == "model":
            extra["inference-profile-name"] = profile
        headers = sigv4_headers("POST", "127.0.0.1:%d" % self.server.port, path, data,
                                self.aws["access_key_id"], self.aws["secret_access_key"],
                                "eu-central-1", extra=extra)
        # testlib.request() sets Content-Type itself; one header, not two.
        headers["Content-Type"] = headers.pop("content-type")
        t0 = time.monotonic()
        r = request(self.server.port, "POST", path, data, headers, timeout=timeout)
        return r, time.monotonic() - t0

    def fake_requests(self, token, want=1, wait_s=0.0):
        """What the fake received carrying `token`; asserts there are `want` of them."""
        if wait_s:
            time.sleep(wait_s)
        got = [r for r in self.fake.requests() if token in json.dumps(r["body"])]
        self.assertEqual(len(got), want, json.dumps(got)[:3000])
        return got

    # --- what the fake received ----------------------------------------------------------

    def assert_fake_request(self, profile, token, text, max_tokens, stream, stop=None):
        """The one request the fake got for this call: path, modelId, body and signature."""
        req = self.fake_requests(token)[0]
        self.assertEqual(req["method"], "POST")
        self.assertEqual(req["path"], upstream_path(profile, stream), req)
        self.assertEqual(req["operation"], "ConverseStream" if stream else "Converse", req)
        self.assertEqual(req["modelId"], MODELS.get(PROFILES[profile], PROFILES[profile]))
        self.assert_signed(req)
        cfg = {"maxTokens": max_tokens, "temperature": 0.5, "topP": 0.9}
        if stop:
            cfg["stopSequences"] = stop
        self.assertEqual(req["body"], {"messages": [{"role": "user", "content": [{"text": text}]}],
                                       "system": [{"text": SYSTEM}], "inferenceConfig": cfg})
        h = req["headers"]
        self.assertEqual(h.get("content-type"), "application/json", h)
        self.assertEqual(h.get("accept"), "application/vnd.amazon.eventstream" if stream
                         else "application/json", h)
        self.assertEqual({k: v for k, v in h.items() if "cgk_" in v or self.aws["access_key_id"]
                          in v or k.startswith("x-costgate") or k.startswith("inference-")}, {},
                         "the client's credentials or costgate's headers went to Bedrock")
        return req

    def assert_signed(self, req, session_token=None):
        sig = req["signature"]
        self.assertEqual(sig, {"ok": True, "accessKeyId": self.fake.access_key_id,
                               "region": REGION, "service": "bedrock",
                               "signedHeaders": sig.get("signedHeaders")}, req)
        for name in ("host", "x-amz-date", "x-amz-content-sha256", "content-type"):
            self.assertIn(name, sig["signedHeaders"], sig)
        self.assertEqual(req["headers"].get("x-amz-security-token"), session_token, req)
        if session_token:
            self.assertIn("x-amz-security-token", sig["signedHeaders"], sig)

    # --- what the client got -------------------------------------------------------------

    def answer(self, dialect, reply, stream):
        """(text, stop reason, usage facts, costgate object) of a successful answer; usage facts
        = (plain input, output, cache read, cache write) as the dialect reports them."""
        self.assertEqual(reply.status, 200, reply)
        if dialect == "converse" and stream:
            self.assertEqual(reply.header("content-type"), "application/vnd.amazon.eventstream")
            msgs = event_stream_messages(reply.body)
            names = [m.name for m in msgs]
            self.assertEqual(names[0], "messageStart", names)
            self.assertEqual(names[-3:], ["contentBlockStop", "messageStop", "metadata"], names)
            self.assertEqual(set(names[1:-3]), {"contentBlockDelta"}, names)
            self.assertEqual({m.kind for m in msgs}, {"event"}, msgs)
            data = [json.loads(m.payload) for m in msgs]
            text = "".join(d["delta"]["text"] for d in data[1:-3])
            u = data[-1]["usage"]
            return (text, data[-2]["stopReason"], self.converse_usage(u), data[-1]["costgate"])
        if dialect == "openai" and stream:
            text, chunk, info = openai_stream_facts(self, reply, include_usage=True)
            finish = [c["choices"][0]["finish_reason"] for c in
                      (json.loads(d) for _, d in reply.events() if d != "[DONE]")
                      if c["choices"] and c["choices"][0]["finish_reason"]]
            u = chunk["usage"]
            return text, finish[0], self.openai_usage(u), info
        if dialect == "anthropic" and stream:
            text, u, info = anthropic_stream_facts(self, reply, same_input_at_start=False)
            delta = json.loads([d for n, d in reply.events() if n == "message_delta"][0])
            return text, delta["delta"]["stop_reason"], self.anthropic_usage(u), info
        body = reply.json()
        if dialect == "openai":
            c = body["choices"][0]
            return (c["message"]["content"], c["finish_reason"], self.openai_usage(body["usage"]),
                    body["costgate"])
        if dialect == "anthropic":
            return ("".join(b["text"] for b in body["content"]), body["stop_reason"],
                    self.anthropic_usage(body["usage"]), body["costgate"])
        message = body["message"] if dialect == "seed" else body["output"]["message"]
        self.assertEqual(message["role"], "assistant", body)
        return ("".join(b["text"] for b in message["content"]), body["stopReason"],
                self.converse_usage(body["usage"]), body["costgate"])

    def converse_usage(self, u):
        cr, cw = u.get("cacheReadInputTokens", 0), u.get("cacheWriteInputTokens", 0)
        self.assertEqual(u["totalTokens"], u["inputTokens"] + u["outputTokens"] + cr + cw, u)
        return u["inputTokens"], u["outputTokens"], cr, cw

    @staticmethod
    def openai_usage(u):
        """(all input, output, cache reads, None): OpenAI has no cache writes."""
        cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens", 0)
        return u["prompt_tokens"], u["completion_tokens"], cached, None

    @staticmethod
    def anthropic_usage(u):
        return (u["input_tokens"], u["output_tokens"], u.get("cache_read_input_tokens", 0),
                u.get("cache_creation_input_tokens", 0))

    def assert_costgate(self, reply, info, profile, inp, out, cache_read=0, cache_write=0,
                        stream=False):
        """The x-costgate headers (whole answers) and the "costgate" object; returns the call
        id and the exact cost."""
        cost = expected_cost(PROFILES[profile], inp, out, cache_read, cache_write)
        call_id = reply.header("x-costgate-call-id")
        self.assertEqual(reply.header("x-costgate-profile"), profile, reply)
        self.assertEqual(info["call_id"], call_id, info)
        want = {"call_id": call_id, "profile": profile, "cost_usd": info["cost_usd"],
                "input_tokens": inp, "output_tokens": out}
        if cache_read:
            want["cache_read_input_tokens"] = cache_read
        if cache_write:
            want["cache_write_input_tokens"] = cache_write
        self.assertEqual(info, want)
        self.assertEqual(Decimal(info["cost_usd"]), cost, info)
        if not stream:
            self.assertEqual([reply.header(h) for h in ("x-costgate-input-tokens",
                                                        "x-costgate-output-tokens")],
                             [str(inp + cache_read + cache_write), str(out)], reply)
            self.assertEqual(reply.header("x-costgate-cost-usd"), info["cost_usd"], reply)
        return call_id, cost

    def assert_ledger(self, call_id, profile, dialect, inp, out, cache_read=0, cache_write=0):
        rec = self.ws.usage_record(call_id)
        self.assertIsNotNone(rec, "call %s is not in `costgate usage`" % call_id)
        want_cost = expected_cost(PROFILES[profile], inp, out, cache_read, cache_write)
        self.assertEqual((rec["status"], rec["http_status"], rec["error_type"], rec["estimated"],
                          rec["upstream"], rec["dialect"], rec["profile_name"], rec["model_id"]),
                         ("success", 200, "", False, "bedrock", DIALECT_NAMES[dialect], profile,
                          PROFILES[profile]), rec)
        self.assertEqual(rec["usage"], {"input_tokens": inp, "output_tokens": out,
                                        "cache_read_tokens": cache_read,
                                        "cache_write_tokens": cache_write}, rec)
        self.assertEqual(Decimal(rec["cost"]["total_usd"]), want_cost, rec)
        self.assertEqual(self.ws.ledger_count(call_id), 1)

    def assert_failure_row(self, reply, http_status, error_type, estimated=False, usage=None,
                           profile=None):
        """The ledger row of a failed call: status, type, estimated flag, tokens (in, out) and
        their exact cost (zero without usage)."""
        row = self.ws.ledger_row(reply.header("x-costgate-call-id"))
        self.assertIsNotNone(row, "the failed call is not in the ledger: %r" % reply)
        self.assertEqual((row["status"], row["http_status"], row["error_type"],
                          bool(row["estimated"]), row["upstream"]),
                         ("failure", http_status, error_type, estimated, "bedrock"), row)
        inp, out = usage or (0, 0)
        self.assertEqual((row["input_tokens"], row["output_tokens"], row["cache_read_tokens"],
                          row["cache_write_tokens"]), (inp, out, 0, 0), row)
        model = PROFILES[profile or row["profile_name"]]
        self.assertEqual(Decimal(row["total_cost"]), expected_cost(model, inp, out), row)
        return row

    def assert_error(self, reply, dialect, status, error_type, message_re):
        """A whole error answer in the client dialect's shape; returns its message."""
        self.assertEqual(reply.status, status, reply)
        self.assertTrue(reply.header("content-type", "").startswith("application/json"), reply)
        body = reply.json()
        if dialect == "converse":
            # AWS's shape: the exception in x-amzn-ErrorType, the body {"message"}.
            self.assertEqual(reply.header("x-amzn-errortype"), error_type, reply)
            self.assertEqual(list(body), ["message"], reply)
            message = body["message"]
        else:
            if dialect == "anthropic":
                self.assertEqual(body.get("type"), "error", reply)
            err = body["error"]
            self.assertEqual(err["type"], error_type, reply)
            if dialect == "openai":
                self.assertIn("param", err, reply)
                self.assertIn("code", err, reply)
            message = err["message"]
        self.assertRegex(message, message_re, reply)
        return message

    def stream_error(self, reply, dialect):
        """A stream that started (200) and ended with an error in the client's dialect; returns
        (the text streamed before it, error type, message)."""
        self.assertEqual(reply.status, 200, reply)
        if dialect == "converse":
            msgs = event_stream_messages(reply.body)
            self.assertEqual(msgs[-1].kind, "exception", msgs)
            self.assertEqual([m.kind for m in msgs[:-1]], ["event"] * (len(msgs) - 1), msgs)
            text = "".join(json.loads(m.payload)["delta"]["text"] for m in msgs
                           if m.name == "contentBlockDelta")
            payload = json.loads(msgs[-1].payload)
            self.assertEqual(list(payload), ["message"], msgs[-1])
            return text, msgs[-1].name, payload["message"]
        events = reply.events()
        text = ""
        if dialect == "openai":
            self.assertEqual(events[-1], (None, "[DONE]"), reply)
            chunks = [json.loads(d) for _, d in events[:-1]]
            for c in chunks[:-1]:
                self.assertNotIn("error", c, reply)
                for ch in c["choices"]:
                    text += ch["delta"].get("content") or ""
                    self.assertIsNone(ch["finish_reason"], reply)
            err = chunks[-1]["error"]
        else:
            names = [n for n, _ in events]
            self.assertEqual(names[-1], "error", reply)
            self.assertNotIn("message_stop", names, reply)
            text = "".join(json.loads(d)["delta"]["text"] for n, d in events
                           if n == "content_block_delta")
            last = json.loads(events[-1][1])
            self.assertEqual(last["type"], "error", reply)
            err = last["error"]
        return text, err["type"], err["message"]


# ================================================================================= answers


class MatrixTest(BedrockTestCase):
    """Every client dialect to the bedrock upstream, whole and streamed."""

    def run_case(self, dialect, profile, stream, model_by="arn"):
        token = unique()
        text = "Tell me about %s please" % token
        if stream:
            # maxTokens cuts the answer; a stop sequence that never matches is still passed on.
            max_tokens, stop, n, kind = 3, ["ZZZ"], 3, "max_tokens"
        else:
            # The stop sequence ends the eight-word answer before w6.
            max_tokens, stop, n, kind = 24, ["w6", "ZZZ"], 5, "stop_sequence"
        r, _ = self.call(dialect, profile, client_body(dialect, text, max_tokens, stream, stop),
                         stream=stream, model_by=model_by)
        got_text, got_stop, usage, info = self.answer(dialect, r, stream)
        inp = words(SYSTEM) + words(text)
        self.assertEqual(got_text, fake_words(n), r)
        self.assertEqual(got_stop, STOP_NAMES.get(dialect, {}).get(kind, kind), r)
        self.assertEqual(usage[:2], (inp, n), r)
        call_id, _ = self.assert_costgate(r, info, profile, inp, n, stream=stream)
        self.assert_fake_request(profile, token, text, max_tokens, stream, stop)
        self.assert_ledger(call_id, profile, dialect, inp, n)


def _add_matrix_tests():
    profiles = ("customer1_websearch", "customer1_codingbot", "customer2_websearch")
    i = 0
    for dialect in ("openai", "anthropic", "seed", "converse"):
        for stream in ((False,) if dialect == "seed" else (False, True)):
            profile = profiles[i % 3]
            model_by = ("arn", "id", "model")[i % 3]
            i += 1
            name = "test_%s_%s_%s" % (dialect, "stream" if stream else "whole", profile)

            def test(self, dialect=dialect, profile=profile, stream=stream, model_by=model_by):
                self.run_case(dialect, profile, stream, model_by)
            test.__name__ = name
            setattr(MatrixTest, name, test)


_add_matrix_tests()


class CacheTest(BedrockTestCase):
    """cacheReadInputTokens and cacheWriteInputTokens priced at Sonnet's cache prices."""

    def test_cache_read_and_write(self):
        profile = "customer1_codingbot"
        for dialect, stream in (("converse", False), ("converse", True), ("anthropic", True),
                                ("seed", False), ("openai", True)):
            with self.subTest(client=dialect, stream=stream):
                token = unique()
                text = "Cached question %s cached=11 cache_write=13" % token
                r, _ = self.call(dialect, profile, client_body(dialect, text, 6, stream),
                                 stream=stream)
                got_text, _, usage, info = self.answer(dialect, r, stream)
                plain = words(SYSTEM) + words(text)
                self.assertEqual(got_text, fake_words(6))
                if dialect == "openai":
                    self.assertEqual(usage[:3], (plain + 24, 6, 11), r)
                else:
                    self.assertEqual(usage, (plain, 6, 11, 13), r)
                call_id, cost = self.assert_costgate(r, info, profile, plain, 6, 11, 13, stream)
                self.assertNotEqual(cost, expected_cost(SONNET, plain + 24, 6),
                                    "the test cannot tell cache tokens from input")
                self.assert_fake_request(profile, token, text, 6, stream)
                self.assert_ledger(call_id, profile, dialect, plain, 6, 11, 13)


# ================================================================================= failures


class FaultTest(BedrockTestCase):

    def test_http_errors_reach_the_client_in_its_dialect(self):
        # Before any byte of an answer: a whole error answer even for a stream.
        cases = [("throttle", 429, "ThrottlingException"),
                 ("validation", 400, "ValidationException"),
                 ("500", 500, "InternalServerException"),
                 ("503", 503, "ServiceUnavailableException")]
        clients = [("openai", False), ("anthropic", True), ("seed", False), ("converse", False),
                   ("converse", True), ("openai", True)]
        for i, (fault, status, aws_type) in enumerate(cases):
            for dialect, stream in clients[i:i + 3]:
                with self.subTest(fault=fault, client=dialect, stream=stream):
                    token = unique()
                    r, _ = self.call(dialect, "customer2_websearch", client_body(
                        dialect, "Fail %s fault=%s" % (token, fault), stream=stream),
                        stream=stream)
                    self.assertEqual(r.header("x-costgate-profile"), "customer2_websearch")
                    self.assert_error(r, dialect, status,
                                      aws_type if dialect == "converse" else "upstream_error",
                                      r"^upstream bedrock answered %d: %s: .*\(injected fault\)$"
                                      % (status, aws_type))
                    self.assert_failure_row(r, status, "upstream_error")
                    self.fake_requests(token, want=1, wait_s=0.1)

    def test_exception_mid_stream_ends_with_the_dialects_error_event(self):
        for dialect, fault, status, aws_type in (
                ("openai", "midstream", 424, "modelStreamErrorException"),
                ("anthropic", "midstream", 424, "modelStreamErrorException"),
                ("converse", "midstream", 424, "modelStreamErrorException"),
                ("converse", "midstream_throttle", 429, "throttlingException")):
            with self.subTest(client=dialect, fault=fault):
                token = unique()
                text = "Break %s fault=%s" % (token, fault)
                r, _ = self.call(dialect, "customer1_websearch",
                                 client_body(dialect, text, stream=True), stream=True)
                got, err_type, message = self.stream_error(r, dialect)
                self.assertEqual(got, "w1 w2", r)
                self.assertEqual(err_type, aws_type if dialect == "converse" else "upstream_error")
                self.assertRegex(message, "^upstream error in the stream: %s: " % aws_type)
                # Charged for what was generated: the usage never came, so it is estimated.
                self.assert_failure_row(r, status, "upstream_error", estimated=True,
                                        usage=(estimated_input(text), 2))
                self.fake_requests(token, want=1, wait_s=0.1)

    def test_corrupt_or_cut_stream_is_upstream_bad_response(self):
        for dialect, fault in (("converse", "badcrc"), ("openai", "badcrc"),
                               ("anthropic", "cut"), ("converse", "cut")):
            with self.subTest(client=dialect, fault=fault):
                token = unique()
                text = "Break %s fault=%s after=3" % (token, fault)
                r, _ = self.call(dialect, "customer1_codingbot",
                                 client_body(dialect, text, stream=True), stream=True)
                got, err_type, message = self.stream_error(r, dialect)
                self.assertEqual(got, "w1 w2 w3", r)
                self.assertEqual(err_type, "modelStreamErrorException" if dialect == "converse"
                                 else "upstream_bad_response")
                self.assertRegex(message, "^upstream bedrock ")
                self.assert_failure_row(r, 502, "upstream_bad_response", estimated=True,
                                        usage=(estimated_input(text), 3))
                self.fake_requests(token, want=1, wait_s=0.1)

    def test_corrupt_or_cut_before_any_text_is_502(self):
        for dialect, fault, stream in (("converse", "badcrc", True), ("anthropic", "cut", True),
                                       ("openai", "cut", False), ("converse", "cut", False)):
            with self.subTest(client=dialect, fault=fault, stream=stream):
                token = unique()
                r, _ = self.call(dialect, "customer2_codingbot", client_body(
                    dialect, "Break %s fault=%s after=0" % (token, fault), stream=stream),
                    stream=stream)
                self.assert_error(r, dialect, 502, "ServiceUnavailableException"
                                  if dialect == "converse" else "upstream_bad_response",
                                  "^upstream bedrock ")
                self.assert_failure_row(r, 502, "upstream_bad_response")
                self.fake_requests(token, want=1, wait_s=0.1)

    def test_slow_first_byte_is_504_naming_the_stage(self):
        for dialect, stream in (("openai", False), ("converse", True), ("anthropic", True)):
            with self.subTest(client=dialect, stream=stream):
                token = unique()
                r, took = self.call(dialect, "customer1_websearch", client_body(
                    dialect, "Slow %s fault=slow slow=2500" % token, stream=stream),
                    stream=stream)
                self.assert_error(r, dialect, 504, "ModelTimeoutException"
                                  if dialect == "converse" else "upstream_timeout",
                                  "^upstream bedrock .* timed out at stage first_byte")
                self.assertGreaterEqual(took, TIMEOUT_S["first_byte"] - 0.05)
                self.assertLess(took, TIMEOUT_S["first_byte"] + SLACK_S)
                self.assert_failure_row(r, 504, "upstream_timeout")
                self.fake_requests(token, want=1)

    def test_silence_between_frames_is_an_idle_timeout(self):
        token = unique()
        r, took = self.call("converse", "customer1_websearch", client_body(
            "converse", "Gaps %s gap=2000" % token, stream=True), stream=True)
        self.assert_error(r, "converse", 504, "ModelTimeoutException",
                          "^upstream bedrock .* timed out at stage idle")
        self.assertLess(took, TIMEOUT_S["idle"] + SLACK_S)
        self.assert_failure_row(r, 504, "upstream_timeout")


# ================================================================================= credentials


class UnsignedPayerHeaderTest(BedrockTestCase):

    def test_a_header_choosing_the_payer_must_be_signed(self):
        # A SigV4 request whose inference-profile-name (or tags, x-costgate-tag-*, x-request-id)
        # is not among SignedHeaders could be replayed charged to another profile: refused.
        body = client_body("converse", "Hi %s" % unique())
        data = json.dumps(body).encode("utf-8")
        path = "/model/%s/converse" % urllib.parse.quote(PROFILES["customer1_websearch"],
                                                          safe="-_.~")
        for name, value in (("inference-profile-name", "customer1_websearch"),
                            ("tags", "TenantID=customer1,ApplicationID=websearch"),
                            ("x-costgate-tag-TenantID", "customer1"),
                            ("x-request-id", "req-1")):
            with self.subTest(header=name):
                headers = sigv4_headers("POST", "127.0.0.1:%d" % self.server.port, path, data,
                                        self.aws["access_key_id"], self.aws["secret_access_key"],
                                        "eu-central-1",
                                        extra={"inference-profile-name": "customer1_websearch"}
                                        if name != "inference-profile-name" else None)
                headers[name] = value  # added after signing
                r = request(self.server.port, "POST", path, data, headers)
                self.assert_error(r, "converse", 403, "InvalidSignatureException",
                                  r"^The header '%s' must be signed" % name.lower())
                call_id = r.header("x-costgate-call-id")
                if call_id:
                    self.assertIsNone(self.ws.ledger_row(call_id), r)  # refused calls: no row
        # Signed, the same header is fine.
        r, _ = self.call("converse", "customer1_websearch", body, model_by="model")
        self.assertEqual(r.status, 200, r)


class SessionTokenTest(BedrockTestCase):
    """Temporary credentials: AWS_SESSION_TOKEN is sent as x-amz-security-token and signed."""
    fake_options = {"access_key_id": "ASIAFAKEBEDROCK00002",
                    "secret_access_key": "fake/bedrock/temporary/secret/000002",
                    "session_token": "FwoGZXIvYXdzEFAKE//session+token/" + "x" * 40 + "=="}

    def test_session_token_is_forwarded_and_signed(self):
        for dialect, stream in (("openai", False), ("converse", True)):
            with self.subTest(client=dialect, stream=stream):
                token = unique()
                r, _ = self.call(dialect, "customer2_websearch",
                                 client_body(dialect, "Hi %s" % token, 4, stream), stream=stream)
                text, _, usage, _ = self.answer(dialect, r, stream)
                self.assertEqual((text, usage[:2]), (fake_words(4), (words(SYSTEM) + 2, 4)))
                req = self.fake_requests(token)[0]
                self.assert_signed(req, session_token=self.fake.session_token)


class WrongSecretTest(BedrockTestCase):
    """costgate signs with a secret Bedrock does not know: the 403 reaches the client."""
    costgate_secret = "not/the/secret/the/fake/bedrock/holds/01"

    def test_bedrocks_403_is_costgates_credentials_problem_not_the_callers(self):
        for dialect, stream in (("openai", False), ("anthropic", True), ("converse", False)):
            with self.subTest(client=dialect, stream=stream):
                token = unique()
                r, _ = self.call(dialect, "customer1_websearch",
                                 client_body(dialect, "Hi %s" % token, stream=stream),
                                 stream=stream)
                # 502, not 403 (which would tell the caller's SDK its own key is wrong), and
                # without AWS's message, which quotes the canonical request costgate signed.
                err = self.assert_error(
                    r, dialect, 502, "ServiceUnavailableException"
                    if dialect == "converse" else "upstream_auth_error",
                    r"^upstream bedrock refused costgate's own credentials \(403 "
                    r"InvalidSignatureException\); costgate's operator must fix them")
                self.assertNotIn("Canonical", json.dumps(err))
                self.assertNotIn("x-amz-", json.dumps(err))
                self.assert_failure_row(r, 502, "upstream_auth_error")
                req = self.fake_requests(token, wait_s=0.1)[0]
                self.assertEqual(req["signature"]["reason"], "signature_mismatch", req)
                self.assertEqual(req["status"], 403, req)


if __name__ == "__main__":
    check_environment("bedrock_upstream_test.py")
    unittest.main()
