#!/usr/bin/env python3
"""End-to-end tests of the `costgate` command line.

Runs the real binary (COSTGATE_BIN) against copies of examples/ (COSTGATE_EXAMPLES, default: the
examples/ folder beside this one), each test in its own temporary directory, and checks what the
commands really did: exit status (0 ok, 1 failure, 2 bad usage or input), stdout/stderr, the
bytes of config.json, and the rows of the SQLite store read directly with sqlite3.

    COSTGATE_BIN=build/src/costgate python3 tests/cli_test.py -v

Standard library only.
"""

import contextlib
import copy
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import unittest

from testlib import (BIN, EXAMPLES, HAIKU, NOVA_LITE, NOVA_MICRO_US, PROFILE_NAMES,
                     check_environment, load_json_ordered, read_bytes)

PROFILE_ID_RE = re.compile(r"^[a-z0-9]{12}$")
KEY_RE = re.compile(r"^[A-Za-z0-9_-]{32,}$")
# api_keys also holds AWS credentials (setup issues one beside each API key); these count the
# API keys alone.
API_KEYS_ONLY = "SELECT count(*) FROM api_keys WHERE aws_secret IS NULL"
TIMEOUT_S = 30


class Workspace:
    """A temporary directory holding copies of the example files; commands run in it."""

    def __init__(self, test):
        self.test = test
        self.dir = tempfile.mkdtemp(prefix="costgate-cli-test-")
        test.addCleanup(shutil.rmtree, self.dir, True)
        for name in ("config.json", "models.json"):
            shutil.copyfile(os.path.join(EXAMPLES, name), self.path(name))
        self.original_config = read_bytes(self.config)
        self.original_models = read_bytes(self.models)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def config(self):
        return self.path("config.json")

    @property
    def models(self):
        return self.path("models.json")

    @property
    def db(self):
        return self.path("costgate.db")

    # --- running -------------------------------------------------------------------------

    def run(self, *args, cwd=None):
        proc = subprocess.run([BIN] + [str(a) for a in args], cwd=cwd or self.dir,
                              capture_output=True, text=True, timeout=TIMEOUT_S)
        return proc

    def ok(self, *args, cwd=None):
        """Runs and asserts exit status 0."""
        p = self.run(*args, cwd=cwd)
        self.test.assertEqual(p.returncode, 0, self.describe(args, p))
        return p

    def fails(self, code, *args, cwd=None):
        """Runs and asserts the given exit status."""
        p = self.run(*args, cwd=cwd)
        self.test.assertEqual(p.returncode, code, self.describe(args, p))
        return p

    def json_ok(self, *args):
        p = self.ok(*args, "--json")
        try:
            return json.loads(p.stdout)
        except ValueError as e:
            self.test.fail("costgate %s --json printed no JSON (%s):\n%s"
                           % (" ".join(map(str, args)), e, p.stdout))

    @staticmethod
    def describe(args, p):
        return ("costgate %s\nexit status %d\n--- stdout\n%s--- stderr\n%s"
                % (" ".join(map(str, args)), p.returncode, p.stdout, p.stderr))

    def setup(self, *extra):
        return self.ok("setup", "--config", "config.json", *extra)

    # --- files ---------------------------------------------------------------------------

    def config_json(self):
        return load_json_ordered(read_bytes(self.config).decode("utf-8"))

    def write_config(self, obj):
        with open(self.config, "w") as f:
            json.dump(obj, f, indent=4)
            f.write("\n")
        return read_bytes(self.config)

    def write_models(self, obj):
        with open(self.models, "w") as f:
            json.dump(obj, f, indent=4)
        return read_bytes(self.models)

    def models_json(self):
        return load_json_ordered(read_bytes(self.models).decode("utf-8"))

    def profile_ids(self):
        """config.json's profile_ids as a list of (name, id)."""
        out = []
        for entry in self.config_json().get("profile_ids", []):
            self.test.assertIsInstance(entry, dict)
            self.test.assertEqual(len(entry), 1, "profile_ids entry %r has not one key" % entry)
            out.extend(entry.items())
        return out

    def store_files(self):
        return [self.path(n) for n in os.listdir(self.dir) if n.startswith("costgate.db")]

    # --- store ---------------------------------------------------------------------------

    def query(self, sql, params=()):
        self.test.assertTrue(os.path.exists(self.db), "no store at %s" % self.db)
        with contextlib.closing(sqlite3.connect(self.db)) as c:
            return c.execute(sql, params).fetchall()

    def snapshot(self):
        """Every row of every table, to compare a store before and after a command."""
        with contextlib.closing(sqlite3.connect(self.db)) as c:
            tables = [r[0] for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            return {t: sorted(map(repr, c.execute('SELECT * FROM "%s"' % t).fetchall()))
                    for t in tables}


class CliTestCase(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.ws = Workspace(self)

    def list_profiles(self, ws=None):
        ws = ws or self.ws
        return ws.json_ok("profiles", "list", "--config", "config.json")["profiles"]

    def assert_no_change(self, ws, config_bytes, models_bytes=None, snapshot=None):
        self.assertEqual(read_bytes(ws.config), config_bytes, "config.json was changed")
        if models_bytes is not None:
            self.assertEqual(read_bytes(ws.models), models_bytes, "models.json was changed")
        if snapshot is None:
            self.assertEqual(ws.store_files(), [], "a store was created")
        else:
            self.assertEqual(ws.snapshot(), snapshot, "the store was changed")


# ====================================================================================== setup


class SetupTest(CliTestCase):

    def test_setup_creates_four_profiles(self):
        p = self.ws.setup()
        for name in PROFILE_NAMES:
            self.assertIn("create profile %s" % name, p.stdout)
        listed = self.list_profiles()
        self.assertEqual(sorted(x["name"] for x in listed), sorted(PROFILE_NAMES))
        for x in listed:
            self.assertEqual(x["origin"], "setup")
            self.assertRegex(x["id"], PROFILE_ID_RE)
            self.assertTrue(x["arn"].startswith("arn:aws:bedrock:us-west-2:"), x["arn"])
            self.assertTrue(x["arn"].endswith(":application-inference-profile/" + x["id"]))
        # The same four, straight from the SQLite file.
        rows = self.ws.query("SELECT id, name, model_id, region, origin FROM profiles")
        self.assertEqual(len(rows), 4)
        by_name = {r[1]: r for r in rows}
        self.assertEqual(sorted(by_name), sorted(PROFILE_NAMES))
        cfg = load_json_ordered(self.ws.original_config.decode())
        for spec in cfg["profiles"]:
            row = by_name[spec["name"]]
            self.assertEqual(row[2], spec["model_id"])
            self.assertEqual(row[3], "us-west-2")
            self.assertEqual(row[4], "setup")
            tags = self.ws.query(
                "SELECT key, value FROM profile_tags WHERE profile_id = ? ORDER BY position",
                (row[0],))
            self.assertEqual([{"key": k, "value": v} for k, v in tags], spec["tags"])
        self.assertEqual(self.ws.query("SELECT count(*) FROM profile_tags")[0][0], 28)

    def test_setup_writes_profile_ids_and_keeps_other_keys(self):
        self.ws.setup()
        original = load_json_ordered(self.ws.original_config.decode())
        after = self.ws.config_json()
        self.assertIn("profile_ids", after)
        ids = after["profile_ids"]
        self.assertIsInstance(ids, list)
        self.assertEqual(len(ids), 4)
        for entry in ids:
            self.assertIsInstance(entry, dict)
            self.assertEqual(len(entry), 1, entry)
            (name, pid), = entry.items()
            self.assertIn(name, PROFILE_NAMES)
            self.assertRegex(pid, PROFILE_ID_RE)
        self.assertEqual(sorted(n for e in ids for n in e), sorted(PROFILE_NAMES))
        # They are the ids of the store.
        stored = dict((n, i) for i, n in self.ws.query("SELECT id, name FROM profiles"))
        self.assertEqual(dict(self.ws.profile_ids()), stored)
        # Everything else: same values, same order.
        rest = {k: v for k, v in after.items() if k != "profile_ids"}
        self.assertEqual(rest, original)
        self.assertEqual(list(rest.keys()), list(original.keys()))

    def test_setup_keeps_unknown_keys_and_numbers_as_written(self):
        text = self.ws.original_config.decode().replace(
            '"cost_alarm_threshold": 1,',
            '"cost_alarm_threshold": 1.50,\n'
            '    "x_unknown": {"nested": [1, 2.0, 3e2], "s": "caf\\u00e9"},')
        with open(self.ws.config, "w") as f:
            f.write(text)
        self.ws.setup()
        after = read_bytes(self.ws.config).decode()
        self.assertIn('"cost_alarm_threshold": 1.50', after)
        parsed = self.ws.config_json()
        self.assertEqual(parsed["x_unknown"], {"nested": [1, 2.0, 300.0], "s": "caf\u00e9"})
        keys = [k for k in parsed if k != "profile_ids"]
        self.assertEqual(keys, list(load_json_ordered(text).keys()))

    def test_store_is_wal_sqlite_beside_the_config(self):
        # Run from another directory with an absolute --config: the store still lands beside it.
        elsewhere = tempfile.mkdtemp(prefix="costgate-cli-cwd-")
        self.addCleanup(shutil.rmtree, elsewhere, True)
        self.ws.ok("setup", "--config", self.ws.config, cwd=elsewhere)
        self.assertEqual(os.listdir(elsewhere), [], "setup wrote into the working directory")
        self.assertTrue(os.path.isfile(self.ws.db), "no costgate.db beside config.json")
        header = read_bytes(self.ws.db)[:100]
        self.assertEqual(header[:16], b"SQLite format 3\x00")
        # File format read/write versions 2 mean WAL (sqlite.org/fileformat.html, offset 18/19).
        self.assertEqual((header[18], header[19]), (2, 2), "store is not in WAL mode")
        self.assertEqual(self.ws.query("PRAGMA journal_mode")[0][0].lower(), "wal")

    def test_setup_default_config_is_in_working_directory(self):
        self.ws.ok("setup")
        self.assertTrue(os.path.isfile(self.ws.db))
        self.assertEqual(len(self.ws.profile_ids()), 4)

    def test_setup_twice_changes_nothing(self):
        self.ws.setup()
        after_first = read_bytes(self.ws.config)
        ids_first = self.ws.profile_ids()
        snap = self.ws.snapshot()
        p = self.ws.setup()
        self.assertIn("nothing to change", p.stdout)
        self.assertNotIn("create profile", p.stdout)
        self.assertNotIn("update profile", p.stdout)
        self.assertEqual(read_bytes(self.ws.config), after_first)
        self.assertEqual(self.ws.profile_ids(), ids_first)
        self.assertEqual(self.ws.snapshot(), snap)
        self.assertEqual(self.ws.query("SELECT count(*) FROM profiles")[0][0], 4)
        self.assertEqual(self.ws.query(
            "SELECT count(*) FROM (SELECT name FROM profiles GROUP BY name HAVING count(*) > 1)"
        )[0][0], 0)
        self.assertEqual(self.ws.query("SELECT count(*) FROM profile_tags")[0][0], 28)
        # One price row per (region, model, version) of models.json: 20 in the examples.
        versions = sum(len(v) if isinstance(v, list) else 1
                       for kinds in self.ws.models_json().values()
                       for models in kinds.values() for v in models.values())
        self.assertEqual(self.ws.query("SELECT count(*) FROM prices")[0][0], versions)
        # And --json says the same: no changes.
        out = self.ws.json_ok("setup", "--config", "config.json")
        self.assertEqual(out["changes"], [])
        self.assertEqual(read_bytes(self.ws.config), after_first)

    def test_dry_run_on_fresh_copy_changes_nothing(self):
        p = self.ws.setup("--dry-run")
        for name in PROFILE_NAMES:
            self.assertIn("would create profile %s" % name, p.stdout)
        self.assertIn("profile_ids", p.stdout)
        self.assert_no_change(self.ws, self.ws.original_config, self.ws.original_models)
        out = self.ws.json_ok("setup", "--config", "config.json", "--dry-run")
        self.assertIs(out["dry_run"], True)
        self.assertTrue(any("create profile customer1_websearch" in c for c in out["changes"]))
        self.assert_no_change(self.ws, self.ws.original_config, self.ws.original_models)

    def test_dry_run_on_existing_store_changes_nothing(self):
        self.ws.setup()
        cfg = self.ws.config_json()
        cfg["profiles"][0]["model_id"] = NOVA_LITE
        before = self.ws.write_config(cfg)
        snap = self.ws.snapshot()
        p = self.ws.setup("--dry-run", "--create-user-roles")
        self.assertIn("would update profile customer1_websearch", p.stdout)
        self.assertNotRegex(p.stdout, r"cgk_|[A-Za-z0-9_-]{40,}", "a dry run printed a key")
        self.assert_no_change(self.ws, before, snapshot=snap)

    def test_create_user_roles_json(self):
        out = self.ws.json_ok("setup", "--config", "config.json", "--create-user-roles")
        keys = out["keys"]
        admins = [k for k in keys if k["role"] == "admin"]
        tenants = [k for k in keys if k["role"] == "tenant"]
        self.assertEqual(len(admins), 1, keys)
        self.assertEqual(len(tenants), 2, keys)
        self.assertEqual(len(keys), 3, keys)
        self.assertEqual(set(admins[0]),
                         {"role", "key", "aws_access_key_id", "aws_secret_access_key"})
        by_tenant = {k["tenant"]: k for k in tenants}
        self.assertEqual(sorted(by_tenant), ["customer1", "customer2"])
        self.assertEqual(sorted(by_tenant["customer1"]["profiles"]),
                         ["customer1_codingbot", "customer1_websearch"])
        self.assertEqual(sorted(by_tenant["customer2"]["profiles"]),
                         ["customer2_codingbot", "customer2_websearch"])
        tokens = [k["key"] for k in keys]
        for t in tokens:
            self.assertIsInstance(t, str)
            self.assertRegex(t, KEY_RE)
        self.assertEqual(len(set(tokens)), 3, "keys are not distinct")
        # Stored only as a hash: no key, nor its secret part, anywhere in the store's files.
        self.assertEqual(self.ws.query(API_KEYS_ONLY)[0][0], 3)
        blobs = b"".join(read_bytes(f) for f in self.ws.store_files())
        for t in tokens:
            self.assertNotIn(t.encode(), blobs, "a key is stored in clear text")
            self.assertNotIn(t[-24:].encode(), blobs, "a key's secret is stored in clear text")
        for (h,) in self.ws.query("SELECT hash FROM api_keys"):
            self.assertNotIn(h if isinstance(h, bytes) else str(h).encode(),
                             [t.encode() for t in tokens])
        # A second run issues none and says keys exist.
        snap = self.ws.snapshot()
        p = self.ws.setup("--create-user-roles")
        self.assertRegex(p.stdout, r"(?i)keys?.*exist")
        for t in tokens:
            self.assertNotIn(t, p.stdout)
        self.assertNotRegex(p.stdout, r"cgk_")
        self.assertEqual(self.ws.snapshot(), snap)
        out2 = self.ws.json_ok("setup", "--config", "config.json", "--create-user-roles")
        self.assertEqual(out2.get("keys", []), [])
        self.assertEqual(self.ws.query(API_KEYS_ONLY)[0][0], 3)

    def test_create_user_roles_table_output(self):
        p = self.ws.setup("--create-user-roles")
        self.assertIn("admin", p.stdout)
        self.assertIn("customer1", p.stdout)
        self.assertIn("customer2", p.stdout)
        listed = [k for k in self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]
                  if k["kind"] == "api_key"]
        self.assertEqual(sorted(k["role"] for k in listed), ["admin", "tenant", "tenant"])
        self.assertTrue(all(k["origin"] == "setup" for k in listed))

    def test_profile_without_tenant_gets_own_key(self):
        cfg = self.ws.config_json()
        cfg["profiles"].append({"name": "lonely", "model_id": NOVA_LITE,
                                "tags": [{"key": "ApplicationID", "value": "lonely"}]})
        self.ws.write_config(cfg)
        out = self.ws.json_ok("setup", "--config", "config.json", "--create-user-roles")
        tenants = [k for k in out["keys"] if k["role"] == "tenant"]
        self.assertEqual(len(tenants), 3, out["keys"])
        self.assertIn(["lonely"], [k["profiles"] for k in tenants])

    def test_changed_profile_is_updated_and_keeps_its_id(self):
        self.ws.setup()
        ids = dict(self.ws.profile_ids())
        cfg = self.ws.config_json()
        cfg["profiles"][0]["model_id"] = "anthropic.claude-3-5-haiku-20241022-v1:0"
        tags = cfg["profiles"][1]["tags"]
        env = next(t for t in tags if t["key"] == "Environment")
        env["value"] = "Staging"
        self.ws.write_config(cfg)
        p = self.ws.setup()
        self.assertIn("update profile customer1_websearch", p.stdout)
        self.assertIn("anthropic.claude-3-5-haiku-20241022-v1:0", p.stdout)
        self.assertIn("update profile customer1_codingbot", p.stdout)
        self.assertIn("Staging", p.stdout)
        self.assertEqual(dict(self.ws.profile_ids()), ids)
        rows = dict(self.ws.query("SELECT name, model_id FROM profiles"))
        self.assertEqual(rows["customer1_websearch"], "anthropic.claude-3-5-haiku-20241022-v1:0")
        self.assertEqual(self.ws.query(
            "SELECT value FROM profile_tags WHERE profile_id = ? AND key = 'Environment'",
            (ids["customer1_codingbot"],)), [("Staging",)])
        self.assertEqual(self.ws.query("SELECT count(*) FROM profiles")[0][0], 4)
        shown = self.ws.json_ok("profiles", "show", "customer1_websearch", "--config",
                                "config.json")
        self.assertEqual(shown["id"], ids["customer1_websearch"])
        self.assertEqual(shown["model_id"], "anthropic.claude-3-5-haiku-20241022-v1:0")
        self.assertIn("nothing to change", self.ws.setup().stdout)

    def test_removed_profile_is_deleted(self):
        self.ws.setup("--create-user-roles")
        ids = dict(self.ws.profile_ids())
        cfg = self.ws.config_json()
        cfg["profiles"] = [x for x in cfg["profiles"] if x["name"] != "customer2_codingbot"]
        self.ws.write_config(cfg)
        p = self.ws.setup()
        self.assertIn("delete profile customer2_codingbot", p.stdout)
        self.assertEqual(sorted(n for _, n in self.ws.query("SELECT id, name FROM profiles")),
                         sorted(PROFILE_NAMES[:3]))
        self.assertEqual(dict(self.ws.profile_ids()),
                         {n: i for n, i in ids.items() if n != "customer2_codingbot"})
        self.assertEqual(self.ws.query("SELECT count(*) FROM profile_tags WHERE profile_id = ?",
                                       (ids["customer2_codingbot"],))[0][0], 0)
        self.assertEqual(self.ws.query("SELECT count(*) FROM api_key_profiles WHERE profile_id = ?",
                                       (ids["customer2_codingbot"],))[0][0], 0)
        self.assertIn("nothing to change", self.ws.setup().stdout)

    def test_added_profile_is_created(self):
        self.ws.setup("--create-user-roles")
        ids = dict(self.ws.profile_ids())
        cfg = self.ws.config_json()
        cfg["profiles"].append({
            "name": "customer1_chat", "description": "chat", "model_id": NOVA_LITE,
            "tags": [{"key": "TenantID", "value": "customer1"},
                     {"key": "ApplicationID", "value": "chat"}]})
        self.ws.write_config(cfg)
        p = self.ws.setup()
        self.assertIn("create profile customer1_chat", p.stdout)
        new_ids = dict(self.ws.profile_ids())
        self.assertEqual({n: i for n, i in new_ids.items() if n != "customer1_chat"}, ids)
        self.assertRegex(new_ids["customer1_chat"], PROFILE_ID_RE)
        self.assertEqual(self.ws.query("SELECT origin FROM profiles WHERE name = ?",
                                       ("customer1_chat",)), [("setup",)])
        # customer1's setup key now reaches the new profile too.
        keys = self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]
        c1 = [k for k in keys if k["tenant"] == "customer1" and k["kind"] == "api_key"]
        self.assertEqual(len(c1), 1, keys)
        self.assertIn("customer1_chat", c1[0]["profiles"])
        self.assertIn("nothing to change", self.ws.setup().stdout)

    def test_deleted_setup_profile_comes_back_with_recorded_id(self):
        self.ws.setup()
        ids = dict(self.ws.profile_ids())
        after_first = read_bytes(self.ws.config)
        self.ws.ok("profiles", "delete", "customer1_websearch", "--config", "config.json")
        self.assertEqual(len(self.list_profiles()), 3)
        p = self.ws.setup()
        self.assertIn("create profile customer1_websearch", p.stdout)
        self.assertEqual(dict(self.ws.profile_ids()), ids)
        self.assertEqual(read_bytes(self.ws.config), after_first)

    def test_setup_refuses_profile_with_same_tags_as_cli_profile(self):
        # A config profile whose tags equal a CLI-made profile's tags (keys case-insensitive)
        # would leave two profiles that tags cannot tell apart: `profiles create` refuses that,
        # and setup must too, changing nothing.
        self.ws.setup()
        self.ws.ok("profiles", "create", "--config", "config.json", "--name", "cli_one",
                   "--model", NOVA_LITE, "--tag", "Team=a", "--tag", "App=b")
        cfg = self.ws.config_json()
        cfg["profiles"].append({"name": "from_config", "model_id": NOVA_LITE,
                                "tags": [{"key": "team", "value": "a"},
                                         {"key": "app", "value": "b"}]})
        before = self.ws.write_config(cfg)
        snap = self.ws.snapshot()
        p = self.ws.fails(2, "setup", "--config", "config.json")
        self.assertIn("cli_one", p.stderr)
        self.assert_no_change(self.ws, before, snapshot=snap)


