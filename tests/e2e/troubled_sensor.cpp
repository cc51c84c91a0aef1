// A sensor in trouble, for the dashboards' end-to-end test: it holds a valid key and speaks the
// real wire format (core/transport/wire.h) to a live correlator, and shows in one short run
// what the dashboards and alerting rules must see when the path from a site goes wrong:
//   - events lost on the way: a batch numbered 50..59 after 0..10 (39 never arrive);
//   - the same batch again, as a resend after a reconnection does (10 repeated);
//   - events the decoder refuses inside an accepted batch (syntax, missing_field);
//   - a message claiming another site than its key's (site_mismatch);
//   - a heartbeat with a counter this correlator does not know.
// It prints `lost N`, `duplicate N`, `rejected_events N` and exits 0 once the last batch is
// acknowledged (so everything before it was processed).
//
// Test code may use cppzmq directly: it stands in for a link that loses and repeats messages,
// which the project's own sender would never do on purpose.
#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "core/transport/wire.h"

using namespace soc::transport;

namespace {

std::string read_key(const char* path) {
  std::ifstream in(path);
  std::string s;
  in >> s;
  return s;
}

struct Peer {
  zmq::context_t ctx{1};
  zmq::socket_t sock{ctx, zmq::socket_type::dealer};
  std::string id, site;
  // As the project's sender does: the start time in microseconds.
  uint64_t epoch = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());

  void send(MessageType type, uint64_t seq, uint32_t count, const std::string& payload,
            const std::string& claimed_site = "") {
    Header h;
    h.type = type;
    h.epoch = epoch;
    h.seq = seq;
    h.count = count;
    h.sensor_id = id;
    h.site = claimed_site.empty() ? site : claimed_site;
    const std::string header = encode_header(h);
    zmq::message_t hm(header.data(), header.size());
    sock.send(hm, zmq::send_flags::sndmore);
    zmq::message_t pm(payload.data(), payload.size());
    sock.send(pm, zmq::send_flags::none);
  }

  // Waits for an ack of this epoch at or beyond `seq`.
  bool wait_ack(uint64_t seq, int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{sock.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      zmq::message_t m;
      while (sock.recv(m, zmq::recv_flags::dontwait)) {
        Header h;
        const bool ack = !decode_header(m.to_string_view(), h) && h.type == MessageType::Ack && h.epoch == epoch;
        while (m.more()) {
          if (!sock.recv(m, zmq::recv_flags::none)) break;
        }
        if (ack && h.seq >= seq) return true;
      }
    }
    return false;
  }
};

std::string event(int i) {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                R"({"@timestamp":"2026-11-20T08:%02d:%02d.000000Z","event.kind":"event","event.dataset":"sshd",)"
                R"("event.category":["authentication"],"event.action":"ssh_login","event.outcome":"failure",)"
                R"("source.ip":"203.0.113.%d","user.name":"admin","message":"Failed password for admin"})",
                i / 60 % 60, i % 60, 1 + i % 250);
  return buf;
}

std::string batch(int first, int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += event(first + i) + (i + 1 < count ? "\n" : "");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: troubled_sensor ENDPOINT SERVER.pub CLIENT.key SENSOR SITE\n");
    return 2;
  }
  Peer p;
  p.id = argv[4];
  p.site = argv[5];
  const std::string server_pub = read_key(argv[2]), client_sec = read_key(argv[3]);
  char client_pub[41];
  zmq_curve_public(client_pub, client_sec.c_str());
  p.sock.set(zmq::sockopt::curve_serverkey, server_pub);
  p.sock.set(zmq::sockopt::curve_publickey, std::string(client_pub));
  p.sock.set(zmq::sockopt::curve_secretkey, client_sec);
  p.sock.set(zmq::sockopt::linger, 2000);
  p.sock.set(zmq::sockopt::immediate, 1);
  p.sock.connect(argv[1]);

  // The handshake: event 0 until it is acknowledged.
  bool ok = false;
  for (int i = 0; i < 50 && !ok; ++i) {
    p.send(MessageType::Batch, 0, 1, batch(0, 1));
    ok = p.wait_ack(1, 200);
  }
  if (!ok) {
    std::fprintf(stderr, "troubled_sensor: no ack from %s\n", argv[1]);
    return 1;
  }
  p.send(MessageType::Batch, 1, 10, batch(1, 10));
  // 11..49 are lost on the way.
  p.send(MessageType::Batch, 50, 10, batch(50, 10));
  // The same batch again.
  p.send(MessageType::Batch, 50, 10, batch(50, 10));
  // One good event, one that is not JSON, one without event.dataset.
  p.send(MessageType::Batch, 60, 3,
         event(60) + "\n" + R"({"@timestamp":"2026-11-20T08:01:01Z","event.kind":)" + "\n" +
             R"({"@timestamp":"2026-11-20T08:01:02.000000Z","event.kind":"event","event.category":["host"]})");
  // A message claiming another site than the key's.
  p.send(MessageType::Batch, 63, 1, batch(63, 1), "elsewhere");
  p.send(MessageType::Heartbeat, 63, 0,
         R"({"@timestamp":"2026-11-20T08:02:00.000000Z","event.kind":"metric","soc.sensor.version":"troubled-1",)"
         R"("soc.sensor.uptime_seconds":5,"soc.sensor.events_sent":63,"soc.sensor.events_acked":24,)"
         R"("soc.sensor.future_counter":1})");
  p.send(MessageType::Batch, 63, 1, batch(63, 1));
  if (!p.wait_ack(64, 10000)) {
    std::fprintf(stderr, "troubled_sensor: the last batch was not acknowledged\n");
    return 1;
  }
  std::printf("lost 39\nduplicate 10\nrejected_events 2\nrejected_messages 1\n");
  return 0;
}
