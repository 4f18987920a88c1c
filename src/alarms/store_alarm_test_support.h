#pragma once
// Test support for alarms over a real metric store: an in-memory store whose clock reads
// 2026-11-27T05:20:00Z, points added by profile, and exact USD amounts.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "alarms/alarm_test_support.h"
#include "common/money.h"
#include "metrics/store.h"

namespace costgate::alarms::testing {

inline metrics::Fixed usd(const char* text) { return Money::parse(text)->raw(); }

class StoreAlarmTest : public ::testing::Test {
 protected:
  StoreAlarmTest() : clock_(at("2026-11-27T05:20:00Z")) {
    auto s = metrics::Store::open({}, clock_);
    EXPECT_TRUE(s) << s.error();
    store_ = std::move(*s);
  }
  // A point of `metric` for (InferenceProfile=profile, TenantID=tenant) at `iso`.
  void add(const std::string& metric, const std::string& profile, const char* iso,
           metrics::Fixed v, const std::string& tenant = "acme") {
    metrics::SeriesKey key{metric, {{"InferenceProfile", profile}, {"TenantID", tenant}}};
    ASSERT_TRUE(store_->add(key, at(iso), v));
  }

  FakeClock clock_;
  std::unique_ptr<metrics::Store> store_;
};

}  // namespace costgate::alarms::testing
