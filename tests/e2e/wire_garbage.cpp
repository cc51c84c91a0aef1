// A hostile sensor for the end-to-end wire test: it holds a valid key (so ZAP admits it) and
// sends malformed and mutated messages to a live correlator, then one valid batch, and prints
// how many messages of each kind it sent as `name count` lines. The test compares these counts
// with the correlator's metrics: every message must land in exactly one counter.
//
// Test code may use cppzmq directly: it stands in for a broken or malicious peer that the
// project's own transport would never produce.
#include <zmq.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "core/transport/wire.h"
#include "core/z85.h"

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
  uint64_t epoch = 1;
  std::map<std::string, int> sent;

  void send(const std::vector<std::string>& frames, const std::string& kind) {
    for (size_t i = 0; i < frames.size(); ++i) {
      zmq::message_t m(frames[i].data(), frames[i].size());
      sock.send(m, i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    ++sent[kind];
  }

  std::string header(MessageType type, uint64_t seq, uint32_t count, const std::string& id, const std::string& site) {
    Header h;
    h.type = type;
    h.epoch = epoch;
    h.seq = seq;
    h.count = count;
    h.sensor_id = id;
    h.site = site;
    return encode_header(h);
  }

  // Waits for an ack of `epoch` at or beyond `seq`.
  bool wait_ack(uint64_t seq, int ms) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{sock.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
      zmq::message_t m;
      while (sock.recv(m, zmq::recv_flags::dontwait)) {
        Header h;
        const bool more = m.more();
        if (!decode_header(m.to_string_view(), h) && h.type == MessageType::Ack && h.epoch == epoch && h.seq >= seq) {
          return true;
        }
        while (more) {
          zmq::message_t rest;
          if (!sock.recv(rest, zmq::recv_flags::none) || !rest.more()) break;
        }
      }
    }
    return false;
  }
};

const char* kEvent =
    R"({"@timestamp":"2026-11-20T08:00:00.000000Z","event.kind":"event","event.dataset":"flow","event.category":["network"],"source.ip":"10.0.0.1","source.port":22})";

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: wire_garbage ENDPOINT SERVER.pub CLIENT.key SENSOR SITE ITERATIONS\n");
    return 2;
  }
  const std::string endpoint = argv[1], id = argv[4], site = argv[5];
  const int iterations = std::atoi(argv[6]);
  Peer p;
  const std::string server_pub = read_key(argv[2]), client_sec = read_key(argv[3]);
  char client_pub[41];
  zmq_curve_public(client_pub, client_sec.c_str());
  p.sock.set(zmq::sockopt::curve_serverkey, server_pub);
  p.sock.set(zmq::sockopt::curve_publickey, std::string(client_pub));
  p.sock.set(zmq::sockopt::curve_secretkey, client_sec);
  p.sock.set(zmq::sockopt::linger, 2000);
  p.sock.set(zmq::sockopt::immediate, 1);
  p.sock.connect(endpoint);

  // Wait until the handshake is done: a valid batch comes back acknowledged.
  uint64_t seq = 0;
  bool ok = false;
  for (int i = 0; i < 50 && !ok; ++i) {
    // Blocks until the handshake completed (ZMQ_IMMEDIATE), so every attempt reaches the correlator.
    p.send({p.header(MessageType::Batch, seq, 1, id, site), kEvent}, "valid");
    ok = p.wait_ack(seq + 1, 200);
    seq += 1;
  }
  if (!ok) {
    std::fprintf(stderr, "wire_garbage: no ack from %s\n", endpoint.c_str());
    return 1;
  }

  // Hand-made malformed messages, one per reason.
  const std::string good = p.header(MessageType::Batch, seq, 1, id, site);
  p.send({good}, "frame_count");
  p.send({good, kEvent, kEvent}, "frame_count");
  p.send({"SOCW", kEvent}, "bad_header");
  p.send({std::string(good).replace(0, 4, "XXXX"), kEvent}, "bad_header");
  std::string v2 = good;
  v2[4] = 2;
  p.send({v2, kEvent}, "bad_version");
  std::string t9 = good;
  t9[5] = 9;
  p.send({t9, kEvent}, "bad_type");
  p.send({p.header(MessageType::Ack, seq, 0, id, site), ""}, "bad_type");
  p.send({p.header(MessageType::Batch, seq, 3, id, site), kEvent}, "count_mismatch");
  p.send({p.header(MessageType::Batch, seq, 1, "someone-else", site), kEvent}, "sensor_mismatch");
  p.send({p.header(MessageType::Batch, seq, 1, id, "other-site"), kEvent}, "site_mismatch");

  // A batch of bad events: each line refused by the decoder for its own reason.
  const std::vector<std::pair<std::string, std::string>> bad_events = {
      {"syntax", R"({"a":})"},
      {"truncated", R"({"@timestamp":"2026-11-20T08:00:00Z","event.kind":"ev)"},
      {"invalid_utf8", "{\"message\":\"\xC0\xAF\"}"},
      {"too_deep", [] {
         std::string s;
         for (int i = 0; i < 50; ++i) s += "{\"a\":";
         return s + "1" + std::string(50, '}');
       }()},
      {"not_object", "[1,2,3]"},
      {"wrong_type", R"({"@timestamp":"2026-11-20T08:00:00Z","event.kind":"event","event.dataset":"x","source.ip":"nope"})"},
      {"missing_field", R"({"event.kind":"event","event.dataset":"x","event.category":"network"})"},
      {"duplicate_key", R"({"a":1,"a":2})"},
      {"nested_array", R"({"a":[[1]]})"},
      {"bad_number", R"({"a":123456789012345678901234567890})"},
  };
  std::string payload;
  for (const auto& [reason, line] : bad_events) payload += line + "\n";
  p.send({p.header(MessageType::Batch, seq, static_cast<uint32_t>(bad_events.size()), id, site), payload},
         "bad_events_batch");
  seq += bad_events.size();

  // Random mutations of a valid two-frame batch: some stay valid, the rest must be refused.
  std::mt19937_64 rng(12345);
  for (int i = 0; i < iterations; ++i) {
    std::string h = p.header(MessageType::Batch, seq, 1, id, site);
    std::string body = kEvent;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::string& target = rng() % 2 ? h : body;
      if (target.empty()) continue;
      const size_t pos = rng() % target.size();
      switch (rng() % 3) {
        case 0: target[pos] = static_cast<char>(rng()); break;
        case 1: target.erase(pos, 1 + rng() % 4); break;
        case 2: target.insert(pos, 1, static_cast<char>(rng())); break;
      }
    }
    p.send({h, body}, "mutated");
    seq += 1;
  }

  // Finally a valid batch with a fresh epoch: acknowledged means the correlator is alive and
  // has processed everything before it (one connection delivers in order).
  p.epoch = 2;
  p.send({p.header(MessageType::Batch, 0, 1, id, site), kEvent}, "final_valid");
  if (!p.wait_ack(1, 10000)) {
    std::fprintf(stderr, "wire_garbage: the final valid batch was not acknowledged\n");
    return 1;
  }
  for (const auto& [kind, n] : p.sent) std::printf("%s %d\n", kind.c_str(), n);
  return 0;
}