# ================================================================================= validation


class ValidationTest(CliTestCase):
    """Invalid files: exit 2, every error at once on stderr, nothing changed."""

    def reject(self, config=None, models=None, config_text=None, expect=(), min_errors=1):
        """Writes the given files into the workspace, runs setup, checks the refusal."""
        ws = self.ws
        if config_text is not None:
            with open(ws.config, "w") as f:
                f.write(config_text)
        elif config is not None:
            ws.write_config(config)
        if models is not None:
            ws.write_models(models)
        cfg_bytes, models_bytes = read_bytes(ws.config), read_bytes(ws.models)
        had_store = os.path.exists(ws.db)
        snap = ws.snapshot() if had_store else None
        p = ws.fails(2, "setup", "--config", "config.json", "--create-user-roles")
        self.assertEqual(p.stdout.strip(), "", "setup printed a plan for invalid input")
        for e in expect:
            self.assertIn(e, p.stderr)
        error_lines = [l for l in p.stderr.splitlines()
                       if l.startswith("config.json:") or l.startswith("models.json:")]
        self.assertGreaterEqual(len(error_lines), min_errors, p.stderr)
        self.assert_no_change(ws, cfg_bytes, models_bytes, snapshot=snap)
        return p

    def test_malformed_config_json(self):
        text = self.ws.original_config.decode().replace(
            '"sns_email": "ops@example.com",', '"sns_email": "ops@example.com"')
        p = self.reject(config_text=text)
        self.assertRegex(p.stderr, r"config\.json: .*line 6\b.*column \d+")

    def test_malformed_models_json(self):
        text = self.ws.original_models.decode().replace('"us-east-1": {', '"us-east-1": {,')
        with open(self.ws.models, "w") as f:
            f.write(text)
        p = self.reject()
        self.assertRegex(p.stderr, r"models\.json: .*line \d+.*column \d+")

    def test_duplicate_tag_key_differing_in_case(self):
        cfg = self.ws.config_json()
        cfg["profiles"][1]["tags"].append({"key": "tenantid", "value": "other"})
        self.reject(cfg, expect=["config.json: profiles[1].tags[7].key: duplicate key"])

    def test_duplicate_tag_key_same_case(self):
        cfg = self.ws.config_json()
        cfg["profiles"][2]["tags"].insert(1, {"key": "CreatedBy", "value": "x"})
        self.reject(cfg, expect=["profiles[2].tags[1].key: duplicate key"])

    def test_identical_tag_sets(self):
        cfg = self.ws.config_json()
        cfg["profiles"][3]["tags"] = list(reversed(copy.deepcopy(cfg["profiles"][2]["tags"])))
        self.reject(cfg, expect=["profiles[3].tags", "customer2_websearch"])

    def test_duplicate_profile_names(self):
        cfg = self.ws.config_json()
        cfg["profiles"][2]["name"] = "customer1_websearch"
        self.reject(cfg, expect=["profiles[2].name", "duplicate"])

    def test_model_without_price_in_region(self):
        cfg = self.ws.config_json()
        cfg["aws_region"] = "us-east-1"
        cfg["profiles"][0]["model_id"] = "anthropic.claude-3-7-sonnet-20250219-v1:0"
        self.reject(cfg, expect=["profiles[0].model_id",
                                 "anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1"])

    def test_model_unknown_everywhere(self):
        cfg = self.ws.config_json()
        cfg["profiles"][3]["model_id"] = "vendor.no-such-model-v9:0"
        self.reject(cfg, expect=["profiles[3].model_id", "vendor.no-such-model-v9:0"])

    def test_negative_price(self):
        m = self.ws.models_json()
        m["us-west-2"]["text"]["amazon.nova-pro-v1:0"]["output_cost"] = -0.0032
        p = self.reject(models=m, expect=["models.json:", "amazon.nova-pro-v1:0", "output_cost"])
        self.assertIn("negative", p.stderr)

    def test_non_numeric_price(self):
        m = self.ws.models_json()
        m["us-west-2"]["text"][HAIKU]["input_cost"] = "cheap"
        self.reject(models=m, expect=["models.json:", HAIKU, "input_cost"])

    def test_zero_cost_threshold(self):
        cfg = self.ws.config_json()
        cfg["cost_alarm_threshold"] = 0
        self.reject(cfg, expect=["config.json: cost_alarm_threshold"])

    def test_non_positive_token_and_request_thresholds(self):
        cfg = self.ws.config_json()
        cfg["token_alarm_threshold"] = 0
        cfg["request_alarm_threshold"] = -3
        self.reject(cfg, expect=["token_alarm_threshold", "request_alarm_threshold"],
                    min_errors=2)

    def test_missing_aws_region(self):
        cfg = self.ws.config_json()
        del cfg["aws_region"]
        self.reject(cfg, expect=["config.json: aws_region"])

    def test_wrong_types(self):
        cfg = self.ws.config_json()
        cfg["aws_region"] = 5
        cfg["profiles"][0]["tags"] = "TenantID=customer1"
        self.reject(cfg, expect=["aws_region", "profiles[0].tags"], min_errors=2)

    def test_several_problems_reported_at_once(self):
        cfg = self.ws.config_json()
        cfg["cost_alarm_threshold"] = 0
        cfg["token_alarm_threshold"] = -1
        cfg["profiles"][1]["tags"].append({"key": "TENANTID", "value": "x"})
        cfg["profiles"][3]["name"] = "customer2_websearch"
        m = self.ws.models_json()
        m["us-west-2"]["text"][NOVA_LITE]["input_cost"] = -1
        m["us-east-1"]["text"][HAIKU]["output_cost"] = "x"
        p = self.reject(cfg, m, expect=[
            "config.json: cost_alarm_threshold", "config.json: token_alarm_threshold",
            "config.json: profiles[1].tags[7].key: duplicate key", "config.json: profiles[3].name",
            "models.json: us-west-2", "models.json: us-east-1"], min_errors=6)
        self.assertIn("6 problem", p.stderr)

    def test_config_and_price_coverage_problems_reported_at_once(self):
        # "All errors at once": a structural error in config.json must not hide the
        # profile whose model has no price.
        cfg = self.ws.config_json()
        cfg["cost_alarm_threshold"] = 0
        cfg["profiles"][0]["model_id"] = "vendor.no-such-model-v9:0"
        self.reject(cfg, expect=["config.json: cost_alarm_threshold",
                                 "config.json: profiles[0].model_id"], min_errors=2)

    def test_invalid_change_leaves_existing_deployment_alone(self):
        self.ws.setup("--create-user-roles")
        cfg = self.ws.config_json()
        cfg["profiles"][0]["model_id"] = NOVA_LITE          # a valid change ...
        cfg["profiles"][1]["tags"].append({"key": "environment", "value": "x"})  # ... and not
        self.reject(cfg, expect=["profiles[1].tags[7].key: duplicate key"])
        self.assertEqual(self.ws.query("SELECT model_id FROM profiles WHERE name = ?",
                                       ("customer1_websearch",)), [(HAIKU,)])


