//! MindSpore Lite model conversion (`msConvert`, `msConvertAsync`), the native side of
//! `@lite/mindspore`'s `Converter`. Loads `libmindspore_converter.so` on the first conversion.
//!
//! The engine's converter runs one conversion at a time per process. Async conversions wait for
//! each other on the libuv pool; a sync conversion while another runs throws `LITE_BUSY` instead
//! of blocking the JS thread.

use crate::error::{already_ran, keep_failure, rejection, NativeFailure};
use crate::error::{IntoJs, Result};
use crate::mindspore::model::MsConfigEntry;
use mindspore::{ConfigEntry, ConvertOptions, FmkType, ModelType};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::{Mutex, TryLockError};

static CONVERTING: Mutex<()> = Mutex::new(());

/// One named input shape.
#[napi(object)]
#[derive(Clone)]
pub struct MsInputShape {
    pub name: String,
    pub dims: Vec<i64>,
}

/// One conversion (checked by the TypeScript layer first; unset fields keep engine defaults).
#[napi(object)]
#[derive(Clone)]
pub struct MsConvertOptions {
    pub fmk_type: i32,
    pub model_file: String,
    pub output_file: String,
    pub weight_file: Option<String>,
    pub config_file: Option<String>,
    pub weight_fp16: Option<bool>,
    pub input_format: Option<i32>,
    pub input_data_type: Option<i32>,
    pub output_data_type: Option<i32>,
    pub save_type: Option<u32>,
    pub no_fusion: Option<bool>,
    pub infer: Option<bool>,
    pub enable_encryption: Option<bool>,
    pub encrypt_key: Option<String>,
    pub decrypt_key: Option<String>,
    pub decrypt_mode: Option<String>,
    pub device: Option<String>,
    pub input_shape: Option<Vec<MsInputShape>>,
    pub config: Option<Vec<MsConfigEntry>>,
}

fn to_options(o: MsConvertOptions) -> mindspore::Result<ConvertOptions> {
    let mut opts = ConvertOptions::new(FmkType::from_c(o.fmk_type)?, &o.model_file, &o.output_file);
    opts.weight_file = o.weight_file;
    opts.config_file = o.config_file;
    opts.weight_fp16 = o.weight_fp16;
    opts.input_format = o.input_format;
    opts.input_data_type = o.input_data_type;
    opts.output_data_type = o.output_data_type;
    opts.save_type = o.save_type.map(ModelType::from_c).transpose()?;
    opts.no_fusion = o.no_fusion;
    opts.infer = o.infer;
    opts.enable_encryption = o.enable_encryption;
    opts.encrypt_key = o.encrypt_key;
    opts.decrypt_key = o.decrypt_key;
    opts.decrypt_mode = o.decrypt_mode;
    opts.device = o.device;
    opts.input_shape = o
        .input_shape
        .unwrap_or_default()
        .into_iter()
        .map(|s| (s.name, s.dims))
        .collect();
    opts.config = o
        .config
        .unwrap_or_default()
        .into_iter()
        .map(ConfigEntry::from)
        .collect();
    Ok(opts)
}

/// Converts a model on the JS thread (LITE_BUSY while another conversion runs).
#[napi]
pub fn ms_convert(options: MsConvertOptions) -> Result<()> {
    let opts = to_options(options).js()?;
    let _running = match CONVERTING.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => {
            return Err(Error::new(
                crate::error::Code("LITE_BUSY"),
                "another model conversion is running (the engine converts one model at a time); await it first"
                    .to_string(),
            ))
        }
    };
    mindspore::convert(&opts).js()
}

/// Converts a model on the libuv pool (after any conversion already running).
#[napi(ts_return_type = "Promise<void>")]
pub fn ms_convert_async(options: MsConvertOptions) -> Result<AsyncTask<MsConvertTask>> {
    Ok(AsyncTask::new(MsConvertTask {
        opts: Some(to_options(options).js()?),
        failure: None,
    }))
}

pub struct MsConvertTask {
    opts: Option<ConvertOptions>,
    failure: Option<NativeFailure>,
}

impl Task for MsConvertTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        let failure = &mut self.failure;
        let opts = self.opts.take().ok_or_else(|| already_ran(failure))?;
        // The JS thread never blocks on this lock (it only try_locks), so waiting here is safe.
        let _running = CONVERTING.lock().unwrap_or_else(|p| p.into_inner());
        mindspore::convert(&opts).map_err(|e| keep_failure(failure, e))
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<()> {
        Err(rejection(&env, &mut self.failure, err))
    }
}
