//! `#[repr(C)]` mirrors of the lite-c 1.13 structs, enums and callback types.
//!
//! C enums are declared as `c_int` aliases plus constants rather than Rust enums: a
//! value coming back from C that is not in our list must never be undefined behaviour.

use std::os::raw::{c_char, c_int, c_void};

/// Maximum number of entries in [`LiteLayout::shapes`] (`LAYOUT_MAX_DIM`).
///
/// Note: the 1.13 runtime asserts `ndim < LAYOUT_MAX_DIM`, so the usable rank is 6.
pub const LAYOUT_MAX_DIM: usize = 7;

/// Largest rank the runtime accepts (`ndim < LAYOUT_MAX_DIM` is asserted in lite-c).
pub const LAYOUT_MAX_USABLE_DIM: usize = LAYOUT_MAX_DIM - 1;

// ---------------------------------------------------------------- enums

/// `LiteLogLevel`.
pub type LiteLogLevel = c_int;
/// Most verbose level.
pub const LITE_LOG_DEBUG: LiteLogLevel = 0;
/// Information, warnings and errors.
pub const LITE_LOG_INFO: LiteLogLevel = 1;
/// Warnings and errors.
pub const LITE_LOG_WARN: LiteLogLevel = 2;
/// Errors only.
pub const LITE_LOG_ERROR: LiteLogLevel = 3;

/// `ErrorCode` as returned by `LITE_get_last_error_code`.
pub type LiteErrorCode = c_int;
/// No error.
pub const LITE_OK: LiteErrorCode = 0;
/// Internal error (every caught exception is reported with this code).
pub const LITE_INTERNAL_ERROR: LiteErrorCode = 1;
/// Unknown error.
pub const LITE_UNKNOWN_ERROR: LiteErrorCode = 2;

/// `LiteBackend`.
pub type LiteBackend = c_int;
/// MegEngine backend (the only one).
pub const LITE_DEFAULT: LiteBackend = 0;

/// `LiteDeviceType`.
pub type LiteDeviceType = c_int;
/// CPU.
pub const LITE_CPU: LiteDeviceType = 0;
/// CUDA GPU.
pub const LITE_CUDA: LiteDeviceType = 1;
/// Atlas.
pub const LITE_ATLAS: LiteDeviceType = 3;
/// NPU.
pub const LITE_NPU: LiteDeviceType = 4;
/// Cambricon (disabled at compile time in the 1.13 wheel).
pub const LITE_CAMBRICON: LiteDeviceType = 5;
/// Device taken from the model ("xpu").
pub const LITE_DEVICE_DEFAULT: LiteDeviceType = 7;

/// `LiteDataType`.
pub type LiteDataType = c_int;
/// float32.
pub const LITE_FLOAT: LiteDataType = 0;
/// float16.
pub const LITE_HALF: LiteDataType = 1;
/// int32.
pub const LITE_INT: LiteDataType = 2;
/// int16.
pub const LITE_INT16: LiteDataType = 3;
/// int8.
pub const LITE_INT8: LiteDataType = 4;
/// uint8.
pub const LITE_UINT8: LiteDataType = 5;
/// uint32 (declared in the header, rejected by the 1.13 runtime: "unsupport dtype").
pub const LITE_UINT: LiteDataType = 6;
/// uint16.
pub const LITE_UINT16: LiteDataType = 7;
/// int64 (declared in the header, rejected by the 1.13 runtime: "unsupport dtype").
pub const LITE_INT64: LiteDataType = 8;

/// `LiteTensorPhase`.
pub type LiteTensorPhase = c_int;
/// Input or output.
pub const LITE_IO: LiteTensorPhase = 0;
/// Input.
pub const LITE_INPUT: LiteTensorPhase = 1;
/// Output.
pub const LITE_OUTPUT: LiteTensorPhase = 2;

/// `LiteIOType`.
pub type LiteIOType = c_int;
/// Values are transferred.
pub const LITE_IO_VALUE: LiteIOType = 0;
/// Only the shape is meaningful.
pub const LITE_IO_SHAPE: LiteIOType = 1;

/// `LiteAlgoSelectStrategy` (bit flags, may be combined).
pub type LiteAlgoSelectStrategy = c_int;
/// Heuristic choice.
pub const LITE_ALGO_HEURISTIC: LiteAlgoSelectStrategy = 1;
/// Profile (fastrun).
pub const LITE_ALGO_PROFILE: LiteAlgoSelectStrategy = 2;
/// Reproducible algorithms only.
pub const LITE_ALGO_REPRODUCIBLE: LiteAlgoSelectStrategy = 4;
/// Optimized algorithms only.
pub const LITE_ALGO_OPTIMIZED: LiteAlgoSelectStrategy = 8;

