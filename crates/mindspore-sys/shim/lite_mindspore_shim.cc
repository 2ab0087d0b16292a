// Our C shim over the MindSpore Lite 2.0.0 C++ API (see lite_mindspore_shim.h). Compiled with
// -D_GLIBCXX_USE_CXX11_ABI=0 because the runtime's C++ API uses the old libstdc++ string ABI.
#include "lite_mindspore_shim.h"

#include <atomic>
#include <cstring>
#include <ctime>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "include/api/context.h"
#include "include/api/model.h"
#include "include/api/model_parallel_runner.h"
#include "include/api/status.h"
#include "include/api/types.h"

#include "lite_mindspore_common.h"

namespace {

std::shared_ptr<mindspore::Context> make_context(const lms_build_options *opts) {
  auto context = std::make_shared<mindspore::Context>();
  auto cpu = std::make_shared<mindspore::CPUDeviceInfo>();
  if (opts != nullptr) {
    if (opts->thread_num > 0) context->SetThreadNum(opts->thread_num);
    if (opts->inter_op_parallel_num > 0) context->SetInterOpParallelNum(opts->inter_op_parallel_num);
    if (opts->affinity_mode >= 0) context->SetThreadAffinity(static_cast<int>(opts->affinity_mode));
    if (opts->core_list != nullptr && opts->core_list_len > 0) {
      context->SetThreadAffinity(std::vector<int>(opts->core_list, opts->core_list + opts->core_list_len));
    }
    cpu->SetEnableFP16(opts->enable_fp16 != 0);
  }
  context->MutableDeviceInfo().push_back(cpu);
  return context;
}

bool has_config_path(const lms_build_options *opts) {
  return opts != nullptr && opts->config_path != nullptr && opts->config_path[0] != '\0';
}

}  // namespace

struct lms_tensors {
  std::vector<mindspore::MSTensor> tensors;
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
};

struct lms_model {
  mindspore::Model model;
};

struct lms_runner {
  mindspore::ModelParallelRunner runner;
};

namespace {

lms_tensors *make_list(std::vector<mindspore::MSTensor> tensors) {
  auto list = std::make_unique<lms_tensors>();
  for (const auto &t : tensors) {
    list->names.push_back(t.Name());
    list->shapes.push_back(t.Shape());
  }
  list->tensors = std::move(tensors);
  return list.release();
}

bool split_dims(size_t n, const int64_t *dims, const size_t *offsets, std::vector<std::vector<int64_t>> *out) {
  if (n > 0 && (offsets == nullptr || (dims == nullptr && offsets[n] != 0))) return false;
  for (size_t i = 0; i < n; ++i) {
    if (offsets[i] > offsets[i + 1]) return false;
    out->emplace_back(dims + offsets[i], dims + offsets[i + 1]);
  }
  return true;
}

template <typename Build>
int32_t build_model(lms_model *model, const lms_build_options *opts, const char *what, Build &&build) {
  if (model == nullptr) return fail(LMS_ERR_INVALID, std::string(what) + ": null model");
  Capture capture;
  if (has_config_path(opts)) {
    auto s = model->model.LoadConfig(opts->config_path);
    if (!s.IsOk()) return from_status(s, "loading the config file", capture);
  }
  if (opts != nullptr) {
    for (size_t i = 0; i < opts->cfg_len; ++i) {
      auto s = model->model.UpdateConfig(opts->cfg_sections[i], {opts->cfg_keys[i], opts->cfg_values[i]});
      if (!s.IsOk()) return from_status(s, "applying a config entry", capture);
    }
  }
  return from_status(build(make_context(opts)), what, capture);
}

}  // namespace

