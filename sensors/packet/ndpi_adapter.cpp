#include "sensors/packet/ndpi_adapter.h"

#include <sys/mman.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

extern "C" {
#include <ndpi/ndpi_api.h>
}

#if defined(__SANITIZE_ADDRESS__)
#define SOC_NDPI_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOC_NDPI_LSAN 1
#endif
#endif
#ifdef SOC_NDPI_LSAN
#include <sanitizer/lsan_interface.h>
#endif

namespace soc::sensors::packet {

class DpiFlow {
 public:
  ndpi_flow_struct* flow = nullptr;
  ndpi_protocol proto{};
  bool completed = false;
};

void DpiFlowDeleter::operator()(DpiFlow* f) const {
  if (!f) return;
  if (f->flow) ndpi_free_flow(f->flow);
  delete f;
}

struct Classifier::Impl {
  ndpi_detection_module_struct* mod = nullptr;
  ~Impl() {
    if (mod) ndpi_exit_detection_module(mod);
  }
};

namespace {
// ndpiReader 4.2's defaults (max_num_tcp_dissected_pkts, max_num_udp_dissected_pkts).
constexpr uint64_t kMaxTcpDissected = 80;
constexpr uint64_t kMaxUdpDissected = 24;

bool is(const ndpi_protocol& p, uint16_t id) { return p.master_protocol == id || p.app_protocol == id; }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string bounded(const char* s, size_t cap) {
  if (!s) return {};
  return std::string(s, strnlen(s, cap));
}
}  // namespace

namespace {
// The start-up arena: nDPI's allocations are bumped from one reserved mapping (pages are only
// committed when touched) while `g_arena_on`; afterwards, and when the arena is full, malloc.
// nDPI frees through ndpi_free, which ignores arena blocks (a block freed during start-up, such
// as a buffer ndpi_realloc grew, is simply not reused). Installed once per process, only by
// create(until_exit = true); blocks are 16-byte aligned like malloc's.
constexpr size_t kArenaBytes = size_t{1} << 30;
char* g_arena_base = nullptr;
char* g_arena_next = nullptr;
char* g_arena_end = nullptr;
bool g_arena_on = false;

void* arena_malloc(size_t n) {
  if (g_arena_on) {
    const size_t rounded = (n + 15) & ~size_t{15};
    if (rounded >= n && rounded <= static_cast<size_t>(g_arena_end - g_arena_next)) {
      void* p = g_arena_next;
      g_arena_next += rounded;
      return p;
    }
  }
  return std::malloc(n);
}

void arena_free(void* p) {
  const auto* c = static_cast<const char*>(p);
  if (c >= g_arena_base && c < g_arena_end) return;
  std::free(p);
}

bool install_arena() {
  if (g_arena_base) return true;
  void* m = mmap(nullptr, kArenaBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return false;
  g_arena_base = g_arena_next = static_cast<char*>(m);
  g_arena_end = g_arena_base + kArenaBytes;
  set_ndpi_malloc(arena_malloc);
  set_ndpi_free(arena_free);
  return true;
}
}  // namespace

Result<std::unique_ptr<Classifier>> Classifier::create(bool until_exit) {
  std::unique_ptr<Classifier> c(new Classifier());
  c->impl_ = std::make_unique<Impl>();
  g_arena_on = until_exit && install_arena();
  c->impl_->mod = ndpi_init_detection_module(ndpi_no_prefs);
  if (c->impl_->mod) {
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->impl_->mod, &all);
    ndpi_finalize_initialization(c->impl_->mod);
  }
  g_arena_on = false;  // per-flow state is malloc'd and freed as usual
#ifdef SOC_NDPI_LSAN
  // The module lives in the arena, which is no heap LeakSanitizer scans: what nDPI mallocs later
  // and hangs on the module (the LRU caches it makes on first use) would be reported as leaked
  // though the module holds it until exit. The part of the arena in use is scanned as a root.
  static char* registered_to = nullptr;
  if (!registered_to) registered_to = g_arena_base;
  if (registered_to && g_arena_next > registered_to) {
    __lsan_register_root_region(registered_to, static_cast<size_t>(g_arena_next - registered_to));
    registered_to = g_arena_next;
  }
#endif
  if (!c->impl_->mod) return fail("ndpi.init", "nDPI could not initialise its detection module (out of memory?)");
  return c;
}

Classifier::~Classifier() = default;

DpiFlowPtr Classifier::new_flow() {
  auto* f = static_cast<ndpi_flow_struct*>(ndpi_flow_malloc(SIZEOF_FLOW_STRUCT));
  if (!f) return nullptr;
  std::memset(f, 0, SIZEOF_FLOW_STRUCT);
  DpiFlowPtr d(new DpiFlow());
  d->flow = f;
  return d;
}

bool Classifier::process(DpiFlow& dpi, const uint8_t* ip, uint32_t len, uint64_t time_ms, uint8_t l4_protocol,
                         uint64_t flow_packets, uint64_t& risk) {
  if (dpi.completed || !dpi.flow) return dpi.completed;
  const bool enough = (l4_protocol == IPPROTO_UDP && flow_packets > kMaxUdpDissected) ||
                      (l4_protocol == IPPROTO_TCP && flow_packets > kMaxTcpDissected);
  const auto plen = static_cast<unsigned short>(len > 0xFFFF ? 0xFFFF : len);
  dpi.proto = ndpi_detection_process_packet(impl_->mod, dpi.flow, ip, plen, time_ms);
  if (enough || dpi.proto.app_protocol != NDPI_PROTOCOL_UNKNOWN) {
    if (enough || !ndpi_extra_dissection_possible(impl_->mod, dpi.flow)) {
      dpi.completed = true;
      if (dpi.proto.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        uint8_t guessed = 0;
        dpi.proto = ndpi_detection_giveup(impl_->mod, dpi.flow, 1, &guessed);
      }
    }
  }
  risk = dpi.flow->risk;
  return dpi.completed;
}

void Classifier::finish(DpiFlow& dpi, DpiResult& out, uint64_t& risk) {
  auto* mod = impl_->mod;
  auto* f = dpi.flow;
  if (!f) {
    out.protocol = "Unknown";
    out.master_protocol = "unknown";
    return;
  }
  if (!dpi.completed) {
    uint8_t guessed = 0;
    dpi.proto = ndpi_detection_giveup(mod, f, 1, &guessed);
    dpi.completed = true;
  }
  const ndpi_protocol& p = dpi.proto;
  char buf[64];
  out.protocol = ndpi_protocol2name(mod, p, buf, sizeof(buf));
  const uint16_t master = p.master_protocol != NDPI_PROTOCOL_UNKNOWN ? p.master_protocol : p.app_protocol;
  out.master_protocol = lower(ndpi_get_proto_name(mod, master));
  out.category = ndpi_category_get_name(mod, p.category);
  risk = f->risk;

  const std::string host = bounded(f->host_server_name, sizeof(f->host_server_name));
  if (is(p, NDPI_PROTOCOL_DNS)) {
    out.dns_query = host;
  } else if (is(p, NDPI_PROTOCOL_TLS) || is(p, NDPI_PROTOCOL_QUIC) || is(p, NDPI_PROTOCOL_DTLS) ||
             is(p, NDPI_PROTOCOL_MAIL_IMAPS) || is(p, NDPI_PROTOCOL_MAIL_POPS) || is(p, NDPI_PROTOCOL_MAIL_SMTPS)) {
    out.tls_server_name = host;
    out.ja3_client = bounded(f->protos.tls_quic.ja3_client, sizeof(f->protos.tls_quic.ja3_client));
    out.ja3_server = bounded(f->protos.tls_quic.ja3_server, sizeof(f->protos.tls_quic.ja3_server));
    if (f->protos.tls_quic.ssl_version != 0) {
      char vbuf[32];
      uint8_t unknown = 0;
      out.tls_version = ndpi_ssl_version2str(vbuf, sizeof(vbuf), f->protos.tls_quic.ssl_version, &unknown);
    }
  } else if (is(p, NDPI_PROTOCOL_SSH)) {
    out.ssh_client = bounded(f->protos.ssh.client_signature, sizeof(f->protos.ssh.client_signature));
    out.ssh_server = bounded(f->protos.ssh.server_signature, sizeof(f->protos.ssh.server_signature));
  } else if (is(p, NDPI_PROTOCOL_HTTP)) {
    out.http_host = host;
  }
  // Clear-text logins: nDPI keeps the user of FTP, POP3, IMAP and SMTP AUTH in the TCP state it
  // shares between them, and for FTP whether a 4xx/5xx reply followed (auth_failed).
  const char* login = is(p, NDPI_PROTOCOL_FTP_CONTROL) ? "ftp"
                      : is(p, NDPI_PROTOCOL_MAIL_POP)   ? "pop3"
                      : is(p, NDPI_PROTOCOL_MAIL_IMAP)  ? "imap"
                      : is(p, NDPI_PROTOCOL_MAIL_SMTP)  ? "smtp"
                                                        : nullptr;
  if (login) {
    const auto& cred = f->l4.tcp.ftp_imap_pop_smtp;
    out.login_user = bounded(cred.username, sizeof(cred.username));
    // Either credential is enough to say a login was attempted (SMTP AUTH PLAIN carries both
    // in one base64 string, which nDPI 4.2 does not split).
    if (!out.login_user.empty() || cred.password[0] != '\0' || cred.auth_failed) out.login_protocol = login;
    out.login_failed = login == std::string_view("ftp") && cred.auth_failed;
    // nDPI 4.2's SMTP AUTH LOGIN dissector skips a short base64 user name and then stores the
    // password as the user (ndpiReader shows "[User: <password>][Pwd: ]"): without a password
    // the user is not trusted, so that a password never lands in user.name.
    if (login == std::string_view("smtp") && cred.password[0] == '\0') out.login_user.clear();
  }
  if (f->http.method != NDPI_HTTP_METHOD_UNKNOWN) out.http_method = ndpi_http_method2str(f->http.method);
  if (f->http.user_agent) out.user_agent = bounded(f->http.user_agent, 1024);
  if (f->http.url) out.http_url = bounded(f->http.url, 4096);
  out.http_status = f->http.response_status_code;

  // What we need is copied: nDPI's state (about 1 KiB per flow plus its buffers) goes now.
  ndpi_free_flow(f);
  dpi.flow = nullptr;
}

std::string_view Classifier::risk_name(unsigned bit) {
  if (bit >= NDPI_MAX_RISK) return "Unknown risk";
  const char* s = ndpi_risk2str(static_cast<ndpi_risk_enum>(bit));
  return s ? std::string_view(s) : std::string_view("Unknown risk");
}

size_t Classifier::flow_state_bytes() { return SIZEOF_FLOW_STRUCT; }

}  // namespace soc::sensors::packet
