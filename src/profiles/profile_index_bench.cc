// Profile resolution on the request path, over 100,000 profiles tagged like the seed's.

#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "profiles/profile_index.h"

namespace costgate::profiles {
namespace {

constexpr int kProfiles = 100'000;

ProfileQuery query(std::string id_or_arn, std::string name, std::vector<Tag> tags) {
  ProfileQuery q;
  q.id_or_arn = std::move(id_or_arn);
  q.name = std::move(name);
  q.tags = std::move(tags);
  return q;
}
ProfileQuery idQuery(std::string id_or_arn) { return query(std::move(id_or_arn), "", {}); }
ProfileQuery nameQuery(std::string name) { return query("", std::move(name), {}); }
ProfileQuery tagsQuery(std::vector<Tag> tags) { return query("", "", std::move(tags)); }

std::string idOf(int i) {
  std::string digits = std::to_string(i);
  return "p" + std::string(11 - digits.size(), '0') + digits;
}

// Seven tags per profile, as in the seed: CreatedBy (3 values), ApplicationID (40), TenantID
// (one tenant per 2 profiles, each with another application), CustomerAccountID (per tenant),
// ModelProvider (4), ModelName (12), Environment (3).
std::vector<Tag> tagsOf(int i) {
  static const char* kCreators[] = {"costgate-setup", "costgate-cli", "terraform"};
  static const char* kProviders[] = {"Anthropic", "Amazon", "Meta", "Mistral"};
  static const char* kEnvironments[] = {"Dev", "Staging", "Prod"};
  const int tenant = i / 2;
  const std::string account = std::to_string(100'000'000'000LL + tenant);  // 12 digits
  return {
      {"CreatedBy", kCreators[i % 3]},
      {"ApplicationID", "app" + std::to_string((tenant * 3 + i % 2) % 40)},
      {"TenantID", "tenant" + std::to_string(tenant)},
      {"CustomerAccountID", account},
      {"ModelProvider", kProviders[i % 4]},
      {"ModelName", "model-" + std::to_string(i % 12)},
      {"Environment", kEnvironments[(i / 7) % 3]},
  };
}

Profile profileOf(int i) {
  Profile p;
  p.id = idOf(i);
  p.name = "tenant" + std::to_string(i / 2) + "_app" + std::to_string(i % 2);
  p.description = "benchmark profile";
  p.model_id = "anthropic.claude-3-haiku-20240307-v1:0";
  p.region = "us-west-2";
  p.arn = profileArn(p.region, "123456789012", p.id);
  p.tags = tagsOf(i);
  return p;
}

const ProfileIndex& index() {
  static const ProfileIndex* idx = [] {
    std::vector<Profile> ps;
    ps.reserve(kProfiles);
    for (int i = 0; i < kProfiles; ++i) ps.push_back(profileOf(i));
    return new ProfileIndex(std::move(ps));
  }();
  return *idx;
}

// Cycles through a spread of profiles so that one hot entry does not flatter the numbers.
constexpr int kQueries = 1024;
int target(int q) { return static_cast<int>((static_cast<long>(q) * 7919) % kProfiles); }

void run(benchmark::State& state, const std::vector<ProfileQuery>& queries,
         Resolution::Outcome expected, const ReachFn& reach = {}) {
  const ProfileIndex& idx = index();
  size_t q = 0;
  for (auto _ : state) {
    Resolution r = idx.resolve(queries[q], reach);
    if (r.outcome != expected) {
      state.SkipWithError(("unexpected outcome: " + r.message).c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
    q = (q + 1) % queries.size();
  }
}

void BM_ProfileResolveById(benchmark::State& state) {
  std::vector<ProfileQuery> qs;
  for (int q = 0; q < kQueries; ++q) qs.push_back(idQuery(idOf(target(q))));
  run(state, qs, Resolution::Outcome::kFound);
}
BENCHMARK(BM_ProfileResolveById);

void BM_ProfileResolveByName(benchmark::State& state) {
  std::vector<ProfileQuery> qs;
  for (int q = 0; q < kQueries; ++q) qs.push_back(nameQuery(profileOf(target(q)).name));
  run(state, qs, Resolution::Outcome::kFound);
}
BENCHMARK(BM_ProfileResolveByName);

void BM_ProfileResolveByArn(benchmark::State& state) {
  std::vector<ProfileQuery> qs;
  for (int q = 0; q < kQueries; ++q) qs.push_back(idQuery(profileOf(target(q)).arn));
  run(state, qs, Resolution::Outcome::kFound);
}
BENCHMARK(BM_ProfileResolveByArn);

// All seven tags of one profile.
void BM_ProfileResolveByFullTagSet(benchmark::State& state) {
  std::vector<ProfileQuery> qs;
  for (int q = 0; q < kQueries; ++q) qs.push_back(tagsQuery(tagsOf(target(q))));
  run(state, qs, Resolution::Outcome::kFound);
}
BENCHMARK(BM_ProfileResolveByFullTagSet);

// TenantID + ApplicationID: two tags that together name one profile. Keys in lower case, as
// HTTP/2 delivers them.
void BM_ProfileResolveByTenantAndApp(benchmark::State& state) {
  std::vector<ProfileQuery> qs;
  for (int q = 0; q < kQueries; ++q) {
    std::vector<Tag> all = tagsOf(target(q));
    qs.push_back(tagsQuery({{"tenantid", all[2].value}, {"applicationid", all[1].value}}));
  }
  run(state, qs, Resolution::Outcome::kFound);
}
BENCHMARK(BM_ProfileResolveByTenantAndApp);

// One common tag (a third of all profiles hold it), asked by an admin: ambiguous, and the
// index must stop after a few candidates instead of walking 33,000.
void BM_ProfileResolveAmbiguousCommonTag(benchmark::State& state) {
  std::vector<ProfileQuery> qs = {tagsQuery({{"Environment", "Prod"}})};
  run(state, qs, Resolution::Outcome::kAmbiguous);
}
BENCHMARK(BM_ProfileResolveAmbiguousCommonTag);

// Three common tags whose posting lists are each thousands long but whose intersection is
// empty: the index cannot stop early.
void BM_ProfileResolveCommonTagsNoMatch(benchmark::State& state) {
  std::vector<ProfileQuery> qs = {
      tagsQuery({{"Environment", "Prod"}, {"ApplicationID", "app7"}, {"ModelName", "nope"}}),
      tagsQuery({{"CreatedBy", "terraform"}, {"ModelProvider", "Meta"}, {"ModelName", "model-1"}})};
  run(state, qs, Resolution::Outcome::kNotFound);
}
BENCHMARK(BM_ProfileResolveCommonTagsNoMatch);

// A tenant key (two profiles) asking by a common tag that one of its profiles holds: the
// common case for a tenant that tags requests with its environment only.
void BM_ProfileResolveTenantKeyCommonTag(benchmark::State& state) {
  const ProfileIndex& idx = index();
  // Tenant 123 holds profiles 246 and 247; (246 / 7) % 3 == 2 (Prod), (247 / 7) % 3 == 2 too,
  // so ask for ApplicationID too, to leave exactly one.
  const Profile& mine = *idx.byId(idOf(246));
  auto reachable = std::make_shared<std::unordered_set<std::string>>(
      std::unordered_set<std::string>{idOf(246), idOf(247)});
  ReachFn reach = [reachable](const Profile& p) { return reachable->count(p.id) > 0; };
  std::vector<ProfileQuery> qs = {
      tagsQuery({{"Environment", "Prod"}, {"ApplicationID", mine.tags[1].value}})};
  run(state, qs, Resolution::Outcome::kFound, reach);
}
BENCHMARK(BM_ProfileResolveTenantKeyCommonTag);

// Building the index over 100,000 profiles (what a server does when profiles change); copying
// the input and freeing the index are not timed.
void BM_ProfileIndexBuild(benchmark::State& state) {
  std::vector<Profile> ps;
  ps.reserve(kProfiles);
  for (int i = 0; i < kProfiles; ++i) ps.push_back(profileOf(i));
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Profile> copy = ps;
    state.ResumeTiming();
    auto idx = std::make_unique<ProfileIndex>(std::move(copy));
    benchmark::DoNotOptimize(idx.get());
    state.PauseTiming();
    idx.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_ProfileIndexBuild)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace costgate::profiles
