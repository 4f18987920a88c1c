// `costgate profiles list|show|create|delete|tag|untag`.

#include <fmt/format.h>

#include <algorithm>

#include "cli/bedrock_mirror.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/output.h"
#include "common/strings.h"
#include "pricing/price_table.h"
#include "profiles/profile_index.h"
#include "profiles/tags.h"

namespace costgate::cli {

namespace json = boost::json;
using profiles::Profile;

namespace {

struct ProfilesOptions : CommonOptions {
  std::string ref;  // id, ARN or name
  std::string name, model, description, tier, provider, region;
  std::vector<std::string> tags;  // K=V, or keys for untag
};

const Profile* findOrReport(const Workspace& s, std::string_view ref, int& code) {
  const Profile* p = findProfileRef(s.profiles, ref);
  if (!p) {
    printError(fmt::format("no profile has the id, ARN or name {}", jsonQuote(ref)));
    code = kExitBadInput;
  }
  return p;
}

// The rules a profile must keep among the others; a message, or "".
std::string checkAgainstOthers(const Profile& p, const std::vector<Profile>& all) {
  if (auto dup = profiles::firstDuplicateKey(p.tags)) {
    return fmt::format("tag key {} is given twice (keys are matched case-insensitively)",
                       jsonQuote(p.tags[*dup].key));
  }
  for (const Profile& other : all) {
    if (other.id == p.id) continue;
    if (other.name == p.name) return fmt::format("a profile named {} exists", jsonQuote(p.name));
    if (!p.tags.empty() && profiles::sameTagSet(p.tags, other.tags)) {
      return fmt::format("profile {} has the same tags, so tags could not tell them apart",
                         jsonQuote(other.name));
    }
  }
  return "";
}

int list(const ProfilesOptions& o) {
  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  if (o.json) {
    json::array a;
    for (const auto& p : s.profiles) a.push_back(profileJson(p));
    printJson(json::object{{"profiles", std::move(a)}});
    return kExitOk;
  }
  Table t({"ID", "NAME", "MODEL", "REGION", "TIER", "ORIGIN", "TAGS"});
  for (const auto& p : s.profiles) {
    t.add({p.id, p.name, p.model_id, p.region, p.tier.empty() ? "-" : p.tier,
           profiles::originName(p.origin), tagsText(p.tags)});
  }
  if (t.empty()) {
    fmt::print("no profiles (run `costgate setup` or `costgate profiles create`)\n");
  } else {
    fmt::print("{}", t.render());
  }
  return kExitOk;
}

void printProfile(const Profile& p, bool as_json) {
  if (as_json) {
    printJson(profileJson(p));
    return;
  }
  fmt::print("id:          {}\narn:         {}\nname:        {}\ndescription: {}\nmodel:       {}\n"
             "region:      {}\ntier:        {}\nprovider:    {}\norigin:      {}\ncreated:     {}\n"
             "tags:        {}\n",
             p.id, p.arn, p.name, p.description, p.model_id, p.region,
             p.tier.empty() ? "-" : p.tier, p.provider.empty() ? "(default)" : p.provider,
             profiles::originName(p.origin), formatIso8601(p.created_at), tagsText(p.tags));
  if (!p.bedrock_arn.empty()) fmt::print("bedrock arn: {}\n", p.bedrock_arn);
}

int show(const ProfilesOptions& o) {
  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  const Profile* p = findOrReport(s, o.ref, code);
  if (!p) return code;
  printProfile(*p, o.json);
  return kExitOk;
}

int create(const ProfilesOptions& o) {
  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  Profile p;
  p.name = o.name;
  p.model_id = o.model;
  p.description = o.description;
  p.tier = o.tier;
  p.provider = o.provider;
  p.region = o.region.empty() ? s.cfg.aws_region : o.region;
  std::vector<std::string> problems;
  if (auto e = profiles::checkProfileName(p.name)) problems.push_back("--name: " + *e);
  if (!p.provider.empty() && std::find(std::begin(config::kProviders),
                                       std::end(config::kProviders),
                                       p.provider) == std::end(config::kProviders)) {
    problems.push_back(fmt::format("--provider: unknown provider {}", jsonQuote(p.provider)));
  }
  for (const auto& t : o.tags) {
    auto tag = profiles::parseTagAssignment(t);
    if (!tag) {
      problems.push_back("--tag: " + tag.error());
    } else {
      p.tags.push_back(*tag);
    }
  }
  auto prices = s.store->listPrices();
  if (!prices) {
    printError(prices.error());
    return kExitFailure;
  }
  auto table = pricing::PriceTable::build(std::move(*prices));
  const pricing::ModelPrice* price = table ? table->latest(p.region, p.model_id) : nullptr;
  if (table && !price) {
    problems.push_back(fmt::format("--model: model {} has no price in region {}; a call would "
                                   "be priced at nothing (`costgate prices show` lists prices)",
                                   jsonQuote(p.model_id), jsonQuote(p.region)));
  } else if (price && price->kind == pricing::ModelKind::kImage) {
    problems.push_back(fmt::format("--model: model {} is priced per image, and the gateway "
                                   "serves text conversations only",
                                   jsonQuote(p.model_id)));
  }
  p.id = profiles::newProfileId();
  while (findProfileRef(s.profiles, p.id)) p.id = profiles::newProfileId();
  if (auto e = checkAgainstOthers(p, s.profiles); !e.empty()) problems.push_back(e);
  if (!problems.empty()) {
    for (const auto& e : problems) printError(e);
    return kExitBadInput;
  }
  p.arn = profiles::profileArn(p.region, s.cfg.aws_account_id, p.id);
  p.created_at = SystemClock::instance().now();
  p.origin = profiles::Origin::kCli;
  if (auto st = s.store->insertProfile(p); !st) {
    printError(st.error());
    return kExitFailure;
  }
  if (!o.json) fmt::print("created profile {}\n", p.name);
  printProfile(p, o.json);
  return kExitOk;
}

int remove(const ProfilesOptions& o) {
  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  const Profile* p = findOrReport(s, o.ref, code);
  if (!p) return code;
  if (!p->bedrock_arn.empty()) {
    auto mirror = ProfileMirror::open(s.cfg);
    Status done = mirror ? (*mirror)->remove(*p) : Status(makeError(mirror.error()));
    if (!done) {
      printError(
          fmt::format("profile {}: its mirror in Bedrock could not be deleted, nothing "
                      "was changed: {}",
                      p->name, done.error()));
      return kExitFailure;
    }
  }
  if (auto st = s.store->deleteProfile(p->id); !st) {
    printError(st.error());
    return kExitFailure;
  }
  if (o.json) {
    printJson(json::object{{"deleted", p->id}, {"name", p->name}});
  } else {
    fmt::print("deleted profile {} (id {}); its recorded usage is kept\n", p->name, p->id);
    if (p->origin == profiles::Origin::kSetup) {
      fmt::print("note: setup made this profile; the next `costgate setup` recreates it unless "
                 "it is removed from {}\n",
                 o.config_path);
    }
  }
  return kExitOk;
}

int retag(const ProfilesOptions& o, bool add) {
  int code = kExitOk;
  auto ws = openWorkspace(o.config_path, code);
  if (!ws) return code;
  Workspace& s = *ws;
  const Profile* found = findOrReport(s, o.ref, code);
  if (!found) return code;
  Profile p = *found;
  for (const auto& arg : o.tags) {
    if (add) {
      auto tag = profiles::parseTagAssignment(arg);
      if (!tag) {
        printError(tag.error());
        return kExitBadInput;
      }
      auto it = std::find_if(p.tags.begin(), p.tags.end(),
                             [&](const auto& t) { return equalsIgnoreCase(t.key, tag->key); });
      if (it != p.tags.end()) {
        *it = *tag;
      } else {
        p.tags.push_back(*tag);
      }
    } else {
      auto it = std::find_if(p.tags.begin(), p.tags.end(),
                             [&](const auto& t) { return equalsIgnoreCase(t.key, arg); });
      if (it == p.tags.end()) {
        printError(fmt::format("profile {} has no tag {}", p.name, jsonQuote(arg)));
        return kExitBadInput;
      }
      p.tags.erase(it);
    }
  }
  if (auto e = checkAgainstOthers(p, s.profiles); !e.empty()) {
    printError(e);
    return kExitBadInput;
  }
  // A mirrored profile's tags change in Bedrock first, so that the store never claims tags the
  // mirror lacks.
  if (!p.bedrock_arn.empty() && !diffTags(found->tags, p.tags).empty()) {
    auto mirror = ProfileMirror::open(s.cfg);
    Status done = mirror ? (*mirror)->retag(p, found->tags) : Status(makeError(mirror.error()));
    if (!done) {
      printError(fmt::format("profile {}: Bedrock refused the tag change, nothing was changed: {}",
                             p.name, done.error()));
      return kExitFailure;
    }
  }
  if (auto st = s.store->updateProfile(p); !st) {
    printError(st.error());
    return kExitFailure;
  }
  printProfile(p, o.json);
  return kExitOk;
}

}  // namespace

void addProfilesCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ProfilesOptions>();
  CLI::App* cmd = app.add_subcommand("profiles", "List, show, create, delete and tag profiles");
  cmd->require_subcommand(1);

