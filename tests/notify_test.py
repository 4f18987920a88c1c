"""End-to-end tests of notifications (Python 3 standard library, plus Debian's python3-aiosmtpd
run as a child process by smtp_sink.py): `costgate notify test` delivers to a real SMTP server
(one email with the right headers and body), to webhooks (JSON, retried until a receiver that
fails twice takes it on the third attempt, same id each time), to the default JSONL file without
SMTP; gives up visibly; and a notification stored by a process killed with SIGKILL is delivered
after the restart (by `costgate serve`) once the SMTP server is up.

Environment: COSTGATE_BIN, COSTGATE_EXAMPLES (see testlib.py); COSTGATE_SMTP_PYTHON, a Python
with aiosmtpd (default: this one if it has it, else /usr/bin/python3).
"""

import email
import email.policy
import email.utils
import glob
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import testlib  # noqa: E402
from testlib import BIN, Server, Workspace  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOPIC = "BedrockInvocationAlarms"  # the example config's sns_topic_name
ADMIN = "ops@example.com"          # and its sns_email
FROM = "costgate@alerts.example.com"
ID_RE = testlib.CALL_ID_RE


def smtp_python():
    explicit = os.environ.get("COSTGATE_SMTP_PYTHON")
    if explicit:
        return explicit
    try:
        import aiosmtpd  # noqa: F401
        return sys.executable
    except ImportError:
        return "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """smtp_sink.py on `port` storing messages in `outdir`."""

    def __init__(self, port, outdir, auth=None):
        os.makedirs(outdir, exist_ok=True)
        self.outdir = outdir
        args = [smtp_python(), os.path.join(HERE, "smtp_sink.py"), str(port), outdir]
        if auth:
            args += ["--auth", auth]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.proc.kill()
            raise AssertionError("smtp_sink.py did not start: %r %s"
                                 % (line, self.proc.stderr.read()))

    def messages(self):
        """Every complete message so far: (envelope dict, email.message.EmailMessage)."""
        out = []
        for j in sorted(glob.glob(os.path.join(self.outdir, "*.json"))):
            with open(j) as f:
                env = json.load(f)
            with open(j[:-len(".json")] + ".eml", "rb") as f:
                msg = email.message_from_bytes(f.read(), policy=email.policy.default)
            out.append((env, msg))
        return out

    def wait_for(self, n, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.messages()
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError("expected %d message(s), got %d" % (n, len(self.messages())))

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


class Receiver:
    """An HTTP server on a free loopback port recording every POST (path, headers, JSON body);
    the first `fail_first` answers are HTTP 500."""

    def __init__(self, fail_first=0):
        self.posts = []
        self.fail_left = fail_first
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with threading.Lock():
                    outer.posts.append((self.path, dict(self.headers), json.loads(body)))
                    failing = outer.fail_left > 0
                    if failing:
                        outer.fail_left -= 1
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"no" if failing else b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/hook" % self.port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def notify_config(smtp_port=None, topics=None, **extra):
    n = {"webhook_timeout_ms": 2000,
         "retry": {"initial_ms": 200, "max_delay_ms": 1000, "max_attempts": 20,
                   "max_age_ms": 600000}}
    if smtp_port is not None:
        n["smtp"] = {"host": "127.0.0.1", "port": smtp_port, "tls": "none", "from": FROM,
                     "timeout_ms": 2000}
    if topics:
        n["topics"] = topics
    n.update(extra)
    return {"notify": n}


class NotifyTest(unittest.TestCase):

    def setUp(self):
        self.cleanups = []

    def tearDown(self):
        for fn in reversed(self.cleanups):
            fn()

    def workspace(self, keys):
        ws = Workspace(prefix="costgate-notify-test-", config_keys=keys)
        self.cleanups.append(ws.remove)
        return ws

    def sink(self, port, **kw):
        s = SmtpSink(port, os.path.join(self.workspace_dir, "mail-%d" % port), **kw)
        self.cleanups.append(s.stop)
        return s

    def receiver(self, **kw):
        r = Receiver(**kw)
        self.cleanups.append(r.stop)
        return r

    def deliveries(self, ws, *args):
        return ws.json_ok("notify", "list", "--limit", "0", *args)["deliveries"]

    def test_email_arrives_once_with_the_right_headers(self):
        port = free_port()
        ws = self.workspace(notify_config(port))
        self.workspace_dir = ws.dir
        sink = self.sink(port)
        out = ws.json_ok("notify", "test", "--topic", TOPIC)
        [d] = out["deliveries"]
        self.assertEqual(d["endpoint"], "email:" + ADMIN)
        self.assertEqual(d["state"], "delivered")
        self.assertEqual(d["attempts"], 1)
        nid = d["notification_id"]
        self.assertRegex(nid, ID_RE)

        [(env, msg)] = sink.wait_for(1)
        time.sleep(0.5)
        self.assertEqual(len(sink.messages()), 1, "exactly one email")
        self.assertEqual(env["mail_from"], FROM)
        self.assertEqual(env["rcpt_tos"], [ADMIN])
        self.assertEqual(msg["Subject"], "costgate test message for topic " + TOPIC)
        self.assertEqual([a.addr_spec for a in msg["To"].addresses], [ADMIN])
        self.assertEqual([(a.display_name, a.addr_spec) for a in msg["From"].addresses],
                         [("costgate", FROM)])
        self.assertEqual(msg["Message-ID"], "<%s@alerts.example.com>" % nid)
        self.assertEqual(msg["X-Costgate-Notification-Id"], nid)
        self.assertEqual(msg["X-Costgate-Topic"], TOPIC)
        sent = email.utils.parsedate_to_datetime(msg["Date"])
        self.assertLess(abs(sent.timestamp() - testlib.call_id_time(nid)), 1.0)
        body = msg.get_content()
        self.assertIn("This is a test message from costgate", body)
        self.assertIn("Notification id: %s (topic %s)" % (nid, TOPIC), body)
        self.assertEqual(self.deliveries(ws, "--state", "delivered")[0]["notification_id"], nid)

    def test_smtp_authentication_uses_the_password_from_the_environment(self):
        port = free_port()
        keys = notify_config(port)
        keys["notify"]["smtp"].update({"username": "alerts", "password_env": "CG_SMTP_PW"})
        ws = self.workspace(keys)
        self.workspace_dir = ws.dir
        sink = self.sink(port, auth="alerts:s3cret")
        env = dict(os.environ, CG_SMTP_PW="s3cret")
        p = subprocess.run([BIN, "notify", "test", "--topic", TOPIC, "--config", ws.config,
                            "--json"], capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(sink.wait_for(1)), 1)
        # With a wrong password nothing is delivered; the attempt fails and waits for a retry.
        env["CG_SMTP_PW"] = "wrong"
        p = subprocess.run([BIN, "notify", "test", "--topic", TOPIC, "--config", ws.config,
                            "--json", "--wait-ms", "0"],
                           capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        [d] = json.loads(p.stdout)["deliveries"]
        self.assertEqual(d["state"], "pending")
        self.assertTrue(d["last_error"].startswith("SMTP smtp://127.0.0.1:%d: " % port),
                        d["last_error"])
        self.assertEqual(len(sink.messages()), 1)

    def test_webhook_shapes(self):
        hook, slack, am = self.receiver(), self.receiver(), self.receiver()
        ws = self.workspace(notify_config(topics={"Hooks": [
            {"webhook": hook.url},
            {"webhook": slack.url, "shape": "slack"},
            {"webhook": am.url.replace("/hook", "/api/v2/alerts"), "shape": "alertmanager"}]}))
        out = ws.json_ok("notify", "test", "--topic", "Hooks")
        self.assertEqual(sorted(d["state"] for d in out["deliveries"]), ["delivered"] * 3)
        nid = out["deliveries"][0]["notification_id"]

        [(path, headers, body)] = hook.posts
        self.assertEqual(path, "/hook")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(headers["X-Costgate-Notification-Id"], nid)
        self.assertEqual(body["id"], nid)
        self.assertEqual(body["topic"], "Hooks")
        self.assertEqual(body["kind"], "test")
        self.assertEqual(body["subject"], "costgate test message for topic Hooks")
        self.assertIn("Notification id: %s" % nid, body["text"])

        [(_, _, sbody)] = slack.posts
        self.assertEqual(list(sbody), ["text"])
        self.assertTrue(sbody["text"].startswith("*costgate test message for topic Hooks*\n"))

        [(apath, _, abody)] = am.posts
        self.assertEqual(apath, "/api/v2/alerts")
        [alert] = abody
        self.assertEqual(alert["labels"], {"alertname": "CostgateTestMessage", "topic": "Hooks",
                                           "costgate_state": "TEST"})
        self.assertEqual(alert["annotations"]["notification_id"], nid)

    def test_receiver_failing_twice_gets_it_on_the_third_attempt_with_the_same_id(self):
        flaky = self.receiver(fail_first=2)
        ws = self.workspace(notify_config(topics={"Flaky": [{"webhook": flaky.url}]}))
        out = ws.json_ok("notify", "test", "--topic", "Flaky")
        [d] = out["deliveries"]
        self.assertEqual(d["state"], "delivered")
        self.assertEqual(d["attempts"], 3)
        self.assertEqual(d["last_error"], "")
        self.assertEqual(len(flaky.posts), 3)
        ids = {body["id"] for _, _, body in flaky.posts}
        self.assertEqual(ids, {d["notification_id"]})

    def test_gives_up_visibly(self):
        dead = "http://127.0.0.1:%d/gone" % free_port()
        keys = notify_config(topics={"Dead": [{"webhook": dead}]})
        keys["notify"]["retry"] = {"initial_ms": 100, "max_attempts": 3}
        ws = self.workspace(keys)
        p = ws.run("notify", "test", "--topic", "Dead", "--json")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        [d] = json.loads(p.stdout)["deliveries"]
        self.assertEqual(d["state"], "failed")
        self.assertEqual(d["attempts"], 3)
        self.assertIn("Couldn't connect to server", d["last_error"])
        self.assertIn("FAILED for good after 3 attempts", p.stderr)
        listed = ws.json_ok("notify", "list", "--state", "failed")
        self.assertEqual(listed["counts"], {"pending": 0, "retrying": 0, "delivered": 0,
                                            "failed": 1})
        self.assertEqual(listed["deliveries"][0]["notification_id"], d["notification_id"])

    def test_without_smtp_the_seed_topic_goes_to_the_jsonl_file(self):
        ws = self.workspace(notify_config())
        p = ws.run("notify", "test", "--topic", TOPIC, "--json")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("email to %s is not sent because notify.smtp is not configured" % ADMIN,
                      p.stderr)
        [d] = json.loads(p.stdout)["deliveries"]
        path = ws.path("notifications.jsonl")
        self.assertEqual(d["endpoint"], "file:" + path)
        with open(path) as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), 1)
        line = json.loads(lines[0])
        self.assertEqual(line["id"], d["notification_id"])
        self.assertEqual(line["topic"], TOPIC)
        topics = ws.json_ok("notify", "topics")
        self.assertEqual(topics["topics"], [{"name": TOPIC, "subscriptions": ["file:" + path]}])

    def test_unknown_topic_is_refused(self):
        ws = self.workspace(notify_config())
        p = ws.run("notify", "test", "--topic", "Nope")
        self.assertEqual(p.returncode, 2)
        self.assertIn('no topic named "Nope" (topics: %s)' % TOPIC, p.stderr)

    def test_kill_9_before_delivery_then_delivered_after_restart(self):
        port = free_port()  # nothing listens there yet: the SMTP server is down
        ws = self.workspace(notify_config(port))
        self.workspace_dir = ws.dir
        log = open(ws.path("notify-test.log"), "wb")
        self.cleanups.append(log.close)
        proc = subprocess.Popen([BIN, "notify", "test", "--topic", TOPIC, "--config", ws.config,
                                 "--wait-ms", "60000"], stdout=log, stderr=log)
        self.cleanups.append(lambda: proc.poll() is None and proc.kill())
        # Stored, tried, failed, waiting to retry: then the process dies without warning.
        deadline = time.monotonic() + 30
        pending = []
        while time.monotonic() < deadline:
            pending = self.deliveries(ws, "--state", "pending")
            if pending and pending[0]["attempts"] >= 1:
                break
            time.sleep(0.05)
        self.assertTrue(pending and pending[0]["attempts"] >= 1, pending)
        self.assertIn("Couldn't connect to server", pending[0]["last_error"])
        proc.kill()
        proc.wait()
        nid = pending[0]["notification_id"]

        sink = self.sink(port)
        server = Server(ws)
        try:
            [(env, msg)] = sink.wait_for(1, timeout=40)
            self.assertEqual(msg["X-Costgate-Notification-Id"], nid)
            self.assertEqual(env["rcpt_tos"], [ADMIN])
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                [d] = self.deliveries(ws)
                if d["state"] == "delivered":
                    break
                time.sleep(0.05)
            self.assertEqual(d["state"], "delivered")
            time.sleep(0.5)
            self.assertEqual(len(sink.messages()), 1, "delivered once")
        finally:
            server.stop_ok()
        self.assertIn("notify: %s delivered to email:%s" % (nid, ADMIN), server.log_text())


if __name__ == "__main__":
    testlib.check_environment("notify_test.py")
    unittest.main(verbosity=2)
