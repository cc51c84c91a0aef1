#include "core/allocator.h"

#include <malloc.h>

namespace soc {

void tune_allocator_for_messages() {
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

}  // namespace soc
