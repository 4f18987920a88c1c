#!/usr/bin/env python3
"""End-to-end tests of the gateway, `costgate serve`.

Each test class works in its own temporary directory holding copies of examples/: it runs
`costgate setup --create-user-roles --json` (one admin key and one key per tenant), starts
`costgate serve --listen 127.0.0.1:0 --threads 2` (the sim upstream) and reads the port it bound
from its log, talks HTTP to it with http.client, and stops it with SIGTERM (exit status 0). What
is checked is what really happened: status codes, headers, JSON and SSE bodies, exact costs
computed here from examples/models.json with Python's decimal module, `costgate usage --json`
and the rows of the SQLite ledger.

    COSTGATE_BIN=build/src/costgate COSTGATE_EXAMPLES=examples python3 tests/gateway_test.py -v

Standard library only; the shared helpers are in testlib.py.
"""

import concurrent.futures
import http.client
import json
import re
import signal
import socket
import threading
import time
import unittest
from decimal import Decimal

from testlib import (CALL_ID_RE, HAIKU, HTTP_TIMEOUT_S, MAX_BODY_BYTES, MAX_HEADER_BYTES,
                     NOVA_MICRO_US, NOVA_PRO, PLAIN_DECIMAL_RE, PROFILE_MODELS, REGION, SONNET,
                     STOP_TIMEOUT_S, GatewayTestCase, Reply, Server, Workspace,
                     anthropic_body, anthropic_stream_facts, auth, check_environment,
                     converse_messages, expected_cost, openai_body, openai_stream_facts, request)


# ================================================================================= routing


class RoutingTest(GatewayTestCase):

    def test_healthz_and_readyz(self):
        r = self.server.call("GET", "/healthz")
        self.assert_status(r, 200)
        self.assertEqual(r.json()["status"], "ok")
        r = self.server.call("GET", "/readyz")
        self.assert_status(r, 200)
        self.assertEqual(r.json()["profiles"], 4)

    def test_unknown_route_is_404_json(self):
        r = self.server.call("GET", "/no/such/route", headers=self.admin)
        self.assert_json_error(r, 404, "/no/such/route")
        r = self.server.call("POST", "/v1/completions", {"prompt": "x"}, self.admin)
        self.assert_json_error(r, 404)

    def test_wrong_method_is_405_with_allow(self):
        for path in ("/v1/messages", "/v1/chat/completions", "/invoke"):
            r = self.server.call("GET", path, headers=self.admin)
            self.assert_json_error(r, 405, "GET")
            self.assertEqual(r.header("allow"), "POST", r)
        r = self.server.call("DELETE", "/healthz")
        self.assert_json_error(r, 405)
        self.assertEqual(r.header("allow"), "GET", r)

    def test_keep_alive_serves_several_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT_S)
        try:
            ids = []
            for i in range(3):
                conn.request("POST", "/v1/chat/completions",
                             json.dumps(openai_body("keep alive %d" % i,
                                                    model="customer1_websearch")),
                             dict(self.admin, **{"Content-Type": "application/json"}))
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, 200)
                ids.append(resp.getheader("x-costgate-call-id"))
            self.assertEqual(len(set(ids)), 3)
            self.assertEqual(ids, sorted(ids), "call ids are not time-ordered")
        finally:
            conn.close()


# ================================================================================= auth


class AuthTest(GatewayTestCase):

    def named(self, name="customer1_websearch"):
        return {"inference-profile-name": name}

    def test_no_key_is_401(self):
        for call in (self.chat, self.messages, self.invoke):
            r = call(self.named())
            self.assert_json_error(r, 401, "(?i)key")
            self.assertIsNone(r.header("x-costgate-profile"))

    def test_bad_key_is_401(self):
        good = self.ws.admin_key
        forged = good[:-5] + ("AAAAA" if not good.endswith("AAAAA") else "BBBBB")
        for bad in ("nonsense", forged, "cgk_" + "0" * 16 + "_" + "x" * 43):
            for style in ("bearer", "x-api-key"):
                r = self.chat(self.named(), auth(bad, style))
                self.assert_json_error(r, 401)
        r = self.chat(self.named(), {"Authorization": "Basic " + good})
        self.assert_json_error(r, 401)

    def test_bearer_and_x_api_key_both_work(self):
        for style in ("bearer", "x-api-key"):
            r = self.chat(self.named(), auth(self.ws.admin_key, style))
            self.assert_profile(r, "customer1_websearch")
        r = self.chat(self.named(), {"AUTHORIZATION": "bearer " + self.ws.admin_key})
        self.assert_profile(r, "customer1_websearch")
        r = self.chat(self.named(), {"X-Api-Key": self.ws.tenant_keys["customer1"]})
        self.assert_profile(r, "customer1_websearch")

    def poll(self, key, want_status, limit_s=3.0):
        """Calls with `key` until the answer has want_status; returns the seconds it took."""
        start = time.monotonic()
        last = None
        while time.monotonic() - start < limit_s:
            last = self.chat(self.named(), auth(key))
            if last.status == want_status:
                return time.monotonic() - start
            time.sleep(0.05)
        self.fail("after %.1f s the key still gets %r" % (limit_s, last))

    def test_key_created_while_running_is_accepted_within_2s(self):
        created = self.ws.json_ok("keys", "create", "--admin")
        took = self.poll(created["key"], 200)
        self.assertLessEqual(took, 2.0, "a new key took %.2f s to be accepted" % took)

    def test_revoked_key_is_refused_within_2s(self):
        created = self.ws.json_ok("keys", "create", "--tenant", "customer1")
        self.poll(created["key"], 200)
        self.ws.ok("keys", "revoke", created["id"])
        took = self.poll(created["key"], 401)
        self.assertLessEqual(took, 2.0, "a revoked key was accepted for %.2f s" % took)
        r = self.chat(self.named(), auth(created["key"], "x-api-key"))
        self.assert_json_error(r, 401, "(?i)revoked|invalid")

    def test_revoke_by_whole_key(self):
        created = self.ws.json_ok("keys", "create", "--profile", "customer2_codingbot")
        self.poll(created["key"], 403)  # a key for customer2 asking for customer1's profile
        self.ws.ok("keys", "revoke", created["key"])
        self.poll(created["key"], 401)


