#pragma once
// Runs an admin API answer on a worker pool, off the server's I/O threads (reports and metric
// queries may read the disk), and resumes the awaiting handler on its own executor with it.

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <utility>

#include "http/message.h"

namespace costgate::admin {

// `answer` is a callable returning http::Response; it runs on `pool` and must keep what it
// refers to alive until it returns (the awaiting coroutine does, by awaiting).
template <class Answer, class Token>
auto answerOnPool(boost::asio::thread_pool& pool, Answer answer, Token&& token) {
  namespace asio = boost::asio;
  return asio::async_initiate<Token, void(http::Response)>(
      [&pool](auto handler, Answer a) {
        auto ex = asio::get_associated_executor(handler);
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        asio::post(pool, [h, ex, a = std::move(a)]() mutable {
          http::Response r = a();
          asio::post(ex, [h, r = std::move(r)]() mutable { std::move (*h)(std::move(r)); });
        });
      },
      token, std::move(answer));
}

}  // namespace costgate::admin
