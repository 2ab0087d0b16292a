/*
 * The native floor of the benchmark suite: MegEngine Lite's C API ("lite-c") called directly.
 * The runtime is dlopen'ed (like our binding does), so no lite headers or import library are
 * needed: the few prototypes used are declared below, matching lite-c 1.13
 * (lite-c/global_c.h, network_c.h, tensor_c.h: handles are opaque pointers, every call returns
 * 0 on success).
 *
 *   cc -O2 -o lite_bench lite_bench.c -ldl
 *   lite_bench LIB MODEL INPUT OUTPUT RAW_F32_INPUT THREADS WARMUP ITERS MAX_SECONDS MICRO_REPS
 *
 * Network: LITE_make_default_network (= megenginelite's LiteNetwork() defaults: CPU, default
 * config and options), LITE_set_cpu_threads_number(THREADS) before load, load from path. The
 * input tensor is filled once from RAW_F32_INPUT (raw little-endian float32, the input's size).
 * Then WARMUP forward+wait, then up to ITERS timed forward+wait (stops early after MAX_SECONDS).
 * Then per-call micro benchmarks (MICRO_REPS rounds of a batch of calls each; the per-call time
 * of each round is reported): get_io_tensor, copy into the input (memcpy into its memory, what
 * set_data_by_copy does), copy the output out (memcpy), get the output's memory pointer (share),
 * share a buffer as the input (LITE_reset_tensor_memory) -- the same order as the other runners.
 *
 * Prints one JSON object on stdout; all times are in nanoseconds.
 *
 * Serving floor (the pool's C counterpart):
 *
 *   lite_bench serve LIB MODEL INPUT OUTPUT RAW_F32_INPUT THREADS NETS INPLACE SECONDS
 *
 * NETS pthreads, each with its own network (LITE_make_default_network; LITE_set_cpu_inplace_mode
 * when INPLACE is 1; THREADS cpu threads; loaded from MODEL), warmed with 5 runs; then, all
 * starting together, each loops {memcpy the input in, forward, wait, memcpy the output out} for
 * SECONDS. Prints {"inferences": total, "seconds": wall, "per_net": [...]} on stdout.
 */
#define _POSIX_C_SOURCE 200112L
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void* LiteNetwork;
typedef void* LiteTensor;
enum { LITE_IO = 0 };

typedef int (*make_default_network_t)(LiteNetwork*);
typedef int (*set_threads_t)(LiteNetwork, size_t);
typedef int (*load_path_t)(LiteNetwork, const char*);
typedef int (*get_io_tensor_t)(LiteNetwork, const char*, int, LiteTensor*);
typedef int (*get_memory_t)(LiteTensor, void**);
typedef int (*get_size_t)(LiteTensor, size_t*);
typedef int (*reset_memory_t)(LiteTensor, void*, size_t);
typedef int (*net_call_t)(LiteNetwork);
typedef const char* (*last_error_t)(void);
typedef int (*version_t)(int*, int*, int*);

static last_error_t lite_last_error;

#define CHECK(call)                                                                    \
    do {                                                                               \
        if ((call) != 0) {                                                             \
            fprintf(stderr, "lite_bench: %s failed: %s\n", #call,                      \
                    lite_last_error ? lite_last_error() : "(no message)");             \
            exit(1);                                                                   \
        }                                                                              \
    } while (0)