/// `LiteOpenCLCacheCompatLevel` (declared in the header; no 1.13 C function uses it).
pub type LiteOpenCLCacheCompatLevel = c_int;
/// No compatibility.
pub const LITE_NOT_COMPAT: LiteOpenCLCacheCompatLevel = 0;
/// Series compatibility.
pub const LITE_SERIES_COMPAT: LiteOpenCLCacheCompatLevel = 1;
/// Vendor compatibility.
pub const LITE_VENDOR_COMPAT: LiteOpenCLCacheCompatLevel = 2;

// ---------------------------------------------------------------- handles

/// Opaque tensor handle (`LiteTensor`, a `void*`).
pub type LiteTensor = *mut c_void;
/// Opaque network handle (`LiteNetwork`, a `void*`).
pub type LiteNetwork = *mut c_void;

// ---------------------------------------------------------------- structs

/// `LiteLayout`: shapes, rank and data type.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteLayout {
    /// Dimensions; only the first `ndim` are meaningful.
    pub shapes: [usize; LAYOUT_MAX_DIM],
    /// Rank.
    pub ndim: usize,
    /// Element type.
    pub data_type: LiteDataType,
}

impl Default for LiteLayout {
    /// The runtime's `default_layout`: rank 0, float32.
    fn default() -> Self {
        LiteLayout {
            shapes: [0; LAYOUT_MAX_DIM],
            ndim: 0,
            data_type: LITE_FLOAT,
        }
    }
}

/// `LiteTensorDesc`: what `LITE_make_tensor` needs.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteTensorDesc {
    /// Pinned host memory flag.
    pub is_pinned_host: c_int,
    /// Layout.
    pub layout: LiteLayout,
    /// Device type.
    pub device_type: LiteDeviceType,
    /// Device id.
    pub device_id: c_int,
}

impl Default for LiteTensorDesc {
    /// The runtime's `default_desc`: CPU, device 0, not pinned, default layout.
    fn default() -> Self {
        LiteTensorDesc {
            is_pinned_host: 0,
            layout: LiteLayout::default(),
            device_type: LITE_CPU,
            device_id: 0,
        }
    }
}

/// `LiteOptions` (a.k.a. `Options`), 20 `int` fields in the 1.13 order.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct LiteOptions {
    pub weight_preprocess: c_int,
    pub fuse_preprocess: c_int,
    pub fake_next_exec: c_int,
    pub var_sanity_check_first_run: c_int,
    pub const_shape: c_int,
    pub force_dynamic_alloc: c_int,
    pub force_output_dynamic_alloc: c_int,
    pub force_output_use_user_specified_memory: c_int,
    pub no_profiling_on_shape_change: c_int,
    pub jit_level: c_int,
    pub comp_node_seq_record_level: c_int,
    pub graph_opt_level: c_int,
    pub async_exec_level: c_int,
    pub enable_nchw44: c_int,
    pub enable_nchw44_dot: c_int,
    pub enable_nchw88: c_int,
    pub enable_nhwcd4: c_int,
    pub enable_nchw4: c_int,
    pub enable_nchw32: c_int,
    pub enable_nchw64: c_int,
}

impl Default for LiteOptions {
    /// The runtime's `default_option` values.
    fn default() -> Self {
        LiteOptions {
            weight_preprocess: 0,
            fuse_preprocess: 0,
            fake_next_exec: 0,
            var_sanity_check_first_run: 1,
            const_shape: 0,
            force_dynamic_alloc: 0,
            force_output_dynamic_alloc: 0,
            force_output_use_user_specified_memory: 0,
            no_profiling_on_shape_change: 0,
            jit_level: 0,
            comp_node_seq_record_level: 0,
            graph_opt_level: 2,
            async_exec_level: 1,
            enable_nchw44: 0,
            enable_nchw44_dot: 0,
            enable_nchw88: 0,
            enable_nhwcd4: 0,
            enable_nchw4: 0,
            enable_nchw32: 0,
            enable_nchw64: 0,
        }
    }
}

/// `LiteConfig` (1.13 layout, with `auto_optimize_inference` and `discrete_input_name`).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteConfig {
    /// Model is compressed.
    pub has_compression: c_int,
    /// Device id (`-1` in the runtime default).
    pub device_id: c_int,
    /// Device type.
    pub device_type: LiteDeviceType,
    /// Backend.
    pub backend: LiteBackend,
    /// Decryption method name for bare (unpacked) models, or null.
    pub bare_model_cryption_name: *const c_char,
    /// Graph options.
    pub options: LiteOptions,
    /// Let lite choose options heuristically.
    pub auto_optimize_inference: c_int,
    /// Name of the input made of discrete tensors, or null.
    pub discrete_input_name: *const c_char,
}

