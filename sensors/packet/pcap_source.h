// The one adapter for libpcap: capture files (pcap and pcapng, which libpcap reads alike) and,
// later, live interfaces. Errors are values with libpcap's message.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"

namespace soc::sensors::packet {

struct Frame {
  const uint8_t* data = nullptr;  // valid until the next call to next()
  uint32_t caplen = 0;
  uint32_t wire_len = 0;
  int64_t ts_us = 0;
};

enum class NextStatus : uint8_t {
  Frame,      // `out` holds a frame
  End,        // the end of the file
  Truncated,  // the file ends in the middle of a record (a cut capture): no more frames
  Error,      // another read error: see error()
};

class PcapSource {
 public:
  // Opens a capture file; fails with code "capture.open" and libpcap's reason ("unknown file
  // format", "truncated dump file", ...), or "capture.filter" when `filter` (BPF, may be empty)
  // does not compile for this file's link type.
  static Result<std::unique_ptr<PcapSource>> open_file(const std::string& path, const std::string& filter);
  // Opens a live interface in immediate mode, non-blocking, with `snaplen` bytes per packet
  // and a kernel buffer of `buffer_bytes`; fails with "capture.open" (no such interface, no
  // permission: needs CAP_NET_RAW) or "capture.filter".
  static Result<std::unique_ptr<PcapSource>> open_live(const std::string& interface, int snaplen, int buffer_bytes,
                                                       const std::string& filter);
  ~PcapSource();

  // Live: hands up to `max` waiting frames to `fn` without blocking; returns how many, or -1 on
  // error (see error()).
  int dispatch(int max, const std::function<void(const Frame&)>& fn);
  // Live: a descriptor that poll(2) reports readable when frames wait (immediate mode), or -1.
  int selectable_fd() const;
  // The kernel's counters (live): received, dropped for lack of buffer, dropped by the interface.
  struct Stats {
    uint64_t received = 0, dropped_kernel = 0, dropped_interface = 0;
  };
  Stats stats();

  int link_type() const;
  std::string link_type_name() const;
  NextStatus next(Frame& out);
  const std::string& error() const { return error_; }

 private:
  PcapSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
  Stats last_{};     // libpcap's 32-bit counters wrap: accumulate their deltas
  Stats raw_last_{};
};

}  // namespace soc::sensors::packet
