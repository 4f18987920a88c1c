-- wrk script for bench/gateway_vs_nginx.sh: every target gets the same OpenAI-style
-- POST /v1/chat/completions, so the request bytes are identical whether nginx or costgate
-- answers. BENCH_KEY (a tenant API key) and BENCH_TAGS (the `tags` header naming the profile)
-- are read from the environment; either may be empty (the nginx targets ignore them).
--
-- request() counts what each thread sends. wrk's own "requests" counts answers completed; a
-- request written just before the run ends is answered (and recorded in the ledger) after wrk
-- has stopped counting, so `sent` is the number the ledger must match exactly.
-- done() prints one machine-readable line, BENCH_RESULT k=v ..., that the shell script parses.

local body = '{"messages":[{"role":"system","content":"You are a search assistant."},' ..
             '{"role":"user","content":"What does a cost gateway record for each call?"}],' ..
             '"max_tokens":16,"temperature":0}'

local req
sent = 0
-- wrk calls request() once on the first thread's state, before any thread runs, to check the
-- request (script_verify_request in wrk.c); that call sends nothing and is not counted.
verifying = false

function init(args)
  local headers = {["Content-Type"] = "application/json"}
  local key = os.getenv("BENCH_KEY")
  if key and key ~= "" then headers["Authorization"] = "Bearer " .. key end
  local tags = os.getenv("BENCH_TAGS")
  if tags and tags ~= "" then headers["tags"] = tags end
  req = wrk.format("POST", "/v1/chat/completions", headers, body)
end

function request()
  if verifying then
    verifying = false
  else
    sent = sent + 1
  end
  return req
end

local threads = {}

-- Runs in the main state, once per thread in wrk's order, before that thread's init().
function setup(thread)
  if #threads == 0 then thread:set("verifying", true) end
  table.insert(threads, thread)
end

function done(summary, latency, requests)
  local total_sent = 0
  for _, t in ipairs(threads) do total_sent = total_sent + t:get("sent") end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d sent=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, total_sent, summary.duration, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, e.status, e.connect, e.read,
    e.write, e.timeout))
end
