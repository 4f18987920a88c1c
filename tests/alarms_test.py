"""End-to-end tests of alarms (Python 3 standard library, plus Debian's python3-aiosmtpd run by
smtp_sink.py): `costgate setup` creates the seed's three alarms per profile (low thresholds for
one profile through "alarm_thresholds"); traffic through the gateway crosses each threshold;
`serve --test-clock` is advanced past the minute; every alarm enters ALARM (API and CLI say so);
a real SMTP server receives exactly one email per ALARM transition, with the right subject and
body, and a webhook the JSON; traffic stops and the alarms return to OK without another email.
A serve killed with SIGKILL after a transition is committed but before its mail could be sent
(the SMTP server down) delivers it after the restart, once. A tenant key sees only its own
alarms.

Environment: COSTGATE_BIN, COSTGATE_EXAMPLES (see testlib.py); COSTGATE_SMTP_PYTHON.
"""

import datetime
import json
import os
import sys
import time
import unittest
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
from notify_test import (ADMIN, FROM, TOPIC, Receiver, SmtpSink,  # noqa: E402
                         free_port, notify_config)
from prometheus_test import promtool_problems  # noqa: E402
from testlib import Server, Workspace, auth  # noqa: E402

P1 = "customer1_websearch"  # low thresholds
P2 = "customer2_websearch"  # the config's thresholds; no traffic
COST, TOKENS, REQUESTS = ("BedrockTokenCostAlarm-" + P1, "BedrockTokensPerMinuteAlarm-" + P1,
                          "BedrockRequestsPerMinuteAlarm-" + P1)
THRESHOLDS = {"cost_per_5_minutes": 0.0001, "tokens_per_minute": 50, "requests_per_minute": 3}


