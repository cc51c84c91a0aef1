// transport_loop: the transport alone, without JSON decoding, for bench/transport_bench.sh.
//
// The same processes and sockets as soc-correlator and socctl send (the project's Sender and
// Receiver, CURVE with a ZAP allowlist, batches, sequence accounting, an acknowledgement per
// batch), but the receiving side only counts the lines of each batch instead of decoding them,
// and the sending side hands over pre-read lines without validating them. The difference between
// this and zmq_bare is the cost of the transport's protocol; the difference between this and
// `socctl send` into `soc-correlator` is the cost of checking and decoding events at both ends.
//
//   transport_loop --file events.jsonl [--repeat K] [--batch N] [--insecure]
//
// Prints one JSON line: events, bytes, seconds (first send to last acknowledgement), rates, and
// the CPU seconds of both processes.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "core/allocator.h"
#include "core/transport/keys.h"
#include "core/transport/receiver.h"
#include "core/transport/sender.h"
#include "core/transport/sequence.h"
#include "core/transport/wire.h"

using namespace soc;
using Clock = std::chrono::steady_clock;

namespace {
double cpu_seconds(int who) {
  rusage ru{};
  getrusage(who, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
}  // namespace

int main(int argc, char** argv) {
  std::string file;
  size_t repeat = 1, batch = 512;
  bool insecure = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--file" && i + 1 < argc) file = argv[++i];
    else if (a == "--repeat" && i + 1 < argc) repeat = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--batch" && i + 1 < argc) batch = std::strtoul(argv[++i], nullptr, 10);
    else if (a == "--insecure") insecure = true;
    else {
      std::fprintf(stderr, "usage: transport_loop --file F [--repeat K] [--batch N] [--insecure]\n");
      return 2;
    }
  }
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    std::string l;
    while (std::getline(in, l)) {
      if (!l.empty()) lines.push_back(l);
    }
  }
  if (lines.empty()) {
    std::fprintf(stderr, "transport_loop: no lines in %s\n", file.c_str());
    return 2;
  }
  uint64_t bytes_per_pass = 0;
  for (const auto& l : lines) bytes_per_pass += l.size() + 1;
  const uint64_t total = lines.size() * repeat;
  tune_allocator_for_messages();

  auto server = transport::generate_key_pair();
  auto client = transport::generate_key_pair();
  if (!server || !client) return 1;
  // Find a free port by binding the receiver in the child to port 0 is not possible across the
  // fork: use a fixed port derived from the pid.
  const int port = 20000 + getpid() % 20000;
  const std::string endpoint = fmt::format("tcp://127.0.0.1:{}", port);
  int ready[2];
  if (pipe(ready) != 0) return 1;

  const pid_t child = fork();
  if (child == 0) {
    close(ready[0]);
    transport::ReceiverConfig rc;
    rc.endpoint = endpoint;
    rc.insecure = insecure;
    rc.server_secret_key = server->secret_key;
    config::SensorBinding b;
    b.id = "bench1";
    b.site = "lab";
    b.public_key = client->public_key;
    b.public_key_z85 = z85_encode_key(client->public_key);
    rc.allowlist.push_back(b);
    uint64_t rejected = 0;
    auto rx = transport::Receiver::bind(rc, [&](std::string_view, std::string_view) { ++rejected; });
    if (!rx) {
      std::fprintf(stderr, "transport_loop: %s\n", rx.error().message.c_str());
      _exit(1);
    }
    (void)!write(ready[1], "x", 1);
    transport::SequenceTracker seq;
    transport::Delivery d;
    uint64_t events = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(300);
    while (events < total && Clock::now() < deadline) {
      if (!(*rx)->next(d, std::chrono::milliseconds(200))) continue;
      if (d.header.type != transport::MessageType::Batch) continue;
      const size_t n = transport::for_each_line(d.payload, [](std::string_view) {});
      if (n != d.header.count) {
        ++rejected;
        continue;
      }
      const auto v = seq.on_batch(d.header.epoch, d.header.seq, d.header.count);
      events += v.accept_to - v.accept_from;
      (*rx)->ack(d, v.ack, d.header.count);
    }
    // Linger for the last acknowledgement to leave.
    transport::Delivery extra;
    (*rx)->next(extra, std::chrono::milliseconds(300));
    std::fprintf(stderr, "receiver: %llu events, %llu refused, %.3f CPU s\n", static_cast<unsigned long long>(events),
                 static_cast<unsigned long long>(rejected), cpu_seconds(RUSAGE_SELF));
    _exit(events == total ? 0 : 1);
  }
  close(ready[1]);
  char c;
  if (read(ready[0], &c, 1) != 1) return 1;

  transport::SenderConfig sc;
  sc.endpoint = endpoint;
  sc.insecure = insecure;
  sc.server_public_key = server->public_key;
  sc.secret_key = client->secret_key;
  sc.sensor_id = "bench1";
  sc.site = "lab";
  sc.batch_max_events = batch;
  sc.stall_timeout = std::chrono::seconds(60);
  auto tx = transport::Sender::connect(sc);
  if (!tx) {
    std::fprintf(stderr, "transport_loop: %s\n", tx.error().message.c_str());
    return 1;
  }
  const auto start = Clock::now();
  for (size_t r = 0; r < repeat; ++r) {
    for (const auto& l : lines) {
      if (auto res = (*tx)->send(l); !res) {
        std::fprintf(stderr, "transport_loop: %s\n", res.error().message.c_str());
        return 1;
      }
    }
  }
  if (auto res = (*tx)->drain(std::chrono::seconds(120)); !res) {
    std::fprintf(stderr, "transport_loop: %s\n", res.error().message.c_str());
    return 1;
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const double sender_cpu = cpu_seconds(RUSAGE_SELF);
  int status = 0;
  waitpid(child, &status, 0);
  const double receiver_cpu = cpu_seconds(RUSAGE_CHILDREN);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "transport_loop: the receiver failed\n");
    return 1;
  }
  const double bytes = static_cast<double>(bytes_per_pass * repeat);
  std::printf(
      "{\"mode\":\"transport\",\"curve\":%s,\"batch\":%zu,\"events\":%llu,\"bytes\":%.0f,\"seconds\":%.4f,"
      "\"events_per_s\":%.0f,\"mb_per_s\":%.1f,\"cpu_sender_s\":%.3f,\"cpu_receiver_s\":%.3f}\n",
      insecure ? "false" : "true", batch, static_cast<unsigned long long>(total), bytes, secs,
      static_cast<double>(total) / secs, bytes / secs / 1e6, sender_cpu, receiver_cpu);
  return 0;
}