extern "C" {

int32_t lms_abi_version(void) { return LMS_ABI_VERSION; }

void lms_init(int32_t quiet) { install_log_capture(quiet); }

const char *lms_last_error(void) { return t_last_error.c_str(); }

size_t lms_tensors_len(const lms_tensors *list) { return list == nullptr ? 0 : list->tensors.size(); }

int32_t lms_tensors_get(const lms_tensors *list, size_t index, lms_tensor_info *out) {
  return guarded("reading a tensor", [&]() -> int32_t {
    if (list == nullptr || out == nullptr || index >= list->tensors.size()) {
      return fail(LMS_ERR_INVALID, "tensor index out of range");
    }
    const auto &t = list->tensors[index];
    out->name = list->names[index].c_str();
    out->dtype = static_cast<int32_t>(t.DataType());
    out->format = static_cast<int32_t>(t.format());
    out->ndim = list->shapes[index].size();
    out->shape = list->shapes[index].data();
    out->data_size = t.DataSize();
    bool dynamic = false;
    for (auto d : list->shapes[index]) dynamic = dynamic || d < 0;
    // Data() would allocate for an input that has none yet; only read what exists.
    out->data = (dynamic || out->data_size == 0) ? nullptr : t.Data().get();
    return LMS_OK;
  });
}

void lms_tensors_free(lms_tensors *list) { delete list; }

int32_t lms_model_new(lms_model **out) {
  return guarded("creating a model", [&]() -> int32_t {
    if (out == nullptr) return fail(LMS_ERR_INVALID, "null out pointer");
    *out = new lms_model();
    return LMS_OK;
  });
}

void lms_model_free(lms_model *model) {
  try {
    delete model;
  } catch (...) {
  }
}

int32_t lms_model_build_file(lms_model *model, const char *path, uint32_t model_type, const lms_build_options *opts) {
  return guarded("building the model", [&]() -> int32_t {
    if (path == nullptr) return fail(LMS_ERR_INVALID, "null path");
    return build_model(model, opts, "building the model", [&](const std::shared_ptr<mindspore::Context> &ctx) {
      return model->model.Build(std::string(path), static_cast<mindspore::ModelType>(model_type), ctx);
    });
  });
}

int32_t lms_model_build_buffer(lms_model *model, const void *data, size_t size, uint32_t model_type,
                               const lms_build_options *opts) {
  return guarded("building the model", [&]() -> int32_t {
    if (data == nullptr || size == 0) return fail(LMS_ERR_INVALID, "empty model buffer");
    return build_model(model, opts, "building the model", [&](const std::shared_ptr<mindspore::Context> &ctx) {
      return model->model.Build(data, size, static_cast<mindspore::ModelType>(model_type), ctx);
    });
  });
}

int32_t lms_model_inputs(lms_model *model, lms_tensors **out) {
  return guarded("getting the inputs", [&]() -> int32_t {
    if (model == nullptr || out == nullptr) return fail(LMS_ERR_INVALID, "null argument");
    *out = make_list(model->model.GetInputs());
    return LMS_OK;
  });
}

int32_t lms_model_outputs(lms_model *model, lms_tensors **out) {
  return guarded("getting the outputs", [&]() -> int32_t {
    if (model == nullptr || out == nullptr) return fail(LMS_ERR_INVALID, "null argument");
    *out = make_list(model->model.GetOutputs());
    return LMS_OK;
  });
}

int32_t lms_model_resize(lms_model *model, size_t n, const int64_t *dims, const size_t *offsets) {
  return guarded("resizing the inputs", [&]() -> int32_t {
    if (model == nullptr) return fail(LMS_ERR_INVALID, "null model");
    auto inputs = model->model.GetInputs();
    std::vector<std::vector<int64_t>> shapes;
    if (n != inputs.size() || !split_dims(n, dims, offsets, &shapes)) {
      return fail(LMS_ERR_INVALID, "resize needs one shape per model input");
    }
    Capture capture;
    return from_status(model->model.Resize(inputs, shapes), "resizing the inputs", capture);
  });
}

int32_t lms_model_predict(lms_model *model, size_t n, const void *const *data, const size_t *sizes,
                          lms_tensors **outputs) {
  return guarded("predict", [&]() -> int32_t {
    if (model == nullptr || outputs == nullptr) return fail(LMS_ERR_INVALID, "null argument");
    auto inputs = model->model.GetInputs();
    if (n != inputs.size()) return fail(LMS_ERR_INVALID, "predict needs one buffer per model input");
    for (size_t i = 0; i < n; ++i) {
      if (sizes[i] != inputs[i].DataSize()) {
        return fail(LMS_ERR_INVALID, "input " + inputs[i].Name() + " needs " + std::to_string(inputs[i].DataSize()) +
                                         " bytes, got " + std::to_string(sizes[i]));
      }
      void *dst = inputs[i].MutableData();
      if (dst == nullptr && sizes[i] != 0) return fail(LMS_ERR_ENGINE, "input " + inputs[i].Name() + " has no memory");
      if (sizes[i] != 0) std::memcpy(dst, data[i], sizes[i]);
    }
    Capture capture;
    std::vector<mindspore::MSTensor> out;
    auto status = model->model.Predict(inputs, &out);
    if (!status.IsOk()) return from_status(status, "predict", capture);
    *outputs = make_list(std::move(out));
    return LMS_OK;
  });
}

int32_t lms_runner_new(lms_runner **out) {
  return guarded("creating a parallel runner", [&]() -> int32_t {
    if (out == nullptr) return fail(LMS_ERR_INVALID, "null out pointer");
    *out = new lms_runner();
    return LMS_OK;
  });
}

void lms_runner_free(lms_runner *runner) {
  try {
    delete runner;
  } catch (...) {
  }
}

int32_t lms_runner_init_file(lms_runner *runner, const char *path, const lms_build_options *opts) {
  return guarded("building the parallel runner", [&]() -> int32_t {
    if (runner == nullptr || path == nullptr) return fail(LMS_ERR_INVALID, "null argument");
    auto config = std::make_shared<mindspore::RunnerConfig>();
    config->SetContext(make_context(opts));
    if (opts != nullptr) {
      if (opts->workers_num > 0) config->SetWorkersNum(opts->workers_num);
      if (has_config_path(opts)) config->SetConfigPath(opts->config_path);
      for (size_t i = 0; i < opts->cfg_len; ++i) {
        auto section = config->GetConfigInfo()[opts->cfg_sections[i]];
        section[opts->cfg_keys[i]] = opts->cfg_values[i];
        config->SetConfigInfo(opts->cfg_sections[i], section);
      }
    }
    Capture capture;
    return from_status(runner->runner.Init(std::string(path), config), "building the parallel runner", capture);
  });
}

int32_t lms_runner_inputs(lms_runner *runner, lms_tensors **out) {
  return guarded("getting the inputs", [&]() -> int32_t {
    if (runner == nullptr || out == nullptr) return fail(LMS_ERR_INVALID, "null argument");
    *out = make_list(runner->runner.GetInputs());
    return LMS_OK;
  });
}

int32_t lms_runner_outputs(lms_runner *runner, lms_tensors **out) {
  return guarded("getting the outputs", [&]() -> int32_t {
    if (runner == nullptr || out == nullptr) return fail(LMS_ERR_INVALID, "null argument");
    *out = make_list(runner->runner.GetOutputs());
    return LMS_OK;
  });
}

int32_t lms_runner_predict(lms_runner *runner, size_t n, const void *const *data, const size_t *sizes,
                           const int64_t *dims, const size_t *offsets, lms_tensors **outputs) {
  return guarded("predict", [&]() -> int32_t {
    if (runner == nullptr || outputs == nullptr) return fail(LMS_ERR_INVALID, "null argument");
    auto model_inputs = runner->runner.GetInputs();
    std::vector<std::vector<int64_t>> shapes;
    if (n != model_inputs.size() || !split_dims(n, dims, offsets, &shapes)) {
      return fail(LMS_ERR_INVALID, "predict needs one buffer and shape per model input");
    }
    // Each request gets its own input tensors (copies), so concurrent requests share nothing.
    std::vector<mindspore::MSTensor> inputs;
    for (size_t i = 0; i < n; ++i) {
      mindspore::MSTensor *t = mindspore::MSTensor::CreateTensor(model_inputs[i].Name(), model_inputs[i].DataType(),
                                                                 shapes[i], data[i], sizes[i]);
      if (t == nullptr) return fail(LMS_ERR_ENGINE, "could not create input " + model_inputs[i].Name());
      inputs.push_back(*t);
      mindspore::MSTensor::DestroyTensorPtr(t);
    }
    Capture capture;
    std::vector<mindspore::MSTensor> out;
    auto status = runner->runner.Predict(inputs, &out);
    if (!status.IsOk()) return from_status(status, "predict", capture);
    *outputs = make_list(std::move(out));
    return LMS_OK;
  });
}

}  // extern "C"
