//! `NativeTensor`: the JS face of `lite::Tensor`.

use crate::error::{disposed, from_napi, invalid, IntoJs, Result};
use crate::external::External;
use crate::megengine::executor::Executor;
use megengine::{DataType, DeviceType, Layout, Tensor, UserMemory};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

/// A layout as plain data (`{ shapes, dataType }`).
#[napi(object)]
#[derive(Clone)]
pub struct NativeLayout {
    /// Dimensions.
    pub shapes: Vec<u32>,
    /// `LiteDataType` value.
    pub data_type: i32,
}

impl NativeLayout {
    pub(crate) fn to_lite(&self) -> Result<Layout> {
        let dt = DataType::from_c(self.data_type).js()?;
        Layout::new(
            self.shapes.iter().map(|&d| d as usize).collect::<Vec<_>>(),
            dt,
        )
        .js()
    }

    pub(crate) fn from_lite(l: &Layout) -> Result<NativeLayout> {
        let shapes = l
            .shapes
            .iter()
            .map(|&d| {
                u32::try_from(d)
                    .map_err(|_| invalid(format!("dimension {d} does not fit in 32 bits")))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NativeLayout {
            shapes,
            data_type: l.data_type.as_c(),
        })
    }
}

/// JS memory lent to a tensor by `shareBytes`. The typed array holds a reference to its
/// ArrayBuffer, so the memory stays reachable while any tensor uses it; napi-rs releases that
/// reference on the JS thread whichever thread drops it.
pub(crate) struct JsMemory(Uint8Array);

impl JsMemory {
    /// Lends `data` to a tensor (see the safety rule below).
    pub(crate) fn new(data: Uint8Array) -> JsMemory {
        JsMemory(data)
    }
}

// SAFETY: the rule for JS memory lent to the engine. A JS ArrayBuffer's backing store never
// moves while the buffer is alive and attached; the held reference keeps the buffer alive. It
// could only go away by being detached (transferred) and then collected, and that cannot
// happen to memory lent here:
// - `setDataByShare` (the only caller) pins the buffer first: @lite/core marks
//   it untransferable (`worker_threads.markAsUntransferable`), so `postMessage` and
//   `structuredClone` with a transfer list copy it (or throw) instead of detaching it; it
//   refuses resizable buffers (they could shrink) and already-detached ones; and @lite/core
//   re-checks every shared input before each forward.
// (predict copies its feeds into Rust memory on the JS thread: no JS handle reaches the
// network's own thread.)
unsafe impl UserMemory for JsMemory {
    fn as_mut_ptr(&mut self) -> *mut u8 {
        // SAFETY: the typed array is alive (owned by self) and points at its backing store.
        unsafe { self.0.as_mut() }.as_mut_ptr()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A MegEngine Lite tensor owned by JS (internal; use `LiteTensor` from `@lite/core`).
#[napi(custom_finalize)]
pub struct NativeTensor {
    inner: Option<Tensor>,
    /// The runtime memory this tensor alone holds, as reported to V8.
    external: External,
    /// The executor of the network this tensor belongs to (IO tensors and their slices): while
    /// it holds the network, every call refuses with `LITE_BUSY`. The executor alone decides.
    owner: Option<Arc<Executor>>,
}

impl ObjectFinalize for NativeTensor {
    fn finalize(self, env: Env) -> napi::Result<()> {
        self.external.release(&env);
        Ok(())
    }
}

impl NativeTensor {
    pub(crate) fn wrap(t: Tensor) -> NativeTensor {
        NativeTensor {
            inner: Some(t),
            external: External::default(),
            owner: None,
        }
    }

    /// A tensor of the network `owner` runs (an IO tensor): refused while `owner` is busy.
    pub(crate) fn wrap_owned(t: Tensor, owner: &Arc<Executor>) -> NativeTensor {
        NativeTensor {
            owner: Some(owner.clone()),
            ..NativeTensor::wrap(t)
        }
    }

    /// A new tensor's handle, with its memory reported to V8.
    fn wrap_reported(env: &Env, t: Tensor) -> NativeTensor {
        let n = NativeTensor::wrap(t);
        n.report(env);
        n
    }

    /// Reports the memory this tensor alone holds now (after a call that may change it; for
    /// tensors made off the JS thread, once they reach it).
    pub(crate) fn report(&self, env: &Env) {
        let bytes = self.inner.as_ref().map_or(0, Tensor::own_memory_bytes);
        self.external.set(i64::try_from(bytes).unwrap_or(i64::MAX));
        self.external.report(env);
    }

    /// Runs a call that may change the tensor's memory, then reports it.
    fn reporting<T>(&mut self, env: &Env, f: impl FnOnce(&mut Tensor) -> Result<T>) -> Result<T> {
        let r = f(self.get_mut()?);
        self.report(env);
        r
    }

    /// Refuses while the owning network's executor holds the network (outside a callback turn).
    fn check_owner(&self) -> Result<()> {
        match &self.owner {
            Some(exec) if exec.tensors_busy() => Err(tensor_busy_error()),
            _ => Ok(()),
        }
    }

    pub(crate) fn get(&self) -> Result<&Tensor> {
        self.check_owner()?;
        self.inner.as_ref().ok_or_else(|| disposed("LiteTensor"))
    }

    fn get_mut(&mut self) -> Result<&mut Tensor> {
        self.check_owner()?;
        self.inner.as_mut().ok_or_else(|| disposed("LiteTensor"))
    }
}

fn tensor_busy_error() -> Error<crate::error::Code> {
    Error::new(
        crate::error::Code("LITE_BUSY"),
        "the network owning this tensor has an asynchronous call queued or running; await it first"
            .to_string(),
    )
}

/// Writes `layout` into `out` as `[dataType, ndim, dim0, dim1, ...]` (the per-call fast path:
/// numbers into a preallocated array instead of a new JS object per call).
fn layout_into(layout: &Layout, out: &mut [f64]) -> Result<()> {
    let ndim = layout.shapes.len();
    if out.len() < 2 + ndim {
        return Err(invalid(format!(
            "the layout buffer holds {} numbers, {} are needed",
            out.len(),
            2 + ndim
        )));
    }
    out[0] = f64::from(layout.data_type.as_c());
    out[1] = ndim as f64;
    for (slot, &d) in out[2..].iter_mut().zip(layout.shapes.iter()) {
        *slot = d as f64;
    }
    Ok(())
}

/// Largest array `read_typed` lets V8 allocate itself (64 MiB); beyond it the memory is
/// allocated fallibly in Rust and handed over as an external buffer.
const V8_OWNED_MAX: usize = 64 << 20;

/// `LiteLayout([2, 3], float32)`, as `@lite/core` prints layouts.
fn describe_layout(l: &Layout) -> String {
    let dims: Vec<String> = l.shapes.iter().map(|d| d.to_string()).collect();
    format!("LiteLayout([{}], {})", dims.join(", "), l.data_type.name())
}

/// A new ArrayBuffer of `len` bytes whose memory V8 owns (zero-filled), for filling in place.
fn new_arraybuffer(env: &Env, len: usize) -> Result<ArrayBuffer<'_>> {
    let mut value = std::ptr::null_mut();
    let mut data = std::ptr::null_mut();
    // SAFETY: `env` is the live environment of this call on the JS thread; both out-pointers
    // are valid for one write each.
    let status =
        unsafe { napi::sys::napi_create_arraybuffer(env.raw(), len, &mut data, &mut value) };
    if status != napi::sys::Status::napi_ok {
        // V8 threw (a RangeError): clear it, the caller gets one LiteError instead.
        let mut pending = std::ptr::null_mut();
        // SAFETY: live environment; the out-pointer is valid for one write.
        unsafe { napi::sys::napi_get_and_clear_last_exception(env.raw(), &mut pending) };
        return Err(invalid(format!(
            "the tensor holds {len} bytes: a JavaScript ArrayBuffer that large could not be allocated"
        )));
    }
    // SAFETY: `value` is the ArrayBuffer napi just created in this environment.
    unsafe { ArrayBuffer::from_napi_value(env.raw(), value) }.map_err(from_napi)
}

/// Whether a tensor's memory can be read on the host in place (CPU or pinned host memory).
fn host_readable(t: &Tensor) -> Result<bool> {
    Ok(t.device_type().js()? == DeviceType::Cpu || t.is_pinned_host().js()?)
}

fn device(v: i32) -> Result<DeviceType> {
    DeviceType::from_c(v).js()
}

/// `LITE_UNSUPPORTED`: the feature exists in the API but not on this machine/runtime.
fn unsupported(message: impl Into<String>) -> Error<crate::error::Code> {
    Error::new(crate::error::Code("LITE_UNSUPPORTED"), message.into())
}

/// Refuses device tensors this machine cannot hold *before* the engine sees them: without a
/// GPU the engine answers CUDA with an assertion backtrace, and an Atlas tensor even aborts
/// the process at exit. CPU and `LITE_DEVICE_DEFAULT` (host memory) always pass; CUDA and
/// pinned host memory need a CUDA device with that id; the other accelerators are not
/// usable with the shipped runtime.
fn check_device(device_type: DeviceType, device_id: i32, is_pinned_host: bool) -> Result<()> {
    if device_id < 0 {
        return Err(invalid(format!(
            "deviceId must be non-negative, got {device_id}"
        )));
    }
    let needs_cuda = match device_type {
        DeviceType::Cpu | DeviceType::DeviceDefault => is_pinned_host,
        DeviceType::Cuda => true,
        other => {
            return Err(unsupported(format!(
                "{} tensors are not supported by this runtime (the shipped MegEngine Lite has no {} support)",
                other.c_name(),
                other.c_name()
            )))
        }
    };
    if !needs_cuda {
        return Ok(());
    }
    let what = if device_type == DeviceType::Cuda {
        "a LITE_CUDA tensor"
    } else {
        "pinned host memory"
    };
    let count = megengine::device_count(DeviceType::Cuda).js()?;
    if count == 0 {
        return Err(unsupported(format!(
            "no CUDA device is available: {what} cannot be created on this machine"
        )));
    }
    // `device_id < 0` was refused above, so the cast is lossless.
    if device_type == DeviceType::Cuda && device_id as usize >= count {
        return Err(unsupported(format!(
            "CUDA device {device_id} does not exist ({count} available)"
        )));
    }
    Ok(())
}

#[napi]
impl NativeTensor {
    /// Creates a tensor; memory is allocated on first use.
    #[napi(constructor)]
    pub fn new(
        env: Env,
        layout: Option<NativeLayout>,
        device_type: i32,
        device_id: i32,
        is_pinned_host: bool,
    ) -> Result<Self> {
        let layout = match layout {
            Some(l) => l.to_lite()?,
            None => Layout::default(),
        };
        let device_type = device(device_type)?;
        check_device(device_type, device_id, is_pinned_host)?;
        let t = Tensor::new(&layout, device_type, device_id, is_pinned_host).js()?;
        Ok(NativeTensor::wrap_reported(&env, t))
    }

