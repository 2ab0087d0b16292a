//! The table of lite-c entry points, resolved once from the shared library.

use crate::types::*;
use std::os::raw::{c_char, c_int, c_uint, c_void};

macro_rules! lite_api {
    ($( $(#[$doc:meta])* fn $name:ident ( $($arg:ident : $ty:ty),* $(,)? ) $(-> $ret:ty)? ;)*) => {
        /// Every lite-c function of the 1.13 runtime, as resolved function pointers.
        ///
        /// Field names are the C symbol names. Calling any of them is `unsafe`: the
        /// caller must uphold the C contract (valid handles, valid pointers, live buffers).
        #[allow(non_snake_case)]
        pub struct Api {
            $( $(#[$doc])* pub $name: unsafe extern "C" fn($($ty),*) $(-> $ret)?, )*
            pub(crate) _lib: libloading::Library,
        }

        impl Api {
            /// Names of every symbol this table resolves (for diagnostics and tests).
            pub const SYMBOLS: &'static [&'static str] = &[$(stringify!($name)),*];

            /// Resolve every symbol from `lib`; the first missing one is reported.
            #[allow(non_snake_case)]
            pub(crate) fn resolve(lib: libloading::Library) -> Result<Api, String> {
                $(
                    // SAFETY: the symbol type is the hand-written signature of the lite-c
                    // 1.13 header; the pointer is only used while `_lib` (moved into the
                    // returned struct, which is never dropped once stored) stays loaded.
                    let $name = unsafe {
                        match lib.get::<unsafe extern "C" fn($($ty),*) $(-> $ret)?>(
                            concat!(stringify!($name), "\0").as_bytes(),
                        ) {
                            Ok(sym) => *sym,
                            Err(e) => {
                                return Err(format!(
                                    "symbol `{}` is missing from the MegEngine Lite library: {}",
                                    stringify!($name),
                                    e
                                ))
                            }
                        }
                    };
                )*
                Ok(Api { $($name,)* _lib: lib })
            }
        }
    };
}

lite_api! {
    // ------------------------------------------------------------ global
    /// `int LITE_get_version(int*, int*, int*)`
    fn LITE_get_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int) -> c_int;
    /// `ErrorCode LITE_get_last_error_code()` (sticky: not reset by successful calls)
    fn LITE_get_last_error_code() -> LiteErrorCode;
    /// `void LITE_clear_last_error()`
    fn LITE_clear_last_error();
    /// `const char* LITE_get_last_error()` (process-global string, see crate docs)
    fn LITE_get_last_error() -> *const c_char;
    /// `int LITE_get_device_count(LiteDeviceType, size_t*)`
    fn LITE_get_device_count(device_type: LiteDeviceType, count: *mut usize) -> c_int;
    /// `int LITE_try_coalesce_all_free_memory()`
    fn LITE_try_coalesce_all_free_memory() -> c_int;
    /// `int LITE_register_decryption_and_key(name, func, key, key_size)`
    fn LITE_register_decryption_and_key(name: *const c_char, func: LiteDecryptionFunc, key: *const u8, key_size: usize) -> c_int;
    /// `int LITE_update_decryption_or_key(name, func|NULL, key, key_size)`
    fn LITE_update_decryption_or_key(name: *const c_char, func: LiteDecryptionFunc, key: *const u8, key_size: usize) -> c_int;
    /// `int LITE_register_parse_info_func(info_type, func)`
    fn LITE_register_parse_info_func(info_type: *const c_char, func: LiteParseInfoFunc) -> c_int;
    /// `int LITE_set_loader_lib_path(path)`
    fn LITE_set_loader_lib_path(path: *const c_char) -> c_int;
    /// `int LITE_set_persistent_cache(path, always_sync)`
    fn LITE_set_persistent_cache(path: *const c_char, always_sync: c_int) -> c_int;
    /// `int LITE_set_tensor_rt_cache(path)`
    fn LITE_set_tensor_rt_cache(path: *const c_char) -> c_int;
    /// `int LITE_set_log_level(LiteLogLevel)`
    fn LITE_set_log_level(level: LiteLogLevel) -> c_int;
    /// `int LITE_get_log_level(LiteLogLevel*)`
    fn LITE_get_log_level(level: *mut LiteLogLevel) -> c_int;
    /// `int LITE_dump_persistent_cache(path)`
    fn LITE_dump_persistent_cache(path: *const c_char) -> c_int;
    /// `int LITE_dump_tensor_rt_cache()`
    fn LITE_dump_tensor_rt_cache() -> c_int;
    /// `int LITE_register_memory_pair(vir, phy, length, device, backend)`
    fn LITE_register_memory_pair(vir: *mut c_void, phy: *mut c_void, length: usize, device: LiteDeviceType, backend: LiteBackend) -> c_int;
    /// `int LITE_clear_memory_pair(vir, phy, device, backend)`
    fn LITE_clear_memory_pair(vir: *mut c_void, phy: *mut c_void, device: LiteDeviceType, backend: LiteBackend) -> c_int;
    /// `int LITE_lookup_physic_ptr(vir, phy*, device, backend)`
    fn LITE_lookup_physic_ptr(vir: *mut c_void, phy: *mut *mut c_void, device: LiteDeviceType, backend: LiteBackend) -> c_int;

    // ------------------------------------------------------------ tensor
    /// `int LITE_make_tensor(LiteTensorDesc, LiteTensor*)` (caller owns the result)
    fn LITE_make_tensor(desc: LiteTensorDesc, tensor: *mut LiteTensor) -> c_int;
    /// `int LITE_destroy_tensor(LiteTensor)` (no-op for tensors it did not hand out)
    fn LITE_destroy_tensor(tensor: LiteTensor) -> c_int;
    /// `int LITE_set_tensor_layout(LiteTensor, LiteLayout)`
    fn LITE_set_tensor_layout(tensor: LiteTensor, layout: LiteLayout) -> c_int;
    /// `int LITE_reset_tensor_memory(LiteTensor, void*, size_t)` (memory not owned by lite)
    fn LITE_reset_tensor_memory(tensor: LiteTensor, data: *mut c_void, len: usize) -> c_int;
    /// `int LITE_reset_tensor(LiteTensor, LiteLayout, void*)` (memory not owned by lite)
    fn LITE_reset_tensor(tensor: LiteTensor, layout: LiteLayout, data: *mut c_void) -> c_int;
    /// `int LITE_tensor_reshape(LiteTensor, const int*, int)`
    fn LITE_tensor_reshape(tensor: LiteTensor, shape: *const c_int, size: c_int) -> c_int;
    /// `int LITE_tensor_slice(tensor, start, end, step|NULL, size, out)` (caller owns out)
    fn LITE_tensor_slice(tensor: LiteTensor, start: *const usize, end: *const usize, step: *const usize, size: usize, out: *mut LiteTensor) -> c_int;
    /// `int LITE_tensor_fill_zero(LiteTensor)`
    fn LITE_tensor_fill_zero(tensor: LiteTensor) -> c_int;
    /// `int LITE_tensor_copy(dst, src)`
    fn LITE_tensor_copy(dst: LiteTensor, src: LiteTensor) -> c_int;
    /// `int LITE_tensor_share_memory_with(dst, src)`
    fn LITE_tensor_share_memory_with(dst: LiteTensor, src: LiteTensor) -> c_int;
    /// `int LITE_get_tensor_memory(tensor, void**)`
    fn LITE_get_tensor_memory(tensor: LiteTensor, data: *mut *mut c_void) -> c_int;
    /// `int LITE_get_tensor_memory_with_index(tensor, index, size, void**)`
    fn LITE_get_tensor_memory_with_index(tensor: LiteTensor, index: *const usize, size: usize, data: *mut *mut c_void) -> c_int;
    /// `int LITE_get_tensor_total_size_in_byte(tensor, size_t*)`
    fn LITE_get_tensor_total_size_in_byte(tensor: LiteTensor, size: *mut usize) -> c_int;
    /// `int LITE_get_tensor_layout(tensor, LiteLayout*)`
    fn LITE_get_tensor_layout(tensor: LiteTensor, layout: *mut LiteLayout) -> c_int;
    /// `int LITE_get_tensor_device_type(tensor, LiteDeviceType*)`
    fn LITE_get_tensor_device_type(tensor: LiteTensor, device_type: *mut LiteDeviceType) -> c_int;
    /// `int LITE_get_tensor_device_id(tensor, int*)`
    fn LITE_get_tensor_device_id(tensor: LiteTensor, device_id: *mut c_int) -> c_int;
    /// `int LITE_is_pinned_host(tensor, int*)`
    fn LITE_is_pinned_host(tensor: LiteTensor, is_pinned_host: *mut c_int) -> c_int;
    /// `int LITE_is_memory_continue(tensor, int*)`
    fn LITE_is_memory_continue(tensor: LiteTensor, is_continue: *mut c_int) -> c_int;
    /// `int LITE_tensor_concat(tensors, nr, dim, dst_device, device_id, out)` (caller owns out)
    fn LITE_tensor_concat(tensors: *mut LiteTensor, nr_tensor: c_int, dim: c_int, dst_device: LiteDeviceType, device_id: c_int, out: *mut LiteTensor) -> c_int;

    // ------------------------------------------------------------ network
    /// `int LITE_make_default_network(LiteNetwork*)`
    fn LITE_make_default_network(network: *mut LiteNetwork) -> c_int;
    /// `int LITE_make_network(LiteNetwork*, LiteConfig, LiteNetworkIO)`
    fn LITE_make_network(network: *mut LiteNetwork, config: LiteConfig, io: LiteNetworkIO) -> c_int;
    /// `int LITE_make_network_config(LiteNetwork*, LiteConfig)`
    fn LITE_make_network_config(network: *mut LiteNetwork, config: LiteConfig) -> c_int;
    /// `int LITE_load_model_from_mem(network, void*, size_t)`
    fn LITE_load_model_from_mem(network: LiteNetwork, mem: *mut c_void, size: usize) -> c_int;
    /// `int LITE_load_model_from_path(network, path)`
    fn LITE_load_model_from_path(network: LiteNetwork, path: *const c_char) -> c_int;
    /// `int LITE_shared_weight_with_network(dst, src)`
    fn LITE_shared_weight_with_network(dst: LiteNetwork, src: LiteNetwork) -> c_int;
    /// `int LITE_destroy_network(network)`
    fn LITE_destroy_network(network: LiteNetwork) -> c_int;
    /// `int LITE_forward(network)`
    fn LITE_forward(network: LiteNetwork) -> c_int;
    /// `int LITE_wait(network)`
    fn LITE_wait(network: LiteNetwork) -> c_int;
    /// `int LITE_get_io_tensor(network, name, phase, LiteTensor*)` (network owns the tensor)
    fn LITE_get_io_tensor(network: LiteNetwork, name: *const c_char, phase: LiteTensorPhase, tensor: *mut LiteTensor) -> c_int;
    /// `int LITE_get_discrete_tensor(network, name, n_idx, phase, LiteTensor*)` (network owns it)
    fn LITE_get_discrete_tensor(network: LiteNetwork, name: *const c_char, n_idx: usize, phase: LiteTensorPhase, tensor: *mut LiteTensor) -> c_int;
    /// `int LITE_get_input_name(network, index, const char**)` (string owned by network)
    fn LITE_get_input_name(network: LiteNetwork, index: usize, name: *mut *const c_char) -> c_int;
    /// `int LITE_get_output_name(network, index, const char**)` (string owned by network)
    fn LITE_get_output_name(network: LiteNetwork, index: usize, name: *mut *const c_char) -> c_int;
    /// `int LITE_get_all_input_name(network, size_t*|NULL, const char**|NULL)`
    fn LITE_get_all_input_name(network: LiteNetwork, size: *mut usize, names: *mut *const c_char) -> c_int;
    /// `int LITE_get_all_output_name(network, size_t*|NULL, const char**|NULL)`
    fn LITE_get_all_output_name(network: LiteNetwork, size: *mut usize, names: *mut *const c_char) -> c_int;
    /// `int LITE_is_cpu_inplace_mode(network, int*)`
    fn LITE_is_cpu_inplace_mode(network: LiteNetwork, is_inplace: *mut c_int) -> c_int;
    /// `int LITE_get_cpu_threads_number(network, size_t*)`
    fn LITE_get_cpu_threads_number(network: LiteNetwork, nr_threads: *mut usize) -> c_int;
    /// `int LITE_get_device_id(network, int*)`
    fn LITE_get_device_id(network: LiteNetwork, device_id: *mut c_int) -> c_int;
    /// `int LITE_get_stream_id(network, int*)`
    fn LITE_get_stream_id(network: LiteNetwork, stream_id: *mut c_int) -> c_int;
    /// `int LITE_get_device_type(network, LiteDeviceType*)`
    fn LITE_get_device_type(network: LiteNetwork, device_type: *mut LiteDeviceType) -> c_int;
    /// `int LITE_get_model_extra_info(network, const char**, int*)`
    fn LITE_get_model_extra_info(network: LiteNetwork, info: *mut *const c_char, info_size: *mut c_int) -> c_int;
    /// `int LITE_set_cpu_inplace_mode(network)`
    fn LITE_set_cpu_inplace_mode(network: LiteNetwork) -> c_int;
    /// `int LITE_set_cpu_threads_number(network, size_t)`
    fn LITE_set_cpu_threads_number(network: LiteNetwork, nr_threads: usize) -> c_int;
    /// `int LITE_set_device_id(network, int)`
    fn LITE_set_device_id(network: LiteNetwork, device_id: c_int) -> c_int;
    /// `int LITE_set_stream_id(network, int)`
    fn LITE_set_stream_id(network: LiteNetwork, stream_id: c_int) -> c_int;
    /// `int LITE_use_tensorrt(network)`
    fn LITE_use_tensorrt(network: LiteNetwork) -> c_int;
    /// `int LITE_set_network_algo_policy(network, strategy)`
    fn LITE_set_network_algo_policy(network: LiteNetwork, strategy: LiteAlgoSelectStrategy) -> c_int;
    /// `int LITE_set_network_algo_fastrun_config(network, unsigned shared_batch_size, int binary_equal)`
    fn LITE_set_network_algo_fastrun_config(network: LiteNetwork, shared_batch_size: c_uint, binary_equal_between_batch: c_int) -> c_int;
    /// `int LITE_set_network_algo_workspace_limit(network, size_t)`
    fn LITE_set_network_algo_workspace_limit(network: LiteNetwork, workspace_limit: usize) -> c_int;
    /// `int LITE_set_async_callback(network, cb)`
    fn LITE_set_async_callback(network: LiteNetwork, cb: LiteAsyncCallback) -> c_int;
    /// `int LITE_set_async_callback_with_userdata(network, cb, user_data)`
    fn LITE_set_async_callback_with_userdata(network: LiteNetwork, cb: LiteAsyncCallbackWithData, user_data: *mut c_void) -> c_int;
    /// `int LITE_set_start_callback(network, cb)`
    fn LITE_set_start_callback(network: LiteNetwork, cb: LiteStartCallback) -> c_int;
    /// `int LITE_set_start_callback_with_userdata(network, cb, user_data)`
    fn LITE_set_start_callback_with_userdata(network: LiteNetwork, cb: LiteStartCallbackWithData, user_data: *mut c_void) -> c_int;
    /// `int LITE_set_finish_callback(network, cb)`
    fn LITE_set_finish_callback(network: LiteNetwork, cb: LiteFinishCallback) -> c_int;
    /// `int LITE_set_finish_callback_with_userdata(network, cb, user_data)`
    fn LITE_set_finish_callback_with_userdata(network: LiteNetwork, cb: LiteFinishCallbackWithData, user_data: *mut c_void) -> c_int;
    /// `int LITE_enable_profile_performance(network, json_path)`
    fn LITE_enable_profile_performance(network: LiteNetwork, path: *const c_char) -> c_int;
    /// `int LITE_set_runtime_thread_affinity(network, cb)`
    fn LITE_set_runtime_thread_affinity(network: LiteNetwork, cb: LiteThreadAffinityCallback) -> c_int;
    /// `int LITE_set_memory_allocator(network, alloc, free)`
    fn LITE_set_memory_allocator(network: LiteNetwork, allocate: LiteAllocate, free: LiteFree) -> c_int;
    /// `int LITE_enable_io_txt_dump(network, path)`
    fn LITE_enable_io_txt_dump(network: LiteNetwork, path: *const c_char) -> c_int;
    /// `int LITE_enable_io_bin_dump(network, dir)`
    fn LITE_enable_io_bin_dump(network: LiteNetwork, dir: *const c_char) -> c_int;
    /// `int LITE_share_runtime_memroy(dst, src)` (sic)
    fn LITE_share_runtime_memroy(dst: LiteNetwork, src: LiteNetwork) -> c_int;
    /// `int LITE_get_static_memory_alloc_info(network, log_dir)`
    fn LITE_get_static_memory_alloc_info(network: LiteNetwork, log_dir: *const c_char) -> c_int;
    /// `int LITE_enable_global_layout_transform(network)`
    fn LITE_enable_global_layout_transform(network: LiteNetwork) -> c_int;
    /// `int LITE_dump_layout_transform_model(network, path)`
    fn LITE_dump_layout_transform_model(network: LiteNetwork, path: *const c_char) -> c_int;
    /// `int LITE_get_model_io_info_by_path(path, LiteConfig, LiteNetworkIO*)`
    /// (result arrays live in a runtime table keyed by the `path` pointer; copy at once)
    fn LITE_get_model_io_info_by_path(path: *const c_char, config: LiteConfig, ios: *mut LiteNetworkIO) -> c_int;
    /// `int LITE_get_model_io_info_by_memory(mem, size, LiteConfig, LiteNetworkIO*)`
    /// (result arrays live in a runtime table keyed by the `mem` pointer; copy at once)
    fn LITE_get_model_io_info_by_memory(mem: *const c_void, size: usize, config: LiteConfig, ios: *mut LiteNetworkIO) -> c_int;
    /// `int LITE_extra_configure(network, LiteExtraConfig)`
    fn LITE_extra_configure(network: LiteNetwork, extra: LiteExtraConfig) -> c_int;

    // ------------------------------------------------------------ defaults
    /// `LiteConfig* default_config()` (pointer to a mutable runtime global)
    fn default_config() -> *mut LiteConfig;
    /// `LiteNetworkIO* default_network_io()` (pointer to a mutable runtime global)
    fn default_network_io() -> *mut LiteNetworkIO;
}
