//! `convert`: the runtime's model converter (`mindspore::Converter` of
//! `libmindspore_converter.so`, through our converter shim).
//!
//! The engine's converter keeps process-wide state and is not callable from several threads at
//! once: the shim serialises conversions, so a `convert` on one thread waits for another's.

use crate::options::{c_string, config_pointers, ConfigEntry, ModelType};
use crate::{LiteError, Result};
use lite_common::ErrorCode;
use mindspore_sys::LmcOptions;
use std::ffi::{CStr, CString};
use std::os::raw::c_char;
use std::ptr;

/// Frameworks the converter reads (`mindspore::converter::FmkType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmkType {
    /// TensorFlow `.pb` (0).
    Tf,
    /// Caffe `.prototxt` + `.caffemodel` (1).
    Caffe,
    /// ONNX (2).
    Onnx,
    /// MindIR (3).
    MindIr,
    /// TensorFlow Lite (4).
    Tflite,
}

impl FmkType {
    /// From the runtime's numeric value (PYTORCH, 5, is not built into the 2.0.0 wheel).
    pub fn from_c(value: i32) -> Result<FmkType> {
        Ok(match value {
            0 => FmkType::Tf,
            1 => FmkType::Caffe,
            2 => FmkType::Onnx,
            3 => FmkType::MindIr,
            4 => FmkType::Tflite,
            _ => {
                return Err(LiteError::invalid(format!(
                    "unknown framework type {value}: expected FmkType.TF (0), CAFFE (1), ONNX (2), MINDIR (3) or TFLITE (4)"
                )))
            }
        })
    }
    /// The runtime's numeric value.
    pub fn as_c(self) -> i32 {
        match self {
            FmkType::Tf => 0,
            FmkType::Caffe => 1,
            FmkType::Onnx => 2,
            FmkType::MindIr => 3,
            FmkType::Tflite => 4,
        }
    }
}

/// One conversion: the files and the settings of the engine's `Converter`. `None` leaves the
/// engine's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertOptions {
    /// Source framework.
    pub fmk_type: FmkType,
    /// Source model file.
    pub model_file: String,
    /// Output path; the engine appends ".mindir" (MINDIR) or ".ms" (MINDIR_LITE).
    pub output_file: String,
    /// Weight file (Caffe).
    pub weight_file: Option<String>,
    /// Converter config file.
    pub config_file: Option<String>,
    /// Store float32 constants as float16.
    pub weight_fp16: Option<bool>,
    /// `mindspore::Format` of the inputs (NCHW 0, NHWC 1).
    pub input_format: Option<i32>,
    /// `mindspore::DataType` of the inputs (quantized models).
    pub input_data_type: Option<i32>,
    /// `mindspore::DataType` of the outputs (quantized models).
    pub output_data_type: Option<i32>,
    /// What to write.
    pub save_type: Option<ModelType>,
    /// No fusion optimisation (`optimize = "none"`).
    pub no_fusion: Option<bool>,
    /// Pre-inference after conversion.
    pub infer: Option<bool>,
    /// Encrypt the output.
    pub enable_encryption: Option<bool>,
    /// Key of the output encryption (hex).
    pub encrypt_key: Option<String>,
    /// Key of an encrypted input (hex).
    pub decrypt_key: Option<String>,
    /// "AES-GCM" or "AES-CBC".
    pub decrypt_mode: Option<String>,
    /// Target device ("Ascend").
    pub device: Option<String>,
    /// Input shapes by input name.
    pub input_shape: Vec<(String, Vec<i64>)>,
    /// `config_info` entries.
    pub config: Vec<ConfigEntry>,
}

impl ConvertOptions {
    /// Options for `fmk_type`, `model_file` → `output_file`, everything else at the engine's default.
    pub fn new(fmk_type: FmkType, model_file: &str, output_file: &str) -> ConvertOptions {
        ConvertOptions {
            fmk_type,
            model_file: model_file.to_owned(),
            output_file: output_file.to_owned(),
            weight_file: None,
            config_file: None,
            weight_fp16: None,
            input_format: None,
            input_data_type: None,
            output_data_type: None,
            save_type: None,
            no_fusion: None,
            infer: None,
            enable_encryption: None,
            encrypt_key: None,
            decrypt_key: None,
            decrypt_mode: None,
            device: None,
            input_shape: Vec::new(),
            config: Vec::new(),
        }
    }
}

