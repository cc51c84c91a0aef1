#include "sensors/packet/pcap_source.h"

#include <pcap/pcap.h>

#include <cstring>

namespace soc::sensors::packet {

struct PcapSource::Impl {
  pcap_t* handle = nullptr;
  ~Impl() {
    if (handle) pcap_close(handle);
  }
};

Result<std::unique_ptr<PcapSource>> PcapSource::open_file(const std::string& path, const std::string& filter) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // Microsecond timestamps whatever the file stores (pcapng may hold nanoseconds).
  pcap_t* h = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (!h) return fail("capture.open", path + ": cannot read as a capture file: " + errbuf);
  std::unique_ptr<PcapSource> s(new PcapSource());
  s->impl_ = std::make_unique<Impl>();
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
    out.ts_us = static_cast<int64_t>(hdr->ts.tv_sec) * 1'000'000 + hdr->ts.tv_usec;
    return NextStatus::Frame;
  }
  if (rc == PCAP_ERROR_BREAK) return NextStatus::End;
  error_ = pcap_geterr(impl_->handle);
  // libpcap reports a record cut short as "truncated dump file; tried to read N ... only got M".
  if (error_.find("truncated") != std::string::npos) return NextStatus::Truncated;
  return NextStatus::Error;
}

}  // namespace soc::sensors::packet
