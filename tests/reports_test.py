#!/usr/bin/env python3
"""End-to-end tests of chargeback reports and the admin API's access rules: known traffic for
two tenants through `costgate serve` (sim upstream), then `GET /api/v1/usage` as admin (every
tenant), as a tenant (only its own profiles; 403 for another's), without a key (401), and
`costgate report --format csv|json`, each checked against the ledger exactly (Decimal sums of
the usage_records rows, and the x-costgate-cost-usd headers the calls got). Ledger retention:
old records archived by `costgate serve` ("ledger": {"retention_days": N}) and by
`costgate usage prune`, with every report unchanged to the last digit.

    COSTGATE_BIN=build/src/costgate COSTGATE_EXAMPLES=examples python3 tests/reports_test.py -v

Standard library only.
"""

import csv
import io
import json
import time
import unittest
import urllib.parse
from collections import defaultdict
from decimal import Decimal

from testlib import (GatewayTestCase, Server, Workspace, auth, check_environment, openai_body)

DAY_MS = 86_400_000
# Calls each tenant's key makes, per profile.
TRAFFIC = {
    "customer1": {"customer1_websearch": 3, "customer1_codingbot": 2},
    "customer2": {"customer2_websearch": 4, "customer2_codingbot": 1},
}
FIELDS = ("calls", "failures", "input_tokens", "output_tokens", "cache_read_tokens",
          "cache_write_tokens", "input_cost_usd", "output_cost_usd", "total_cost_usd")
MONEY_FIELDS = ("input_cost_usd", "output_cost_usd", "total_cost_usd")


def plain(d):
    """Money.toString()'s form of a Decimal: no exponent, no trailing fractional zeros."""
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


def ledger_rows(ws):
    cols = ("profile_name", "model_id", "region", "tags_json", "status", "input_tokens",
            "output_tokens", "cache_read_tokens", "cache_write_tokens", "plain_input_cost",
            "cache_read_cost", "cache_write_cost", "output_cost", "started_at")
    return [dict(zip(cols, r)) for r in ws.query("SELECT %s FROM usage_records" % ", ".join(cols))]


def group_value(row, key):
    if key.startswith("tag:"):
        want = key[4:].lower()
        for t in json.loads(row["tags_json"]):
            if t["key"].lower() == want:
                return t["value"]
        return None
    return row[{"model": "model_id", "profile": "profile_name", "region": "region"}[key]]


def expected_report(rows, group_by, profiles=None):
    """{(group values...): totals} and the grand totals, from ledger rows, with Decimals."""
    groups = defaultdict(lambda: defaultdict(Decimal))
    total = defaultdict(Decimal)
    for r in rows:
        if profiles is not None and r["profile_name"] not in profiles:
            continue
        key = tuple(group_value(r, g) for g in group_by)
        inp = (Decimal(r["plain_input_cost"]) + Decimal(r["cache_read_cost"])
               + Decimal(r["cache_write_cost"]))
        out = Decimal(r["output_cost"])
        for acc in (groups[key], total):
            acc["calls"] += 1
            acc["failures"] += 1 if r["status"] == "failure" else 0
            for k in ("input_tokens", "output_tokens", "cache_read_tokens",
                      "cache_write_tokens"):
                acc[k] += r[k]
            acc["input_cost_usd"] += inp
            acc["output_cost_usd"] += out
            acc["total_cost_usd"] += inp + out
    return groups, total


def as_text(totals):
    """Totals as the report prints them: integers, and money as exact decimal strings."""
    return {k: (plain(totals[k]) if k in MONEY_FIELDS else int(totals[k])) for k in FIELDS}


