// NATS JetStream through the NATS C client (Debian's libnats-dev), on a file-store stream.
//
//   jetstream_bench URL publish COUNT PAYLOAD
//       one client publishes COUNT messages, each with its own dedupe id (Nats-Msg-Id) and
//       waiting for the stream's ack before the next; then re-publishes the first id and checks
//       that the server answers Duplicate. Prints "publish PER_SECOND".
//   jetstream_bench URL latency COUNT RATE PAYLOAD
//       a writer process publishes (with a dedupe id, waiting for the ack) COUNT messages at
//       RATE/s, each carrying the wall-clock time taken just before its publish; a reader process
//       follows the stream with an ordered push consumer and records now − sent.
//       Prints "latency P50_US P99_US MAX_US RECEIVED".
//
// Built at run time by Benchmarks/peers/run.
#include <nats/nats.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *stream_name = "BENCH";

static long long wall_nanos(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double monotonic_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void check(natsStatus s, jsErrCode jerr, const char *what) {
    if (s != NATS_OK) {
        fprintf(stderr, "%s: %s (JetStream error %d) %s\n", what, natsStatus_GetText(s), (int)jerr,
                nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "");
        exit(1);
    }
}

static void connect_js(const char *url, natsConnection **nc, jsCtx **js) {
    check(natsConnection_ConnectTo(nc, url), 0, "connect");
    check(natsConnection_JetStream(js, *nc, NULL), 0, "jetstream context");
}

/// A fresh file-store stream on subjects bench.> (the previous one, if any, deleted).
static void fresh_stream(jsCtx *js) {
    jsErrCode jerr = 0;
    js_DeleteStream(js, stream_name, NULL, &jerr);  // absent on the first run: not an error here
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char *subjects[] = {"bench.>"};
    config.Name = stream_name;
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    jsStreamInfo *info = NULL;
    check(js_AddStream(&info, js, &config, NULL, &jerr), jerr, "add stream");
    jsStreamInfo_Destroy(info);
}

/// Publishes with dedupe id `id` and waits for the ack; returns whether the server saw a duplicate.
static bool publish(jsCtx *js, const char *subject, const char *data, const char *id) {
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MsgId = id;
    jsPubAck *ack = NULL;
    jsErrCode jerr = 0;
    check(js_Publish(&ack, js, subject, data, (int)strlen(data), &options, &jerr), jerr, "publish");
    bool duplicate = ack->Duplicate;
    jsPubAck_Destroy(ack);
    return duplicate;
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

static int run_publish(const char *url, int count, const char *payload) {
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    connect_js(url, &nc, &js);
    fresh_stream(js);
    char id[32];
    publish(js, "bench.warmup", payload, "warm-up");
    double start = monotonic_seconds();
    for (int i = 0; i < count; i++) {
        snprintf(id, sizeof id, "m-%d", i);
        if (publish(js, "bench.pub", payload, id)) {
            fprintf(stderr, "publish: fresh id %s reported as duplicate\n", id);
            return 1;
        }
    }
    double elapsed = monotonic_seconds() - start;
    if (!publish(js, "bench.pub", payload, "m-0")) {
        fprintf(stderr, "publish: the server did not dedupe a repeated Nats-Msg-Id\n");
        return 1;
    }
    printf("publish %.1f\n", count / elapsed);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return 0;
}

static void reader(const char *url, int count, int ready_fd) {
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    connect_js(url, &nc, &js);
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Ordered = true;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    check(js_SubscribeSync(&sub, js, "bench.latency", NULL, &options, &jerr), jerr, "ordered consumer");
    double *latencies = calloc((size_t)count, sizeof(double));
    if (write(ready_fd, "r", 1) != 1) exit(1);
    close(ready_fd);
    int received = 0;
    while (received < count) {
        natsMsg *msg = NULL;
        check(natsSubscription_NextMsg(&msg, sub, 30000), 0, "next message");
        long long now = wall_nanos();
        latencies[received++] = (double)(now - atoll(natsMsg_GetData(msg))) / 1000.0;
        natsMsg_Destroy(msg);
    }
    qsort(latencies, (size_t)received, sizeof(double), compare);
    printf("latency %.1f %.1f %.1f %d\n", quantile(latencies, received, 0.5),
           quantile(latencies, received, 0.99), latencies[received - 1], received);
    fflush(stdout);
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

static int run_latency(const char *url, int count, int rate, const char *payload) {
    // Fork before the NATS library starts its threads; the child waits until the parent has made
    // the fresh stream, subscribes, and says when it is ready.
    int stream_made[2], ready[2];
    if (pipe(stream_made) != 0 || pipe(ready) != 0) return 1;
    fflush(stdout);
    pid_t child = fork();
    char byte;
    if (child == 0) {
        close(stream_made[1]);
        close(ready[0]);
        if (read(stream_made[0], &byte, 1) != 1) _exit(1);
        reader(url, count, ready[1]);
        _exit(0);
    }
    close(stream_made[0]);
    close(ready[1]);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    connect_js(url, &nc, &js);
    fresh_stream(js);
    if (write(stream_made[1], "s", 1) != 1) return 1;
    if (read(ready[0], &byte, 1) != 1) return 1;
    usleep(50 * 1000);
    size_t size = strlen(payload) + 32;
    char *data = malloc(size);
    char id[32];
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long long interval = 1000000000LL / rate;
    for (int i = 0; i < count; i++) {
        next.tv_nsec += interval;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR) {}
        snprintf(id, sizeof id, "l-%d", i);
        snprintf(data, size, "%lld %s", wall_nanos(), payload);
        publish(js, "bench.latency", data, id);
    }
    int status = 0;
    waitpid(child, &status, 0);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv) {
    if (argc == 5 && strcmp(argv[2], "publish") == 0) return run_publish(argv[1], atoi(argv[3]), argv[4]);
    if (argc == 6 && strcmp(argv[2], "latency") == 0)
        return run_latency(argv[1], atoi(argv[3]), atoi(argv[4]), argv[5]);
    fprintf(stderr, "usage: %s URL publish COUNT PAYLOAD | URL latency COUNT RATE PAYLOAD\n", argv[0]);
    return 2;
}
