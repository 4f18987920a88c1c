#!/usr/bin/env python3
"""End-to-end tests of costgate's `openai` and `anthropic` upstreams, against fake_upstream.py.

Two fakes (one holding OpenAI's key, one Anthropic's) speak the real wire formats on loopback
ports; the workspace's config.json gets an "upstreams" section pointing at them (timeouts kept
short so the timeout tests are quick), and profiles are moved onto them:

    customer1_websearch  haiku       -> openai     (models: haiku  -> gpt-upstream-haiku)
    customer2_codingbot  nova pro    -> openai     (unmapped: the profile's model id)
    customer3_cache      sonnet      -> openai     (models: sonnet -> gpt-upstream-sonnet)
    customer1_codingbot  sonnet      -> anthropic  (models: sonnet -> claude-3-5-sonnet-20241022)
    customer2_websearch  nova micro  -> anthropic  (unmapped)

The fake's answers are predictable (fake_upstream.py: N words "w1 ... wN", input tokens = the
words of the system prompt and messages, markers such as cached=K or fault=status_500 in the
last user message), so each test knows the exact usage and prices it with Decimal from
examples/models.json, then checks the client's answer, the x-costgate headers, what the upstream
received, and the ledger (`costgate usage --json`, or the SQLite rows).

    COSTGATE_BIN=build/src/costgate COSTGATE_EXAMPLES=examples python3 tests/upstream_test.py -v

Standard library only.
"""

import concurrent.futures
import json
import socket
import subprocess
import time
import unittest
import uuid
from decimal import Decimal

from fake_upstream import FakeUpstream
from testlib import (BIN, HAIKU, HTTP_TIMEOUT_S, LISTENING_RE, NOVA_MICRO_US, NOVA_PRO,
                     SONNET, GatewayTestCase, Server, Workspace, anthropic_stream_facts, auth,
                     check_environment, child_env, expected_cost, openai_stream_facts,
                     read_bytes)

OPENAI_KEY = "sk-fake-openai-" + uuid.uuid4().hex
ANTHROPIC_KEY = "sk-ant-fake-" + uuid.uuid4().hex
OPENAI_ENV = "FAKE_OPENAI_KEY"
ANTHROPIC_ENV = "FAKE_ANTHROPIC_KEY"
ANTHROPIC_VERSION = "2023-06-01"

TIMEOUTS = {"connect": 1000, "first_byte": 800, "idle": 600, "total": 2000}
TIMEOUT_S = {k: v / 1000.0 for k, v in TIMEOUTS.items()}
SLACK_S = 1.5  # how much later than its deadline a timeout may fire on a loaded machine

OPENAI_MODELS = {HAIKU: "gpt-upstream-haiku", SONNET: "gpt-upstream-sonnet"}
ANTHROPIC_MODELS = {SONNET: "claude-3-5-sonnet-20241022"}

# profile -> (model, provider)
PROFILES = {
    "customer1_websearch": (HAIKU, "openai"),
    "customer2_codingbot": (NOVA_PRO, "openai"),
    "customer3_cache": (SONNET, "openai"),
    "customer1_codingbot": (SONNET, "anthropic"),
    "customer2_websearch": (NOVA_MICRO_US, "anthropic"),
}
OPENAI_PROFILE = "customer1_websearch"
ANTHROPIC_PROFILE = "customer1_codingbot"

SYSTEM = "You are a terse assistant."
CLIENT_PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages", "seed": "/invoke"}


def upstream_model(profile):
    model, provider = PROFILES[profile]
    table = OPENAI_MODELS if provider == "openai" else ANTHROPIC_MODELS
    return table.get(model, model)


def words(text):
    return len(text.split())


def unique(tag="tok"):
    """A word no other request carries, to find this call's request at the fake."""
    return "%s-%s" % (tag, uuid.uuid4().hex[:12])


def upstreams_config(openai_url, anthropic_url, timeouts=None):
    t = dict(TIMEOUTS, **(timeouts or {}))
    return {
        "openai": {"base_url": openai_url, "api_key_env": OPENAI_ENV, "timeouts_ms": t,
                   "models": OPENAI_MODELS},
        "anthropic": {"base_url": anthropic_url, "api_key_env": ANTHROPIC_ENV, "timeouts_ms": t,
                      "models": ANTHROPIC_MODELS},
        "sim": {"time_to_first_token_ms": 0, "tokens_per_second": 0, "error_rate": 0,
                "seed": 42},
    }


def move_profiles(config):
    """Puts the example profiles on the upstreams of PROFILES and adds customer3_cache."""
    for p in config["profiles"]:
        if p["name"] in PROFILES:
            p["provider"] = PROFILES[p["name"]][1]
    config["profiles"].append({
        "name": "customer3_cache",
        "description": "Sonnet through the openai upstream (cache pricing)",
        "model_id": SONNET,
        "provider": "openai",
        "tags": [{"key": "TenantID", "value": "customer3"},
                 {"key": "ApplicationID", "value": "cachetest"}],
    })
    config["default_provider"] = "sim"


