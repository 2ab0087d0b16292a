/*
 * The MindSpore Lite native floor of the benchmark suite: our shim's C API
 * (crates/mindspore-sys/shim/lite_mindspore_shim.h, the surface @lite/mindspore calls through
 * Rust) in a plain C loop. The shim is dlopen'ed from the runtime folder like the binding does
 * (its DT_RPATH $ORIGIN finds the MindSpore libraries beside it), so nothing is linked.
 *
 *   cc -O2 -I crates/mindspore-sys/shim -o mindspore_bench mindspore_bench.c -ldl
 *   mindspore_bench SHIM MODEL RAW_F32_INPUT THREADS WARMUP ITERS MAX_SECONDS
 *
 * Model: lms_model_build_file (MINDIR, one CPU device, THREADS threads, engine defaults
 * otherwise — the Context @lite/mindspore and mindspore_lite build with only cpu.threadNum set).
 * The single input's bytes come from RAW_F32_INPUT (raw little-endian float32, the input's size).
 * One run = what @lite/mindspore's predict does underneath: lms_model_predict (copies the input
 * in, runs, lists the outputs), then a memcpy of every output out of the engine, then
 * lms_tensors_free. WARMUP runs, then up to ITERS timed runs (stops early after MAX_SECONDS).
 *
 * Prints one JSON object on stdout: {"predict": [ns per run...], "first": output[0][0]}.
 */
#define _POSIX_C_SOURCE 200112L
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lite_mindspore_shim.h"

#define MINDIR 0u /* mindspore::ModelType::kMindIR */

typedef int32_t (*abi_t)(void);
typedef void (*init_t)(int32_t);
typedef const char *(*last_error_t)(void);
typedef size_t (*tensors_len_t)(const lms_tensors *);
typedef int32_t (*tensors_get_t)(const lms_tensors *, size_t, lms_tensor_info *);
typedef void (*tensors_free_t)(lms_tensors *);
typedef int32_t (*model_new_t)(lms_model **);
typedef void (*model_free_t)(lms_model *);
typedef int32_t (*build_file_t)(lms_model *, const char *, uint32_t, const lms_build_options *);
typedef int32_t (*model_tensors_t)(lms_model *, lms_tensors **);
typedef int32_t (*resize_t)(lms_model *, size_t, const int64_t *, const size_t *);
typedef int32_t (*predict_t)(lms_model *, size_t, const void *const *, const size_t *, lms_tensors **);

static last_error_t last_error;

