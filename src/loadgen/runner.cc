#include "loadgen/runner.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <map>

#include "loadgen/wire.h"

namespace costgate::loadgen {

namespace asio = boost::asio;
using Steady = std::chrono::steady_clock;

namespace {

constexpr size_t kMaxAnswerBytes = 64 * 1024 * 1024;
constexpr auto kTick = std::chrono::milliseconds(10);

struct PendingCall {
  CallSpec spec;
  const CallerKey* key = nullptr;
};

// Everything the coroutines share; they all run on the one io_context thread, so plain fields.
struct State {
  explicit State(const RunOptions& o, http::ClientOptions client_options)
      : options(o), client(std::move(client_options)), pacer(o.traffic), chooser(o.mix, o.seed) {}

  const RunOptions& options;
  http::HttpClient client;
  Pacer pacer;
  Chooser chooser;
  Summary summary;
  std::map<uint64_t, PendingCall> pending;  // by call number
  uint64_t sent = 0;
  size_t in_flight = 0;
  uint64_t answered_2xx = 0;
  uint64_t answered_other = 0;
  Money cost;
  Steady::time_point start;
};

double secondsSince(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

asio::awaitable<void> callOnce(State* st, uint64_t number) {
  const PendingCall& pc = st->pending.at(number);  // std::map: stable while the call runs
  const bool signed_call = pc.spec.dialect == Dialect::kBedrock && pc.key->aws;
  http::Request request = buildRequest(pc.spec, signed_call ? "" : pc.key->api_key);
  http::BeforeSend sign = [st, &pc](http::Request& r) {
    signBedrock(r, *pc.key->aws, st->options.sigv4_region, SystemClock::instance().now());
  };
  CallOutcome out;
  out.profile = pc.spec.profile;
  out.dialect = pc.spec.dialect;
  out.stream = pc.spec.stream;
  const Steady::time_point sent_at = Steady::now();
  http::ClientResult result = co_await st->client.send(request, signed_call ? &sign : nullptr);
  if (!result.ok()) {
    out.status = "transport_error";
    out.facts.error = result.error.message;
  } else {
    http::Exchange& ex = *result.exchange;
    out.status = std::to_string(ex.status());
    std::string body;
    bool complete = co_await ex.readAll(body, kMaxAnswerBytes);
    if (pc.spec.stream && ex.status() == 200) {
      out.facts = factsFromStream(pc.spec.dialect, ex.headers(), body);
      if (!out.facts.error.empty()) out.status = "stream_error";
    } else {
      out.facts = factsFromHeaders(ex.headers());
    }
    if (!complete) {
      out.status = "transport_error";
      out.facts.error = ex.error() ? ex.error()->message : "the answer was cut short";
    }
  }
  out.latency_ms = std::chrono::duration<double, std::milli>(Steady::now() - sent_at).count();
  if (out.status.size() == 3 && out.status[0] == '2') {
    ++st->answered_2xx;
  } else {
    ++st->answered_other;
  }
  if (out.facts.cost) st->cost += *out.facts.cost;
  st->summary.record(out);
  --st->in_flight;
  st->pending.erase(number);
}

std::string progressLine(const State& st) {
  return fmt::format("[{:6.1f}s] sent {}, in flight {}, answered 2xx {}, other {}, cost {} USD",
                     secondsSince(st.start), st.sent, st.in_flight, st.answered_2xx,
                     st.answered_other, st.cost.toString());
}

bool stopAsked(const State& st) {
  return st.options.stop && st.options.stop->load(std::memory_order_relaxed);
}

// Sends the calls as they fall due until the run ends, then waits for those in flight.
asio::awaitable<void> schedule(State* st) {
  const RunOptions& o = st->options;
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor);
  boost::system::error_code ec;
  st->start = Steady::now();
  Steady::time_point next_progress = st->start + o.progress_every;
  auto progress = [&] {
    if (o.on_progress && Steady::now() >= next_progress) {
      o.on_progress(progressLine(*st));
      next_progress += o.progress_every;
    }
  };
  std::vector<size_t> due;
  auto enough = [&] { return o.calls && st->sent >= *o.calls; };
  while (!enough() && !stopAsked(*st)) {
    const double t = secondsSince(st->start);
    if (o.duration && t >= std::chrono::duration<double>(*o.duration).count()) break;
    due.clear();
    st->pacer.advance(t, due);
    for (size_t i : due) {
      if (enough()) break;
      if (st->in_flight >= o.concurrency) {
        st->summary.noteSkipped();
        continue;
      }
      const ProfileTraffic& traffic = o.traffic[i];
      Chooser::Choice c = st->chooser.next();
      uint64_t number = ++st->sent;
      PendingCall& pc = st->pending[number];
      pc.spec.dialect = c.dialect;
      pc.spec.stream = c.stream;
      pc.spec.profile = traffic.profile;
      pc.spec.max_tokens = traffic.max_tokens;
      pc.spec.prompt = prompts()[c.prompt];
      pc.spec.request_id = fmt::format("{}-{}", o.request_id_prefix, number);
      pc.key = o.keys->forProfile(traffic.profile);
      ++st->in_flight;
      asio::co_spawn(executor, callOnce(st, number), asio::detached);
    }
    progress();
    timer.expires_after(kTick);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  const Steady::time_point drain_until = Steady::now() + o.drain;
  while (st->in_flight > 0 && Steady::now() < drain_until) {
    progress();
    timer.expires_after(kTick);
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  st->summary.setElapsed(secondsSince(st->start));
  if (st->in_flight > 0) {
    st->summary.addNote(
        fmt::format("{} call(s) were still running when the drain time ended; they are not counted",
                    st->in_flight));
  }
  if (o.on_progress) o.on_progress(progressLine(*st));
}

}  // namespace

Result<Summary> run(const RunOptions& o) {
  if (!o.keys) return makeError("no keys to call with");
  for (const ProfileTraffic& t : o.traffic) {
    if (!o.keys->forProfile(t.profile)) {
      return makeError(fmt::format("no key reaches profile {}", t.profile));
    }
  }
  if (Status s = checkMix(o.mix); !s) return makeError(s.error());
  http::ClientOptions co;
  co.base = o.target;
  co.max_idle_connections = std::max<size_t>(o.concurrency, 8);
  co.max_attempts = 1;  // a load generator reports failures; it does not hide them
  // Declared before the io_context, so that calls abandoned after the drain time (their frames
  // die with the io_context) never outlive the client and the state they use.
  State st(o, co);
  asio::io_context ioc(1);
  // A throw out of the schedule (from a progress callback, say) ends the run as an error, never
  // as a partial summary passed off as the whole.
  std::exception_ptr failure;
  asio::co_spawn(ioc, schedule(&st), [&ioc, &failure](std::exception_ptr e) {
    failure = e;
    ioc.stop();
  });
  ioc.run();
  st.client.closeIdle();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      return makeError(fmt::format("the load generator stopped: {}", e.what()));
    } catch (...) {
      return makeError("the load generator stopped on an unknown error");
    }
  }
  Summary out = std::move(st.summary);
  return out;
}

Result<int> probe(const http::Url& target, const std::string& path,
                  std::chrono::milliseconds timeout) {
  http::ClientOptions co;
  co.base = target;
  co.timeouts.connect = timeout;
  co.timeouts.first_byte = timeout;
  co.timeouts.total = timeout;
  co.max_attempts = 1;
  http::HttpClient client(co);
  asio::io_context ioc(1);
  Result<int> out = makeError("no answer");
  auto get = [&client, &path, &out]() -> asio::awaitable<void> {
    http::Request request;
    request.method = "GET";
    request.target = path;
    request.path = path;
    http::ClientResult r = co_await client.send(request);
    if (!r.ok()) {
      out = makeError(r.error.message);
      co_return;
    }
    std::string body;
    bool read = co_await r.exchange->readAll(body, 1024 * 1024);
    (void)read;
    out = r.exchange->status();
  };
  asio::co_spawn(ioc, get(), [&ioc](std::exception_ptr) { ioc.stop(); });
  ioc.run();
  client.closeIdle();
  return out;
}

}  // namespace costgate::loadgen