def upstream_workspace(openai_url, anthropic_url, timeouts=None):
    return Workspace(prefix="costgate-upstream-test-",
                     config_keys={"upstreams": upstreams_config(openai_url, anthropic_url,
                                                                timeouts)},
                     edit_config=move_profiles)


def key_env():
    return {OPENAI_ENV: OPENAI_KEY, ANTHROPIC_ENV: ANTHROPIC_KEY}


# ================================================================================= requests


def client_body(dialect, text, max_tokens=24, stream=False, system=SYSTEM, temperature=0.5,
                top_p=0.9, stop=None, model=None):
    """A request in a client dialect with every translated parameter set."""
    if dialect == "openai":
        body = {"messages": [{"role": "system", "content": system},
                             {"role": "user", "content": text}],
                "max_tokens": max_tokens, "temperature": temperature, "top_p": top_p}
        if stop is not None:
            body["stop"] = stop
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
    elif dialect == "anthropic":
        body = {"system": system, "max_tokens": max_tokens, "temperature": temperature,
                "top_p": top_p,
                "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]}
        if stop is not None:
            body["stop_sequences"] = stop
        if stream:
            body["stream"] = True
    else:
        assert not stream, "/invoke does not stream"
        cfg = {"maxTokens": max_tokens, "temperature": temperature, "topP": top_p}
        if stop is not None:
            cfg["stopSequences"] = stop
        body = {"messages": [{"role": "user", "content": [{"text": text}]}],
                "system": [{"text": system}], "inferenceConfig": cfg}
    if model is not None:
        body["model"] = model
    return body


def text_of(content):
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content if isinstance(p, dict))


def answer_text(dialect, body):
    """The answer's text and stop reason as the client dialect shows them."""
    if dialect == "openai":
        c = body["choices"][0]
        return c["message"]["content"], c["finish_reason"]
    if dialect == "anthropic":
        return text_of(body["content"]), body["stop_reason"]
    return text_of(body["message"]["content"]), body["stopReason"]


