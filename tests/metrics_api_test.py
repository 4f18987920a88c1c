#!/usr/bin/env python3
"""End-to-end tests of POST /api/v1/metrics/query over costgate's own metric store: known
traffic for two tenants through `costgate serve` (sim upstream), then CloudWatch-style queries
(a MetricStat per profile, the seed's metric math, a SEARCH grouped by TenantID) as admin, as a
tenant (its own profiles only; 403 for another's), without a key (401), each checked against the
ledger, and `costgate metrics query` (the same answer, rebuilt from the ledger); then after SIGTERM (checkpoint) and after kill -9 (gap rebuilt from the ledger) the same
queries answer the same numbers, nothing counted twice.

    COSTGATE_BIN=build/src/costgate COSTGATE_EXAMPLES=examples python3 tests/metrics_api_test.py -v

Standard library only.
"""

import json
import time
import unittest
from collections import defaultdict
from decimal import Decimal

from testlib import GatewayTestCase, Server, auth, check_environment, openai_body

TRAFFIC = {
    "customer1": {"customer1_websearch": 3, "customer1_codingbot": 2},
    "customer2": {"customer2_websearch": 4, "customer2_codingbot": 1},
}


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def stat_query(qid, metric, stat="Sum", period=60, **dims):
    return {"Id": qid, "MetricStat": {
        "Metric": {"MetricName": metric,
                   "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
        "Period": period, "Stat": stat}}


class MetricsApiTest(GatewayTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start = time.time() - 120
        for tenant, per_profile in TRAFFIC.items():
            key = auth(cls.ws.tenant_keys[tenant])
            for profile, n in per_profile.items():
                for i in range(n):
                    r = cls.server.call("POST", "/v1/chat/completions",
                                        openai_body("call %d of %s " % (i, profile) + "w " * i),
                                        dict(key, **{"inference-profile-name": profile}))
                    if r.status != 200:
                        raise AssertionError("traffic call failed: %r" % r)

    def ledger(self):
        """profile name -> {input, output, input_cost, output_cost, calls} from the ledger."""
        out = defaultdict(lambda: defaultdict(Decimal))
        for (name, it, ot, pic, crc, cwc, oc) in self.ws.query(
                "SELECT profile_name, input_tokens, output_tokens, plain_input_cost, "
                "cache_read_cost, cache_write_cost, output_cost FROM usage_records"):
            row = out[name]
            row["input"] += it
            row["output"] += ot
            row["input_cost"] += Decimal(pic) + Decimal(crc) + Decimal(cwc)
            row["output_cost"] += Decimal(oc)
            row["calls"] += 1
        return out

    def query(self, queries, headers, server=None):
        body = {"MetricDataQueries": queries, "StartTime": iso(self.start),
                "EndTime": iso(time.time() + 120)}
        return (server or self.server).call("POST", "/api/v1/metrics/query",
                                            json.dumps(body).encode(), headers)

    def totals(self, queries, headers, server=None):
        """{Id or Label: sum of Values} of a successful query."""
        r = self.query(queries, headers, server)
        self.assert_status(r, 200)
        out = {}
        for res in r.json()["MetricDataResults"]:
            self.assertEqual(res["StatusCode"], "Complete", res)
            out[res["Label"] if res["Id"].startswith("search") else res["Id"]] = sum(
                Decimal(str(v)) for v in res["Values"])
        return out

    def per_profile_queries(self, profiles):
        qs = []
        for i, p in enumerate(sorted(profiles)):
            qs += [stat_query("in%d" % i, "InputTokens", InferenceProfile=p),
                   stat_query("out%d" % i, "OutputTokens", InferenceProfile=p),
                   dict(stat_query("ic%d" % i, "InputTokensCost", InferenceProfile=p),
                        ReturnData=False),
                   dict(stat_query("oc%d" % i, "OutputTokensCost", InferenceProfile=p),
                        ReturnData=False),
                   {"Id": "cost%d" % i, "Expression": "ic%d + oc%d" % (i, i)},
                   stat_query("ok%d" % i, "InvocationSuccess", InferenceProfile=p)]
        return qs

    def check_profiles(self, got, profiles):
        ledger = self.ledger()
        for i, p in enumerate(sorted(profiles)):
            want = ledger[p]
            self.assertEqual(got["in%d" % i], want["input"], p)
            self.assertEqual(got["out%d" % i], want["output"], p)
            self.assertEqual(got["ok%d" % i], want["calls"], p)
            # The store sums costs exactly; the JSON carries them as numbers (doubles).
            self.assertAlmostEqual(float(got["cost%d" % i]),
                                   float(want["input_cost"] + want["output_cost"]), places=12)

    def all_profiles(self):
        return [p for per in TRAFFIC.values() for p in per]

    def test_admin_reads_every_profile_as_the_ledger_says(self):
        profiles = self.all_profiles()
        self.check_profiles(self.totals(self.per_profile_queries(profiles), self.admin), profiles)

    def test_search_grouped_by_tenant(self):
        got = self.totals([{"Id": "search1", "Period": 60, "Expression":
                            "SEARCH('{BedrockInvocationTracing,TenantID} "
                            "MetricName=\"InvocationSuccess\"', 'Sum', 60)"}], self.admin)
        self.assertEqual(got, {t: sum(per.values()) for t, per in TRAFFIC.items()})

    def test_tenant_key_sees_only_its_own(self):
        mine = list(TRAFFIC["customer1"])
        self.check_profiles(self.totals(self.per_profile_queries(mine),
                                        self.tenant("customer1")), mine)
        got = self.totals([{"Id": "search1", "Period": 60, "Expression":
                            "SEARCH('{BedrockInvocationTracing,TenantID} "
                            "MetricName=\"InvocationSuccess\"', 'Sum', 60)"}],
                          self.tenant("customer1"))
        self.assertEqual(got, {"customer1": sum(TRAFFIC["customer1"].values())})
        r = self.query([stat_query("m1", "InputTokens", InferenceProfile="customer2_websearch")],
                       self.tenant("customer1"))
        self.assertEqual(self.assert_json_error(r, 403)["type"], "permission_denied")

    def test_without_a_key_is_401_and_bad_queries_are_400(self):
        r = self.query([stat_query("m1", "InputTokens")], None)
        self.assertEqual(self.assert_json_error(r, 401)["type"], "authentication_error")
        r = self.query([stat_query("m1", "InputTokens", period=90)], self.admin)
        error = self.assert_json_error(r, 400)
        self.assertIn("MetricDataQueries[0].MetricStat.Period", error["message"])

    def test_cli_query_matches_the_api(self):
        profiles = self.all_profiles()
        queries = self.per_profile_queries(profiles)
        body = json.dumps({"MetricDataQueries": queries, "StartTime": iso(self.start),
                           "EndTime": iso(time.time() + 120)})
        out = self.ws.json_ok("metrics", "query", "--body", body)
        got = {res["Id"]: sum(Decimal(str(v)) for v in res["Values"])
               for res in out["MetricDataResults"]}
        self.assertEqual(got, self.totals(queries, self.admin))
        # The simple form: one metric, a table.
        p = self.ws.ok("metrics", "query", "--metric", "InvocationSuccess", "--dimension",
                       "TenantID=customer2", "--period", "3600")
        lines = p.stdout.strip().splitlines()
        self.assertEqual(lines[0].split()[:4], ["ID", "LABEL", "TIMESTAMP", "VALUE"])
        self.assertEqual(sum(Decimal(line.split()[3]) for line in lines[1:]),
                         sum(TRAFFIC["customer2"].values()))
        p = self.ws.run("metrics", "query", "--metric", "InputTokens", "--period", "90")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("Period", p.stderr)

    def test_z_restart_and_kill9_keep_the_same_numbers(self):
        profiles = self.all_profiles()
        queries = self.per_profile_queries(profiles)
        before = self.totals(queries, self.admin)
        self.server.stop_ok()  # SIGTERM: the last checkpoint
        second = Server(self.ws)
        self.assertEqual(self.totals(queries, self.admin, second), before)
        # More traffic after the checkpoint, then kill -9: the restart rebuilds it from the ledger.
        key = auth(self.ws.tenant_keys["customer2"])
        for _ in range(2):
            r = second.call("POST", "/v1/chat/completions", openai_body("after"),
                            dict(key, **{"inference-profile-name": "customer2_codingbot"}))
            self.assert_status(r, 200)
        second.kill9()
        third = Server(self.ws)
        self.addCleanup(third.stop_ok)
        self.assertIn("ledger record(s) after its checkpoint re-added", third.log_text())
        after = self.totals(queries, self.admin, third)
        self.check_profiles(after, profiles)
        i = sorted(profiles).index("customer2_codingbot")
        self.assertEqual(after["ok%d" % i], before["ok%d" % i] + 2)


if __name__ == "__main__":
    check_environment("metrics_api_test.py")
    unittest.main()
