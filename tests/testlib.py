"""Shared helpers of the end-to-end tests (cli_test.py, gateway_test.py, upstream_test.py,
crash_test.py): the environment check, exact prices from models.json, HTTP calls and their
answers, a workspace (a temporary copy of examples/ set up with keys), a running
`costgate serve`, the fake Bedrock (tests/sdk/fake_bedrock.mjs) as a child process, and a
unittest base class with the gateway's assertions.

Environment: COSTGATE_BIN (the costgate binary, required) and COSTGATE_EXAMPLES (default: the
examples/ folder beside tests/). Standard library only.
"""

import contextlib
import datetime
import decimal
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
from decimal import Decimal

BIN = os.environ.get("COSTGATE_BIN", "")
EXAMPLES = os.environ.get(
    "COSTGATE_EXAMPLES",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "examples"))

REGION = "us-west-2"
CLI_TIMEOUT_S = 30
HTTP_TIMEOUT_S = 30
START_TIMEOUT_S = 20
STOP_TIMEOUT_S = 40
MAX_HEADER_BYTES = 10240
MAX_BODY_BYTES = 6 * 1024 * 1024

HAIKU = "anthropic.claude-3-haiku-20240307-v1:0"
SONNET = "anthropic.claude-3-5-sonnet-20241022-v2:0"
NOVA_MICRO_US = "us.amazon.nova-micro-v1:0"
NOVA_PRO = "amazon.nova-pro-v1:0"
NOVA_LITE = "amazon.nova-lite-v1:0"
PROFILE_MODELS = {
    "customer1_websearch": HAIKU,
    "customer1_codingbot": SONNET,
    "customer2_websearch": NOVA_MICRO_US,
    "customer2_codingbot": NOVA_PRO,
}
PROFILE_NAMES = list(PROFILE_MODELS)
CALL_ID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
PLAIN_DECIMAL_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
LISTENING_RE = re.compile(r"listening on http://127\.0\.0\.1:([0-9]+)")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

decimal.getcontext().prec = 60


def check_environment(script):
    """Fails loudly (exit 2) when the binary or the examples are missing; `script` names the
    caller in the message."""
    if not BIN:
        sys.stderr.write("%s: COSTGATE_BIN is not set; point it at the costgate binary, e.g. "
                         "COSTGATE_BIN=build/src/costgate\n" % script)
        sys.exit(2)
    if not (os.path.isfile(BIN) and os.access(BIN, os.X_OK)):
        sys.stderr.write("%s: COSTGATE_BIN=%s is not an executable file\n" % (script, BIN))
        sys.exit(2)
    for name in ("config.json", "models.json"):
        if not os.path.isfile(os.path.join(EXAMPLES, name)):
            sys.stderr.write("%s: %s not found in COSTGATE_EXAMPLES=%s\n"
                             % (script, name, EXAMPLES))
            sys.exit(2)


# ================================================================================= files


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def load_json_ordered(text):
    """Parses JSON keeping key order and refusing duplicate keys."""
    def pairs(items):
        keys = [k for k, _ in items]
        if len(keys) != len(set(keys)):
            raise ValueError("duplicate key in %r" % keys)
        return dict(items)
    return json.loads(text, object_pairs_hook=pairs)


def update_config(path, keys=None, edit=None):
    """Rewrites the config.json at `path`: sets each top-level key of `keys` (added at the end
    when new, replaced in place otherwise), then calls edit(config) to change anything else
    (e.g. a profile's "provider"). Key order is kept."""
    config = load_json_ordered(read_bytes(path).decode("utf-8"))
    for k, v in (keys or {}).items():
        config[k] = v
    if edit:
        edit(config)
    with open(path, "w") as f:
        json.dump(config, f, indent=4)
        f.write("\n")
    return config


# ================================================================================= prices


class Price:
    """A text model's prices in USD per 1,000 tokens, exact."""

    def __init__(self, entry):
        self.input = Decimal(entry["input_cost"])
        self.output = Decimal(entry["output_cost"])
        # Without cache prices, cache tokens cost the input price.
        self.cache_read = Decimal(entry.get("cache_read_cost", entry["input_cost"]))
        self.cache_write = Decimal(entry.get("cache_write_cost", entry["input_cost"]))

    def cost(self, input_tokens, output_tokens, cache_read=0, cache_write=0):
        return (Decimal(input_tokens) * self.input + Decimal(output_tokens) * self.output
                + Decimal(cache_read) * self.cache_read
                + Decimal(cache_write) * self.cache_write) / 1000


