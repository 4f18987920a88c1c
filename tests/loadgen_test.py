#!/usr/bin/env python3
"""`costgate loadgen` and `costgate demo` end to end, with the real binary.

loadgen against a real `costgate serve` (setup on a temporary copy of examples/): after
`--calls N` the ledger holds exactly the calls, tokens and exact costs the loadgen's summary
reports, per profile and in total (each call found by its x-request-id), with the dialect mix and
the streamed calls the summary counts; a key without an AWS credential skips Bedrock and says so;
bad flags exit 2 naming the flag.

demo: `costgate demo --dir TMP --port FREE --duration 8s` answers /readyz while it runs, exits 0
after the duration, leaves calls of all four profiles in the ledger and no `costgate serve`
behind; run again, it reuses the directory and its keys.

Environment: COSTGATE_BIN, COSTGATE_EXAMPLES (see testlib.py).
"""

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from collections import Counter
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
from testlib import BIN, PROFILE_NAMES, Server, Workspace  # noqa: E402

LOADGEN_TIMEOUT_S = 60


def loadgen(*args, timeout=LOADGEN_TIMEOUT_S):
    return subprocess.run([BIN, "loadgen"] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout)


def records_with_prefix(ws, prefix):
    return [r for r in ws.usage()["records"] if r["request_id"].startswith(prefix + "-")]


