#include "store/migrations.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <array>

namespace costgate::store {

namespace {

// Version 1: profiles with ordered tags, API keys with their profiles, price versions, settings
// and the generation counter.
//
// Conventions of the schema: instants are INTEGER milliseconds since the Unix epoch (UTC); money
// is TEXT holding Money::toString()'s exact decimal, never REAL; enums are TEXT names ("setup",
// "tenant", "text") checked when read rather than by CHECK constraints, because SQLite cannot
// alter a constraint without rebuilding the table.
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE meta (
  name  TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
-- Grows with every committed change to profiles, keys, prices or settings.
INSERT INTO meta (name, value) VALUES ('generation', 0);

CREATE TABLE profiles (
  id          TEXT NOT NULL PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL,
  model_id    TEXT NOT NULL,
  region      TEXT NOT NULL,
  tier        TEXT NOT NULL,
  provider    TEXT NOT NULL,
  arn         TEXT NOT NULL,
  bedrock_arn TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  origin      TEXT NOT NULL
);

-- A profile's tags in their given order; a key appears once per profile, case-insensitively.
CREATE TABLE profile_tags (
  profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  key        TEXT NOT NULL,
  key_lower  TEXT NOT NULL,
  value      TEXT NOT NULL,
  PRIMARY KEY (profile_id, key_lower),
  UNIQUE (profile_id, position)
) WITHOUT ROWID;

CREATE TABLE api_keys (
  id         TEXT NOT NULL PRIMARY KEY,
  hash       BLOB NOT NULL,
  role       TEXT NOT NULL,
  tenant     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  origin     TEXT NOT NULL
);
CREATE INDEX api_keys_by_creation ON api_keys (created_at, id);

CREATE TABLE api_key_profiles (
  key_id     TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  profile_id TEXT NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
  PRIMARY KEY (key_id, profile_id)
) WITHOUT ROWID;
-- Lets deleting a profile find its bindings without a scan.
CREATE INDEX api_key_profiles_by_profile ON api_key_profiles (profile_id);

-- One row per price version, in the order the table was given.
CREATE TABLE prices (
  position           INTEGER NOT NULL PRIMARY KEY,
  region             TEXT NOT NULL,
  model_id           TEXT NOT NULL,
  kind               TEXT NOT NULL,
  effective_from     INTEGER,
  input_per_1k       TEXT NOT NULL,
  output_per_1k      TEXT NOT NULL,
  cache_read_per_1k  TEXT,
  cache_write_per_1k TEXT,
  -- Image prices: {"size": {"quality": "decimal"}}; NULL when there are none.
  images_json        TEXT
);
-- One version per model, region and start (NULL start: since always).
CREATE UNIQUE INDEX prices_version ON prices (region, model_id, effective_from)
  WHERE effective_from IS NOT NULL;
CREATE UNIQUE INDEX prices_since_always ON prices (region, model_id)
  WHERE effective_from IS NULL;

CREATE TABLE settings (
  name  TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

// Version 2: the usage ledger, one row per metered call, keyed by costgate's own call id (a
// retried batch is skipped row by row, never counted twice). Unit prices and costs are exact
// decimals as TEXT, like prices above; total_cost is stored for other readers of the file and
// checked against its parts when read. tags_json holds the profile's tags at the time of the
// call, [{"key": K, "value": V}, ...]; status is "success" or "failure"; estimated is 0 or 1.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE usage_records (
  call_id            TEXT NOT NULL PRIMARY KEY,
  request_id         TEXT NOT NULL,
  started_at         INTEGER NOT NULL,
  first_token_at     INTEGER,
  ended_at           INTEGER NOT NULL,
  profile_id         TEXT NOT NULL,
  profile_name       TEXT NOT NULL,
  tags_json          TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  model_id           TEXT NOT NULL,
  region             TEXT NOT NULL,
  dialect            TEXT NOT NULL,
  upstream           TEXT NOT NULL,
  input_tokens       INTEGER NOT NULL,
  output_tokens      INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  input_per_1k       TEXT NOT NULL,
  output_per_1k      TEXT NOT NULL,
  cache_read_per_1k  TEXT,
  cache_write_per_1k TEXT,
  plain_input_cost   TEXT NOT NULL,
  cache_read_cost    TEXT NOT NULL,
  cache_write_cost   TEXT NOT NULL,
  output_cost        TEXT NOT NULL,
  total_cost         TEXT NOT NULL,
  status             TEXT NOT NULL,
  http_status        INTEGER NOT NULL,
  error_type         TEXT NOT NULL,
  estimated          INTEGER NOT NULL
);
CREATE INDEX usage_records_by_profile ON usage_records (profile_id, started_at);
CREATE INDEX usage_records_by_start ON usage_records (started_at);
)sql";

// Version 3: a call to a model without a price, made because config.json says
// "unpriced_models": "allow_and_flag", is recorded with zero cost and unpriced = 1, never as a
// silently free call.
constexpr std::string_view kMigration3 = R"sql(
ALTER TABLE usage_records ADD COLUMN unpriced INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 4: AWS credentials for SigV4 callers are rows of api_keys (id = the access key id)
// whose secret access key is kept sealed (AES-256-GCM: nonce | ciphertext | tag) under the master
// key in the file beside the store, never in it; NULL for API keys.
constexpr std::string_view kMigration4 = R"sql(
ALTER TABLE api_keys ADD COLUMN aws_secret BLOB;
)sql";

// Version 5: profiles mirrored to AWS. profiles.bedrock_arn (in the schema since version 1,
// '' until now) holds the ARN of the application inference profile that setup created in
// Bedrock for the profile, '' when it is not mirrored. That ARN resolves to the profile like its
// own id and ARN, so it must name one profile only; the index also serves that lookup.
constexpr std::string_view kMigration5 = R"sql(
CREATE UNIQUE INDEX profiles_by_bedrock_arn ON profiles (bedrock_arn) WHERE bedrock_arn <> '';
)sql";

