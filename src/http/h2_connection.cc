// The one translation unit that includes nghttp2: HTTP/2 framing, HPACK and flow control are
// nghttp2's; this file feeds it bytes (nghttp2_session_mem_recv), writes what it produces
// (nghttp2_session_mem_send) and maps streams to Requests and Responders.
//
// Three kinds of coroutine share one connection, all on its executor: the reader (run()), the
// writer (writeLoop()) and one handler per request stream. They meet through plain flags and
// timers used as wake-up signals (a timer cancelled wakes its waiter); no locks are needed.
//
// g++ 12: every co_await result goes to a named local; coroutine parameters are named values.

#include "http/h2_connection.h"

#include <fmt/format.h>
#include <nghttp2/nghttp2.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <cstring>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "http/server_state.h"

namespace costgate::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);
constexpr size_t kReadBytes = 16 * 1024;
// Frames gathered into one socket write.
constexpr size_t kWriteBatchBytes = 64 * 1024;
// Answer bytes one stream may hold beyond what flow control lets out; writeChunk() waits above
// this, so a client that does not read makes costgate hold at most this much per stream.
constexpr size_t kStreamBufferBytes = 64 * 1024;
constexpr uint32_t kMaxConcurrentStreams = 100;

// RFC 9113 §8.2.2: connection-specific fields must not appear in HTTP/2.
bool isHopByHop(std::string_view lower_name) {
  return lower_name == "connection" || lower_name == "keep-alive" ||
         lower_name == "proxy-connection" || lower_name == "transfer-encoding" ||
         lower_name == "upgrade" || lower_name == "te";
}

// A Content-Length value; nullopt when it is not a plain decimal number.
std::optional<uint64_t> parseLength(std::string_view s) {
  uint64_t value = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return value;
}

// Timers used as condition variables: a wait lasts until cancel().
void armSignal(asio::steady_timer& t) { t.expires_at(asio::steady_timer::time_point::max()); }

// One request stream and its answer.
struct H2Stream {
  H2Stream(int32_t stream_id, const asio::any_io_executor& ex)
      : id(stream_id), wake(ex), read_deadline(ex) {}

  int32_t id;
  Request request;
  std::string authority;
  // The size the request line and headers would have in HTTP/1.1, which is what the header
  // limit counts: "METHOD PATH HTTP/1.1\r\n", "name: value\r\n" each, the final "\r\n".
  size_t header_bytes = 14;
  bool headers_too_large = false;
  bool remote_ended = false;      // the client sent END_STREAM
  bool request_complete = false;  // handed to the handler
  bool rejected = false;          // answered by the server itself (413, 431) or reset
  // The answer: bytes not yet taken by nghttp2, and whether END_STREAM follows them.
  std::string out;
  size_t out_offset = 0;
  bool out_end = false;
  bool headers_sent = false;
  bool response_done = false;  // END_STREAM sent
  bool lost = false;           // reset, or the connection closed, before the answer ended
  asio::steady_timer wake;     // cancelled whenever the answer side moves
  asio::steady_timer read_deadline;

  size_t pending() const { return out.size() - out_offset; }
  void notify() { wake.cancel(); }
};

