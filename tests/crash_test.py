#!/usr/bin/env python3
"""kill -9 under load, three times: no answered call is lost from the ledger, none is counted
twice.

`costgate serve` runs the sim upstream at 200 tokens a second, so calls take a while and many
are in flight. Sixteen client threads call it without pause in every dialect, whole and
streamed, and log the call id of each call that was answered: a whole answer is answered when
its 200 body arrived complete; a stream when its final event (the one carrying the "costgate"
object) arrived. After about 1.5 s of load the server gets SIGKILL; it is restarted on the same
store and the ledger (SQLite `usage_records`) must hold every answered call id exactly once, at
the cost the client was told. Calls in flight at the kill may be recorded without having been
answered, so the ledger may hold more rows than answered calls, never fewer.

    COSTGATE_BIN=build/src/costgate COSTGATE_EXAMPLES=examples python3 tests/crash_test.py -v

Standard library only.
"""

import http.client
import json
import subprocess
import threading
import time
import unittest
from decimal import Decimal

from testlib import (BIN, PROFILE_NAMES, Server, Workspace, anthropic_body, auth,
                     check_environment, converse_messages, openai_body)

CYCLES = 3
THREADS = 16
LOAD_S = 1.5
TOKENS_PER_SECOND = 200
CALL_TIMEOUT_S = 10
KINDS = ("openai", "openai-stream", "anthropic", "anthropic-stream", "seed")


def sim_speed_flag_exists():
    """Whether `costgate serve` still takes --sim-tokens-per-second (else the config's
    upstreams.sim.tokens_per_second must do)."""
    p = subprocess.run([BIN, "serve", "--help"], capture_output=True, text=True, timeout=30)
    return "--sim-tokens-per-second" in p.stdout + p.stderr


class Answer:
    """What one client call got: the call id and cost when it was answered, else why not."""

    def __init__(self, call_id=None, cost=None, failure=None):
        self.call_id = call_id
        self.cost = cost
        self.failure = failure


def final_facts(data):
    """The "costgate" object of a stream's final event (OpenAI: the last chunk before [DONE];
    Anthropic: message_stop) when that event arrived whole, else None. `data` may be cut
    anywhere."""
    blocks = data.decode("utf-8", "replace").split("\n\n")[:-1]  # the events that ended
    for block in blocks:
        for line in block.split("\n"):
            if line.startswith("data: {"):
                try:
                    info = json.loads(line[len("data: "):]).get("costgate")
                except ValueError:
                    info = None
                if info:
                    return info
    return None


def one_call(port, key, kind, profile, n):
    """Makes one call; returns an Answer."""
    text = "crash call %d" % n
    headers = dict(key, **{"inference-profile-name": profile, "Content-Type": "application/json"})
    stream = kind.endswith("-stream")
    if kind.startswith("openai"):
        path = "/v1/chat/completions"
        body = openai_body(text, max_tokens=20 + n % 20)
        if stream:
            body.update(stream=True, stream_options={"include_usage": n % 2 == 0})
    elif kind.startswith("anthropic"):
        path = "/v1/messages"
        body = anthropic_body(text, max_tokens=20 + n % 20, stream=stream)
    else:
        path = "/invoke"
        body = {"messages": converse_messages(text), "inferenceConfig": {"maxTokens": 20 + n % 20}}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CALL_TIMEOUT_S)
    data = b""
    try:
        conn.request("POST", path, json.dumps(body), headers)
        resp = conn.getresponse()
        if resp.status != 200:
            resp.read()
            return Answer(failure="HTTP %d" % resp.status)
        if not stream:
            data = resp.read()  # raises when cut short
            answer = json.loads(data)
            call_id = resp.getheader("x-costgate-call-id")
            if answer.get("costgate", {}).get("call_id", call_id) != call_id:
                return Answer(failure="call id differs: %r" % data[:300])
            return Answer(call_id, Decimal(resp.getheader("x-costgate-cost-usd")))
        try:
            while True:
                piece = resp.read1(65536)
                if not piece:
                    break
                data += piece
        except (OSError, http.client.HTTPException):
            pass  # the kill; what arrived decides
        info = final_facts(data)
        if info is None:
            return Answer(failure="stream cut before its final event")
        if info["call_id"] != resp.getheader("x-costgate-call-id"):
            return Answer(failure="call id differs: %r" % info)
        return Answer(info["call_id"], Decimal(info["cost_usd"]))
    except (OSError, http.client.HTTPException, ValueError) as e:
        return Answer(failure=type(e).__name__)
    finally:
        conn.close()


class CrashTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.ws = Workspace(prefix="costgate-crash-test-", config_keys={
            "upstreams": {"sim": {"tokens_per_second": TOKENS_PER_SECOND}}})
        self.addCleanup(self.ws.remove)
        self.server_args = (("--sim-tokens-per-second", TOKENS_PER_SECOND)
                            if sim_speed_flag_exists() else ())
        self.server = None
        self.addCleanup(self._stop)

    def _stop(self):
        if self.server and self.server.running():
            self.server.kill9()

    def start(self):
        self.server = Server(self.ws, *self.server_args)
        return self.server

    def load(self, port):
        """Runs THREADS client threads until told to stop; returns (answered, failures, stop,
        threads): answered maps call id -> cost."""
        keys = [auth(self.ws.admin_key), auth(self.ws.admin_key, "x-api-key")]
        answered, failures, lock = {}, [], threading.Lock()
        stop = threading.Event()
        counter = iter(range(1 << 30))
        duplicates = []

        def client(t):
            while not stop.is_set():
                with lock:
                    n = next(counter)
                a = one_call(port, keys[n % 2], KINDS[(n + t) % len(KINDS)],
                             PROFILE_NAMES[n % len(PROFILE_NAMES)], n)
                with lock:
                    if a.call_id is None:
                        failures.append(a.failure)
                    elif a.call_id in answered:
                        duplicates.append(a.call_id)
                    else:
                        answered[a.call_id] = a.cost

        threads = [threading.Thread(target=client, args=(t,), daemon=True)
                   for t in range(THREADS)]
        for th in threads:
            th.start()
        return answered, failures, duplicates, stop, threads

    def ledger(self):
        rows = self.ws.query("SELECT call_id, total_cost FROM usage_records")
        counts = dict(self.ws.query(
            "SELECT call_id, count(*) FROM usage_records GROUP BY call_id HAVING count(*) > 1"))
        return rows, counts

    def test_kill_9_three_times_loses_no_answered_call(self):
        all_answered = {}
        server = self.start()
        for cycle in range(1, CYCLES + 1):
            answered, failures, duplicates, stop, threads = self.load(server.port)
            time.sleep(LOAD_S)
            failures_before_kill = list(failures)
            stop.set()  # no new calls; those in flight meet the kill
            server.kill9()
            for th in threads:
                th.join(CALL_TIMEOUT_S + 5)
                self.assertFalse(th.is_alive(), "a client thread is stuck")
            self.assertEqual(failures_before_kill, [],
                             "cycle %d: calls failed before the kill" % cycle)
            self.assertEqual(duplicates, [], "cycle %d: a call id was answered twice" % cycle)
            self.assertGreaterEqual(len(answered), 20,
                                    "cycle %d: only %d calls answered in %.1f s of load"
                                    % (cycle, len(answered), LOAD_S))
            self.assertGreater(len(failures), 0,
                               "cycle %d: no call was in flight at the kill" % cycle)
            self.assertFalse(set(answered) & set(all_answered),
                             "cycle %d reused a call id of an earlier cycle" % cycle)
            all_answered.update(answered)

            # Restart on the same store: every answered call is there, once, at its cost.
            server = self.start()
            rows, repeated = self.ledger()
            self.assertEqual(repeated, {}, "call ids recorded more than once")
            costs = dict(rows)
            missing = sorted(c for c in all_answered if c not in costs)
            self.assertEqual(missing, [], "cycle %d: %d answered calls are missing from the "
                             "ledger (of %d answered)" % (cycle, len(missing), len(all_answered)))
            self.assertGreaterEqual(len(rows), len(all_answered))
            wrong = {c: (str(all_answered[c]), costs[c]) for c in all_answered
                     if Decimal(costs[c]) != all_answered[c]}
            self.assertEqual(wrong, {}, "ledger costs differ from what clients were told")
            self.assertEqual(self.ws.query("PRAGMA integrity_check")[0][0], "ok")

        # The last server serves and stops cleanly; `costgate usage` agrees with SQLite.
        self.assertEqual(server.stop(), 0, server.log_text())
        usage = self.ws.usage()
        ids = [r["call_id"] for r in usage["records"]]
        self.assertEqual(len(ids), len(set(ids)), "`costgate usage` lists a call twice")
        self.assertEqual(usage["totals"]["calls"], len(ids))
        self.assertEqual(len(ids), self.ws.query("SELECT count(*) FROM usage_records")[0][0])
        self.assertTrue(set(all_answered) <= set(ids))


if __name__ == "__main__":
    check_environment("crash_test.py")
    unittest.main()
