//! Tensor descriptions and data copied out of the engine, and inputs handed to it.

use crate::{check, ErrorCode, LiteError, ModelType, Result};
use mindspore_sys::{Api, LmsTensorInfo, LmsTensors};
use std::ffi::CStr;
use std::ptr::{self, NonNull};

/// Bytes per element of a `mindspore::DataType` value; `None` for types without a fixed size.
pub fn dtype_size(dtype: i32) -> Option<usize> {
    match dtype {
        30 | 32 | 37 => Some(1), // bool, int8, uint8
        33 | 38 | 42 => Some(2), // int16, uint16, float16
        34 | 39 | 43 => Some(4), // int32, uint32, float32
        35 | 40 | 44 => Some(8), // int64, uint64, float64
        _ => None,
    }
}

/// A tensor's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// Name in the model.
    pub name: String,
    /// `mindspore::DataType` value.
    pub dtype: i32,
    /// `mindspore::Format` value.
    pub format: i32,
    /// Dims; -1 marks a dynamic dim (not yet resized).
    pub shape: Vec<i64>,
    /// Bytes of data (0 while the shape is dynamic).
    pub data_size: usize,
}

impl TensorInfo {
    /// Whether any dim is dynamic (-1).
    pub fn is_dynamic(&self) -> bool {
        self.shape.iter().any(|d| *d < 0)
    }
}

/// A tensor's description and a copy of its data (`None` when the engine has none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorData {
    /// Description.
    pub info: TensorInfo,
    /// Copied bytes.
    pub data: Option<Vec<u8>>,
}

/// One input of a predict: its shape and bytes (row-major, the input's dtype).
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Dims of the data.
    pub shape: &'a [i64],
    /// Bytes.
    pub data: &'a [u8],
}

/// Owns an `lms_tensors` list until it is read.
pub(crate) struct TensorList {
    api: &'static Api,
    raw: NonNull<LmsTensors>,
}

impl TensorList {
    /// Runs `fill` (a shim call writing a list pointer) and takes ownership of the result.
    pub(crate) fn fetch(
        api: &'static Api,
        fill: impl FnOnce(*mut *mut LmsTensors) -> i32,
    ) -> Result<TensorList> {
        let mut out: *mut LmsTensors = ptr::null_mut();
        check(api, fill(&mut out))?;
        let raw = NonNull::new(out).ok_or_else(|| {
            LiteError::new(
                lite_common::ErrorCode::LiteError,
                "the shim returned no tensor list",
            )
        })?;
        Ok(TensorList { api, raw })
    }

    /// Descriptions and (when `with_data`) copies of the data of every tensor.
    pub(crate) fn read(&self, with_data: bool) -> Result<Vec<TensorData>> {
        // SAFETY: `raw` is a live list owned by self.
        let len = unsafe { (self.api.lms_tensors_len)(self.raw.as_ptr()) };
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            let mut info = LmsTensorInfo {
                name: ptr::null(),
                dtype: 0,
                format: 0,
                ndim: 0,
                shape: ptr::null(),
                data_size: 0,
                data: ptr::null(),
            };
            // SAFETY: `raw` is live, `i < len`, `info` is a writable struct of the C layout.
            check(self.api, unsafe {
                (self.api.lms_tensors_get)(self.raw.as_ptr(), i, &mut info)
            })?;
            // SAFETY: the shim fills a NUL-terminated name and `ndim` dims that live as long as
            // the list; both are copied here.
            let (name, shape) = unsafe {
                let name = if info.name.is_null() {
                    String::new()
                } else {
                    CStr::from_ptr(info.name).to_string_lossy().into_owned()
                };
                let shape = if info.ndim == 0 || info.shape.is_null() {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(info.shape, info.ndim).to_vec()
                };
                (name, shape)
            };
            let data = if with_data && !info.data.is_null() {
                // SAFETY: `data` points to `data_size` bytes of engine memory valid while the
                // list lives and no engine call runs on this model (the caller holds it).
                Some(
                    unsafe { std::slice::from_raw_parts(info.data.cast::<u8>(), info.data_size) }
                        .to_vec(),
                )
            } else {
                None
            };
            out.push(TensorData {
                info: TensorInfo {
                    name,
                    dtype: info.dtype,
                    format: info.format,
                    shape,
                    data_size: info.data_size,
                },
                data,
            });
        }
        Ok(out)
    }
}

impl Drop for TensorList {
    fn drop(&mut self) {
        // SAFETY: `raw` came from the shim and is freed exactly once, here.
        unsafe { (self.api.lms_tensors_free)(self.raw.as_ptr()) };
    }
}

