//! `Runner`: a `mindspore::ModelParallelRunner`, safe to call from many threads at once.

use crate::options::BuildOptions;
use crate::tensor::{
    check_fits, check_model_file, checked_bytes, Input, TensorData, TensorInfo, TensorList,
};
use crate::{api, check, LiteError, Result};
use mindspore_sys::{Api, LmsRunner};
use std::ffi::CString;
use std::os::raw::c_void;
use std::path::Path;
use std::ptr::{self, NonNull};

/// A pool of `workers_num` model copies; [`Runner::predict`] may be called concurrently.
pub struct Runner {
    api: &'static Api,
    raw: NonNull<LmsRunner>,
    inputs: Vec<TensorInfo>,
    outputs: Vec<TensorInfo>,
}

// SAFETY: ModelParallelRunner is built for concurrent Predict calls (it queues requests onto its
// workers); after `from_file` only Predict (and the copied descriptions) are used.
unsafe impl Send for Runner {}
// SAFETY: see above; `predict` takes `&self` and each request brings its own input tensors.
unsafe impl Sync for Runner {}

impl Runner {
    /// Builds the runner from a MindIR file.
    pub fn from_file(path: &Path, options: &BuildOptions) -> Result<Runner> {
        let api = api()?;
        check_model_file(path, crate::ModelType::MindIr)?;
        let c_path = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| LiteError::invalid("the model path contains a NUL character"))?;
        let raw_opts = options.to_raw()?;
        let mut out: *mut LmsRunner = ptr::null_mut();
        // SAFETY: writable pointer slot.
        check(api, unsafe { (api.lms_runner_new)(&mut out) })?;
        let raw = NonNull::new(out).ok_or_else(|| {
            LiteError::new(
                lite_common::ErrorCode::LiteError,
                "the shim returned no runner",
            )
        })?;
        let mut runner = Runner {
            api,
            raw,
            inputs: Vec::new(),
            outputs: Vec::new(),
        };
        // SAFETY: live runner, NUL-terminated path and options that outlive the call.
        check(api, unsafe {
            (api.lms_runner_init_file)(raw.as_ptr(), c_path.as_ptr(), raw_opts.as_ptr())
        })?;
        // SAFETY: live runner; the out slot is provided by `fetch`.
        runner.inputs =
            TensorList::fetch(api, |o| unsafe { (api.lms_runner_inputs)(raw.as_ptr(), o) })?
                .read(false)?
                .into_iter()
                .map(|t| t.info)
                .collect();
        // SAFETY: as above.
        runner.outputs = TensorList::fetch(api, |o| unsafe {
            (api.lms_runner_outputs)(raw.as_ptr(), o)
        })?
        .read(false)?
        .into_iter()
        .map(|t| t.info)
        .collect();
        Ok(runner)
    }

    /// Input descriptions.
    pub fn inputs(&self) -> &[TensorInfo] {
        &self.inputs
    }

    /// Output descriptions.
    pub fn outputs(&self) -> &[TensorInfo] {
        &self.outputs
    }

    /// Checks a request before it runs: one input per model input, each fitting the model's
    /// declared shape (fixed dims kept) and carrying exactly the bytes its shape needs.
    pub fn check_inputs(&self, inputs: &[Input<'_>]) -> Result<()> {
        if inputs.len() != self.inputs.len() {
            return Err(LiteError::invalid(format!(
                "predict needs {} input(s), got {}",
                self.inputs.len(),
                inputs.len()
            )));
        }
        for (info, input) in self.inputs.iter().zip(inputs) {
            check_fits(info, input.shape)?;
            checked_bytes(info, input)?;
        }
        Ok(())
    }

    /// Runs one request (thread-safe): the inputs are copied into fresh tensors.
    pub fn predict(&self, inputs: &[Input<'_>]) -> Result<Vec<TensorData>> {
        self.check_inputs(inputs)?;
        let (mut data, mut sizes, mut dims, mut offsets) =
            (Vec::new(), Vec::new(), Vec::new(), vec![0usize]);
        for input in inputs {
            data.push(input.data.as_ptr().cast::<c_void>());
            sizes.push(input.data.len());
            dims.extend_from_slice(input.shape);
            offsets.push(dims.len());
        }
        // SAFETY: live runner; every array has one entry per input (offsets n + 1) and outlives the call.
        let list = TensorList::fetch(self.api, |out| unsafe {
            (self.api.lms_runner_predict)(
                self.raw.as_ptr(),
                data.len(),
                data.as_ptr(),
                sizes.as_ptr(),
                dims.as_ptr(),
                offsets.as_ptr(),
                out,
            )
        })?;
        list.read(true)
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        // SAFETY: `raw` came from lms_runner_new and is freed exactly once, here.
        unsafe { (self.api.lms_runner_free)(self.raw.as_ptr()) };
    }
}