# =================================================================================== unsetup


class UnsetupTest(CliTestCase):

    def test_unsetup_removes_what_setup_made(self):
        self.ws.setup("--create-user-roles")
        self.assertEqual(self.ws.query(API_KEYS_ONLY)[0][0], 3)
        p = self.ws.ok("unsetup", "--config", "config.json")
        self.assertIn("delete profile customer1_websearch", p.stdout)
        self.assertEqual(self.list_profiles(), [])
        self.assertEqual(self.ws.query("SELECT count(*) FROM profiles")[0][0], 0)
        self.assertEqual(self.ws.query("SELECT count(*) FROM profile_tags")[0][0], 0)
        self.assertEqual(self.ws.query("SELECT count(*) FROM api_keys")[0][0], 0)
        after = self.ws.config_json()
        self.assertNotIn("profile_ids", after)
        original = load_json_ordered(self.ws.original_config.decode())
        self.assertEqual(after, original)
        self.assertEqual(list(after), list(original))

    def test_second_unsetup_has_nothing_to_remove(self):
        self.ws.setup("--create-user-roles")
        self.ws.ok("unsetup", "--config", "config.json")
        cfg = read_bytes(self.ws.config)
        snap = self.ws.snapshot()
        p = self.ws.ok("unsetup", "--config", "config.json")
        self.assertIn("nothing to remove", p.stdout)
        self.assert_no_change(self.ws, cfg, snapshot=snap)

    def test_unsetup_before_any_setup(self):
        p = self.ws.ok("unsetup", "--config", "config.json")
        self.assertIn("nothing to remove", p.stdout)
        self.assert_no_change(self.ws, self.ws.original_config)

    def test_setup_after_unsetup(self):
        self.ws.setup("--create-user-roles")
        self.ws.ok("unsetup", "--config", "config.json")
        p = self.ws.setup("--create-user-roles")
        for name in PROFILE_NAMES:
            self.assertIn("create profile %s" % name, p.stdout)
        self.assertEqual(len(self.ws.profile_ids()), 4)
        self.assertEqual(sorted(x["name"] for x in self.list_profiles()), sorted(PROFILE_NAMES))
        self.assertEqual(self.ws.query(API_KEYS_ONLY)[0][0], 3)
        for _, pid in self.ws.profile_ids():
            self.assertRegex(pid, PROFILE_ID_RE)
        self.assertIn("nothing to change", self.ws.setup().stdout)

    def test_unsetup_dry_run_changes_nothing(self):
        self.ws.setup("--create-user-roles")
        cfg = read_bytes(self.ws.config)
        snap = self.ws.snapshot()
        p = self.ws.ok("unsetup", "--config", "config.json", "--dry-run")
        self.assertIn("would delete profile customer1_websearch", p.stdout)
        self.assert_no_change(self.ws, cfg, snapshot=snap)

    def test_unsetup_keeps_cli_made_profile_and_key(self):
        self.ws.setup()
        self.ws.ok("profiles", "create", "--config", "config.json", "--name", "handmade",
                   "--model", NOVA_LITE, "--tag", "TenantID=customer9")
        kid = self.ws.json_ok("keys", "create", "--config", "config.json", "--admin")["id"]
        self.ws.ok("unsetup", "--config", "config.json")
        self.assertEqual([x["name"] for x in self.list_profiles()], ["handmade"])
        self.assertEqual([r[0] for r in self.ws.query("SELECT id FROM api_keys")], [kid])


