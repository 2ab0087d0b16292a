//! Owned configuration types and their conversion to the C structs.

use crate::enums::{Backend, DeviceType, IoType};
use crate::error::{LiteError, Result};
use crate::layout::Layout;
use megengine_sys::{LiteConfig, LiteIO, LiteNetworkIO, LiteOptions};
use std::ffi::{CStr, CString};

/// Graph options (`LiteOptions`); defaults are the runtime's `default_option`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct Options {
    pub weight_preprocess: bool,
    pub fuse_preprocess: bool,
    pub fake_next_exec: bool,
    pub var_sanity_check_first_run: bool,
    pub const_shape: bool,
    pub force_dynamic_alloc: bool,
    pub force_output_dynamic_alloc: bool,
    pub force_output_use_user_specified_memory: bool,
    pub no_profiling_on_shape_change: bool,
    pub jit_level: i32,
    pub comp_node_seq_record_level: i32,
    pub graph_opt_level: i32,
    pub async_exec_level: i32,
    pub enable_nchw44: bool,
    pub enable_nchw44_dot: bool,
    pub enable_nchw88: bool,
    pub enable_nhwcd4: bool,
    pub enable_nchw4: bool,
    pub enable_nchw32: bool,
    pub enable_nchw64: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options::from_c(&LiteOptions::default())
    }
}

impl Options {
    /// To the C struct.
    pub fn to_c(&self) -> LiteOptions {
        let b = |v: bool| v as i32;
        LiteOptions {
            weight_preprocess: b(self.weight_preprocess),
            fuse_preprocess: b(self.fuse_preprocess),
            fake_next_exec: b(self.fake_next_exec),
            var_sanity_check_first_run: b(self.var_sanity_check_first_run),
            const_shape: b(self.const_shape),
            force_dynamic_alloc: b(self.force_dynamic_alloc),
            force_output_dynamic_alloc: b(self.force_output_dynamic_alloc),
            force_output_use_user_specified_memory: b(self.force_output_use_user_specified_memory),
            no_profiling_on_shape_change: b(self.no_profiling_on_shape_change),
            jit_level: self.jit_level,
            comp_node_seq_record_level: self.comp_node_seq_record_level,
            graph_opt_level: self.graph_opt_level,
            async_exec_level: self.async_exec_level,
            enable_nchw44: b(self.enable_nchw44),
            enable_nchw44_dot: b(self.enable_nchw44_dot),
            enable_nchw88: b(self.enable_nchw88),
            enable_nhwcd4: b(self.enable_nhwcd4),
            enable_nchw4: b(self.enable_nchw4),
            enable_nchw32: b(self.enable_nchw32),
            enable_nchw64: b(self.enable_nchw64),
        }
    }

    /// From the C struct.
    pub fn from_c(c: &LiteOptions) -> Self {
        Options {
            weight_preprocess: c.weight_preprocess != 0,
            fuse_preprocess: c.fuse_preprocess != 0,
            fake_next_exec: c.fake_next_exec != 0,
            var_sanity_check_first_run: c.var_sanity_check_first_run != 0,
            const_shape: c.const_shape != 0,
            force_dynamic_alloc: c.force_dynamic_alloc != 0,
            force_output_dynamic_alloc: c.force_output_dynamic_alloc != 0,
            force_output_use_user_specified_memory: c.force_output_use_user_specified_memory != 0,
            no_profiling_on_shape_change: c.no_profiling_on_shape_change != 0,
            jit_level: c.jit_level,
            comp_node_seq_record_level: c.comp_node_seq_record_level,
            graph_opt_level: c.graph_opt_level,
            async_exec_level: c.async_exec_level,
            enable_nchw44: c.enable_nchw44 != 0,
            enable_nchw44_dot: c.enable_nchw44_dot != 0,
            enable_nchw88: c.enable_nchw88 != 0,
            enable_nhwcd4: c.enable_nhwcd4 != 0,
            enable_nchw4: c.enable_nchw4 != 0,
            enable_nchw32: c.enable_nchw32 != 0,
            enable_nchw64: c.enable_nchw64 != 0,
        }
    }
}

/// Network configuration (`LiteConfig`). Defaults are the runtime's `default_config()`
/// (note `device_id = -1` there; megenginelite's Python `LiteConfig()` leaves 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Model is compressed.
    pub has_compression: bool,
    /// Device id.
    pub device_id: i32,
    /// Device type.
    pub device_type: DeviceType,
    /// Backend.
    pub backend: Backend,
    /// Decryption method for bare models (empty = none).
    pub bare_model_cryption_name: String,
    /// Graph options.
    pub options: Options,
    /// Let lite pick options heuristically.
    pub auto_optimize_inference: bool,
    /// Input made of discrete tensors (empty = none).
    pub discrete_input_name: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            has_compression: false,
            device_id: -1,
            device_type: DeviceType::Cpu,
            backend: Backend::Default,
            bare_model_cryption_name: String::new(),
            options: Options::default(),
            auto_optimize_inference: false,
            discrete_input_name: String::new(),
        }
    }
}

pub(crate) fn cstring(s: &str, what: &str) -> Result<CString> {
    CString::new(s).map_err(|_| LiteError::invalid(format!("{what} contains a NUL byte")))
}

fn opt_cstring(s: &str, what: &str) -> Result<Option<CString>> {
    if s.is_empty() {
        Ok(None)
    } else {
        cstring(s, what).map(Some)
    }
}

