// Our C shim over the MindSpore Lite 2.0.0 model converter (see lite_mindspore_convert.h).
// Compiled with -D_GLIBCXX_USE_CXX11_ABI=0 like lite_mindspore_shim.cc.
#include "lite_mindspore_convert.h"

#include <cstdint>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "include/api/data_type.h"
#include "include/api/format.h"
#include "include/api/status.h"
#include "include/api/types.h"
#include "include/registry/converter_context.h"
#include "lite_mindspore_common.h"

// The wheel ships libmindspore_converter.so without its header. These declarations are ours,
// written from the symbols the 2.0.0 library exports (`nm -DC libmindspore_converter.so`) and the
// return types of the project's public sources for that release: only members we call are
// declared. All strings cross as std::vector<char> (no std::string in these signatures, so the
// string ABI does not matter for them). The object's only data member is a shared_ptr to the
// engine's parameter block, created by the engine's constructor; the destructor is the implicit
// one (no ~Converter is exported), releasing that shared_ptr through the engine's control block.
namespace mindspore {
struct ConverterPara;
class __attribute__((visibility("default"))) Converter {
 public:
  Converter();
  void SetConfigFile(const std::vector<char> &config_file);
  void SetConfigInfo(const std::vector<char> &section, const std::map<std::vector<char>, std::vector<char>> &config);
  void SetWeightFp16(bool weight_fp16);
  void SetInputShape(const std::map<std::vector<char>, std::vector<int64_t>> &input_shape);
  void SetInputFormat(Format format);
  void SetInputDataType(DataType data_type);
  void SetOutputDataType(DataType data_type);
  void SetSaveType(ModelType save_type);
  void SetDecryptKey(const std::vector<char> &key);
  void SetDecryptMode(const std::vector<char> &mode);
  void SetEnableEncryption(bool encryption);
  void SetEncryptKey(const std::vector<char> &key);
  void SetInfer(bool infer);
  void SetTrainModel(bool train_model);
  void SetNoFusion(bool no_fusion);
  void SetOptimizeTransformer(bool optimize_transformer);
  void SetDevice(const std::vector<char> &device);
  Status Convert(converter::FmkType fmk_type, const std::vector<char> &model_file,
                 const std::vector<char> &output_file, const std::vector<char> &weight_file);

 private:
  std::shared_ptr<ConverterPara> data_;
};
}  // namespace mindspore

namespace {

std::mutex g_convert_mutex;

std::vector<char> chars(const char *s) {
  std::vector<char> out;
  if (s != nullptr) out.assign(s, s + std::strlen(s));
  return out;
}

// Points std::cout at a string buffer for its lifetime (the engine prints its result line there).
// Only C++ iostream users see this; Node and libuv write to fd 1 directly.
class CoutCapture {
 public:
  CoutCapture() : previous_(std::cout.rdbuf(buffer_.rdbuf())) {}
  ~CoutCapture() { std::cout.rdbuf(previous_); }
  CoutCapture(const CoutCapture &) = delete;
  CoutCapture &operator=(const CoutCapture &) = delete;
  std::string text() const { return buffer_.str(); }

