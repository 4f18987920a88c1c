#!/usr/bin/env python3
"""End-to-end tests of GET /metrics, the Prometheus exposition of `costgate serve`.

Known traffic goes through a real `costgate serve` (the sim upstream, with a share of simulated
failures): successes and failures on two profiles of two tenants, plain and streamed, plus
requests refused before any upstream call. Then /metrics is fetched and every per-profile
counter is checked against that traffic and against the SQLite ledger exactly (calls by status,
error types, tokens and cost by kind as exact decimals, each latency bucket), the ledger and
process figures are checked, and `promtool check metrics` (Debian's prometheus package) must
find no problem. Further classes check the config: metrics.dimensions as labels, a label
collision refused at start, and metrics.bearer_token_env.

    COSTGATE_BIN=build/src/costgate COSTGATE_EXAMPLES=examples python3 tests/prometheus_test.py -v

Standard library only, plus the `promtool` program.
"""

import collections
import re
import shutil
import subprocess
import time
import unittest
from decimal import Decimal

from testlib import (BIN, GatewayTestCase, Server, Workspace, anthropic_body, auth,
                     check_environment, child_env, openai_body, openai_stream_facts, read_bytes)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ERROR_RATE = "0.35"
# The buckets' upper bounds in milliseconds, as the le labels write them in seconds.
BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000,
              300000]
ALL_TAG_LABELS = ["application_id", "created_by", "customer_account_id", "environment",
                  "model_name", "model_provider", "tenant_id"]
KINDS = ["input", "output", "cache_read", "cache_write"]
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_exposition(text):
    """The samples of a text exposition: a list of (name, {label: value}, value text), and the
    families' types {name: type}. Fails on a line it cannot read."""
    samples, types = [], {}
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        if not m:
            raise AssertionError("unreadable sample line: %r" % line)
        labels = {}
        rest = m.group(2) or ""
        while rest:
            lm = LABEL_RE.match(rest)
            if not lm:
                raise AssertionError("unreadable labels in %r" % line)
            labels[lm.group(1)] = lm.group(2)
            rest = rest[lm.end():]
        samples.append((m.group(1), labels, m.group(3)))
    return samples, types


def promtool_problems(text):
    """Runs `promtool check metrics` on the text; returns (exit status, what it printed)."""
    promtool = shutil.which("promtool")
    if not promtool:
        raise AssertionError("promtool not found: install Debian's prometheus package "
                             "(scripts/setup.sh does)")
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


class Metrics:
    """One scrape, parsed; values by metric name and labels."""

    def __init__(self, reply):
        self.text = reply.body.decode("utf-8")
        self.samples, self.types = parse_exposition(self.text)

    def find(self, name, **labels):
        """The samples of `name` whose labels include `labels`."""
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == v for k, v in labels.items())]

    def value(self, name, **labels):
        """The value of the one sample of `name` with exactly... labels including `labels`."""
        found = self.find(name, **labels)
        if len(found) != 1:
            raise AssertionError("%d samples of %s with %r, expected one:\n%s"
                                 % (len(found), name, labels, found))
        return Decimal(found[0][1])


class Traffic:
    """What the test sent and what came back, per profile."""

    def __init__(self):
        self.calls = collections.Counter()      # (profile, "success"|"failure")
        self.errors = collections.Counter()     # (profile, error type)
        self.tokens = collections.Counter()     # (profile, "input"|"output")
        self.cost = collections.defaultdict(Decimal)  # profile -> total from the headers
        self.streams = collections.Counter()    # profile -> streamed successes

    def note(self, test, profile, reply, stream=False):
        if reply.status == 200:
            self.calls[profile, "success"] += 1
            if stream:
                _, _, info = openai_stream_facts(test, reply, include_usage=True)
                self.streams[profile] += 1
                self.tokens[profile, "input"] += info["input_tokens"]
                self.tokens[profile, "output"] += info["output_tokens"]
                self.cost[profile] += Decimal(info["cost_usd"])
                return
        else:
            test.assertEqual(reply.status, 503, reply)
            test.assertEqual(reply.json()["error"]["type"], "upstream_unavailable", reply)
            self.calls[profile, "failure"] += 1
            self.errors[profile, "upstream_unavailable"] += 1
        test.assertEqual(reply.header("x-costgate-profile"), profile, reply)
        self.tokens[profile, "input"] += int(reply.header("x-costgate-input-tokens"))
        self.tokens[profile, "output"] += int(reply.header("x-costgate-output-tokens"))
        self.cost[profile] += Decimal(reply.header("x-costgate-cost-usd"))


