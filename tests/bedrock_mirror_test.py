"""Profiles mirrored to Bedrock as application inference profiles, end to end: `costgate setup
--bedrock`, `profiles tag|untag`, a call through `costgate serve` and `costgate unsetup` against
tests/sdk/fake_bedrock.mjs (testlib.FakeBedrock), which verifies every SigV4 signature with
@smithy/signature-v4 and holds the profiles as Bedrock's control plane would.

Environment: COSTGATE_BIN, COSTGATE_EXAMPLES (see testlib), COSTGATE_NODE (node, with
tests/sdk/node_modules installed).
"""

import contextlib
import json
import sqlite3
import subprocess
import unittest
import urllib.parse
from decimal import Decimal

from testlib import (BIN, CLI_TIMEOUT_S, PROFILE_MODELS, REGION, FakeBedrock, Server,
                     Workspace, auth, check_environment, child_env, converse_messages,
                     expected_cost, update_config)

ACCOUNT = "123456789012"  # the example config's lambda_role_arn account, and the fake's
CONTROL_OPERATIONS = {"CreateInferenceProfile", "GetInferenceProfile", "ListInferenceProfiles",
                      "DeleteInferenceProfile", "TagResource", "UntagResource",
                      "ListTagsForResource"}


def copy_from(model):
    if model.startswith("us."):
        return "arn:aws:bedrock:%s:%s:inference-profile/%s" % (REGION, ACCOUNT, model)
    return "arn:aws:bedrock:%s::foundation-model/%s" % (REGION, model)


def foundation_arn(model):
    return "arn:aws:bedrock:%s::foundation-model/%s" % (REGION, model.removeprefix("us."))


def tags_of(config, name):
    return [p["tags"] for p in config["profiles"] if p["name"] == name][0]