def parse_time(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


class AlarmsTest(unittest.TestCase):

    def setUp(self):
        self.cleanups = []
        self.hook = Receiver()
        self.cleanups.append(self.hook.stop)
        self.smtp_port = free_port()

        def edit(config):
            for p in config["profiles"]:
                if p["name"] == P1:
                    p["alarm_thresholds"] = THRESHOLDS
        keys = notify_config(self.smtp_port, topics={TOPIC: [{"webhook": self.hook.url}]},
                             dashboard_url="https://costgate.example.com/")
        self.ws = Workspace(prefix="costgate-alarms-test-", config_keys=keys, edit_config=edit)
        self.cleanups.append(self.ws.remove)
        self.sink = None
        self.offset = 0  # seconds the test clock was moved (it restarts at 0 with serve)

    def tearDown(self):
        for fn in reversed(self.cleanups):
            fn()

    def start_sink(self, folder):
        self.sink = SmtpSink(self.smtp_port, self.ws.path(folder))
        self.cleanups.append(self.sink.stop)

    def admin(self):
        return auth(self.ws.admin_key)

    def api(self, server, method, path, body=None, key=None, status=200):
        r = server.call(method, path, body, auth(key or self.ws.admin_key))
        self.assertEqual(r.status, status, r.body)
        return r.json() if r.body else None

    def advance(self, server, seconds):
        out = self.api(server, "POST", "/api/v1/test/clock", {"advance_seconds": seconds})
        self.offset += seconds
        return parse_time(out["now"])

    def to_minute_start(self, server):
        """Moves the test clock to hh:mm:01 of the next minute, so the calls that follow share a
        minute; returns that time. A minute passes first, so every alarm has been evaluated
        (without traffic: OK)."""
        now = self.advance(server, 60)
        return self.advance(server, 61 - now.second - now.microsecond / 1e6)

    def traffic(self, server, calls=3):
        """`calls` calls to P1; returns (tokens, cost) summed from the answers' headers."""
        tokens, cost = 0, Decimal(0)
        for i in range(calls):
            r = server.call("POST", "/v1/chat/completions",
                            testlib.openai_body("alarm traffic %d" % i, max_tokens=100),
                            {**self.admin(), "inference-profile-name": P1})
            self.assertEqual(r.status, 200, r.body)
            tokens += int(r.header("x-costgate-input-tokens")) + int(
                r.header("x-costgate-output-tokens"))
            cost += Decimal(r.header("x-costgate-cost-usd"))
        return tokens, cost

    def alarm_figures(self, server, want, timeout=20):
        """GET /metrics until the alarm and notification samples named in `want` have those
        values (the delivery worker counts after its pass); returns the samples and the text."""
        deadline = time.monotonic() + timeout
        while True:
            reply = server.call("GET", "/metrics")
            self.assertEqual(reply.status, 200, reply)
            text = reply.body.decode("utf-8")
            samples = {}
            for line in text.splitlines():
                if line.startswith(("costgate_alarm", "costgate_notification")):
                    name, value = line.rsplit(" ", 1)
                    samples[name] = value
            if all(samples.get(k) == v for k, v in want.items()) or time.monotonic() > deadline:
                return samples, text
            time.sleep(0.05)

    def states(self, server, profile=P1):
        out = self.api(server, "GET", "/api/v1/alarms?profile=" + profile)
        return {a["AlarmName"]: a["StateValue"] for a in out["alarms"]}

    def test_seed_alarms_fire_mail_once_recover_and_survive_kill_9(self):
        # setup made three alarms per profile, with P1's own thresholds; a second run changes
        # nothing and says so.
        listed = self.ws.json_ok("alarms", "list")["alarms"]
        self.assertEqual(len(listed), 3 * len(self.ws.profiles))
        by_name = {a["AlarmName"]: a for a in listed}
        self.assertEqual(by_name[COST]["Threshold"], 0.0001)
        self.assertEqual(by_name[TOKENS]["Threshold"], 50)
        self.assertEqual(by_name[REQUESTS]["Threshold"], 3)
        self.assertEqual(by_name["BedrockRequestsPerMinuteAlarm-" + P2]["Threshold"], 10)
        self.assertEqual(by_name[COST]["StateValue"], "INSUFFICIENT_DATA")
        again = self.ws.ok("setup", "--create-user-roles").stdout
        self.assertIn("setup: nothing to change", again)
        [topic_line] = [l for l in again.splitlines() if l.startswith("alarms notify topic ")]
        self.assertTrue(topic_line.startswith("alarms notify topic %s: " % TOPIC), topic_line)
        self.assertEqual(sorted(topic_line.split(": ", 1)[1].split(", ")),
                         sorted(["email:" + ADMIN, "webhook:" + self.hook.url]))

        self.start_sink("mail-1")
        server = Server(self.ws, "--test-clock")
        self.cleanups.append(lambda: server.running() and server.kill9())
        minute = self.to_minute_start(server)
        tokens, cost = self.traffic(server)
        self.assertGreater(tokens, 50)
        self.assertGreater(cost, Decimal("0.0001"))
        self.advance(server, 65)  # the tick at the next minute + 5 s has run when this answers

        self.assertEqual(self.states(server), {COST: "ALARM", TOKENS: "ALARM", REQUESTS: "ALARM"})
        self.assertEqual(set(self.states(server, P2).values()), {"OK"})
        cli = self.ws.json_ok("alarms", "list", "--state", "ALARM")["alarms"]
        self.assertEqual(sorted(a["AlarmName"] for a in cli), sorted([COST, TOKENS, REQUESTS]))

        mails = self.sink.wait_for(3)
        by_subject = {m["Subject"]: m for _, m in mails}
        window = minute.replace(second=0, microsecond=0)
        iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # noqa: E731
        for alarm, value, threshold, period in (
                (REQUESTS, "3 requests", "3 requests", 60),
                (TOKENS, "%d tokens" % tokens, "50 tokens", 60),
                (COST, None, "0.0001 USD", 300)):
            subject = 'ALARM: "%s" for profile %s (tenant customer1)' % (alarm, P1)
            self.assertIn(subject, by_subject)
            body = by_subject[subject].get_content()
            self.assertIn("costgate alarm %s changed from OK to ALARM" % alarm, body)
            self.assertIn("Profile:    %s (%s)" % (P1, self.ws.profiles[P1]["id"]), body)
            self.assertIn("Tenant:     customer1", body)
            if value is None:  # a sum of two doubles: compare as numbers
                seen = body.split("Value seen: ")[1].splitlines()[0].strip()
                self.assertTrue(seen.endswith(" USD"), seen)
                self.assertAlmostEqual(float(seen[:-4]), float(cost), places=12)
            else:
                self.assertIn("Value seen: %s" % value, body)
            self.assertIn("Threshold:  >= %s" % threshold, body)
            start = window if period == 60 else window - datetime.timedelta(minutes=4)
            self.assertIn("Window:     %s to %s (UTC)" % (
                iso(start), iso(start + datetime.timedelta(seconds=period))), body)
            self.assertIn("Dashboard:  https://costgate.example.com/?profile=" + P1, body)
        for env, _ in mails:
            self.assertEqual(env["rcpt_tos"], [ADMIN])
            self.assertEqual(env["mail_from"], FROM)
        deadline = time.monotonic() + 10
        while len(self.hook.posts) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        hooked = {p[2]["alarm"]["name"]: p[2] for p in self.hook.posts}
        self.assertEqual(sorted(hooked), sorted([COST, TOKENS, REQUESTS]))
        for body in hooked.values():
            self.assertEqual(body["kind"], "alarm")
            self.assertEqual(body["alarm"]["new_state"], "ALARM")
            self.assertEqual(body["alarm"]["profile"], {"name": P1,
                                                        "id": self.ws.profiles[P1]["id"]})
            self.assertEqual(body["alarm"]["tenant"], "customer1")
        self.assertEqual(hooked[REQUESTS]["alarm"]["value"], 3)
        self.assertEqual(hooked[REQUESTS]["alarm"]["threshold"], 3)
        self.assertEqual(hooked[TOKENS]["alarm"]["value"], tokens)

        # History and describe, through the API and the CLI.
        items = self.api(server, "GET", "/api/v1/alarms/%s/history?type=StateUpdate" % REQUESTS)
        self.assertEqual(items["items"][0]["HistorySummary"], "Alarm updated from OK to ALARM")
        data = json.loads(items["items"][0]["HistoryData"])
        self.assertEqual(data["newState"]["stateValue"], "ALARM")
        self.assertEqual(data["newState"]["stateReasonData"]["evaluatedDatapoints"][0]["value"], 3)
        deadline = time.monotonic() + 10
        while True:
            described = self.ws.json_ok("alarms", "describe", REQUESTS)
            states = sorted((d["endpoint"].split(":")[0], d["state"])
                            for d in described["Deliveries"])
            if states == [("email", "delivered"), ("webhook", "delivered")] or \
                    time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(described["StateValue"], "ALARM")
        self.assertEqual(states, [("email", "delivered"), ("webhook", "delivered")])

        # Tenants: only their own alarms.
        t2 = self.ws.tenant_keys["customer2"]
        mine = self.api(server, "GET", "/api/v1/alarms", key=t2)["alarms"]
        theirs = sorted(n for n in self.ws.profiles if n.startswith("customer2_"))
        self.assertEqual(sorted({a["Tags"][0]["Value"] for a in mine}), theirs)
        self.assertEqual(len(mine), 3 * len(theirs))
        refused = server.call("GET", "/api/v1/alarms/" + COST, None, auth(t2))
        self.assertEqual(refused.status, 403)
        self.assertIn(P1, refused.json()["error"]["message"])
        self.assertEqual(server.call("GET", "/api/v1/alarms").status, 401)
        # The alarms setup made are the operator's: a tenant may read its own, not change them,
        # and may not point an alarm of its own at a topic.
        own = sorted(a["AlarmName"] for a in mine)[0]
        for method, path, body in (("POST", own + "/actions", {"enabled": False}),
                                   ("POST", own + "/state", {"StateValue": "OK",
                                                             "StateReason": "tenant"}),
                                   ("DELETE", own, None)):
            r = server.call(method, "/api/v1/alarms/" + path, body, auth(t2))
            self.assertEqual(r.status, 403, (method, path))
            self.assertIn("only an admin key may change it", r.json()["error"]["message"])
        mine_def = self.api(server, "GET", "/api/v1/alarms/" + own, key=t2)
        mine_def.pop("Tags")
        r = server.call("PUT", "/api/v1/alarms/tenant-own-copy", dict(mine_def,
                        AlarmName="tenant-own-copy",
                        Tags=[{"Key": "InferenceProfile", "Value": theirs[0]}]), auth(t2))
        self.assertEqual(r.status, 403, r.body)
        self.assertIn("topics are the operator's", r.json()["error"]["message"])
        self.assertEqual(self.api(server, "GET", "/api/v1/alarms/" + own, key=t2)["ActionsEnabled"],
                         True)
        self.assertEqual(server.call("POST", "/api/v1/test/clock", {"advance_seconds": 1},
                                     auth(t2)).status, 403)

        # Traffic stops: the minute alarms recover a minute later, the cost alarm when its five
        # minutes have passed; OK sends nothing, so no second email.
        self.advance(server, 60)
        self.assertEqual(self.states(server), {COST: "ALARM", TOKENS: "OK", REQUESTS: "OK"})
        self.advance(server, 240)
        self.assertEqual(self.states(server), {COST: "OK", TOKENS: "OK", REQUESTS: "OK"})
        time.sleep(1)
        self.assertEqual(len(self.sink.messages()), 3, "one email per ALARM transition")

        # kill -9 after the transitions are committed, before their mail can go out.
        self.sink.stop()
        self.cleanups.remove(self.sink.stop)
        self.to_minute_start(server)
        self.traffic(server)
        self.advance(server, 65)
        deadline = time.monotonic() + 20
        pending = []
        while time.monotonic() < deadline:
            pending = [d for d in self.ws.json_ok("notify", "list", "--state", "pending",
                                                  "--limit", "0")["deliveries"]
                       if d["endpoint"].startswith("email:")]
            if len(pending) == 3 and all(d["attempts"] >= 1 for d in pending):
                break
            time.sleep(0.05)
        self.assertEqual(len(pending), 3, pending)
        # GET /metrics shows it: the three emails pending after failed attempts, the webhooks
        # of both rounds and the first round's emails sent, every other alarm OK.
        others = 3 * len(self.ws.profiles) - 3
        want = {'costgate_alarms{state="ALARM"}': "3", 'costgate_alarms{state="OK"}': str(others),
                'costgate_alarms{state="INSUFFICIENT_DATA"}': "0",
                "costgate_alarm_evaluation_errors_total": "0",
                "costgate_notifications_sent_total": "9",
                "costgate_notification_outbox_pending": "3"}
        samples, text = self.alarm_figures(server, want)
        self.assertEqual({k: samples.get(k) for k in want}, want)
        self.assertGreaterEqual(int(samples["costgate_notification_delivery_failures_total"]), 3)
        self.assertGreaterEqual(int(samples["costgate_alarm_ticks_total"]), 4)
        self.assertGreater(float(samples["costgate_alarm_tick_duration_seconds"]), 0)
        self.assertEqual(promtool_problems(text), (0, ""))
        server.kill9()
        nids = sorted(d["notification_id"] for d in pending)

        self.start_sink("mail-2")  # a fresh mail directory: only what comes after the restart
        server = Server(self.ws, "--test-clock")
        self.cleanups.append(lambda: server.running() and server.kill9())
        self.assertEqual(self.states(server), {COST: "ALARM", TOKENS: "ALARM", REQUESTS: "ALARM"})
        offset, self.offset = self.offset, 0
        self.advance(server, offset + 1)  # back to where the first run's clock was
        mails = self.sink.wait_for(3, timeout=30)
        time.sleep(1)
        mails = self.sink.messages()
        self.assertEqual(sorted(m["X-Costgate-Notification-Id"] for _, m in mails), nids)
        server.stop_ok()


if __name__ == "__main__":
    testlib.check_environment("alarms_test.py")
    unittest.main(verbosity=2)
