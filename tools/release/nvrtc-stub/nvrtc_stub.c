/*
 * A stand-in for libnvrtc.so.10.1 (NVIDIA's runtime compiler, 21.8 MB) in the CPU-only MegEngine
 * runtime package. libmegengine_shared.so lists libnvrtc.so.10.1 as NEEDED and imports the ten
 * functions below, but calls them only when it compiles CUDA kernels at run time, which a CPU
 * run never does. Every function fails with NVRTC_ERROR_INTERNAL_ERROR, so a CUDA code path that
 * did reach one would report an error instead of crashing. The CUDA runtime fetched by
 * `lite-runtime fetch --cuda` carries the real library.
 *
 * Built by tools/release/nvrtc-stub.mjs: no libc (-nostdlib), soname and symbol version
 * libnvrtc.so.10.1 (nvrtc_stub.map), no build id; the same compiler gives the same bytes.
 */
#include <stddef.h>

typedef int nvrtcResult;
typedef struct nvrtc_program *nvrtcProgram;

#define NVRTC_ERROR_INTERNAL_ERROR 11
#define EXPORT __attribute__((visibility("default")))

EXPORT const char *nvrtcGetErrorString(nvrtcResult result) {
  (void)result;
  return "NVRTC is not available: this MegEngine runtime is the CPU-only package "
         "(run `npx lite-runtime fetch --cuda` for the CUDA runtime)";
}

EXPORT nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name, int numHeaders,
                                      const char *const *headers, const char *const *includeNames) {
  (void)src, (void)name, (void)numHeaders, (void)headers, (void)includeNames;
  if (prog) *prog = NULL;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog) {
  (void)prog;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char *const *options) {
  (void)prog, (void)numOptions, (void)options;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t *ptxSizeRet) {
  (void)prog, (void)ptxSizeRet;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char *ptx) {
  (void)prog, (void)ptx;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t *logSizeRet) {
  (void)prog, (void)logSizeRet;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char *log) {
  (void)prog, (void)log;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcAddNameExpression(nvrtcProgram prog, const char *nameExpression) {
  (void)prog, (void)nameExpression;
  return NVRTC_ERROR_INTERNAL_ERROR;
}

EXPORT nvrtcResult nvrtcGetLoweredName(nvrtcProgram prog, const char *nameExpression, const char **loweredName) {
  (void)prog, (void)nameExpression;
  if (loweredName) *loweredName = NULL;
  return NVRTC_ERROR_INTERNAL_ERROR;
}