STOP_NAMES = {
    "openai": {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"},
    "anthropic": {"end_turn": "end_turn", "stop_sequence": "stop_sequence",
                  "max_tokens": "max_tokens"},
    "seed": {"end_turn": "end_turn", "stop_sequence": "stop_sequence",
             "max_tokens": "max_tokens"},
}


def fake_words(n):
    return " ".join("w%d" % (i + 1) for i in range(n))


# ================================================================================= test base


class UpstreamTestCase(GatewayTestCase):
    """The two fakes, a workspace whose profiles use them, and `costgate serve` with the keys in
    its environment, for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.openai_fake = FakeUpstream(key=OPENAI_KEY).start()
        cls.addClassCleanup(cls.openai_fake.stop)
        cls.anthropic_fake = FakeUpstream(key=ANTHROPIC_KEY).start()
        cls.addClassCleanup(cls.anthropic_fake.stop)
        cls.server_env = key_env()
        super().setUpClass()

    @classmethod
    def make_workspace(cls):
        return upstream_workspace(cls.openai_fake.openai_base_url,
                                  cls.anthropic_fake.anthropic_base_url)

    def fake_for(self, profile):
        return self.openai_fake if PROFILES[profile][1] == "openai" else self.anthropic_fake

    # --- calls ---------------------------------------------------------------------------

    def call(self, dialect, profile, body, timeout=HTTP_TIMEOUT_S, by_model=False):
        """POSTs body in `dialect` for `profile` (by the inference-profile-name header, or as the
        model with by_model); returns (reply, seconds it took)."""
        headers = dict(self.admin)
        if by_model:
            body = dict(body, model=profile)
        else:
            headers["inference-profile-name"] = profile
        t0 = time.monotonic()
        r = self.post(CLIENT_PATHS[dialect], body, headers, timeout=timeout)
        return r, time.monotonic() - t0

    def upstream_requests(self, profile, token, want=1, wait_s=0.0):
        """The requests the profile's fake received carrying `token`; asserts there are `want`
        of them (after waiting wait_s for late retries)."""
        if wait_s:
            time.sleep(wait_s)
        got = self.fake_for(profile).requests_with(token)
        self.assertEqual(len(got), want, "the upstream received %d requests with %s, not %d: %s"
                         % (len(got), token, want,
                            json.dumps([r["body"] for r in got])[:2000]))
        return got

    # --- what the upstream received ------------------------------------------------------

    def assert_upstream_request(self, profile, token, text, max_tokens, stream, temperature=0.5,
                                top_p=0.9, stop=None, system=SYSTEM):
        """The one request the upstream got for this call, in the upstream's own format."""
        req = self.upstream_requests(profile, token)[0]
        body, headers = req["body"], req["headers"]
        self.assertIsInstance(body, dict, req)
        provider = PROFILES[profile][1]
        self.assertEqual(body.get("model"), upstream_model(profile), body)
        self.assertTrue(headers.get("content-type", "").startswith("application/json"), headers)
        leaked = {k: v for k, v in headers.items() if "cgk_" in v}
        self.assertEqual(leaked, {}, "the client's costgate key went to the upstream")
        if provider == "openai":
            self.assertEqual(req["path"], "/v1/chat/completions")
            self.assertEqual(headers.get("authorization"), "Bearer " + OPENAI_KEY, headers)
            msgs = body["messages"]
            self.assertIn(msgs[0]["role"], ("system", "developer"), body)
            self.assertEqual(text_of(msgs[0]["content"]), system, body)
            self.assertEqual([m["role"] for m in msgs[1:]], ["user"], body)
            self.assertEqual(text_of(msgs[-1]["content"]), text, body)
            self.assertEqual(body.get("max_completion_tokens", body.get("max_tokens")),
                             max_tokens, body)
            sent_stop = body.get("stop")
            if isinstance(sent_stop, str):
                sent_stop = [sent_stop]
            self.assertEqual(sent_stop or None, stop or None, body)
            if stream:
                self.assertIs(body.get("stream"), True, body)
                self.assertEqual(body.get("stream_options"), {"include_usage": True},
                                 "costgate must ask for the usage chunk: %r" % body)
            else:
                self.assertFalse(body.get("stream", False), body)
        else:
            self.assertEqual(req["path"], "/v1/messages")
            self.assertEqual(headers.get("x-api-key"), ANTHROPIC_KEY, headers)
            self.assertEqual(headers.get("anthropic-version"), ANTHROPIC_VERSION, headers)
            self.assertNotIn("authorization", headers)
            self.assertEqual(text_of(body.get("system", "")), system, body)
            msgs = body["messages"]
            self.assertEqual([m["role"] for m in msgs], ["user"], body)
            self.assertEqual(text_of(msgs[0]["content"]), text, body)
            self.assertEqual(body.get("max_tokens"), max_tokens, body)
            self.assertEqual(body.get("stop_sequences") or None, stop or None, body)
            self.assertEqual(bool(body.get("stream", False)), stream, body)
        self.assertEqual(body.get("temperature"), temperature, body)
        self.assertEqual(body.get("top_p"), top_p, body)
        return req

    # --- what the ledger says ------------------------------------------------------------

    def assert_ledger(self, call_id, profile, dialect, inp, out, cache_read=0, cache_write=0,
                      cost=None):
        """The success record of `costgate usage --json` for the call."""
        model, provider = PROFILES[profile]
        rec = self.ws.usage_record(call_id)
        self.assertIsNotNone(rec, "call %s is not in `costgate usage`" % call_id)
        self.assertEqual(rec["status"], "success", rec)
        self.assertEqual(rec["http_status"], 200, rec)
        self.assertEqual(rec["error_type"], "", rec)
        self.assertFalse(rec["estimated"], rec)
        self.assertEqual(rec["upstream"], provider, rec)
        self.assertEqual(rec["dialect"], dialect, rec)
        self.assertEqual(rec["profile_name"], profile, rec)
        self.assertEqual(rec["model_id"], model, rec)
        self.assertEqual(rec["usage"], {"input_tokens": inp, "output_tokens": out,
                                        "cache_read_tokens": cache_read,
                                        "cache_write_tokens": cache_write}, rec)
        want = expected_cost(model, inp, out, cache_read, cache_write)
        self.assertEqual(Decimal(rec["cost"]["total_usd"]), want, rec)
        if cost is not None:
            self.assertEqual(cost, want)
        self.assertEqual(self.ws.ledger_count(call_id), 1)
        return rec

    def assert_failure_row(self, call_id, http_status, error_type, estimated=None):
        """The ledger row (SQLite) of a failed call."""
        row = self.ws.ledger_row(call_id)
        self.assertIsNotNone(row, "failed call %s is not in the ledger" % call_id)
        self.assertEqual(row["status"], "failure", row)
        if http_status is not None:
            self.assertEqual(row["http_status"], http_status, row)
        self.assertEqual(row["error_type"], error_type, row)
        if estimated is not None:
            self.assertEqual(bool(row["estimated"]), estimated, row)
        return row

    # --- answers -------------------------------------------------------------------------

    def assert_dialect_error(self, reply, dialect, status, error_type=None, message_re=None):
        """A whole (not streamed) error answer in the client dialect's own error shape."""
        self.assertEqual(reply.status, status, reply)
        self.assertTrue(reply.header("content-type", "").startswith("application/json"), reply)
        body = reply.json()
        if dialect == "anthropic":
            self.assertEqual(body.get("type"), "error", reply)
        self.assertIsInstance(body.get("error"), dict, reply)
        err = body["error"]
        self.assertIsInstance(err.get("type"), str, reply)
        self.assertIsInstance(err.get("message"), str, reply)
        self.assertTrue(err["message"], reply)
        if dialect == "openai":
            self.assertIn("param", err, reply)
            self.assertIn("code", err, reply)
        if error_type is not None:
            self.assertEqual(err["type"], error_type, reply)
        if message_re is not None:
            self.assertRegex(err["message"], message_re, reply)
        return err

    def stream_error(self, reply, dialect):
        """A stream that started (200) and ended with an error event in the client's dialect;
        returns (the text streamed before it, the error object)."""
        self.assertEqual(reply.status, 200, reply)
        self.assertTrue(reply.header("content-type", "").startswith("text/event-stream"), reply)
        events = reply.events()
        self.assertTrue(events, reply)
        text = ""
        if dialect == "openai":
            if events[-1] == (None, "[DONE]"):
                events = events[:-1]
            chunks = [json.loads(d) for _, d in events]
            self.assertIn("error", chunks[-1], "the stream did not end with an error: %r" % reply)
            for c in chunks[:-1]:
                self.assertNotIn("error", c, reply)
                for ch in c.get("choices") or []:
                    text += (ch.get("delta") or {}).get("content") or ""
                    self.assertIsNone(ch.get("finish_reason"),
                                      "a finish_reason before the error: %r" % reply)
            err = chunks[-1]["error"]
        else:
            names = [n for n, _ in events]
            self.assertEqual(names[-1], "error", "the stream did not end with an error: %r"
                             % reply)
            self.assertNotIn("message_stop", names, reply)
            for name, data in events[:-1]:
                d = json.loads(data)
                if name == "content_block_delta":
                    text += d["delta"]["text"]
            last = json.loads(events[-1][1])
            self.assertEqual(last.get("type"), "error", reply)
            err = last["error"]
        self.assertIsInstance(err.get("type"), str, reply)
        self.assertIsInstance(err.get("message"), str, reply)
        return text, err

    def costgate_object(self, reply, dialect, stream):
        """The "costgate" object of a whole answer's body or of a stream's final event."""
        if not stream:
            return reply.json()["costgate"]
        if dialect == "openai":
            chunks = [json.loads(d) for _, d in reply.events() if d != "[DONE]"]
            return chunks[-1]["costgate"]
        return json.loads(reply.events()[-1][1])["costgate"]

    def costgate_facts(self, reply, dialect, stream):
        """(call id, all input tokens, output tokens, cost) from the x-costgate headers of a
        whole answer, or from the "costgate" object of a stream's final event (which, like
        Anthropic's usage, counts cache tokens apart from input_tokens)."""
        if not stream:
            return (reply.header("x-costgate-call-id"),
                    int(reply.header("x-costgate-input-tokens")),
                    int(reply.header("x-costgate-output-tokens")),
                    Decimal(reply.header("x-costgate-cost-usd")))
        info = self.costgate_object(reply, dialect, stream)
        self.assertEqual(info["call_id"], reply.header("x-costgate-call-id"), reply)
        all_input = (info["input_tokens"] + info.get("cache_read_input_tokens", 0)
                     + info.get("cache_write_input_tokens", 0))
        return info["call_id"], all_input, info["output_tokens"], Decimal(info["cost_usd"])

    def assert_costgate_breakdown(self, reply, dialect, stream, plain, cache_read, cache_write):
        """The "costgate" object (body or final event) splits input like Anthropic's usage."""
        info = self.costgate_object(reply, dialect, stream)
        self.assertEqual((info["input_tokens"], info.get("cache_read_input_tokens", 0),
                          info.get("cache_write_input_tokens", 0)),
                         (plain, cache_read, cache_write), info)


# ================================================================================= the matrix


class MatrixTest(UpstreamTestCase):
    """Every client dialect to each upstream, whole and streamed."""

    def run_case(self, dialect, profile, stream, by_model=False):
        token = unique()
        text = "Tell me about %s please" % token
        if stream:
            # max_tokens cuts the answer; a stop sequence that never matches is still passed on.
            max_tokens, stop, n, kind = 3, ["ZZZ"], 3, "max_tokens"
        else:
            # The stop sequence ends the eight-word answer before w6.
            max_tokens, stop, n, kind = 24, ["w6", "ZZZ"], 5, "stop_sequence"
        body = client_body(dialect, text, max_tokens=max_tokens, stream=stream, stop=stop)
        r, _ = self.call(dialect, profile, body, by_model=by_model)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("x-costgate-profile"), profile, r)
        inp = words(SYSTEM) + words(text)
        model = PROFILES[profile][0]
        want_cost = expected_cost(model, inp, n)

        if not stream:
            got_text, got_stop = answer_text(dialect, r.json())
            self.assertEqual(got_text, fake_words(n), r)
            allowed = {STOP_NAMES[dialect][kind]}
            if PROFILES[profile][1] == "openai":
                # OpenAI's "stop" does not tell a stop sequence from a natural end.
                allowed.add(STOP_NAMES[dialect]["end_turn"])
            self.assertIn(got_stop, allowed, r)
        elif dialect == "openai":
            got_text, usage_chunk, info = openai_stream_facts(self, r, include_usage=True)
            self.assertEqual(got_text, fake_words(n), r)
            self.assertEqual(usage_chunk["usage"]["prompt_tokens"], inp, r)
            self.assertEqual(usage_chunk["usage"]["completion_tokens"], n, r)
            finish = [c["choices"][0]["finish_reason"]
                      for c in (json.loads(d) for _, d in r.events() if d != "[DONE]")
                      if c["choices"] and c["choices"][0]["finish_reason"]]
            self.assertEqual(finish, ["length"], r)
        else:
            got_text, usage, info = anthropic_stream_facts(self, r, same_input_at_start=False)
            self.assertEqual(got_text, fake_words(n), r)
            self.assertEqual(usage["output_tokens"], n, r)
            self.assertEqual(usage["input_tokens"], inp, r)
            delta = json.loads([d for name, d in r.events() if name == "message_delta"][0])
            self.assertEqual(delta["delta"]["stop_reason"], "max_tokens", r)

        call_id, got_in, got_out, cost = self.costgate_facts(r, dialect, stream)
        self.assertEqual((got_in, got_out), (inp, n),
                         "costgate counted %d in / %d out; the upstream said %d / %d"
                         % (got_in, got_out, inp, n))
        self.assertEqual(cost, want_cost)
        self.assert_upstream_request(profile, token, text, max_tokens, stream, stop=stop)
        self.assert_ledger(call_id, profile, dialect, inp, n, cost=cost)


    def test_anthropic_upstream_gets_max_tokens_when_the_client_sets_none(self):
        # Anthropic requires max_tokens; an OpenAI client may leave it out.
        token = unique()
        text = "No limit %s" % token
        body = client_body("openai", text)
        del body["max_tokens"]
        r, _ = self.call("openai", ANTHROPIC_PROFILE, body)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(answer_text("openai", r.json()), (fake_words(8), "stop"))
        sent = self.upstream_requests(ANTHROPIC_PROFILE, token)[0]["body"]
        self.assertIsInstance(sent.get("max_tokens"), int, sent)
        self.assertGreaterEqual(sent["max_tokens"], 8, sent)
        call_id, inp, out, cost = self.costgate_facts(r, "openai", False)
        self.assertEqual((inp, out), (words(SYSTEM) + words(text), 8))
        self.assert_ledger(call_id, ANTHROPIC_PROFILE, "openai", inp, out, cost=cost)