/// A C `LiteConfig` plus the strings it points to.
pub(crate) struct CConfig {
    pub(crate) raw: LiteConfig,
    _strings: (Option<CString>, Option<CString>),
}

impl Config {
    pub(crate) fn to_c(&self) -> Result<CConfig> {
        let name = opt_cstring(&self.bare_model_cryption_name, "bare_model_cryption_name")?;
        let discrete = opt_cstring(&self.discrete_input_name, "discrete_input_name")?;
        self.device_type.check_available()?;
        let raw = LiteConfig {
            has_compression: self.has_compression as i32,
            device_id: self.device_id,
            device_type: self.device_type.resolved().as_c(),
            backend: self.backend.as_c(),
            bare_model_cryption_name: name.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
            options: self.options.to_c(),
            auto_optimize_inference: self.auto_optimize_inference as i32,
            discrete_input_name: discrete.as_ref().map_or(std::ptr::null(), |c| c.as_ptr()),
        };
        Ok(CConfig {
            raw,
            _strings: (name, discrete),
        })
    }
}

/// One input/output configuration (`LiteIO`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Io {
    /// Tensor name in the graph.
    pub name: String,
    /// Host (true) or device side.
    pub is_host: bool,
    /// Value or shape only.
    pub io_type: IoType,
    /// Layout configured by the user (rank 0 = from the model).
    pub config_layout: Layout,
}

impl Io {
    /// `LiteIO(name)` with the defaults: host, value, layout from the model.
    pub fn new(name: impl Into<String>) -> Self {
        Io {
            name: name.into(),
            is_host: true,
            io_type: IoType::Value,
            config_layout: Layout::default(),
        }
    }

    /// Read a C `LiteIO` (copying its strings).
    ///
    /// # Safety
    /// `c.name` must be null or a valid NUL-terminated string.
    pub(crate) unsafe fn from_c(c: &LiteIO) -> Result<Io> {
        let name = if c.name.is_null() {
            String::new()
        } else {
            // SAFETY: forwarded to the caller's contract.
            unsafe { CStr::from_ptr(c.name) }
                .to_string_lossy()
                .into_owned()
        };
        Ok(Io {
            name,
            is_host: c.is_host != 0,
            io_type: IoType::from_c(c.io_type)?,
            config_layout: Layout::from_c(&c.config_layout)?,
        })
    }
}

/// Inputs and outputs configuration (`LiteNetworkIO`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkIo {
    /// Inputs.
    pub inputs: Vec<Io>,
    /// Outputs.
    pub outputs: Vec<Io>,
}

/// A C `LiteNetworkIO` plus the arrays and strings it points to.
pub(crate) struct CNetworkIo {
    pub(crate) raw: LiteNetworkIO,
    _inputs: Vec<LiteIO>,
    _outputs: Vec<LiteIO>,
    _names: Vec<CString>,
}

impl NetworkIo {
    pub(crate) fn to_c(&self) -> Result<CNetworkIo> {
        let mut names = Vec::new();
        let mut conv = |ios: &[Io]| -> Result<Vec<LiteIO>> {
            ios.iter()
                .map(|io| {
                    if io.name.is_empty() {
                        return Err(LiteError::invalid("an IO entry needs a name"));
                    }
                    let n = cstring(&io.name, "IO name")?;
                    let c = LiteIO {
                        name: n.as_ptr(),
                        is_host: io.is_host as i32,
                        io_type: io.io_type.as_c(),
                        config_layout: io.config_layout.to_c()?,
                    };
                    names.push(n);
                    Ok(c)
                })
                .collect()
        };
        let mut inputs = conv(&self.inputs)?;
        let mut outputs = conv(&self.outputs)?;
        let raw = LiteNetworkIO {
            inputs: if inputs.is_empty() {
                std::ptr::null_mut()
            } else {
                inputs.as_mut_ptr()
            },
            outputs: if outputs.is_empty() {
                std::ptr::null_mut()
            } else {
                outputs.as_mut_ptr()
            },
            input_size: inputs.len(),
            output_size: outputs.len(),
        };
        Ok(CNetworkIo {
            raw,
            _inputs: inputs,
            _outputs: outputs,
            _names: names,
        })
    }

    /// Copy a C `LiteNetworkIO`.
    ///
    /// # Safety
    /// The arrays must hold `input_size`/`output_size` valid entries (or be null with
    /// size 0) whose names are valid C strings.
    pub(crate) unsafe fn from_c(c: &LiteNetworkIO) -> Result<NetworkIo> {
        let read = |p: *const LiteIO, n: usize| -> Result<Vec<Io>> {
            if n == 0 || p.is_null() {
                return Ok(Vec::new());
            }
            // SAFETY: forwarded to the caller's contract: `n` valid entries at `p`.
            let s = unsafe { std::slice::from_raw_parts(p, n) };
            // SAFETY: entries' names are valid C strings (caller's contract).
            s.iter().map(|io| unsafe { Io::from_c(io) }).collect()
        };
        Ok(NetworkIo {
            inputs: read(c.inputs, c.input_size)?,
            outputs: read(c.outputs, c.output_size)?,
        })
    }
}

/// Extra configuration (`LiteExtraConfig`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtraConfig {
    /// Ignore the configuration packed with the model.
    pub disable_configure_by_model_info: bool,
}