class H2ConnectionImpl final : public Http2Connection,
                               public std::enable_shared_from_this<H2ConnectionImpl> {
 public:
  H2ConnectionImpl(ServerState& state, tcp::socket socket, std::string remote)
      : state_(state),
        socket_(std::move(socket)),
        remote_(std::move(remote)),
        write_wake_(socket_.get_executor()),
        writer_done_signal_(socket_.get_executor()),
        idle_timer_(socket_.get_executor()) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, onBeginHeaders);
    nghttp2_session_callbacks_set_on_header_callback(cbs, onHeader);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, onFrameRecv);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, onDataChunk);
    nghttp2_session_callbacks_set_on_frame_send_callback(cbs, onFrameSend);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, onStreamClose);
    nghttp2_session_server_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
  }

  ~H2ConnectionImpl() override { nghttp2_session_del(session_); }

  // Http2Connection
  asio::awaitable<void> run(std::string_view already_read) override;
  void goAway() override;
  void close() override { closeNow(); }

  // For H2Responder.
  bool closed() const { return closed_; }
  void submitResponse(H2Stream& s, int status, const Headers& headers, std::string body, bool end);
  // More answer bytes (or the end) are there for nghttp2 to take.
  void resume(H2Stream& s) {
    if (closed_) return;
    nghttp2_session_resume_data(session_, s.id);
    kick();
  }
  void reset(H2Stream& s, uint32_t error_code) {
    if (closed_ || s.lost || s.response_done) return;
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, s.id, error_code);
    kick();
  }

 private:
  static asio::awaitable<void> writeLoop(std::shared_ptr<H2ConnectionImpl> self);
  static asio::awaitable<void> runHandler(std::shared_ptr<H2ConnectionImpl> self,
                                          std::shared_ptr<H2Stream> stream);

  // Hands received bytes to nghttp2; false on a fatal error (the connection then ends).
  bool feed(std::string_view data);
  void startReadyHandlers();
  void kick() { write_wake_.cancel(); }
  void closeNow();
  void armIdleTimer();
  void endOfHeaders(H2Stream& s);
  void requestComplete(H2Stream& s);
  void reject(H2Stream& s, int status, std::string_view type, std::string message);
  H2Stream* find(int32_t id) {
    return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session_, id));
  }

  // nghttp2 callbacks; user_data is the H2ConnectionImpl.
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t len, void* user);
  static int onFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user);
  static ssize_t readAnswer(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                            uint32_t* data_flags, nghttp2_data_source* source, void* user);

  ServerState& state_;
  tcp::socket socket_;
  std::string remote_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, std::shared_ptr<H2Stream>> streams_;  // open streams
  std::vector<std::shared_ptr<H2Stream>> ready_;  // complete requests whose handler is to start
  asio::steady_timer write_wake_;
  asio::steady_timer writer_done_signal_;
  asio::steady_timer idle_timer_;
  uint64_t idle_generation_ = 0;
  bool closed_ = false;
  bool writer_done_ = false;
};

// The Responder of one stream: HEADERS, then DATA as the handler writes, END_STREAM at the end.
class H2Responder final : public Responder {
 public:
  H2Responder(std::shared_ptr<H2ConnectionImpl> conn, std::shared_ptr<H2Stream> stream)
      : conn_(std::move(conn)), s_(std::move(stream)) {}

  // http::Responder
  asio::awaitable<void> send(Response r) override {
    answered_ = true;
    if (!clientConnected()) co_return;
    conn_->submitResponse(*s_, r.status, r.headers, std::move(r.body), true);
    co_await waitUntilDone();
  }

  asio::awaitable<bool> startStream(int status, Headers headers) override {
    answered_ = true;
    streaming_ = true;
    if (!clientConnected()) co_return false;
    conn_->submitResponse(*s_, status, headers, std::string(), false);
    co_return clientConnected();
  }

  asio::awaitable<bool> writeChunk(std::string_view data) override {
    if (!clientConnected() || data.empty()) co_return clientConnected();
    if (s_->out_offset > 0 && s_->out_offset >= s_->out.size() / 2) {
      s_->out.erase(0, s_->out_offset);
      s_->out_offset = 0;
    }
    s_->out.append(data);
    conn_->resume(*s_);
    // Flow control: wait while the client has not taken what is already queued.
    while (clientConnected() && s_->pending() > kStreamBufferBytes) {
      armSignal(s_->wake);
      auto [ec] = co_await s_->wake.async_wait(kNoThrow);
      (void)ec;
    }
    co_return clientConnected();
  }

  asio::awaitable<void> endStream() override {
    if (!clientConnected() || ended_) co_return;
    ended_ = true;
    s_->out_end = true;
    conn_->resume(*s_);
    co_await waitUntilDone();
  }

  bool clientConnected() const override { return !s_->lost && !conn_->closed(); }

  bool answered() const { return answered_; }
  bool unfinishedStream() const { return streaming_ && !ended_; }

  // Until what the handler wrote has gone out (or the stream was lost): RST_STREAM would
  // otherwise overtake it.
  asio::awaitable<void> flushWritten() {
    while (clientConnected() && !(s_->headers_sent && s_->pending() == 0)) {
      armSignal(s_->wake);
      auto [ec] = co_await s_->wake.async_wait(kNoThrow);
      (void)ec;
    }
  }

 private:
  // Until END_STREAM went out (or the stream was lost): a request is in flight until its whole
  // answer is handed to the socket, as with HTTP/1.1.
  asio::awaitable<void> waitUntilDone() {
    while (clientConnected() && !s_->response_done) {
      armSignal(s_->wake);
      auto [ec] = co_await s_->wake.async_wait(kNoThrow);
      (void)ec;
    }
  }