#define CHECK(call)                                                               \
    do {                                                                          \
        if ((call) != LMS_OK) {                                                   \
            fprintf(stderr, "mindspore_bench: %s failed: %s\n", #call, last_error());    \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

static void *sym(void *lib, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) {
        fprintf(stderr, "mindspore_bench: symbol %s not found: %s\n", name, dlerror());
        exit(1);
    }
    return p;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s SHIM MODEL RAW_F32_INPUT THREADS WARMUP ITERS MAX_SECONDS\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "mindspore_bench: dlopen(%s) failed: %s\n", argv[1], dlerror());
        return 1;
    }
    int threads = atoi(argv[4]), warmup = atoi(argv[5]), iters = atoi(argv[6]);
    double max_seconds = atof(argv[7]);
    if (threads < 1 || warmup < 0 || iters < 1) {
        fprintf(stderr, "mindspore_bench: bad THREADS/WARMUP/ITERS\n");
        return 2;
    }

    abi_t abi = (abi_t)sym(lib, "lms_abi_version");
    if (abi() != LMS_ABI_VERSION) {
        fprintf(stderr, "mindspore_bench: shim ABI %d, this program expects %d\n", abi(), LMS_ABI_VERSION);
        return 1;
    }
    init_t init = (init_t)sym(lib, "lms_init");
    last_error = (last_error_t)sym(lib, "lms_last_error");
    tensors_len_t tensors_len = (tensors_len_t)sym(lib, "lms_tensors_len");
    tensors_get_t tensors_get = (tensors_get_t)sym(lib, "lms_tensors_get");
    tensors_free_t tensors_free = (tensors_free_t)sym(lib, "lms_tensors_free");
    model_new_t model_new = (model_new_t)sym(lib, "lms_model_new");
    model_free_t model_free = (model_free_t)sym(lib, "lms_model_free");
    build_file_t build_file = (build_file_t)sym(lib, "lms_model_build_file");
    model_tensors_t model_inputs = (model_tensors_t)sym(lib, "lms_model_inputs");
    resize_t resize = (resize_t)sym(lib, "lms_model_resize");
    predict_t predict = (predict_t)sym(lib, "lms_model_predict");
    init(1); /* engine logging off stderr, as the binding does */

    lms_model *model = NULL;
    CHECK(model_new(&model));
    lms_build_options opts;
    memset(&opts, 0, sizeof opts);
    opts.thread_num = threads;
    opts.affinity_mode = -1;
    CHECK(build_file(model, argv[2], MINDIR, &opts));

    FILE *f = fopen(argv[3], "rb");
    long file_bytes = -1;
    if (f && fseek(f, 0, SEEK_END) == 0) file_bytes = ftell(f);
    if (!f || file_bytes <= 0 || fseek(f, 0, SEEK_SET) != 0) {
        fprintf(stderr, "mindspore_bench: cannot read %s\n", argv[3]);
        return 1;
    }
    lms_tensors *ins = NULL;
    CHECK(model_inputs(model, &ins));
    lms_tensor_info in;
    if (tensors_len(ins) != 1) {
        fprintf(stderr, "mindspore_bench: the model has %zu inputs, expected 1\n", tensors_len(ins));
        return 1;
    }
    CHECK(tensors_get(ins, 0, &in));
    /* a dynamic dim (-1, e.g. the batch) takes what the input file holds, as predict's resize does */
    int64_t dims[8];
    size_t known = sizeof(float), dynamic = in.ndim;
    if (in.ndim > 8) return 1;
    for (size_t d = 0; d < in.ndim; d++) {
        dims[d] = in.shape[d];
        if (dims[d] < 0) dynamic = d;
        else known *= (size_t)dims[d];
    }
    tensors_free(ins);
    size_t in_bytes = (size_t)file_bytes;
    if (dynamic < in.ndim) {
        dims[dynamic] = (int64_t)(in_bytes / known);
        size_t offsets[2] = {0, in.ndim};
        CHECK(resize(model, 1, dims, offsets));
    }
    if (in_bytes % known != 0 || (dynamic == in.ndim && in_bytes != known)) {
        fprintf(stderr, "mindspore_bench: %s holds %zu bytes, the input needs %zu\n", argv[3], in_bytes, known);
        return 1;
    }
    void *input = malloc(in_bytes);
    if (!input || fread(input, 1, in_bytes, f) != in_bytes) {
        fprintf(stderr, "mindspore_bench: cannot read %zu bytes from %s\n", in_bytes, argv[3]);
        return 1;
    }
    fclose(f);
    const void *data[1] = {input};
    size_t sizes[1] = {in_bytes};

    char *out_copy = NULL;
    size_t out_cap = 0;
    float first = 0;
    double *times = malloc(sizeof(double) * (size_t)iters);
    if (!times) return 1;
    int n = 0;
    int64_t deadline = 0;
    for (int i = 0; i < warmup + iters; i++) {
        if (i == warmup) deadline = now_ns() + (int64_t)(max_seconds * 1e9);
        int64_t t0 = now_ns();
        lms_tensors *outs = NULL;
        CHECK(predict(model, 1, data, sizes, &outs));
        for (size_t k = 0; k < tensors_len(outs); k++) {
            lms_tensor_info o;
            CHECK(tensors_get(outs, k, &o));
            if (o.data_size > out_cap) {
                free(out_copy);
                out_cap = o.data_size;
                out_copy = malloc(out_cap);
                if (!out_copy) return 1;
            }
            if (o.data) memcpy(out_copy, o.data, o.data_size);
            if (k == 0 && o.data_size >= sizeof(float)) memcpy(&first, out_copy, sizeof(float));
        }
        tensors_free(outs);
        int64_t t1 = now_ns();
        if (i >= warmup) {
            times[n++] = (double)(t1 - t0);
            if (t1 > deadline) break;
        }
    }

    printf("{\"predict\":[");
    for (int i = 0; i < n; i++) printf("%s%.1f", i ? "," : "", times[i]);
    printf("],\"first\":%.9g}\n", (double)first);
    model_free(model);
    free(times);
    free(out_copy);
    free(input);
    return 0;
}
