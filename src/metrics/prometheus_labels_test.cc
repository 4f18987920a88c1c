// Tag keys as Prometheus label names: the snake_case rule and the errors of labelDimensions().

#include "metrics/prometheus_labels.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace costgate::metrics {
namespace {

TEST(PrometheusLabelsTest, TagKeysBecomeSnakeCase) {
  EXPECT_EQ(labelNameOf("TenantID"), "tenant_id");
  EXPECT_EQ(labelNameOf("ApplicationID"), "application_id");
  EXPECT_EQ(labelNameOf("CustomerAccountID"), "customer_account_id");
  EXPECT_EQ(labelNameOf("CreatedBy"), "created_by");
  EXPECT_EQ(labelNameOf("HTTPStatus"), "http_status");
  EXPECT_EQ(labelNameOf("env2Name"), "env2_name");
  EXPECT_EQ(labelNameOf("Environment"), "environment");
  EXPECT_EQ(labelNameOf("tenant_id"), "tenant_id");
  EXPECT_EQ(labelNameOf("cost-center"), "cost_center");
  EXPECT_EQ(labelNameOf("team.name / owner"), "team_name_owner");
  EXPECT_EQ(labelNameOf("__Weird__Key__"), "weird_key");
  EXPECT_EQ(labelNameOf("2FA"), "tag_2_fa");
  EXPECT_EQ(labelNameOf("2fa"), "tag_2fa");
  EXPECT_EQ(labelNameOf("\xc3\x9c"
                        "n"
                        "\xc3\xaf"
                        "code"),
            "n_code");  // "Ünïcode": non-ASCII
  EXPECT_EQ(labelNameOf("ABC"), "abc");
  EXPECT_EQ(labelNameOf("!!"), "");
  EXPECT_EQ(labelNameOf(""), "");
}

TEST(PrometheusLabelsTest, DimensionsKeepTheOrderGivenAndCountARepeatedKeyOnce) {
  auto dims = labelDimensions({"TenantID", "ApplicationID", "tenantid", "CustomerAccountID"});
  ASSERT_TRUE(dims) << dims.error();
  EXPECT_EQ(*dims, (std::vector<LabelDimension>{{"TenantID", "tenant_id"},
                                                {"ApplicationID", "application_id"},
                                                {"CustomerAccountID", "customer_account_id"}}));
  auto none = labelDimensions({});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(PrometheusLabelsTest, ACollisionNamesBothKeys) {
  auto dims = labelDimensions({"TenantID", "Environment", "tenant-id"});
  ASSERT_FALSE(dims);
  EXPECT_EQ(dims.error(),
            "tag keys \"TenantID\" and \"tenant-id\" would both be the label \"tenant_id\"");
}

TEST(PrometheusLabelsTest, OwnLabelsAndEmptyLabelsAreRefused) {
  auto reserved = labelDimensions({"TenantID", "Profile"});
  ASSERT_FALSE(reserved);
  EXPECT_EQ(reserved.error(),
            "tag key \"Profile\" would be the label \"profile\", which costgate's own series "
            "already carry");
  for (const char* own : {"Status", "KIND", "ErrorType", "le", "Version"}) {
    EXPECT_FALSE(labelDimensions({own})) << own;
  }
  auto empty = labelDimensions({"--"});
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error(),
            "tag key \"--\" cannot be a Prometheus label: it has no ASCII letter or digit");
}

}  // namespace
}  // namespace costgate::metrics
