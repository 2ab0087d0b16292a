//! Native memory that V8 should know about.
//!
//! An engine model or network holds memory V8 cannot see: an undisposed object looks small to
//! the garbage collector, so thousands of them can pile up before a collection runs. Each such
//! object keeps an [`External`] account: engine work (on any thread) records an estimate of the
//! native bytes it holds, and the JS thread reports the difference to V8
//! (`napi_adjust_external_memory`) at its next chance, and reports it all back when the object
//! is disposed or collected.
//!
//! The estimate is the native memory made resident by the engine call that builds the state (a
//! model load or build, and the first run after it, which plans the runtime memory): the growth
//! of the C heap's in-use bytes (glibc's `mallinfo2`), with mmapped chunks counted only as far as
//! the resident set grew, since an engine may reserve a large pool and touch a little of it
//! (MindSpore Lite maps 256 MiB per model and uses about 2 MiB). Heap and resident set are
//! process-wide, so a concurrent allocation elsewhere can make one estimate larger or smaller;
//! model bytes the binding keeps itself are added, and the model's size is the floor. Without glibc's statistics only the resident
//! growth counts; elsewhere nothing.

use napi::Env;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::OnceLock;

/// glibc's `struct mallinfo2` (all `size_t`).
#[repr(C)]
#[derive(Default)]
struct MallInfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

/// glibc's older `struct mallinfo` (all `int`; wraps above 2 GiB, which deltas tolerate).
#[repr(C)]
#[derive(Default)]
struct MallInfo {
    arena: i32,
    ordblks: i32,
    smblks: i32,
    hblks: i32,
    hblkhd: i32,
    usmblks: i32,
    fsmblks: i32,
    uordblks: i32,
    fordblks: i32,
    keepcost: i32,
}

enum HeapStats {
    Two(unsafe extern "C" fn() -> MallInfo2),
    One(unsafe extern "C" fn() -> MallInfo),
    None,
}

fn heap_stats() -> &'static HeapStats {
    static STATS: OnceLock<HeapStats> = OnceLock::new();
    STATS.get_or_init(|| {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: dlsym with RTLD_DEFAULT and NUL-terminated names only looks symbols up.
            let two = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mallinfo2".as_ptr()) };
            if !two.is_null() {
                // SAFETY: glibc's `mallinfo2` has exactly this signature (glibc >= 2.33).
                return HeapStats::Two(unsafe {
                    std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn() -> MallInfo2>(
                        two,
                    )
                });
            }
            // SAFETY: as above.
            let one = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mallinfo".as_ptr()) };
            if !one.is_null() {
                // SAFETY: glibc's `mallinfo` has exactly this signature.
                return HeapStats::One(unsafe {
                    std::mem::transmute::<*mut libc::c_void, unsafe extern "C" fn() -> MallInfo>(
                        one,
                    )
                });
            }
        }
        HeapStats::None
    })
}

/// What the C heap and the process hold now: bytes in arena chunks, bytes in mmapped chunks
/// (wrapping counters on old glibc) and the resident set size; `None` where unknown.
#[derive(Clone, Copy)]
struct Usage {
    arena: Option<i64>,
    mmapped: Option<i64>,
    resident: Option<i64>,
}

fn usage() -> Usage {
    let (arena, mmapped) = match heap_stats() {
        HeapStats::Two(f) => {
            // SAFETY: `mallinfo2` takes no arguments and only reads allocator statistics.
            let m = unsafe { f() };
            (Some(m.uordblks as i64), Some(m.hblkhd as i64))
        }
        HeapStats::One(f) => {
            // SAFETY: as above, for the older `mallinfo`.
            let m = unsafe { f() };
            (
                Some(i64::from(m.uordblks as u32)),
                Some(i64::from(m.hblkhd as u32)),
            )
        }
        HeapStats::None => (None, None),
    };
    Usage {
        arena,
        mmapped,
        resident: resident_bytes(),
    }
}

/// The resident set size (Linux `/proc/self/statm`).
fn resident_bytes() -> Option<i64> {
    #[cfg(target_os = "linux")]
    {
        let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
        let pages: i64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        // SAFETY: sysconf only reads a system constant.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        return pages.checked_mul(i64::from(page.max(0) as i32));
    }
    #[allow(unreachable_code)]
    None
}

