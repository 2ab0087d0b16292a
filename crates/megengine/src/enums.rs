//! Enums with the numeric values of the 1.13 C header.

use crate::error::{LiteError, Result};
use std::os::raw::c_int;

macro_rules! c_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $val:expr, $cname:literal;)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum $name { $($(#[$vm])* $var = $val,)* }

        impl $name {
            /// All members.
            pub const ALL: &'static [$name] = &[$($name::$var),*];
            /// The C value.
            pub fn as_c(self) -> c_int { self as c_int }
            /// From a C value; unknown values are an `InvalidArgument` error.
            pub fn from_c(v: c_int) -> Result<Self> {
                match v {
                    $(x if x == $val => Ok($name::$var),)*
                    _ => Err(LiteError::invalid(format!(
                        concat!("invalid ", stringify!($name), " value {}"), v))),
                }
            }
            /// The C member name, e.g. `"LITE_FLOAT"`.
            pub fn c_name(self) -> &'static str {
                match self { $($name::$var => $cname,)* }
            }
            /// From the C member name.
            pub fn from_c_name(s: &str) -> Result<Self> {
                match s {
                    $($cname => Ok($name::$var),)*
                    _ => Err(LiteError::invalid(format!(
                        concat!("invalid ", stringify!($name), " name {:?}"), s))),
                }
            }
        }
    };
}

c_enum!(
    /// `LiteDataType`.
    DataType {
        /// float32
        Float = 0, "LITE_FLOAT";
        /// float16
        Half = 1, "LITE_HALF";
        /// int32
        Int = 2, "LITE_INT";
        /// int16
        Int16 = 3, "LITE_INT16";
        /// int8
        Int8 = 4, "LITE_INT8";
        /// uint8
        Uint8 = 5, "LITE_UINT8";
        /// uint32 (in the header; the 1.13 runtime rejects it)
        Uint = 6, "LITE_UINT";
        /// uint16
        Uint16 = 7, "LITE_UINT16";
        /// int64 (in the header; the 1.13 runtime rejects it)
        Int64 = 8, "LITE_INT64";
    }
);

impl DataType {
    /// Size of one element in bytes.
    pub fn element_size(self) -> usize {
        match self {
            DataType::Float | DataType::Int | DataType::Uint => 4,
            DataType::Half | DataType::Int16 | DataType::Uint16 => 2,
            DataType::Int8 | DataType::Uint8 => 1,
            DataType::Int64 => 8,
        }
    }
    /// Whether the shipped 1.13 runtime can make tensors of this type
    /// (measured: `LITE_UINT` and `LITE_INT64` fail with "unsupport dtype").
    pub fn is_supported(self) -> bool {
        !matches!(self, DataType::Uint | DataType::Int64)
    }
    /// numpy-style name (`"float32"`, `"uint16"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DataType::Float => "float32",
            DataType::Half => "float16",
            DataType::Int => "int32",
            DataType::Int16 => "int16",
            DataType::Int8 => "int8",
            DataType::Uint8 => "uint8",
            DataType::Uint => "uint32",
            DataType::Uint16 => "uint16",
            DataType::Int64 => "int64",
        }
    }
    /// From a numpy-style name.
    pub fn from_name(s: &str) -> Result<Self> {
        DataType::ALL
            .iter()
            .copied()
            .find(|d| d.name() == s)
            .ok_or_else(|| LiteError::invalid(format!("unknown dtype {s:?}")))
    }
}

c_enum!(
    /// `LiteDeviceType`.
    DeviceType {
        /// CPU
        Cpu = 0, "LITE_CPU";
        /// CUDA
        Cuda = 1, "LITE_CUDA";
        /// Atlas
        Atlas = 3, "LITE_ATLAS";
        /// NPU
        Npu = 4, "LITE_NPU";
        /// Cambricon (disabled in the 1.13 wheel)
        Cambricon = 5, "LITE_CAMBRICON";
        /// From the model
        DeviceDefault = 7, "LITE_DEVICE_DEFAULT";
    }
);

impl DeviceType {
    /// The device as handed to the engine. Without a CUDA driver, `DeviceDefault` (the
    /// engine's "xpu": CUDA when present, else CPU) is CPU, so the engine never probes CUDA
    /// (its probe prints a banner to stderr that no log level silences).
    pub fn resolved(self) -> DeviceType {
        match self {
            DeviceType::DeviceDefault if !megengine_sys::cuda_driver_available() => DeviceType::Cpu,
            other => other,
        }
    }

    /// `Unsupported` error for CUDA when no driver library can be opened; the engine is not asked.
    pub fn check_available(self) -> Result<()> {
        if self == DeviceType::Cuda && !megengine_sys::cuda_driver_available() {
            return Err(LiteError::unsupported(
                "no CUDA driver (libcuda.so.1) on this machine: use LITE_CPU, or install the NVIDIA driver and a CUDA runtime",
            ));
        }
        Ok(())
    }
}

c_enum!(
    /// `LiteBackend`.
    Backend {
        /// MegEngine
        Default = 0, "LITE_DEFAULT";
    }
);

c_enum!(
    /// `LiteIOType`.
    IoType {
        /// Values
        Value = 0, "LITE_IO_VALUE";
        /// Shape only
        Shape = 1, "LITE_IO_SHAPE";
    }
);

c_enum!(
    /// `LiteTensorPhase`.
    TensorPhase {
        /// Input or output
        Io = 0, "LITE_IO";
        /// Input
        Input = 1, "LITE_INPUT";
        /// Output
        Output = 2, "LITE_OUTPUT";
    }
);

c_enum!(
    /// `LiteLogLevel`.
    LogLevel {
        /// Most verbose
        Debug = 0, "DEBUG";
        /// Information
        Info = 1, "INFO";
        /// Warnings
        Warn = 2, "WARN";
        /// Errors only
        Error = 3, "ERROR";
    }
);

/// `LiteAlgoSelectStrategy`: bit flags that may be combined with `|`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlgoSelectStrategy(u32);

impl AlgoSelectStrategy {
    /// `LITE_ALGO_HEURISTIC`
    pub const HEURISTIC: Self = AlgoSelectStrategy(1);
    /// `LITE_ALGO_PROFILE`
    pub const PROFILE: Self = AlgoSelectStrategy(2);
    /// `LITE_ALGO_REPRODUCIBLE`
    pub const REPRODUCIBLE: Self = AlgoSelectStrategy(4);
    /// `LITE_ALGO_OPTIMIZED`
    pub const OPTIMIZED: Self = AlgoSelectStrategy(8);
    /// Member names and values.
    pub const NAMES: &'static [(&'static str, u32)] = &[
        ("LITE_ALGO_HEURISTIC", 1),
        ("LITE_ALGO_PROFILE", 2),
        ("LITE_ALGO_REPRODUCIBLE", 4),
        ("LITE_ALGO_OPTIMIZED", 8),
    ];
    /// From raw bits: must be non-zero and use only the four defined flags.
    pub fn from_bits(bits: u32) -> Result<Self> {
        if bits == 0 || bits & !0xF != 0 {
            return Err(LiteError::invalid(format!(
                "invalid LiteAlgoSelectStrategy {bits}: a non-zero combination of 1, 2, 4, 8 is required"
            )));
        }
        Ok(AlgoSelectStrategy(bits))
    }
    /// Raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }
}

impl std::ops::BitOr for AlgoSelectStrategy {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        AlgoSelectStrategy(self.0 | rhs.0)
    }
}