def _add_matrix_tests():
    for upstream, profiles in (("openai", (OPENAI_PROFILE, "customer2_codingbot")),
                               ("anthropic", (ANTHROPIC_PROFILE, "customer2_websearch"))):
        for i, dialect in enumerate(("openai", "anthropic", "seed")):
            # Alternate between a mapped and an unmapped model.
            profile = profiles[i % 2]
            for stream in ((False, True) if dialect != "seed" else (False,)):
                name = "test_%s_client_to_%s_upstream_%s" % (
                    dialect, upstream, "stream" if stream else "whole")

                def test(self, dialect=dialect, profile=profile, stream=stream):
                    self.run_case(dialect, profile, stream, by_model=(dialect == "openai"))
                test.__name__ = name
                setattr(MatrixTest, name, test)


_add_matrix_tests()


# ================================================================================= caching


class CacheTest(UpstreamTestCase):

    def test_openai_cached_tokens_are_cache_reads(self):
        # prompt_tokens includes the cached tokens: input = prompt_tokens - cached.
        for dialect, stream in (("openai", False), ("anthropic", True)):
            with self.subTest(client=dialect, stream=stream):
                token = unique()
                text = "Cached question %s cached=7" % token
                r, _ = self.call(dialect, "customer3_cache",
                                 client_body(dialect, text, max_tokens=4, stream=stream))
                self.assertEqual(r.status, 200, r)
                plain = words(SYSTEM) + words(text)
                call_id, inp, out, cost = self.costgate_facts(r, dialect, stream)
                self.assertEqual(inp, plain + 7, "x-costgate-input-tokens is all input")
                self.assertEqual(out, 4)
                self.assertEqual(cost, expected_cost(SONNET, plain, 4, cache_read=7))
                self.assertNotEqual(cost, expected_cost(SONNET, plain + 7, 4),
                                    "the test cannot tell cache reads from input")
                self.assert_costgate_breakdown(r, dialect, stream, plain, 7, 0)
                self.assertEqual(self.upstream_requests("customer3_cache", token)[0]["body"]
                                 ["model"], "gpt-upstream-sonnet")
                self.assert_ledger(call_id, "customer3_cache", dialect, plain, 4, cache_read=7,
                                   cost=cost)

    def test_anthropic_cache_read_and_write(self):
        for dialect, stream in (("seed", False), ("openai", True), ("anthropic", False)):
            with self.subTest(client=dialect, stream=stream):
                token = unique()
                text = "Cached question %s cached=11 cache_write=13" % token
                r, _ = self.call(dialect, ANTHROPIC_PROFILE,
                                 client_body(dialect, text, max_tokens=6, stream=stream))
                self.assertEqual(r.status, 200, r)
                plain = words(SYSTEM) + words(text)
                call_id, inp, out, cost = self.costgate_facts(r, dialect, stream)
                self.assertEqual(inp, plain + 11 + 13, "x-costgate-input-tokens is all input")
                self.assertEqual(out, 6)
                self.assertEqual(cost, expected_cost(SONNET, plain, 6, cache_read=11,
                                                     cache_write=13))
                self.assert_costgate_breakdown(r, dialect, stream, plain, 11, 13)
                if dialect == "anthropic":
                    usage = r.json()["usage"]
                    self.assertEqual((usage["input_tokens"], usage["cache_read_input_tokens"],
                                      usage["cache_creation_input_tokens"],
                                      usage["output_tokens"]), (plain, 11, 13, 6), r)
                self.assert_ledger(call_id, ANTHROPIC_PROFILE, dialect, plain, 6, cache_read=11,
                                   cache_write=13, cost=cost)