/// `after - before` of one counter (modulo 2^32 for old glibc's 32-bit ones), floored at 0.
fn grew(before: Option<i64>, after: Option<i64>) -> Option<i64> {
    let (b, a) = (before?, after?);
    let d = if matches!(heap_stats(), HeapStats::One(_)) {
        i64::from((a as u32).wrapping_sub(b as u32) as i32)
    } else {
        a - b
    };
    Some(d.max(0))
}

/// Runs `f` and returns its result with the native memory it made resident: the C heap's
/// growth, except that mmapped chunks count only as far as the resident set grew (an engine may
/// reserve a large pool and touch a little of it). 0 when nothing is known.
pub fn heap_growth<T>(f: impl FnOnce() -> T) -> (T, i64) {
    let before = usage();
    let out = f();
    let after = usage();
    let arena = grew(before.arena, after.arena).unwrap_or(0);
    let heap = arena.saturating_add(grew(before.mmapped, after.mmapped).unwrap_or(0));
    let growth = match grew(before.resident, after.resident) {
        Some(resident) => arena.max(heap.min(resident)),
        None => heap,
    };
    (out, growth)
}

/// A file's size in bytes (0 when it cannot be read).
pub fn file_size(path: &std::path::Path) -> usize {
    std::fs::metadata(path).map_or(0, |m| usize::try_from(m.len()).unwrap_or(usize::MAX))
}

/// The largest estimate of one object: V8 aborts the process on an adjustment of 2^60 bytes or
/// more, and a tensor's layout can claim any size (the runtime allocates on first use).
const MAX_ESTIMATE: i64 = 1 << 40;

/// One object's account: the estimate (written from any thread) and what V8 was told (changed
/// only on the JS thread).
#[derive(Default)]
pub struct External {
    estimate: AtomicI64,
    reported: AtomicI64,
    /// Set by a load: the next run plans the runtime memory, and is measured.
    measure_run: AtomicBool,
}

impl External {
    /// Runs a model load or build (any thread), taking the heap's growth during it plus `kept`
    /// (model bytes the object keeps itself) as the estimate, and at least `model` (the model's
    /// size: the engine holds its weights, and a growth measured while other threads free memory
    /// can come out near 0); the next run is measured too.
    pub fn measured_load<T>(&self, kept: usize, model: usize, load: impl FnOnce() -> T) -> T {
        let (out, grew) = heap_growth(load);
        let bytes = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.set(grew.saturating_add(bytes(kept)).max(bytes(model)));
        self.measure_run.store(true, Ordering::Release);
        out
    }

    /// Runs a forward or predict (any thread); the first one after a load adds the heap's
    /// growth during it to the estimate.
    pub fn measured_run<T>(&self, run: impl FnOnce() -> T) -> T {
        if !self.measure_run.swap(false, Ordering::AcqRel) {
            return run();
        }
        let (out, grew) = heap_growth(run);
        self.add(grew);
        out
    }

    /// Replaces the estimate (any thread).
    pub fn set(&self, bytes: i64) {
        self.estimate
            .store(bytes.clamp(0, MAX_ESTIMATE), Ordering::Release);
    }

    /// Adds to the estimate (any thread).
    pub fn add(&self, bytes: i64) {
        if bytes > 0 {
            let _ = self
                .estimate
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |e| {
                    Some(e.saturating_add(bytes).min(MAX_ESTIMATE))
                });
        }
    }

    /// The current estimate.
    pub fn estimate(&self) -> i64 {
        self.estimate.load(Ordering::Acquire)
    }

    /// Tells V8 about the change since the last report (JS thread). A failed adjustment is
    /// left for the next report.
    pub fn report(&self, env: &Env) {
        let want = self.estimate.load(Ordering::Acquire);
        let had = self.reported.load(Ordering::Acquire);
        if want != had && env.adjust_external_memory(want - had).is_ok() {
            self.reported.store(want, Ordering::Release);
        }
    }

    /// Forgets the estimate and gives every reported byte back to V8 (JS thread; dispose and
    /// finalize).
    pub fn release(&self, env: &Env) {
        self.set(0);
        self.report(env);
    }
}