# ================================================================================== profiles


class ProfilesTest(CliTestCase):

    def setUp(self):
        super().setUp()
        self.ws.setup()

    def create(self, name, *extra, code=0):
        args = ("profiles", "create", "--config", "config.json", "--name", name) + extra
        return self.ws.ok(*args) if code == 0 else self.ws.fails(code, *args)

    def test_create_with_tags_is_listed_with_origin_cli(self):
        out = self.ws.json_ok("profiles", "create", "--config", "config.json", "--name",
                              "handmade", "--model", NOVA_LITE, "--description", "by hand",
                              "--tag", "TenantID=customer3", "--tag", "App=notes")
        self.assertEqual(out["name"], "handmade")
        self.assertEqual(out["origin"], "cli")
        self.assertRegex(out["id"], PROFILE_ID_RE)
        self.assertEqual(out["tags"], [{"key": "TenantID", "value": "customer3"},
                                       {"key": "App", "value": "notes"}])
        listed = {x["name"]: x for x in self.list_profiles()}
        self.assertEqual(len(listed), 5)
        self.assertEqual(listed["handmade"]["origin"], "cli")
        self.assertEqual(listed["handmade"]["id"], out["id"])
        self.assertEqual(listed["handmade"]["model_id"], NOVA_LITE)
        self.assertEqual(listed["handmade"]["description"], "by hand")
        self.assertEqual(self.ws.query("SELECT origin FROM profiles WHERE id = ?", (out["id"],)),
                         [("cli",)])
        self.assertEqual(self.ws.query(
            "SELECT key, value FROM profile_tags WHERE profile_id = ? ORDER BY position",
            (out["id"],)), [("TenantID", "customer3"), ("App", "notes")])
        table = self.ws.ok("profiles", "list", "--config", "config.json").stdout
        line = next(l for l in table.splitlines() if "handmade" in l)
        self.assertIn("cli", line.split())

    def test_create_with_unpriced_model_is_refused(self):
        snap = self.ws.snapshot()
        p = self.create("handmade", "--model", "vendor.no-such-model-v9:0", code=2)
        self.assertIn("vendor.no-such-model-v9:0", p.stderr)
        self.assertEqual(self.ws.snapshot(), snap)

    def test_create_with_image_model_is_refused(self):
        snap = self.ws.snapshot()
        p = self.create("painter", "--model", "amazon.titan-image-generator-v1", code=2)
        self.assertIn("priced per image", p.stderr)
        self.assertEqual(self.ws.snapshot(), snap)

    def test_create_with_duplicate_name_is_refused(self):
        snap = self.ws.snapshot()
        p = self.create("customer1_websearch", "--model", NOVA_LITE, code=2)
        self.assertIn("customer1_websearch", p.stderr)
        self.assertEqual(self.ws.snapshot(), snap)

    def test_create_with_tag_key_twice_is_refused(self):
        snap = self.ws.snapshot()
        self.create("handmade", "--model", NOVA_LITE, "--tag", "Team=a", "--tag", "team=b",
                    code=2)
        self.assertEqual(self.ws.snapshot(), snap)

    def test_create_with_same_tags_as_other_profile_is_refused(self):
        cfg = self.ws.config_json()
        tags = ["--tag=%s=%s" % (t["key"].lower(), t["value"])
                for t in cfg["profiles"][0]["tags"]]
        snap = self.ws.snapshot()
        p = self.create("handmade", "--model", NOVA_LITE, *tags, code=2)
        self.assertIn("customer1_websearch", p.stderr)
        self.assertEqual(self.ws.snapshot(), snap)

    def test_create_with_bad_name_or_tag_is_refused(self):
        self.create("bad name!", "--model", NOVA_LITE, code=2)
        self.create("handmade", "--model", NOVA_LITE, "--tag", "novalue", code=2)
        self.assertEqual(len(self.list_profiles()), 4)

    def test_tag_and_untag(self):
        self.create("handmade", "--model", NOVA_LITE, "--tag", "Team=a")
        self.ws.ok("profiles", "tag", "handmade", "App=x", "Env=dev", "--config", "config.json")
        shown = self.ws.json_ok("profiles", "show", "handmade", "--config", "config.json")
        self.assertEqual(shown["tags"], [{"key": "Team", "value": "a"},
                                         {"key": "App", "value": "x"},
                                         {"key": "Env", "value": "dev"}])
        # Changing a value through a differently-cased key replaces it, no duplicate.
        self.ws.ok("profiles", "tag", "handmade", "team=b", "--config", "config.json")
        self.ws.ok("profiles", "untag", "handmade", "ENV", "--config", "config.json")
        shown = self.ws.json_ok("profiles", "show", "handmade", "--config", "config.json")
        self.assertEqual(len(shown["tags"]), 2, shown["tags"])
        self.assertEqual({t["key"].lower(): t["value"] for t in shown["tags"]},
                         {"team": "b", "app": "x"})
        self.assertEqual(self.ws.query(
            "SELECT count(*) FROM profile_tags WHERE profile_id = ?", (shown["id"],))[0][0], 2)

    def test_tag_giving_same_tag_set_as_other_is_refused(self):
        self.create("one", "--model", NOVA_LITE, "--tag", "Team=a")
        self.create("two", "--model", NOVA_LITE, "--tag", "Team=a", "--tag", "App=x")
        snap = self.ws.snapshot()
        p = self.ws.fails(2, "profiles", "tag", "one", "app=x", "--config", "config.json")
        self.assertIn("two", p.stderr)
        self.ws.fails(2, "profiles", "untag", "two", "App", "--config", "config.json")
        self.assertEqual(self.ws.snapshot(), snap)

    def test_untag_missing_key_is_refused(self):
        snap = self.ws.snapshot()
        p = self.ws.fails(2, "profiles", "untag", "customer1_websearch", "NoSuchKey",
                          "--config", "config.json")
        self.assertIn("NoSuchKey", p.stderr)
        self.assertEqual(self.ws.snapshot(), snap)

    def test_show_by_id_name_and_arn(self):
        ids = dict(self.ws.profile_ids())
        pid = ids["customer2_websearch"]
        by_name = self.ws.json_ok("profiles", "show", "customer2_websearch",
                                  "--config", "config.json")
        by_id = self.ws.json_ok("profiles", "show", pid, "--config", "config.json")
        by_arn = self.ws.json_ok("profiles", "show", by_name["arn"], "--config", "config.json")
        self.assertEqual(by_name["id"], pid)
        self.assertEqual(by_id, by_name)
        self.assertEqual(by_arn, by_name)
        self.assertEqual(by_name["model_id"], NOVA_MICRO_US)
        self.assertEqual(by_name["tier"], "premium")
        text = self.ws.ok("profiles", "show", pid, "--config", "config.json").stdout
        self.assertIn("customer2_websearch", text)
        self.assertIn(by_name["arn"], text)
        p = self.ws.run("profiles", "show", "no_such_profile", "--config", "config.json")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no_such_profile", p.stderr)

    def test_delete(self):
        out = self.ws.json_ok("profiles", "create", "--config", "config.json", "--name",
                              "handmade", "--model", NOVA_LITE)
        self.ws.ok("profiles", "delete", out["id"], "--config", "config.json")
        self.assertNotIn("handmade", [x["name"] for x in self.list_profiles()])
        self.assertEqual(self.ws.query("SELECT count(*) FROM profiles WHERE id = ?",
                                       (out["id"],))[0][0], 0)
        p = self.ws.run("profiles", "delete", "handmade", "--config", "config.json")
        self.assertNotEqual(p.returncode, 0)

    def test_setup_leaves_cli_profile_alone(self):
        out = self.ws.json_ok("profiles", "create", "--config", "config.json", "--name",
                              "handmade", "--model", NOVA_LITE, "--tag", "Team=a")
        cfg = read_bytes(self.ws.config)
        p = self.ws.setup()
        self.assertNotIn("handmade", p.stdout)
        self.assertIn("nothing to change", p.stdout)
        self.assertEqual(read_bytes(self.ws.config), cfg)
        shown = self.ws.json_ok("profiles", "show", "handmade", "--config", "config.json")
        self.assertEqual(shown["id"], out["id"])
        self.assertNotIn("handmade", dict(self.ws.profile_ids()))

    def test_config_profile_named_like_cli_profile_is_a_conflict(self):
        self.create("handmade", "--model", NOVA_LITE, "--tag", "Team=a")
        cfg = self.ws.config_json()
        cfg["profiles"].append({"name": "handmade", "model_id": NOVA_LITE,
                                "tags": [{"key": "Team", "value": "b"}]})
        before = self.ws.write_config(cfg)
        snap = self.ws.snapshot()
        p = self.ws.fails(2, "setup", "--config", "config.json")
        self.assertIn("handmade", p.stderr)
        self.assert_no_change(self.ws, before, snapshot=snap)

    def test_commands_before_setup_fail_without_creating_a_store(self):
        fresh = Workspace(self)
        for args in (("profiles", "list"), ("profiles", "show", "x"),
                     ("keys", "list"), ("prices", "show", HAIKU)):
            p = fresh.run(*args, "--config", "config.json")
            self.assertNotEqual(p.returncode, 0, fresh.describe(args, p))
            self.assertNotEqual(p.stderr.strip(), "")
        self.assertEqual(fresh.store_files(), [])


