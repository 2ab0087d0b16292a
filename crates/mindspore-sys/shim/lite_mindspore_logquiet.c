/* Keeps MindSpore Lite's glog off stderr (loaded with RTLD_GLOBAL before our shim, only when the
 * user has not set GLOG_v and the runtime's common_log_init holds the pinned bytes; see
 * crates/mindspore-sys/src/lib.rs).
 *
 * libmindspore_core.so exports common_log_init(), which resets glog's flags to the engine's
 * defaults (logtostderr = true unless GLOG_logtostderr says otherwise) and sets the engine's
 * per-module log levels. It runs as a library initialiser and again from the constructors of
 * mindspore::Model and of the CPU plugin's LiteSession, i.e. in the middle of every Build.
 * Because this library is in the global scope, those calls reach this definition first. The
 * first one (the initialiser, before any engine thread runs) goes to the engine's function; the
 * later ones do not: running it again would turn stderr logging on while other threads log
 * (the window in which their lines reached stderr). Every call then turns stderr logging off,
 * so errors only reach the shim's log sink (and our error messages).
 *
 * No link-time dependencies: the engine's objects are found among the already loaded ones. */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

#define LMS_API __attribute__((visibility("default")))

/* glog severities: INFO 0, WARNING 1, ERROR 2, FATAL 3; a threshold of 4 sends none to stderr. */
#define GLOG_NO_STDERR 4

static atomic_int g_engine_ran = 0;

LMS_API void common_log_init(void) {
  void *core = atomic_exchange(&g_engine_ran, 1) == 0 ? dlopen("libmindspore_core.so", RTLD_NOW | RTLD_NOLOAD) : NULL;
  if (core != NULL) {
    void (*real)(void) = (void (*)(void))dlsym(core, "common_log_init");
    if (real != NULL && real != common_log_init) real();
    dlclose(core);
  }
  void *glog = dlopen("libmindspore_glog.so.0", RTLD_NOW | RTLD_NOLOAD);
  if (glog == NULL) return;
  /* fLB::FLAGS_logtostderr, fLB::FLAGS_alsologtostderr, fLI::FLAGS_stderrthreshold */
  _Bool *to_stderr = (_Bool *)dlsym(glog, "_ZN3fLB17FLAGS_logtostderrE");
  _Bool *also_stderr = (_Bool *)dlsym(glog, "_ZN3fLB21FLAGS_alsologtostderrE");
  int *threshold = (int *)dlsym(glog, "_ZN3fLI21FLAGS_stderrthresholdE");
  if (to_stderr != NULL) *to_stderr = 0;
  if (also_stderr != NULL) *also_stderr = 0;
  if (threshold != NULL) *threshold = GLOG_NO_STDERR;
  dlclose(glog);
}