  CLI::App* list_cmd = cmd->add_subcommand("list", "List every profile");
  addCommonOptions(*list_cmd, *o);
  list_cmd->callback([o, &exit_code] { exit_code = list(*o); });

  CLI::App* show_cmd = cmd->add_subcommand("show", "Show one profile");
  addCommonOptions(*show_cmd, *o);
  show_cmd->add_option("profile", o->ref, "id, ARN or name")->required();
  show_cmd->callback([o, &exit_code] { exit_code = show(*o); });

  CLI::App* create_cmd = cmd->add_subcommand(
      "create", "Create a profile outside the config (setup leaves it alone)");
  addCommonOptions(*create_cmd, *o);
  create_cmd->add_option("--name", o->name, "unique name (letters, digits, _ - .)")->required();
  create_cmd->add_option("--model", o->model, "model id the profile uses; must be priced")
      ->required();
  create_cmd->add_option("--description", o->description, "free text");
  create_cmd->add_option("--tag", o->tags, "tag KEY=VALUE (repeatable)");
  create_cmd->add_option("--tier", o->tier, "tier name");
  create_cmd->add_option("--provider", o->provider, "upstream: sim, bedrock, openai, anthropic");
  create_cmd->add_option("--region", o->region, "region (default: the config's aws_region)");
  create_cmd->callback([o, &exit_code] { exit_code = create(*o); });

  CLI::App* delete_cmd = cmd->add_subcommand("delete", "Delete a profile (usage is kept)");
  addCommonOptions(*delete_cmd, *o);
  delete_cmd->add_option("profile", o->ref, "id, ARN or name")->required();
  delete_cmd->callback([o, &exit_code] { exit_code = remove(*o); });

  CLI::App* tag_cmd = cmd->add_subcommand("tag", "Add or change tags of a profile");
  addCommonOptions(*tag_cmd, *o);
  tag_cmd->add_option("profile", o->ref, "id, ARN or name")->required();
  tag_cmd->add_option("tags", o->tags, "KEY=VALUE ...")->required();
  tag_cmd->callback([o, &exit_code] { exit_code = retag(*o, true); });

  CLI::App* untag_cmd = cmd->add_subcommand("untag", "Remove tags from a profile");
  addCommonOptions(*untag_cmd, *o);
  untag_cmd->add_option("profile", o->ref, "id, ARN or name")->required();
  untag_cmd->add_option("keys", o->tags, "KEY ...")->required();
  untag_cmd->callback([o, &exit_code] { exit_code = retag(*o, false); });
}

}  // namespace costgate::cli
