#include "agentpool_kernel_clock.h"
#if defined(__linux__)
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t agentpool_kernel_realtime_millis(void) {
    struct timespec now;
    if (syscall(SYS_clock_gettime, CLOCK_REALTIME, &now) != 0) return -1;
    return (int64_t)now.tv_sec * 1000 + (int64_t)(now.tv_nsec / 1000000);
}
#else
int64_t agentpool_kernel_realtime_millis(void) { return -1; }
#endif
