/* C surface of our MindSpore Lite 2.0.0 shim (compiled by tools/runtime/build-mindspore-shim.mjs).
 *
 * Only plain C types cross this boundary: opaque handles, integers, byte buffers and
 * NUL-terminated strings. Every entry point catches every C++ exception. A failing call
 * returns a nonzero LMS_* code and leaves a message for lms_last_error() on the calling thread
 * (the engine's status text plus the error lines the engine logged during the call, which would
 * otherwise only go to glog on stderr). Handles are not thread-safe except lms_runner_predict. */
#ifndef LITE_MINDSPORE_SHIM_H
#define LITE_MINDSPORE_SHIM_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature or struct below changes; the Rust loader refuses other values. */
#define LMS_ABI_VERSION 1

#if defined(__GNUC__)
#define LMS_API __attribute__((visibility("default")))
#else
#define LMS_API
#endif

#define LMS_OK 0
#define LMS_ERR_ENGINE 1      /* the engine returned a failing Status */
#define LMS_ERR_INVALID 2     /* rejected by the shim before reaching the engine */
#define LMS_ERR_UNSUPPORTED 3 /* the engine says: not supported (kLiteNotSupport and friends) */
#define LMS_ERR_EXCEPTION 4   /* a C++ exception was caught */

typedef struct lms_model lms_model;
typedef struct lms_runner lms_runner;
typedef struct lms_tensors lms_tensors;

/* Build settings (mindspore::Context with one CPU device, plus config and runner settings). */
typedef struct lms_build_options {
  int32_t thread_num;            /* <= 0: engine default */
  int32_t inter_op_parallel_num; /* <= 0: engine default */
  int32_t affinity_mode;         /* < 0: not set; 0 none, 1 big cores first, 2 little cores first */
  const int32_t *core_list;      /* may be NULL */
  size_t core_list_len;
  int32_t enable_fp16;           /* CPU precision "preferred_fp16" */
  const char *config_path;       /* NULL or "": none */
  /* config_dict entries (section, key, value) */
  const char *const *cfg_sections;
  const char *const *cfg_keys;
  const char *const *cfg_values;
  size_t cfg_len;
  int32_t workers_num;           /* runner only; <= 0: engine default */
} lms_build_options;

/* One tensor of an lms_tensors list; pointers stay valid while the list lives. */
typedef struct lms_tensor_info {
  const char *name;
  int32_t dtype;  /* mindspore::DataType */
  int32_t format; /* mindspore::Format */
  size_t ndim;
  const int64_t *shape;
  size_t data_size;  /* bytes */
  const void *data;  /* NULL when the tensor has no host data yet */
} lms_tensor_info;

LMS_API int32_t lms_abi_version(void);
/* Installs the log capture; quiet != 0 also keeps glog off stderr. Call once after loading. */
LMS_API void lms_init(int32_t quiet);
/* Message of the last failing call on this thread ("" if none). */
LMS_API const char *lms_last_error(void);

LMS_API size_t lms_tensors_len(const lms_tensors *list);
LMS_API int32_t lms_tensors_get(const lms_tensors *list, size_t index, lms_tensor_info *out);
LMS_API void lms_tensors_free(lms_tensors *list);

LMS_API int32_t lms_model_new(lms_model **out);
LMS_API void lms_model_free(lms_model *model);
LMS_API int32_t lms_model_build_file(lms_model *model, const char *path, uint32_t model_type, const lms_build_options *opts);
LMS_API int32_t lms_model_build_buffer(lms_model *model, const void *data, size_t size, uint32_t model_type,
                               const lms_build_options *opts);
LMS_API int32_t lms_model_inputs(lms_model *model, lms_tensors **out);
LMS_API int32_t lms_model_outputs(lms_model *model, lms_tensors **out);
/* Resizes all n inputs (in lms_model_inputs order); dims of input i are dims[offsets[i]..offsets[i+1]). */
LMS_API int32_t lms_model_resize(lms_model *model, size_t n, const int64_t *dims, const size_t *offsets);
/* Copies n input buffers into the model's inputs (sizes must match), runs, returns the outputs. */
LMS_API int32_t lms_model_predict(lms_model *model, size_t n, const void *const *data, const size_t *sizes,
                          lms_tensors **outputs);

LMS_API int32_t lms_runner_new(lms_runner **out);
LMS_API void lms_runner_free(lms_runner *runner);
LMS_API int32_t lms_runner_init_file(lms_runner *runner, const char *path, const lms_build_options *opts);
LMS_API int32_t lms_runner_inputs(lms_runner *runner, lms_tensors **out);
LMS_API int32_t lms_runner_outputs(lms_runner *runner, lms_tensors **out);
/* Thread-safe. Input i: name/dtype of the runner's input i, the given shape and bytes. */
LMS_API int32_t lms_runner_predict(lms_runner *runner, size_t n, const void *const *data, const size_t *sizes,
                           const int64_t *dims, const size_t *offsets, lms_tensors **outputs);

#ifdef __cplusplus
}
#endif
#endif