# ================================================================================= resolution


class ResolutionTest(GatewayTestCase):

    def test_by_profile_id_and_arn(self):
        for name, p in self.ws.profiles.items():
            r = self.invoke(self.admin, {"inference-profile-id": p["id"]})
            self.assert_profile(r, name)
            r = self.invoke(self.admin, {"inference-profile-id": p["arn"]})
            self.assert_profile(r, name)
        arn = self.ws.profiles["customer1_codingbot"]["arn"]
        self.assertTrue(arn.startswith("arn:aws:bedrock:us-west-2:123456789012:"
                                       "application-inference-profile/"), arn)

    def test_by_profile_name(self):
        for name in PROFILE_MODELS:
            self.assert_profile(self.chat(self.admin, {"inference-profile-name": name}), name)

    def test_by_tags_json_list(self):
        tags = json.dumps([{"key": "TenantID", "value": "customer2"},
                           {"key": "ApplicationID", "value": "codingbot"}])
        self.assert_profile(self.messages(self.admin, {"tags": tags}), "customer2_codingbot")
        # The seed's JSON keys in another case are read too.
        tags = json.dumps([{"Key": "TenantID", "Value": "customer1"},
                           {"Key": "ModelName", "Value": "claude-3-haiku"}])
        self.assert_profile(self.invoke(self.admin, {"tags": tags}), "customer1_websearch")

    def test_by_tags_key_value_list(self):
        r = self.chat(self.admin, {"tags": "TenantID=customer1,ApplicationID=websearch"})
        self.assert_profile(r, "customer1_websearch")
        r = self.chat(self.admin, {"tags": " TenantID = customer2 , ApplicationID=codingbot "})
        self.assert_profile(r, "customer2_codingbot")

    def test_by_x_costgate_tag_headers(self):
        r = self.messages(self.admin, {"x-costgate-tag-TenantID": "customer1",
                                       "x-costgate-tag-ApplicationID": "codingbot"})
        self.assert_profile(r, "customer1_codingbot")
        # Mixed with the tags header: all tags count.
        r = self.messages(self.admin, {"tags": "TenantID=customer2",
                                       "x-costgate-tag-applicationid": "websearch"})
        self.assert_profile(r, "customer2_websearch")

    def test_header_names_and_tag_keys_in_any_case(self):
        r = self.chat(self.admin, {"INFERENCE-PROFILE-NAME": "customer2_websearch"})
        self.assert_profile(r, "customer2_websearch")
        pid = self.ws.profiles["customer1_codingbot"]["id"]
        r = self.chat(self.admin, {"Inference-Profile-Id": pid})
        self.assert_profile(r, "customer1_codingbot")
        r = self.chat(self.admin, {"TAGS": "tenantid=customer2,APPLICATIONID=codingbot"})
        self.assert_profile(r, "customer2_codingbot")
        r = self.chat(self.admin, {"X-COSTGATE-TAG-TENANTID": "customer1",
                                   "X-Costgate-Tag-applicationId": "websearch"})
        self.assert_profile(r, "customer1_websearch")
        # Values match exactly.
        r = self.chat(self.admin, {"tags": "TenantID=Customer1,ApplicationID=websearch"})
        self.assert_json_error(r, 404)

    def test_no_match_is_404(self):
        r = self.chat(self.admin, {"tags": "ApplicationID=nosuchapp"})
        self.assert_json_error(r, 404, "nosuchapp")
        self.assertIsNone(r.header("x-costgate-profile"))
        r = self.chat(self.admin, {"inference-profile-name": "nosuchprofile"})
        self.assert_json_error(r, 404, "nosuchprofile")
        r = self.invoke(self.admin, {"inference-profile-id": "zzzzzzzzzzzz"})
        self.assert_json_error(r, 404, "zzzzzzzzzzzz")
        r = self.messages(self.admin, {"x-costgate-tag-TenantID": "customer3"})
        self.assert_json_error(r, 404)

    def test_ambiguous_tags_are_409(self):
        r = self.chat(self.admin, {"tags": "ApplicationID=websearch"})
        err = self.assert_json_error(r, 409)
        self.assertIn("customer1_websearch", err["message"])
        self.assertIn("customer2_websearch", err["message"])
        r = self.invoke(self.admin, {"x-costgate-tag-TenantID": "customer1"})
        self.assert_json_error(r, 409)

    def test_tenant_key_only_considers_its_own_profiles(self):
        r = self.chat(self.tenant("customer1"), {"tags": "ApplicationID=websearch"})
        self.assert_profile(r, "customer1_websearch")
        r = self.messages(self.tenant("customer2"), {"x-costgate-tag-ApplicationID": "websearch"})
        self.assert_profile(r, "customer2_websearch")

    def test_tenant_key_on_another_tenants_profile_is_403(self):
        other = self.ws.profiles["customer2_websearch"]
        key = self.tenant("customer1")
        for headers in ({"inference-profile-name": other["name"]},
                        {"inference-profile-id": other["id"]},
                        {"inference-profile-id": other["arn"]}):
            for call in (self.chat, self.messages, self.invoke):
                r = call(key, headers)
                self.assert_json_error(r, 403)
                self.assertIsNone(r.header("x-costgate-cost-usd"), r)
        for model in (other["name"], other["id"], other["arn"]):
            self.assert_json_error(self.chat(key, body=openai_body(model=model)), 403)
            self.assert_json_error(self.messages(key, body=anthropic_body(model=model)), 403)
        self.assertIn("customer2_websearch", self.server.log_text(),
                      "the refused attempt was not logged")

    def test_refused_attempts_are_logged(self):
        token = self.ws.tenant_keys["customer1"]
        key_id = token[len("cgk_"):len("cgk_") + 16]

        def mentions():
            time.sleep(0.1)
            return self.server.log_text().count(key_id)
        before = mentions()
        r = self.chat(auth(token), {"inference-profile-name": "customer2_codingbot"})
        self.assert_json_error(r, 403)
        by_header = mentions()
        self.assertGreater(by_header, before, "a refused header selector was not logged")
        r = self.chat(auth(token), body=openai_body(model="customer2_codingbot"))
        self.assert_json_error(r, 403)
        self.assertGreater(mentions(), by_header, "a refused model selector was not logged")

    def test_selectors_that_disagree_are_400(self):
        c1 = self.ws.profiles["customer1_websearch"]
        r = self.chat(self.admin, {"inference-profile-name": "customer1_websearch",
                                   "tags": "TenantID=customer2,ApplicationID=codingbot"})
        err = self.assert_json_error(r, 400)
        self.assertIn("customer1_websearch", err["message"])
        self.assertIn("customer2_codingbot", err["message"])
        r = self.chat(self.admin, {"inference-profile-id": c1["id"],
                                   "inference-profile-name": "customer2_websearch"})
        self.assert_json_error(r, 400)
        # Headers and the body's model naming different profiles.
        r = self.chat(self.admin, {"inference-profile-name": "customer1_websearch"},
                      body=openai_body(model="customer1_codingbot"))
        err = self.assert_json_error(r, 400)
        self.assertIn("customer1_codingbot", err["message"])
        # Selectors that agree are fine.
        r = self.chat(self.admin, {"inference-profile-id": c1["arn"],
                                   "inference-profile-name": "customer1_websearch",
                                   "tags": "TenantID=customer1,ApplicationID=websearch"},
                      body=openai_body(model="customer1_websearch"))
        self.assert_profile(r, "customer1_websearch")

    def test_model_names_the_profile(self):
        for name, p in self.ws.profiles.items():
            for ref in (p["name"], p["id"], p["arn"]):
                r = self.chat(self.admin, body=openai_body(model=ref))
                self.assert_profile(r, name)
                self.assertEqual(r.json()["model"], PROFILE_MODELS[name])
                r = self.messages(self.admin, body=anthropic_body(model=ref))
                self.assert_profile(r, name)
                self.assertEqual(r.json()["model"], PROFILE_MODELS[name])
        r = self.chat(self.tenant("customer2"), body=openai_body(model="customer2_codingbot"))
        self.assert_profile(r, "customer2_codingbot")

    def test_body_model_differing_from_profiles_model_is_400(self):
        r = self.chat(self.admin, {"inference-profile-name": "customer1_websearch"},
                      body=openai_body(model=NOVA_PRO))
        err = self.assert_json_error(r, 400)
        self.assertIn(NOVA_PRO, err["message"])
        self.assertIn(HAIKU, err["message"])
        # Bad input changes nothing: no ledger row, and no empty attribution header.
        self.assertNotEqual(r.header("x-costgate-profile"), "", r)
        call_id = r.header("x-costgate-call-id")
        self.assertEqual(self.ws.ledger_count(call_id), 0,
                         "a refused request (400, model differs) was recorded: %r"
                         % self.ws.query("SELECT profile_id, profile_name, model_id, status "
                                         "FROM usage_records WHERE call_id = ?", (call_id,)))
        r = self.messages(self.tenant("customer2"), {"tags": "ApplicationID=codingbot"},
                          body=anthropic_body(model=HAIKU))
        err = self.assert_json_error(r, 400)
        self.assertIn(HAIKU, err["message"])
        self.assertIn(NOVA_PRO, err["message"])
        r = self.invoke(self.admin, {"inference-profile-name": "customer2_websearch"},
                        body={"messages": converse_messages(), "modelId": SONNET})
        err = self.assert_json_error(r, 400)
        self.assertIn(SONNET, err["message"])
        self.assertIn(NOVA_MICRO_US, err["message"])
        # The profile's own model is accepted.
        r = self.chat(self.admin, {"inference-profile-name": "customer1_websearch"},
                      body=openai_body(model=HAIKU))
        self.assert_profile(r, "customer1_websearch")

    def test_key_of_a_single_profile_needs_no_selector(self):
        created = self.ws.json_ok("keys", "create", "--profile", "customer2_websearch")
        key = auth(created["key"])
        deadline = time.monotonic() + 3
        while self.chat(key).status == 401 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assert_profile(self.chat(key), "customer2_websearch")
        self.assert_profile(self.messages(key), "customer2_websearch")
        self.assert_profile(self.invoke(key), "customer2_websearch")
        # That key still may not name another profile.
        self.assert_json_error(self.chat(key, {"inference-profile-name": "customer2_codingbot"}),
                               403)

    def test_no_selector_for_a_key_with_several_profiles_is_refused(self):
        for key in (self.admin, self.tenant("customer1")):
            r = self.chat(key)
            err = self.assert_json_error(r, 400)
            self.assertIn("profile", err["message"])

    def test_bad_tags_header_is_400(self):
        for bad in ("[not json", "TenantID", '[{"key": "TenantID"}]',
                    "TenantID=customer1,tenantid=customer1"):
            r = self.chat(self.admin, {"tags": bad})
            self.assert_json_error(r, 400)
        r = self.chat(self.admin, {"tags": "TenantID=customer1",
                                   "x-costgate-tag-tenantID": "customer1"})
        self.assert_json_error(r, 400)