class ServeCase(unittest.TestCase):
    """A workspace of its own (setup on a copy of examples/, keys.json written from setup's
    --json output) and a `costgate serve` on it."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.ws = Workspace(prefix="costgate-loadgen-test-")
        cls.addClassCleanup(cls.ws.remove)
        cls.keys = cls.ws.path("keys.json")
        with open(cls.keys, "w") as f:
            json.dump(cls.ws.setup_output, f)
        cls.server = Server(cls.ws)
        cls.addClassCleanup(cls.server.stop_ok)
        cls.target = "http://127.0.0.1:%d" % cls.server.port

    def run_ok(self, *args):
        p = loadgen("--target", self.target, *args, "--json")
        self.assertEqual(p.returncode, 0, "loadgen failed:\n%s%s" % (p.stdout, p.stderr))
        return json.loads(p.stdout)


class LedgerMatchesSummaryTest(ServeCase):
    def test_the_ledger_holds_exactly_what_the_summary_reports(self):
        n = 80
        summary = self.run_ok("--keys", self.keys, "--calls", n, "--rate", 40,
                              "--stream-share", "0.3", "--seed", 5, "--max-tokens", 64,
                              "--profiles", "customer1_websearch=3,customer1_codingbot=1,"
                              "customer2_websearch=2,customer2_codingbot=2",
                              "--request-id-prefix", "exact")
        self.assertEqual(summary["calls"], n)
        self.assertEqual(summary["total"]["calls"], n)
        self.assertEqual(summary["total"]["by_status"], {"200": n})
        self.assertEqual(summary["total"]["calls_without_cost"], 0)
        self.assertEqual(summary["skipped_concurrency_cap"], 0)
        self.assertEqual(sorted(summary["profiles"]), sorted(PROFILE_NAMES))

        records = records_with_prefix(self.ws, "exact")
        # Each call once, found by the x-request-id the loadgen sent.
        self.assertEqual(sorted(r["request_id"] for r in records),
                         sorted("exact-%d" % i for i in range(1, n + 1)))
        by_profile = {}
        for r in records:
            by_profile.setdefault(r["profile_name"], []).append(r)
        total_cost = Decimal(0)
        for name, stats in summary["profiles"].items():
            recs = by_profile[name]
            self.assertEqual(stats["calls"], len(recs), name)
            self.assertEqual(stats["input_tokens"],
                             sum(r["usage"]["input_tokens"] + r["usage"]["cache_read_tokens"]
                                 + r["usage"]["cache_write_tokens"] for r in recs), name)
            self.assertEqual(stats["output_tokens"],
                             sum(r["usage"]["output_tokens"] for r in recs), name)
            cost = sum((Decimal(r["cost"]["total_usd"]) for r in recs), Decimal(0))
            self.assertEqual(Decimal(stats["cost_usd"]), cost, name)
            self.assertTrue(testlib.PLAIN_DECIMAL_RE.match(stats["cost_usd"]), stats["cost_usd"])
            total_cost += cost
        self.assertEqual(Decimal(summary["total"]["cost_usd"]), total_cost)
        # The chargeback report (this workspace holds only these calls) says the same, to the
        # last digit and as the same decimal string.
        report = json.loads(self.ws.ok("report", "--format", "json", "--group-by", "profile").stdout)
        rows = {row["group"]["profile"]: row for row in report["rows"]}
        self.assertEqual(sorted(rows), sorted(summary["profiles"]))
        for name, stats in summary["profiles"].items():
            row = rows[name]
            self.assertEqual((row["calls"], row["input_tokens"] + row["cache_read_tokens"]
                              + row["cache_write_tokens"], row["output_tokens"],
                              row["total_cost_usd"]),
                             (stats["calls"], stats["input_tokens"], stats["output_tokens"],
                              stats["cost_usd"]), name)
        self.assertEqual(report["totals"]["total_cost_usd"], summary["total"]["cost_usd"])
        self.assertEqual(report["totals"]["calls"], n)
        self.assertEqual(self.ws.usage()["totals"]["total_cost_usd"], summary["total"]["cost_usd"])
        # The weights: 3:1:2:2 of 80 calls, paced evenly (the first call of each at once).
        self.assertEqual({k: v["calls"] for k, v in summary["profiles"].items()},
                         {"customer1_websearch": 30, "customer1_codingbot": 10,
                          "customer2_websearch": 20, "customer2_codingbot": 20})

        # The dialect mix and the streamed calls, as the ledger saw them.
        self.assertEqual(Counter(r["dialect"] for r in records),
                         Counter(summary["total"]["by_dialect"]))
        self.assertEqual(set(summary["total"]["by_dialect"]),
                         {"seed", "openai", "anthropic", "bedrock"})
        streamed = [r for r in records if r["first_token_at"] is not None]
        self.assertEqual(len(streamed), summary["total"]["streamed"])
        self.assertTrue(0 < len(streamed) < n, len(streamed))
        self.assertNotIn("seed", {r["dialect"] for r in streamed})  # /invoke answers whole
        for name, stats in summary["profiles"].items():
            self.assertEqual(stats["streamed"], sum(1 for r in streamed
                                                    if r["profile_name"] == name), name)



class LoadgenAgainstServeTest(ServeCase):
    def test_the_same_seed_makes_the_same_calls(self):
        args = ("--keys", self.keys, "--calls", 12, "--rate", 50, "--seed", 9,
                "--profiles", "customer2_websearch")
        a = self.run_ok(*args, "--request-id-prefix", "seed-a")
        b = self.run_ok(*args, "--request-id-prefix", "seed-b")
        for key in ("by_dialect", "streamed", "input_tokens", "output_tokens", "cost_usd"):
            self.assertEqual(a["total"][key], b["total"][key], key)

    def test_a_plain_key_skips_bedrock_and_says_so(self):
        key = self.ws.tenant_keys["customer1"]
        p = loadgen("--target", self.target, "--key", key, "--profiles", "customer1_websearch",
                    "--calls", 8, "--rate", 50, "--request-id-prefix", "plain", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("bedrock calls skipped", p.stderr)
        summary = json.loads(p.stdout)
        self.assertEqual(summary["calls"], 8)
        self.assertNotIn("bedrock", summary["total"]["by_dialect"])
        self.assertIn("bedrock calls skipped: they are SigV4-signed", summary["notes"][0])
        records = records_with_prefix(self.ws, "plain")
        self.assertEqual(len(records), 8)
        self.assertEqual({r["profile_name"] for r in records}, {"customer1_websearch"})
        self.assertEqual(sum((Decimal(r["cost"]["total_usd"]) for r in records), Decimal(0)),
                         Decimal(summary["total"]["cost_usd"]))

    def test_another_tenants_profile_is_refused_and_counted(self):
        key = self.ws.tenant_keys["customer1"]
        summary = self.run_ok("--key", key, "--profiles", "customer2_websearch", "--calls", 3,
                              "--rate", 50, "--dialects", "openai", "--stream-share", 0)
        self.assertEqual(summary["total"]["by_status"], {"403": 3})

    def test_duration_ends_the_run(self):
        started = time.monotonic()
        summary = self.run_ok("--keys", self.keys, "--duration", "1500ms", "--rate", 10,
                              "--progress-every", "500ms", "--request-id-prefix", "timed")
        took = time.monotonic() - started
        self.assertLess(took, 10)
        # 10/s over four profiles for 1.5 s: their four first calls at once, then 15 more.
        self.assertTrue(15 <= summary["calls"] <= 20, summary["calls"])


class LoadgenFlagsTest(unittest.TestCase):
    def assert_bad(self, needle, *args):
        p = loadgen(*args)
        self.assertEqual(p.returncode, 2, "%s: exit %d\n%s%s" % (args, p.returncode, p.stdout,
                                                                  p.stderr))
        self.assertIn(needle, p.stderr, args)
        return p.stderr

    def test_bad_flags_exit_2_naming_the_flag(self):
        with tempfile.TemporaryDirectory() as d:
            keys = os.path.join(d, "keys.json")
            with open(keys, "w") as f:
                json.dump({"keys": [{"role": "tenant", "tenant": "t", "profiles": ["p1", "p2"],
                                     "key": "cg_x", "aws_access_key_id": "AK",
                                     "aws_secret_access_key": "s"}]}, f)
            self.assert_bad("--keys and --key are exclusive", "--keys", keys, "--key", "k")
            self.assert_bad("give --keys FILE", "--rate", 1)
            self.assert_bad("--rate: 0 is not a positive rate", "--keys", keys, "--rate", 0)
            self.assert_bad("--profiles: needed with --key", "--key", "k")
            self.assert_bad('--profiles: no key in %s reaches profile "p9"' % keys,
                            "--keys", keys, "--profiles", "p1,p9")
            self.assert_bad('--profiles: the weight of "p1" must be a positive number',
                            "--keys", keys, "--profiles", "p1=-1")
            self.assert_bad('--dialects: "grpc" is not one of seed, openai, anthropic, bedrock',
                            "--keys", keys, "--dialects", "openai,grpc")
            self.assert_bad("--dialects: nothing left to send", "--key", "k", "--profiles",
                            "p1", "--dialects", "bedrock")
            self.assert_bad("--stream-share: 0.9 is more than the share of calls in dialects "
                            "that can stream (0.5", "--keys", keys, "--dialects", "seed,openai",
                            "--stream-share", "0.9")
            self.assert_bad('--shape: "p3" is not one of the profiles called', "--keys", keys,
                            "--shape", "p3=ramp")
            self.assert_bad('--shape: "p1=wobble" is not PROFILE=steady|ramp|spike', "--keys",
                            keys, "--shape", "p1=wobble")
            self.assert_bad('--duration: "soon" is not a positive duration', "--keys", keys,
                            "--duration", "soon")
            self.assert_bad("--calls: must be at least 1", "--keys", keys, "--calls", 0)
            self.assert_bad("--target:", "--keys", keys, "--target", "ftp://example.com")
            self.assert_bad("--keys: ", "--keys", os.path.join(d, "missing.json"))
            self.assert_bad("--concurrency", "--keys", keys, "--concurrency", "many")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_processes(config_path):
    """Pids of running processes whose command line names `config_path` and `serve`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                args = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z" and b"serve" in args and config_path.encode() in args:
            found.append(int(pid))
    return found


