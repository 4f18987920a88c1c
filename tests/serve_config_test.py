#!/usr/bin/env python3
"""End-to-end tests of costgate's own config.json settings for `costgate serve`
(src/config/serve_config.h): "server" (open mode, limits, threads, drain, ledger durability),
"upstreams" (sim shaping; openai/anthropic over TLS with ca_file), "unpriced_models", unknown
keys; and a client that leaves a stream while the HTTP upstream is still sending.

Each class sets up its own workspace (a copy of examples/), starts `costgate serve` on a free
loopback port and checks the answers, the serve log and the ledger. The TLS tests make a
throwaway CA and server certificates with the `openssl` command line and run fake_upstream.py
over HTTPS.

    COSTGATE_BIN=build/src/costgate COSTGATE_EXAMPLES=examples python3 tests/serve_config_test.py -v

Standard library only (plus the `openssl` program for the TLS tests).
"""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from decimal import Decimal

from fake_upstream import FakeUpstream
from testlib import (BIN, CALL_ID_RE, HAIKU, HTTP_TIMEOUT_S, NOVA_PRO, REGION,
                     Server, Workspace, anthropic_stream_facts, auth, check_environment,
                     child_env, converse_messages, expected_cost, openai_body,
                     openai_stream_facts, read_bytes, request, update_config)
from upstream_test import (ANTHROPIC_KEY, ANTHROPIC_PROFILE, OPENAI_KEY, OPENAI_PROFILE,
                           PROFILES, SYSTEM, client_body, fake_words, key_env, move_profiles,
                           unique, upstreams_config)

LLAMA = "meta.llama3-1-8b-instruct-v1:0"  # priced in examples/models.json, used by no profile
UNPRICED_PROFILE = "customer9_unpriced"
CLIENT_PATHS = {"openai": "/v1/chat/completions", "anthropic": "/v1/messages", "seed": "/invoke"}
EXIT_LIMIT_S = 10


def words(text):
    return len(text.split())


def key_id_of(key):
    """The id part of an API key cgk_<16-character id>_<secret>."""
    return key[len("cgk_"):len("cgk_") + 16]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_serve(ws, *args, env=None, limit_s=EXIT_LIMIT_S):
    """Runs `costgate serve --config … ARGS` until it exits or says it is listening (then kills
    it); returns (exit status or None when it started, its output)."""
    log_path = ws.path("serve-run-%s.log" % uuid.uuid4().hex[:8])
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([BIN, "serve", "--config", ws.config] + [str(a) for a in args],
                                cwd=ws.dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                env=child_env(env))
        deadline = time.monotonic() + limit_s
        code = None
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None or "listening on" in read_bytes(log_path).decode("utf-8",
                                                                               "replace"):
                break
            time.sleep(0.02)
        if code is None:
            proc.kill()
            proc.wait()
    return code, read_bytes(log_path).decode("utf-8", "replace")


def wait_for_row(ws, call_id, within_s=10.0):
    """The call's usage_records row once it is there (None after within_s)."""
    deadline = time.monotonic() + within_s
    while True:
        row = ws.ledger_row(call_id)
        if row is not None or time.monotonic() > deadline:
            return row
        time.sleep(0.05)


def keep_config(test, ws):
    """Puts the workspace's config.json back as it is now when the test ends; returns its
    bytes."""
    original = read_bytes(ws.config)

    def restore():
        with open(ws.config, "wb") as f:
            f.write(original)
    test.addCleanup(restore)
    return original


