// CRC-32C (Castagnoli, the polynomial of iSCSI, ext4 and SCTP): the checksum of every spool
// record. One adapter: the SSE 4.2 instruction when the CPU has it, a table-driven fallback
// otherwise; both give the same value (tests/unit/core/transport/spool_test.cpp checks the
// standard vectors).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace soc::transport {

// Extends `crc` (0 to start) over `data`. crc32c("123456789") == 0xE3069283.
uint32_t crc32c(uint32_t crc, const void* data, size_t size);
inline uint32_t crc32c(std::string_view s, uint32_t crc = 0) { return crc32c(crc, s.data(), s.size()); }

// The table-driven path alone (to compare it with the hardware path in tests).
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t size);

}  // namespace soc::transport
