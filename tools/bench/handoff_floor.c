/*
 * The C floor of an async call on this machine: what it costs to hand a job to a worker thread
 * and learn on an event loop that it finished, measured without any engine or JS.
 *
 *   cc -O2 -pthread -o handoff_floor handoff_floor.c
 *   handoff_floor WORK_US RUNS
 *
 * Each run does WORK_US of busy work twice: once inline on the main thread, once handed to a
 * worker thread the way the binding's executor and lanes do it (mutex + condition variable to
 * wake the worker; the worker writes an eventfd that the main thread waits for in epoll_wait, as
 * libuv's loop waits for a threadsafe-function call). The difference of the medians is the
 * hand-off cost: two thread wake-ups, paid by any design that runs the work off the calling
 * thread and reports back to an event loop.
 *
 * Prints one JSON object: {"work_us":..., "inline_ns":[...], "handed_ns":[...]}.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int queued = 0;
static int done_fd = -1;
static int64_t work_ns = 0;

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void busy(int64_t ns) {
    int64_t end = now_ns() + ns;
    while (now_ns() < end) {
    }
}

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!queued) pthread_cond_wait(&wake, &lock);
        queued = 0;
        pthread_mutex_unlock(&lock);
        busy(work_ns);
        uint64_t one = 1;
        if (write(done_fd, &one, sizeof one) != (ssize_t)sizeof one) return NULL;
    }
}

static void print_array(const char *name, const int64_t *v, int n, int last) {
    printf("\"%s\":[", name);
    for (int i = 0; i < n; i++) printf("%s%lld", i ? "," : "", (long long)v[i]);
    printf("]%s", last ? "" : ",");
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: handoff_floor WORK_US RUNS\n");
        return 2;
    }
    long work_us = atol(argv[1]);
    int runs = atoi(argv[2]);
    if (work_us < 0 || runs < 1) {
        fprintf(stderr, "handoff_floor: WORK_US must be >= 0 and RUNS >= 1\n");
        return 2;
    }
    work_ns = (int64_t)work_us * 1000;
    done_fd = eventfd(0, EFD_NONBLOCK);
    int loop = epoll_create1(0);
    if (done_fd < 0 || loop < 0) {
        perror("handoff_floor");
        return 1;
    }
    struct epoll_event interest = {.events = EPOLLIN, .data.fd = done_fd};
    if (epoll_ctl(loop, EPOLL_CTL_ADD, done_fd, &interest) != 0) {
        perror("handoff_floor: epoll_ctl");
        return 1;
    }
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) {
        fprintf(stderr, "handoff_floor: cannot start the worker\n");
        return 1;
    }
    int64_t *inline_ns = malloc(sizeof(int64_t) * (size_t)runs);
    int64_t *handed_ns = malloc(sizeof(int64_t) * (size_t)runs);
    if (!inline_ns || !handed_ns) return 1;
    for (int i = 0; i < runs; i++) {
        int64_t t0 = now_ns();
        busy(work_ns);
        inline_ns[i] = now_ns() - t0;

        t0 = now_ns();
        pthread_mutex_lock(&lock);
        queued = 1;
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
        struct epoll_event ready;
        while (epoll_wait(loop, &ready, 1, -1) != 1) {
        }
        uint64_t count;
        if (read(done_fd, &count, sizeof count) != (ssize_t)sizeof count) return 1;
        handed_ns[i] = now_ns() - t0;
    }
    printf("{\"work_us\":%ld,", work_us);
    print_array("inline_ns", inline_ns, runs, 0);
    print_array("handed_ns", handed_ns, runs, 1);
    printf("}\n");
    return 0;
}
