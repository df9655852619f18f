#ifndef AGENTPOOL_KERNEL_CLOCK_H
#define AGENTPOOL_KERNEL_CLOCK_H
#include <stdint.h>

/// The machine's realtime clock in milliseconds since 1970, read from the kernel with a raw
/// system call: not through libc's clock_gettime, which an LD_PRELOAD shim (libfaketime) or a
/// test double may replace. -1 where there is no such call (not Linux) or it fails.
int64_t agentpool_kernel_realtime_millis(void);

#endif
