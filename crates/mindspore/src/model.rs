//! `Model`: one `mindspore::Model`, built once, used from one thread at a time.

use crate::options::{BuildOptions, ModelType};
use crate::tensor::{
    check_model_bytes, check_model_file, check_shape, checked_bytes, Input, TensorData, TensorInfo,
    TensorList,
};
use crate::{api, check, LiteError, Result};
use mindspore_sys::{Api, LmsModel};
use std::ffi::CString;
use std::os::raw::c_void;
use std::path::Path;
use std::ptr::{self, NonNull};

/// A MindSpore Lite model. `Send` (it may move between threads) but not `Sync`: the engine's
/// model is not safe for concurrent calls, so callers serialise access (e.g. a mutex).
pub struct Model {
    api: &'static Api,
    raw: NonNull<LmsModel>,
    built: bool,
    /// Input shapes right after the build (-1: a dim the model declares dynamic).
    declared: Vec<TensorInfo>,
    /// Set when a predict failed inside the engine (a shape its graph cannot run, e.g. a conv
    /// input resized to other channels): 2.0.0 crashes (SIGSEGV) on any later predict of that
    /// model, whatever the shapes, so later predicts are refused. A resize the engine refuses
    /// leaves the model usable (it keeps its shapes, as Python's does).
    failed_predict: Option<String>,
    /// The inputs' current descriptions, read from the engine once and kept until something
    /// may change them (a build, a resize, a failed predict): predict compares against them
    /// without asking the engine on every call.
    current: Option<Vec<TensorInfo>>,
}

// SAFETY: the engine's Model has no thread affinity; it is only used through `&mut self` or
// `&self` methods that the type system keeps from running concurrently (Model is not Sync).
unsafe impl Send for Model {}

impl Model {
    /// A new, unbuilt model (loads the runtime on first use).
    pub fn new() -> Result<Model> {
        let api = api()?;
        let mut out: *mut LmsModel = ptr::null_mut();
        // SAFETY: `out` is a writable pointer slot.
        check(api, unsafe { (api.lms_model_new)(&mut out) })?;
        let raw = NonNull::new(out).ok_or_else(|| {
            LiteError::new(
                lite_common::ErrorCode::LiteError,
                "the shim returned no model",
            )
        })?;
        Ok(Model {
            api,
            raw,
            built: false,
            declared: Vec::new(),
            failed_predict: None,
            current: None,
        })
    }

    /// Whether a build succeeded.
    pub fn is_built(&self) -> bool {
        self.built
    }

    fn check_unbuilt(&self) -> Result<()> {
        if self.built {
            return Err(LiteError::invalid(
                "the model is already built; create a new Model to build another",
            ));
        }
        Ok(())
    }

    fn check_built(&self) -> Result<()> {
        if !self.built {
            return Err(LiteError::invalid(
                "the model is not built yet: call buildFromFile or buildFromBuffer first",
            ));
        }
        Ok(())
    }

    /// Refuses a predict after one that failed inside the engine (2.0.0 crashed on it).
    fn check_predictable(&self) -> Result<()> {
        match &self.failed_predict {
            Some(reason) => Err(LiteError::unsupported(format!(
                "predict: an earlier predict of this model failed in the engine ({reason}) and \
                 MindSpore Lite 2.0.0 crashes on any later predict of such a model; build a new Model"
            ))),
            None => Ok(()),
        }
    }