fn flag(v: Option<bool>) -> i32 {
    v.map_or(-1, i32::from)
}

/// Converts a model with the runtime's converter (loads `libmindspore_converter.so` on first use).
/// Blocks the calling thread for the conversion; conversions from several threads run one at a time.
pub fn convert(opts: &ConvertOptions) -> Result<()> {
    let api = mindspore_sys::load_converter(None)
        .map_err(|m| LiteError::new(ErrorCode::RuntimeNotFound, m))?;
    let mut strings: Vec<CString> = Vec::new();
    let mut text = |what: &str, s: Option<&str>| -> Result<*const c_char> {
        Ok(match s {
            None => ptr::null(),
            Some(s) => {
                let c = c_string(what, s)?;
                let p = c.as_ptr();
                strings.push(c);
                p
            }
        })
    };
    let model_file = text("model file", Some(&opts.model_file))?;
    let output_file = text("output file", Some(&opts.output_file))?;
    let weight_file = text("weight file", opts.weight_file.as_deref())?;
    let config_file = text("config file", opts.config_file.as_deref())?;
    let encrypt_key = text("encrypt key", opts.encrypt_key.as_deref())?;
    let decrypt_key = text("decrypt key", opts.decrypt_key.as_deref())?;
    let decrypt_mode = text("decrypt mode", opts.decrypt_mode.as_deref())?;
    let device = text("device", opts.device.as_deref())?;
    let mut shape_names = Vec::with_capacity(opts.input_shape.len());
    let mut shape_dims = Vec::new();
    let mut shape_offsets = vec![0usize];
    for (name, dims) in &opts.input_shape {
        shape_names.push(text("input shape name", Some(name))?);
        shape_dims.extend_from_slice(dims);
        shape_offsets.push(shape_dims.len());
    }
    let cfg = config_pointers(&opts.config, &mut strings)?;
    let raw = LmcOptions {
        fmk_type: opts.fmk_type.as_c(),
        model_file,
        output_file,
        weight_file,
        config_file,
        weight_fp16: flag(opts.weight_fp16),
        input_format: opts.input_format.unwrap_or(-1),
        input_data_type: opts.input_data_type.unwrap_or(-1),
        output_data_type: opts.output_data_type.unwrap_or(-1),
        save_type: opts.save_type.map_or(-1, |t| i64::from(t.as_c())),
        no_fusion: flag(opts.no_fusion),
        infer: flag(opts.infer),
        train_model: -1,
        optimize_transformer: -1,
        enable_encryption: flag(opts.enable_encryption),
        encrypt_key,
        decrypt_key,
        decrypt_mode,
        device,
        shape_names: shape_names.as_ptr(),
        shape_dims: shape_dims.as_ptr(),
        shape_offsets: shape_offsets.as_ptr(),
        shape_len: shape_names.len(),
        cfg_sections: cfg[0].as_ptr(),
        cfg_keys: cfg[1].as_ptr(),
        cfg_values: cfg[2].as_ptr(),
        cfg_len: opts.config.len(),
    };
    // SAFETY: every pointer in `raw` points into `strings`, `shape_*` or `cfg`, all alive until
    // this function returns; the shim copies what it keeps.
    let rc = unsafe { (api.lmc_convert)(&raw) };
    if rc == mindspore_sys::LMS_OK {
        return Ok(());
    }
    // SAFETY: a pointer to this thread's NUL-terminated message (never null), valid until the
    // next converter shim call on this thread; copied at once.
    let message = unsafe { CStr::from_ptr((api.lmc_last_error)()) }
        .to_string_lossy()
        .into_owned();
    Err(crate::error_for(rc, message))
}
