//! Element types a tensor can hold, with TensorFlow's enum numbers and the
//! names numpy gives them.

use std::fmt;

/// The element type of a [`crate::Tensor`].
///
/// Only value types are listed; TensorFlow's resource, variant, quantized and
/// reference types are not tensors savedmodel can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// 32-bit float (`DT_FLOAT`).
    F32,
    /// 64-bit float (`DT_DOUBLE`).
    F64,
    /// IEEE half (`DT_HALF`).
    F16,
    /// bfloat16 (`DT_BFLOAT16`).
    BF16,
    /// Signed 8-bit integer.
    I8,
    /// Signed 16-bit integer.
    I16,
    /// Signed 32-bit integer.
    I32,
    /// Signed 64-bit integer.
    I64,
    /// Unsigned 8-bit integer.
    U8,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// Boolean.
    Bool,
    /// Byte string (`DT_STRING`): arbitrary bytes, not necessarily UTF-8.
    String,
    /// Complex with f32 parts.
    C64,
    /// Complex with f64 parts.
    C128,
}

impl DType {
    /// Every dtype, in TensorFlow enum order.
    pub const ALL: [DType; 16] = [
        DType::F32,
        DType::F64,
        DType::I32,
        DType::U8,
        DType::I16,
        DType::I8,
        DType::String,
        DType::C64,
        DType::I64,
        DType::Bool,
        DType::BF16,
        DType::U16,
        DType::C128,
        DType::F16,
        DType::U32,
        DType::U64,
    ];

    /// The `tensorflow.DataType` enum number.
    pub fn tf_enum(self) -> i32 {
        match self {
            DType::F32 => 1,
            DType::F64 => 2,
            DType::I32 => 3,
            DType::U8 => 4,
            DType::I16 => 5,
            DType::I8 => 6,
            DType::String => 7,
            DType::C64 => 8,
            DType::I64 => 9,
            DType::Bool => 10,
            DType::BF16 => 14,
            DType::U16 => 17,
            DType::C128 => 18,
            DType::F16 => 19,
            DType::U32 => 22,
            DType::U64 => 23,
        }
    }

    /// The dtype for a `tensorflow.DataType` enum number, if it is a value type.
    pub fn from_tf_enum(value: i32) -> Option<DType> {
        DType::ALL.into_iter().find(|d| d.tf_enum() == value)
    }

    /// The name numpy gives this dtype (`float32`, `int64`, `bool`, ...);
    /// strings are `string`, as `saved_model_cli` prints them.
    pub fn numpy_name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::U8 => "uint8",
            DType::U16 => "uint16",
            DType::U32 => "uint32",
            DType::U64 => "uint64",
            DType::Bool => "bool",
            DType::String => "string",
            DType::C64 => "complex64",
            DType::C128 => "complex128",
        }
    }

    /// The dtype with this numpy name (also accepts `float`, `double`, `half`).
    pub fn from_numpy_name(name: &str) -> Option<DType> {
        match name {
            "float" => Some(DType::F32),
            "double" => Some(DType::F64),
            "half" => Some(DType::F16),
            "str" | "bytes" | "object" => Some(DType::String),
            _ => DType::ALL.into_iter().find(|d| d.numpy_name() == name),
        }
    }

    /// TensorFlow's enum name (`DT_FLOAT`, ...), as `saved_model_cli` prints it.
    pub fn tf_name(self) -> &'static str {
        match self {
            DType::F32 => "DT_FLOAT",
            DType::F64 => "DT_DOUBLE",
            DType::F16 => "DT_HALF",
            DType::BF16 => "DT_BFLOAT16",
            DType::I8 => "DT_INT8",
            DType::I16 => "DT_INT16",
            DType::I32 => "DT_INT32",
            DType::I64 => "DT_INT64",
            DType::U8 => "DT_UINT8",
            DType::U16 => "DT_UINT16",
            DType::U32 => "DT_UINT32",
            DType::U64 => "DT_UINT64",
            DType::Bool => "DT_BOOL",
            DType::String => "DT_STRING",
            DType::C64 => "DT_COMPLEX64",
            DType::C128 => "DT_COMPLEX128",
        }
    }

    /// Bytes per element in TensorFlow's raw layout; `None` for strings.
    pub fn size_of(self) -> Option<usize> {
        Some(match self {
            DType::I8 | DType::U8 | DType::Bool => 1,
            DType::F16 | DType::BF16 | DType::I16 | DType::U16 => 2,
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F64 | DType::I64 | DType::U64 | DType::C64 => 8,
            DType::C128 => 16,
            DType::String => return None,
        })
    }

    /// True for floating-point dtypes (f16, bf16, f32, f64).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// True for complex64 and complex128.
    pub fn is_complex(self) -> bool {
        matches!(self, DType::C64 | DType::C128)
    }

    /// True for signed and unsigned integer dtypes.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            DType::I8
                | DType::I16
                | DType::I32
                | DType::I64
                | DType::U8
                | DType::U16
                | DType::U32
                | DType::U64
        )
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.numpy_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_and_names_round_trip() {
        for dtype in DType::ALL {
            assert_eq!(DType::from_tf_enum(dtype.tf_enum()), Some(dtype));
            assert_eq!(DType::from_numpy_name(dtype.numpy_name()), Some(dtype));
        }
        assert_eq!(
            DType::from_tf_enum(20),
            None,
            "resource is not a value type"
        );
        assert_eq!(
            DType::from_tf_enum(101),
            None,
            "reference types are refused"
        );
    }
}
