#pragma once
// Test support for the admin API: a snapshot with four profiles (two of tenant customer1, one of
// customer2, one without a TenantID tag) and an admin key and a key per tenant.

#include <memory>
#include <string>
#include <vector>

#include "gateway/snapshot.h"
#include "http/message.h"
#include "identity/api_key.h"

namespace costgate::admin {

struct TestTenancy {
  std::shared_ptr<gateway::Snapshot> snap = std::make_shared<gateway::Snapshot>();
  std::string admin_key, customer1_key, customer2_key, revoked_key;

  TestTenancy() {
    auto profile = [](std::string id, std::string name, std::string tenant) {
      profiles::Profile p;
      p.id = std::move(id);
      p.name = std::move(name);
      p.model_id = "m";
      p.region = "us-west-2";
      p.arn = "arn:aws:bedrock:us-west-2:000000000000:application-inference-profile/" + p.id;
      if (!tenant.empty()) p.tags.push_back({"TenantID", std::move(tenant)});
      p.tags.push_back({"ApplicationID", "app-" + p.name});
      return p;
    };
    snap->profiles = profiles::ProfileIndex({profile("c1web0000001", "c1_web", "customer1"),
                                             profile("c1code000002", "c1_code", "customer1"),
                                             profile("c2web0000003", "c2_web", "customer2"),
                                             profile("solo00000004", "solo", "")});
    const TimePoint now{};
    auto admin =
        identity::generateApiKey(identity::Role::kAdmin, "", {}, now, profiles::Origin::kCli);
    auto c1 =
        identity::generateApiKey(identity::Role::kTenant, "customer1",
                                 {"c1web0000001", "c1code000002"}, now, profiles::Origin::kCli);
    auto c2 = identity::generateApiKey(identity::Role::kTenant, "customer2", {"c2web0000003"}, now,
                                       profiles::Origin::kCli);
    auto revoked =
        identity::generateApiKey(identity::Role::kAdmin, "", {}, now, profiles::Origin::kCli);
    revoked.record.revoked_at = now;
    admin_key = admin.token;
    customer1_key = c1.token;
    customer2_key = c2.token;
    revoked_key = revoked.token;
    snap->keys = identity::KeyRing({admin.record, c1.record, c2.record, revoked.record});
    snap->key_count = 4;
  }

  static http::Request request(std::string query = "", std::string bearer = "") {
    http::Request r;
    r.method = "GET";
    r.path = "/api/v1/usage";
    r.query = std::move(query);
    r.target = r.path + (r.query.empty() ? "" : "?" + r.query);
    if (!bearer.empty()) r.headers.add("Authorization", "Bearer " + bearer);
    return r;
  }
};

}  // namespace costgate::admin
