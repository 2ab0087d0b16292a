// The runtime's own numeric values (mindspore_lite 2.0's Python enums, the C++ API's enums).

/** Model file kinds a {@link Model} can be built from (`mindspore::ModelType`). */
export enum ModelType {
  /** MindIR exported by MindSpore or converted by the Converter. */
  MINDIR = 0,
  /** MindIR for on-device MindSpore Lite (`.ms`); the cloud runtime here builds MINDIR. */
  MINDIR_LITE = 4,
}

/** Tensor element types (`mindspore::DataType`). */
export enum DataType {
  UNKNOWN = 0,
  BOOL = 30,
  INT8 = 32,
  INT16 = 33,
  INT32 = 34,
  INT64 = 35,
  UINT8 = 37,
  UINT16 = 38,
  UINT32 = 39,
  UINT64 = 40,
  FLOAT16 = 42,
  FLOAT32 = 43,
  FLOAT64 = 44,
}

/** Tensor memory layouts (`mindspore::Format`). */
export enum Format {
  DEFAULT = -1,
  NCHW = 0,
  NHWC = 1,
  NHWC4 = 2,
  HWKC = 3,
  HWCK = 4,
  KCHW = 5,
  CKHW = 6,
  KHWC = 7,
  CHWK = 8,
  HW = 9,
  HW4 = 10,
  NC = 11,
  NC4 = 12,
  NC4HW4 = 13,
  NCDHW = 15,
  NWC = 16,
  NCW = 17,
  NDHWC = 18,
  NC8HW8 = 19,
}

/** Source frameworks of the model converter (`mindspore_lite.FmkType`) for `Converter.convert`; PYTORCH is not in the 2.0.0 converter (`LITE_UNSUPPORTED`). */
export enum FmkType {
  TF = 0,
  CAFFE = 1,
  ONNX = 2,
  MINDIR = 3,
  TFLITE = 4,
  PYTORCH = 5,
}
