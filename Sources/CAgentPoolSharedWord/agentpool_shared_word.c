#include "agentpool_shared_word.h"
#include <stddef.h>
#if defined(__linux__)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum { page = 4096, offset = 64 };

volatile uint32_t *agentpool_shared_word_map(int fd) {
    // Allocates the page's blocks (growing the file to 4 KiB when it is shorter; never shrinking
    // it), so that a store to the mapping cannot meet a full disk: writing to a hole that cannot
    // be filled raises SIGBUS. When it fails, the caller falls back to file notifications.
    if (posix_fallocate(fd, 0, page) != 0) return NULL;
    void *base = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) return NULL;
    return (volatile uint32_t *)((char *)base + offset);
}

void agentpool_shared_word_unmap(volatile uint32_t *word) {
    if (word != NULL) munmap((char *)word - offset, page);
}

uint32_t agentpool_shared_word_load(volatile uint32_t *word) {
    return __atomic_load_n(word, __ATOMIC_SEQ_CST);
}

void agentpool_shared_word_wake(volatile uint32_t *word) {
    // Not FUTEX_PRIVATE_FLAG: the waiters are in other processes, found by the mapped file's page.
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

void agentpool_shared_word_bump(volatile uint32_t *word) {
    __atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
    agentpool_shared_word_wake(word);
}

int agentpool_shared_word_wait(volatile uint32_t *word, uint32_t expected, int32_t timeout_millis) {
    struct timespec timeout = { .tv_sec = timeout_millis / 1000, .tv_nsec = (long)(timeout_millis % 1000) * 1000000L };
    long result = syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, NULL, 0);
    if (result == 0) return 0;
    if (errno == EAGAIN || errno == EINTR) return 0;
    if (errno == ETIMEDOUT) return 1;
    return -1;
}
#else
volatile uint32_t *agentpool_shared_word_map(int fd) { (void)fd; return NULL; }
void agentpool_shared_word_unmap(volatile uint32_t *word) { (void)word; }
uint32_t agentpool_shared_word_load(volatile uint32_t *word) { return word == NULL ? 0 : *word; }
void agentpool_shared_word_bump(volatile uint32_t *word) { (void)word; }
void agentpool_shared_word_wake(volatile uint32_t *word) { (void)word; }
int agentpool_shared_word_wait(volatile uint32_t *word, uint32_t expected, int32_t timeout_millis) {
    (void)word; (void)expected; (void)timeout_millis; return -1;
}
#endif