# ====================================================================================== keys


class KeysTest(CliTestCase):

    def setUp(self):
        super().setUp()
        self.ws.setup()

    def create_key(self, *args):
        return self.ws.json_ok("keys", "create", "--config", "config.json", *args)

    def test_create_admin(self):
        k = self.create_key("--admin")
        self.assertEqual(k["role"], "admin")
        self.assertRegex(k["key"], KEY_RE)
        self.assertTrue(k["id"])
        self.assertNotIn("tenant", k)

    def test_create_tenant(self):
        k = self.create_key("--tenant", "customer1")
        self.assertEqual(set(k), {"id", "role", "key", "tenant", "profiles"})
        self.assertEqual(k["role"], "tenant")
        self.assertEqual(k["tenant"], "customer1")
        self.assertEqual(sorted(k["profiles"]), ["customer1_codingbot", "customer1_websearch"])
        self.assertRegex(k["key"], KEY_RE)

    def test_create_for_profile(self):
        k = self.create_key("--profile", "customer2_websearch")
        self.assertEqual(set(k), {"id", "role", "key", "tenant", "profiles"})
        self.assertEqual(k["role"], "tenant")
        self.assertEqual(k["tenant"], "customer2")
        self.assertEqual(k["profiles"], ["customer2_websearch"])
        self.assertRegex(k["key"], KEY_RE)
        rows = self.ws.query("SELECT p.name FROM api_key_profiles kp JOIN profiles p "
                             "ON p.id = kp.profile_id WHERE kp.key_id = ?", (k["id"],))
        self.assertEqual(rows, [("customer2_websearch",)])

    def test_create_needs_exactly_one_kind(self):
        self.ws.fails(2, "keys", "create", "--config", "config.json")
        self.ws.fails(2, "keys", "create", "--config", "config.json", "--admin",
                      "--tenant", "customer1")
        self.ws.fails(2, "keys", "create", "--config", "config.json", "--tenant", "nobody")
        self.ws.fails(2, "keys", "create", "--config", "config.json", "--profile", "nothing")
        self.assertEqual(self.ws.query("SELECT count(*) FROM api_keys")[0][0], 0)

    def test_list_shows_keys_without_secret(self):
        made = [self.create_key("--admin"), self.create_key("--tenant", "customer1"),
                self.create_key("--profile", "customer2_codingbot")]
        listed = self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]
        self.assertEqual(sorted(k["id"] for k in listed), sorted(k["id"] for k in made))
        by_id = {k["id"]: k for k in listed}
        for m in made:
            entry = by_id[m["id"]]
            self.assertNotIn("key", entry)
            self.assertEqual(entry["role"], m["role"])
            self.assertIsNone(entry["revoked_at"])
            self.assertEqual(entry["origin"], "cli")
            if m["role"] == "tenant":
                self.assertEqual(entry["tenant"], m["tenant"])
                self.assertEqual(sorted(entry["profiles"]), sorted(m["profiles"]))
        text = self.ws.ok("keys", "list", "--config", "config.json").stdout
        raw_json = self.ws.ok("keys", "list", "--config", "config.json", "--json").stdout
        blobs = b"".join(read_bytes(f) for f in self.ws.store_files())
        for m in made:
            self.assertIn(m["id"], text)
            self.assertNotIn(m["key"], text)
            self.assertNotIn(m["key"], raw_json)
            self.assertNotIn(m["key"].encode(), blobs, "a key is stored in clear text")
            self.assertNotIn(m["key"][-24:].encode(), blobs)

    def test_revoke(self):
        a = self.create_key("--admin")
        b = self.create_key("--tenant", "customer2")
        self.ws.ok("keys", "revoke", a["id"], "--config", "config.json")
        listed = {k["id"]: k for k in
                  self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]}
        self.assertIsInstance(listed[a["id"]]["revoked_at"], str)
        self.assertRegex(listed[a["id"]]["revoked_at"], r"^\d{4}-\d\d-\d\dT")
        self.assertIsNone(listed[b["id"]]["revoked_at"])
        self.assertIsNotNone(self.ws.query("SELECT revoked_at FROM api_keys WHERE id = ?",
                                           (a["id"],))[0][0])
        text = self.ws.ok("keys", "list", "--config", "config.json").stdout
        line = next(l for l in text.splitlines() if a["id"] in l)
        self.assertIn(listed[a["id"]]["revoked_at"], line)

    def test_revoke_by_whole_key(self):
        a = self.create_key("--admin")
        self.ws.ok("keys", "revoke", a["key"], "--config", "config.json")
        self.assertIsNotNone(self.ws.query("SELECT revoked_at FROM api_keys WHERE id = ?",
                                           (a["id"],))[0][0])

    def test_revoke_unknown_id_fails(self):
        self.create_key("--admin")
        snap = self.ws.snapshot()
        p = self.ws.run("keys", "revoke", "no-such-key-id", "--config", "config.json")
        self.assertNotEqual(p.returncode, 0, Workspace.describe(("keys", "revoke"), p))
        self.assertIn("no-such-key-id", p.stderr)
        self.assertEqual(self.ws.snapshot(), snap)


