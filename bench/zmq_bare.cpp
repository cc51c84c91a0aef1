// zmq_bare: the floor for the transport benchmark (bench/transport_bench.sh).
//
// A bare cppzmq PUSH/PULL carrying the same bytes as our transport: the lines of a JSON-lines
// file, one line per message (--batch 1) or N lines joined by '\n' per message (--batch N, the
// payload framing of our batches). No header frame, no decoding, no acknowledgements: whatever
// our transport does beyond this is its overhead.
//
// The process forks: the child is the receiver (PULL, binds tcp://127.0.0.1, CURVE server with
// --curve), the parent the sender (PUSH, connects, CURVE client). Each has its own context with
// one I/O thread; send and receive HWM are 1000, as in the ZeroMQ bus baseline (perf-baselines,
// section 2). The receiver knows how many messages to expect, times from the first to the last
// message and prints one JSON line to stdout. Both sides give up after --timeout seconds
// (default 120). The line also gives the CPU time both processes used for the transfer (all
// their threads: sender from socket creation to context termination, receiver from bind to the
// last message), a figure less sensitive than the rate to other load on the machine.
//
//   zmq_bare --file events.jsonl [--curve] [--batch N] [--repeat K] [--port P] [--timeout S]
//            [--tune-malloc]
//
// --tune-malloc raises glibc's trim and mmap thresholds (M_TRIM_THRESHOLD 64 MiB,
// M_MMAP_THRESHOLD 4 MiB) before the fork. Without it, messages of ~100 KB (512 events) make
// glibc give memory back to the kernel and fault it in again on every message: on the 2-vCPU
// VM this costs several times the CURVE work itself.
//
// Exit status: 0 on success, 1 on a run-time failure (timeout, a side died), 2 on bad usage.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>
#include <zmq.hpp>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string file;
  bool curve = false;
  size_t batch = 1;
  size_t repeat = 1;
  unsigned port = 0;  // 0: an ephemeral port chosen by the kernel
  int timeout_s = 120;
  bool tune_malloc = false;
};

struct Keys {
  char server_public[41]{};
  char server_secret[41]{};
  char client_public[41]{};
  char client_secret[41]{};
};

// The messages of one pass over the file; the sender sends them `repeat` times.
struct Workload {
  std::vector<std::string> messages;
  uint64_t lines = 0;          // events in one pass
  uint64_t message_bytes = 0;  // payload bytes of one pass
};

[[noreturn]] void usage(const char* why) {
  fmt::print(stderr, "zmq_bare: {}\n", why);
  fmt::print(stderr,
             "usage: zmq_bare --file FILE.jsonl [--curve] [--batch N] [--repeat K] [--port P] "
             "[--timeout SECONDS] [--tune-malloc]\n");
  std::exit(2);
}

bool parse_uint(const char* s, unsigned long long max, unsigned long long& out) {
  if (s == nullptr || *s == '\0') return false;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v > max || s[0] == '-') return false;
  out = v;
  return true;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](unsigned long long min, unsigned long long max) -> unsigned long long {
      if (i + 1 >= argc) usage(fmt::format("{} needs a value", a).c_str());
      unsigned long long v = 0;
      if (!parse_uint(argv[++i], max, v) || v < min) {
        usage(fmt::format("{}: expected an integer in [{}, {}], got '{}'", a, min, max, argv[i]).c_str());
      }
      return v;
    };
    if (a == "--file") {
      if (i + 1 >= argc) usage("--file needs a value");
      o.file = argv[++i];
    } else if (a == "--curve") {
      o.curve = true;
    } else if (a == "--batch") {
      o.batch = value(1, 1'000'000);
    } else if (a == "--repeat") {
      o.repeat = value(1, 1'000'000);
    } else if (a == "--port") {
      o.port = static_cast<unsigned>(value(0, 65535));
    } else if (a == "--timeout") {
      o.timeout_s = static_cast<int>(value(1, 86400));
    } else if (a == "--tune-malloc") {
      o.tune_malloc = true;
    } else if (a == "--help" || a == "-h") {
      usage("help");
    } else {
      usage(fmt::format("unknown argument '{}'", a).c_str());
    }
  }
  if (o.file.empty()) usage("--file is required");
  return o;
}

// Empty lines are skipped, as our transport's batches hold no empty lines.
bool load(const Options& o, Workload& w) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) {
    fmt::print(stderr, "zmq_bare: cannot open {}: {}\n", o.file, std::strerror(errno));
    return false;
  }
  std::string line;
  std::string current;
  size_t in_current = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (in_current > 0) current += '\n';
    current += line;
    ++w.lines;
    if (++in_current == o.batch) {
      w.message_bytes += current.size();
      w.messages.push_back(std::move(current));
      current.clear();
      in_current = 0;
    }
  }
  if (in_current > 0) {
    w.message_bytes += current.size();
    w.messages.push_back(std::move(current));
  }
  if (w.lines == 0) {
    fmt::print(stderr, "zmq_bare: {} holds no lines\n", o.file);
    return false;
  }
  return true;
}

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// User + system CPU time of this process, all threads included (the ZeroMQ I/O thread too).
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