impl Default for LiteConfig {
    /// The same values as the runtime's `default_config()`.
    fn default() -> Self {
        LiteConfig {
            has_compression: 0,
            device_id: -1,
            device_type: LITE_CPU,
            backend: LITE_DEFAULT,
            bare_model_cryption_name: std::ptr::null(),
            options: LiteOptions::default(),
            auto_optimize_inference: 0,
            discrete_input_name: std::ptr::null(),
        }
    }
}

/// `LiteExtraConfig`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LiteExtraConfig {
    /// Ignore the configuration packed with the model.
    pub disable_configure_by_model_info: c_int,
}

/// `LiteIO`: configuration of one network input or output.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteIO {
    /// Tensor name (must not be null when passed to `LITE_make_network`).
    pub name: *const c_char,
    /// Host (1) or device (0) side.
    pub is_host: c_int,
    /// Value or shape only.
    pub io_type: LiteIOType,
    /// Layout configured by the user (ndim 0 = from the model).
    pub config_layout: LiteLayout,
}

impl Default for LiteIO {
    /// The runtime's `default_io`: null name, host, value, default layout.
    fn default() -> Self {
        LiteIO {
            name: std::ptr::null(),
            is_host: 1,
            io_type: LITE_IO_VALUE,
            config_layout: LiteLayout::default(),
        }
    }
}

/// `LiteNetworkIO`: arrays of inputs and outputs.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiteNetworkIO {
    /// Inputs array (`input_size` entries).
    pub inputs: *mut LiteIO,
    /// Outputs array (`output_size` entries).
    pub outputs: *mut LiteIO,
    /// Number of inputs.
    pub input_size: usize,
    /// Number of outputs.
    pub output_size: usize,
}

impl Default for LiteNetworkIO {
    /// Empty IO (same as `default_network_io()`).
    fn default() -> Self {
        LiteNetworkIO {
            inputs: std::ptr::null_mut(),
            outputs: std::ptr::null_mut(),
            input_size: 0,
            output_size: 0,
        }
    }
}

// ---------------------------------------------------------------- callbacks

/// Decryption callback; called once with `output_data == NULL` to query the size,
/// then again with a buffer of that size to fill. Returns the decrypted size.
pub type LiteDecryptionFunc = Option<
    unsafe extern "C" fn(
        input_data: *const c_void,
        input_size: usize,
        key_data: *const u8,
        key_size: usize,
        output_data: *const c_void,
    ) -> usize,
>;

/// Model info parser callback (`LITE_register_parse_info_func`).
pub type LiteParseInfoFunc = Option<
    unsafe extern "C" fn(
        info_data: *const c_void,
        info_size: usize,
        model_name: *const c_char,
        config: *mut LiteConfig,
        network_io: *mut LiteNetworkIO,
        device_id: *mut c_int,
        nr_threads: *mut usize,
        is_cpu_inplace_mode: *mut c_int,
        use_tensorrt: *mut c_int,
    ) -> c_int,
>;

/// User allocator.
pub type LiteAllocate = Option<
    unsafe extern "C" fn(
        device_type: LiteDeviceType,
        device_id: c_int,
        size: usize,
        align: usize,
    ) -> *mut c_void,
>;
/// User deallocator.
pub type LiteFree =
    Option<unsafe extern "C" fn(device_type: LiteDeviceType, device_id: c_int, ptr: *mut c_void)>;
/// Thread affinity callback (no user data).
pub type LiteThreadAffinityCallback = Option<unsafe extern "C" fn(thread_id: c_int) -> c_int>;
/// Async completion callback (no user data).
pub type LiteAsyncCallback = Option<unsafe extern "C" fn() -> c_int>;
/// Async completion callback with user data.
pub type LiteAsyncCallbackWithData = Option<unsafe extern "C" fn(user_data: *mut c_void) -> c_int>;
/// Start callback (no user data).
pub type LiteStartCallback = Option<
    unsafe extern "C" fn(inputs: *const LiteIO, tensors: *const LiteTensor, size: usize) -> c_int,
>;
/// Start callback with user data.
pub type LiteStartCallbackWithData = Option<
    unsafe extern "C" fn(
        inputs: *const LiteIO,
        tensors: *const LiteTensor,
        size: usize,
        user_data: *mut c_void,
    ) -> c_int,
>;
/// Finish callback (no user data).
pub type LiteFinishCallback = Option<
    unsafe extern "C" fn(outputs: *const LiteIO, tensors: *const LiteTensor, size: usize) -> c_int,
>;
/// Finish callback with user data.
pub type LiteFinishCallbackWithData = Option<
    unsafe extern "C" fn(
        outputs: *const LiteIO,
        tensors: *const LiteTensor,
        size: usize,
        user_data: *mut c_void,
    ) -> c_int,
>;