# ==================================================================================== prices


class PricesTest(CliTestCase):

    def setUp(self):
        super().setUp()
        self.ws.setup()

    def show(self, *args):
        return self.ws.ok("prices", "show", "--config", "config.json", *args)

    @staticmethod
    def row(text, label):
        for line in text.splitlines():
            if line.startswith(label + " ") or line.lower().startswith(label + " "):
                return line.split()
        raise AssertionError("no %r row in:\n%s" % (label, text))

    def test_haiku_per_1k_and_per_1m(self):
        out = self.show(HAIKU).stdout
        self.assertIn("0.00025", out)
        self.assertIn("0.00125", out)
        self.assertEqual(self.row(out, "input")[1:3], ["0.00025", "0.25"])
        self.assertEqual(self.row(out, "output")[1:3], ["0.00125", "1.25"])

    def test_json_gives_exact_decimal_strings(self):
        out = json.loads(self.show(HAIKU, "--json").stdout)
        [p] = out["prices"]
        self.assertEqual(p["model_id"], HAIKU)
        self.assertEqual(p["region"], "us-west-2")
        self.assertEqual(p["input_per_1k_usd"], "0.00025")
        self.assertEqual(p["output_per_1k_usd"], "0.00125")

    def test_exponent_written_price(self):
        out = self.show(NOVA_MICRO_US).stdout
        self.assertEqual(self.row(out, "input")[1:3], ["0.000035", "0.035"])
        self.assertNotIn("e-05", out)
        [p] = json.loads(self.show(NOVA_MICRO_US, "--json").stdout)["prices"]
        self.assertEqual(p["input_per_1k_usd"], "0.000035")
        self.assertEqual(p["output_per_1k_usd"], "0.00014")

    def test_cache_prices_and_versions(self):
        [p] = json.loads(self.show("anthropic.claude-3-5-haiku-20241022-v1:0",
                                   "--json").stdout)["prices"]
        self.assertEqual(p["cache_read_per_1k_usd"], "0.00008")
        self.assertEqual(p["cache_write_per_1k_usd"], "0.001")
        versions = json.loads(self.show("anthropic.claude-3-5-sonnet-20241022-v2:0",
                                        "--json").stdout)["prices"]
        self.assertEqual(len(versions), 2)
        self.assertEqual(sorted(str(v["effective_from"])[:10] for v in versions),
                         ["2025-04-01", "None"])

    def test_unknown_model_fails(self):
        p = self.ws.fails(1, "prices", "show", "vendor.no-such-model-v9:0",
                          "--config", "config.json")
        self.assertIn("vendor.no-such-model-v9:0", p.stderr)
        self.assertEqual(p.stdout, "")

    def test_region_option(self):
        [p] = json.loads(self.show("amazon.nova-pro-v1:0", "--region", "us-east-1",
                                   "--json").stdout)["prices"]
        self.assertEqual(p["region"], "us-east-1")
        self.assertEqual(p["input_per_1k_usd"], "0.0008")
        self.assertEqual(p["output_per_1k_usd"], "0.0032")
        out = self.show(HAIKU, "--region", "us-east-1").stdout
        self.assertIn("us-east-1", out)
        self.assertEqual(self.row(out, "input")[1:3], ["0.00025", "0.25"])
        # Priced in us-west-2 only: failure, and it says where it is priced.
        p = self.ws.fails(1, "prices", "show", "anthropic.claude-3-5-haiku-20241022-v1:0",
                          "--region", "us-east-1", "--config", "config.json")
        self.assertIn("us-west-2", p.stderr)

    def test_prices_match_models_json_exactly(self):
        from decimal import Decimal
        models = self.ws.models_json()
        for region, kinds in models.items():
            for model, price in kinds.get("text", {}).items():
                if isinstance(price, list):
                    continue
                [p] = json.loads(self.show(model, "--region", region, "--json").stdout)["prices"]
                self.assertEqual(Decimal(p["input_per_1k_usd"]),
                                 Decimal(repr(price["input_cost"])), (region, model))
                self.assertEqual(Decimal(p["output_per_1k_usd"]),
                                 Decimal(repr(price["output_cost"])), (region, model))