def raw_exchange(port, data, timeout=HTTP_TIMEOUT_S):
    """Sends `data` in one write on a fresh connection and reads the answer until the server
    closes or a Content-Length body is complete; returns (status, head text, body bytes)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got = b""
    try:
        sock.sendall(data)
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
            head, sep, body = got.partition(b"\r\n\r\n")
            m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            if sep and m and len(body) >= int(m.group(1)):
                break
    finally:
        sock.close()
    head, _, body = got.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), head.decode("latin-1"), body


def head_of_size(total, path="/healthz"):
    """A GET whose request line and headers (with the empty line that ends them) are exactly
    `total` bytes."""
    start = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " % path
    end = "\r\n\r\n"
    data = (start + "p" * (total - len(start) - len(end)) + end).encode()
    assert len(data) == total
    return data


def os_threads(pid):
    return len(os.listdir("/proc/%d/task" % pid))


class ServeTestCase(unittest.TestCase):
    maxDiff = None

    def start(self, ws, *args, **kw):
        """A server stopped (and checked to exit 0) at the end of the test."""
        server = Server(ws, *args, **kw)

        def stop():
            if server.running():
                self.assertEqual(server.stop(), 0, server.log_text())
            else:
                server.log.close()
        self.addCleanup(stop)
        return server

    def assert_error(self, reply, status, error_type, message_re=None):
        """A whole JSON error answer ({"error": {...}} in the OpenAI and seed dialects, or
        Anthropic's {"type": "error", "error": {...}})."""
        self.assertEqual(reply.status, status, reply)
        self.assertTrue(reply.header("content-type", "").startswith("application/json"), reply)
        err = reply.json()["error"]
        self.assertEqual(err["type"], error_type, reply)
        if message_re:
            self.assertRegex(err["message"], message_re)
        return err

    def assert_not_recorded(self, ws, reply):
        call_id = reply.header("x-costgate-call-id")
        self.assertRegex(call_id or "", CALL_ID_RE, reply)
        self.assertEqual(ws.ledger_count(call_id), 0,
                         "a call refused before the upstream was recorded: %r" % reply)


# ================================================================================= open mode


class OpenModeTest(ServeTestCase):
    """"server": {"open_mode": true} on 127.0.0.1: key-less calls are admin calls."""

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace(prefix="costgate-serve-config-open-",
                           config_keys={"server": {"open_mode": True}})
        cls.addClassCleanup(cls.ws.remove)
        cls.server = Server(cls.ws)

        def stop():
            if cls.server.running():
                cls.server.stop_ok()
            else:
                cls.server.log.close()
        cls.addClassCleanup(stop)

    def call(self, path, body, headers):
        return self.server.call("POST", path, body, headers)

    def test_keyless_calls_are_served_as_admin(self):
        ws = self.ws
        # Every profile, by each kind of selector, each client dialect; no key anywhere.
        cases = [
            ("customer1_websearch", "/v1/chat/completions", openai_body(),
             {"inference-profile-name": "customer1_websearch"}),
            ("customer2_codingbot", "/v1/chat/completions", openai_body(),
             {"inference-profile-id": ws.profiles["customer2_codingbot"]["id"]}),
            ("customer1_codingbot", "/v1/messages",
             {"max_tokens": 24, "model": "customer1_codingbot",
              "messages": [{"role": "user", "content": "Hello there"}]}, {}),
            ("customer2_websearch", "/invoke", converse_messages(),
             {"x-costgate-tag-TenantID": "customer2",
              "x-costgate-tag-ApplicationID": "websearch"}),
        ]
        for profile, path, body, headers in cases:
            with self.subTest(profile=profile, path=path):
                r = self.call(path, body, headers)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("x-costgate-profile"), profile, r)
                call_id = r.header("x-costgate-call-id")
                row = ws.ledger_row(call_id)
                self.assertIsNotNone(row, "open-mode call %s is not in the ledger" % call_id)
                self.assertEqual((row["key_id"], row["profile_name"], row["status"]),
                                 ("open", profile, "success"), row)
                rec = ws.usage_record(call_id)
                self.assertEqual(rec["key_id"], "open", rec)
        # Admin has no profile of its own: a key-less call naming none is a 400, not a guess.
        r = self.call("/v1/chat/completions", openai_body(), {})
        self.assert_error(r, 400, "invalid_request_error", "names no profile")

    def test_a_key_when_given_is_still_checked(self):
        ws = self.ws
        name = {"inference-profile-name": "customer1_websearch"}
        wrong = "cgk_%s_%s" % (uuid.uuid4().hex[:16], "A" * 43)
        for headers in (auth(wrong), auth(wrong, "x-api-key"), auth("not-a-key"),
                        # The admin key with its last character changed (never to itself).
                        {"Authorization": "Bearer " + ws.admin_key[:-1] +
                                          ("y" if ws.admin_key.endswith("x") else "x")},
                        {"Authorization": "Basic " + ws.admin_key}):
            with self.subTest(headers=headers):
                r = self.call("/v1/chat/completions", openai_body(), dict(headers, **name))
                self.assert_error(r, 401, "authentication_error")
                self.assertIsNone(r.header("x-costgate-profile"), r)
                self.assert_not_recorded(ws, r)
        # A valid tenant key keeps its limits (it is not promoted to admin by open mode) ...
        tenant = ws.tenant_keys["customer1"]
        r = self.call("/v1/chat/completions", openai_body(),
                      dict(auth(tenant), **{"inference-profile-name": "customer2_codingbot"}))
        self.assert_error(r, 403, "permission_denied")
        # ... and its calls are its own, not "open".
        r = self.call("/v1/chat/completions", openai_body(), dict(auth(tenant), **name))
        self.assertEqual(r.status, 200, r)
        row = ws.ledger_row(r.header("x-costgate-call-id"))
        self.assertEqual(row["key_id"], key_id_of(tenant), row)

    def test_startup_log_warns_about_open_mode(self):
        log = self.server.log_text()
        self.assertRegex(log, r"(?m)^\S+ warn(ing)? open mode: calls without an API key are "
                              r"served as admin", log)

    def test_open_mode_refuses_a_non_loopback_listener(self):
        port = free_port()
        for how, args in (("flag", ("--listen", "0.0.0.0:%d" % port)),
                          ("config listen", ())):
            with self.subTest(how=how):
                if not args:
                    keep_config(self, self.ws)
                    self.ws.set_config_keys({"listen": "0.0.0.0:%d" % port})
                t0 = time.monotonic()
                code, out = run_serve(self.ws, *args)
                self.assertEqual(code, 2, "serve with open_mode on 0.0.0.0 did not exit 2:\n"
                                 + out)
                self.assertLess(time.monotonic() - t0, 5, out)
                self.assertIn("open_mode", out)
                self.assertRegex(out, r"(?i)loopback", out)
                self.assertIn("0.0.0.0", out)
                self.assertNotIn("listening on", out)
                with self.assertRaises(OSError, msg="something listens on port %d" % port):
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()


# ================================================================================= unpriced