    /// Builds from a MindIR file (checked to be a readable, non-empty file first).
    pub fn build_from_file(
        &mut self,
        path: &Path,
        model_type: ModelType,
        options: &BuildOptions,
    ) -> Result<()> {
        self.check_unbuilt()?;
        check_model_file(path, model_type)?;
        let c_path = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| LiteError::invalid("the model path contains a NUL character"))?;
        let raw = options.to_raw()?;
        // SAFETY: live model, NUL-terminated path and options that outlive the call.
        check(self.api, unsafe {
            (self.api.lms_model_build_file)(
                self.raw.as_ptr(),
                c_path.as_ptr(),
                model_type.as_c(),
                raw.as_ptr(),
            )
        })?;
        self.after_build()
    }

    /// Builds from MindIR bytes (the engine copies what it keeps).
    pub fn build_from_buffer(
        &mut self,
        bytes: &[u8],
        model_type: ModelType,
        options: &BuildOptions,
    ) -> Result<()> {
        self.check_unbuilt()?;
        check_model_bytes(bytes, model_type)?;
        let raw = options.to_raw()?;
        // SAFETY: live model; `bytes` and the options outlive the call.
        check(self.api, unsafe {
            (self.api.lms_model_build_buffer)(
                self.raw.as_ptr(),
                bytes.as_ptr().cast::<c_void>(),
                bytes.len(),
                model_type.as_c(),
                raw.as_ptr(),
            )
        })?;
        self.after_build()
    }

    fn after_build(&mut self) -> Result<()> {
        self.built = true;
        self.current = None;
        self.declared = self.input_infos()?;
        Ok(())
    }

    /// The inputs' current descriptions (cached; see `current`).
    fn current_inputs(&mut self) -> Result<&[TensorInfo]> {
        if self.current.is_none() {
            self.current = Some(self.input_infos()?);
        }
        Ok(self.current.as_deref().unwrap_or_default())
    }

    /// Input descriptions as declared by the model (before any resize; -1 marks dynamic dims).
    pub fn declared_inputs(&self) -> &[TensorInfo] {
        &self.declared
    }

    /// The inputs (descriptions, and the data they currently hold when `with_data`).
    pub fn inputs(&self, with_data: bool) -> Result<Vec<TensorData>> {
        self.check_built()?;
        // SAFETY: live model; the out slot is provided by `fetch`.
        TensorList::fetch(self.api, |out| unsafe {
            (self.api.lms_model_inputs)(self.raw.as_ptr(), out)
        })?
        .read(with_data)
    }

    /// The outputs (descriptions, and the data of the last predict when `with_data`).
    pub fn outputs(&self, with_data: bool) -> Result<Vec<TensorData>> {
        self.check_built()?;
        // SAFETY: live model; the out slot is provided by `fetch`.
        TensorList::fetch(self.api, |out| unsafe {
            (self.api.lms_model_outputs)(self.raw.as_ptr(), out)
        })?
        .read(with_data)
    }

    fn input_infos(&self) -> Result<Vec<TensorInfo>> {
        Ok(self.inputs(false)?.into_iter().map(|t| t.info).collect())
    }

    /// Resizes every input (one shape per input, in input order). Any dims in 1..=i32::MAX and
    /// rank up to 8, fixed dims and rank included, as Python's `resize`: the engine decides, and a
    /// resize it refuses leaves the model as it was (its inputs keep their shapes).
    pub fn resize(&mut self, shapes: &[Vec<i64>]) -> Result<()> {
        // Whatever the engine does with the request, read the shapes again afterwards.
        self.current = None;
        let infos = self.input_infos()?;
        if shapes.len() != infos.len() {
            return Err(LiteError::invalid(format!(
                "resize needs {} shape(s), one per model input, got {}",
                infos.len(),
                shapes.len()
            )));
        }
        for (info, shape) in infos.iter().zip(shapes) {
            check_shape(&info.name, shape)?;
        }
        let mut offsets = vec![0usize];
        let mut dims = Vec::new();
        for s in shapes {
            dims.extend_from_slice(s);
            offsets.push(dims.len());
        }
        // SAFETY: `dims` and `offsets` (n + 1 entries) outlive the call.
        let rc = unsafe {
            (self.api.lms_model_resize)(
                self.raw.as_ptr(),
                shapes.len(),
                dims.as_ptr(),
                offsets.as_ptr(),
            )
        };
        check(self.api, rc)
    }

    /// Copies the inputs in (resizing first when their shapes differ from the model's), runs,
    /// and returns copies of the outputs.
    pub fn predict(&mut self, inputs: &[Input<'_>]) -> Result<Vec<TensorData>> {
        self.check_predictable()?;
        let needs_resize = {
            let infos = self.current_inputs()?;
            if inputs.len() != infos.len() {
                return Err(LiteError::invalid(format!(
                    "predict needs {} input(s), got {}",
                    infos.len(),
                    inputs.len()
                )));
            }
            // A feed of another rank is refused before the engine (a flat [1, 784] for a conv
            // input is a mistake, and an engine predict failure ends the model's predicts); an
            // explicit resize may change the rank, as Python's does.
            for (info, input) in infos.iter().zip(inputs) {
                if info.shape.len() != input.shape.len() {
                    return Err(LiteError::invalid(format!(
                        "predict: input {}: shape {:?} has {} dims, the model's input is {:?} \
                         (call resize first to change the rank)",
                        info.name,
                        input.shape,
                        input.shape.len(),
                        info.shape
                    )));
                }
            }
            infos
                .iter()
                .zip(inputs)
                .any(|(info, input)| info.shape != input.shape)
        };
        if needs_resize {
            let shapes: Vec<Vec<i64>> = inputs.iter().map(|i| i.shape.to_vec()).collect();
            self.resize(&shapes)?;
        }
        let infos = self.current_inputs()?;
        let mut data = Vec::with_capacity(inputs.len());
        let mut sizes = Vec::with_capacity(inputs.len());
        for (info, input) in infos.iter().zip(inputs) {
            let bytes = checked_bytes(info, input)?;
            if info.data_size != bytes.len() {
                return Err(LiteError::invalid(format!(
                    "input {}: the model holds {} bytes after resizing, the data has {}",
                    info.name,
                    info.data_size,
                    bytes.len()
                )));
            }
            data.push(input.data.as_ptr().cast::<c_void>());
            sizes.push(input.data.len());
        }
        // SAFETY: live model; `data`/`sizes` hold one checked buffer per input, alive for the call.
        let list = TensorList::fetch(self.api, |out| unsafe {
            (self.api.lms_model_predict)(
                self.raw.as_ptr(),
                data.len(),
                data.as_ptr(),
                sizes.as_ptr(),
                out,
            )
        });
        if let Err(e) = &list {
            self.current = None;
            if e.code == lite_common::ErrorCode::LiteError {
                self.failed_predict = Some(e.message.clone());
            }
        }
        list?.read(true)
    }
}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: `raw` came from lms_model_new and is freed exactly once, here.
        unsafe { (self.api.lms_model_free)(self.raw.as_ptr()) };
    }
}
