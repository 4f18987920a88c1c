#include "http/sse.h"

#include <gtest/gtest.h>

namespace costgate::http {
namespace {

std::vector<SseEvent> feedAll(const std::vector<std::string>& pieces) {
  SseReader r;
  std::vector<SseEvent> out;
  for (const auto& p : pieces) r.feed(p, out);
  return out;
}

TEST(SseReaderTest, ReadsEventsSplitAnywhere) {
  std::string stream =
      "event: message_start\ndata: {\"a\":1}\n\n: a comment\nevent: ping\ndata: {}\n\n"
      "data: [DONE]\n\n";
  auto whole = feedAll({stream});
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0].event, "message_start");
  EXPECT_EQ(whole[0].data, "{\"a\":1}");
  EXPECT_EQ(whole[1].event, "ping");
  EXPECT_EQ(whole[2].event, "");
  EXPECT_EQ(whole[2].data, "[DONE]");
  // Every split point gives the same events.
  for (size_t i = 0; i <= stream.size(); ++i) {
    auto split = feedAll({stream.substr(0, i), stream.substr(i)});
    ASSERT_EQ(split.size(), 3u) << "split at " << i;
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(split[k].event, whole[k].event);
      EXPECT_EQ(split[k].data, whole[k].data);
    }
  }
}

TEST(SseReaderTest, JoinsDataLinesAndAcceptsEveryLineEnding) {
  auto events = feedAll({"data: one\r\ndata: two\r\n\r\n", "data:three\r\rdata: x\n", "\n"});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "one\ntwo");
  EXPECT_EQ(events[1].data, "three");
  EXPECT_EQ(events[2].data, "x");
}

TEST(SseReaderTest, HoldsAnUnfinishedEvent) {
  SseReader r;
  std::vector<SseEvent> out;
  r.feed("event: x\ndata: {\"partial", out);
  EXPECT_TRUE(out.empty());
  EXPECT_GT(r.pending(), 0u);
  r.feed("\":true}\n\n", out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].data, "{\"partial\":true}");
  EXPECT_EQ(r.pending(), 0u);
}

TEST(SseReaderTest, EventWithoutDataIsNotDispatched) {
  EXPECT_TRUE(feedAll({"event: lonely\n\n"}).empty());
}

}  // namespace
}  // namespace costgate::http
