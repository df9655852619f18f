// Cross-process delivery latency of Redis Streams: a writer process XADDs `count` entries at
// `rate`/s, each carrying the wall-clock time taken just before its XADD; a reader process blocks
// on XREAD BLOCK and records, per entry, now − sent. The same shape as agentpool-bench's
// watch scenario (writer process, watcher process, time taken before the write call).
//
//   redis_xread_latency HOST PORT COUNT RATE PAYLOAD
//
// Prints one line on stdout: "latency P50_US P99_US MAX_US RECEIVED".
// Built at run time by Benchmarks/peers/run (gcc, Debian's libhiredis-dev).
#include <hiredis/hiredis.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *stream = "latency";

static long long wall_nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static redisContext *connect_or_die(const char *host, int port) {
    redisContext *c = redisConnect(host, port);
    if (c == NULL || c->err) {
        fprintf(stderr, "redis connect: %s\n", c ? c->errstr : "out of memory");
        exit(1);
    }
    return c;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// Nearest rank, as agentpool-bench's Sample.quantile.
static double quantile(const double *sorted, int n, double q) {
    if (n == 0) return -1;
    long rank = (long)(q * (n - 1) + 0.5);
    if (rank > n - 1) rank = n - 1;
    return sorted[rank];
}

static void reader(const char *host, int port, int count, int ready_fd) {
    redisContext *c = connect_or_die(host, port);
    double *latencies = calloc((size_t)count, sizeof(double));
    char last[64] = "0-0";  // the stream was deleted before: read every entry, whenever it came
    int received = 0;
    if (write(ready_fd, "r", 1) != 1) exit(1);
    close(ready_fd);
    while (received < count) {
        redisReply *r = redisCommand(c, "XREAD BLOCK 0 COUNT 100 STREAMS %s %s", stream, last);
        long long now = wall_nanos();
        if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 1) {
            fprintf(stderr, "XREAD: unexpected reply\n");
            exit(1);
        }
        redisReply *entries = r->element[0]->element[1];
        for (size_t i = 0; i < entries->elements && received < count; i++) {
            redisReply *entry = entries->element[i];
            snprintf(last, sizeof last, "%s", entry->element[0]->str);
            redisReply *fields = entry->element[1];
            for (size_t f = 0; f + 1 < fields->elements; f += 2) {
                if (strcmp(fields->element[f]->str, "sent") == 0) {
                    latencies[received++] = (double)(now - atoll(fields->element[f + 1]->str)) / 1000.0;
                    break;
                }
            }
        }
        freeReplyObject(r);
    }
    qsort(latencies, (size_t)received, sizeof(double), compare);
    printf("latency %.1f %.1f %.1f %d\n", quantile(latencies, received, 0.5),
           quantile(latencies, received, 0.99), latencies[received - 1], received);
    fflush(stdout);
    redisFree(c);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT COUNT RATE PAYLOAD\n", argv[0]);
        return 2;
    }
    const char *host = argv[1], *payload = argv[5];
    int port = atoi(argv[2]), count = atoi(argv[3]), rate = atoi(argv[4]);

    redisContext *c = connect_or_die(host, port);
    freeReplyObject(redisCommand(c, "DEL %s", stream));

    int ready[2];
    if (pipe(ready) != 0) return 1;
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        redisFree(c);
        reader(host, port, count, ready[1]);
        _exit(0);
    }
    close(ready[1]);
    char byte;
    if (read(ready[0], &byte, 1) != 1) return 1;
    usleep(50 * 1000);  // let the reader reach its first XREAD BLOCK

    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long long interval = 1000000000LL / rate;
    char sent[32];
    for (int i = 0; i < count; i++) {
        next.tv_nsec += interval;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
        snprintf(sent, sizeof sent, "%lld", wall_nanos());
        redisReply *r = redisCommand(c, "XADD %s * sent %s message %s", stream, sent, payload);
        if (r == NULL || r->type != REDIS_REPLY_STRING) {
            fprintf(stderr, "XADD failed\n");
            return 1;
        }
        freeReplyObject(r);
    }
    int status = 0;
    waitpid(child, &status, 0);
    redisFree(c);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