    /// Current layout.
    #[napi]
    pub fn layout(&self) -> Result<NativeLayout> {
        NativeLayout::from_lite(&self.get()?.layout().js()?)
    }

    /// Current layout written into `out` as `[dataType, ndim, dims...]` (one call, no object).
    #[napi]
    pub fn layout_into(&self, mut out: Float64ArraySlice<'_>) -> Result<()> {
        let layout = self.get()?.layout().js()?;
        // SAFETY: `out` is a live typed array argument of this synchronous call; JS cannot run
        // while we write, and no other Rust reference to its memory exists.
        layout_into(&layout, unsafe { out.as_mut() })
    }

    /// What `getDataByShare` needs, in one call: checks the memory is host memory and
    /// contiguous, then writes `[dataType, elementCount, nbytes, address]` into `out`
    /// (allocating the memory; address 0 when the tensor holds no bytes).
    #[napi]
    pub fn share_info(&self, mut out: Float64ArraySlice<'_>) -> Result<()> {
        let t = self.get()?;
        let layout = t.layout().js()?;
        // SAFETY: as in `layout_into`.
        let out = unsafe { out.as_mut() };
        if out.len() < 4 {
            return Err(invalid("the share-info buffer needs 4 numbers"));
        }
        if !host_readable(t)? {
            return Err(invalid(
                "getDataByShare needs host memory; use toTypedArray() for device tensors",
            ));
        }
        if !t.is_continue().js()? {
            return Err(invalid(
                "getDataByShare needs a contiguous tensor; use toTypedArray() for a copy of a slice",
            ));
        }
        let nbytes = layout.nbytes();
        out[0] = f64::from(layout.data_type.as_c());
        out[1] = layout.num_elements() as f64;
        out[2] = nbytes as f64;
        out[3] = if nbytes == 0 {
            0.0
        } else {
            t.host_ptr().js()? as usize as f64
        };
        Ok(())
    }