# ================================================================================= answers


class AnswerTest(GatewayTestCase):

    def test_openai_answer_headers_and_cost(self):
        r = self.chat(self.tenant("customer1"), {"x-request-id": "req-openai-1"},
                      body=openai_body("What does a gateway do?", model="customer1_websearch"))
        self.assert_status(r, 200)
        call_id, inp, out, cost = self.assert_cost_headers(r, "customer1_websearch")
        self.assertEqual(r.header("x-request-id"), "req-openai-1")
        body = r.json()
        self.assertEqual(body["object"], "chat.completion")
        self.assertEqual(body["id"], "chatcmpl-" + call_id)
        self.assertEqual(body["model"], HAIKU)
        self.assertEqual(body["usage"]["prompt_tokens"], inp)
        self.assertEqual(body["usage"]["completion_tokens"], out)
        self.assertEqual(body["usage"]["total_tokens"], inp + out)
        self.assertLessEqual(out, 24)
        choice = body["choices"][0]
        self.assertEqual(choice["message"]["role"], "assistant")
        self.assertTrue(choice["message"]["content"])
        self.assertEqual(choice["finish_reason"], "length" if out == 24 else "stop")
        self.assertEqual(body["costgate"]["cost_usd"], r.header("x-costgate-cost-usd"))
        self.assertEqual(body["costgate"]["call_id"], call_id)
        self.assertEqual(body["costgate"]["request_id"], "req-openai-1")

    def test_anthropic_answer_headers_and_cost(self):
        r = self.messages(self.admin, {"inference-profile-name": "customer1_codingbot",
                                       "X-Request-Id": "req-anthropic-1"},
                          body=anthropic_body("Write a loop", max_tokens=40))
        self.assert_status(r, 200)
        call_id, inp, out, cost = self.assert_cost_headers(r, "customer1_codingbot")
        self.assertEqual(r.header("x-request-id"), "req-anthropic-1")
        body = r.json()
        self.assertEqual(body["type"], "message")
        self.assertEqual(body["id"], "msg_" + call_id)
        self.assertEqual(body["model"], SONNET)
        self.assertEqual(body["usage"]["input_tokens"], inp)
        self.assertEqual(body["usage"]["output_tokens"], out)
        self.assertEqual(body["content"][0]["type"], "text")
        self.assertEqual(len(body["content"][0]["text"].split()), out)
        self.assertIn(body["stop_reason"], ("end_turn", "max_tokens"))

    def test_answers_are_deterministic_and_priced_per_profile(self):
        # The same request on two profiles with different models: the same sim usage, costs
        # by each model's price.
        body = anthropic_body("Same words for both", max_tokens=30)
        a = self.messages(self.admin, {"inference-profile-name": "customer2_websearch"},
                          body=body)
        b = self.messages(self.admin, {"inference-profile-name": "customer2_codingbot"},
                          body=body)
        _, ia, oa, ca = self.assert_cost_headers(a, "customer2_websearch")
        _, ib, ob, cb = self.assert_cost_headers(b, "customer2_codingbot")
        self.assertEqual(ia, ib)
        self.assertLess(ca, cb)

    def test_invoke_with_bare_messages_list(self):
        r = self.invoke(self.admin, {"inference-profile-id":
                                     self.ws.profiles["customer2_websearch"]["arn"],
                                     "x-request-id": "seed-1"},
                        body=converse_messages("What is the weather like?"))
        self.assert_status(r, 200)
        call_id, inp, out, cost = self.assert_cost_headers(r, "customer2_websearch")
        self.assertEqual(r.header("x-request-id"), "seed-1")
        body = r.json()
        for k in ("message", "stopReason", "usage", "metrics"):
            self.assertIn(k, body)
        self.assertNotIn("output", body)
        self.assertEqual(body["message"]["role"], "assistant")
        self.assertTrue(body["message"]["content"][0]["text"])
        self.assertEqual(body["usage"]["inputTokens"], inp)
        self.assertEqual(body["usage"]["outputTokens"], out)
        self.assertEqual(body["usage"]["totalTokens"], inp + out)
        self.assertIsInstance(body["metrics"]["latencyMs"], int)

    def test_invoke_with_whole_converse_request(self):
        body = {"messages": converse_messages("Summarise costs"),
                "system": [{"text": "You are terse."}],
                "inferenceConfig": {"maxTokens": 12, "temperature": 0.5, "topP": 0.9,
                                    "stopSequences": ["END"]}}
        r = self.invoke(self.tenant("customer1"),
                        {"inference-profile-name": "customer1_websearch"}, body=body)
        self.assert_status(r, 200)
        _, inp, out, _ = self.assert_cost_headers(r, "customer1_websearch")
        answer = r.json()
        self.assertLessEqual(out, 12)
        self.assertEqual(answer["stopReason"], "max_tokens" if out == 12 else "end_turn")
        self.assertEqual(answer["usage"]["inputTokens"], inp)
        self.assertIn("metrics", answer)
        self.assertIn("message", answer)
        # /invoke does not stream.
        r = self.invoke(self.admin, {"inference-profile-name": "customer1_websearch"},
                        body=dict(body, stream=True))
        self.assert_json_error(r, 400, "stream")

    def test_openai_stream_with_usage(self):
        r = self.chat(self.tenant("customer2"), {"x-request-id": "stream-1"},
                      body=openai_body("Stream this", model="customer2_websearch",
                                       stream=True, stream_options={"include_usage": True},
                                       max_tokens=50))
        text, usage_chunk, info = openai_stream_facts(self, r, include_usage=True)
        self.assertEqual(r.header("x-costgate-profile"), "customer2_websearch")
        self.assertEqual(r.header("x-request-id"), "stream-1")
        call_id = r.header("x-costgate-call-id")
        self.assert_costgate_event(info, "customer2_websearch", call_id)
        self.assertEqual(usage_chunk["usage"]["prompt_tokens"], info["input_tokens"])
        self.assertEqual(usage_chunk["usage"]["completion_tokens"], info["output_tokens"])
        self.assertEqual(len(text.split()), info["output_tokens"])
        self.assertEqual(info["request_id"], "stream-1")

    def test_openai_stream_without_usage(self):
        r = self.chat(self.admin, {"inference-profile-name": "customer2_codingbot"},
                      body=openai_body("Stream that", stream=True))
        text, usage_chunk, info = openai_stream_facts(self, r, include_usage=False)
        self.assert_costgate_event(info, "customer2_codingbot", r.header("x-costgate-call-id"))
        self.assertEqual(len(text.split()), info["output_tokens"])

    def test_anthropic_stream(self):
        r = self.messages(self.tenant("customer1"),
                          {"tags": "ApplicationID=codingbot", "x-request-id": "stream-2"},
                          body=anthropic_body("Stream it", stream=True, max_tokens=33))
        text, usage, info = anthropic_stream_facts(self, r)
        self.assertEqual(r.header("x-costgate-profile"), "customer1_codingbot")
        self.assertEqual(r.header("x-request-id"), "stream-2")
        self.assert_costgate_event(info, "customer1_codingbot", r.header("x-costgate-call-id"))
        self.assertEqual(usage["input_tokens"], info["input_tokens"])
        self.assertEqual(usage["output_tokens"], info["output_tokens"])
        self.assertEqual(len(text.split()), info["output_tokens"])
        # The same request without streaming gets the same usage (deterministic sim).
        r2 = self.messages(self.tenant("customer1"), {"tags": "ApplicationID=codingbot"},
                           body=anthropic_body("Stream it", max_tokens=33))
        _, inp, out, cost = self.assert_cost_headers(r2, "customer1_codingbot")
        self.assertEqual((inp, out, cost),
                         (info["input_tokens"], info["output_tokens"],
                          Decimal(info["cost_usd"])))
        self.assertEqual(r2.json()["content"][0]["text"], text)

    def test_error_after_resolution_carries_call_id(self):
        # The admission seam and the sim refuse nothing here; the last resolved-then-refused
        # case the path has is a body the dialect cannot read, which is refused before
        # resolution: no profile headers then.
        r = self.chat(self.admin, {"inference-profile-name": "customer1_websearch",
                                   "x-request-id": "bad-1"},
                      body={"messages": [{"role": "tool", "content": "x"}]})
        self.assert_json_error(r, 400, "role")
        self.assertRegex(r.header("x-costgate-call-id") or "", CALL_ID_RE)
        self.assertEqual(r.header("x-request-id"), "bad-1")
        self.assertIsNone(r.header("x-costgate-profile"))