class ExpositionTest(GatewayTestCase):
    """Default config: every tag key of the profiles is a label."""
    server_args = ("--sim-error-rate", ERROR_RATE)

    C1 = "customer1_websearch"
    C2 = "customer2_codingbot"

    @classmethod
    def setUpClass(cls):
        cls.started = time.time()
        super().setUpClass()

    def send_traffic(self):
        t = Traffic()
        for i in range(14):
            r = self.chat(self.tenant("customer1"), {"inference-profile-name": self.C1},
                          body=openai_body("customer one asks question %d" % i))
            t.note(self, self.C1, r)
        for i in range(14):
            r = self.messages(self.tenant("customer2"), {"inference-profile-name": self.C2},
                              body=anthropic_body("customer two, question number %d" % i))
            t.note(self, self.C2, r)
        for i in range(4):
            r = self.chat(self.tenant("customer2"), {"inference-profile-name": self.C2},
                          body=openai_body("stream %d" % i, stream=True,
                                           stream_options={"include_usage": True}))
            t.note(self, self.C2, r, stream=True)
        # Refused before any upstream call: not metered, so not counted.
        self.assert_status(self.chat(auth("cgk_nosuchkey_000"),
                                     {"inference-profile-name": self.C1}), 401)
        self.assert_status(self.chat(self.tenant("customer1"),
                                     {"inference-profile-name": self.C2}), 403)
        return t

    def scrape(self):
        r = self.server.call("GET", "/metrics")
        self.assert_status(r, 200)
        self.assertEqual(r.header("content-type"), CONTENT_TYPE)
        return Metrics(r)

    def ledger_rows(self, profile):
        return [r for r in self.ws.query(
            "SELECT started_at, first_token_at, ended_at, input_tokens, output_tokens, "
            "cache_read_tokens, cache_write_tokens, plain_input_cost, output_cost, "
            "cache_read_cost, cache_write_cost, total_cost, status, error_type "
            "FROM usage_records WHERE profile_name = ?", (profile,))]

    def test_counters_match_the_traffic_and_the_ledger_and_promtool_accepts_them(self):
        t = self.send_traffic()
        for p in (self.C1, self.C2):
            self.assertGreater(t.calls[p, "success"], 0, "no success on %s" % p)
            self.assertGreater(t.calls[p, "failure"], 0, "no simulated failure on %s" % p)
        self.assertEqual(sum(t.streams.values()), t.streams[self.C2])
        m = self.scrape()

        code, problems = promtool_problems(m.text)
        self.assertEqual((code, problems), (0, ""), m.text)

        tags = {p["name"]: {t_["key"]: t_["value"] for t_ in p["tags"]}
                for p in self.ws.profiles.values()}
        for profile in (self.C1, self.C2):
            labels = {"profile": profile, "tenant_id": tags[profile]["TenantID"],
                      "application_id": tags[profile]["ApplicationID"],
                      "customer_account_id": tags[profile]["CustomerAccountID"]}
            rows = self.ledger_rows(profile)
            # Calls by status: the traffic's answers, and the ledger's rows.
            for status in ("success", "failure"):
                n = m.value("costgate_calls_total", status=status, **labels)
                self.assertEqual(n, t.calls[profile, status], (profile, status))
                self.assertEqual(n, sum(1 for r in rows if r[12] == status), (profile, status))
            self.assertEqual(m.find("costgate_call_errors_total", **labels),
                             [(dict(labels, error_type="upstream_unavailable",
                                    **self.other_labels(m, profile)),
                               str(t.errors[profile, "upstream_unavailable"]))])
            # Tokens and cost by kind, exactly.
            ledger_tokens = dict(zip(KINDS, (sum(r[i] for r in rows) for i in (3, 4, 5, 6))))
            ledger_cost = dict(zip(KINDS, (sum((Decimal(r[i]) for r in rows), Decimal(0))
                                           for i in (7, 8, 9, 10))))
            for kind in KINDS:
                self.assertEqual(m.value("costgate_tokens_total", kind=kind, **labels),
                                 ledger_tokens[kind], (profile, kind))
                self.assertEqual(m.value("costgate_cost_usd_total", kind=kind, **labels),
                                 ledger_cost[kind], (profile, kind))
            self.assertEqual(ledger_tokens["input"], t.tokens[profile, "input"])
            self.assertEqual(ledger_tokens["output"], t.tokens[profile, "output"])
            cost_sum = sum(m.value("costgate_cost_usd_total", kind=k, **labels) for k in KINDS)
            self.assertEqual(cost_sum, t.cost[profile])
            self.assertEqual(cost_sum, sum((Decimal(r[11]) for r in rows), Decimal(0)))
            self.assertGreater(cost_sum, 0)
            # Latency: every bucket against the ledger's times (milliseconds).
            self.check_histogram(m, "costgate_request_duration_seconds", labels,
                                 [r[2] - r[0] for r in rows])
            self.check_histogram(m, "costgate_time_to_first_token_seconds", labels,
                                 [r[1] - r[0] for r in rows if r[1] is not None])
            self.assertEqual(m.value("costgate_time_to_first_token_seconds_count", **labels),
                             t.streams[profile])

        # Profiles without calls are there, at zero.
        for quiet in ("customer1_codingbot", "customer2_websearch"):
            self.assertEqual(m.value("costgate_calls_total", profile=quiet, status="success"), 0)
            self.assertEqual(m.value("costgate_cost_usd_total", profile=quiet, kind="input"), 0)
        self.assertEqual(sorted(l["profile"] for l, _ in
                                m.find("costgate_calls_total", status="success")),
                         sorted(self.ws.profiles))
        # Every tag key is a label.
        labels_seen = set(m.find("costgate_unpriced_calls_total", profile=self.C1)[0][0])
        self.assertEqual(labels_seen, {"profile"} | set(ALL_TAG_LABELS))

        # Ledger figures: this server committed every row the ledger holds.
        total_rows = self.ws.query("SELECT count(*) FROM usage_records")[0][0]
        self.assertEqual(total_rows, sum(t.calls.values()))
        self.assertEqual(m.value("costgate_ledger_records_committed_total"), total_rows)
        commits = m.value("costgate_ledger_commits_total")
        self.assertTrue(1 <= commits <= total_rows, commits)
        self.assertEqual(m.value("costgate_ledger_records_failed_total"), 0)
        self.assertEqual(m.value("costgate_prometheus_series"), len(self.ws.profiles))
        self.assertEqual(m.value("costgate_prometheus_dropped_records_total"), 0)
        # Process figures.
        start = m.value("process_start_time_seconds")
        self.assertTrue(Decimal(self.started) - 1 <= start <= Decimal(time.time()), start)
        self.assertGreater(m.value("process_resident_memory_bytes"), 1 << 20)
        self.assertGreater(m.value("process_open_fds"), 3)
        self.assertEqual(m.types["costgate_request_duration_seconds"], "histogram")
        self.assertEqual(m.types["costgate_calls_total"], "counter")

    def other_labels(self, m, profile):
        """The labels of a profile's series beyond profile, tenant_id, application_id and
        customer_account_id (the other tag keys)."""
        l = m.find("costgate_unpriced_calls_total", profile=profile)[0][0]
        return {k: v for k, v in l.items()
                if k not in ("profile", "tenant_id", "application_id", "customer_account_id")}

    def check_histogram(self, m, name, labels, durations_ms):
        for bound, le in zip(BUCKETS_MS + [None], [self.le(b) for b in BUCKETS_MS] + ["+Inf"]):
            want = sum(1 for d in durations_ms if bound is None or max(d, 0) <= bound)
            self.assertEqual(m.value(name + "_bucket", le=le, **labels), want, (name, le))
        self.assertEqual(m.value(name + "_count", **labels), len(durations_ms))
        self.assertEqual(m.value(name + "_sum", **labels),
                         sum(Decimal(max(d, 0)) for d in durations_ms) / 1000)

    @staticmethod
    def le(ms):
        return str(Decimal(ms) / 1000).rstrip("0").rstrip(".") if ms % 1000 else str(ms // 1000)

    def test_wrong_method_is_405(self):
        self.assert_status(self.server.call("POST", "/metrics", b""), 405)


class DimensionsTest(GatewayTestCase):
    """metrics.dimensions picks the labels; a bearer token env configured does not close
    /metrics on a loopback listener."""
    server_env = {"PROM_TEST_TOKEN": "s3cret-scrape-token"}

    @classmethod
    def make_workspace(cls):
        return Workspace(config_keys={"metrics": {"dimensions": ["TenantID", "ApplicationID"],
                                                  "bearer_token_env": "PROM_TEST_TOKEN"}})

    def test_only_the_configured_tag_keys_are_labels(self):
        r = self.chat(self.tenant("customer2"), {"inference-profile-name": "customer2_websearch"})
        self.assert_status(r, 200)
        reply = self.server.call("GET", "/metrics")  # no token: loopback needs none
        self.assert_status(reply, 200)
        m = Metrics(reply)
        self.assertEqual(m.find("costgate_calls_total", profile="customer2_websearch"),
                         [({"profile": "customer2_websearch", "application_id": "websearch",
                            "tenant_id": "customer2", "status": "success"}, "1"),
                          ({"profile": "customer2_websearch", "application_id": "websearch",
                            "tenant_id": "customer2", "status": "failure"}, "0")])
        self.assertEqual(promtool_problems(m.text), (0, ""))


class StartupTest(unittest.TestCase):
    """What serve refuses at start, with a message saying why."""

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace()
        cls.addClassCleanup(cls.ws.remove)

    def serve_fails(self, env=None):
        """Runs serve expecting it to exit at once; returns (exit status, output)."""
        p = subprocess.run([BIN, "serve", "--config", self.ws.config, "--listen", "127.0.0.1:0"],
                           cwd=self.ws.dir, capture_output=True, text=True, timeout=30,
                           env=child_env(env))
        return p.returncode, p.stdout + p.stderr

    def with_config(self, keys=None, edit=None):
        original = read_bytes(self.ws.config)

        def restore():
            with open(self.ws.config, "wb") as f:
                f.write(original)
        self.addCleanup(restore)
        self.ws.set_config_keys(keys, edit)

    def test_colliding_dimensions_are_a_config_error_naming_both(self):
        self.with_config({"metrics": {"dimensions": ["TenantID", "tenant-id"]}})
        code, out = self.serve_fails()
        self.assertEqual(code, 2, out)
        self.assertIn('metrics.dimensions: tag keys "TenantID" and "tenant-id" would both be the '
                      'label "tenant_id"', out)

    def test_colliding_profile_tag_keys_stop_serve_until_dimensions_are_chosen(self):
        def add_profile(config):
            config["profiles"].append({"name": "customer3_odd", "model_id": config[
                "default_model_id"], "tags": [{"key": "tenant-id", "value": "customer3"}]})
        self.with_config(edit=add_profile)
        self.ws.ok("setup")
        code, out = self.serve_fails()
        self.assertEqual(code, 2, out)
        self.assertIn('metrics: tag keys "TenantID" and "tenant-id" would both be the label '
                      '"tenant_id" (the profiles\' tag keys; list those to use in config.json\'s '
                      '"metrics": {"dimensions": […]})', out)
        # Choosing the dimensions lets it start.
        self.ws.set_config_keys({"metrics": {"dimensions": ["TenantID"]}})
        server = Server(self.ws)
        try:
            m = Metrics(server.call("GET", "/metrics"))
            self.assertEqual(m.find("costgate_calls_total", profile="customer3_odd",
                                    status="success"),
                             [({"profile": "customer3_odd", "status": "success"}, "0")])
        finally:
            server.stop_ok()

    def test_a_token_variable_that_is_not_set_stops_serve(self):
        self.with_config({"metrics": {"bearer_token_env": "PROM_TEST_UNSET_TOKEN"}})
        code, out = self.serve_fails(env={"PROM_TEST_UNSET_TOKEN": None})
        self.assertEqual(code, 2, out)
        self.assertIn("metrics.bearer_token_env: the environment variable PROM_TEST_UNSET_TOKEN "
                      "is not set (it must hold the token Prometheus sends to scrape /metrics)",
                      out)


if __name__ == "__main__":
    check_environment("prometheus_test.py")
    unittest.main()