class UnpricedModelsTest(ServeTestCase):
    """A profile whose model lost its price: "unpriced_models": "allow_and_flag" calls it and
    flags the record; the default refuses it with 422 before anything is spent."""

    @classmethod
    def setUpClass(cls):
        cls.ws = ws = Workspace(prefix="costgate-serve-config-unpriced-",
                                config_keys={"unpriced_models": "allow_and_flag"})
        cls.addClassCleanup(ws.remove)
        ws.ok("profiles", "create", "--name", UNPRICED_PROFILE, "--model", LLAMA,
              "--tag", "TenantID=customer9", "--tag", "ApplicationID=unpriced")
        # The model loses its price: setup loads models.json again (the profile is not in the
        # config, so setup does not object to it).
        models_path = ws.path("models.json")
        models = json.loads(read_bytes(models_path))
        del models[REGION]["text"][LLAMA]
        with open(models_path, "w") as f:
            json.dump(models, f, indent=2)
        ws.ok("setup")
        p = ws.run("prices", "show", LLAMA)
        assert p.returncode != 0, "the price of %s is still there:\n%s" % (LLAMA, p.stdout)

    def unpriced_call(self, server, dialect="openai", stream=False):
        body = client_body(dialect, "Price me if you can", stream=stream)
        return server.call("POST", CLIENT_PATHS[dialect], body,
                           dict(auth(self.ws.admin_key),
                                **{"inference-profile-name": UNPRICED_PROFILE}))

    def test_allow_and_flag_makes_the_call_at_zero_cost_flagged(self):
        ws = self.ws
        server = self.start(ws)
        self.assertRegex(server.log_text(), r"warn(ing)? unpriced_models is allow_and_flag")
        r = self.unpriced_call(server)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("x-costgate-profile"), UNPRICED_PROFILE, r)
        self.assertEqual(Decimal(r.header("x-costgate-cost-usd")), 0, r)
        self.assertGreater(int(r.header("x-costgate-output-tokens")), 0, r)
        call_id = r.header("x-costgate-call-id")
        row = ws.ledger_row(call_id)
        self.assertIsNotNone(row, "the unpriced call is not in the ledger")
        self.assertEqual((row["unpriced"], row["status"], row["http_status"], row["model_id"],
                          row["region"], row["estimated"]),
                         (1, "success", 200, LLAMA, REGION, 0), row)
        self.assertEqual(Decimal(row["total_cost"]), 0, row)
        self.assertGreater(row["input_tokens"], 0, row)
        self.assertGreater(row["output_tokens"], 0, row)
        self.assertEqual(row["output_tokens"], int(r.header("x-costgate-output-tokens")), row)
        rec = ws.usage_record(call_id)
        self.assertIs(rec["unpriced"], True, rec)
        self.assertEqual(Decimal(rec["cost"]["total_usd"]), 0, rec)
        self.assertRegex(server.log_text(),
                         r"warn(ing)? call %s: model %s has no price in region %s"
                         % (call_id, re.escape(LLAMA), REGION))
        # A stream too: its final costgate object says zero.
        r = self.unpriced_call(server, "anthropic", stream=True)
        _, _, info = anthropic_stream_facts(self, r)
        self.assertEqual(Decimal(info["cost_usd"]), 0, info)
        self.assertEqual(ws.ledger_row(info["call_id"])["unpriced"], 1)
        # A priced model on the same server is priced and not flagged.
        r = server.call("POST", "/v1/chat/completions", openai_body(),
                        dict(auth(ws.admin_key), **{"inference-profile-name":
                                                    "customer1_websearch"}))
        self.assertEqual(r.status, 200, r)
        row = ws.ledger_row(r.header("x-costgate-call-id"))
        self.assertEqual(row["unpriced"], 0, row)
        self.assertEqual(Decimal(row["total_cost"]),
                         expected_cost(HAIKU, row["input_tokens"], row["output_tokens"]), row)
        self.assertGreater(Decimal(row["total_cost"]), 0, row)

    def test_without_the_option_an_unpriced_model_is_refused_with_422(self):
        ws = self.ws
        original = keep_config(self, ws)

        def drop(config):
            del config["unpriced_models"]
        for how, keys, edit in (("absent", None, drop),
                                ("refuse", {"unpriced_models": "refuse"}, None)):
            with self.subTest(unpriced_models=how):
                with open(ws.config, "wb") as f:
                    f.write(original)
                ws.set_config_keys(keys, edit)
                server = self.start(ws)
                self.assertNotIn("allow_and_flag", server.log_text())
                for dialect, stream in (("openai", False), ("anthropic", True), ("seed", False)):
                    r = self.unpriced_call(server, dialect, stream)
                    err = self.assert_error(r, 422, "unpriced_model")
                    self.assertIn(LLAMA, err["message"])
                    self.assertIn(REGION, err["message"])
                    self.assertEqual(r.header("x-costgate-profile"), UNPRICED_PROFILE, r)
                    self.assert_not_recorded(ws, r)
                self.assertEqual(server.stop(), 0, server.log_text())


# ================================================================================= settings


SETTINGS = {"max_header_bytes": 2048, "max_body_bytes": 4096, "threads": 1,
            "drain_timeout_ms": 300}
SIM_TTFT_MS = 400


