// `costgate notify`: the topics config.json describes, a test message to every subscription of
// a topic, the outbox's deliveries, and sending what is pending.

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/notify_worker.h"
#include "cli/output.h"
#include "common/strings.h"
#include "notify/notifier.h"
#include "notify/payload.h"
#include "notify/plan.h"
#include "store/sqlite_outbox.h"

namespace costgate::cli {

namespace json = boost::json;
using notify::Delivery;
using notify::DeliveryState;

namespace {

struct NotifyOptions : CommonOptions {
  std::string topic;
  int64_t wait_ms = 60'000;
  std::string state;
  size_t limit = 100;
};

// The worker's log lines (each attempt, each failure) go to stderr, leaving stdout to the
// result (a table, or JSON with --json).
void logToStderr() {
  auto logger = spdlog::stderr_color_mt("costgate-notify");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_default_logger(logger);
}

void printDeliveries(const std::vector<Delivery>& list) {
  Table t({"NOTIFICATION", "TOPIC", "ENDPOINT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR"});
  for (const Delivery& d : list) {
    t.add({d.notification.id, d.notification.topic, d.endpoint.key(),
           notify::deliveryStateName(d.state), std::to_string(d.attempts),
           d.state == DeliveryState::kPending ? formatIso8601(d.next_attempt_at) : "-",
           d.last_error.empty() ? "-" : d.last_error});
  }
  fmt::print("{}", t.render());
}

// Sends until every delivery of `id` (every pending one when `id` is "") is finished, or until
// `wait` passes; the deliveries still pending then are left to `serve` (or another run).
Result<std::vector<Delivery>> deliverUntilDone(notify::DeliveryWorker& worker,
                                               const std::string& id,
                                               std::chrono::milliseconds wait) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto sent = worker.deliverDue();
    if (!sent) return makeError(sent.error());
    notify::OutboxQuery q;
    q.notification_id = id;
    q.limit = 0;
    if (id.empty()) q.state = DeliveryState::kPending;
    auto list = worker.outbox().list(q);
    if (!list) return list;
    bool pending = false;
    for (const Delivery& d : *list) pending = pending || d.state == DeliveryState::kPending;
    if (!pending || std::chrono::steady_clock::now() >= deadline) return list;
    auto next = worker.outbox().nextDue();
    auto pause = std::chrono::milliseconds(200);
    if (next && *next) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(
          **next - SystemClock::instance().now());
      pause = std::clamp(until, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
    }
    std::this_thread::sleep_for(pause);
  }
}

int reportOutcome(const std::vector<Delivery>& list, bool as_json) {
  int delivered = 0;
  for (const Delivery& d : list) delivered += d.state == DeliveryState::kDelivered;
  if (as_json) {
    json::array a;
    for (const Delivery& d : list) a.push_back(notify::deliveryJson(d));
    printJson(json::object{{"deliveries", std::move(a)}});
  } else if (!list.empty()) {
    printDeliveries(list);
  }
  return delivered == static_cast<int>(list.size()) ? kExitOk : kExitFailure;
}

int runTest(const NotifyOptions& o) {
  logToStderr();
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  if (!openStoreOrReport(*cfg, /*must_exist=*/true, code)) return code;
  notify::TopicPlan plan = notify::setupTopics(*cfg);
  for (const std::string& note : plan.notes) printWarning(note);
  const notify::Topic* topic = plan.find(o.topic);
  if (topic == nullptr) {
    std::string known;
    for (const notify::Topic& t : plan.topics) known += (known.empty() ? "" : ", ") + t.name;
    printError(fmt::format("no topic named {} (topics: {})", jsonQuote(o.topic),
                           known.empty() ? "none" : known));
    return kExitBadInput;
  }
  auto worker = makeDeliveryWorker(*cfg, SystemClock::instance());
  auto outbox = worker ? store::SqliteOutbox::open(cfg->store_path)
                       : Result<std::unique_ptr<store::SqliteOutbox>>(makeError(worker.error()));
  if (!outbox) {
    printError(outbox.error());
    return kExitFailure;
  }
  notify::OutboxNotifier notifier(**outbox, plan, SystemClock::instance());
  auto id = notifier.notifyTest(o.topic);
  if (!id) {
    printError(id.error());
    return kExitFailure;
  }
  if (!o.json) {
    fmt::print("test notification {} stored for {} subscription(s) of topic {}\n", *id,
               topic->subscriptions.size(), o.topic);
  }
  auto list = deliverUntilDone(**worker, *id, std::chrono::milliseconds(o.wait_ms));
  if (!list) {
    printError(list.error());
    return kExitFailure;
  }
  return reportOutcome(*list, o.json);
}

int runDeliver(const NotifyOptions& o) {
  logToStderr();
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  if (!openStoreOrReport(*cfg, /*must_exist=*/true, code)) return code;
  auto worker = makeDeliveryWorker(*cfg, SystemClock::instance());
  if (!worker) {
    printError(worker.error());
    return kExitFailure;
  }
  auto list = deliverUntilDone(**worker, "", std::chrono::milliseconds(o.wait_ms));
  if (!list) {
    printError(list.error());
    return kExitFailure;
  }
  notify::DeliveryCounters c = (*worker)->counters();
  if (!o.json) {
    fmt::print("{} delivered, {} failed attempt(s) to retry, {} given up; {} still pending\n",
               c.delivered, c.retried, c.failed, list->size());
  }
  return reportOutcome(*list, o.json);
}

