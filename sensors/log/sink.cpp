#include "sensors/log/sink.h"

#include <algorithm>
#include <cstdio>

#include "core/json_codec.h"

namespace soc::sensors::log {

Result<void> Sink::open(const transport::ConnectOptions& c, int64_t heartbeat_s, std::function<bool()> interrupted) {
  if (c.connect.empty()) return {};
  auto made = transport::sender_config(c, "with --connect");
  if (!made) return fail(made.error());
  transport::SenderConfig& sc = *made;
  sc.fail_on_refusal = false;  // a daemon keeps trying; refusals are logged by the sender
  sc.heartbeat_interval = std::chrono::seconds(heartbeat_s);
  sc.interrupted = std::move(interrupted);
  auto sender = transport::Sender::connect(sc);
  if (!sender) return fail(sender.error().code == "usage" ? "usage" : "config", sender.error().message);
  sender_ = std::move(*sender);
  wake_fds_ = sender_->wait_fds();
  return {};
}

Result<void> Sink::put(const Event& e) {
  line_.clear();
  encode_event(e, line_);
  if (sender_) return sender_->send(line_);
  out_ += line_;
  out_.push_back('\n');
  if (out_.size() >= (1 << 16)) flush_stdout();
  return {};
}

Result<void> Sink::service() {
  flush_stdout();
  if (!sender_) return {};
  return sender_->poll(std::chrono::milliseconds(0));
}

int Sink::wait_ms(int max_ms) {
  if (!sender_ || max_ms == 0) return max_ms;
  const auto left = sender_->next_deadline() - std::chrono::steady_clock::now();
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, max_ms));
}

Result<void> Sink::finish(std::chrono::milliseconds timeout) {
  flush_stdout();
  if (!sender_) return {};
  return sender_->drain(timeout);
}

void Sink::flush_stdout() {
  if (out_.empty()) return;
  std::fwrite(out_.data(), 1, out_.size(), stdout);
  std::fflush(stdout);
  out_.clear();
}

}  // namespace soc::sensors::log
