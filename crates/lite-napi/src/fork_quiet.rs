//! Keeps the runtime's fork handler quiet on machines without a CUDA driver.
//!
//! `libmegengine_shared.so` registers a `pthread_atfork` *prepare* handler when it is loaded. On a
//! machine without a CUDA driver that handler asks the engine's CUDA stub for the current context,
//! and the stub prints its 8-line "Failed to load CUDA driver library" banner to stderr on every
//! fork: every `child_process.spawn`/`exec` of a Node process that loaded the runtime. No log level
//! reaches that stub.
//!
//! POSIX runs prepare handlers in reverse order of registration and parent/child handlers in
//! order. Ours, registered right after the runtime was loaded, therefore point fd 2 at
//! `/dev/null` just before the runtime's handler runs and restore it, in both processes, after
//! the fork. Output another thread writes to stderr during those microseconds is lost; at the
//! DEBUG log level nothing is redirected. With a CUDA driver present nothing is installed.

use std::sync::atomic::{AtomicI32, Ordering};

/// `/dev/null`, opened once (close-on-exec), or -1.
static DEVNULL: AtomicI32 = AtomicI32::new(-1);
/// The real stderr, saved by `prepare` until `restore` (close-on-exec), or -1.
static SAVED: AtomicI32 = AtomicI32::new(-1);

extern "C" fn prepare() {
    let devnull = DEVNULL.load(Ordering::Acquire);
    if devnull < 0 || crate::engine_log::level() == 0 {
        return;
    }
    // SAFETY: fcntl(F_DUPFD_CLOEXEC) and dup2 on open descriptors are async-signal-safe (fork
    // handlers may only use such calls); failures leave stderr as it was.
    unsafe {
        let saved = libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 3);
        if saved < 0 {
            return;
        }
        if libc::dup2(devnull, 2) < 0 {
            libc::close(saved);
            return;
        }
        SAVED.store(saved, Ordering::Release);
    }
}

extern "C" fn restore() {
    let saved = SAVED.swap(-1, Ordering::AcqRel);
    if saved < 0 {
        return;
    }
    // SAFETY: `saved` is the descriptor `prepare` duplicated from stderr (inherited by the child
    // too); dup2 and close are async-signal-safe.
    unsafe {
        libc::dup2(saved, 2);
        libc::close(saved);
    }
}

/// Registers the handlers (once; call after the runtime was loaded).
pub fn install() {
    static DONE: std::sync::Once = std::sync::Once::new();
    DONE.call_once(|| {
        if lite::cuda_driver_available() {
            return;
        }
        // SAFETY: a NUL-terminated path; the descriptor is kept for the life of the process.
        let fd = unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return;
        }
        DEVNULL.store(fd, Ordering::Release);
        // SAFETY: the handlers are plain `extern "C"` functions that live as long as the process.
        unsafe {
            libc::pthread_atfork(Some(prepare), Some(restore), Some(restore));
        }
    });
}