// Version 6: the ledger keeps each row in one b-tree ordered by (started_at, call_id) instead of
// a rowid table plus a call-id index and a by-start index: every commit writes half the pages
// (the row's b-tree and the by-profile index), which is most of a group commit's cost. Time-range
// reads walk the key itself. A call's record always carries the same started_at, so a retried
// batch still meets its rows' keys and is skipped row by row; call_id stays unique per process.
constexpr std::string_view kMigration6 = R"sql(
CREATE TABLE usage_records_v6 (
  call_id            TEXT NOT NULL,
  request_id         TEXT NOT NULL,
  started_at         INTEGER NOT NULL,
  first_token_at     INTEGER,
  ended_at           INTEGER NOT NULL,
  profile_id         TEXT NOT NULL,
  profile_name       TEXT NOT NULL,
  tags_json          TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  model_id           TEXT NOT NULL,
  region             TEXT NOT NULL,
  dialect            TEXT NOT NULL,
  upstream           TEXT NOT NULL,
  input_tokens       INTEGER NOT NULL,
  output_tokens      INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  input_per_1k       TEXT NOT NULL,
  output_per_1k      TEXT NOT NULL,
  cache_read_per_1k  TEXT,
  cache_write_per_1k TEXT,
  plain_input_cost   TEXT NOT NULL,
  cache_read_cost    TEXT NOT NULL,
  cache_write_cost   TEXT NOT NULL,
  output_cost        TEXT NOT NULL,
  total_cost         TEXT NOT NULL,
  status             TEXT NOT NULL,
  http_status        INTEGER NOT NULL,
  error_type         TEXT NOT NULL,
  estimated          INTEGER NOT NULL,
  unpriced           INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (started_at, call_id)
) WITHOUT ROWID;
INSERT INTO usage_records_v6 (
    call_id, request_id, started_at, first_token_at, ended_at, profile_id,
    profile_name, tags_json, key_id, model_id, region, dialect, upstream, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, input_per_1k, output_per_1k,
    cache_read_per_1k, cache_write_per_1k, plain_input_cost, cache_read_cost, cache_write_cost,
    output_cost, total_cost, status, http_status, error_type, estimated, unpriced)
  SELECT
    call_id, request_id, started_at, first_token_at, ended_at, profile_id,
    profile_name, tags_json, key_id, model_id, region, dialect, upstream, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, input_per_1k, output_per_1k,
    cache_read_per_1k, cache_write_per_1k, plain_input_cost, cache_read_cost, cache_write_cost,
    output_cost, total_cost, status, http_status, error_type, estimated, unpriced
  FROM usage_records;
DROP TABLE usage_records;
ALTER TABLE usage_records_v6 RENAME TO usage_records;
CREATE INDEX usage_records_by_profile ON usage_records (profile_id, started_at);
)sql";

