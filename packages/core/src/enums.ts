// Numeric values are those of the C header of the runtime we ship (lite/common_enum_c.h,
// MegEngine 1.13), not megenginelite's Python enums where the two disagree.

/** Element type of a tensor. */
export enum LiteDataType {
  LITE_FLOAT = 0,
  LITE_HALF = 1,
  LITE_INT = 2,
  LITE_INT16 = 3,
  LITE_INT8 = 4,
  LITE_UINT8 = 5,
  LITE_UINT = 6,
  LITE_UINT16 = 7,
  LITE_INT64 = 8,
}

/** Device a tensor or network lives on. Only `LITE_CPU` exists on machines without accelerators. */
export enum LiteDeviceType {
  LITE_CPU = 0,
  LITE_CUDA = 1,
  LITE_ATLAS = 3,
  LITE_NPU = 4,
  LITE_CAMBRICON = 5,
  /** Use the device recorded in the model. */
  LITE_DEVICE_DEFAULT = 7,
}

/** Inference backend. */
export enum LiteBackend {
  LITE_DEFAULT = 0,
}

/** Whether an IO carries values or only a shape. */
export enum LiteIOType {
  LITE_IO_VALUE = 0,
  LITE_IO_SHAPE = 1,
}

/** Which side of the network a tensor name refers to. */
export enum LiteTensorPhase {
  LITE_IO = 0,
  LITE_INPUT = 1,
  LITE_OUTPUT = 2,
}

/** Algorithm selection strategy; members can be OR-ed together. */
export enum LiteAlgoSelectStrategy {
  LITE_ALGO_HEURISTIC = 1,
  LITE_ALGO_PROFILE = 2,
  LITE_ALGO_REPRODUCIBLE = 4,
  LITE_ALGO_OPTIMIZED = 8,
}

/** Engine log level. */
export enum LiteLogLevel {
  DEBUG = 0,
  INFO = 1,
  WARN = 2,
  ERROR = 3,
  /** Beyond megenginelite: nothing is printed. */
  OFF = 4,
}
