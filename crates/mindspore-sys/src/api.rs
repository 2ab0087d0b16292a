//! The shim's C types and its table of entry points.

use std::os::raw::{c_char, c_void};

/// `LMS_ABI_VERSION` of the header this table mirrors.
pub const ABI_VERSION: i32 = 1;

/// Success.
pub const LMS_OK: i32 = 0;
/// The engine returned a failing `Status`.
pub const LMS_ERR_ENGINE: i32 = 1;
/// Rejected by the shim before reaching the engine.
pub const LMS_ERR_INVALID: i32 = 2;
/// The engine says the feature is not supported.
pub const LMS_ERR_UNSUPPORTED: i32 = 3;
/// A C++ exception was caught in the shim.
pub const LMS_ERR_EXCEPTION: i32 = 4;

/// Opaque `mindspore::Model` holder.
#[repr(C)]
pub struct LmsModel {
    _private: [u8; 0],
}
/// Opaque `mindspore::ModelParallelRunner` holder.
#[repr(C)]
pub struct LmsRunner {
    _private: [u8; 0],
}
/// Opaque list of tensors (names and shapes copied, data owned by the engine).
#[repr(C)]
pub struct LmsTensors {
    _private: [u8; 0],
}

/// `lms_build_options`: the Context (one CPU device), config and runner settings.
#[repr(C)]
pub struct LmsBuildOptions {
    /// <= 0: engine default.
    pub thread_num: i32,
    /// <= 0: engine default.
    pub inter_op_parallel_num: i32,
    /// < 0: not set.
    pub affinity_mode: i32,
    /// May be null.
    pub core_list: *const i32,
    /// Entries of `core_list`.
    pub core_list_len: usize,
    /// CPU precision "preferred_fp16".
    pub enable_fp16: i32,
    /// Null or empty: none.
    pub config_path: *const c_char,
    /// Config entries: sections.
    pub cfg_sections: *const *const c_char,
    /// Config entries: keys.
    pub cfg_keys: *const *const c_char,
    /// Config entries: values.
    pub cfg_values: *const *const c_char,
    /// Number of config entries.
    pub cfg_len: usize,
    /// Runner workers; <= 0: engine default.
    pub workers_num: i32,
}

/// `lms_tensor_info`: pointers valid while the list lives.
#[repr(C)]
pub struct LmsTensorInfo {
    /// NUL-terminated name.
    pub name: *const c_char,
    /// `mindspore::DataType`.
    pub dtype: i32,
    /// `mindspore::Format`.
    pub format: i32,
    /// Rank.
    pub ndim: usize,
    /// `ndim` dims (-1: dynamic).
    pub shape: *const i64,
    /// Bytes.
    pub data_size: usize,
    /// Null when there is no host data yet.
    pub data: *const c_void,
}

