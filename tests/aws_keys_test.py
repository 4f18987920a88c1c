#!/usr/bin/env python3
"""End-to-end tests of AWS credentials for SigV4 callers: `costgate keys create --aws`, `keys
list`, `keys revoke`, the credentials `setup --create-user-roles` issues beside each API key, and
the master key file that keeps their secrets sealed (costgate.db.key beside the store).

Runs the real binary (COSTGATE_BIN) against copies of examples/, each test in its own temporary
directory, and reads the SQLite store directly.

    COSTGATE_BIN=build/src/costgate python3 tests/aws_keys_test.py -v

Standard library only.
"""

import os
import re
import stat
import subprocess
import unittest

from cli_test import CliTestCase, Workspace
from testlib import BIN, check_environment, read_bytes

ACCESS_KEY_RE = re.compile(r"^AKCG[A-Z0-9]{16}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9]{40}$")


class AwsKeysTest(CliTestCase):

    def setUp(self):
        super().setUp()
        self.ws.setup()

    def create(self, *args):
        return self.ws.json_ok("keys", "create", "--config", "config.json", "--aws", *args)

    @property
    def master_key(self):
        return self.ws.path("costgate.db.key")

    def assert_sealed(self, access_key_id, secret):
        """The secret is nowhere in the store's files; its row holds 12 + 40 + 16 sealed bytes."""
        (sealed,) = self.ws.query("SELECT aws_secret FROM api_keys WHERE id = ?",
                                  (access_key_id,))[0]
        self.assertIsInstance(sealed, bytes)
        self.assertEqual(len(sealed), 68)
        blobs = b"".join(read_bytes(f) for f in self.ws.store_files())
        self.assertNotIn(secret.encode(), blobs, "a secret access key is stored in clear text")
        self.assertNotIn(secret[-20:].encode(), blobs)

    def test_create_for_tenant(self):
        k = self.create("--tenant", "customer1")
        self.assertEqual(set(k), {"id", "role", "tenant", "profiles", "access_key_id",
                                  "secret_access_key"})
        self.assertRegex(k["access_key_id"], ACCESS_KEY_RE)
        self.assertRegex(k["secret_access_key"], SECRET_RE)
        self.assertEqual(k["id"], k["access_key_id"])
        self.assertEqual(k["role"], "tenant")
        self.assertEqual(k["tenant"], "customer1")
        self.assertEqual(sorted(k["profiles"]), ["customer1_codingbot", "customer1_websearch"])
        rows = self.ws.query("SELECT p.name FROM api_key_profiles kp JOIN profiles p "
                             "ON p.id = kp.profile_id WHERE kp.key_id = ? ORDER BY p.name",
                             (k["id"],))
        self.assertEqual(rows, [("customer1_codingbot",), ("customer1_websearch",)])
        self.assert_sealed(k["access_key_id"], k["secret_access_key"])

    def test_master_key_file_is_made_once_with_mode_0600(self):
        self.assertFalse(os.path.exists(self.master_key))
        self.create("--admin")
        st = os.stat(self.master_key)
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        self.assertEqual(st.st_size, 32)
        first = read_bytes(self.master_key)
        self.create("--profile", "customer2_websearch")
        self.assertEqual(read_bytes(self.master_key), first)
        # Never in the database.
        self.assertNotIn(first, read_bytes(self.ws.db))

    def test_create_admin_and_for_profile(self):
        a = self.create("--admin")
        self.assertEqual(set(a), {"id", "role", "access_key_id", "secret_access_key"})
        self.assertEqual(a["role"], "admin")
        p = self.create("--profile", "customer2_websearch")
        self.assertEqual(p["tenant"], "customer2")
        self.assertEqual(p["profiles"], ["customer2_websearch"])
        self.assertNotEqual(a["access_key_id"], p["access_key_id"])
        self.assertNotEqual(a["secret_access_key"], p["secret_access_key"])

    def test_create_text_output_shows_the_secret_once(self):
        p = self.ws.ok("keys", "create", "--config", "config.json", "--aws", "--tenant",
                       "customer2")
        m = re.search(r"^access key id: (AKCG[A-Z0-9]{16})$", p.stdout, re.M)
        self.assertTrue(m, p.stdout)
        s = re.search(r"^secret access key \(shown only now\): ([A-Za-z0-9]{40})$", p.stdout,
                      re.M)
        self.assertTrue(s, p.stdout)
        self.assertIn("created tenant AWS credential %s for " % m.group(1), p.stdout)
        self.assert_sealed(m.group(1), s.group(1))

    def test_list_shows_kind_and_never_the_secret(self):
        api = self.ws.json_ok("keys", "create", "--config", "config.json", "--admin")
        aws = self.create("--tenant", "customer1")
        listed = {k["id"]: k for k in
                  self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]}
        self.assertEqual(listed[api["id"]]["kind"], "api_key")
        entry = listed[aws["access_key_id"]]
        self.assertEqual(entry["kind"], "aws")
        self.assertEqual(entry["role"], "tenant")
        self.assertEqual(entry["tenant"], "customer1")
        self.assertEqual(sorted(entry["profiles"]), ["customer1_codingbot", "customer1_websearch"])
        self.assertIsNone(entry["revoked_at"])
        self.assertEqual(entry["origin"], "cli")
        text = self.ws.ok("keys", "list", "--config", "config.json").stdout
        raw = self.ws.ok("keys", "list", "--config", "config.json", "--json").stdout
        self.assertIn("KIND", text.splitlines()[0])
        line = next(l for l in text.splitlines() if aws["access_key_id"] in l)
        self.assertEqual(line.split()[1], "aws")
        for out in (text, raw):
            self.assertNotIn(aws["secret_access_key"], out)

    def test_revoke_by_access_key_id(self):
        aws = self.create("--tenant", "customer2")
        other = self.create("--tenant", "customer1")
        p = self.ws.ok("keys", "revoke", aws["access_key_id"], "--config", "config.json")
        self.assertIn("revoked key %s" % aws["access_key_id"], p.stdout)
        listed = {k["id"]: k for k in
                  self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]}
        self.assertRegex(listed[aws["access_key_id"]]["revoked_at"], r"^\d{4}-\d\d-\d\dT")
        self.assertIsNone(listed[other["access_key_id"]]["revoked_at"])

    def test_lost_master_key_is_a_clear_error(self):
        self.create("--admin")
        os.remove(self.master_key)
        p = self.ws.fails(1, "keys", "create", "--config", "config.json", "--aws", "--admin")
        # The path as the config names the store (here relative to the working directory).
        self.assertRegex(p.stderr, r"cannot read master key \S*costgate\.db\.key: No such file "
                                   r"or directory; the master key file \S*costgate\.db\.key holds")
        self.assertIn("restore it from a backup", p.stderr)
        self.assertFalse(os.path.exists(self.master_key), "a new master key was made silently")
        # The server will not start without it either, and says why.
        s = self.serve_fails()
        self.assertRegex(s.stderr, r"the store holds AWS credentials, but cannot read master key "
                                   r"\S*costgate\.db\.key: No such file or directory")

    def test_wrong_master_key_is_a_clear_error(self):
        aws = self.create("--admin")
        with open(self.master_key, "wb") as f:
            f.write(b"\x01" * 32)
        s = self.serve_fails()
        self.assertIn("AWS credential %s: the secret does not decrypt under this master key"
                      % aws["access_key_id"], s.stderr)

    def test_revoked_credentials_need_no_master_key(self):
        aws = self.create("--admin")
        self.ws.ok("keys", "revoke", aws["access_key_id"], "--config", "config.json")
        os.remove(self.master_key)
        # A fresh key may be made now: no live credential depends on the lost one.
        self.create("--admin")
        self.assertTrue(os.path.exists(self.master_key))

    def serve_fails(self):
        p = subprocess.run([BIN, "serve", "--config", "config.json", "--listen", "127.0.0.1:0"],
                           cwd=self.ws.dir, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 1, Workspace.describe(("serve",), p))
        return p


