//! The priority of the threads that serve a pool (a `LiteNetworkPool` member's executor
//! thread): a few nice levels below the thread that made them (the JS thread).
//!
//! A busy engine thread per core (a pool of `availableParallelism()` networks) otherwise shares
//! the cores with the JS thread on equal terms, and the scheduler lets the JS thread wait a
//! whole time slice (several ms) for a core: the event loop stalls while results pile up. With
//! the engine threads niced, the JS thread gets a core as soon as it has work, which is short
//! (copying a request in, a result out, settling a promise), so the engine loses almost nothing.
//! Only threads this binding created are changed; the process and the JS thread keep theirs.

/// Nice levels added to an engine thread (Linux `setpriority` of the thread itself).
#[cfg(target_os = "linux")]
const NICE_STEP: libc::c_int = 5;

/// Lowers the calling thread's priority by [`NICE_STEP`] nice levels (at most to 19); best
/// effort: a refusal (e.g. a seccomp sandbox) leaves it as it was.
pub(crate) fn below_js_thread() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid has no arguments and no failure mode.
        let tid = unsafe { libc::syscall(libc::SYS_gettid) } as libc::id_t;
        // SAFETY: getpriority/setpriority on this thread's own id only read and set its nice
        // value; errors are reported through the return value and errno, which we ignore.
        unsafe {
            *libc::__errno_location() = 0;
            let current = libc::getpriority(libc::PRIO_PROCESS, tid);
            if current == -1 && *libc::__errno_location() != 0 {
                return;
            }
            let target = (current + NICE_STEP).min(19);
            libc::setpriority(libc::PRIO_PROCESS, tid, target);
        }
    }
}