# ================================================================================= limits


class LimitsTest(GatewayTestCase):

    def raw(self, data, read_timeout=10):
        """Sends raw bytes on a new connection and reads until the server closes or a whole
        response arrives; returns (status, headers text, body bytes)."""
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=read_timeout)
        try:
            s.sendall(data)
            got = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except ConnectionResetError:
                    if not got:
                        raise
                    break
                if not chunk:
                    break
                got += chunk
                head, sep, body = got.partition(b"\r\n\r\n")
                if sep:
                    m = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
                    if m and len(body) >= int(m.group(1)):
                        break
        finally:
            s.close()
        head, _, body = got.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, head.decode("latin-1"), body

    def head_of_size(self, total, path="/healthz"):
        """A GET whose request line and headers (up to and including the empty line that ends
        them) are exactly `total` bytes."""
        start = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " % path
        end = "\r\n\r\n"
        pad = total - len(start) - len(end)
        self.assertGreater(pad, 0)
        data = (start + "p" * pad + end).encode()
        self.assertEqual(len(data), total)
        return data

    def test_headers_over_10240_bytes_are_431(self):
        # 10,243: over the limit whether or not the empty line that ends the headers counts.
        status, head, body = self.raw(self.head_of_size(MAX_HEADER_BYTES + 3))
        self.assertEqual(status, 431, head)
        err = json.loads(body)["error"]
        self.assertIn("10240", err["message"])
        status, head, body = self.raw(self.head_of_size(20000))
        self.assertEqual(status, 431, head)
        # Through http.client too, with many headers rather than one big one.
        headers = dict(("x-filler-%03d" % i, "v" * 100) for i in range(110))
        r = self.server.call("GET", "/healthz", headers=headers)
        self.assert_json_error(r, 431)

    def test_headers_of_10240_bytes_are_accepted(self):
        status, head, _ = self.raw(self.head_of_size(MAX_HEADER_BYTES))
        self.assertEqual(status, 200, head)
        status, head, _ = self.raw(self.head_of_size(9000))
        self.assertEqual(status, 200, head)

    def test_body_over_6mb_is_413_received_by_the_client(self):
        body = b"{" + b" " * (MAX_BODY_BYTES - 1) + b"}"
        self.assertEqual(len(body), MAX_BODY_BYTES + 1)
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT_S)
        send_error = None
        try:
            try:
                conn.request("POST", "/v1/messages", body=body,
                             headers=dict(self.admin, **{"Content-Type": "application/json"}))
            except OSError as e:
                send_error = e  # what the server said before it hung up, if it can be read
            try:
                resp = conn.getresponse()
                data = resp.read()
            except (OSError, http.client.HTTPException) as e:
                self.fail("the client got no answer to a %d-byte body: sending failed with %r, "
                          "reading with %r" % (len(body), send_error, e))
        finally:
            conn.close()
        r = Reply(resp.status, resp.getheaders(), data)
        self.assertIsNone(send_error, "the server closed the connection while the client was "
                          "still sending the body (%r); it answered %r" % (send_error, r))
        err = self.assert_json_error(r, 413)
        self.assertIn(str(MAX_BODY_BYTES), err["message"])
        # The server is fine afterwards.
        self.assert_status(self.server.call("GET", "/healthz"), 200)

    def test_chunked_body_over_6mb_is_413(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=HTTP_TIMEOUT_S)
        try:
            piece = b" " * (1024 * 1024)
            conn.putrequest("POST", "/v1/messages")
            for k, v in self.admin.items():
                conn.putheader(k, v)
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            try:
                for _ in range(7):
                    conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                conn.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may stop reading once the limit is passed
            resp = conn.getresponse()
            r = Reply(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()
        self.assert_json_error(r, 413)

    def test_body_of_exactly_6mb_is_accepted(self):
        body = json.dumps(anthropic_body("Exactly at the limit")).encode()
        body += b" " * (MAX_BODY_BYTES - len(body))
        self.assertEqual(len(body), MAX_BODY_BYTES)
        r = self.messages(self.admin, {"inference-profile-name": "customer1_websearch"},
                          body=body)
        self.assert_cost_headers(r, "customer1_websearch")

    def test_malformed_json_names_line_and_column(self):
        body = '{\n  "max_tokens": 10,\n  "messages": [,]\n}'
        # The stray comma: line 3, column 16.
        for call in (self.messages, self.chat, self.invoke):
            r = call(self.admin, {"inference-profile-name": "customer1_websearch"}, body=body)
            err = self.assert_json_error(r, 400)
            self.assertRegex(err["message"], r"line 3, column 16\b")
            self.assertIsNone(r.header("x-costgate-cost-usd"))
        r = self.chat(self.admin, body='{"messages": [{"role": "user", "content": "x"}]} x')
        err = self.assert_json_error(r, 400)
        self.assertRegex(err["message"], r"line 1, column 50\b")
        r = self.chat(self.admin, body="")
        self.assert_json_error(r, 400, "empty")

    def test_missing_max_tokens_for_messages_is_400(self):
        body = anthropic_body()
        del body["max_tokens"]
        r = self.messages(self.admin, {"inference-profile-name": "customer1_websearch"},
                          body=body)
        self.assert_json_error(r, 400, "max_tokens")

    def test_dialect_errors_are_400(self):
        name = {"inference-profile-name": "customer1_websearch"}
        self.assert_json_error(self.chat(self.admin, name, body={"messages": []}), 400,
                               "messages")
        self.assert_json_error(self.chat(self.admin, name, body=[1, 2]), 400)
        self.assert_json_error(
            self.chat(self.admin, name, body=openai_body(stream_options={"include_usage": True})),
            400, "stream_options")
        self.assert_json_error(self.messages(self.admin, name,
                                             body=anthropic_body(max_tokens=0)), 400,
                               "max_tokens")
        self.assert_json_error(self.invoke(self.admin, name, body={"text": "hi"}), 400,
                               "messages")
        self.assert_json_error(self.invoke(self.admin, name, body="42"), 400)


# ================================================================================= ledger


class LedgerTest(unittest.TestCase):
    """Calls of every kind, then `costgate usage` and the ledger rows against the headers."""
    maxDiff = None

    def setUp(self):
        self.ws = Workspace()
        self.addCleanup(self.ws.remove)
        self.answered = {}  # call id -> (cost, input tokens, output tokens, status)

    def remember(self, server, call_id, cost, inp, out, status):
        self.assertNotIn(call_id, self.answered)
        self.answered[call_id] = (cost, inp, out, status)
        # Committed before the answer's last byte: the row is there already.
        self.assertEqual(self.ws.ledger_count(call_id), 1,
                         "call %s answered but not in the ledger" % call_id)

    def headers_of(self, r, status):
        self.assertEqual(r.status, status, r)
        call_id = r.header("x-costgate-call-id")
        self.assertRegex(call_id or "", CALL_ID_RE, r)
        cost = r.header("x-costgate-cost-usd")
        self.assertRegex(cost or "", PLAIN_DECIMAL_RE, r)
        profile = r.header("x-costgate-profile")
        inp, out = int(r.header("x-costgate-input-tokens")), int(
            r.header("x-costgate-output-tokens"))
        self.assertEqual(Decimal(cost), expected_cost(PROFILE_MODELS[profile], inp, out), r)
        return call_id, Decimal(cost), inp, out

    def test_usage_totals_equal_the_answers(self):
        ws = self.ws
        admin = auth(ws.admin_key)
        c1 = auth(ws.tenant_keys["customer1"], "x-api-key")
        c2 = auth(ws.tenant_keys["customer2"])
        server = Server(ws)
        try:
            port = server.port
            # --- answered calls, non-streaming, in every dialect
            plain = [
                request(port, "POST", "/v1/chat/completions",
                        openai_body("ledger one", model="customer1_websearch"), c1),
                request(port, "POST", "/v1/chat/completions",
                        openai_body("ledger two", model="customer1_codingbot",
                                    max_tokens=80), c1),
                request(port, "POST", "/v1/messages", anthropic_body("ledger three"),
                        dict(admin, **{"inference-profile-name": "customer2_websearch"})),
                request(port, "POST", "/invoke", converse_messages("ledger four"),
                        dict(admin, **{"inference-profile-id":
                                       ws.profiles["customer2_codingbot"]["id"],
                                       "x-request-id": "ledger-four"})),
                request(port, "POST", "/invoke",
                        {"messages": converse_messages("ledger five"),
                         "inferenceConfig": {"maxTokens": 100}},
                        dict(c2, tags="ApplicationID=websearch")),
            ]
            for r in plain:
                call_id, cost, inp, out = self.headers_of(r, 200)
                self.remember(server, call_id, cost, inp, out, 200)
            # --- answered streams: the facts ride in the final event
            streams = [
                (request(port, "POST", "/v1/chat/completions",
                         openai_body("ledger six", model="customer2_codingbot", stream=True,
                                     stream_options={"include_usage": True}), c2), "openai"),
                (request(port, "POST", "/v1/chat/completions",
                         openai_body("ledger seven", stream=True),
                         dict(admin, **{"x-costgate-tag-TenantID": "customer1",
                                        "x-costgate-tag-ApplicationID": "websearch"})),
                 "openai"),
                (request(port, "POST", "/v1/messages",
                         anthropic_body("ledger eight", stream=True, max_tokens=64),
                         dict(c1, tags="ApplicationID=codingbot")), "anthropic"),
            ]
            for r, dialect in streams:
                self.assertEqual(r.status, 200, r)
                last = json.loads([d for _, d in r.events() if d != "[DONE]"][-1])
                info = last["costgate"]
                self.assertEqual(info["call_id"], r.header("x-costgate-call-id"))
                self.assertEqual(Decimal(info["cost_usd"]),
                                 expected_cost(PROFILE_MODELS[info["profile"]],
                                               info["input_tokens"], info["output_tokens"]))
                self.remember(server, info["call_id"], Decimal(info["cost_usd"]),
                              info["input_tokens"], info["output_tokens"], 200)
            # --- refused before a profile was resolved: not recorded
            before = ws.query("SELECT count(*) FROM usage_records")[0][0]
            refused = [
                (request(port, "POST", "/v1/chat/completions",
                         openai_body(model="customer1_websearch")), 401),
                (request(port, "POST", "/v1/chat/completions",
                         openai_body(model="customer1_websearch"), auth("cgk_bogus")), 401),
                (request(port, "POST", "/v1/messages", anthropic_body(),
                         dict(admin, tags="ApplicationID=nothing")), 404),
                (request(port, "POST", "/v1/messages", anthropic_body(),
                         dict(admin, tags="ApplicationID=websearch")), 409),
                (request(port, "POST", "/invoke", converse_messages(),
                         dict(c1, **{"inference-profile-name": "customer2_websearch"})), 403),
                (request(port, "POST", "/v1/chat/completions", "{oops",
                         dict(admin, **{"inference-profile-name": "customer1_websearch"})), 400),
                (request(port, "POST", "/v1/chat/completions", openai_body(),
                         dict(admin, **{"inference-profile-name": "customer1_websearch",
                                        "tags": "TenantID=customer2,ApplicationID=codingbot"})),
                 400),
                (request(port, "POST", "/v2/nothing", openai_body(), admin), 404),
                (request(port, "GET", "/v1/chat/completions", None, admin), 405),
            ]
            for r, status in refused:
                self.assertEqual(r.status, status, r)
                self.assertIsNone(r.header("x-costgate-cost-usd"), r)
            self.assertEqual(ws.query("SELECT count(*) FROM usage_records")[0][0], before,
                             "refused calls were recorded")
            self.assertEqual(server.stop(), 0, server.log_text())
        finally:
            if server.proc.poll() is None:
                server.stop()

        # --- upstream failures on a second server: recorded, at zero cost
        failing = Server(ws, "--sim-error-rate", "1")
        try:
            port = failing.port
            failed = [
                request(port, "POST", "/v1/chat/completions",
                        openai_body("fail one", model="customer1_websearch"), c1),
                request(port, "POST", "/v1/messages",
                        anthropic_body("fail two", stream=True),
                        dict(admin, **{"inference-profile-name": "customer2_codingbot"})),
                request(port, "POST", "/invoke", converse_messages("fail three"),
                        dict(c2, tags="ApplicationID=websearch")),
            ]
            for r in failed:
                self.assert_upstream_error(r)
                call_id, cost, inp, out = self.headers_of(r, 503)
                self.assertEqual(cost, 0)
                self.remember(failing, call_id, cost, inp, out, 503)
            self.assertEqual(failing.stop(), 0, failing.log_text())
        finally:
            if failing.proc.poll() is None:
                failing.stop()

        # --- the ledger says the same, to the last digit
        usage = ws.usage()
        totals = usage["totals"]
        records = usage["records"]
        self.assertEqual(totals["calls"], len(self.answered))
        self.assertEqual(len(records), len(self.answered))
        self.assertEqual(totals["failures"], 3)
        want_total = sum((c for c, _, _, _ in self.answered.values()), Decimal(0))
        self.assertGreater(want_total, 0)
        self.assertEqual(Decimal(totals["total_cost_usd"]), want_total)
        self.assertEqual(Decimal(totals["input_cost_usd"]) + Decimal(totals["output_cost_usd"]),
                         want_total)
        self.assertEqual(totals["input_tokens"], sum(v[1] for v in self.answered.values()))
        self.assertEqual(totals["output_tokens"], sum(v[2] for v in self.answered.values()))
        self.assertEqual(sorted(r["call_id"] for r in records), sorted(self.answered))
        dialects = {}
        for rec in records:
            cost, inp, out, status = self.answered[rec["call_id"]]
            self.assertEqual(Decimal(rec["cost"]["total_usd"]), cost, rec)
            self.assertEqual(rec["usage"]["input_tokens"], inp, rec)
            self.assertEqual(rec["usage"]["output_tokens"], out, rec)
            self.assertEqual(rec["http_status"], status, rec)
            self.assertEqual(rec["status"] == "success", status == 200, rec)
            self.assertEqual(rec["model_id"], PROFILE_MODELS[rec["profile_name"]], rec)
            self.assertEqual(rec["region"], REGION)
            self.assertEqual(rec["upstream"], "sim")
            dialects[rec["dialect"]] = dialects.get(rec["dialect"], 0) + 1
            if rec["request_id"] == "ledger-four":
                self.assertEqual(rec["profile_name"], "customer2_codingbot")
        self.assertEqual(dialects, {"openai": 5, "anthropic": 3, "seed": 3})
        # And straight from SQLite: each call id once.
        rows = ws.query("SELECT call_id, count(*) FROM usage_records GROUP BY call_id")
        self.assertEqual(sorted(r[0] for r in rows), sorted(self.answered))
        self.assertTrue(all(n == 1 for _, n in rows), rows)
        total = sum((Decimal(t) for (t,) in ws.query("SELECT total_cost FROM usage_records")),
                    Decimal(0))
        self.assertEqual(total, want_total)

    def assert_upstream_error(self, r):
        self.assertEqual(r.status, 503, r)
        body = r.json()
        self.assertIn("error", body, r)
        self.assertIn("message", body["error"], r)


# ================================================================================= shutdown


class ShutdownTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.ws = Workspace()
        self.addCleanup(self.ws.remove)

    def test_sigterm_lets_a_slow_stream_finish(self):
        ws = self.ws
        server = Server(ws, "--sim-tokens-per-second", "20")
        self.addCleanup(lambda: server.proc.poll() is None and server.stop())
        body = json.dumps(openai_body("A slow stream please", model="customer1_websearch",
                                      stream=True, stream_options={"include_usage": True},
                                      max_tokens=40))
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT_S)
        conn.request("POST", "/v1/chat/completions", body,
                     dict(auth(ws.admin_key), **{"Content-Type": "application/json"}))
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        call_id = resp.getheader("x-costgate-call-id")
        data = resp.read1(65536)
        self.assertTrue(data, "no first event")
        t0 = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        # No longer accepting.
        time.sleep(0.3)
        with self.assertRaises(OSError, msg="a new connection was served after SIGTERM"):
            request(server.port, "GET", "/healthz", timeout=2)
        while True:
            piece = resp.read1(65536)
            if not piece:
                break
            data += piece
        conn.close()
        streamed = time.monotonic() - t0
        self.assertGreater(streamed, 0.3, "the stream did not outlive SIGTERM")
        r = Reply(200, resp.getheaders(), data)
        text, usage_chunk, info = openai_stream_facts(self, r, include_usage=True)
        self.assertEqual(info["call_id"], call_id)
        self.assertEqual(len(text.split()), info["output_tokens"])
        self.assertGreaterEqual(info["output_tokens"], 12)
        code = server.proc.wait(STOP_TIMEOUT_S)
        server.log.close()
        self.assertEqual(code, 0, server.log_text())
        self.assertIn("SIGTERM", server.log_text())
        usage = ws.usage()
        self.assertEqual([rec["call_id"] for rec in usage["records"]], [call_id])
        self.assertEqual(Decimal(usage["totals"]["total_cost_usd"]), Decimal(info["cost_usd"]))

    def test_sigterm_when_idle_exits_0_quickly(self):
        server = Server(self.ws)
        # An idle keep-alive connection does not hold the shutdown.
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=HTTP_TIMEOUT_S)
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        t0 = time.monotonic()
        self.assertEqual(server.stop(), 0, server.log_text())
        self.assertLess(time.monotonic() - t0, 5)
        conn.close()