// Reads one '\n'-terminated line from `fd`, waiting until the deadline. Empty on EOF or timeout.
std::string read_line(int fd, Clock::time_point deadline) {
  std::string line;
  char c = 0;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return {};
    const ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return {};
    if (c == '\n') return line;
    line += c;
  }
}

// The child. Reports the bound port on `port_fd`, receives `expected` messages, then reads the
// sender's CPU time from `cpu_fd` and prints the result.
int run_receiver(const Options& o, const Keys& k, const Workload& w, int port_fd, int cpu_fd,
                 Clock::time_point deadline) {
  const uint64_t expected = w.messages.size() * o.repeat;
  try {
    zmq::context_t ctx(1);
    zmq::socket_t pull(ctx, zmq::socket_type::pull);
    pull.set(zmq::sockopt::rcvhwm, 1000);
    pull.set(zmq::sockopt::linger, 0);
    if (o.curve) {
      pull.set(zmq::sockopt::curve_server, 1);
      pull.set(zmq::sockopt::curve_secretkey, std::string_view(k.server_secret, 40));
    }
    pull.bind(o.port == 0 ? std::string("tcp://127.0.0.1:*") : fmt::format("tcp://127.0.0.1:{}", o.port));
    const std::string endpoint = pull.get(zmq::sockopt::last_endpoint);
    const std::string port = endpoint.substr(endpoint.rfind(':') + 1) + "\n";
    if (write(port_fd, port.data(), port.size()) != static_cast<ssize_t>(port.size())) {
      fmt::print(stderr, "zmq_bare: receiver: cannot report the port: {}\n", std::strerror(errno));
      return 1;
    }
    close(port_fd);
    const double cpu_start = cpu_seconds();

    zmq::message_t msg;
    uint64_t received = 0;
    uint64_t bytes = 0;
    Clock::time_point first{};
    Clock::time_point last{};
    zmq::pollitem_t item{static_cast<void*>(pull), 0, ZMQ_POLLIN, 0};
    while (received < expected) {
      // Drain without polling while messages are queued; poll only when the queue is empty.
      if (!pull.recv(msg, zmq::recv_flags::dontwait)) {
        const int left = remaining_ms(deadline);
        if (left == 0) {
          fmt::print(stderr, "zmq_bare: receiver: timeout after {} s with {} of {} messages\n", o.timeout_s,
                     received, expected);
          return 1;
        }
        zmq::poll(&item, 1, std::chrono::milliseconds(left));
        continue;
      }
      last = Clock::now();
      if (received == 0) first = last;
      ++received;
      bytes += msg.size();
    }
    const double receiver_cpu = cpu_seconds() - cpu_start;
    // The first message opens the clock, so the figures are over expected - 1 messages.
    const double seconds = std::chrono::duration<double>(last - first).count();
    const uint64_t events = w.lines * o.repeat;
    const double events_timed = expected > 1 ? static_cast<double>(events) * (expected - 1) / expected : 0;
    const double bytes_timed = expected > 1 ? static_cast<double>(bytes) * (expected - 1) / expected : 0;
    const double eps = seconds > 0 ? events_timed / seconds : 0;
    const double mbps = seconds > 0 ? bytes_timed / seconds / 1e6 : 0;
    if (expected < 100) {
      fmt::print(stderr, "zmq_bare: only {} messages: too few for a meaningful rate (use --repeat)\n", expected);
    }
    if (bytes != w.message_bytes * o.repeat) {
      fmt::print(stderr, "zmq_bare: receiver: got {} bytes, expected {}\n", bytes, w.message_bytes * o.repeat);
      return 1;
    }
    // The sender reports once its context has terminated, i.e. once everything was delivered.
    const std::string sender_line = read_line(cpu_fd, deadline);
    char* end = nullptr;
    const double sender_cpu = std::strtod(sender_line.c_str(), &end);
    if (sender_line.empty() || *end != '\0') {
      fmt::print(stderr, "zmq_bare: receiver: the sender did not report its CPU time\n");
      return 1;
    }
    const double cpu = sender_cpu + receiver_cpu;
    fmt::print(
        "{{\"mode\":\"bare\",\"curve\":{},\"batch\":{},\"events\":{},\"bytes\":{},\"seconds\":{:.6f},"
        "\"events_per_s\":{:.0f},\"mb_per_s\":{:.1f},\"messages\":{},\"malloc\":\"{}\",\"cpu_s\":{:.3f},"
        "\"cpu_us_per_event\":{:.3f}}}\n",
        o.curve, o.batch, events, bytes, seconds, eps, mbps, received, o.tune_malloc ? "tuned" : "default", cpu,
        cpu * 1e6 / static_cast<double>(events));
    std::fflush(stdout);
    return 0;
  } catch (const zmq::error_t& e) {
    fmt::print(stderr, "zmq_bare: receiver: {}\n", e.what());
    return 1;
  }
}