# ================================================================================= failures


class UpstreamErrorTest(UpstreamTestCase):

    def test_error_statuses_reach_the_client_in_its_dialect(self):
        cases = [
            (OPENAI_PROFILE, "openai", 500, False),
            (OPENAI_PROFILE, "anthropic", 429, False),
            (OPENAI_PROFILE, "seed", 400, False),
            (OPENAI_PROFILE, "openai", 500, True),
            (ANTHROPIC_PROFILE, "openai", 529, False),
            (ANTHROPIC_PROFILE, "anthropic", 500, False),
            (ANTHROPIC_PROFILE, "seed", 429, False),
            (ANTHROPIC_PROFILE, "anthropic", 529, True),
        ]
        for profile, dialect, status, stream in cases:
            provider = PROFILES[profile][1]
            with self.subTest(upstream=provider, client=dialect, status=status, stream=stream):
                token = unique()
                r, _ = self.call(dialect, profile,
                                 client_body(dialect, "Fail %s fault=status_%d" % (token, status),
                                             stream=stream))
                err = self.assert_dialect_error(r, dialect, status)
                self.assertRegex(err["message"], "(?i)" + provider,
                                 "the message does not name the upstream")
                call_id = r.header("x-costgate-call-id")
                self.assertEqual(r.header("x-costgate-profile"), profile, r)
                self.assert_failure_row(call_id, status, "upstream_error")
                # A 4xx is never retried; whatever is retried is bounded.
                got = len(self.fake_for(profile).requests_with(token))
                if status in (400,):
                    self.assertEqual(got, 1)
                self.assertLessEqual(got, 3)

    def test_first_byte_timeout_is_504(self):
        for profile, dialect, stream in ((OPENAI_PROFILE, "openai", False),
                                         (ANTHROPIC_PROFILE, "anthropic", True)):
            with self.subTest(upstream=PROFILES[profile][1], stream=stream):
                aborts = self.fake_for(profile).stats()["client_aborts"]
                token = unique()
                r, took = self.call(dialect, profile, client_body(
                    dialect, "Slow %s fault=delay_headers:4000" % token, stream=stream))
                err = self.assert_dialect_error(r, dialect, 504, "upstream_timeout", "first_byte")
                self.assertGreaterEqual(took, TIMEOUT_S["first_byte"] - 0.05)
                self.assertLess(took, TIMEOUT_S["first_byte"] + SLACK_S, err)
                self.assert_failure_row(r.header("x-costgate-call-id"), 504, "upstream_timeout")
                self.upstream_requests(profile, token, want=1)
                self.assert_upstream_abandoned(profile, aborts)

    def assert_upstream_abandoned(self, profile, aborts_before, within_s=2.0):
        """costgate closed the timed-out upstream connection (the fake saw it go)."""
        fake = self.fake_for(profile)
        deadline = time.monotonic() + within_s
        while fake.stats()["client_aborts"] <= aborts_before and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertGreater(fake.stats()["client_aborts"], aborts_before,
                           "costgate kept the timed-out upstream connection open")

    def test_idle_timeout_mid_stream_ends_with_an_error_event(self):
        for profile, dialect in ((OPENAI_PROFILE, "anthropic"), (ANTHROPIC_PROFILE, "openai")):
            with self.subTest(upstream=PROFILES[profile][1], client=dialect):
                aborts = self.fake_for(profile).stats()["client_aborts"]
                token = unique()
                r, took = self.call(dialect, profile, client_body(
                    dialect, "Stall %s fault=stall_after:2" % token, stream=True))
                text, err = self.stream_error(r, dialect)
                self.assertEqual(text, "w1 w2", r)
                self.assertEqual(err["type"], "upstream_timeout", err)
                self.assertIn("idle", err["message"])
                self.assertLess(took, TIMEOUT_S["idle"] + SLACK_S)
                self.assert_failure_row(r.header("x-costgate-call-id"), None, "upstream_timeout")
                self.assert_upstream_abandoned(profile, aborts)

    def test_idle_timeout_in_a_whole_answer_is_504(self):
        for profile, dialect in ((OPENAI_PROFILE, "seed"), (ANTHROPIC_PROFILE, "openai")):
            with self.subTest(upstream=PROFILES[profile][1], client=dialect):
                token = unique()
                r, took = self.call(dialect, profile, client_body(
                    dialect, "Stall %s fault=stall_after:0" % token))
                self.assert_dialect_error(r, dialect, 504, "upstream_timeout", "idle")
                self.assertLess(took, TIMEOUT_S["idle"] + SLACK_S)
                self.assert_failure_row(r.header("x-costgate-call-id"), 504, "upstream_timeout")

    def test_total_timeout_while_streaming(self):
        # A chunk every 300 ms keeps the idle timeout (600 ms) away; the total (2 s) ends it.
        token = unique()
        r, took = self.call("openai", OPENAI_PROFILE, client_body(
            "openai", "Long %s words=40 chunk_ms=300" % token, max_tokens=100, stream=True))
        text, err = self.stream_error(r, "openai")
        self.assertEqual(err["type"], "upstream_timeout", err)
        self.assertIn("total", err["message"])
        self.assertGreaterEqual(took, TIMEOUT_S["total"] - 0.05)
        self.assertLess(took, TIMEOUT_S["total"] + SLACK_S)
        n = len(text.split())
        self.assertGreaterEqual(n, 3, text)
        self.assertLess(n, 40, text)
        self.assertEqual(text, fake_words(n))
        self.assert_failure_row(r.header("x-costgate-call-id"), None, "upstream_timeout")

    def test_total_timeout_of_a_whole_answer_is_504(self):
        # The body trickles in 16-byte pieces 300 ms apart: never idle, never done.
        token = unique()
        r, took = self.call("seed", ANTHROPIC_PROFILE, client_body(
            "seed", "Trickle %s chunk_ms=300" % token))
        self.assert_dialect_error(r, "seed", 504, "upstream_timeout", "total")
        self.assertGreaterEqual(took, TIMEOUT_S["total"] - 0.05)
        self.assertLess(took, TIMEOUT_S["total"] + SLACK_S)
        self.assert_failure_row(r.header("x-costgate-call-id"), 504, "upstream_timeout")

    def test_connection_closed_after_send_is_502_and_not_retried(self):
        for profile, dialect, stream in ((OPENAI_PROFILE, "openai", False),
                                         (ANTHROPIC_PROFILE, "anthropic", True),
                                         (ANTHROPIC_PROFILE, "seed", False)):
            with self.subTest(upstream=PROFILES[profile][1], client=dialect, stream=stream):
                token = unique()
                r, _ = self.call(dialect, profile, client_body(
                    dialect, "Reset %s fault=reset" % token, stream=stream))
                self.assert_dialect_error(r, dialect, 502, "upstream_bad_response")
                self.assert_failure_row(r.header("x-costgate-call-id"), 502,
                                        "upstream_bad_response")
                # The request was sent: sending it again could pay twice.
                self.upstream_requests(profile, token, want=1, wait_s=0.3)

    def test_half_a_body_then_close_is_502(self):
        for profile in (OPENAI_PROFILE, ANTHROPIC_PROFILE):
            with self.subTest(upstream=PROFILES[profile][1]):
                token = unique()
                r, _ = self.call("openai", profile, client_body(
                    "openai", "Cut %s fault=cut_after:0" % token))
                self.assert_dialect_error(r, "openai", 502, "upstream_bad_response")
                self.assert_failure_row(r.header("x-costgate-call-id"), 502,
                                        "upstream_bad_response")
                self.upstream_requests(profile, token, want=1, wait_s=0.2)

    def test_malformed_json_is_502(self):
        for profile, dialect, stream in ((OPENAI_PROFILE, "openai", False),
                                         (ANTHROPIC_PROFILE, "seed", False),
                                         (OPENAI_PROFILE, "anthropic", True),
                                         (ANTHROPIC_PROFILE, "openai", True)):
            with self.subTest(upstream=PROFILES[profile][1], client=dialect, stream=stream):
                token = unique()
                r, _ = self.call(dialect, profile, client_body(
                    dialect, "Garbage %s fault=malformed_json" % token, stream=stream))
                if stream and r.status == 200:
                    # The client's stream had started: it ends with an error event.
                    _, err = self.stream_error(r, dialect)
                    self.assertEqual(err["type"], "upstream_bad_response", err)
                    self.assert_failure_row(r.header("x-costgate-call-id"), None,
                                            "upstream_bad_response")
                else:
                    self.assert_dialect_error(r, dialect, 502, "upstream_bad_response")
                    self.assert_failure_row(r.header("x-costgate-call-id"), 502,
                                            "upstream_bad_response")
                self.upstream_requests(profile, token, want=1)

    def test_stream_cut_mid_way_is_charged_by_estimate(self):
        for profile, dialect in ((OPENAI_PROFILE, "openai"), (ANTHROPIC_PROFILE, "anthropic"),
                                 (ANTHROPIC_PROFILE, "openai")):
            with self.subTest(upstream=PROFILES[profile][1], client=dialect):
                token = unique()
                r, _ = self.call(dialect, profile, client_body(
                    dialect, "Cut %s words=20 fault=cut_after:5" % token, max_tokens=50,
                    stream=True))
                text, err = self.stream_error(r, dialect)
                self.assertEqual(text, fake_words(5), r)
                call_id = r.header("x-costgate-call-id")
                row = self.assert_failure_row(call_id, None, err["type"], estimated=True)
                # Charged for at least what the client received: five words, five deltas.
                self.assertGreaterEqual(row["output_tokens"], 5, row)
                self.assertGreater(row["input_tokens"], 0, row)
                model = PROFILES[profile][0]
                self.assertEqual(Decimal(row["total_cost"]),
                                 expected_cost(model, row["input_tokens"], row["output_tokens"],
                                               row["cache_read_tokens"],
                                               row["cache_write_tokens"]), row)
                self.assertGreater(Decimal(row["total_cost"]), 0, row)
                self.upstream_requests(profile, token, want=1, wait_s=0.2)


