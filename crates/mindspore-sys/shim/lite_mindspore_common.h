// Shared by our two MindSpore shims (lite_mindspore_shim.cc for inference,
// lite_mindspore_convert.cc for the converter): the engine's glog declarations, the per-call capture
// of the engine's error log lines, and exception/Status to LMS_* code mapping. Each shared object
// that includes this gets its own copy (anonymous namespace): its own last-error slot and its own
// log sink. Compiled with -D_GLIBCXX_USE_CXX11_ABI=0 like the shims.
#ifndef LITE_MINDSPORE_COMMON_H
#define LITE_MINDSPORE_COMMON_H
#include <atomic>
#include <ctime>
#include <exception>
#include <mutex>
#include <new>
#include <string>

#include "include/api/status.h"
#include "lite_mindspore_shim.h"

// The engine's glog 0.4.0, renamed to namespace mindspore_private inside libmindspore_glog.so.0.
// Only what we use is declared; the layout of LogSink (virtual destructor, send, WaitTillSent)
// is glog 0.4.0's.
namespace mindspore_private {
class LogSink {
 public:
  virtual ~LogSink();
  virtual void send(int severity, const char *full_filename, const char *base_filename, int line,
                    const struct ::tm *tm_time, const char *message, size_t message_len) = 0;
  virtual void WaitTillSent();
};
void AddLogSink(LogSink *sink);
void SetLogDestination(int severity, const char *base_filename);
}  // namespace mindspore_private
namespace fLB {
extern bool FLAGS_logtostderr;
extern bool FLAGS_alsologtostderr;
}  // namespace fLB
namespace fLI {
extern int32_t FLAGS_stderrthreshold;
}  // namespace fLI

namespace {

constexpr int kGlogError = 2;
constexpr int kGlogSeverities = 4;

thread_local std::string t_last_error;
// Set by lms_init(quiet != 0): keep glog off stderr. The engine re-applies its defaults
// (common_log_init) when it creates models and sessions; liblite_mindspore_logquiet.so puts ours
// back right after each of those, and every shim call re-asserts them too.
std::atomic<bool> g_quiet{false};

void keep_glog_quiet() {
  if (!g_quiet.load(std::memory_order_relaxed)) return;
  fLB::FLAGS_logtostderr = false;
  fLB::FLAGS_alsologtostderr = false;
  fLI::FLAGS_stderrthreshold = kGlogSeverities;
}
// While a shim call runs on this thread, the engine's error lines logged on it are collected here.
thread_local std::string *t_capture = nullptr;

class CaptureSink final : public mindspore_private::LogSink {
 public:
  void send(int severity, const char *, const char *, int, const struct ::tm *, const char *message,
            size_t message_len) override {
    if (severity < kGlogError || t_capture == nullptr || message == nullptr) return;
    try {
      std::string line(message, message_len);
      // The engine prefixes "[file:line] Function] "; keep the reason after the last "] ".
      const auto cut = line.rfind("] ");
      if (cut != std::string::npos && cut + 2 < line.size()) line = line.substr(cut + 2);
      while (!line.empty() && (line.back() == '\n' || line.back() == ' ')) line.pop_back();
      if (line.empty() || t_capture->find(line) != std::string::npos) return;
      if (t_capture->size() > 4096) return;
      if (!t_capture->empty()) t_capture->append("; ");
      t_capture->append(line);
    } catch (...) {
      // Logging must never throw into the engine.
    }
  }
};

// Collects the engine's error log lines for the duration of one shim call.
class Capture {
 public:
  Capture() : previous_(t_capture) {
    keep_glog_quiet();
    t_capture = &lines_;
  }
  ~Capture() { t_capture = previous_; }
  Capture(const Capture &) = delete;
  Capture &operator=(const Capture &) = delete;
  const std::string &lines() const { return lines_; }

 private:
  std::string lines_;
  std::string *previous_;
};

int32_t fail(int32_t code, const std::string &message) {
  try {
    t_last_error = message;
  } catch (...) {
    t_last_error.clear();
  }
  return code;
}

int32_t from_status(const mindspore::Status &status, const char *what, const Capture &capture) {
  if (status.IsOk()) return LMS_OK;
  const auto code = status.StatusCode();
  std::string message = std::string(what) + " failed: ";
  message += capture.lines().empty() ? status.ToString() : capture.lines();
  message += " (status " + std::to_string(static_cast<int64_t>(static_cast<int32_t>(code))) + ")";
  const bool unsupported = code == mindspore::kLiteNotSupport || code == mindspore::kMCDeviceError;
  return fail(unsupported ? LMS_ERR_UNSUPPORTED : LMS_ERR_ENGINE, message);
}

// Runs body, turning every exception into LMS_ERR_EXCEPTION.
template <typename F>
int32_t guarded(const char *what, F &&body) noexcept {
  try {
    t_last_error.clear();
    return body();
  } catch (const std::bad_alloc &) {
    return fail(LMS_ERR_EXCEPTION, std::string(what) + " failed: out of memory");
  } catch (const std::exception &e) {
    return fail(LMS_ERR_EXCEPTION, std::string(what) + " failed: " + e.what());
  } catch (...) {
    return fail(LMS_ERR_EXCEPTION, std::string(what) + " failed: unknown C++ exception");
  }
}

// Installs this object's log sink once; quiet != 0 also keeps glog off stderr and out of files.
void install_log_capture(int32_t quiet) noexcept {
  static std::once_flag once;
  try {
    std::call_once(once, [quiet] {
      static CaptureSink sink;
      mindspore_private::AddLogSink(&sink);
      if (quiet != 0) {
        // No stderr, no log files: the sink is the only destination left.
        g_quiet = true;
        keep_glog_quiet();
        for (int s = 0; s < kGlogSeverities; ++s) mindspore_private::SetLogDestination(s, "");
      }
    });
  } catch (...) {
    // Without the capture, messages are only less detailed.
  }
}

}  // namespace
#endif