// The parent. Sends every message `repeat` times, then closes with a linger long enough for
// the queue to drain, and writes its CPU time for all this to `cpu_fd`.
int run_sender(const Options& o, const Keys& k, const Workload& w, const std::string& port, int cpu_fd,
               Clock::time_point deadline) {
  const double cpu_start = cpu_seconds();
  try {
    {
      zmq::context_t ctx(1);
      zmq::socket_t push(ctx, zmq::socket_type::push);
      push.set(zmq::sockopt::sndhwm, 1000);
      push.set(zmq::sockopt::sndtimeo, 1000);
      if (o.curve) {
        push.set(zmq::sockopt::curve_serverkey, std::string_view(k.server_public, 40));
        push.set(zmq::sockopt::curve_publickey, std::string_view(k.client_public, 40));
        push.set(zmq::sockopt::curve_secretkey, std::string_view(k.client_secret, 40));
      }
      push.connect(fmt::format("tcp://127.0.0.1:{}", port));
      uint64_t sent = 0;
      for (size_t r = 0; r < o.repeat; ++r) {
        for (const auto& m : w.messages) {
          // A blocked send returns empty after sndtimeo (the HWM is full); retry until the deadline.
          while (!push.send(zmq::buffer(m), zmq::send_flags::none)) {
            if (remaining_ms(deadline) == 0) {
              fmt::print(stderr, "zmq_bare: sender: timeout after {} s with {} of {} messages sent\n", o.timeout_s,
                         sent, w.messages.size() * o.repeat);
              push.set(zmq::sockopt::linger, 0);
              return 1;
            }
          }
          ++sent;
        }
      }
      push.set(zmq::sockopt::linger, std::max(remaining_ms(deadline), 1));
    }  // closes the socket and terminates the context: waits until the queue is delivered
    const std::string cpu = fmt::format("{:.6f}\n", cpu_seconds() - cpu_start);
    if (write(cpu_fd, cpu.data(), cpu.size()) != static_cast<ssize_t>(cpu.size())) {
      fmt::print(stderr, "zmq_bare: sender: cannot report the CPU time: {}\n", std::strerror(errno));
      return 1;
    }
    return 0;
  } catch (const zmq::error_t& e) {
    fmt::print(stderr, "zmq_bare: sender: {}\n", e.what());
    return 1;
  }
}

// Waits for the child until the deadline, then kills it.
int wait_child(pid_t child, Clock::time_point deadline) {
  int status = 0;
  for (;;) {
    pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) break;
    if (r < 0 && errno != EINTR) {
      fmt::print(stderr, "zmq_bare: waitpid: {}\n", std::strerror(errno));
      return 1;
    }
    if (remaining_ms(deadline) == 0) {
      fmt::print(stderr, "zmq_bare: receiver did not finish in time; killing it\n");
      kill(child, SIGKILL);
      waitpid(child, &status, 0);
      return 1;
    }
    usleep(1000);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  fmt::print(stderr, "zmq_bare: receiver died with signal {}\n", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  if (o.tune_malloc) {
    // Set before the workload is loaded and before the fork, so both sides run with it.
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
  }
  if (o.curve && !zmq_has("curve")) {
    fmt::print(stderr, "zmq_bare: this libzmq was built without CURVE\n");
    return 1;
  }
  Workload w;
  if (!load(o, w)) return 1;

  // Keys are made before fork so that each side knows the other's public key.
  Keys k;
  if (o.curve && (zmq_curve_keypair(k.server_public, k.server_secret) != 0 ||
                  zmq_curve_keypair(k.client_public, k.client_secret) != 0)) {
    fmt::print(stderr, "zmq_bare: zmq_curve_keypair: {}\n", zmq_strerror(zmq_errno()));
    return 1;
  }

  int fds[2];      // child -> parent: the port
  int cpu_fds[2];  // parent -> child: the sender's CPU time
  if (pipe(fds) != 0 || pipe(cpu_fds) != 0) {
    fmt::print(stderr, "zmq_bare: pipe: {}\n", std::strerror(errno));
    return 1;
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const auto deadline = Clock::now() + std::chrono::seconds(o.timeout_s);
  const pid_t child = fork();
  if (child < 0) {
    fmt::print(stderr, "zmq_bare: fork: {}\n", std::strerror(errno));
    return 1;
  }
  if (child == 0) {
    close(fds[0]);
    close(cpu_fds[1]);
    // _exit: the parent's atexit handlers and stdio buffers are not ours to run.
    const int rc = run_receiver(o, k, w, fds[1], cpu_fds[0], deadline);
    std::fflush(stdout);
    _exit(rc);
  }
  close(fds[1]);
  close(cpu_fds[0]);

  // The child's port, or EOF when it failed before binding.
  std::string port;
  char c = 0;
  for (;;) {
    ssize_t n = read(fds[0], &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    port += c;
  }
  close(fds[0]);
  if (port.empty()) {
    fmt::print(stderr, "zmq_bare: the receiver did not start\n");
    wait_child(child, deadline);
    return 1;
  }

  const int send_rc = run_sender(o, k, w, port, cpu_fds[1], deadline);
  close(cpu_fds[1]);
  if (send_rc != 0) {
    kill(child, SIGTERM);
    wait_child(child, Clock::now() + std::chrono::seconds(5));
    return send_rc;
  }
  return wait_child(child, deadline);
}