class ServerSettingsTest(ServeTestCase):
    """"server" and "upstreams": {"sim": …} from config.json instead of flags."""

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace(prefix="costgate-serve-config-settings-",
                           config_keys={"server": dict(SETTINGS),
                                        "upstreams": {"sim": {"time_to_first_token_ms":
                                                              SIM_TTFT_MS}}})
        cls.addClassCleanup(cls.ws.remove)

    def chat(self, server, body=None, extra_headers=None):
        headers = dict(auth(self.ws.admin_key),
                       **{"inference-profile-name": "customer1_websearch"})
        headers.update(extra_headers or {})
        t0 = time.monotonic()
        r = server.call("POST", "/v1/chat/completions", openai_body() if body is None else body,
                        headers)
        return r, time.monotonic() - t0

    def body_of_size(self, n):
        """An OpenAI request body of exactly n bytes."""
        base = json.dumps(openai_body(""))
        body = json.dumps(openai_body("x" * (n - len(base))))
        self.assertEqual(len(body), n)
        return body

    def test_limits_threads_and_sim_ttft_from_config(self):
        server = self.start(self.ws, threads=None)
        log = server.log_text()
        self.assertIn("ledger durability process_crash", log)
        # Headers (sent in one write, see the report on 431 and resets): 3000 bytes and 2051
        # are over 2048; 2048 are fine.
        for size, want in ((3000, 431), (2051, 431), (2048, 200)):
            status, head, body = raw_exchange(server.port, head_of_size(size))
            self.assertEqual(status, want, "%d bytes of headers: %s" % (size, head))
            if want == 431:
                self.assertIn("2048", json.loads(body)["error"]["message"])
        # Bodies: 5000 bytes and 4097 are over 4096; 4096 are fine.
        for size in (5000, 4097):
            r, _ = self.chat(server, body=self.body_of_size(size))
            self.assertEqual(r.status, 413, r)
            self.assertIn("4096", r.json()["error"]["message"])
        r, took = self.chat(server, body=self.body_of_size(4096))
        self.assertEqual(r.status, 200, r)
        # The sim's time to first token, 400 ms, from upstreams.sim.
        self.assertGreaterEqual(took, SIM_TTFT_MS / 1000.0,
                                "a sim call took %.3f s with time_to_first_token_ms %d"
                                % (took, SIM_TTFT_MS))
        threads_config = os_threads(server.proc.pid)

        # Flags win over the config: --max-body-bytes and --threads; the header limit stays.
        flagged = self.start(self.ws, "--max-body-bytes", "100000", threads=3)
        r, _ = self.chat(flagged, body=self.body_of_size(5000))
        self.assertEqual(r.status, 200, r)
        status, head, _ = raw_exchange(flagged.port, head_of_size(3000))
        self.assertEqual(status, 431, head)
        threads_flag = os_threads(flagged.proc.pid)
        # server.threads I/O threads against three (--threads 3); the other threads are the
        # same in both (Linux: /proc/PID/task).
        self.assertEqual(threads_flag - threads_config, 3 - SETTINGS["threads"],
                         "serve has %d OS threads with server.threads %d and %d with --threads 3"
                         % (threads_config, SETTINGS["threads"], threads_flag))

    def test_keyless_call_without_open_mode_is_401(self):
        # The "server" section is there, open_mode is not: keys are required.
        server = self.start(self.ws, threads=None)
        r = server.call("POST", "/v1/chat/completions", openai_body(),
                        {"inference-profile-name": "customer1_websearch"})
        self.assert_error(r, 401, "authentication_error")
        self.assert_not_recorded(self.ws, r)
        self.assertNotIn("open mode", server.log_text())

    def test_drain_timeout_from_config(self):
        # A call that needs 3 s; SIGTERM after 0.3 s; the drain (300 ms) gives up on it.
        server = Server(self.ws, "--sim-ttft-ms", "3000", threads=None)
        replies = []

        def slow_call():
            try:
                replies.append(request(server.port, "POST", "/v1/chat/completions",
                                       openai_body(),
                                       dict(auth(self.ws.admin_key),
                                            **{"inference-profile-name": "customer1_websearch"})))
            except (OSError, http.client.HTTPException) as e:
                replies.append(e)
        t = threading.Thread(target=slow_call, daemon=True)
        t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        code = server.stop()
        took = time.monotonic() - t0
        t.join(10)
        log = server.log_text()
        self.assertEqual(code, 0, log)
        self.assertIn("draining calls in flight (up to 300 ms)", log)
        self.assertIn("1 call(s) were still running when the drain timeout ended", log)
        self.assertGreaterEqual(took, 0.25, log)
        self.assertLess(took, 2.0, "serve took %.2f s to stop with drain_timeout_ms 300:\n%s"
                        % (took, log))
        self.assertEqual(len(replies), 1, "the slow call did not end")
        # The abandoned call's connection is closed without an answer.
        self.assertIsInstance(replies[0], (OSError, http.client.HTTPException), replies[0])

    def test_ledger_commits_on_the_request_threads(self):
        ws = Workspace(prefix="costgate-serve-config-commits-",
                       config_keys={"server": {"ledger_commits": "request_threads"}})
        self.addCleanup(ws.remove)
        server = self.start(ws)
        self.assertRegex(server.log_text(),
                         r"listening on .*ledger durability process_crash, ledger commits on the "
                         r"request threads")
        # Concurrent calls on both threads: every answered call is in the ledger exactly once.
        replies = []
        lock = threading.Lock()

        def one(i):
            r = server.call("POST", CLIENT_PATHS["openai"],
                            client_body("openai", "Commit %d" % i, stream=i % 2 == 1),
                            dict(auth(ws.admin_key),
                                 **{"inference-profile-name": "customer1_websearch"}))
            with lock:
                replies.append(r)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(r.status for r in replies), [200] * 24)
        for r in replies:
            self.assertEqual(ws.ledger_count(r.header("x-costgate-call-id")), 1, r)

    def test_sim_error_rate_and_power_loss_durability(self):
        ws = Workspace(prefix="costgate-serve-config-errors-",
                       config_keys={"server": {"ledger_durability": "power_loss"},
                                    "upstreams": {"sim": {"error_rate": 1}}})
        self.addCleanup(ws.remove)
        server = self.start(ws)
        self.assertRegex(server.log_text(), r"listening on .*ledger durability power_loss")
        cases = [("openai", False), ("openai", True), ("anthropic", True), ("anthropic", False),
                 ("seed", False)]
        for dialect, stream in cases:
            path, body = CLIENT_PATHS[dialect], client_body(dialect, "Fail me", stream=stream)
            with self.subTest(dialect=dialect, stream=stream):
                r = server.call("POST", path, body,
                                dict(auth(ws.admin_key),
                                     **{"inference-profile-name": "customer2_codingbot"}))
                self.assert_error(r, 503, "upstream_unavailable")
                call_id = r.header("x-costgate-call-id")
                row = ws.ledger_row(call_id)
                self.assertIsNotNone(row, "failed call %s is not in the ledger" % call_id)
                self.assertEqual((row["status"], row["http_status"], row["error_type"],
                                  row["model_id"]),
                                 ("failure", 503, "upstream_unavailable", NOVA_PRO), row)
                self.assertEqual(Decimal(row["total_cost"]), 0, row)
                rec = ws.usage_record(call_id)
                self.assertEqual(rec["status"], "failure", rec)
        totals = ws.usage()["totals"]
        self.assertEqual((totals["calls"], totals["failures"]), (len(cases), len(cases)), totals)

    def test_unknown_keys_stop_setup_and_serve_with_exit_2(self):
        cases = [("server.thread", {"server": {"thread": 2}}),
                 ("upstreams.sim.ttft_ms", {"upstreams": {"sim": {"ttft_ms": 5}}}),
                 ("upstreams.simulator", {"upstreams": {"simulator": {}}})]
        ws = Workspace(prefix="costgate-serve-config-unknown-")
        self.addCleanup(ws.remove)
        original = keep_config(self, ws)
        for path, keys in cases:
            with self.subTest(key=path):
                # setup, on a fresh copy that was never set up: nothing is made.
                fresh = tempfile.mkdtemp(prefix="costgate-serve-config-unknown-setup-")
                self.addCleanup(shutil.rmtree, fresh, True)
                for name in ("config.json", "models.json"):
                    shutil.copyfile(ws.path(name), os.path.join(fresh, name))
                with open(os.path.join(fresh, "config.json"), "wb") as f:
                    f.write(original)
                update_config(os.path.join(fresh, "config.json"), keys)
                p = subprocess.run([BIN, "setup", "--config", os.path.join(fresh, "config.json")],
                                   cwd=fresh, capture_output=True, text=True, timeout=30)
                self.assertEqual(p.returncode, 2, p)
                self.assertIn(path, p.stderr + p.stdout)
                self.assertFalse(os.path.exists(os.path.join(fresh, "costgate.db")),
                                 "setup made a store from a config with an error")
                # serve, on the set-up workspace.
                with open(ws.config, "wb") as f:
                    f.write(original)
                ws.set_config_keys(keys)
                code, out = run_serve(ws, "--listen", "127.0.0.1:0")
                self.assertEqual(code, 2, out)
                self.assertIn(path, out)
                self.assertNotIn("listening on", out)

    def test_metric_store_keys_invalid_value_exit_2_valid_ones_used(self):
        ws = Workspace(prefix="costgate-serve-config-metrics-")
        self.addCleanup(ws.remove)
        original = keep_config(self, ws)
        bad = [("metrics.retention_days: 1m (20 days) must not be longer than 5m (10 days)",
                {"metrics": {"retention_days": {"1m": 20, "5m": 10}}}),
               ("metrics.retention_days.1h: must be a whole number from 1 to 36500, got 0",
                {"metrics": {"retention_days": {"1h": 0}}}),
               ("metrics.max_series: must be a whole number from 1 to 1000000000, got 2.5",
                {"metrics": {"max_series": 2.5}})]
        for message, keys in bad:
            with self.subTest(message=message):
                with open(ws.config, "wb") as f:
                    f.write(original)
                ws.set_config_keys(keys)
                code, out = run_serve(ws, "--listen", "127.0.0.1:0")
                self.assertEqual(code, 2, out)
                self.assertIn(message, out)
                self.assertNotIn("listening on", out)
        # Valid keys: the store lives in the configured folder, relative to the config's.
        with open(ws.config, "wb") as f:
            f.write(original)
        ws.set_config_keys({"metrics": {"directory": "state/metric-store", "max_series": 5000,
                                        "retention_days": {"1m": 2, "5m": 20, "1h": 90}}})
        code, out = run_serve(ws, "--listen", "127.0.0.1:0")
        self.assertIsNone(code, out)
        self.assertIn("listening on", out)
        self.assertIn("metrics: store %s opened" % ws.path("state/metric-store"), out)
        self.assertTrue(os.path.isdir(ws.path("state/metric-store")))
        self.assertFalse(os.path.exists(ws.path("costgate.db.metrics")))