def load_prices(region=REGION):
    """models.json's text prices in `region` as Price objects (exact Decimals), the entry in
    effect now (UTC) where a model lists several."""
    with open(os.path.join(EXAMPLES, "models.json")) as f:
        models = json.load(f, parse_float=Decimal, parse_int=Decimal)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = {}
    for model, entry in models[region]["text"].items():
        entries = entry if isinstance(entry, list) else [entry]

        def start(e):
            s = e.get("effective_from", "")
            return s if "T" in s or not s else s + "T00:00:00Z"
        current = [e for e in entries if start(e) <= now]
        out[model] = Price(max(current, key=start))
    return out


_PRICES = None


def price_of(model):
    global _PRICES
    if _PRICES is None:
        _PRICES = load_prices()
    return _PRICES[model]


def expected_cost(model, input_tokens, output_tokens, cache_read=0, cache_write=0):
    """The exact cost of a call: input_tokens are the plain (uncached) input tokens."""
    return price_of(model).cost(input_tokens, output_tokens, cache_read, cache_write)


def call_id_time(call_id):
    """Seconds since the epoch in the first 10 Crockford characters of a call id."""
    ms = 0
    for c in call_id[:10]:
        ms = ms * 32 + CROCKFORD.index(c)
    return ms / 1000.0


# ================================================================================= HTTP


class Reply:
    """One HTTP answer: status, headers (case-insensitive lookup) and the whole body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def events(self):
        """The body as server-sent events: a list of (event name or None, data text)."""
        out = []
        for block in self.body.decode("utf-8").split("\n\n"):
            if not block.strip():
                continue
            name, data = None, []
            for line in block.split("\n"):
                if line.startswith("event:"):
                    name = line[len("event:"):].strip()
                elif line.startswith("data:"):
                    data.append(line[len("data:"):].lstrip(" "))
            out.append((name, "\n".join(data)))
        return out

    def __repr__(self):
        return "HTTP %d %r\n%s" % (self.status, self.headers, self.body[:2000])


def request(port, method, path, body=None, headers=None, timeout=HTTP_TIMEOUT_S):
    """One request on a fresh connection; the body may be bytes, str or a JSON-able value."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    hdrs = {}
    if body is not None:
        hdrs["Content-Type"] = "application/json"
    hdrs.update(headers or {})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, resp.getheaders(), data)
    finally:
        conn.close()


def auth(key, style="bearer"):
    if style == "bearer":
        return {"Authorization": "Bearer " + key}
    return {"x-api-key": key}


def openai_body(text="Hello there", **extra):
    body = {"messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": text}],
            "max_tokens": 24}
    body.update(extra)
    return body