class ReportTestCase(GatewayTestCase):
    sent = None  # profile -> list of (call id, cost header)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sent = defaultdict(list)
        for tenant, per_profile in TRAFFIC.items():
            key = auth(cls.ws.tenant_keys[tenant])
            for profile, n in per_profile.items():
                for i in range(n):
                    headers = dict(key)
                    headers["inference-profile-name"] = profile
                    r = cls.server.call("POST", "/v1/chat/completions",
                                        openai_body("call %d of %s " % (i, profile) + "w " * i),
                                        headers)
                    if r.status != 200:
                        raise AssertionError("traffic call failed: %r" % r)
                    cls.sent[profile].append((r.header("x-costgate-call-id"),
                                              Decimal(r.header("x-costgate-cost-usd"))))

    def usage(self, query="", headers=None):
        return self.server.call("GET", "/api/v1/usage" + ("?" + query if query else ""),
                                None, headers)

    def usage_json(self, query, headers):
        r = self.usage(query, headers)
        self.assert_status(r, 200)
        self.assertEqual(r.header("content-type"), "application/json", r)
        return r.json()

    def assert_rows(self, body, group_by, profiles=None):
        """The body's rows and totals equal the ledger's, group by group, exactly."""
        groups, total = expected_report(ledger_rows(self.ws), group_by, profiles)
        got = {}
        for row in body["rows"]:
            key = tuple(row["group"][g] for g in group_by)
            self.assertNotIn(key, got, "group %r twice" % (key,))
            got[key] = {k: row[k] for k in FIELDS}
        self.assertEqual(got, {k: as_text(v) for k, v in groups.items()})
        self.assertEqual({k: body["totals"][k] for k in FIELDS}, as_text(total))
        return total

    def sent_cost(self, profiles):
        return sum((c for p in profiles for _, c in self.sent[p]), Decimal(0))