# ================================================================================= pooling


class KeepAliveTest(UpstreamTestCase):

    def test_sequential_calls_reuse_upstream_connections(self):
        # Whole answers and streams: a stream read to its end leaves a reusable connection.
        for profile, dialect, stream in ((OPENAI_PROFILE, "openai", False),
                                         (OPENAI_PROFILE, "anthropic", True),
                                         (ANTHROPIC_PROFILE, "seed", False),
                                         (ANTHROPIC_PROFILE, "anthropic", True)):
            fake = self.fake_for(profile)
            with self.subTest(upstream=PROFILES[profile][1], client=dialect, stream=stream):
                fake.reset_stats()
                for i in range(20):
                    r, _ = self.call(dialect, profile, client_body(
                        dialect, "Pooled call %d" % i, max_tokens=4, stream=stream))
                    self.assertEqual(r.status, 200, r)
                s = fake.stats()
                self.assertEqual(s["requests"], 20, s["by_path"])
                self.assertLessEqual(s["connections"], 3,
                                     "20 sequential calls opened %d upstream connections"
                                     % s["connections"])

    def test_stop_with_pooled_connections_under_load_exits_cleanly(self):
        # Pooled upstream connections belong to the server's I/O threads; SIGTERM after
        # concurrent load must close them before those threads' contexts go (it once crashed).
        server = Server(self.ws, env=self.server_env)
        self.addCleanup(lambda: server.running() and server.stop())
        def one(i):
            profile = (OPENAI_PROFILE, ANTHROPIC_PROFILE)[i % 2]
            dialect = ("openai", "anthropic", "seed")[i % 3]
            r = server.call("POST", CLIENT_PATHS[dialect],
                            client_body(dialect, "Concurrent %d" % i, max_tokens=4,
                                        stream=dialect != "seed" and i % 2 == 0),
                            dict(auth(self.ws.admin_key), **{"inference-profile-name": profile}))
            return r.status
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(one, range(96)))
        self.assertEqual(statuses, [200] * 96)
        self.assertEqual(server.stop(), 0, server.log_text()[-3000:])
        self.assertIn("stopped:", server.log_text())


