// Process-wide allocator settings for binaries that move large messages between threads.
#pragma once

namespace soc {

// Raises glibc's trim and mmap thresholds (M_TRIM_THRESHOLD 64 MiB, M_MMAP_THRESHOLD 4 MiB).
// ZeroMQ allocates each received message on its I/O thread and the application frees it on
// another; with batches of ~100 KiB glibc otherwise hands memory back to the kernel and faults
// it in again for nearly every message (seen in perf as madvise and page faults dominating the
// sender and the correlator). Call once at the start of main().
void tune_allocator_for_messages();

}  // namespace soc