  std::shared_ptr<H2ConnectionImpl> conn_;
  std::shared_ptr<H2Stream> s_;
  bool answered_ = false;
  bool streaming_ = false;
  bool ended_ = false;
};

asio::awaitable<void> H2ConnectionImpl::run(std::string_view already_read) {
  auto self = shared_from_this();
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  armIdleTimer();
  if (state_.stopping) goAway();
  bool ok = feed(already_read);
  auto executor = socket_.get_executor();
  asio::co_spawn(executor, writeLoop(self), asio::detached);

  // Reads until the socket ends; after a fatal error or once nghttp2 wants nothing more, what
  // arrives is dropped while the writer finishes (it closes the socket).
  std::vector<char> buf(kReadBytes);
  while (!closed_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf), kNoThrow);
    if (ec) break;
    if (ok && nghttp2_session_want_read(session_)) ok = feed(std::string_view(buf.data(), n));
  }
  closeNow();
  while (!writer_done_) {
    armSignal(writer_done_signal_);
    auto [ec] = co_await writer_done_signal_.async_wait(kNoThrow);
    (void)ec;
  }
}

bool H2ConnectionImpl::feed(std::string_view data) {
  ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data.data()),
                                        data.size());
  if (rv < 0) {
    spdlog::debug("HTTP/2 from {}: {}", remote_, nghttp2_strerror(static_cast<int>(rv)));
    nghttp2_session_terminate_session(session_, NGHTTP2_PROTOCOL_ERROR);
  }
  startReadyHandlers();
  kick();
  return rv >= 0;
}

asio::awaitable<void> H2ConnectionImpl::writeLoop(std::shared_ptr<H2ConnectionImpl> self) {
  std::string out;
  while (!self->closed_) {
    out.clear();
    while (out.size() < kWriteBatchBytes) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(self->session_, &data);
      if (n <= 0) {
        if (n < 0) {
          spdlog::debug("HTTP/2 to {}: {}", self->remote_, nghttp2_strerror(static_cast<int>(n)));
          self->closeNow();
        }
        break;
      }
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (self->closed_) break;
    if (!out.empty()) {
      auto [ec, n] = co_await asio::async_write(self->socket_, asio::buffer(out), kNoThrow);
      if (ec) self->closeNow();
      continue;
    }
    if (!nghttp2_session_want_read(self->session_) && !nghttp2_session_want_write(self->session_)) {
      self->closeNow();  // GOAWAY sent and no stream left: nghttp2 is done with the connection
      break;
    }
    armSignal(self->write_wake_);
    auto [ec] = co_await self->write_wake_.async_wait(kNoThrow);
    (void)ec;
  }
  self->writer_done_ = true;
  self->writer_done_signal_.cancel();
}

void H2ConnectionImpl::startReadyHandlers() {
  std::vector<std::shared_ptr<H2Stream>> ready;
  ready.swap(ready_);
  auto executor = socket_.get_executor();
  for (std::shared_ptr<H2Stream>& stream : ready) {
    std::shared_ptr<H2ConnectionImpl> self = shared_from_this();
    asio::co_spawn(executor, runHandler(self, stream), asio::detached);
  }
}

asio::awaitable<void> H2ConnectionImpl::runHandler(std::shared_ptr<H2ConnectionImpl> self,
                                                   std::shared_ptr<H2Stream> stream) {
  ServerState& state = self->state_;
  H2Responder responder(self, stream);
  state.requestStarted();
  try {
    co_await state.handler(stream->request, responder);
  } catch (const std::exception& e) {
    spdlog::error("handler for {} {} failed: {}", stream->request.method, stream->request.path,
                  e.what());
  }
  if (!responder.answered()) {
    Response error = jsonError(500, "internal_error", "the request was not answered");
    co_await responder.send(std::move(error));
  } else if (responder.unfinishedStream()) {
    // A stream the handler left unfinished is reset after what it wrote: the client sees it
    // cut short.
    co_await responder.flushWritten();
    self->reset(*stream, NGHTTP2_INTERNAL_ERROR);
  }
  state.requestDone();
}

void H2ConnectionImpl::goAway() {
  if (closed_) return;
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  kick();
}

void H2ConnectionImpl::closeNow() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  for (auto& [id, s] : streams_) {
    if (!s->response_done) s->lost = true;
    s->notify();
    s->read_deadline.cancel();
  }
  idle_timer_.cancel();
  kick();
}