class SetupAwsCredentialsTest(CliTestCase):

    def test_setup_issues_one_beside_each_api_key(self):
        out = self.ws.json_ok("setup", "--config", "config.json", "--create-user-roles")
        keys = out["keys"]
        self.assertEqual(len(keys), 3)
        ids = set()
        for k in keys:
            self.assertRegex(k["aws_access_key_id"], ACCESS_KEY_RE)
            self.assertRegex(k["aws_secret_access_key"], SECRET_RE)
            ids.add(k["aws_access_key_id"])
            # The same scope as the API key beside it.
            api_id = next(x["id"] for x in
                          self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]
                          if x["kind"] == "api_key" and x["role"] == k["role"]
                          and x["tenant"] == k.get("tenant", ""))
            bound = lambda key_id: self.ws.query(
                "SELECT profile_id FROM api_key_profiles WHERE key_id = ? ORDER BY profile_id",
                (key_id,))
            self.assertEqual(bound(k["aws_access_key_id"]), bound(api_id))
            row = self.ws.query("SELECT role, tenant, origin, length(aws_secret) FROM api_keys "
                                "WHERE id = ?", (k["aws_access_key_id"],))
            self.assertEqual(row, [(k["role"], k.get("tenant", ""), "setup", 68)])
        self.assertEqual(len(ids), 3)
        self.assertEqual(self.ws.query("SELECT count(*) FROM api_keys WHERE aws_secret IS NOT "
                                       "NULL")[0][0], 3)
        listed = self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]
        self.assertEqual(sorted(k["id"] for k in listed if k["kind"] == "aws"), sorted(ids))
        blobs = b"".join(read_bytes(f) for f in self.ws.store_files())
        for k in keys:
            self.assertNotIn(k["aws_secret_access_key"].encode(), blobs)
        # A second run issues none.
        again = self.ws.json_ok("setup", "--config", "config.json", "--create-user-roles")
        self.assertEqual(again.get("keys", []), [])
        self.assertEqual(self.ws.query("SELECT count(*) FROM api_keys")[0][0], 6)

    def test_setup_table_lists_the_credentials(self):
        p = self.ws.setup("--create-user-roles")
        self.assertIn("keys: issue 1 admin key and 2 tenant key(s), each with an AWS credential",
                      p.stdout)
        self.assertIn("API keys and AWS credentials (shown only now; store them safely):",
                      p.stdout)
        header = next(l for l in p.stdout.splitlines() if l.startswith("ROLE"))
        self.assertEqual(header.split("  ")[0:1], ["ROLE"])
        self.assertIn("AWS ACCESS KEY ID", header)
        self.assertIn("AWS SECRET ACCESS KEY", header)
        rows = [l for l in p.stdout.splitlines() if re.search(r"\bAKCG[A-Z0-9]{16}\b", l)]
        self.assertEqual(len(rows), 3, p.stdout)
        for row in rows:
            self.assertRegex(row, r"\bAKCG[A-Z0-9]{16}\s+[A-Za-z0-9]{40}\s*$")

    def test_dry_run_makes_no_master_key(self):
        self.ws.ok("setup", "--config", "config.json", "--create-user-roles", "--dry-run")
        self.assertFalse(os.path.exists(self.ws.path("costgate.db.key")))

    def test_new_tenant_profile_joins_the_setup_credential(self):
        out = self.ws.json_ok("setup", "--config", "config.json", "--create-user-roles")
        c1 = next(k for k in out["keys"] if k.get("tenant") == "customer1")
        cfg = self.ws.config_json()
        cfg["profiles"].append({
            "name": "customer1_chat", "description": "Chat for customer 1",
            "model_id": cfg["profiles"][0]["model_id"],
            "tags": [{"key": "TenantID", "value": "customer1"}]})
        self.ws.write_config(cfg)
        self.ws.setup()
        listed = {k["id"]: k for k in
                  self.ws.json_ok("keys", "list", "--config", "config.json")["keys"]}
        self.assertIn("customer1_chat", listed[c1["aws_access_key_id"]]["profiles"])
        self.assertEqual(self.ws.query("SELECT length(aws_secret) FROM api_keys WHERE id = ?",
                                       (c1["aws_access_key_id"],)), [(68,)])

    def test_unsetup_removes_them(self):
        self.ws.setup("--create-user-roles")
        self.ws.ok("unsetup", "--config", "config.json")
        self.assertEqual(self.ws.query("SELECT count(*) FROM api_keys")[0][0], 0)


if __name__ == "__main__":
    check_environment("aws_keys_test.py")
    unittest.main()