int runList(const NotifyOptions& o) {
  int code = kExitOk;
  notify::OutboxQuery q;
  q.topic = o.topic;
  q.limit = o.limit;
  if (!o.state.empty()) {
    q.state = notify::deliveryStateFromName(o.state);
    if (!q.state) {
      printError(fmt::format("--state {} is not pending, delivered or failed", jsonQuote(o.state)));
      return kExitBadInput;
    }
  }
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  if (!openStoreOrReport(*cfg, /*must_exist=*/true, code)) return code;
  auto outbox = store::SqliteOutbox::open(cfg->store_path);
  auto list =
      outbox ? (*outbox)->list(q) : Result<std::vector<Delivery>>(makeError(outbox.error()));
  auto counts = list ? (*outbox)->counts() : Result<notify::OutboxCounts>(makeError(list.error()));
  if (!counts) {
    printError(counts.error());
    return kExitFailure;
  }
  if (o.json) {
    json::array a;
    for (const Delivery& d : *list) a.push_back(notify::deliveryJson(d));
    printJson(json::object{{"deliveries", std::move(a)},
                           {"counts", json::object{{"pending", counts->pending},
                                                   {"retrying", counts->retrying},
                                                   {"delivered", counts->delivered},
                                                   {"failed", counts->failed}}}});
    return kExitOk;
  }
  if (list->empty()) {
    fmt::print("no notifications match\n");
  } else {
    printDeliveries(*list);
  }
  fmt::print("\ndeliveries: {} pending ({} retrying), {} delivered, {} failed\n", counts->pending,
             counts->retrying, counts->delivered, counts->failed);
  return kExitOk;
}

int runTopics(const NotifyOptions& o) {
  int code = kExitOk;
  auto cfg = loadConfigOrReport(o.config_path, code);
  if (!cfg) return code;
  notify::TopicPlan plan = notify::setupTopics(*cfg);
  if (o.json) {
    json::array topics;
    for (const notify::Topic& t : plan.topics) {
      json::array subs;
      for (const notify::Endpoint& e : t.subscriptions) subs.push_back(json::string(e.key()));
      topics.push_back(json::object{{"name", t.name}, {"subscriptions", std::move(subs)}});
    }
    json::array notes;
    for (const std::string& n : plan.notes) notes.push_back(json::string(n));
    printJson(json::object{{"topics", std::move(topics)}, {"notes", std::move(notes)}});
    return kExitOk;
  }
  Table t({"TOPIC", "SUBSCRIPTION"});
  for (const notify::Topic& topic : plan.topics) {
    if (topic.subscriptions.empty()) t.add({topic.name, "(none)"});
    for (const notify::Endpoint& e : topic.subscriptions) t.add({topic.name, e.key()});
  }
  fmt::print("{}", t.render());
  for (const std::string& n : plan.notes) fmt::print("note: {}\n", n);
  return kExitOk;
}

}  // namespace

void addNotifyCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand(
      "notify", "Notification topics, their subscriptions and the outbox of deliveries");
  cmd->require_subcommand(1);

  auto test = std::make_shared<NotifyOptions>();
  CLI::App* t = cmd->add_subcommand(
      "test", "Send a test message to every subscription of a topic and wait for the outcome");
  addCommonOptions(*t, *test);
  t->add_option("--topic", test->topic, "the topic (see `costgate notify topics`)")->required();
  t->add_option("--wait-ms", test->wait_ms,
                "how long to keep retrying before leaving the rest to `serve` (default 60000)")
      ->check(CLI::NonNegativeNumber);
  t->callback([test, &exit_code] { exit_code = runTest(*test); });

  auto deliver = std::make_shared<NotifyOptions>();
  CLI::App* d = cmd->add_subcommand(
      "deliver",
      "Send every pending delivery now, retrying until none is pending or the wait ends");
  addCommonOptions(*d, *deliver);
  d->add_option("--wait-ms", deliver->wait_ms, "how long to keep retrying (default 60000)")
      ->check(CLI::NonNegativeNumber);
  d->callback([deliver, &exit_code] { exit_code = runDeliver(*deliver); });

  auto list = std::make_shared<NotifyOptions>();
  CLI::App* l = cmd->add_subcommand("list", "Deliveries in the outbox, newest first");
  addCommonOptions(*l, *list);
  l->add_option("--state", list->state, "only pending, delivered or failed ones");
  l->add_option("--topic", list->topic, "only this topic's");
  l->add_option("--limit", list->limit, "at most N (default 100, 0: all)")
      ->check(CLI::NonNegativeNumber);
  l->callback([list, &exit_code] { exit_code = runList(*list); });

  auto topics = std::make_shared<NotifyOptions>();
  CLI::App* tp = cmd->add_subcommand("topics", "The topics config.json describes");
  addCommonOptions(*tp, *topics);
  tp->callback([topics, &exit_code] { exit_code = runTopics(*topics); });
}

}  // namespace costgate::cli