void H2ConnectionImpl::armIdleTimer() {
  uint64_t generation = ++idle_generation_;
  idle_timer_.expires_after(state_.opts.idle_timeout);
  std::weak_ptr<H2ConnectionImpl> weak = weak_from_this();
  idle_timer_.async_wait([weak, generation](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (ec || !self || self->closed_ || generation != self->idle_generation_) return;
    if (!self->streams_.empty()) return;
    nghttp2_session_terminate_session(self->session_, NGHTTP2_NO_ERROR);
    self->kick();
  });
}

void H2ConnectionImpl::submitResponse(H2Stream& s, int status, const Headers& headers,
                                      std::string body, bool end) {
  if (closed_ || s.lost || s.response_done) return;
  // nghttp2 copies names and values on submit; these only need to live until then.
  std::vector<std::string> names;
  std::vector<const std::string*> values;
  names.reserve(headers.items().size());
  values.reserve(headers.items().size());
  for (const auto& [name, value] : headers.items()) {
    std::string lower = toLowerAscii(name);
    if (isHopByHop(lower)) continue;
    // A whole answer's length is stated below; a stream's is not known.
    if (lower == "content-length") continue;
    names.push_back(std::move(lower));
    values.push_back(&value);
  }
  std::string status_text = std::to_string(status);
  std::string length_text = std::to_string(body.size());
  std::vector<nghttp2_nv> nva;
  nva.reserve(names.size() + 2);
  auto push = [&nva](std::string_view name, std::string_view value) {
    nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                   reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                   value.size(), NGHTTP2_NV_FLAG_NONE});
  };
  push(":status", status_text);
  for (size_t i = 0; i < names.size(); ++i) push(names[i], *values[i]);
  if (end) push("content-length", length_text);

  s.out = std::move(body);
  s.out_offset = 0;
  s.out_end = end;
  nghttp2_data_provider provider{};
  provider.source.ptr = &s;
  provider.read_callback = readAnswer;
  bool headers_only = end && s.out.empty();
  int rv = nghttp2_submit_response(session_, s.id, nva.data(), nva.size(),
                                   headers_only ? nullptr : &provider);
  if (rv != 0) {
    spdlog::warn("HTTP/2 answer to {} not sent: {}", remote_, nghttp2_strerror(rv));
    s.lost = true;
    s.notify();
  }
  kick();
}

ssize_t H2ConnectionImpl::readAnswer(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                     uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* s = static_cast<H2Stream*>(source->ptr);
  size_t n = std::min(length, s->pending());
  if (n > 0) std::memcpy(buf, s->out.data() + s->out_offset, n);
  s->out_offset += n;
  if (s->pending() == 0) {
    std::string().swap(s->out);
    s->out_offset = 0;
    if (s->out_end) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    } else if (n == 0) {
      return NGHTTP2_ERR_DEFERRED;  // resume() brings it back when the handler writes more
    }
  }
  if (n > 0) s->notify();
  return static_cast<ssize_t>(n);
}

int H2ConnectionImpl::onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2ConnectionImpl*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto stream = std::make_shared<H2Stream>(frame->hd.stream_id, self->socket_.get_executor());
  stream->request.remote_address = self->remote_;
  nghttp2_session_set_stream_user_data(self->session_, stream->id, stream.get());
  self->streams_[stream->id] = stream;
  ++self->idle_generation_;  // not idle while a stream is open
  self->idle_timer_.cancel();

  // A request must arrive whole within read_timeout, or its stream is reset.
  stream->read_deadline.expires_after(self->state_.opts.read_timeout);
  std::weak_ptr<H2ConnectionImpl> weak = self->weak_from_this();
  std::weak_ptr<H2Stream> weak_stream = stream;
  stream->read_deadline.async_wait([weak, weak_stream](const boost::system::error_code& ec) {
    auto conn = weak.lock();
    auto s = weak_stream.lock();
    if (ec || !conn || !s || conn->closed_ || s->request_complete || s->rejected) return;
    s->rejected = true;
    s->request = Request();
    nghttp2_submit_rst_stream(conn->session_, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_CANCEL);
    conn->kick();
  });
  return 0;
}