class MirrorWorkspace:
    """A workspace whose profiles call Bedrock (the fake) and whose setup can mirror them."""

    def __init__(self, fake, edit=None):
        def to_bedrock(config):
            for p in config["profiles"]:
                p["provider"] = "bedrock"
            if edit:
                edit(config)
        self.fake = fake
        self.ws = Workspace(prefix="costgate-mirror-test-", config_keys={"upstreams": {
            "bedrock": {"endpoint": fake.url, "control_endpoint": fake.url}}},
            edit_config=to_bedrock)

    def run(self, *args, env=None):
        e = dict(self.fake.env()) if env is None else env
        return subprocess.run([BIN] + list(args) + ["--config", self.ws.config], cwd=self.ws.dir,
                              capture_output=True, text=True, timeout=CLI_TIMEOUT_S,
                              env=child_env(e))

    def ok(self, *args):
        p = self.run(*args)
        if p.returncode != 0:
            raise AssertionError("costgate %s: exit %d\n%s%s"
                                 % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def execute(self, sql, params=()):
        with contextlib.closing(sqlite3.connect(self.ws.db, timeout=10)) as c:
            c.execute(sql, params)
            c.commit()

    def arns(self):
        return dict(self.ws.query("SELECT name, bedrock_arn FROM profiles"))


class MirrorTest(unittest.TestCase):
    """One fake and one workspace, steps in order (test_1_..., test_2_...)."""
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeBedrock()
        cls.addClassCleanup(cls.fake.stop)
        cls.m = MirrorWorkspace(cls.fake)
        cls.addClassCleanup(cls.m.ws.remove)
        with open(cls.m.ws.config) as f:
            cls.config = json.load(f)

    def control_requests(self):
        return [r for r in self.fake.requests() if r["operation"] in CONTROL_OPERATIONS]

    def by_name(self):
        return {p["inferenceProfileName"]: p for p in self.fake.profiles()}

    def test_1_dry_run_plans_without_calling_aws(self):
        p = self.m.ok("setup", "--bedrock", "--dry-run")
        for name, model in PROFILE_MODELS.items():
            self.assertIn("would mirror profile %s to Bedrock (copy from %s, tags "
                          % (name, copy_from(model)), p.stdout)
        self.assertIn("dry run: nothing was changed", p.stdout)
        self.assertEqual(self.control_requests(), [])
        self.assertEqual(self.fake.profiles(), [])
        self.assertEqual(set(self.m.arns().values()), {""})

    def test_2_setup_creates_each_profile_in_bedrock(self):
        p = self.m.ok("setup", "--bedrock")
        held = self.by_name()
        self.assertEqual(sorted(held), sorted(PROFILE_MODELS))
        arns = self.m.arns()
        for name, model in PROFILE_MODELS.items():
            h = held[name]
            self.assertEqual(h["models"], [{"modelArn": foundation_arn(model)}])
            self.assertEqual(h["tags"], tags_of(self.config, name))
            self.assertEqual(h["type"], "APPLICATION")
            self.assertEqual(arns[name], h["inferenceProfileArn"])
            self.assertRegex(arns[name], r"^arn:aws:bedrock:us-west-2:123456789012:"
                                         r"application-inference-profile/[a-z0-9]{12}$")
            self.assertIn("mirrored profile %s to Bedrock: %s" % (name, arns[name]), p.stdout)
        creates = [r for r in self.control_requests() if r["operation"] == "CreateInferenceProfile"]
        self.assertEqual(len(creates), 4)
        for r in creates:
            self.assertTrue(r["signature"]["ok"], r["signature"])
            self.assertEqual(r["signature"]["service"], "bedrock")
            self.assertEqual(r["status"], 201)
            self.assertRegex(r["body"]["clientRequestToken"], r"^costgate-[a-z0-9]{12}-[0-9a-f]{16}$")
        # `profiles show` and its JSON carry the AWS ARN, and the ARN finds the profile.
        name = "customer1_codingbot"
        shown = self.m.ok("profiles", "show", arns[name]).stdout
        self.assertIn("name:        %s\n" % name, shown)
        self.assertIn("bedrock arn: %s\n" % arns[name], shown)
        j = json.loads(self.m.ok("profiles", "show", arns[name], "--json").stdout)
        self.assertEqual(j["bedrock_arn"], arns[name])

    def test_3_setup_again_changes_nothing(self):
        self.fake.reset()
        before = self.m.arns()
        p = self.m.ok("setup", "--bedrock")
        self.assertIn("setup: nothing to change", p.stdout)
        self.assertEqual(self.control_requests(), [])
        self.assertEqual(len(self.fake.profiles()), 4)
        self.assertEqual(self.m.arns(), before)

    def test_4_tag_and_untag_reach_bedrock(self):
        name = "customer2_codingbot"
        arn = self.m.arns()[name]
        self.m.ok("profiles", "tag", name, "Team=search", "Environment=Staging")
        tags = self.by_name()[name]["tags"]
        expected = [dict(t) for t in tags_of(self.config, name)]
        for t in expected:
            if t["key"] == "Environment":
                t["value"] = "Staging"
        expected.append({"key": "Team", "value": "search"})
        self.assertEqual(tags, expected)
        self.m.ok("profiles", "untag", arn, "ModelName")
        expected = [t for t in expected if t["key"] != "ModelName"]
        self.assertEqual(self.by_name()[name]["tags"], expected)
        # setup puts the config's tags back, in Bedrock too.
        p = self.m.ok("setup", "--bedrock")
        self.assertIn("update the tags of profile %s in Bedrock (%s): set " % (name, arn),
                      p.stdout)
        # (TagResource appends a key it adds back, so Bedrock's order may differ.)
        key = lambda t: t["key"]  # noqa: E731
        self.assertEqual(sorted(self.by_name()[name]["tags"], key=key),
                         sorted(tags_of(self.config, name), key=key))
        self.assertEqual(self.m.arns()[name], arn)

    def test_5_calls_use_the_aws_arn_as_model_id(self):
        name = "customer1_websearch"
        model = PROFILE_MODELS[name]
        aws_arn = self.m.arns()[name]
        local_arn = self.m.ws.profiles[name]["arn"]
        server = Server(self.m.ws, env=self.fake.env())
        try:
            self.fake.reset()
            r = server.call("POST", "/model/%s/converse" % urllib.parse.quote(local_arn, safe=""),
                            {"messages": converse_messages("one two three four"),
                             "inferenceConfig": {"maxTokens": 5}},
                            auth(self.m.ws.tenant_keys["customer1"]))
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.header("x-costgate-profile"), name)
            runtime = [q for q in self.fake.requests() if q["operation"] == "Converse"]
            self.assertEqual(len(runtime), 1)
            self.assertEqual(runtime[0]["modelId"], aws_arn)
            self.assertEqual(runtime[0]["model"], foundation_arn(model))
            self.assertTrue(runtime[0]["signature"]["ok"], runtime[0]["signature"])
            self.assertEqual(r.header("x-costgate-input-tokens"), "4")
            self.assertEqual(r.header("x-costgate-output-tokens"), "5")
            cost = expected_cost(model, 4, 5)
            self.assertEqual(Decimal(r.header("x-costgate-cost-usd")), cost)
            row = self.m.ws.ledger_row(r.header("x-costgate-call-id"))
            self.assertEqual((Decimal(row["total_cost"]), row["input_tokens"],
                              row["output_tokens"], row["profile_name"], row["upstream"]),
                             (cost, 4, 5, name, "bedrock"))

            # The AWS ARN in inference-profile-id names the profile too.
            r = server.call("POST", "/invoke", converse_messages("five six"),
                            dict(auth(self.m.ws.admin_key), **{"inference-profile-id": aws_arn}))
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.header("x-costgate-profile"), name)
            self.assertEqual(Decimal(r.header("x-costgate-cost-usd")), expected_cost(model, 2, 8))
            runtime = [q for q in self.fake.requests() if q["operation"] == "Converse"]
            self.assertEqual([q["modelId"] for q in runtime], [aws_arn, aws_arn])
        finally:
            server.stop_ok()

    def test_6_an_existing_profile_of_the_same_name_is_adopted(self):
        # The store forgets the mirror and the config's description changes, so the create has
        # a new clientRequestToken: Bedrock answers ConflictException for the name, and setup
        # adopts the profile it holds, which runs the same model.
        name = "customer2_websearch"
        arn = self.m.arns()[name]
        self.m.execute("UPDATE profiles SET bedrock_arn = '' WHERE name = ?", (name,))

        def describe(config):
            for p in config["profiles"]:
                if p["name"] == name:
                    p["description"] = "Web search for customer 2, adopted"
        update_config(self.m.ws.config, edit=describe)
        self.fake.reset()
        self.m.ok("setup", "--bedrock")
        ops = [(r["operation"], r["status"]) for r in self.control_requests()]
        self.assertEqual(ops, [("CreateInferenceProfile", 400), ("ListInferenceProfiles", 200),
                               ("TagResource", 200)])
        self.assertEqual(self.m.arns()[name], arn)
        self.assertEqual(len(self.fake.profiles()), 4)

    def test_7_unsetup_deletes_the_mirrors(self):
        arns = self.m.arns()
        p = self.m.ok("unsetup", "--dry-run")
        for name, arn in arns.items():
            self.assertIn("would delete profile %s's mirror in Bedrock (%s)" % (name, arn),
                          p.stdout)
        self.assertEqual(len(self.fake.profiles()), 4)
        self.m.ok("unsetup")
        self.assertEqual(self.fake.profiles(), [])
        self.assertEqual(self.m.ws.query("SELECT count(*) FROM profiles")[0][0], 0)
        deletes = [r for r in self.control_requests() if r["operation"] == "DeleteInferenceProfile"]
        self.assertEqual(sorted(urllib.parse.unquote(r["path"].split("/")[-1]) for r in deletes),
                         sorted(arns.values()))