// Version 7: daily totals of archived usage (ledger retention). Records older than the retention
// are folded, in the same transaction that deletes them, into one row per UTC day (day: its
// midnight in ms), profile id and name, model, region and tag set (tags_json exactly as the
// records held it), so every report group (tag, model, profile, region; day or month) stays
// exact. Counts and token sums are INTEGER; money sums are exact decimal TEXT, like the ledger's.
constexpr std::string_view kMigration7 = R"sql(
CREATE TABLE usage_daily (
  day                INTEGER NOT NULL,
  profile_id         TEXT NOT NULL,
  profile_name       TEXT NOT NULL,
  model_id           TEXT NOT NULL,
  region             TEXT NOT NULL,
  tags_json          TEXT NOT NULL,
  calls              INTEGER NOT NULL,
  failures           INTEGER NOT NULL,
  input_tokens       INTEGER NOT NULL,
  output_tokens      INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  plain_input_cost   TEXT NOT NULL,
  cache_read_cost    TEXT NOT NULL,
  cache_write_cost   TEXT NOT NULL,
  output_cost        TEXT NOT NULL,
  PRIMARY KEY (day, profile_id, profile_name, model_id, region, tags_json)
) WITHOUT ROWID;
CREATE INDEX usage_daily_by_profile ON usage_daily (profile_id, day);
)sql";

// Version 8: the notification outbox (notify/outbox.h). A notification is stored before anything
// is sent, with one delivery row per subscribed endpoint (endpoint = notify::Endpoint::key(),
// "email:ops@example.com"), each retried and finished on its own. state is "pending",
// "delivered" or "failed"; a pending row is due at next_attempt_at, which a claim moves to the
// end of its lease so no two senders take it at once. fields_json holds the structured fields
// (notify::fieldsToJson). Ids are time-ordered, so ordering by id is ordering by creation.
constexpr std::string_view kMigration8 = R"sql(
CREATE TABLE notifications (
  id          TEXT NOT NULL PRIMARY KEY,
  topic       TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  subject     TEXT NOT NULL,
  body        TEXT NOT NULL,
  fields_json TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE notification_deliveries (
  notification_id TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  endpoint        TEXT NOT NULL,
  state           TEXT NOT NULL,
  attempts        INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error      TEXT NOT NULL,
  delivered_at    INTEGER,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (notification_id, endpoint)
) WITHOUT ROWID;
-- The worker's question, "what is due?", reads only pending rows.
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at)
  WHERE state = 'pending';
)sql";

// Version 9: alarms and their history (alarms/alarm_store.h). An alarm's definition is kept as
// its CloudWatch-shaped JSON (alarms/alarm_json.h), so new alarm fields need no migration; the
// status lives in columns because every tick's transitions rewrite it. History items are kept in
// order of appending (seq); old_state/new_state are NULL except for StateUpdate items.
constexpr std::string_view kMigration9 = R"sql(
CREATE TABLE alarms (
  name                     TEXT NOT NULL PRIMARY KEY,
  kind                     TEXT NOT NULL,
  definition_json          TEXT NOT NULL,
  state                    TEXT NOT NULL,
  state_reason             TEXT NOT NULL,
  state_reason_data        TEXT NOT NULL,
  state_updated_at         INTEGER NOT NULL,
  configuration_updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE alarm_history (
  seq         INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  alarm_name  TEXT NOT NULL,
  type        TEXT NOT NULL,
  summary     TEXT NOT NULL,
  old_state   TEXT,
  new_state   TEXT,
  reason      TEXT NOT NULL,
  reason_data TEXT NOT NULL
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_name, at);
CREATE INDEX alarm_history_by_time ON alarm_history (at);
)sql";

// Version 10: dashboard definitions (store/dashboard_store.h), JSON text stored as given; origin
// "setup" or "api" (an edit, which a later setup keeps).
constexpr std::string_view kMigration10 = R"sql(
CREATE TABLE dashboards (
  name            TEXT NOT NULL PRIMARY KEY,
  definition_json TEXT NOT NULL,
  origin          TEXT NOT NULL,
  updated_at      INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Version 11: the ledger back in a rowid table, with the unique (started_at, call_id) key and the
// by-profile index beside it. Version 6's WITHOUT ROWID b-tree held whole rows (~550 bytes) in its
// interior pages as well as its leaves, so only ~7 fitted a page and each group commit rewrote a
// chain of interior pages: ~8 pages a commit of 6 records (`strace -c` over
// BM_LedgerGroupCommit). A rowid table's interior cells are 8-byte keys; the rows go to the end of
// the table, their keys to the end of the small by-start index: ~3 pages a commit.
constexpr std::string_view kMigration11 = R"sql(
CREATE TABLE usage_records_v11 (
  call_id            TEXT NOT NULL,
  request_id         TEXT NOT NULL,
  started_at         INTEGER NOT NULL,
  first_token_at     INTEGER,
  ended_at           INTEGER NOT NULL,
  profile_id         TEXT NOT NULL,
  profile_name       TEXT NOT NULL,
  tags_json          TEXT NOT NULL,
  key_id             TEXT NOT NULL,
  model_id           TEXT NOT NULL,
  region             TEXT NOT NULL,
  dialect            TEXT NOT NULL,
  upstream           TEXT NOT NULL,
  input_tokens       INTEGER NOT NULL,
  output_tokens      INTEGER NOT NULL,
  cache_read_tokens  INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  input_per_1k       TEXT NOT NULL,
  output_per_1k      TEXT NOT NULL,
  cache_read_per_1k  TEXT,
  cache_write_per_1k TEXT,
  plain_input_cost   TEXT NOT NULL,
  cache_read_cost    TEXT NOT NULL,
  cache_write_cost   TEXT NOT NULL,
  output_cost        TEXT NOT NULL,
  total_cost         TEXT NOT NULL,
  status             TEXT NOT NULL,
  http_status        INTEGER NOT NULL,
  error_type         TEXT NOT NULL,
  estimated          INTEGER NOT NULL,
  unpriced           INTEGER NOT NULL DEFAULT 0
);
INSERT INTO usage_records_v11 SELECT
    call_id, request_id, started_at, first_token_at, ended_at, profile_id,
    profile_name, tags_json, key_id, model_id, region, dialect, upstream, input_tokens,
    output_tokens, cache_read_tokens, cache_write_tokens, input_per_1k, output_per_1k,
    cache_read_per_1k, cache_write_per_1k, plain_input_cost, cache_read_cost, cache_write_cost,
    output_cost, total_cost, status, http_status, error_type, estimated, unpriced
  FROM usage_records ORDER BY started_at, call_id;
DROP TABLE usage_records;
ALTER TABLE usage_records_v11 RENAME TO usage_records;
CREATE UNIQUE INDEX usage_records_by_start ON usage_records (started_at, call_id);
CREATE INDEX usage_records_by_profile ON usage_records (profile_id, started_at);
)sql";