int H2ConnectionImpl::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                               size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                               void* user) {
  auto* self = static_cast<H2ConnectionImpl*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  H2Stream* s = self->find(frame->hd.stream_id);
  if (!s || s->headers_too_large) return 0;
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":method") {
    s->header_bytes += v.size();
    s->request.method = std::string(v);
  } else if (n == ":path") {
    s->header_bytes += v.size();
    s->request.target = std::string(v);
  } else if (n == ":authority") {
    s->header_bytes += 4 + v.size() + 4;  // as "host: …\r\n"
    s->authority = std::string(v);
  } else if (!n.starts_with(':')) {
    s->header_bytes += n.size() + v.size() + 4;
    s->request.headers.add(std::string(n), std::string(v));
  }
  if (s->header_bytes > self->state_.opts.max_header_bytes) {
    s->headers_too_large = true;
    s->request = Request();  // what is left of the block is counted no more, and not kept
  }
  return 0;
}

void H2ConnectionImpl::endOfHeaders(H2Stream& s) {
  const ServerOptions& opts = state_.opts;
  if (s.headers_too_large) {
    reject(s, 431, "request_header_fields_too_large",
           fmt::format("the request line and headers exceed {} bytes", opts.max_header_bytes));
    return;
  }
  Request& req = s.request;
  if (!s.authority.empty() && !req.headers.has("host")) {
    // SigV4 signs `host`: present :authority as the HTTP/1.1 header it stands for, first.
    Headers with_host;
    with_host.add("host", std::move(s.authority));
    for (const auto& [name, value] : req.headers.items()) with_host.add(name, value);
    req.headers = std::move(with_host);
  }
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  std::string_view length_text = req.headers.get("content-length");
  std::optional<uint64_t> length = parseLength(length_text);
  if (length && *length > opts.max_body_bytes) {
    reject(s, 413, "request_too_large",
           fmt::format("the request body has {} bytes; the limit is {}", *length,
                       opts.max_body_bytes));
  }
}

void H2ConnectionImpl::requestComplete(H2Stream& s) {
  if (s.rejected || s.request_complete) return;
  s.request_complete = true;
  s.read_deadline.cancel();
  auto it = streams_.find(s.id);
  if (it != streams_.end()) ready_.push_back(it->second);
}

void H2ConnectionImpl::reject(H2Stream& s, int status, std::string_view type, std::string message) {
  s.rejected = true;
  s.read_deadline.cancel();
  s.request = Request();
  Headers headers;
  headers.add("content-type", "application/json");
  submitResponse(s, status, headers, errorBody(type, message), true);
}

int H2ConnectionImpl::onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
  auto* self = static_cast<H2ConnectionImpl*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  H2Stream* s = self->find(frame->hd.stream_id);
  if (!s) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
    self->endOfHeaders(*s);
  }
  if (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) {
    s->remote_ended = true;
    self->requestComplete(*s);
  }
  return 0;
}

int H2ConnectionImpl::onDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                                  size_t len, void* user) {
  auto* self = static_cast<H2ConnectionImpl*>(user);
  H2Stream* s = self->find(stream_id);
  if (!s || s->rejected) return 0;
  size_t limit = self->state_.opts.max_body_bytes;
  if (s->request.body.size() + len > limit) {
    self->reject(*s, 413, "request_too_large",
                 fmt::format("the request body exceeds {} bytes", limit));
    return 0;
  }
  s->request.body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

int H2ConnectionImpl::onFrameSend(nghttp2_session* session, const nghttp2_frame* frame,
                                  void* user) {
  auto* self = static_cast<H2ConnectionImpl*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  H2Stream* s = self->find(frame->hd.stream_id);
  if (!s) return 0;
  if (frame->hd.type == NGHTTP2_HEADERS) {
    s->headers_sent = true;
    s->notify();
  }
  if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
  s->response_done = true;
  s->notify();
  // An answer sent before the request ended (413, 431): the client is told to stop sending
  // (RFC 9113 §8.1), and nothing more of it is read.
  if (!s->remote_ended) {
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, s->id, NGHTTP2_NO_ERROR);
  }
  return 0;
}

int H2ConnectionImpl::onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
  auto* self = static_cast<H2ConnectionImpl*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  H2Stream& s = *it->second;
  if (!s.response_done) s.lost = true;
  s.notify();
  s.read_deadline.cancel();
  self->streams_.erase(it);
  if (self->streams_.empty() && !self->closed_) self->armIdleTimer();
  return 0;
}

}  // namespace

std::shared_ptr<Http2Connection> Http2Connection::create(ServerState& state, tcp::socket socket,
                                                         std::string remote_address) {
  return std::make_shared<H2ConnectionImpl>(state, std::move(socket), std::move(remote_address));
}

}  // namespace costgate::http
