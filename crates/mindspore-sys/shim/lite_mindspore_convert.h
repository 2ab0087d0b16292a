/* C surface of our MindSpore Lite 2.0.0 converter shim (liblite_mindspore_convert.so, compiled by
 * tools/runtime/build-mindspore-shim.mjs beside liblite_mindspore_shim.so and linked to the
 * runtime's libmindspore_converter.so). A separate object so that inference never maps the
 * converter (57 MB plus its plugin and OpenCV).
 *
 * Same conventions as lite_mindspore_shim.h: plain C types only, every C++ exception caught, a
 * failing call returns a nonzero LMS_* code and leaves its message for lmc_last_error() on the
 * calling thread. lmc_convert serialises itself: the engine's converter keeps process-wide state
 * (its ConverterInnerContext singleton) and is documented as not callable from several threads. */
#ifndef LITE_MINDSPORE_CONVERT_H
#define LITE_MINDSPORE_CONVERT_H
#include <stddef.h>
#include <stdint.h>

#include "lite_mindspore_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a signature or struct below changes; the Rust loader refuses other values. */
#define LMC_ABI_VERSION 1

/* One conversion. Strings: NULL means "not set" (the engine's default stays). Enums: < 0 means
 * "not set"; otherwise the engine's numeric value. Booleans: < 0 not set, 0 false, else true. */
typedef struct lmc_options {
  int32_t fmk_type;         /* mindspore::converter::FmkType: TF 0, CAFFE 1, ONNX 2, MINDIR 3, TFLITE 4 */
  const char *model_file;   /* required */
  const char *output_file;  /* required; the engine appends ".mindir" (save type MINDIR) or ".ms" */
  const char *weight_file;  /* NULL or "": none (CAFFE needs it) */
  const char *config_file;  /* NULL: none */
  int32_t weight_fp16;
  int32_t input_format;     /* mindspore::Format */
  int32_t input_data_type;  /* mindspore::DataType */
  int32_t output_data_type; /* mindspore::DataType */
  int64_t save_type;        /* mindspore::ModelType; < 0 not set */
  int32_t no_fusion;
  int32_t infer;
  int32_t train_model;
  int32_t optimize_transformer;
  int32_t enable_encryption;
  const char *encrypt_key;
  const char *decrypt_key;
  const char *decrypt_mode;
  const char *device;
  /* input_shape: names[i] has dims[offsets[i]..offsets[i+1]) */
  const char *const *shape_names;
  const int64_t *shape_dims;
  const size_t *shape_offsets;
  size_t shape_len;
  /* config info entries (section, key, value) */
  const char *const *cfg_sections;
  const char *const *cfg_keys;
  const char *const *cfg_values;
  size_t cfg_len;
} lmc_options;

LMS_API int32_t lmc_abi_version(void);
/* Installs this object's log capture; quiet != 0 also keeps glog off stderr. Call once after loading. */
LMS_API void lmc_init(int32_t quiet);
/* Message of the last failing call on this thread ("" if none). */
LMS_API const char *lmc_last_error(void);
/* Converts opts->model_file into opts->output_file (+ suffix). What the engine writes to std::cout
 * during the call (its "CONVERT RESULT ..." line) is kept off stdout; on failure it joins the message. */
/* Returns LMS_ERR_INVALID when the engine rejects the settings (its "invalid input param" statuses),
 * LMS_ERR_ENGINE for other conversion failures. */
LMS_API int32_t lmc_convert(const lmc_options *opts);

#ifdef __cplusplus
}
#endif
#endif