    /// A contiguous copy of the data as a new typed array of the tensor's dtype (float16 as
    /// raw halves in a `Uint16Array`), in one call. Up to [`V8_OWNED_MAX`] bytes the array's
    /// memory is V8's own (no external buffer per call), filled straight from the tensor;
    /// larger ones are allocated fallibly here first (V8 aborts the process when its own
    /// allocation fails). `max_bytes` is the largest ArrayBuffer this Node allows.
    #[napi(
        ts_return_type = "Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array"
    )]
    pub fn read_typed<'env>(&self, env: &'env Env, max_bytes: f64) -> Result<Unknown<'env>> {
        let t = self.get()?;
        let layout = t.layout().js()?;
        if layout.data_type == DataType::Int64 {
            return Err(unsupported(
                "int64 tensor data cannot be read as numbers (the 1.13 runtime has no int64 tensors)",
            ));
        }
        let nbytes = layout.nbytes();
        if nbytes as f64 > max_bytes {
            return Err(invalid(format!(
                "{} holds {nbytes} bytes, more than a JavaScript typed array can ({max_bytes})",
                describe_layout(&layout)
            )));
        }
        let ab = if nbytes <= V8_OWNED_MAX {
            let mut ab = new_arraybuffer(env, nbytes)?;
            if nbytes > 0 {
                // SAFETY: `ab` was just created by this call; nothing else refers to its
                // memory and JS cannot run while we write.
                t.read_into_host(unsafe { ab.as_mut() }).js()?;
            }
            ab
        } else {
            let mut data = Vec::new();
            data.try_reserve_exact(nbytes).map_err(|_| {
                Error::new(
                    crate::error::Code("LITE_ERROR"),
                    format!(
                        "could not allocate {nbytes} bytes for {}",
                        describe_layout(&layout)
                    ),
                )
            })?;
            data.resize(nbytes, 0);
            t.read_into_host(&mut data).js()?;
            ArrayBuffer::from_data(env, data).map_err(from_napi)?
        };
        let n = layout.num_elements();
        let typed = match layout.data_type {
            DataType::Int8 => Int8ArraySlice::from_arraybuffer(&ab, 0, n).map(|a| a.to_unknown()),
            DataType::Uint8 => Uint8ArraySlice::from_arraybuffer(&ab, 0, n).map(|a| a.to_unknown()),
            DataType::Int16 => Int16ArraySlice::from_arraybuffer(&ab, 0, n).map(|a| a.to_unknown()),
            DataType::Uint16 | DataType::Half => {
                Uint16ArraySlice::from_arraybuffer(&ab, 0, n).map(|a| a.to_unknown())
            }
            DataType::Int => Int32ArraySlice::from_arraybuffer(&ab, 0, n).map(|a| a.to_unknown()),
            DataType::Uint => Uint32ArraySlice::from_arraybuffer(&ab, 0, n).map(|a| a.to_unknown()),
            // Int64 was refused above.
            DataType::Float | DataType::Int64 => {
                Float32ArraySlice::from_arraybuffer(&ab, 0, n).map(|a| a.to_unknown())
            }
        };
        typed.map_err(from_napi)
    }

    /// Relayouts (the engine reallocates memory when needed).
    #[napi]
    pub fn set_layout(&mut self, env: Env, layout: NativeLayout) -> Result<()> {
        let l = layout.to_lite()?;
        self.reporting(&env, |t| t.set_layout(&l).js())
    }

    /// Runtime memory this tensor alone holds, as reported to V8 (bytes).
    #[napi(getter)]
    pub fn external_memory(&self) -> f64 {
        self.external.estimate() as f64
    }

    /// Bytes of data.
    #[napi]
    pub fn nbytes(&self) -> Result<f64> {
        Ok(self.get()?.nbytes().js()? as f64)
    }

    /// Whether the memory is contiguous.
    #[napi]
    pub fn is_continue(&self) -> Result<bool> {
        self.get()?.is_continue().js()
    }

    /// Whether the memory is pinned host memory.
    #[napi]
    pub fn is_pinned_host(&self) -> Result<bool> {
        self.get()?.is_pinned_host().js()
    }

    /// Device type value.
    #[napi]
    pub fn device_type(&self) -> Result<i32> {
        Ok(self.get()?.device_type().js()?.as_c())
    }

    /// Device id.
    #[napi]
    pub fn device_id(&self) -> Result<i32> {
        self.get()?.device_id().js()
    }

    /// Zeroes the memory.
    #[napi]
    pub fn fill_zero(&mut self) -> Result<()> {
        self.get_mut()?.fill_zero().js()
    }

    /// Copies from `src` (taking its layout when different).
    #[napi]
    pub fn copy_from(&mut self, env: Env, src: &NativeTensor) -> Result<()> {
        let s = src.get()?;
        self.reporting(&env, |t| t.copy_from(s).js())
    }

    /// A new contiguous CPU tensor holding a copy of this one (its layout, its data), in one call:
    /// what `predict` hands back for every output.
    #[napi]
    pub fn clone_to_host(&self, env: Env) -> Result<NativeTensor> {
        let t = self.get()?;
        let layout = t.layout().js()?;
        let mut copy = Tensor::new(&layout, DeviceType::Cpu, 0, false).js()?;
        copy.copy_from(t).js()?;
        Ok(NativeTensor::wrap_reported(&env, copy))
    }

    /// Shares `src`'s memory.
    #[napi]
    pub fn share_memory_with(&mut self, env: Env, src: &NativeTensor) -> Result<()> {
        let s = src.get()?;
        self.reporting(&env, |t| t.share_memory_with(s).js())
    }

    /// Reshapes in place (shape validated by the caller and again here).
    #[napi]
    pub fn reshape(&mut self, shape: Vec<i32>) -> Result<()> {
        self.get_mut()?.reshape(&shape).js()
    }

    /// A tensor sharing this one's memory.
    #[napi]
    pub fn slice(
        &self,
        start: Vec<u32>,
        end: Vec<u32>,
        step: Option<Vec<u32>>,
    ) -> Result<NativeTensor> {
        let conv = |v: Vec<u32>| v.into_iter().map(|x| x as usize).collect::<Vec<_>>();
        let step = step.map(conv);
        let t = self
            .get()?
            .slice(&conv(start), &conv(end), step.as_deref())
            .js()?;
        Ok(NativeTensor {
            owner: self.owner.clone(),
            ..NativeTensor::wrap(t)
        })
    }

    /// Re-reads the engine state.
    #[napi]
    pub fn update(&self) -> Result<()> {
        self.get()?.update().js()
    }

    /// Zero-copy: the tensor uses `data`'s memory with `layout` (`null`: the tensor's current
    /// layout); `data` is kept alive while used.
    #[napi]
    pub fn share_bytes(
        &mut self,
        env: Env,
        data: Uint8Array,
        layout: Option<NativeLayout>,
    ) -> Result<()> {
        let l = match layout {
            Some(l) => l.to_lite()?,
            None => self.get()?.layout().js()?,
        };
        if data.len() != l.nbytes() {
            return Err(invalid(format!(
                "shared memory has {} bytes, the layout needs {}",
                data.len(),
                l.nbytes()
            )));
        }
        self.reporting(&env, |t| t.reset_with(JsMemory::new(data), Some(&l)).js())
    }

    /// `shareBytes` in the common case, in one call: shares `data` under the tensor's current
    /// layout when that layout has dims, its dtype is one of `dtypes` (bit `1 << dtype`, the
    /// dtypes the caller's array may hold) and `data` has exactly its bytes. Returns false and
    /// changes nothing otherwise (the caller then takes the checking path, which explains the
    /// mismatch).
    #[napi]
    pub fn share_if_fits(&mut self, env: Env, data: Uint8Array, dtypes: u32) -> Result<bool> {
        let l = self.get()?.layout().js()?;
        let bit = 1u32.checked_shl(l.data_type.as_c() as u32).unwrap_or(0);
        if l.ndim() == 0 || dtypes & bit == 0 || data.len() != l.nbytes() {
            return Ok(false);
        }
        self.reporting(&env, |t| t.reset_with(JsMemory::new(data), Some(&l)).js())?;
        Ok(true)
    }

    /// Copies host bytes in (exactly `nbytes`).
    #[napi]
    pub fn write_bytes(&mut self, data: &[u8]) -> Result<()> {
        self.get_mut()?.copy_from_host(data).js()
    }

    /// A contiguous copy of the data.
    #[napi]
    pub fn read_bytes(&self) -> Result<Buffer> {
        Ok(Buffer::from(self.get()?.to_host_bytes().js()?))
    }

    /// Copies the data (contiguous, also from slices and device tensors) into `out`, which must
    /// hold exactly the tensor's bytes. Filling a JS-allocated array avoids handing V8 a fresh
    /// external buffer per call (which made `readBytes` ~10x slower through GC pressure).
    #[napi]
    pub fn read_into(&self, mut out: Uint8Array) -> Result<()> {
        // SAFETY: `out` is a live typed array argument of this synchronous call; no other Rust
        // reference to its memory exists while we write, and JS cannot run meanwhile.
        let out: &mut [u8] = unsafe { out.as_mut() };
        self.get()?.read_into_host(out).js()
    }

    /// Address of the tensor memory (allocating it), for locating it inside shared JS memory.
    #[napi]
    pub fn address(&self) -> Result<f64> {
        Ok(self.get()?.host_ptr().js()? as usize as f64)
    }

    /// A zero-copy ArrayBuffer over the tensor memory. It owns an anchor tensor sharing that
    /// memory, so the memory outlives relayouts, re-shares, disposal and collection of this
    /// tensor for as long as the ArrayBuffer lives.
    #[napi]
    pub fn view<'env>(&self, env: &'env Env) -> Result<ArrayBuffer<'env>> {
        let t = self.get()?;
        if !host_readable(t)? {
            return Err(invalid(
                "getDataByShare needs host memory; use toTypedArray() for device tensors",
            ));
        }
        let layout = t.layout().js()?;
        let mut anchor = Tensor::new(&Layout::default(), DeviceType::Cpu, 0, false).js()?;
        anchor.share_memory_with(t).js()?;
        let len = layout.nbytes();
        let ptr = anchor.host_ptr().js()?;
        if ptr.is_null() || len == 0 {
            return Err(invalid("the tensor has no memory to share"));
        }
        // SAFETY: `ptr` points at `len` bytes of the storage `anchor` shares; the engine keeps
        // that storage (and, through the anchor's dependencies, any JS memory or network it
        // lives in) alive until the anchor is dropped, which happens only in the finalizer.
        let ab =
            unsafe { ArrayBuffer::from_external(env, ptr, len, anchor, |_, anchor| drop(anchor)) };
        ab.map_err(from_napi)
    }

    /// Releases the native tensor (idempotent).
    #[napi]
    pub fn dispose(&mut self, env: Env) {
        self.inner = None;
        self.external.release(&env);
    }

    /// Whether `dispose` was called.
    #[napi]
    pub fn is_disposed(&self) -> bool {
        self.inner.is_none()
    }
}

/// `LITE_tensor_concat`.
#[napi]
pub fn concat_tensors(
    env: Env,
    tensors: Vec<&NativeTensor>,
    dim: u32,
    device_type: i32,
    device_id: i32,
) -> Result<NativeTensor> {
    let device_type = device(device_type)?;
    check_device(device_type, device_id, false)?;
    let list = tensors
        .iter()
        .map(|t| t.get())
        .collect::<Result<Vec<_>>>()?;
    let t = Tensor::concat(&list, dim as usize, Some(device_type), Some(device_id)).js()?;
    Ok(NativeTensor::wrap_reported(&env, t))
}

/// Address of a JS buffer's first byte (for locating tensor memory inside it).
#[napi]
pub fn address_of(data: &[u8]) -> f64 {
    data.as_ptr() as usize as f64
}
