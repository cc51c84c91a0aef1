#include "sensors/packet/pcap_source.h"

#include <pcap/pcap.h>

#include <cstdio>
#include <cstring>

namespace soc::sensors::packet {
namespace {
// Microseconds since the epoch. A damaged or fuzzed file can hold any seconds value: clamp to
// [1970, 3000) so that the arithmetic cannot overflow and the flow table's clock stays sane.
int64_t to_us(const timeval& tv) {
  constexpr int64_t kMaxSeconds = 32'503'680'000;  // 3000-01-01
  int64_t sec = static_cast<int64_t>(tv.tv_sec);
  int64_t usec = static_cast<int64_t>(tv.tv_usec);
  if (sec < 0) sec = 0;
  if (sec >= kMaxSeconds) sec = kMaxSeconds - 1;
  if (usec < 0 || usec > 999'999) usec = 0;
  return sec * 1'000'000 + usec;
}
}  // namespace

struct PcapSource::Impl {
  pcap_t* handle = nullptr;
  std::unique_ptr<char[]> file_buffer;  // the FILE's stdio buffer (offline); outlives the handle
  ~Impl() {
    if (handle) pcap_close(handle);  // closes the FILE too
  }
};

namespace {
// libpcap reads a file through stdio, with its default 4 KiB buffer: one read(2) per 4 KiB
// (1,700 for a 7 MB capture). The file is opened here with a 1 MiB buffer instead, exactly as
// pcap_open_offline would (fopen "rb", then pcap_fopen_offline), so errors read the same; "-"
// (standard input) and a file fopen refuses are left to pcap_open_offline and its messages.
constexpr size_t kFileBufferBytes = size_t{1} << 20;
}  // namespace

Result<std::unique_ptr<PcapSource>> PcapSource::open_file(const std::string& path, const std::string& filter) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<PcapSource> s(new PcapSource());
  s->impl_ = std::make_unique<Impl>();
  // Microsecond timestamps whatever the file stores (pcapng may hold nanoseconds).
  pcap_t* h = nullptr;
  FILE* fp = path == "-" ? nullptr : std::fopen(path.c_str(), "rb");
  if (fp) {
    s->impl_->file_buffer.reset(new char[kFileBufferBytes]);
    std::setvbuf(fp, s->impl_->file_buffer.get(), _IOFBF, kFileBufferBytes);
    h = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!h) std::fclose(fp);
  } else {
    h = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  }
  if (!h) return fail("capture.open", path + ": cannot read as a capture file: " + errbuf);
  s->impl_->handle = h;
  if (!filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(h, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return fail("capture.filter", "--filter '" + filter + "': " + pcap_geterr(h));
    }
    const int rc = pcap_setfilter(h, &prog);
    pcap_freecode(&prog);
    if (rc != 0) return fail("capture.filter", "--filter '" + filter + "': " + pcap_geterr(h));
  }
  return s;
}

Result<std::unique_ptr<PcapSource>> PcapSource::open_live(const std::string& interface, int snaplen,
                                                         int buffer_bytes, const std::string& filter) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_create(interface.c_str(), errbuf);
  if (!h) return fail("capture.open", interface + ": " + errbuf);
  std::unique_ptr<PcapSource> s(new PcapSource());
  s->impl_ = std::make_unique<Impl>();
  s->impl_->handle = h;
  pcap_set_snaplen(h, snaplen);
  pcap_set_buffer_size(h, buffer_bytes);
  pcap_set_immediate_mode(h, 1);
  pcap_set_promisc(h, 1);
  const int rc = pcap_activate(h);
  if (rc < 0) {
    const std::string why = rc == PCAP_ERROR_PERM_DENIED ? "permission denied (needs CAP_NET_RAW)"
                            : rc == PCAP_ERROR_NO_SUCH_DEVICE ? "no such interface"
                                                              : pcap_geterr(h);
    return fail("capture.open", interface + ": cannot capture: " + why);
  }
  if (pcap_setnonblock(h, 1, errbuf) != 0) return fail("capture.open", interface + ": " + errbuf);
  if (!filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(h, &prog, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return fail("capture.filter", "--filter '" + filter + "': " + pcap_geterr(h));
    }
    const int frc = pcap_setfilter(h, &prog);
    pcap_freecode(&prog);
    if (frc != 0) return fail("capture.filter", "--filter '" + filter + "': " + pcap_geterr(h));
  }
  return s;
}

namespace {
struct DispatchCtx {
  const std::function<void(const Frame&)>* fn;
};
void on_packet(u_char* user, const pcap_pkthdr* hdr, const u_char* data) {
  auto* ctx = reinterpret_cast<DispatchCtx*>(user);
  Frame f;
  f.data = data;
  f.caplen = hdr->caplen;
  f.wire_len = hdr->len;
  f.ts_us = to_us(hdr->ts);
  (*ctx->fn)(f);
}
}  // namespace

int PcapSource::dispatch(int max, const std::function<void(const Frame&)>& fn) {
  DispatchCtx ctx{&fn};
  const int n = pcap_dispatch(impl_->handle, max, on_packet, reinterpret_cast<u_char*>(&ctx));
  if (n < 0) error_ = pcap_geterr(impl_->handle);
  return n;
}

int PcapSource::selectable_fd() const { return pcap_get_selectable_fd(impl_->handle); }

PcapSource::Stats PcapSource::stats() {
  pcap_stat st{};
  if (pcap_stats(impl_->handle, &st) != 0) return last_;
  auto delta = [](uint64_t prev_raw, u_int now) { return static_cast<uint32_t>(now - static_cast<uint32_t>(prev_raw)); };
  last_.received += delta(raw_last_.received, st.ps_recv);
  last_.dropped_kernel += delta(raw_last_.dropped_kernel, st.ps_drop);
  last_.dropped_interface += delta(raw_last_.dropped_interface, st.ps_ifdrop);
  raw_last_ = {st.ps_recv, st.ps_drop, st.ps_ifdrop};
  return last_;
}

PcapSource::~PcapSource() = default;

int PcapSource::link_type() const { return pcap_datalink(impl_->handle); }

std::string PcapSource::link_type_name() const {
  const char* n = pcap_datalink_val_to_name(link_type());
  return n ? n : std::to_string(link_type());
}

NextStatus PcapSource::next(Frame& out) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(impl_->handle, &hdr, &data);
  if (rc == 1) {
    out.data = data;
    out.caplen = hdr->caplen;
    out.wire_len = hdr->len;
    out.ts_us = to_us(hdr->ts);
    return NextStatus::Frame;
  }
  if (rc == PCAP_ERROR_BREAK) return NextStatus::End;
  error_ = pcap_geterr(impl_->handle);
  // libpcap reports a record cut short as "truncated dump file; tried to read N ... only got M".
  if (error_.find("truncated") != std::string::npos) return NextStatus::Truncated;
  return NextStatus::Error;
}

}  // namespace soc::sensors::packet
