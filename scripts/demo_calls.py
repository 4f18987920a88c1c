#!/usr/bin/env python3
"""Sends a few example calls to a running costgate, one per client dialect, and prints what
each cost. Usage: demo_calls.py PORT KEYS_JSON (the output of `costgate setup --json`)."""
import json
import sys
import urllib.request

port, keys_file = sys.argv[1], sys.argv[2]
keys = json.load(open(keys_file))["keys"]
tenant = {k["tenant"]: k["key"] for k in keys if k["role"] == "tenant"}


def call(path, key, body, headers=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"authorization": f"Bearer {key}",
                                          "content-type": "application/json", **(headers or {})})
    with urllib.request.urlopen(req) as r:
        h = r.headers
        print(f"  {path:22} profile={h['x-costgate-profile']:20} in={h['x-costgate-input-tokens']:>4} "
              f"out={h['x-costgate-output-tokens']:>4} cost=${h['x-costgate-cost-usd']}")


hello = [{"role": "user", "content": [{"text": "What does costgate do?"}]}]
call("/invoke", tenant["customer1"], hello, {"inference-profile-name": "customer1_websearch"})
call("/invoke", tenant["customer2"], hello, {"tags": "TenantID=customer2,ApplicationID=codingbot"})
call("/v1/chat/completions", tenant["customer1"],
     {"model": "customer1_codingbot", "max_tokens": 300,
      "messages": [{"role": "user", "content": "Write a haiku about invoices."}]})
call("/v1/messages", tenant["customer2"],
     {"model": "customer2_websearch", "max_tokens": 200,
      "messages": [{"role": "user", "content": "Summarise today's news."}]})