# ================================================================================= disconnect


CHUNK_MS = 100
STREAM_WORDS = 20


def start_stream_and_leave(port, path, headers, body, want_text):
    """POSTs a streaming call on a raw socket, reads until `want_text` has arrived, then closes
    the socket. Returns (status line, headers dict (lower-case names), what was read)."""
    data = json.dumps(body).encode("utf-8")
    lines = ["POST %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port,
             "Content-Type: application/json", "Content-Length: %d" % len(data)]
    lines += ["%s: %s" % kv for kv in headers.items()]
    sock = socket.create_connection(("127.0.0.1", port), timeout=HTTP_TIMEOUT_S)
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + data)
        buf = b""
        while b"\r\n\r\n" not in buf or want_text.encode() not in buf.split(b"\r\n\r\n", 1)[1]:
            piece = sock.recv(65536)
            if not piece:
                break
            buf += piece
    finally:
        sock.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in head_lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return head_lines[0], hdrs, rest


class ClientDisconnectTest(ServeTestCase):
    """A client that leaves a stream after two chunks: costgate reads the HTTP upstream to its
    end and records the upstream's own usage."""

    @classmethod
    def setUpClass(cls):
        cls.openai_fake = FakeUpstream(key=OPENAI_KEY).start()
        cls.addClassCleanup(cls.openai_fake.stop)
        cls.anthropic_fake = FakeUpstream(key=ANTHROPIC_KEY).start()
        cls.addClassCleanup(cls.anthropic_fake.stop)
        timeouts = {"first_byte": 5000, "idle": 5000, "total": 20000}
        cls.ws = Workspace(prefix="costgate-serve-config-disconnect-",
                           config_keys={"upstreams": upstreams_config(
                               cls.openai_fake.openai_base_url,
                               cls.anthropic_fake.anthropic_base_url, timeouts)},
                           edit_config=move_profiles)
        cls.addClassCleanup(cls.ws.remove)

    def test_usage_of_an_abandoned_stream_is_read_to_the_end(self):
        ws = self.ws
        server = self.start(ws, env=key_env())
        cases = [(OPENAI_PROFILE, "openai", self.openai_fake),
                 (ANTHROPIC_PROFILE, "anthropic", self.anthropic_fake)]
        aborts = {id(f): f.stats()["client_aborts"] for _, _, f in cases}
        results = {}

        def leave(profile, dialect):
            token = unique("leave")
            text = "Leave early %s words=%d chunk_ms=%d" % (token, STREAM_WORDS, CHUNK_MS)
            body = client_body(dialect, text, max_tokens=50, stream=True)
            headers = dict(auth(ws.admin_key), **{"inference-profile-name": profile})
            t0 = time.monotonic()
            try:
                results[profile] = (token, text, t0,
                                    start_stream_and_leave(server.port, CLIENT_PATHS[dialect],
                                                           headers, body, "w2"))
            except OSError as e:
                results[profile] = e
        threads = [threading.Thread(target=leave, args=(p, d)) for p, d, _ in cases]
        for t in threads:
            t.start()
        for t in threads:
            t.join(HTTP_TIMEOUT_S)
        for profile, dialect, fake in cases:
            with self.subTest(upstream=PROFILES[profile][1], client=dialect):
                got = results.get(profile)
                self.assertIsInstance(got, tuple, "the client's call failed: %r" % (got,))
                token, text, t0, (status, headers, read) = got
                self.assertIn(" 200 ", status + " ", status)
                # The client left long before the end of the answer.
                self.assertNotIn(b"w%d" % STREAM_WORDS, read, read)
                call_id = headers.get("x-costgate-call-id", "")
                self.assertRegex(call_id, CALL_ID_RE, headers)
                row = wait_for_row(ws, call_id)
                self.assertIsNotNone(row, "no ledger row for the abandoned call %s:\n%s"
                                     % (call_id, server.log_text()[-3000:]))
                waited = time.monotonic() - t0
                model = PROFILES[profile][0]
                want_in = words(SYSTEM) + words(text)
                self.assertEqual((row["input_tokens"], row["output_tokens"], row["estimated"]),
                                 (want_in, STREAM_WORDS, 0),
                                 "the ledger does not hold the upstream's full usage: %r" % row)
                self.assertEqual(Decimal(row["total_cost"]),
                                 expected_cost(model, want_in, STREAM_WORDS), row)
                # The upstream call succeeded and is paid in full; the record says the client
                # left (HTTP 499, as nginx logs it, and error_type client_disconnected).
                self.assertEqual((row["status"], row["http_status"], row["error_type"]),
                                 ("success", 499, "client_disconnected"), row)
                self.assertIn("call %s (profile %s): the client left mid-stream"
                              % (call_id, profile), server.log_text())
                # The answer took about words x chunk_ms at the upstream: it was read through.
                self.assertGreaterEqual(row["ended_at"] - row["started_at"],
                                        (STREAM_WORDS - 2) * CHUNK_MS, row)
                self.assertGreaterEqual(waited, (STREAM_WORDS - 2) * CHUNK_MS / 1000.0)
                # One request reached the upstream, and costgate did not hang up on it.
                self.assertEqual(len(fake.requests_with(token)), 1)
                self.assertEqual(fake.stats()["client_aborts"], aborts[id(fake)],
                                 "costgate closed the upstream connection of an abandoned "
                                 "stream")
        # The server is fine afterwards.
        r = server.call("POST", "/v1/chat/completions",
                        client_body("openai", "Still there?"),
                        dict(auth(ws.admin_key), **{"inference-profile-name": OPENAI_PROFILE}))
        self.assertEqual(r.status, 200, r)