class UsageApiTest(ReportTestCase):

    def test_admin_sees_every_tenant(self):
        body = self.usage_json("group_by=tag:TenantID,model&granularity=day", self.admin)
        self.assertEqual(body["group_by"], ["tag:TenantID", "model"])
        self.assertEqual(body["granularity"], "day")
        today = time.strftime("%Y-%m-%dT00:00:00.000Z", time.gmtime())
        self.assertEqual({r["period_start"] for r in body["rows"]}, {today})
        total = self.assert_rows(body, ["tag:TenantID", "model"])
        self.assertEqual(total["calls"], 10)
        self.assertEqual(total["total_cost_usd"], self.sent_cost(self.sent))
        tenants = {r["group"]["tag:TenantID"] for r in body["rows"]}
        self.assertEqual(tenants, {"customer1", "customer2"})
        for row in body["rows"]:
            tenant = row["group"]["tag:TenantID"]
            self.assertEqual(
                row["calls"],
                sum(n for p, n in TRAFFIC[tenant].items()
                    if self.ws.profiles[p]["model_id"] == row["group"]["model"]))

    def test_tenant_key_sees_only_its_own_profiles(self):
        mine = set(TRAFFIC["customer1"])
        for query in ("group_by=profile", "group_by=profile&tenant=customer1"):
            body = self.usage_json(query, self.tenant("customer1"))
            self.assertEqual({r["group"]["profile"] for r in body["rows"]}, mine, query)
            total = self.assert_rows(body, ["profile"], profiles=mine)
            self.assertEqual(total["total_cost_usd"], self.sent_cost(mine))
        body = self.usage_json("group_by=tag:TenantID&profile=customer1_codingbot",
                               auth(self.ws.tenant_keys["customer1"], "x-api-key"))
        self.assert_rows(body, ["tag:TenantID"], profiles={"customer1_codingbot"})
        self.assertEqual(body["totals"]["calls"], 2)

    def test_tenant_key_naming_another_tenant_is_403(self):
        for query, message in (
                ("profile=customer2_websearch",
                 'this key may not see profile "customer2_websearch"'),
                ("profile=customer1_websearch,customer2_codingbot",
                 'this key may not see profile "customer2_codingbot"'),
                ("tenant=customer2", 'this key may not see tenant "customer2"')):
            r = self.usage(query, self.tenant("customer1"))
            error = self.assert_json_error(r, 403)
            self.assertEqual(error, {"type": "permission_denied", "message": message}, query)

    def test_without_a_valid_key_is_401(self):
        for headers, message in (
                (None, "missing API key: send Authorization: Bearer KEY or x-api-key: KEY"),
                (auth("cgk_0000000000000000_" + "x" * 43), "invalid or revoked API key")):
            error = self.assert_json_error(self.usage("group_by=model", headers), 401)
            self.assertEqual(error, {"type": "authentication_error", "message": message})

    def test_bad_parameters_are_400(self):
        error = self.assert_json_error(self.usage("group_by=tenant", self.admin), 400)
        self.assertEqual(error["message"], 'cannot group by "tenant": use tag:KEY, model, '
                         'profile or region, separated by commas')
        error = self.assert_json_error(self.usage("from=yesterday", self.admin), 400)
        self.assertEqual(error["message"], 'from: "yesterday" is not a UTC date or time: use '
                         'YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ')

    def test_csv_over_http(self):
        r = self.usage("group_by=tag:TenantID&format=csv", self.admin)
        self.assert_status(r, 200)
        self.assertEqual(r.header("content-type"), "text/csv; charset=utf-8")
        rows = list(csv.DictReader(io.StringIO(r.body.decode("utf-8"))))
        self.assertEqual([row["tag:TenantID"] for row in rows], ["customer1", "customer2"])

    def test_report_command_csv_and_json(self):
        groups, total = expected_report(ledger_rows(self.ws), ["tag:TenantID", "model"])
        out = self.ws.ok("report", "--group-by", "tag:TenantID,model", "--format", "csv").stdout
        rows = list(csv.DictReader(io.StringIO(out)))
        self.assertEqual(list(rows[0].keys()),
                         ["tag:TenantID", "model"] + list(FIELDS))
        got = {(r["tag:TenantID"], r["model"]): {k: (r[k] if k in MONEY_FIELDS else int(r[k]))
                                                 for k in FIELDS} for r in rows}
        self.assertEqual(got, {k: as_text(v) for k, v in groups.items()})

        body = json.loads(self.ws.ok("report", "--group-by", "tag:TenantID,model",
                                     "--granularity", "month", "--format", "json").stdout)
        self.assertEqual(body["rows"][0]["period_start"],
                         time.strftime("%Y-%m-01T00:00:00.000Z", time.gmtime()))
        self.assert_rows(body, ["tag:TenantID", "model"])
        self.assertEqual(Decimal(body["totals"]["total_cost_usd"]), self.sent_cost(self.sent))

        table = self.ws.ok("report", "--group-by", "tag:TenantID", "--tenant",
                           "customer2").stdout
        self.assertIn("customer2", table)
        self.assertNotIn("customer1", table)
        self.assertRegex(table, r"\nTOTAL +5 +0 ")

    def test_report_command_errors(self):
        for args, message in (
                (("--from", "2026-02-30"), 'costgate: error: --from: "2026-02-30" is not a UTC '
                 'date or time: use YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ'),
                (("--from", "2026-05-02", "--to", "2026-05-01"),
                 "costgate: error: --from 2026-05-02T00:00:00.000Z is not before to "
                 "2026-05-01T00:00:00.000Z"),
                (("--group-by", "tag:"),
                 'costgate: error: --group-by: group by "tag:": the tag key is empty (write '
                 'tag:KEY)'),
                (("--profile", "nosuch"),
                 'costgate: error: no profile has the id, ARN or name "nosuch"')):
            p = self.ws.run("report", *args)
            self.assertEqual(p.returncode, 2, p)
            self.assertEqual(p.stderr.strip(), message)
        p = self.ws.run("report", "--format", "xml")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("--format", p.stderr)