constexpr std::array kMigrations = {
    Migration{1, kMigration1}, Migration{2, kMigration2}, Migration{3, kMigration3},
    Migration{4, kMigration4}, Migration{5, kMigration5}, Migration{6, kMigration6},
    Migration{7, kMigration7}, Migration{8, kMigration8}, Migration{9, kMigration9},
    Migration{10, kMigration10}, Migration{11, kMigration11},
};

constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER NOT NULL PRIMARY KEY, applied_at INTEGER NOT NULL)";

Error newerStoreError(std::string_view path, int found, int known) {
  return makeError(fmt::format(
      "store {} has schema version {}, newer than this costgate knows ({}); upgrade costgate to "
      "open it",
      path, found, known));
}

}  // namespace

std::span<const Migration> schemaMigrations() { return kMigrations; }

int latestSchemaVersion() { return kMigrations.back().version; }

Result<int> schemaVersion(sqlite::Database& db) {
  auto exists = db.prepare(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
      "read schema version");
  if (!exists) return makeError(exists.error());
  auto row = exists->step();
  if (!row) return makeError(row.error());
  if (!*row || exists->int64(0) == 0) return 0;

  auto max =
      db.prepare("SELECT ifnull(max(version), 0) FROM schema_migrations", "read schema version");
  if (!max) return makeError(max.error());
  row = max->step();
  if (!row) return makeError(row.error());
  return *row ? static_cast<int>(max->int64(0)) : 0;
}

Status migrate(sqlite::Database& db, std::string_view path, TimePoint now,
               std::span<const Migration> migrations) {
  const int known = migrations.empty() ? 0 : migrations.back().version;

  // The common case, an up-to-date store, needs no write lock.
  Result<int> version = schemaVersion(db);
  if (!version) return makeError(version.error());
  if (*version > known) return newerStoreError(path, *version, known);
  if (*version == known) return {};
  if (*version > 0) {
    spdlog::info("store {}: upgrading its schema from version {} to {} (on a large ledger this "
                 "rewrites it and may take minutes)",
                 path, *version, known);
  }

  for (const Migration& m : migrations) {
    std::string what = fmt::format("store {}: apply schema migration {}", path, m.version);
    auto txn = sqlite::WriteTransaction::begin(db, sqlite::WriteTransaction::Kind::kTopLevel, what);
    if (!txn) return makeError(txn.error());
    // Re-read under the write lock: another process may have migrated since the check above.
    version = schemaVersion(db);
    if (!version) return makeError(version.error());
    if (*version > known) return newerStoreError(path, *version, known);
    if (*version >= m.version) continue;  // already applied; the destructor ends the transaction

    if (Status st = db.exec(kCreateMigrationsTable, what); !st) return st;
    if (Status st = db.exec(m.sql, what); !st) return st;
    auto record =
        db.prepare("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)", what);
    if (!record) return makeError(record.error());
    record->bindInt64(1, m.version).bindInt64(2, now.time_since_epoch().count());
    if (Status st = record->run(); !st) return st;
    if (Status st = txn->commit(what); !st) return st;
  }
  return {};
}

}  // namespace costgate::store
