#ifndef AGENTPOOL_SHARED_WORD_H
#define AGENTPOOL_SHARED_WORD_H
#include <stdint.h>

/// A 32-bit counter in a file mapped shared by every process that opens it, which processes bump
/// and wait on with a futex (Linux). It carries no data: a change of its value means "something
/// was committed; look again".

/// Maps the first 4 KiB of the open file `fd` shared (growing the file to 4 KiB when it is
/// shorter) and returns the word's address, or NULL when that is impossible (not Linux, a file
/// system that cannot map it). The word lives at byte offset 64, away from byte 0, which older
/// versions write to.
volatile uint32_t *agentpool_shared_word_map(int fd);

/// Unmaps a word returned by agentpool_shared_word_map.
void agentpool_shared_word_unmap(volatile uint32_t *word);

/// The word's current value (a sequentially consistent load).
uint32_t agentpool_shared_word_load(volatile uint32_t *word);

/// Adds one to the word (sequentially consistent) and wakes every process and thread waiting on
/// it. Called after a commit, so a woken waiter reads the commit.
void agentpool_shared_word_bump(volatile uint32_t *word);

/// Wakes every waiter on the word without changing it (they see no change and wait again).
void agentpool_shared_word_wake(volatile uint32_t *word);

/// Sleeps until the word is no longer `expected`, a wake, or `timeout_millis` passed; returns at
/// once when the word already differs (checked atomically by the kernel, so a bump between the
/// caller's load and this call is never slept through). Returns 0 on a wake or change, 1 on the
/// timeout, -1 when waiting is impossible.
int agentpool_shared_word_wait(volatile uint32_t *word, uint32_t expected, int32_t timeout_millis);

#endif