def anthropic_body(text="Hello there", **extra):
    body = {"max_tokens": 24, "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}]}
    body.update(extra)
    return body


def converse_messages(text="Hello there"):
    return [{"role": "user", "content": [{"text": text}]}]


# ================================================================================= workspace


class Workspace:
    """A temporary directory with copies of the example files, set up with keys
    (`costgate setup --create-user-roles`). `config_keys` are top-level keys written into the
    copied config.json before setup (e.g. "upstreams"); `edit_config(config)` may change the
    parsed config in place before it is written (e.g. a profile's "provider")."""

    def __init__(self, prefix="costgate-gw-test-", config_keys=None, edit_config=None):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.servers = 0
        try:
            for name in ("config.json", "models.json"):
                shutil.copyfile(os.path.join(EXAMPLES, name), self.path(name))
            if config_keys or edit_config:
                update_config(self.config, config_keys, edit_config)
            out = self.json_ok("setup", "--create-user-roles")
            self.setup_output = out  # what `setup --json` printed (a loadgen's --keys file)
            keys = out["keys"]
            self.admin_key = [k["key"] for k in keys if k["role"] == "admin"][0]
            self.tenant_keys = {k["tenant"]: k["key"] for k in keys if k["role"] == "tenant"}
            self.profiles = {p["name"]: p for p in self.json_ok("profiles", "list")["profiles"]}
        except BaseException:
            self.remove()  # nobody else holds this workspace yet
            raise

    def remove(self):
        shutil.rmtree(self.dir, True)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def config(self):
        return self.path("config.json")

    @property
    def db(self):
        return self.path("costgate.db")

    def set_config_keys(self, keys=None, edit=None):
        """Rewrites top-level keys of this workspace's config.json (see update_config)."""
        return update_config(self.config, keys, edit)

    def run(self, *args):
        return subprocess.run([BIN] + [str(a) for a in args] + ["--config", self.config],
                              cwd=self.dir, capture_output=True, text=True,
                              timeout=CLI_TIMEOUT_S)

    def ok(self, *args):
        p = self.run(*args)
        if p.returncode != 0:
            raise AssertionError("costgate %s: exit status %d\n--- stdout\n%s--- stderr\n%s"
                                 % (" ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p

    def json_ok(self, *args):
        p = self.ok(*args, "--json")
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            raise AssertionError("costgate %s --json printed no JSON (%s):\n%s"
                                 % (" ".join(map(str, args)), e, p.stdout))

    def usage(self, *args):
        """`costgate usage --json` (with e.g. "--profile", P)."""
        return self.json_ok("usage", *args)

    def usage_record(self, call_id):
        """The record of one call in `costgate usage --json`, or None."""
        for rec in self.usage()["records"]:
            if rec["call_id"] == call_id:
                return rec
        return None

    def query(self, sql, params=()):
        with contextlib.closing(sqlite3.connect(self.db, timeout=10)) as c:
            return c.execute(sql, params).fetchall()

    def ledger_count(self, call_id):
        return self.query("SELECT count(*) FROM usage_records WHERE call_id = ?", (call_id,))[0][0]

    def ledger_row(self, call_id):
        """The usage_records row of a call as a dict, or None."""
        with contextlib.closing(sqlite3.connect(self.db, timeout=10)) as c:
            c.row_factory = sqlite3.Row
            row = c.execute("SELECT * FROM usage_records WHERE call_id = ?",
                            (call_id,)).fetchone()
            return dict(row) if row else None


class Server:
    """A running `costgate serve` on a port the kernel picked. `env` adds to (or, with a None
    value, removes from) the environment it inherits. `threads` is passed as --threads (None:
    no flag, so the config's server.threads or the default applies)."""

    def __init__(self, ws, *extra, env=None, threads=2):
        ws.servers += 1
        self.ws = ws
        self.log_path = ws.path("serve-%d.log" % ws.servers)
        self.log = open(self.log_path, "wb")
        args = [BIN, "serve", "--config", ws.config, "--listen", "127.0.0.1:0"]
        if threads is not None:
            args += ["--threads", str(threads)]
        args += [str(a) for a in extra]
        self.proc = subprocess.Popen(args, cwd=ws.dir, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=self.log, env=child_env(env))
        self.port = None
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            m = LISTENING_RE.search(self.log_text())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        self.log.close()
        raise AssertionError("costgate serve did not start (exit %r):\n%s"
                             % (self.proc.returncode, self.log_text()))

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def running(self):
        return self.proc.poll() is None

    def stop(self):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("costgate serve did not stop within %d s of SIGTERM:\n%s"
                                 % (STOP_TIMEOUT_S, self.log_text()))
        finally:
            self.log.close()
        return code

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(STOP_TIMEOUT_S)
        self.log.close()

    def stop_ok(self):
        code = self.stop()
        if code != 0:
            raise AssertionError("costgate serve exited %d after SIGTERM:\n%s"
                                 % (code, self.log_text()))

    def call(self, method, path, body=None, headers=None, **kw):
        try:
            return request(self.port, method, path, body, headers, **kw)
        except (OSError, http.client.HTTPException) as e:
            self.check_alive(e)
            raise

    def check_alive(self, cause=None):
        """Fails with the server's log when the process has died."""
        if self.proc.poll() is None:
            time.sleep(0.2)
        if self.proc.poll() is not None:
            raise AssertionError("costgate serve died (exit status %d%s); its log:\n%s"
                                 % (self.proc.returncode,
                                    ", then the request failed with %r" % cause if cause else "",
                                    self.log_text()[-4000:]))


class FakeBedrock:
    """tests/sdk/fake_bedrock.mjs (runtime and control plane, verifying every SigV4 signature
    with @smithy/signature-v4) as a child process on a free loopback port, for the credentials
    given. requests() lists what it received (path, modelId, signature verdict, status...);
    profiles() the inference profiles it holds. Needs node and tests/sdk/node_modules."""

    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sdk", "fake_bedrock.mjs")

    def __init__(self, access_key_id="AKIDFAKEBEDROCK00001",
                 secret_access_key="fake/bedrock/secret/key/for/tests/000001",
                 region=REGION, account_id="123456789012", session_token=None):
        self.access_key_id = access_key_id
        self.secret_access_key = secret_access_key
        self.region = region
        self.account_id = account_id
        self.session_token = session_token
        args = [os.environ.get("COSTGATE_NODE", "node"), self.SCRIPT, "--port", "0",
                "--access-key-id", access_key_id, "--secret-access-key", secret_access_key,
                "--region", region, "--account-id", account_id]
        if session_token:
            args += ["--session-token", session_token]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fake_bedrock.mjs did not start: " + self.proc.stderr.read())
        self.port = json.loads(line)["port"]
        self.url = "http://127.0.0.1:%d" % self.port

    def env(self):
        """The AWS_* variables that make costgate sign for this fake."""
        e = {"AWS_ACCESS_KEY_ID": self.access_key_id,
             "AWS_SECRET_ACCESS_KEY": self.secret_access_key}
        if self.session_token:
            e["AWS_SESSION_TOKEN"] = self.session_token
        return e

    def _get(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT_S)
        try:
            conn.request("GET", path)
            return json.loads(conn.getresponse().read())
        finally:
            conn.close()

    def requests(self):
        return self._get("/__fake/requests")["requests"]

    def profiles(self):
        return self._get("/__fake/profiles")

    def reset(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT_S)
        try:
            conn.request("POST", "/__fake/reset")
            conn.getresponse().read()
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


def child_env(changes):
    """os.environ with `changes` applied (a None value removes the variable); None: inherit."""
    if changes is None:
        return None
    env = dict(os.environ)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


# ================================================================================= test case


class GatewayTestCase(unittest.TestCase):
    """A workspace and a server for the whole class. Subclasses may set server_args,
    server_env, or override make_workspace()."""
    maxDiff = None
    server_args = ()
    server_env = None

    @classmethod
    def make_workspace(cls):
        return Workspace()

    @classmethod
    def setUpClass(cls):
        cls.ws = cls.make_workspace()
        cls.addClassCleanup(cls.ws.remove)
        cls.server = Server(cls.ws, *cls.server_args, env=cls.server_env)
        cls.addClassCleanup(cls._stop_server)

    def setUp(self):
        if self.server.proc.poll() is not None:
            self.server.check_alive()

    @classmethod
    def _stop_server(cls):
        if cls.server.proc.poll() is None:
            cls.server.stop_ok()
        else:
            cls.server.log.close()

    # --- shortcuts -----------------------------------------------------------------------

    @property
    def admin(self):
        return auth(self.ws.admin_key)

    def tenant(self, name):
        return auth(self.ws.tenant_keys[name])

    def post(self, path, body, *header_dicts, **kw):
        headers = {}
        for h in header_dicts:
            headers.update(h)
        return self.server.call("POST", path, body, headers, **kw)

    def chat(self, *header_dicts, body=None, **kw):
        return self.post("/v1/chat/completions", openai_body() if body is None else body,
                         *header_dicts, **kw)

    def messages(self, *header_dicts, body=None, **kw):
        return self.post("/v1/messages", anthropic_body() if body is None else body,
                         *header_dicts, **kw)

    def invoke(self, *header_dicts, body=None, **kw):
        return self.post("/invoke", converse_messages() if body is None else body,
                         *header_dicts, **kw)

    # --- assertions ----------------------------------------------------------------------

    def assert_status(self, reply, status):
        self.assertEqual(reply.status, status, reply)

    def assert_json_error(self, reply, status, message_re=None):
        """A JSON error body {"error": {"type", "message"}} with the given status."""
        self.assert_status(reply, status)
        self.assertTrue(reply.header("content-type", "").startswith("application/json"), reply)
        body = reply.json()
        self.assertIsInstance(body.get("error"), dict, reply)
        self.assertIsInstance(body["error"].get("type"), str, reply)
        self.assertTrue(body["error"]["type"], reply)
        self.assertIsInstance(body["error"].get("message"), str, reply)
        self.assertTrue(body["error"]["message"], reply)
        if message_re:
            self.assertRegex(body["error"]["message"], message_re)
        return body["error"]

    def assert_profile(self, reply, name):
        self.assert_status(reply, 200)
        self.assertEqual(reply.header("x-costgate-profile"), name, reply)

    def assert_cost_headers(self, reply, profile):
        """The x-costgate headers of a resolved, non-streaming answer; returns (call id, in,
        out, cost)."""
        self.assertEqual(reply.header("x-costgate-profile"), profile, reply)
        call_id = reply.header("x-costgate-call-id")
        self.assertRegex(call_id or "", CALL_ID_RE, reply)
        self.assertLess(abs(call_id_time(call_id) - time.time()), 60,
                        "call id %s does not start with the current time" % call_id)
        inp, out, cost = (reply.header("x-costgate-input-tokens"),
                          reply.header("x-costgate-output-tokens"),
                          reply.header("x-costgate-cost-usd"))
        for v in (inp, out):
            self.assertRegex(v or "", r"^[0-9]+$", reply)
        self.assertRegex(cost or "", PLAIN_DECIMAL_RE, reply)
        inp, out = int(inp), int(out)
        model = PROFILE_MODELS[profile]
        if reply.status == 200:
            self.assertGreater(inp, 0, reply)
            self.assertGreater(out, 0, reply)
        self.assertEqual(Decimal(cost), expected_cost(model, inp, out),
                         "cost header %s for %d in + %d out tokens of %s" % (cost, inp, out, model))
        return call_id, inp, out, Decimal(cost)

    def assert_costgate_event(self, info, profile, call_id=None):
        """The "costgate" object of a stream's final event; returns (call id, in, out, cost)."""
        self.assertEqual(info["profile"], profile, info)
        self.assertRegex(info["call_id"], CALL_ID_RE)
        if call_id:
            self.assertEqual(info["call_id"], call_id)
        self.assertIsInstance(info["cost_usd"], str, info)
        self.assertRegex(info["cost_usd"], PLAIN_DECIMAL_RE, info)
        self.assertGreater(info["input_tokens"], 0, info)
        self.assertGreater(info["output_tokens"], 0, info)
        self.assertEqual(Decimal(info["cost_usd"]),
                         expected_cost(PROFILE_MODELS[profile], info["input_tokens"],
                                       info["output_tokens"]), info)
        return info["call_id"], info["input_tokens"], info["output_tokens"], \
            Decimal(info["cost_usd"])


def openai_stream_facts(test, reply, include_usage):
    """Checks an OpenAI SSE stream's shape; returns (text, usage chunk or None, costgate)."""
    test.assertEqual(reply.status, 200, reply)
    test.assertTrue(reply.header("content-type", "").startswith("text/event-stream"), reply)
    events = reply.events()
    test.assertEqual(events[-1], (None, "[DONE]"), reply)
    chunks = [json.loads(d) for _, d in events[:-1]]
    test.assertTrue(chunks, reply)
    text = ""
    usage_chunk = None
    finish = None
    for i, c in enumerate(chunks):
        test.assertEqual(c["object"], "chat.completion.chunk", c)
        if include_usage:
            test.assertIn("usage", c, c)
        if c["choices"]:
            delta = c["choices"][0]["delta"]
            if i == 0:
                test.assertEqual(delta.get("role"), "assistant", c)
            text += delta.get("content") or ""
            if c["choices"][0]["finish_reason"]:
                finish = c["choices"][0]["finish_reason"]
        else:
            usage_chunk = c
    test.assertIn(finish, ("stop", "length"))
    if include_usage:
        test.assertIsNotNone(usage_chunk, "no usage chunk with include_usage")
        test.assertIs(chunks[-1], usage_chunk, "the usage chunk is not the last")
        for c in chunks[:-1]:
            test.assertIsNone(c["usage"], c)
    else:
        test.assertIsNone(usage_chunk)
    test.assertIn("costgate", chunks[-1], "the last chunk carries no costgate object")
    return text, usage_chunk, chunks[-1]["costgate"]


def anthropic_stream_facts(test, reply, same_input_at_start=True):
    """Checks an Anthropic SSE stream's order; returns (text, final usage, costgate).
    same_input_at_start: message_start's input_tokens must equal the final usage's."""
    test.assertEqual(reply.status, 200, reply)
    events = reply.events()
    names = [n for n, _ in events]
    test.assertEqual(names[:3], ["message_start", "content_block_start", "ping"], names)
    test.assertEqual(names[-3:], ["content_block_stop", "message_delta", "message_stop"], names)
    test.assertTrue(all(n == "content_block_delta" for n in names[3:-3]), names)
    data = [json.loads(d) for _, d in events]
    for (name, _), d in zip(events, data):
        test.assertEqual(d["type"], name)
    text = "".join(d["delta"]["text"] for d in data[3:-3])
    start_usage = data[0]["message"]["usage"]
    final_usage = data[-2]["usage"]
    if same_input_at_start:
        test.assertEqual(start_usage["input_tokens"], final_usage["input_tokens"])
    return text, final_usage, data[-1]["costgate"]