class MirrorFailureTest(unittest.TestCase):
    maxDiff = None

    def test_a_failure_names_the_profile_and_keeps_earlier_mirrors(self):
        fake = FakeBedrock()
        self.addCleanup(fake.stop)

        def long_description(config):
            config["profiles"][2]["description"] = "x" * 201  # Bedrock allows 1 to 200

        m = MirrorWorkspace(fake, edit=long_description)
        self.addCleanup(m.ws.remove)
        p = m.run("setup", "--bedrock")
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("costgate: error: setup failed in Bedrock: profile customer2_websearch: "
                      "CreateInferenceProfile: ValidationException (HTTP 400): 1 validation "
                      "error detected: Value '%s' at 'description' failed to satisfy constraint: Member "
                      "must have length between 1 and 200; the store and the profiles mirrored "
                      "before it are recorded; run setup again to finish\n" % ("x" * 201),
                      p.stderr)
        held = sorted(x["inferenceProfileName"] for x in fake.profiles())
        self.assertEqual(held, ["customer1_codingbot", "customer1_websearch"])
        arns = m.arns()
        for x in fake.profiles():
            self.assertEqual(arns[x["inferenceProfileName"]], x["inferenceProfileArn"])
        self.assertEqual(arns["customer2_websearch"], "")
        self.assertEqual(arns["customer2_codingbot"], "")

    def test_missing_credentials_are_a_clear_error(self):
        fake = FakeBedrock()
        self.addCleanup(fake.stop)
        m = MirrorWorkspace(fake)
        self.addCleanup(m.ws.remove)
        p = m.run("setup", "--bedrock", env={
            "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None,
            "AWS_PROFILE": None, "AWS_SHARED_CREDENTIALS_FILE": m.ws.path("no-such-file")})
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("costgate: error: setup failed, nothing was changed: mirroring profiles to "
                      "Bedrock needs AWS credentials: no AWS credentials: AWS_ACCESS_KEY_ID and "
                      "AWS_SECRET_ACCESS_KEY are not set, and %s cannot be read"
                      % m.ws.path("no-such-file"), p.stderr)
        self.assertEqual(fake.requests(), [])
        self.assertEqual(set(m.arns().values()), {""})


if __name__ == "__main__":
    check_environment("bedrock_mirror_test.py")
    unittest.main()