class CrashTest(unittest.TestCase):
    """kill -9 under load: every call answered 200 is in the ledger, exactly once."""
    CALLS = 200
    THREADS = 16
    KILL_AFTER = 80

    def setUp(self):
        self.ws = Workspace()
        self.addCleanup(self.ws.remove)

    def test_kill_9_loses_no_answered_call(self):
        ws = self.ws
        server = Server(ws, "--sim-ttft-ms", "5")
        self.addCleanup(lambda: server.proc.poll() is None and server.kill9())
        keys = [auth(ws.admin_key), auth(ws.tenant_keys["customer1"]),
                auth(ws.tenant_keys["customer2"], "x-api-key")]
        profiles = ["customer1_websearch", "customer1_codingbot", "customer2_websearch",
                    "customer2_codingbot"]
        answered = {}
        lock = threading.Lock()
        enough = threading.Event()
        errors = []

        def one(i):
            profile = profiles[i % 4]
            key = keys[0] if i % 3 == 0 else keys[1 if profile.startswith("customer1") else 2]
            try:
                r = request(server.port, "POST", "/v1/chat/completions",
                            openai_body("crash call %d" % i, model=profile), key, timeout=10)
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(type(e).__name__)
                return
            if r.status != 200:
                with lock:
                    errors.append(r.status)
                return
            body = r.json()  # a whole answer
            call_id = r.header("x-costgate-call-id")
            with lock:
                answered[call_id] = Decimal(r.header("x-costgate-cost-usd"))
                self.assertEqual(body["costgate"]["call_id"], call_id)
                if len(answered) >= self.KILL_AFTER:
                    enough.set()

        with concurrent.futures.ThreadPoolExecutor(self.THREADS) as pool:
            futures = [pool.submit(one, i) for i in range(self.CALLS)]
            enough.wait(30)
            server.kill9()
            for f in futures:
                f.result()
        self.assertGreaterEqual(len(answered), self.KILL_AFTER)
        self.assertLess(len(answered), self.CALLS, "the kill came after every call")
        # Restart: the store opens, and every answered call is there once.
        again = Server(ws)
        try:
            rows = dict(ws.query("SELECT call_id, count(*) FROM usage_records GROUP BY call_id"))
            missing = [c for c in answered if c not in rows]
            self.assertEqual(missing, [], "answered calls missing from the ledger")
            self.assertTrue(all(n == 1 for n in rows.values()))
            costs = dict(ws.query("SELECT call_id, total_cost FROM usage_records"))
            for c, cost in answered.items():
                self.assertEqual(Decimal(costs[c]), cost)
            self.assertEqual(ws.query("PRAGMA integrity_check")[0][0], "ok")
            r = request(again.port, "POST", "/v1/chat/completions",
                        openai_body(model="customer1_websearch"), keys[0])
            self.assertEqual(r.status, 200, r)
            after = r.header("x-costgate-call-id")
            self.assertNotIn(after, rows)
            self.assertEqual(again.stop(), 0, again.log_text())
        finally:
            if again.proc.poll() is None:
                again.stop()
        usage = ws.usage()
        self.assertEqual(usage["totals"]["calls"], len(rows) + 1)
        ids = [rec["call_id"] for rec in usage["records"]]
        self.assertEqual(len(ids), len(set(ids)))


if __name__ == "__main__":
    check_environment("gateway_test.py")
    unittest.main()