static void* sym(void* lib, const char* name) {
    void* p = dlsym(lib, name);
    if (!p) {
        fprintf(stderr, "lite_bench: symbol %s not found: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void print_array(const char* key, const double* v, int n, int last) {
    printf("\"%s\":[", key);
    for (int i = 0; i < n; i++) printf("%s%.1f", i ? "," : "", v[i]);
    printf("]%s", last ? "" : ",");
}

/* ------------------------------------------------------------------ serving floor */
typedef struct {
    void* lib;
    const char *model, *in_name, *out_name;
    const void* input;
    size_t threads;
    int inplace;
    double seconds;
    pthread_barrier_t* ready;
    long count;
    double wall;
    LiteNetwork net;
} serve_arg;

static void* serve_thread(void* p) {
    serve_arg* a = (serve_arg*)p;
    make_default_network_t make_net = (make_default_network_t)sym(a->lib, "LITE_make_default_network");
    net_call_t set_inplace = (net_call_t)sym(a->lib, "LITE_set_cpu_inplace_mode");
    set_threads_t set_threads = (set_threads_t)sym(a->lib, "LITE_set_cpu_threads_number");
    load_path_t load = (load_path_t)sym(a->lib, "LITE_load_model_from_path");
    get_io_tensor_t get_io = (get_io_tensor_t)sym(a->lib, "LITE_get_io_tensor");
    get_memory_t get_mem = (get_memory_t)sym(a->lib, "LITE_get_tensor_memory");
    get_size_t get_size = (get_size_t)sym(a->lib, "LITE_get_tensor_total_size_in_byte");
    net_call_t forward = (net_call_t)sym(a->lib, "LITE_forward");
    net_call_t wait = (net_call_t)sym(a->lib, "LITE_wait");
    LiteNetwork net = NULL;
    CHECK(make_net(&net));
    if (a->inplace) CHECK(set_inplace(net));
    CHECK(set_threads(net, a->threads));
    CHECK(load(net, a->model));
    LiteTensor in = NULL, out = NULL;
    CHECK(get_io(net, a->in_name, LITE_IO, &in));
    CHECK(get_io(net, a->out_name, LITE_IO, &out));
    size_t in_bytes = 0, out_bytes = 0;
    CHECK(get_size(in, &in_bytes));
    CHECK(get_size(out, &out_bytes));
    void* out_host = malloc(out_bytes);
    for (int i = 0; i < 5; i++) {
        CHECK(forward(net));
        CHECK(wait(net));
    }
    pthread_barrier_wait(a->ready); /* all networks loaded and warm: start together */
    int64_t t0 = now_ns(), end = t0 + (int64_t)(a->seconds * 1e9);
    long n = 0;
    while (now_ns() < end) {
        void *pi = NULL, *po = NULL;
        CHECK(get_mem(in, &pi));
        memcpy(pi, a->input, in_bytes);
        CHECK(forward(net));
        CHECK(wait(net));
        CHECK(get_mem(out, &po));
        memcpy(out_host, po, out_bytes);
        n++;
    }
    a->wall = (double)(now_ns() - t0) / 1e9;
    a->count = n;
    free(out_host);
    /* Destroyed by the main thread after every thread finished: destroying networks on several
       threads at once once aborted in the engine ("Handle is destructed before opr gets
       destructed"). */
    a->net = net;
    return NULL;
}

static int serve_main(int argc, char** argv) {
    if (argc != 11) {
        fprintf(stderr, "usage: %s serve LIB MODEL INPUT OUTPUT RAW_F32_INPUT THREADS NETS INPLACE SECONDS\n", argv[0]);
        return 2;
    }
    void* lib = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "lite_bench: dlopen(%s) failed: %s\n", argv[2], dlerror());
        return 1;
    }
    lite_last_error = (last_error_t)sym(lib, "LITE_get_last_error");
    int nets = atoi(argv[8]);
    if (nets < 1 || nets > 64) {
        fprintf(stderr, "lite_bench: NETS must be 1..64\n");
        return 2;
    }
    FILE* f = fopen(argv[6], "rb");
    if (!f) {
        fprintf(stderr, "lite_bench: cannot open %s\n", argv[6]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    void* input = malloc((size_t)size);
    if (fread(input, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "lite_bench: cannot read %s\n", argv[6]);
        return 1;
    }
    fclose(f);
    pthread_barrier_t ready;
    pthread_barrier_init(&ready, NULL, (unsigned)nets);
    serve_arg* args = calloc((size_t)nets, sizeof(serve_arg));
    pthread_t* tids = calloc((size_t)nets, sizeof(pthread_t));
    for (int i = 0; i < nets; i++) {
        args[i] = (serve_arg){lib, argv[3], argv[4], argv[5], input, (size_t)atoi(argv[7]), atoi(argv[9]), atof(argv[10]), &ready, 0, 0, NULL};
        pthread_create(&tids[i], NULL, serve_thread, &args[i]);
    }
    long total = 0;
    double wall = 0;
    for (int i = 0; i < nets; i++) {
        pthread_join(tids[i], NULL);
        total += args[i].count;
        if (args[i].wall > wall) wall = args[i].wall;
    }
    printf("{\"inferences\":%ld,\"seconds\":%.4f,\"per_net\":[", total, wall);
    for (int i = 0; i < nets; i++) printf("%s%ld", i ? "," : "", args[i].count);
    printf("]}\n");
    fflush(stdout);
    net_call_t destroy = (net_call_t)sym(lib, "LITE_destroy_network");
    for (int i = 0; i < nets; i++) CHECK(destroy(args[i].net));
    return 0;
}

int main(int argc, char** argv) {
    if (argc > 1 && strcmp(argv[1], "serve") == 0) return serve_main(argc, argv);
    if (argc != 11) {
        fprintf(stderr,
                "usage: %s LIB MODEL INPUT OUTPUT RAW_F32_INPUT THREADS WARMUP ITERS MAX_SECONDS "
                "MICRO_REPS\n",
                argv[0]);
        return 2;
    }
    const char *lib_path = argv[1], *model = argv[2], *in_name = argv[3], *out_name = argv[4],
               *raw_path = argv[5];
    size_t threads = (size_t)atoi(argv[6]);
    int warmup = atoi(argv[7]), iters = atoi(argv[8]);
    double max_seconds = atof(argv[9]);
    int micro_reps = atoi(argv[10]);

    void* lib = dlopen(lib_path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "lite_bench: dlopen(%s) failed: %s\n", lib_path, dlerror());
        return 1;
    }
    lite_last_error = (last_error_t)sym(lib, "LITE_get_last_error");
    version_t get_version = (version_t)sym(lib, "LITE_get_version");
    make_default_network_t make_net = (make_default_network_t)sym(lib, "LITE_make_default_network");
    set_threads_t set_threads = (set_threads_t)sym(lib, "LITE_set_cpu_threads_number");
    load_path_t load = (load_path_t)sym(lib, "LITE_load_model_from_path");
    get_io_tensor_t get_io = (get_io_tensor_t)sym(lib, "LITE_get_io_tensor");
    get_memory_t get_mem = (get_memory_t)sym(lib, "LITE_get_tensor_memory");
    get_size_t get_size = (get_size_t)sym(lib, "LITE_get_tensor_total_size_in_byte");
    reset_memory_t reset_mem = (reset_memory_t)sym(lib, "LITE_reset_tensor_memory");
    net_call_t forward = (net_call_t)sym(lib, "LITE_forward");
    net_call_t wait = (net_call_t)sym(lib, "LITE_wait");
    net_call_t destroy = (net_call_t)sym(lib, "LITE_destroy_network");

    int major = 0, minor = 0, patch = 0;
    CHECK(get_version(&major, &minor, &patch));

    LiteNetwork net = NULL;
    CHECK(make_net(&net));
    CHECK(set_threads(net, threads));
    CHECK(load(net, model));

    LiteTensor in = NULL, out = NULL;
    CHECK(get_io(net, in_name, LITE_IO, &in));
    CHECK(get_io(net, out_name, LITE_IO, &out));
    size_t in_bytes = 0;
    CHECK(get_size(in, &in_bytes));
    void* host = malloc(in_bytes);
    FILE* f = fopen(raw_path, "rb");
    if (!f || fread(host, 1, in_bytes, f) != in_bytes) {
        fprintf(stderr, "lite_bench: cannot read %zu bytes from %s\n", in_bytes, raw_path);
        return 1;
    }
    fclose(f);
    void* in_mem = NULL;
    CHECK(get_mem(in, &in_mem));
    memcpy(in_mem, host, in_bytes);

    for (int i = 0; i < warmup; i++) {
        CHECK(forward(net));
        CHECK(wait(net));
    }
    double* times = malloc(sizeof(double) * (size_t)(iters > 0 ? iters : 1));
    int n = 0;
    int64_t t_start = now_ns();
    for (; n < iters; n++) {
        int64_t t0 = now_ns();
        CHECK(forward(net));
        CHECK(wait(net));
        times[n] = (double)(now_ns() - t0);
        if ((double)(now_ns() - t_start) > max_seconds * 1e9 && n >= 4) {
            n++;
            break;
        }
    }

    size_t out_bytes = 0;
    CHECK(get_size(out, &out_bytes));
    void* out_host = malloc(out_bytes);
    void* share_buf = malloc(in_bytes); /* a separate buffer, so the copies below stay real */
    memcpy(share_buf, host, in_bytes);
    /* micro benchmarks: batches sized so a batch takes ~1 ms or more */
    int batch_small = 2000;
    int batch_in = in_bytes > (1 << 16) ? 50 : 2000;
    int batch_out = out_bytes > (1 << 16) ? 50 : 2000;
    double *m_getio = malloc(sizeof(double) * micro_reps), *m_copy = malloc(sizeof(double) * micro_reps),
           *m_share = malloc(sizeof(double) * micro_reps), *m_outcopy = malloc(sizeof(double) * micro_reps),
           *m_outshare = malloc(sizeof(double) * micro_reps);
    volatile uintptr_t sink = 0;
    for (int r = 0; r < micro_reps; r++) {
        int64_t t0 = now_ns();
        for (int i = 0; i < batch_small; i++) {
            LiteTensor t = NULL;
            CHECK(get_io(net, in_name, LITE_IO, &t));
            sink += (uintptr_t)t;
        }
        m_getio[r] = (double)(now_ns() - t0) / batch_small;

        t0 = now_ns();
        for (int i = 0; i < batch_in; i++) {
            void* p = NULL;
            CHECK(get_mem(in, &p));
            memcpy(p, host, in_bytes);
        }
        m_copy[r] = (double)(now_ns() - t0) / batch_in;

        t0 = now_ns();
        for (int i = 0; i < batch_out; i++) {
            void* p = NULL;
            CHECK(get_mem(out, &p));
            memcpy(out_host, p, out_bytes);
        }
        m_outcopy[r] = (double)(now_ns() - t0) / batch_out;

        t0 = now_ns();
        for (int i = 0; i < batch_small; i++) {
            void* p = NULL;
            CHECK(get_mem(out, &p));
            sink += (uintptr_t)p;
        }
        m_outshare[r] = (double)(now_ns() - t0) / batch_small;

        t0 = now_ns();
        for (int i = 0; i < batch_small; i++) CHECK(reset_mem(in, share_buf, in_bytes));
        m_share[r] = (double)(now_ns() - t0) / batch_small;
    }

    printf("{\"runtime_version\":\"%d.%d.%d\",\"threads\":%zu,\"input_bytes\":%zu,\"output_bytes\":%zu,",
           major, minor, patch, threads, in_bytes, out_bytes);
    print_array("forward_wait", times, n, 0);
    printf("\"micro\":{");
    print_array("getIoTensor", m_getio, micro_reps, 0);
    print_array("setDataByCopy", m_copy, micro_reps, 0);
    print_array("setDataByShare", m_share, micro_reps, 0);
    print_array("toTypedArray", m_outcopy, micro_reps, 0);
    print_array("getDataByShare", m_outshare, micro_reps, 1);
    printf("}}\n");

    CHECK(destroy(net));
    return 0;
}