# ================================================================================= TLS


CA_CNF = """[req]
distinguished_name = dn
prompt = no
x509_extensions = ext
[dn]
CN = costgate test CA %s
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
"""

LEAF_EXT = """basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = %s
authorityKeyIdentifier = keyid
"""


def openssl(cwd, *args):
    p = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True,
                       timeout=30)
    if p.returncode != 0:
        raise AssertionError("openssl %s failed (%d):\n%s%s"
                             % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return p


def make_certificates(folder):
    """A throwaway CA (ca.pem) and two server certificates it signed: good.pem/good.key for
    IP 127.0.0.1, wrong.pem/wrong.key for another name (wrong.example and 127.0.0.2)."""
    with open(os.path.join(folder, "ca.cnf"), "w") as f:
        f.write(CA_CNF % uuid.uuid4().hex[:8])
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(folder, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-config", "ca.cnf")
    for serial, (name, cn, san) in enumerate((("good", "127.0.0.1", "IP:127.0.0.1"),
                                              ("wrong", "wrong.example",
                                               "DNS:wrong.example, IP:127.0.0.2")), start=2):
        with open(os.path.join(folder, name + ".ext"), "w") as f:
            f.write(LEAF_EXT % san)
        openssl(folder, "req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=" + cn)
        openssl(folder, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey",
                "ca.key", "-set_serial", str(serial), "-days", "2", "-out", name + ".pem",
                "-extfile", name + ".ext")
        # Both chains are valid: only the name tells the two certificates apart.
        openssl(folder, "verify", "-CAfile", "ca.pem", name + ".pem")
    return {name: os.path.join(folder, name) for name in ("ca.pem", "good.pem", "good.key",
                                                          "wrong.pem", "wrong.key")}


class TlsUpstreamTest(ServeTestCase):
    """The openai and anthropic upstreams over HTTPS, verified against a private CA given as
    ca_file."""

    @classmethod
    def setUpClass(cls):
        if shutil.which("openssl") is None:
            raise AssertionError("the openssl command is not installed (Debian package "
                                 "openssl); the TLS tests need it to make certificates")
        cls.tmp = tempfile.mkdtemp(prefix="costgate-serve-config-tls-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.certs = c = make_certificates(cls.tmp)
        cls.openai_fake = FakeUpstream(key=OPENAI_KEY, tls_cert=c["good.pem"],
                                       tls_key=c["good.key"]).start()
        cls.addClassCleanup(cls.openai_fake.stop)
        cls.anthropic_fake = FakeUpstream(key=ANTHROPIC_KEY, tls_cert=c["good.pem"],
                                          tls_key=c["good.key"]).start()
        cls.addClassCleanup(cls.anthropic_fake.stop)
        cls.wrong_fake = FakeUpstream(key=ANTHROPIC_KEY, tls_cert=c["wrong.pem"],
                                      tls_key=c["wrong.key"]).start()
        cls.addClassCleanup(cls.wrong_fake.stop)

    def workspace(self, openai_url, openai_ca, anthropic_url, anthropic_ca):
        ups = upstreams_config(openai_url, anthropic_url, {"total": 10000})
        if openai_ca is not None:
            ups["openai"]["ca_file"] = openai_ca
        if anthropic_ca is not None:
            ups["anthropic"]["ca_file"] = anthropic_ca
        ws = Workspace(prefix="costgate-serve-config-tls-ws-", config_keys={"upstreams": ups},
                       edit_config=move_profiles)
        self.addCleanup(ws.remove)
        return ws

    def call(self, server, ws, profile, dialect, text, stream=False):
        return server.call("POST", CLIENT_PATHS[dialect],
                           client_body(dialect, text, stream=stream),
                           dict(auth(ws.admin_key), **{"inference-profile-name": profile}))

    def test_calls_work_through_tls(self):
        self.assertTrue(self.openai_fake.url.startswith("https://"), self.openai_fake.url)
        # openai: ca_file as an absolute path; anthropic: relative to the config's folder.
        ws = self.workspace(self.openai_fake.openai_base_url, self.certs["ca.pem"],
                            self.anthropic_fake.anthropic_base_url, "tls/ca.pem")
        os.mkdir(ws.path("tls"))
        shutil.copyfile(self.certs["ca.pem"], ws.path("tls", "ca.pem"))
        server = self.start(ws, env=key_env())
        failures = {id(f): f.stats()["tls_failures"]
                    for f in (self.openai_fake, self.anthropic_fake)}
        for profile, dialect, stream in ((OPENAI_PROFILE, "openai", False),
                                         (OPENAI_PROFILE, "openai", True),
                                         (ANTHROPIC_PROFILE, "anthropic", True),
                                         (ANTHROPIC_PROFILE, "seed", False)):
            fake = self.openai_fake if PROFILES[profile][1] == "openai" else self.anthropic_fake
            with self.subTest(upstream=PROFILES[profile][1], client=dialect, stream=stream):
                token = unique("tls")
                text = "Secure %s" % token
                r = self.call(server, ws, profile, dialect, text, stream)
                self.assertEqual(r.status, 200, r)
                if stream and dialect == "openai":
                    answer, _, info = openai_stream_facts(self, r, include_usage=True)
                    call_id = info["call_id"]
                elif stream:
                    # message_start carries costgate's estimate; the final usage the upstream's.
                    answer, _, info = anthropic_stream_facts(self, r, same_input_at_start=False)
                    call_id = info["call_id"]
                else:
                    call_id = r.header("x-costgate-call-id")
                    body = r.json()
                    answer = (body["choices"][0]["message"]["content"] if dialect == "openai"
                              else "".join(p["text"] for p in body["message"]["content"]))
                self.assertEqual(answer, fake_words(8), r)
                self.assertEqual(len(fake.requests_with(token)), 1)
                row = ws.ledger_row(call_id)
                want_in = words(SYSTEM) + words(text)
                self.assertEqual((row["status"], row["upstream"], row["input_tokens"],
                                  row["output_tokens"], row["estimated"]),
                                 ("success", PROFILES[profile][1], want_in, 8, 0), row)
                self.assertEqual(Decimal(row["total_cost"]),
                                 expected_cost(PROFILES[profile][0], want_in, 8), row)
        for f in (self.openai_fake, self.anthropic_fake):
            self.assertEqual(f.stats()["tls_failures"], failures[id(f)],
                             f.stats()["last_tls_error"])

    def test_untrusted_or_misnamed_certificates_are_502(self):
        # openai: the CA is not given, so the (private) CA is not trusted. anthropic: the CA is
        # given, but the certificate names wrong.example / 127.0.0.2, not 127.0.0.1.
        ws = self.workspace(self.openai_fake.openai_base_url, None,
                            self.wrong_fake.anthropic_base_url, self.certs["ca.pem"])
        server = self.start(ws, env=key_env())
        for profile, fake, dialect, stream, why in (
                (OPENAI_PROFILE, self.openai_fake, "openai", False, "no ca_file"),
                (OPENAI_PROFILE, self.openai_fake, "anthropic", True, "no ca_file"),
                (ANTHROPIC_PROFILE, self.wrong_fake, "anthropic", False, "wrong name"),
                (ANTHROPIC_PROFILE, self.wrong_fake, "openai", True, "wrong name")):
            with self.subTest(why=why, client=dialect, stream=stream):
                before = fake.stats()["tls_failures"]
                token = unique("tls")
                r = self.call(server, ws, profile, dialect, "Insecure %s" % token, stream)
                err = self.assert_error(r, 502, "upstream_unreachable")
                # The message says why: an untrusted chain, or a certificate for another name.
                self.assertRegex(err["message"],
                                 r"certificate is not trusted" if why == "no ca_file"
                                 else r"certificate does not name 127\.0\.0\.1", err)
                self.assertIn(PROFILES[profile][1], err["message"])
                self.assertEqual(fake.requests_with(token), [],
                                 "a request went through an unverified connection")
                # The fake counts the failed handshake when the client's alert reaches it,
                # which can be just after costgate has answered 502.
                deadline = time.monotonic() + 5
                while fake.stats()["tls_failures"] <= before and time.monotonic() < deadline:
                    time.sleep(0.02)
                self.assertEqual(fake.stats()["tls_failures"], before + 1,
                                 "a certificate failure is final: exactly one handshake, no "
                                 "retries")
                row = ws.ledger_row(r.header("x-costgate-call-id"))
                if row is not None:
                    self.assertEqual((row["status"], row["error_type"]),
                                     ("failure", "upstream_unreachable"), row)
                    self.assertEqual(Decimal(row["total_cost"]), 0, row)

    def test_unreadable_ca_file_stops_serve(self):
        ws = self.workspace(self.openai_fake.openai_base_url, "no-such-ca.pem",
                            self.anthropic_fake.anthropic_base_url, None)
        code, out = run_serve(ws, "--listen", "127.0.0.1:0", env=key_env())
        self.assertEqual(code, 2, out)
        self.assertIn("upstreams.openai.ca_file", out)
        self.assertIn("no-such-ca.pem", out)


# ================================================================================= bedrock


# Every AWS variable the credential lookup reads, removed so the machine's own never leak in.
NO_AWS_ENV = {k: None for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                                "AWS_SHARED_CREDENTIALS_FILE", "AWS_PROFILE")}


class BedrockCredentialsTest(unittest.TestCase):
    """A configured bedrock upstream needs AWS credentials from the environment or the shared
    credentials file; without them serve refuses to start and says where it looked."""

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace(prefix="costgate-serve-config-bedrock-",
                           config_keys={"upstreams": {"bedrock": {
                               "endpoint": "http://127.0.0.1:9", "region": "us-east-1"}}})
        cls.addClassCleanup(cls.ws.remove)
        cls.home = cls.ws.path("home")
        os.makedirs(cls.home)

    def serve(self, **env):
        return run_serve(self.ws, "--listen", "127.0.0.1:0",
                         env=dict(NO_AWS_ENV, HOME=self.home, **env))

    def test_without_credentials_serve_refuses_to_start_saying_where_it_looked(self):
        code, out = self.serve()
        self.assertEqual(code, 2, out)
        self.assertIn("the bedrock upstream needs AWS credentials: no AWS credentials: "
                      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set, and "
                      "%s/.aws/credentials cannot be read (No such file or directory)"
                      % self.home, out)
        self.assertNotIn("listening on", out)

    def test_half_an_environment_pair_is_refused(self):
        code, out = self.serve(AWS_ACCESS_KEY_ID="AKIDEXAMPLE")
        self.assertEqual(code, 2, out)
        self.assertIn("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", out)

    def test_environment_credentials(self):
        code, out = self.serve(AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret")
        self.assertIsNone(code, out)
        self.assertIn("bedrock upstream: http://127.0.0.1:9, AWS credentials from environment "
                      "(AWS_ACCESS_KEY_ID)", out)
        self.assertRegex(out, r"upstreams [a-z, ]*bedrock", out)
        self.assertNotIn("secret", out)

    def test_shared_file_profile_and_a_missing_profile(self):
        path = self.ws.path("aws-credentials")
        with open(path, "w") as f:
            f.write("[default]\naws_access_key_id = AKIDEF\naws_secret_access_key = s1\n\n"
                    "[ci]\naws_access_key_id = AKICI\naws_secret_access_key = s2\n")
        code, out = self.serve(AWS_SHARED_CREDENTIALS_FILE=path, AWS_PROFILE="ci")
        self.assertIsNone(code, out)
        self.assertIn("AWS credentials from %s [ci]" % path, out)
        code, out = self.serve(AWS_SHARED_CREDENTIALS_FILE=path, AWS_PROFILE="prod")
        self.assertEqual(code, 2, out)
        self.assertIn("%s has no [prod] section (it has: default, ci)" % path, out)


if __name__ == "__main__":
    check_environment("serve_config_test.py")
    unittest.main()
