//! Tensors: owned ones (from `LITE_make_tensor`, slice, concat) and views of tensors
//! owned by a network (IO tensors), which keep that network alive.

use crate::enums::DeviceType;
use crate::error::{api, check, LiteError, Result};
use crate::gate::OpGuard;
use crate::layout::{Layout, MAX_RANK};
use crate::network::NetShared;
use megengine_sys::{LiteLayout, LiteTensor, LiteTensorDesc};
use std::any::Any;
use std::os::raw::{c_int, c_void};
use std::sync::{Arc, Mutex};

/// Something kept alive because a tensor may use memory it owns.
pub(crate) type KeepAlive = Arc<dyn Any + Send + Sync>;

/// What a tensor's memory depends on besides the runtime.
#[derive(Default, Clone)]
pub(crate) struct Deps {
    /// Caller memory installed by `reset_*` (replaced by the next reset).
    pub(crate) user_mem: Option<KeepAlive>,
    /// Other owners (slice parents, share_memory_with sources, networks).
    pub(crate) keep: Vec<KeepAlive>,
}

/// Caller-provided memory a tensor can use without copying.
///
/// # Safety
/// Implementors guarantee that the pointer returned by `as_mut_ptr` stays valid for
/// reads and writes of `len()` bytes, does not move, and is not accessed through any
/// other path for as long as the value is alive (the tensor keeps it alive while it
/// may use it, and drops it from whatever thread drops the last user).
pub unsafe trait UserMemory: Send + 'static {
    /// Start of the memory.
    fn as_mut_ptr(&mut self) -> *mut u8;
    /// Length in bytes.
    fn len(&self) -> usize;
    /// Whether the memory is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// SAFETY: a Vec's heap buffer does not move while the Vec is not resized, and the Vec
// is owned (moved into the tensor) so nothing else can resize or access it.
unsafe impl UserMemory for Vec<u8> {
    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut_slice().as_mut_ptr()
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

// SAFETY: as for Vec<u8>: an owned boxed slice never moves its buffer.
unsafe impl UserMemory for Box<[u8]> {
    fn as_mut_ptr(&mut self) -> *mut u8 {
        self.as_mut().as_mut_ptr()
    }
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
}

pub(crate) enum Kind {
    /// Created by us; destroyed with `LITE_destroy_tensor` on drop.
    Owned(Deps),
    /// Owned by a network; never destroyed by us; keeps the network alive. Valid only
    /// while the network's IO generation (second field) is current: a reload frees it.
    Network(Arc<NetShared>, u64),
    /// Lent to a start/finish callback for the duration of the call only.
    Lent,
}

/// A MegEngine Lite tensor.
///
/// `Send` (not `Sync`): the runtime's tensor objects are not tied to a thread (the
/// 1.13 tensor registry is mutex-protected), so a tensor may move between threads; it
/// must not be used from two threads at once, which `!Sync` enforces for one handle.
/// Several handles to the same network-owned tensor are serialised by the network's
/// gate (operations fail with `LITE_BUSY` while that network runs forward or load).
pub struct Tensor {
    raw: LiteTensor,
    kind: Kind,
    /// Set when a failed engine call left the runtime's layout and memory out of step and
    /// the old layout could not be put back: every later use fails instead of touching
    /// memory the layout no longer describes.
    poisoned: bool,
}

// SAFETY: see the type docs: lite tensors have no thread affinity, and every handle
// that aliases another one (network-owned) goes through the network gate.
unsafe impl Send for Tensor {}

impl std::fmt::Debug for Tensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::Owned(_) => "owned",
            Kind::Network(..) => "network",
            Kind::Lent => "lent",
        };
        f.debug_struct("Tensor")
            .field("kind", &kind)
            .field("layout", &self.layout().ok())
            .finish()
    }
}

impl Drop for Tensor {
    fn drop(&mut self) {
        if let Kind::Owned(_) = self.kind {
            crate::LIVE_TENSORS.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            if let Ok(api) = api() {
                // SAFETY: `raw` came from LITE_make_tensor/slice/concat, is owned by this
                // value only and is destroyed exactly once, here.
                let _ = unsafe { (api.LITE_destroy_tensor)(self.raw) };
            }
        }
    }
}

fn out_of<T: Default>(f: impl FnOnce(*mut T) -> c_int, what: &str) -> Result<T> {
    let api = api()?;
    let mut v = T::default();
    check(api, f(&mut v), what)?;
    Ok(v)
}