 private:
  std::ostringstream buffer_;
  std::streambuf *previous_;
};

int32_t apply_options(mindspore::Converter *c, const lmc_options *o) {
  if (o->config_file != nullptr) c->SetConfigFile(chars(o->config_file));
  if (o->weight_fp16 >= 0) c->SetWeightFp16(o->weight_fp16 != 0);
  if (o->input_format >= 0) c->SetInputFormat(static_cast<mindspore::Format>(o->input_format));
  if (o->input_data_type >= 0) c->SetInputDataType(static_cast<mindspore::DataType>(o->input_data_type));
  if (o->output_data_type >= 0) c->SetOutputDataType(static_cast<mindspore::DataType>(o->output_data_type));
  if (o->save_type >= 0) {
    if (o->save_type > static_cast<int64_t>(UINT32_MAX)) return fail(LMS_ERR_INVALID, "save type out of range");
    c->SetSaveType(static_cast<mindspore::ModelType>(o->save_type));
  }
  if (o->no_fusion >= 0) c->SetNoFusion(o->no_fusion != 0);
  if (o->infer >= 0) c->SetInfer(o->infer != 0);
  if (o->train_model >= 0) c->SetTrainModel(o->train_model != 0);
  if (o->optimize_transformer >= 0) c->SetOptimizeTransformer(o->optimize_transformer != 0);
  if (o->enable_encryption >= 0) c->SetEnableEncryption(o->enable_encryption != 0);
  if (o->encrypt_key != nullptr) c->SetEncryptKey(chars(o->encrypt_key));
  if (o->decrypt_key != nullptr) c->SetDecryptKey(chars(o->decrypt_key));
  if (o->decrypt_mode != nullptr) c->SetDecryptMode(chars(o->decrypt_mode));
  if (o->device != nullptr) c->SetDevice(chars(o->device));
  if (o->shape_len > 0) {
    if (o->shape_names == nullptr || o->shape_offsets == nullptr) return fail(LMS_ERR_INVALID, "input shape: null arrays");
    std::map<std::vector<char>, std::vector<int64_t>> shapes;
    for (size_t i = 0; i < o->shape_len; ++i) {
      const size_t from = o->shape_offsets[i], to = o->shape_offsets[i + 1];
      if (o->shape_names[i] == nullptr || from > to || (to > from && o->shape_dims == nullptr)) {
        return fail(LMS_ERR_INVALID, "input shape: bad entry");
      }
      shapes[chars(o->shape_names[i])] = std::vector<int64_t>(o->shape_dims + from, o->shape_dims + to);
    }
    c->SetInputShape(shapes);
  }
  if (o->cfg_len > 0) {
    if (o->cfg_sections == nullptr || o->cfg_keys == nullptr || o->cfg_values == nullptr) {
      return fail(LMS_ERR_INVALID, "config info: null arrays");
    }
    std::map<std::string, std::map<std::vector<char>, std::vector<char>>> sections;
    for (size_t i = 0; i < o->cfg_len; ++i) {
      if (o->cfg_sections[i] == nullptr || o->cfg_keys[i] == nullptr || o->cfg_values[i] == nullptr) {
        return fail(LMS_ERR_INVALID, "config info: null entry");
      }
      sections[o->cfg_sections[i]][chars(o->cfg_keys[i])] = chars(o->cfg_values[i]);
    }
    for (const auto &s : sections) c->SetConfigInfo(std::vector<char>(s.first.begin(), s.first.end()), s.second);
  }
  return LMS_OK;
}

}  // namespace

extern "C" {

int32_t lmc_abi_version(void) { return LMC_ABI_VERSION; }

void lmc_init(int32_t quiet) { install_log_capture(quiet); }

const char *lmc_last_error(void) { return t_last_error.c_str(); }

int32_t lmc_convert(const lmc_options *opts) {
  return guarded("converting the model", [&]() -> int32_t {
    if (opts == nullptr || opts->model_file == nullptr || opts->output_file == nullptr) {
      return fail(LMS_ERR_INVALID, "converting the model: model and output files are required");
    }
    std::lock_guard<std::mutex> lock(g_convert_mutex);
    Capture capture;
    mindspore::Converter converter;
    const int32_t applied = apply_options(&converter, opts);
    if (applied != LMS_OK) return applied;
    CoutCapture out;
    const auto status = converter.Convert(static_cast<mindspore::converter::FmkType>(opts->fmk_type),
                                          chars(opts->model_file), chars(opts->output_file),
                                          chars(opts->weight_file));
    if (status.IsOk()) return LMS_OK;
    int32_t code = from_status(status, "converting the model", capture);
    // The engine's verdict on the settings (e.g. a config file's values) rather than the model.
    const auto engine_code = status.StatusCode();
    if (engine_code == mindspore::kLiteInputParamInvalid || engine_code == mindspore::kLiteParamInvalid) {
      code = LMS_ERR_INVALID;
    }
    std::string printed = out.text();
    while (!printed.empty() && (printed.back() == '\n' || printed.back() == ' ')) printed.pop_back();
    if (!printed.empty() && t_last_error.find(printed) == std::string::npos) t_last_error += "; " + printed;
    return code;
  });
}

}  // extern "C"