class DemoTest(unittest.TestCase):
    def test_demo_serves_sends_all_four_profiles_and_leaves_no_server(self):
        d = tempfile.mkdtemp(prefix="costgate-demo-test-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d]))
        demo_dir = os.path.join(d, "demo")
        port = free_port()
        out_path = os.path.join(d, "demo.out")
        with open(out_path, "wb") as out:
            started = time.monotonic()
            proc = subprocess.Popen([BIN, "demo", "--dir", demo_dir, "--port", str(port),
                                     "--duration", "8s"], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=d)
            ready = None
            while proc.poll() is None and time.monotonic() - started < 30:
                try:
                    reply = testlib.request(port, "GET", "/readyz", timeout=2)
                    ready = ready or reply.status == 200 and reply.json()
                except OSError:
                    pass
                time.sleep(0.2)
            try:
                code = proc.wait(40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                code = "killed"
        took = time.monotonic() - started
        with open(out_path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        self.assertEqual(code, 0, text)
        self.assertTrue(ready, "GET /readyz never answered 200 while the demo ran:\n" + text)
        self.assertEqual(ready["status"], "ready")
        self.assertEqual(ready["profiles"], 4)
        self.assertGreaterEqual(took, 8)
        config = os.path.join(demo_dir, "config.json")
        self.assertEqual(serve_processes(config), [], "a costgate serve outlived the demo")
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()

        # Where to look, as printed.
        self.assertIn("dashboard      http://127.0.0.1:%d/" % port, text)
        self.assertIn(os.path.join(demo_dir, "notifications.jsonl"), text)
        self.assertIn("costgate report --config %s" % config, text)
        keys_path = os.path.join(demo_dir, "keys.json")
        self.assertEqual(stat.S_IMODE(os.stat(keys_path).st_mode), 0o600)
        with open(keys_path) as f:
            keys = json.load(f)["keys"]
        admin = [k["key"] for k in keys if k["role"] == "admin"][0]
        self.assertIn("admin key      %s" % admin, text)

        usage = subprocess.run([BIN, "usage", "--config", config, "--json"],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(usage.returncode, 0, usage.stderr)
        records = json.loads(usage.stdout)["records"]
        self.assertEqual({r["profile_name"] for r in records}, set(PROFILE_NAMES))
        self.assertTrue(all(r["request_id"].startswith("demo-") for r in records))
        self.assertTrue(all(r["status"] == "success" for r in records))

        # Again on the same directory: setup only applies changes; the keys stay.
        again = subprocess.run([BIN, "demo", "--dir", demo_dir, "--port", "0", "--duration",
                                "1s", "--no-traffic"], capture_output=True, text=True,
                               timeout=40, cwd=d)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertIn("is up to date", again.stdout)
        with open(keys_path) as f:
            self.assertEqual(json.load(f)["keys"], keys)
        self.assertEqual(serve_processes(config), [])


if __name__ == "__main__":
    testlib.check_environment("loadgen_test.py")
    unittest.main(verbosity=2)