# ================================================================================= config


def closed_port():
    """A loopback port nothing listens on."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serve_until_exit(ws, env, limit_s=10):
    """Runs `costgate serve` until it exits or says it is listening (then stops it); returns
    (exit status, or None when it started; its output)."""
    log_path = ws.path("serve-config-%s.log" % uuid.uuid4().hex[:6])
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([BIN, "serve", "--config", ws.config, "--listen", "127.0.0.1:0",
                                 "--threads", "2"], cwd=ws.dir, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, env=child_env(env))
        deadline = time.monotonic() + limit_s
        code = None
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None or LISTENING_RE.search(read_bytes(log_path).decode("utf-8",
                                                                                    "replace")):
                break
            time.sleep(0.02)
        if code is None:
            proc.kill()
            proc.wait()
    return code, read_bytes(log_path).decode("utf-8", "replace")


class ServeConfigTest(unittest.TestCase):
    maxDiff = None

    def test_missing_api_key_variable_stops_serve_with_exit_2(self):
        ws = upstream_workspace("http://127.0.0.1:9/v1", "http://127.0.0.1:9")
        self.addCleanup(ws.remove)
        for missing in (OPENAI_ENV, ANTHROPIC_ENV):
            with self.subTest(missing=missing):
                env = key_env()
                env[missing] = None
                code, out = serve_until_exit(ws, env)
                self.assertIsNotNone(code, "costgate serve started without %s set:\n%s"
                                     % (missing, out))
                self.assertEqual(code, 2, out)
                self.assertIn(missing, out)

    def test_unreachable_upstream_is_502_quickly(self):
        port = closed_port()
        ws = upstream_workspace("http://127.0.0.1:%d/v1" % port, "http://127.0.0.1:%d" % port)
        self.addCleanup(ws.remove)
        server = Server(ws, env=key_env())
        self.addCleanup(lambda: server.running() and server.stop())
        for profile, dialect in ((OPENAI_PROFILE, "openai"), (ANTHROPIC_PROFILE, "anthropic")):
            with self.subTest(upstream=PROFILES[profile][1]):
                t0 = time.monotonic()
                r = server.call("POST", CLIENT_PATHS[dialect],
                                client_body(dialect, "Anyone there?"),
                                dict(auth(ws.admin_key), **{"inference-profile-name": profile}))
                took = time.monotonic() - t0
                self.assertEqual(r.status, 502, r)
                body = r.json()
                self.assertEqual(body["error"]["type"], "upstream_unreachable", r)
                self.assertLess(took, 3.0, "a refused connection took %.2f s to report" % took)
                # Never sent, so maybe not recorded; when it is, as a failure that cost nothing.
                row = ws.ledger_row(r.header("x-costgate-call-id"))
                if row is not None:
                    self.assertEqual((row["status"], row["error_type"],
                                      Decimal(row["total_cost"])),
                                     ("failure", "upstream_unreachable", 0), row)
        self.assertEqual(server.stop(), 0, server.log_text())


if __name__ == "__main__":
    check_environment("upstream_test.py")
    unittest.main()