/// An IO tensor handle from before the network's last (re)load points at a tensor object
/// the runtime has freed.
fn check_generation(net: &NetShared, generation: u64) -> Result<()> {
    if net.generation() == generation {
        return Ok(());
    }
    Err(LiteError::new(
        crate::ErrorCode::Disposed,
        "this IO tensor was released when its network loaded a model again; get it again \
         with getIoTensor",
    ))
}

/// A tensor's layout and contiguity before a relayout.
struct Before {
    layout: Layout,
    contiguous: bool,
}

impl Before {
    /// Refuse relayouts the runtime would attempt on memory the tensor does not own and
    /// could not undo: a non-contiguous tensor's strides cannot be restored through the
    /// C API, so it may only take layouts that fit in the bytes it already has.
    fn check_target(&self, target: &Layout) -> Result<()> {
        let current = &self.layout;
        if self.contiguous || target.nbytes() <= current.nbytes() {
            return Ok(());
        }
        Err(LiteError::invalid(format!(
            "a non-contiguous tensor (a slice) cannot grow from {} to {} bytes \
             ({:?} {} -> {:?} {}); copy it into a new tensor first",
            current.nbytes(),
            target.nbytes(),
            current.shapes,
            current.data_type.name(),
            target.shapes,
            target.data_type.name()
        )))
    }
}

fn check_supported(layout: &Layout) -> Result<()> {
    if layout.data_type.is_supported() {
        return Ok(());
    }
    Err(LiteError::unsupported(format!(
        "data type {} is not supported by the MegEngine Lite 1.13 runtime",
        layout.data_type.c_name()
    )))
}

impl Tensor {
    pub(crate) fn from_network(raw: LiteTensor, net: Arc<NetShared>) -> Tensor {
        Tensor {
            raw,
            kind: Kind::Network(net.clone(), net.generation()),
            poisoned: false,
        }
    }

    /// Another handle to the same network-owned tensor (it keeps the network alive and is
    /// gated like this one); `None` for tensors that are not a network's (owned, or lent to a
    /// callback, which must not outlive it).
    pub fn network_handle(&self) -> Option<Tensor> {
        match &self.kind {
            Kind::Network(net, generation) => Some(Tensor {
                raw: self.raw,
                kind: Kind::Network(net.clone(), *generation),
                poisoned: self.poisoned,
            }),
            _ => None,
        }
    }

    pub(crate) fn lent(raw: LiteTensor) -> Tensor {
        Tensor {
            raw,
            kind: Kind::Lent,
            poisoned: false,
        }
    }

    fn owned(raw: LiteTensor, deps: Deps) -> Tensor {
        crate::LIVE_TENSORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Tensor {
            raw,
            kind: Kind::Owned(deps),
            poisoned: false,
        }
    }

    /// Bytes of runtime memory this handle alone accounts for: the capacity of a standalone
    /// tensor that uses no caller memory and shares no other tensor's memory; 0 for network IO
    /// tensors (the network accounts for them), lent tensors, slices and shared memory.
    pub fn own_memory_bytes(&self) -> usize {
        match &self.kind {
            Kind::Owned(d) if d.user_mem.is_none() && d.keep.is_empty() => {
                self.nbytes().unwrap_or(0)
            }
            _ => 0,
        }
    }