macro_rules! shim_api {
    ($(#[$tdoc:meta])* $table:ident; $( $(#[$doc:meta])* fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? ;)*) => {
        $(#[$tdoc])*
        /// Field names are the C symbol names; calling any of them is `unsafe`: valid handles
        /// and pointers required.
        pub struct $table {
            $( $(#[$doc])* pub $name: unsafe extern "C" fn($($ty),*) $(-> $ret)?, )*
            pub(crate) _lib: libloading::Library,
        }

        impl $table {
            pub(crate) fn resolve(lib: libloading::Library) -> Result<$table, String> {
                $(
                    // SAFETY: the signature is the one of the shim's header at its ABI version;
                    // the pointer is only used while `_lib` (moved into the table, which is never
                    // dropped once stored) stays loaded.
                    let $name = unsafe {
                        *lib.get::<unsafe extern "C" fn($($ty),*) $(-> $ret)?>(
                            concat!(stringify!($name), "\0").as_bytes(),
                        ).map_err(|e| format!("symbol `{}` is missing from the MindSpore shim: {e}", stringify!($name)))?
                    };
                )*
                Ok($table { $($name,)* _lib: lib })
            }
        }
    };
}

shim_api! {
    /// Every entry point of the inference shim (`lite_mindspore_shim.h`).
    Api;
    /// `int32_t lms_abi_version(void)`
    fn lms_abi_version() -> i32;
    /// `void lms_init(int32_t quiet)`
    fn lms_init(quiet: i32);
    /// `const char *lms_last_error(void)` (this thread's last failure)
    fn lms_last_error() -> *const c_char;
    /// `size_t lms_tensors_len(const lms_tensors *)`
    fn lms_tensors_len(list: *const LmsTensors) -> usize;
    /// `int32_t lms_tensors_get(const lms_tensors *, size_t, lms_tensor_info *)`
    fn lms_tensors_get(list: *const LmsTensors, index: usize, out: *mut LmsTensorInfo) -> i32;
    /// `void lms_tensors_free(lms_tensors *)`
    fn lms_tensors_free(list: *mut LmsTensors);
    /// `int32_t lms_model_new(lms_model **)`
    fn lms_model_new(out: *mut *mut LmsModel) -> i32;
    /// `void lms_model_free(lms_model *)`
    fn lms_model_free(model: *mut LmsModel);
    /// `int32_t lms_model_build_file(lms_model *, const char *, uint32_t, const lms_build_options *)`
    fn lms_model_build_file(model: *mut LmsModel, path: *const c_char, model_type: u32, opts: *const LmsBuildOptions) -> i32;
    /// `int32_t lms_model_build_buffer(lms_model *, const void *, size_t, uint32_t, const lms_build_options *)`
    fn lms_model_build_buffer(model: *mut LmsModel, data: *const c_void, size: usize, model_type: u32, opts: *const LmsBuildOptions) -> i32;
    /// `int32_t lms_model_inputs(lms_model *, lms_tensors **)`
    fn lms_model_inputs(model: *mut LmsModel, out: *mut *mut LmsTensors) -> i32;
    /// `int32_t lms_model_outputs(lms_model *, lms_tensors **)`
    fn lms_model_outputs(model: *mut LmsModel, out: *mut *mut LmsTensors) -> i32;
    /// `int32_t lms_model_resize(lms_model *, size_t, const int64_t *, const size_t *)`
    fn lms_model_resize(model: *mut LmsModel, n: usize, dims: *const i64, offsets: *const usize) -> i32;
    /// `int32_t lms_model_predict(lms_model *, size_t, const void *const *, const size_t *, lms_tensors **)`
    fn lms_model_predict(model: *mut LmsModel, n: usize, data: *const *const c_void, sizes: *const usize, outputs: *mut *mut LmsTensors) -> i32;
    /// `int32_t lms_runner_new(lms_runner **)`
    fn lms_runner_new(out: *mut *mut LmsRunner) -> i32;
    /// `void lms_runner_free(lms_runner *)`
    fn lms_runner_free(runner: *mut LmsRunner);
    /// `int32_t lms_runner_init_file(lms_runner *, const char *, const lms_build_options *)`
    fn lms_runner_init_file(runner: *mut LmsRunner, path: *const c_char, opts: *const LmsBuildOptions) -> i32;
    /// `int32_t lms_runner_inputs(lms_runner *, lms_tensors **)`
    fn lms_runner_inputs(runner: *mut LmsRunner, out: *mut *mut LmsTensors) -> i32;
    /// `int32_t lms_runner_outputs(lms_runner *, lms_tensors **)`
    fn lms_runner_outputs(runner: *mut LmsRunner, out: *mut *mut LmsTensors) -> i32;
    /// `int32_t lms_runner_predict(lms_runner *, size_t, const void *const *, const size_t *, const int64_t *, const size_t *, lms_tensors **)`
    fn lms_runner_predict(runner: *mut LmsRunner, n: usize, data: *const *const c_void, sizes: *const usize, dims: *const i64, offsets: *const usize, outputs: *mut *mut LmsTensors) -> i32;
}

/// `LMC_ABI_VERSION` of the converter header this table mirrors.
pub const CONVERT_ABI_VERSION: i32 = 1;

/// `lmc_options`: one conversion. Strings: null = not set. Enums and booleans: < 0 = not set.
#[repr(C)]
pub struct LmcOptions {
    /// `mindspore::converter::FmkType`.
    pub fmk_type: i32,
    /// Required.
    pub model_file: *const c_char,
    /// Required; the engine appends ".mindir" or ".ms".
    pub output_file: *const c_char,
    /// Null or empty: none.
    pub weight_file: *const c_char,
    /// Null: none.
    pub config_file: *const c_char,
    /// Boolean.
    pub weight_fp16: i32,
    /// `mindspore::Format`.
    pub input_format: i32,
    /// `mindspore::DataType`.
    pub input_data_type: i32,
    /// `mindspore::DataType`.
    pub output_data_type: i32,
    /// `mindspore::ModelType`.
    pub save_type: i64,
    /// Boolean (`optimize = "none"`).
    pub no_fusion: i32,
    /// Boolean.
    pub infer: i32,
    /// Boolean.
    pub train_model: i32,
    /// Boolean.
    pub optimize_transformer: i32,
    /// Boolean.
    pub enable_encryption: i32,
    /// String.
    pub encrypt_key: *const c_char,
    /// String.
    pub decrypt_key: *const c_char,
    /// String.
    pub decrypt_mode: *const c_char,
    /// String.
    pub device: *const c_char,
    /// Input shape names.
    pub shape_names: *const *const c_char,
    /// All dims, concatenated.
    pub shape_dims: *const i64,
    /// `shape_len + 1` offsets into `shape_dims`.
    pub shape_offsets: *const usize,
    /// Number of named shapes.
    pub shape_len: usize,
    /// Config info: sections.
    pub cfg_sections: *const *const c_char,
    /// Config info: keys.
    pub cfg_keys: *const *const c_char,
    /// Config info: values.
    pub cfg_values: *const *const c_char,
    /// Number of config entries.
    pub cfg_len: usize,
}

shim_api! {
    /// Every entry point of the converter shim (`lite_mindspore_convert.h`).
    ConvertApi;
    /// `int32_t lmc_abi_version(void)`
    fn lmc_abi_version() -> i32;
    /// `void lmc_init(int32_t quiet)`
    fn lmc_init(quiet: i32);
    /// `const char *lmc_last_error(void)` (this thread's last failure)
    fn lmc_last_error() -> *const c_char;
    /// `int32_t lmc_convert(const lmc_options *)` (serialised inside the shim)
    fn lmc_convert(opts: *const LmcOptions) -> i32;
}