# ======================================================================== general behaviour


class GeneralTest(CliTestCase):

    def test_version(self):
        p = self.ws.ok("--version")
        self.assertRegex(p.stdout, r"\d+\.\d+\.\d+")

    def test_help_everywhere(self):
        commands = [[], ["setup"], ["unsetup"], ["profiles"], ["profiles", "list"],
                    ["profiles", "show"], ["profiles", "create"], ["profiles", "delete"],
                    ["profiles", "tag"], ["profiles", "untag"], ["keys"], ["keys", "create"],
                    ["keys", "list"], ["keys", "revoke"], ["prices"], ["prices", "show"]]
        for cmd in commands:
            with self.subTest(cmd=" ".join(cmd)):
                p = self.ws.ok(*cmd, "--help")
                self.assertRegex(p.stdout, r"(?i)usage", "no usage text")
                if cmd and cmd[-1] not in ("profiles", "keys", "prices"):
                    self.assertIn("--config", p.stdout)
        top = self.ws.ok("--help").stdout
        for sub in ("setup", "unsetup", "profiles", "keys", "prices"):
            self.assertIn(sub, top)
        self.assertEqual(self.ws.store_files(), [])

    def test_unknown_option_is_bad_usage(self):
        for args in (["--no-such-option"], ["setup", "--no-such-option"],
                     ["profiles", "list", "--no-such-option"], ["no-such-command"]):
            with self.subTest(args=args):
                p = self.ws.fails(2, *args)
                self.assertNotEqual(p.stderr.strip(), "")
        self.ws.fails(2)  # no subcommand
        self.ws.fails(2, "profiles")  # no sub-subcommand
        self.assert_no_change(self.ws, self.ws.original_config)

    def test_unknown_option_is_named(self):
        p = self.ws.fails(2, "--no-such-option")
        self.assertIn("--no-such-option", p.stderr)
        p = self.ws.fails(2, "setup", "--config", "config.json", "--no-such-option")
        self.assertIn("--no-such-option", p.stderr)

    def test_missing_config_file(self):
        missing = self.ws.path("nowhere", "config.json")
        for args in (["setup"], ["unsetup"], ["profiles", "list"], ["keys", "list"],
                     ["prices", "show", HAIKU]):
            with self.subTest(args=args):
                p = self.ws.run(*args, "--config", missing)
                self.assertNotEqual(p.returncode, 0, Workspace.describe(args, p))
                self.assertIn(missing, p.stderr)
        self.assertFalse(os.path.exists(self.ws.path("nowhere")))
        self.assertEqual(self.ws.store_files(), [])

    def test_missing_default_config(self):
        empty = tempfile.mkdtemp(prefix="costgate-cli-empty-")
        self.addCleanup(shutil.rmtree, empty, True)
        p = self.ws.run("setup", cwd=empty)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("config.json", p.stderr)
        self.assertEqual(os.listdir(empty), [])


if __name__ == "__main__":
    check_environment("cli_test.py")
    unittest.main()