def nth_rows(condition):
    """A WHERE clause for the ledger rows whose place n (1, 2, … in call-id order, which is the
    order they were recorded in) meets `condition`, e.g. "n % 2 = 0"."""
    return ("call_id IN (SELECT call_id FROM (SELECT call_id, row_number() OVER "
            "(ORDER BY call_id) AS n FROM usage_records) WHERE %s)" % condition)


def age_rows(ws, days, where="1"):
    """Moves the start of some ledger rows `days` days into the past."""
    with __import__("contextlib").closing(__import__("sqlite3").connect(ws.db, timeout=10)) as c:
        c.execute("UPDATE usage_records SET started_at = started_at - ?, ended_at = ended_at - ? "
                  "WHERE %s" % where, (days * DAY_MS, days * DAY_MS))
        c.commit()


class RetentionTest(ReportTestCase):
    """Old records are folded into daily totals by serve and by `usage prune`; reports over them
    stay exact."""

    def report(self, *args):
        return json.loads(self.ws.ok("report", "--from", "2000-01", "--format", "json",
                                     *args).stdout)

    def reports(self):
        return [self.report("--group-by", g, "--granularity", gr)
                for g, gr in (("tag:TenantID,model", "day"), ("profile", "month"),
                              ("region", "total"))]

    def test_serve_archives_old_days_and_reports_stay_exact(self):
        self.server.stop_ok()
        # Half of the calls 10 and 40 days ago, the rest today.
        age_rows(self.ws, 10, nth_rows("n % 2 = 0"))
        age_rows(self.ws, 40, nth_rows("n % 4 = 1"))
        before = self.reports()
        self.assertEqual(before[0]["totals"]["calls"], 10)
        self.assertIsNone(before[0]["archived_before"])
        old = self.ws.query("SELECT count(*) FROM usage_records WHERE started_at < ?",
                            ((int(time.time()) // 86400 - 2) * DAY_MS,))[0][0]
        self.assertGreater(old, 0)

        self.ws.set_config_keys({"ledger": {"retention_days": 2}})
        server = Server(self.ws)
        try:
            deadline = time.monotonic() + 20
            while self.ws.query("SELECT count(*) FROM usage_records")[0][0] != 10 - old:
                self.assertLess(time.monotonic(), deadline, server.log_text())
                time.sleep(0.05)
            self.assertIn("folded into daily totals", server.log_text())
            after = self.reports()
            for b, a in zip(before, after):
                self.assertEqual(a["rows"], b["rows"])
                self.assertEqual(a["totals"], b["totals"])
                self.assertIsNotNone(a["archived_before"])
            api = self.usage_json("from=2000-01&group_by=tag:TenantID,model&granularity=day",
                                  self.admin_of(server))
            self.assertEqual(api["rows"], before[0]["rows"])
        finally:
            server.stop_ok()
        self.assertGreater(self.ws.query("SELECT count(*) FROM usage_daily")[0][0], 0)

        # By hand: the rest of yesterday and before, with --retention-days.
        age_rows(self.ws, 5)
        before = self.reports()
        out = json.loads(self.ws.ok("usage", "prune", "--retention-days", "1", "--json").stdout)
        self.assertEqual(out["archived_records"], 10 - old)
        self.assertEqual(self.ws.query("SELECT count(*) FROM usage_records")[0][0], 0)
        after = self.reports()
        self.assertEqual([a["rows"] for a in after], [b["rows"] for b in before])
        self.assertEqual([a["totals"] for a in after], [b["totals"] for b in before])

    def admin_of(self, server):
        self.server, old = server, self.server
        self.addCleanup(setattr, self, "server", old)
        return self.admin

    def test_prune_needs_a_retention(self):
        p = self.ws.run("usage", "prune")
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("no retention is set: pass --retention-days N or set \"ledger\": "
                      "{\"retention_days\": N}", p.stderr)


if __name__ == "__main__":
    check_environment("reports_test.py")
    unittest.main()