/// Checks a requested shape: rank, and dims in `1..=i32::MAX` (the runtime refuses larger dims).
pub(crate) fn check_shape(name: &str, shape: &[i64]) -> Result<()> {
    if shape.len() > 8 {
        return Err(LiteError::invalid(format!(
            "input {name}: rank {} is above 8",
            shape.len()
        )));
    }
    if let Some(d) = shape.iter().find(|d| **d < 1 || **d > i64::from(i32::MAX)) {
        return Err(LiteError::invalid(format!(
            "input {name}: dims must be in 1..={}, got {d} in {shape:?}",
            i32::MAX
        )));
    }
    Ok(())
}

/// Checks that `shape` fits the model input `info` (same rank, fixed dims kept).
pub(crate) fn check_fits(info: &TensorInfo, shape: &[i64]) -> Result<()> {
    check_shape(&info.name, shape)?;
    let fits = info.shape.len() == shape.len()
        && info.shape.iter().zip(shape).all(|(m, s)| *m < 0 || m == s);
    if !fits {
        return Err(LiteError::invalid(format!(
            "input {}: shape {shape:?} does not fit the model's {:?} (-1 is a dynamic dim)",
            info.name, info.shape
        )));
    }
    Ok(())
}

/// Bytes a tensor of `dtype` and `shape` takes, checked against overflow.
pub(crate) fn byte_size(name: &str, dtype: i32, shape: &[i64]) -> Result<usize> {
    let unit = dtype_size(dtype).ok_or_else(|| {
        LiteError::unsupported(format!(
            "input {name}: data type {dtype} has no fixed element size"
        ))
    })?;
    shape
        .iter()
        .try_fold(unit, |acc, d| {
            usize::try_from(*d).ok().and_then(|d| acc.checked_mul(d))
        })
        .ok_or_else(|| LiteError::invalid(format!("input {name}: shape {shape:?} is too large")))
}

/// Checks that `input` carries exactly the bytes its shape needs for `info`'s dtype and returns them.
pub(crate) fn checked_bytes<'a>(info: &TensorInfo, input: &Input<'a>) -> Result<&'a [u8]> {
    let want = byte_size(&info.name, info.dtype, input.shape)?;
    if input.data.len() != want {
        return Err(LiteError::invalid(format!(
            "input {}: shape {:?} needs {want} bytes, got {}",
            info.name,
            input.shape,
            input.data.len()
        )));
    }
    Ok(input.data)
}

/// Checks a model file before the engine sees its path: it must be a readable regular file
/// (else `LITE_FILE_NOT_FOUND`; the engine would only say "Common error code."), and a MindIR
/// file must pass [`check_model_bytes`].
pub(crate) fn check_model_file(path: &std::path::Path, model_type: ModelType) -> Result<()> {
    let not_found = |why: String| {
        LiteError::new(
            ErrorCode::FileNotFound,
            format!("the model file {} {why}", path.display()),
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not_found("does not exist".into()),
        _ => not_found(format!("cannot be read: {e}")),
    })?;
    if meta.is_dir() {
        return Err(not_found("is a directory, not a model file".into()));
    }
    if !meta.is_file() {
        // A FIFO would block the read forever and a device such as /dev/zero never ends.
        return Err(not_found("is not a regular file".into()));
    }
    let bytes = std::fs::read(path).map_err(|e| not_found(format!("cannot be read: {e}")))?;
    if bytes.is_empty() {
        return Err(LiteError::new(
            ErrorCode::InvalidModel,
            format!(
                "the model file {} is empty (0 bytes); re-export or re-download the model",
                path.display()
            ),
        ));
    }
    check_model_bytes(&bytes, model_type)
        .map_err(|e| LiteError::new(e.code, format!("{}: {}", path.display(), e.message)))
}

/// Checks model bytes before the engine sees them: not empty (`LITE_INVALID_ARGUMENT`), and for
/// MindIR a structural check
/// ([`crate::check_mindir`]: every tensor's bytes match its dims, names resolve), because the
/// engine reads past buffers or corrupts its heap on such files. `LITE_INVALID_MODEL` when not.
pub(crate) fn check_model_bytes(bytes: &[u8], model_type: ModelType) -> Result<()> {
    if bytes.is_empty() {
        return Err(LiteError::invalid("the model is empty (0 bytes)"));
    }
    if model_type == ModelType::MindIr {
        crate::check_mindir(bytes).map_err(|p| {
            LiteError::new(
                ErrorCode::InvalidModel,
                format!("not a valid MindIR model: {p}"),
            )
        })?;
    }
    Ok(())
}