    fn gate(&self) -> Result<Option<OpGuard<'_>>> {
        if self.poisoned {
            return Err(LiteError::new(
                crate::ErrorCode::LiteError,
                "this tensor is unusable: a failed engine call changed its layout and the old \
                 layout could not be restored",
            ));
        }
        match &self.kind {
            Kind::Network(n, generation) => {
                let g = n.gate.op()?;
                check_generation(n, *generation)?;
                Ok(Some(g))
            }
            _ => Ok(None),
        }
    }

    /// Guard for a second tensor used in the same call as `self` (no waiting, so two
    /// threads crossing two networks cannot deadlock).
    fn gate_other<'a>(&self, other: &'a Tensor) -> Result<Option<OpGuard<'a>>> {
        match (&self.kind, &other.kind) {
            (Kind::Network(a, _), Kind::Network(b, generation)) if Arc::ptr_eq(a, b) => {
                check_generation(b, *generation)?;
                Ok(None)
            }
            (_, Kind::Network(b, generation)) => {
                let g = b.gate.try_op()?;
                check_generation(b, *generation)?;
                Ok(Some(g))
            }
            _ => Ok(None),
        }
    }

    fn deps(&self) -> Deps {
        match &self.kind {
            Kind::Owned(d) => d.clone(),
            Kind::Network(n, _) => {
                let mut d = n.deps_of(self.raw);
                d.keep.push(n.clone() as KeepAlive);
                d
            }
            Kind::Lent => Deps::default(),
        }
    }

    fn set_deps(&mut self, f: impl FnOnce(&mut Deps)) {
        match &mut self.kind {
            Kind::Owned(d) => f(d),
            Kind::Network(n, _) => n.update_deps(self.raw, f),
            Kind::Lent => {}
        }
    }

    /// Create a tensor. Memory is allocated by the runtime on first use.
    ///
    /// Fails with `LITE_UNSUPPORTED` for data types the 1.13 runtime rejects
    /// (`Uint`, `Int64`), and with the engine's message for unavailable devices
    /// (e.g. CUDA without a GPU fails cleanly; the process does not abort).
    pub fn new(
        layout: &Layout,
        device_type: DeviceType,
        device_id: i32,
        is_pinned_host: bool,
    ) -> Result<Tensor> {
        let api = api()?;
        check_supported(layout)?;
        device_type.check_available()?;
        if is_pinned_host {
            DeviceType::Cuda.check_available()?;
        }
        let desc = LiteTensorDesc {
            is_pinned_host: is_pinned_host as c_int,
            layout: layout.to_c()?,
            device_type: device_type.resolved().as_c(),
            device_id,
        };
        let mut raw: LiteTensor = std::ptr::null_mut();
        // SAFETY: desc is a fully initialised descriptor, raw a valid out-pointer.
        check(
            api,
            unsafe { (api.LITE_make_tensor)(desc, &mut raw) },
            "LITE_make_tensor",
        )?;
        Ok(Tensor::owned(raw, Deps::default()))
    }

    /// A CPU tensor holding a copy of `bytes` with `layout`.
    pub fn from_host_bytes(layout: &Layout, bytes: &[u8]) -> Result<Tensor> {
        let mut t = Tensor::new(layout, DeviceType::Cpu, 0, false)?;
        t.copy_from_host(bytes)?;
        Ok(t)
    }

    /// Current layout.
    pub fn layout(&self) -> Result<Layout> {
        let c: LiteLayout = self.get("LITE_get_tensor_layout", |api| api.LITE_get_tensor_layout)?;
        Layout::from_c(&c)
    }

    /// Change the layout (the runtime reallocates if needed).
    ///
    /// Setting the current layout again changes nothing. A non-contiguous tensor (a
    /// slice) uses memory it does not own and cannot grow: a layout needing more bytes
    /// than it has fails with `LITE_INVALID_ARGUMENT`. If the runtime refuses the new
    /// layout (e.g. a contiguous slice that would grow past its parent), the tensor
    /// keeps its old layout.
    pub fn set_layout(&mut self, layout: &Layout) -> Result<()> {
        layout.validate()?;
        check_supported(layout)?;
        let before = self.before_relayout()?;
        if *layout == before.layout {
            return Ok(());
        }
        before.check_target(layout)?;
        self.relayout_guarded(&before, |t| t.set_layout_raw(layout))
    }

    /// The state a relayout starts from (and that `relayout_guarded` restores).
    fn before_relayout(&self) -> Result<Before> {
        let layout = self.layout()?;
        let contiguous = layout.ndim() == 0 || self.is_continue()?;
        Ok(Before { layout, contiguous })
    }

    fn set_layout_raw(&mut self, layout: &Layout) -> Result<()> {
        let c = layout.to_c()?;
        let _g = self.gate()?;
        let api = api()?;
        // SAFETY: live handle; `c` is a validated layout passed by value.
        let rc = unsafe { (api.LITE_set_tensor_layout)(self.raw, c) };
        check(api, rc, "LITE_set_tensor_layout")
    }

    /// Run an engine call that may relayout this tensor. The 1.13 runtime stores a new
    /// layout before it tries to resize the memory, so a refused resize ("can not grow a
    /// tensor that does not allow realloc") leaves a layout larger than the memory behind
    /// it, and the next fill/copy/read runs past the block. On failure, put `before` back
    /// (exact for contiguous tensors; `Before::check_target` keeps non-contiguous ones
    /// from getting here with a growing layout). If even that fails, the handle is
    /// poisoned.
    fn relayout_guarded(
        &mut self,
        before: &Before,
        f: impl FnOnce(&mut Self) -> Result<()>,
    ) -> Result<()> {
        let err = match f(self) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let old = Ok(&before.layout);
        if before.contiguous {
            let restored = self.set_layout_raw(&before.layout);
            if restored.is_ok() && self.layout().as_ref() == old {
                return Err(err);
            }
        } else if self.layout().as_ref() == old && self.is_continue() == Ok(false) {
            // The strided layout is still in place: the call failed before changing it.
            return Err(err);
        }
        self.poisoned = true;
        Err(err)
    }

    /// Read one value through a lite-c getter `getter(tensor, &mut value)` under the gate.
    fn get<T: Default>(
        &self,
        what: &str,
        getter: impl FnOnce(&megengine_sys::Api) -> unsafe extern "C" fn(LiteTensor, *mut T) -> c_int,
    ) -> Result<T> {
        let _g = self.gate()?;
        let api = api()?;
        let f = getter(api);
        // SAFETY: live handle (owned, kept alive via the network Arc, or lent for the
        // duration of a callback); `f` writes one `T` through the valid out-pointer.
        out_of(|p| unsafe { f(self.raw, p) }, what)
    }

    /// Capacity in bytes (`LITE_get_tensor_total_size_in_byte`).
    pub fn nbytes(&self) -> Result<usize> {
        self.get("LITE_get_tensor_total_size_in_byte", |api| {
            api.LITE_get_tensor_total_size_in_byte
        })
    }

    /// Whether the memory is contiguous. A tensor with a zero-size dimension holds no
    /// elements and counts as contiguous (the 1.13 runtime says it is not).
    pub fn is_continue(&self) -> Result<bool> {
        if self.is_empty()? {
            return Ok(true);
        }
        Ok(self.get("LITE_is_memory_continue", |api| api.LITE_is_memory_continue)? != 0)
    }

    /// Whether the tensor has a layout with a zero-size dimension (no elements). The 1.13
    /// runtime's data paths (fill, copy, memory) are not safe on such tensors, so every
    /// data operation on them is done here: there is nothing to move.
    pub fn is_empty(&self) -> Result<bool> {
        let layout = self.layout()?;
        Ok(layout.ndim() != 0 && layout.num_elements() == 0)
    }

    /// Whether the memory is pinned host memory.
    pub fn is_pinned_host(&self) -> Result<bool> {
        Ok(self.get("LITE_is_pinned_host", |api| api.LITE_is_pinned_host)? != 0)
    }

    /// Device type.
    pub fn device_type(&self) -> Result<DeviceType> {
        DeviceType::from_c(self.get("LITE_get_tensor_device_type", |api| {
            api.LITE_get_tensor_device_type
        })?)
    }

    /// Device id.
    pub fn device_id(&self) -> Result<i32> {
        self.get("LITE_get_tensor_device_id", |api| {
            api.LITE_get_tensor_device_id
        })
    }

    /// Pointer to the tensor memory (allocating it if needed). For device tensors this
    /// is a device pointer.
    ///
    /// The pointer is valid only while this tensor (and, for IO tensors, its network)
    /// is alive and until its layout/memory is changed (`set_layout`, `reset_*`,
    /// `share_memory_with`, a forward that reallocates outputs). Callers must keep the
    /// tensor alive and must not use the pointer across such calls.
    pub fn host_ptr(&self) -> Result<*mut u8> {
        let _g = self.gate()?;
        Ok(self.memory_addr()? as *mut u8)
    }

    /// `LITE_get_tensor_memory` (allocates lazily); the caller holds the gate.
    fn memory_addr(&self) -> Result<usize> {
        let api = api()?;
        out_of(
            // SAFETY: live handle, valid out-pointer.
            |p: *mut usize| unsafe {
                (api.LITE_get_tensor_memory)(self.raw, p as *mut *mut c_void)
            },
            "LITE_get_tensor_memory",
        )
    }

    /// As [`Tensor::memory_addr`], for copying through the pointer: null is an error.
    fn data_addr(&self) -> Result<usize> {
        match self.memory_addr()? {
            0 => Err(LiteError::new(
                crate::ErrorCode::LiteError,
                "tensor memory pointer is null",
            )),
            p => Ok(p),
        }
    }

    /// Pointer to the element at `index` (same validity rules as [`Tensor::host_ptr`]).
    pub fn ptr_at(&self, index: &[usize]) -> Result<*mut u8> {
        let layout = self.layout()?;
        if index.len() != layout.ndim() || index.iter().zip(&layout.shapes).any(|(i, d)| i >= d) {
            return Err(LiteError::invalid(format!(
                "index {index:?} out of range for shape {:?}",
                layout.shapes
            )));
        }
        let _g = self.gate()?;
        let api = api()?;
        // SAFETY: live handle; `index` holds `index.len()` valid entries; out-pointer valid.
        let p: usize = out_of(
            |p: *mut usize| unsafe {
                (api.LITE_get_tensor_memory_with_index)(
                    self.raw,
                    index.as_ptr(),
                    index.len(),
                    p as *mut *mut c_void,
                )
            },
            "LITE_get_tensor_memory_with_index",
        )?;
        Ok(p as *mut u8)
    }

    /// Set all bytes to zero.
    pub fn fill_zero(&mut self) -> Result<()> {
        if self.is_empty()? {
            return Ok(());
        }
        let _g = self.gate()?;
        let api = api()?;
        // SAFETY: live handle.
        check(
            api,
            unsafe { (api.LITE_tensor_fill_zero)(self.raw) },
            "LITE_tensor_fill_zero",
        )
    }

    /// Copy data from `src`; this tensor takes `src`'s layout (shape and data type) when
    /// they differ. A non-contiguous tensor (a slice) keeps its layout, so `src` must have
    /// the same one. If the copy fails, this tensor keeps its old layout.
    pub fn copy_from(&mut self, src: &Tensor) -> Result<()> {
        if self.raw == src.raw {
            return Ok(());
        }
        let from = src.layout()?;
        if from.ndim() == 0 {
            return Err(LiteError::invalid(
                "cannot copy from a tensor that has no layout yet",
            ));
        }
        let before = self.before_relayout()?;
        let current = &before.layout;
        if *current != from && !before.contiguous {
            return Err(LiteError::invalid(format!(
                "a non-contiguous tensor (a slice) of {:?} {} cannot copy from {:?} {}: \
                 the layouts must match",
                current.shapes,
                current.data_type.name(),
                from.shapes,
                from.data_type.name()
            )));
        }
        self.relayout_guarded(&before, |t| {
            // The engine's copy adopts another shape but not another data type.
            let empty = from.num_elements() == 0 || current.num_elements() == 0;
            if current.data_type != from.data_type || current.ndim() == 0 || empty {
                t.set_layout_raw(&from)?;
            }
            if from.num_elements() == 0 {
                return Ok(());
            }
            let _g = t.gate()?;
            let _g2 = t.gate_other(src)?;
            let api = api()?;
            // SAFETY: both handles are live and distinct.
            check(
                api,
                unsafe { (api.LITE_tensor_copy)(t.raw, src.raw) },
                "LITE_tensor_copy",
            )
        })
    }

    /// Use `src`'s memory (and layout/device). `src`'s memory owners are kept alive.
    pub fn share_memory_with(&mut self, src: &Tensor) -> Result<()> {
        if self.raw == src.raw {
            return Ok(());
        }
        {
            let _g = self.gate()?;
            let _g2 = self.gate_other(src)?;
            let api = api()?;
            // SAFETY: both handles are live and distinct.
            let rc = unsafe { (api.LITE_tensor_share_memory_with)(self.raw, src.raw) };
            check(api, rc, "LITE_tensor_share_memory_with")?;
        }
        let src_deps = src.deps();
        self.set_deps(|d| {
            d.user_mem = src_deps.user_mem;
            d.keep.extend(src_deps.keep);
        });
        Ok(())
    }

    /// Reshape without moving memory; one `-1` may be inferred.
    pub fn reshape(&mut self, shape: &[i32]) -> Result<()> {
        if shape.is_empty() || shape.len() > MAX_RANK {
            return Err(LiteError::invalid(format!(
                "reshape needs 1..={MAX_RANK} dimensions, got {}",
                shape.len()
            )));
        }
        let layout = self.layout()?;
        let total = layout.num_elements();
        // Zero-size dimensions are allowed exactly when the tensor holds no elements.
        if shape.iter().filter(|&&d| d == -1).count() > 1
            || shape.iter().any(|&d| d < -1 || (d == 0 && total != 0))
        {
            return Err(LiteError::invalid(format!(
                "invalid shape {shape:?}: dimensions must be positive (zero only for a tensor \
                 with no elements), with at most one -1"
            )));
        }
        let known: usize = shape
            .iter()
            .filter(|&&d| d >= 0)
            .map(|&d| d as usize)
            .product();
        let ok = if shape.contains(&-1) {
            known != 0 && total % known == 0
        } else {
            known == total
        };
        if !ok {
            return Err(LiteError::invalid(format!(
                "cannot reshape {:?} ({total} elements) to {shape:?}",
                layout.shapes
            )));
        }
        if total == 0 {
            // The runtime refuses to reshape a tensor without elements; there is no data to
            // keep in place, so this is a relayout (an inferred -1 is 0 here).
            let dims: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
            return self.set_layout(&Layout::new(dims, layout.data_type)?);
        }
        // The runtime would give the new shape contiguous strides over the slice's memory,
        // i.e. other elements than the slice's.
        if !self.is_continue()? {
            return Err(LiteError::invalid(
                "cannot reshape a non-contiguous tensor (a slice); copy it first",
            ));
        }
        let _g = self.gate()?;
        let api = api()?;
        // SAFETY: live handle; `shape` has `shape.len()` (<= 6) valid entries.
        let rc =
            unsafe { (api.LITE_tensor_reshape)(self.raw, shape.as_ptr(), shape.len() as c_int) };
        check(api, rc, "LITE_tensor_reshape")
    }

    /// Slice along the leading `start.len()` axes: `start[i]..end[i]` with `step[i]`
    /// (default 1). The result shares memory with this tensor (and keeps its owners
    /// alive); it may be non-contiguous.
    pub fn slice(&self, start: &[usize], end: &[usize], step: Option<&[usize]>) -> Result<Tensor> {
        let layout = self.layout()?;
        let n = start.len();
        if n == 0 || end.len() != n || step.is_some_and(|s| s.len() != n) || n > layout.ndim() {
            return Err(LiteError::invalid(format!(
                "slice needs start/end/step of equal length 1..={} (got {}, {}, {:?})",
                layout.ndim(),
                n,
                end.len(),
                step.map(|s| s.len())
            )));
        }
        for i in 0..n {
            let st = step.map_or(1, |s| s[i]);
            if st == 0 || start[i] >= end[i] || end[i] > layout.shapes[i] {
                return Err(LiteError::invalid(format!(
                    "invalid slice on axis {i}: {}..{} step {st} for size {}",
                    start[i], end[i], layout.shapes[i]
                )));
            }
        }
        let deps = self.deps();
        let _g = self.gate()?;
        let api = api()?;
        let mut out: LiteTensor = std::ptr::null_mut();
        // SAFETY: live handle; start/end/step hold `n` valid entries (step may be null);
        // `out` is a valid out-pointer.
        let rc = unsafe {
            (api.LITE_tensor_slice)(
                self.raw,
                start.as_ptr(),
                end.as_ptr(),
                step.map_or(std::ptr::null(), |s| s.as_ptr()),
                n,
                &mut out,
            )
        };
        check(api, rc, "LITE_tensor_slice")?;
        Ok(Tensor::owned(out, deps))
    }

    /// Re-read the tensor state from the runtime (kept for parity with megenginelite:
    /// this wrapper caches nothing, so it only validates the handle).
    pub fn update(&self) -> Result<()> {
        self.layout().map(|_| ())
    }

    /// Use caller memory of `len` bytes at `ptr` (`LITE_reset_tensor_memory`).
    ///
    /// # Safety
    /// `ptr` must be valid for reads and writes of `len` bytes, suitably aligned for the
    /// data type, and stay valid and otherwise unused for as long as this tensor (or any
    /// tensor sharing its memory, or the network owning it) may use it.
    pub unsafe fn reset_raw(&mut self, ptr: *mut u8, len: usize) -> Result<()> {
        if ptr.is_null() {
            return Err(LiteError::invalid("null memory pointer"));
        }
        // The runtime would keep the strides and size the new memory by their span, which
        // can exceed `len` (it only checks `len` against the contiguous size).
        if !self.is_continue()? {
            return Err(LiteError::invalid(
                "cannot give memory to a non-contiguous tensor without a layout",
            ));
        }
        let _g = self.gate()?;
        let api = api()?;
        // SAFETY: live handle; the memory contract is forwarded to our caller.
        let rc = unsafe { (api.LITE_reset_tensor_memory)(self.raw, ptr as *mut c_void, len) };
        check(api, rc, "LITE_reset_tensor_memory")
    }

    /// Use caller memory at `ptr` with a new layout (`LITE_reset_tensor`).
    ///
    /// # Safety
    /// As [`Tensor::reset_raw`], with `len = layout.nbytes()`.
    pub unsafe fn reset_raw_with_layout(&mut self, ptr: *mut u8, layout: &Layout) -> Result<()> {
        if ptr.is_null() {
            return Err(LiteError::invalid("null memory pointer"));
        }
        let c = layout.to_c()?;
        check_supported(layout)?;
        let before = self.before_relayout()?;
        // The runtime relayouts the old memory before it swaps in `ptr`; that step can
        // fail part-way (see `relayout_guarded`).
        before.check_target(layout)?;
        self.relayout_guarded(&before, |t| {
            let _g = t.gate()?;
            let api = api()?;
            // SAFETY: live handle; the memory contract is forwarded to our caller.
            let rc = unsafe { (api.LITE_reset_tensor)(t.raw, c, ptr as *mut c_void) };
            check(api, rc, "LITE_reset_tensor")
        })
    }

    /// Zero-copy: make this tensor use `mem`, which the tensor keeps alive (also for
    /// tensors sharing its memory, and — for IO tensors — inside the network).
    /// With `layout`, the tensor is relaid out first; `mem` must hold at least the
    /// layout's bytes and be aligned to its element size.
    pub fn reset_with<M: UserMemory>(&mut self, mut mem: M, layout: Option<&Layout>) -> Result<()> {
        let target = match layout {
            Some(l) => {
                l.validate()?;
                l.clone()
            }
            None => self.layout()?,
        };
        // A non-contiguous tensor given new memory becomes contiguous over it.
        let layout = match layout {
            None if target.ndim() != 0 && !self.is_continue()? => Some(&target),
            other => other,
        };
        let ptr = mem.as_mut_ptr();
        let need = target.nbytes();
        if mem.len() < need {
            return Err(LiteError::invalid(format!(
                "memory of {} bytes is smaller than the {} bytes of layout {:?}",
                mem.len(),
                need,
                target.shapes
            )));
        }
        if need == 0 && target.ndim() != 0 {
            // Nothing to share: the tensor takes the layout and keeps no caller memory.
            self.set_layout(&target)?;
            self.set_deps(|d| d.user_mem = None);
            return Ok(());
        }
        if need == 0 || ptr.is_null() {
            return Err(LiteError::invalid("cannot share empty memory"));
        }
        if (ptr as usize) % target.element_size() != 0 {
            return Err(LiteError::invalid(format!(
                "memory is not aligned to {} bytes for {}",
                target.element_size(),
                target.data_type.name()
            )));
        }
        // SAFETY: `mem` satisfies the UserMemory contract, holds >= `need` bytes, is
        // aligned, and is moved into the tensor's dependencies right below, so it lives
        // as long as anything may use it.
        unsafe {
            match layout {
                Some(l) => self.reset_raw_with_layout(ptr, l)?,
                None => self.reset_raw(ptr, mem.len())?,
            }
        }
        let owner: KeepAlive = Arc::new(Mutex::new(mem));
        self.set_deps(|d| d.user_mem = Some(owner));
        Ok(())
    }

    /// Copy the tensor's data into a new contiguous host buffer (works for sliced,
    /// non-contiguous and device tensors).
    pub fn to_host_bytes(&self) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.layout()?.nbytes()];
        self.read_into_host(&mut out)?;
        Ok(out)
    }

    /// Copy the tensor's data, contiguously, into `out`, which must hold exactly
    /// `layout().nbytes()` bytes (works for sliced, non-contiguous and device tensors; a
    /// contiguous CPU tensor is copied straight from its memory, with no temporary).
    pub fn read_into_host(&self, out: &mut [u8]) -> Result<()> {
        let layout = self.layout()?;
        let n = layout.nbytes();
        if out.len() != n {
            return Err(LiteError::invalid(format!(
                "the output has {} bytes, the tensor holds {n}",
                out.len()
            )));
        }
        if layout.ndim() == 0 || n == 0 {
            return Ok(());
        }
        let direct = self.device_type()? == DeviceType::Cpu && self.is_continue()?;
        let tmp;
        let src = if direct {
            self
        } else {
            let mut t = Tensor::new(&layout, DeviceType::Cpu, 0, false)?;
            t.copy_from(self)?;
            tmp = t;
            &tmp
        };
        let _g = src.gate()?;
        let p = src.data_addr()? as *const u8;
        // SAFETY: `src` is a contiguous CPU tensor of `layout`, so its memory holds `n`
        // readable bytes; the gate (for IO tensors) prevents concurrent engine writes; `out`
        // holds `n` writable bytes. `out` may be caller memory shared into this very tensor
        // (reset_with), so the ranges may overlap: `copy` (memmove) is used, not
        // `copy_nonoverlapping`.
        unsafe { std::ptr::copy(p, out.as_mut_ptr(), n) };
        Ok(())
    }

    /// Overwrite the tensor's data from a host buffer of exactly `layout().nbytes()`
    /// bytes (works for device and non-contiguous tensors by going through a temporary).
    pub fn copy_from_host(&mut self, bytes: &[u8]) -> Result<()> {
        let layout = self.layout()?;
        let n = layout.nbytes();
        if bytes.len() != n {
            return Err(LiteError::invalid(format!(
                "data has {} bytes, the tensor layout {:?} {} needs {n}",
                bytes.len(),
                layout.shapes,
                layout.data_type.name()
            )));
        }
        if n == 0 {
            return Ok(());
        }
        let direct = self.device_type()? == DeviceType::Cpu && self.is_continue()?;
        if !direct {
            let tmp = Tensor::from_host_bytes(&layout, bytes)?;
            return self.copy_from(&tmp);
        }
        let _g = self.gate()?;
        let p = self.data_addr()?;
        // SAFETY: contiguous CPU tensor of `layout`: `n` writable bytes at `p`, which do
        // not overlap `bytes` (a Rust slice we only read).
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), p as *mut u8, n) };
        Ok(())
    }

    /// Concatenate `tensors` along `dim` into a new tensor on `device_type`/`device_id`
    /// (`None`: taken from the first tensor).
    pub fn concat(
        tensors: &[&Tensor],
        dim: usize,
        device_type: Option<DeviceType>,
        device_id: Option<i32>,
    ) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| LiteError::invalid("concat needs at least one tensor"))?;
        let l0 = first.layout()?;
        if dim >= l0.ndim() {
            return Err(LiteError::invalid(format!(
                "concat dim {dim} out of range for rank {}",
                l0.ndim()
            )));
        }
        let mut deps = Deps::default();
        for t in tensors {
            let l = t.layout()?;
            let same_other_dims = l.ndim() == l0.ndim()
                && l.shapes
                    .iter()
                    .zip(&l0.shapes)
                    .enumerate()
                    .all(|(i, (a, b))| i == dim || a == b);
            if l.data_type != l0.data_type || !same_other_dims {
                return Err(LiteError::invalid(format!(
                    "cannot concat {:?} {} with {:?} {} along dim {dim}",
                    l0.shapes,
                    l0.data_type.name(),
                    l.shapes,
                    l.data_type.name()
                )));
            }
            let d = t.deps();
            deps.keep.extend(d.keep);
            deps.keep.extend(d.user_mem);
        }
        if tensors.len() > i32::MAX as usize {
            return Err(LiteError::invalid("too many tensors"));
        }
        // Hold every distinct network gate involved (first one may wait, others not).
        let mut guards = Vec::new();
        let mut seen: Vec<*const NetShared> = Vec::new();
        for t in tensors {
            if let Kind::Network(n, generation) = &t.kind {
                let p = Arc::as_ptr(n);
                if !seen.contains(&p) {
                    seen.push(p);
                    guards.push(if guards.is_empty() {
                        n.gate.op()?
                    } else {
                        n.gate.try_op()?
                    });
                }
                check_generation(n, *generation)?;
            }
        }
        let target = device_type.unwrap_or(DeviceType::DeviceDefault);
        target.check_available()?;
        let api = api()?;
        let mut raws: Vec<LiteTensor> = tensors.iter().map(|t| t.raw).collect();
        let mut out: LiteTensor = std::ptr::null_mut();
        // SAFETY: `raws` holds live handles; count fits in c_int; `out` is valid.
        let rc = unsafe {
            (api.LITE_tensor_concat)(
                raws.as_mut_ptr(),
                raws.len() as c_int,
                dim as c_int,
                target.resolved().as_c(),
                device_id.unwrap_or(-1),
                &mut out,
            )
        };
        drop(guards);
        check(api, rc, "LITE_tensor_concat")?;
        // The result owns fresh memory; keeping inputs' owners is not required, but is
        // cheap insurance should the runtime ever return a view.
        Ok(Tensor::owned(out, deps))
    }
}
