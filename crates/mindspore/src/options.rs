//! Build settings: the Context of one CPU device, config entries and runner workers.

use crate::{LiteError, Result};
use mindspore_sys::LmsBuildOptions;
use std::ffi::CString;
use std::os::raw::c_char;
use std::ptr;

/// `mindspore::ModelType` values a model can be built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelType {
    /// `kMindIR` (0).
    MindIr,
    /// `kMindIR_Lite` (4).
    MindIrLite,
}

impl ModelType {
    /// From the runtime's numeric value.
    pub fn from_c(value: u32) -> Result<ModelType> {
        match value {
            0 => Ok(ModelType::MindIr),
            4 => Ok(ModelType::MindIrLite),
            _ => Err(LiteError::invalid(format!(
                "unknown model type {value}: expected ModelType.MINDIR (0) or ModelType.MINDIR_LITE (4)"
            ))),
        }
    }
    /// The runtime's numeric value.
    pub fn as_c(self) -> u32 {
        match self {
            ModelType::MindIr => 0,
            ModelType::MindIrLite => 4,
        }
    }
}

/// One `config_dict` entry: `[section] key = value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    /// Section name (e.g. "ascend_context").
    pub section: String,
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
}

/// What a model or runner is built with (`Context` with one CPU device + config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Threads; `None`: engine default.
    pub thread_num: Option<i32>,
    /// Operators run in parallel; `None`: engine default.
    pub inter_op_parallel_num: Option<i32>,
    /// 0 none, 1 big cores first, 2 little cores first; `None`: engine default.
    pub affinity_mode: Option<i32>,
    /// Cores to bind to (wins over `affinity_mode` in the engine).
    pub core_list: Vec<i32>,
    /// CPU precision "preferred_fp16" (else "enforce_fp32").
    pub enable_fp16: bool,
    /// A config file (`LoadConfig`).
    pub config_path: Option<String>,
    /// Config entries (`UpdateConfig`).
    pub config: Vec<ConfigEntry>,
    /// Runner workers; `None`: engine default.
    pub workers_num: Option<i32>,
}

pub(crate) fn c_string(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| LiteError::invalid(format!("{what} contains a NUL character")))
}

/// C strings of config entries as three parallel pointer arrays (sections, keys, values); the
/// strings they point into are pushed onto `strings`, which must outlive the pointers.
pub(crate) fn config_pointers(
    config: &[ConfigEntry],
    strings: &mut Vec<CString>,
) -> Result<[Vec<*const c_char>; 3]> {
    let mut pointers: [Vec<*const c_char>; 3] = Default::default();
    for e in config {
        for (i, (what, s)) in [
            ("config section", &e.section),
            ("config key", &e.key),
            ("config value", &e.value),
        ]
        .into_iter()
        .enumerate()
        {
            let c = c_string(what, s)?;
            // A CString's heap buffer does not move when the CString itself moves.
            pointers[i].push(c.as_ptr());
            strings.push(c);
        }
    }
    Ok(pointers)
}

/// The C view of [`BuildOptions`]; owns the strings the raw struct points into.
pub(crate) struct RawOptions {
    raw: LmsBuildOptions,
    _strings: Vec<CString>,
    _pointers: [Vec<*const c_char>; 3],
    _cores: Vec<i32>,
}

impl BuildOptions {
    pub(crate) fn to_raw(&self) -> Result<RawOptions> {
        for (what, v) in [
            ("thread_num", self.thread_num),
            ("inter_op_parallel_num", self.inter_op_parallel_num),
            ("workers_num", self.workers_num),
        ] {
            if let Some(n) = v {
                if n < 1 {
                    return Err(LiteError::invalid(format!("{what} must be >= 1, got {n}")));
                }
            }
        }
        if let Some(m) = self.affinity_mode {
            if !(0..=2).contains(&m) {
                return Err(LiteError::invalid(format!(
                    "thread affinity mode must be 0, 1 or 2, got {m}"
                )));
            }
        }
        if let Some(c) = self.core_list.iter().find(|c| **c < 0) {
            return Err(LiteError::invalid(format!(
                "thread affinity core ids must be >= 0, got {c}"
            )));
        }
        let mut strings = Vec::new();
        let config_path = match &self.config_path {
            Some(p) if !p.is_empty() => {
                check_config_file(p)?;
                strings.push(c_string("config path", p)?);
                strings.last().map_or(ptr::null(), |s| s.as_ptr())
            }
            _ => ptr::null(),
        };
        let pointers = config_pointers(&self.config, &mut strings)?;
        let cores = self.core_list.clone();
        let raw = LmsBuildOptions {
            thread_num: self.thread_num.unwrap_or(0),
            inter_op_parallel_num: self.inter_op_parallel_num.unwrap_or(0),
            affinity_mode: self.affinity_mode.unwrap_or(-1),
            core_list: if cores.is_empty() {
                ptr::null()
            } else {
                cores.as_ptr()
            },
            core_list_len: cores.len(),
            enable_fp16: i32::from(self.enable_fp16),
            config_path,
            cfg_sections: pointers[0].as_ptr(),
            cfg_keys: pointers[1].as_ptr(),
            cfg_values: pointers[2].as_ptr(),
            cfg_len: self.config.len(),
            workers_num: self.workers_num.unwrap_or(0),
        };
        Ok(RawOptions {
            raw,
            _strings: strings,
            _pointers: pointers,
            _cores: cores,
        })
    }
}

impl RawOptions {
    pub(crate) fn as_ptr(&self) -> *const LmsBuildOptions {
        &self.raw
    }
}

/// A config file must be a readable regular file before the engine opens it: the engine reads a
/// FIFO forever, a device such as /dev/zero until memory runs out, and silently accepts a
/// directory or /dev/null. `LITE_FILE_NOT_FOUND` otherwise.
fn check_config_file(path: &str) -> Result<()> {
    let not_found = |why: &str| {
        LiteError::new(
            crate::ErrorCode::FileNotFound,
            format!("the config file {path} {why}"),
        )
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found("does not exist")),
        Err(e) => Err(not_found(&format!("cannot be read: {e}"))),
        Ok(m) if !m.is_file() => Err(not_found("is not a regular file")),
        Ok(_) => Ok(()),
    }
}
