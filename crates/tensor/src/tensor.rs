//! The [`Tensor`] value: a shape plus a dtype-tagged shared buffer.

use std::fmt;
use std::sync::Arc;

use half::{bf16, f16};
use num_complex::{Complex32, Complex64};

use crate::DType;

/// Errors building or viewing a tensor.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TensorError {
    /// The element count does not match the shape.
    #[error("shape {shape:?} holds {expected} elements but {actual} were given")]
    ElementCount {
        /// The requested shape.
        shape: Vec<usize>,
        /// Elements the shape holds.
        expected: usize,
        /// Elements given.
        actual: usize,
    },
    /// The element count of a shape overflows `usize`.
    #[error("shape {0:?} has more elements than this machine can address")]
    TooLarge(Vec<usize>),
    /// A typed view asked for the wrong dtype.
    #[error("tensor has dtype {actual}, not {expected}")]
    DType {
        /// The dtype asked for.
        expected: DType,
        /// The tensor's dtype.
        actual: DType,
    },
    /// Raw bytes do not hold a whole number of elements of the shape.
    #[error("{dtype} tensor of shape {shape:?} needs {expected} bytes, got {actual}")]
    ByteCount {
        /// Element type.
        dtype: DType,
        /// Shape.
        shape: Vec<usize>,
        /// Bytes needed.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
}

/// A dtype-tagged buffer shared between clones.
#[derive(Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Storage {
    F32(Arc<Vec<f32>>),
    F64(Arc<Vec<f64>>),
    F16(Arc<Vec<f16>>),
    BF16(Arc<Vec<bf16>>),
    I8(Arc<Vec<i8>>),
    I16(Arc<Vec<i16>>),
    I32(Arc<Vec<i32>>),
    I64(Arc<Vec<i64>>),
    U8(Arc<Vec<u8>>),
    U16(Arc<Vec<u16>>),
    U32(Arc<Vec<u32>>),
    U64(Arc<Vec<u64>>),
    Bool(Arc<Vec<bool>>),
    String(Arc<Vec<Vec<u8>>>),
    C64(Arc<Vec<Complex32>>),
    C128(Arc<Vec<Complex64>>),
}

/// Rust element types that a tensor can hold.
pub trait Element: Clone + Send + Sync + fmt::Debug + 'static {
    /// The dtype tag of this element type.
    const DTYPE: DType;
    /// Wraps a vector into storage.
    fn into_storage(values: Vec<Self>) -> Storage;
    /// Borrows the elements if the storage has this type.
    fn slice(storage: &Storage) -> Option<&[Self]>;
    /// Mutable access to the elements (copies the buffer if it is shared).
    fn slice_mut(storage: &mut Storage) -> Option<&mut [Self]>;
}

macro_rules! elements {
    ($($ty:ty => $variant:ident),* $(,)?) => {
        $(
            impl Element for $ty {
                const DTYPE: DType = DType::$variant;
                fn into_storage(values: Vec<Self>) -> Storage {
                    Storage::$variant(Arc::new(values))
                }
                fn slice(storage: &Storage) -> Option<&[Self]> {
                    match storage {
                        Storage::$variant(v) => Some(v.as_slice()),
                        _ => None,
                    }
                }
                fn slice_mut(storage: &mut Storage) -> Option<&mut [Self]> {
                    match storage {
                        Storage::$variant(v) => Some(Arc::make_mut(v).as_mut_slice()),
                        _ => None,
                    }
                }
            }
        )*

        impl Storage {
            /// The dtype tag.
            pub fn dtype(&self) -> DType {
                match self {
                    $(Storage::$variant(_) => DType::$variant,)*
                }
            }

            /// Number of elements.
            pub fn len(&self) -> usize {
                match self {
                    $(Storage::$variant(v) => v.len(),)*
                }
            }

            /// True when there are no elements.
            pub fn is_empty(&self) -> bool {
                self.len() == 0
            }

            /// True when no other tensor shares this buffer, so writing to
            /// it through `&mut` needs no copy.
            pub fn is_exclusive(&self) -> bool {
                match self {
                    $(Storage::$variant(v) => Arc::strong_count(v) == 1 && Arc::weak_count(v) == 0,)*
                }
            }
        }
    };
}

elements! {
    f32 => F32, f64 => F64, f16 => F16, bf16 => BF16,
    i8 => I8, i16 => I16, i32 => I32, i64 => I64,
    u8 => U8, u16 => U16, u32 => U32, u64 => U64,
    bool => Bool, Vec<u8> => String, Complex32 => C64, Complex64 => C128,
}

/// Applies `$body` with `$v` bound to the typed `Arc<Vec<T>>` of a storage.
#[macro_export]
macro_rules! dispatch_storage {
    ($storage:expr, $v:ident => $body:expr) => {
        match $storage {
            $crate::Storage::F32($v) => $body,
            $crate::Storage::F64($v) => $body,
            $crate::Storage::F16($v) => $body,
            $crate::Storage::BF16($v) => $body,
            $crate::Storage::I8($v) => $body,
            $crate::Storage::I16($v) => $body,
            $crate::Storage::I32($v) => $body,
            $crate::Storage::I64($v) => $body,
            $crate::Storage::U8($v) => $body,
            $crate::Storage::U16($v) => $body,
            $crate::Storage::U32($v) => $body,
            $crate::Storage::U64($v) => $body,
            $crate::Storage::Bool($v) => $body,
            $crate::Storage::String($v) => $body,
            $crate::Storage::C64($v) => $body,
            $crate::Storage::C128($v) => $body,
        }
    };
}

/// A row-major tensor: a shape and a dtype-tagged buffer. Clones share the
/// buffer; mutation copies it first if it is shared.
#[derive(Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    storage: Storage,
}

/// The number of elements of `shape`, or an error if it overflows.
pub fn element_count(shape: &[usize]) -> Result<usize, TensorError> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| TensorError::TooLarge(shape.to_vec()))
}

impl Tensor {
    /// A tensor of `shape` holding `values` in row-major order.
    pub fn from_vec<T: Element>(
        shape: impl Into<Vec<usize>>,
        values: Vec<T>,
    ) -> Result<Tensor, TensorError> {
        Tensor::from_storage(shape, T::into_storage(values))
    }

    /// A tensor of `shape` over an existing storage.
    pub fn from_storage(
        shape: impl Into<Vec<usize>>,
        storage: Storage,
    ) -> Result<Tensor, TensorError> {
        let shape = shape.into();
        let expected = element_count(&shape)?;
        if expected != storage.len() {
            return Err(TensorError::ElementCount {
                shape,
                expected,
                actual: storage.len(),
            });
        }
        Ok(Tensor { shape, storage })
    }

    /// A rank-0 tensor.
    pub fn scalar<T: Element>(value: T) -> Tensor {
        Tensor {
            shape: Vec::new(),
            storage: T::into_storage(vec![value]),
        }
    }

    /// A tensor from parts the caller guarantees agree (an `ndarray` array's
    /// shape and its elements).
    pub(crate) fn from_parts(shape: Vec<usize>, storage: Storage) -> Tensor {
        debug_assert_eq!(shape.iter().product::<usize>(), storage.len());
        Tensor { shape, storage }
    }

    /// A tensor of byte strings.
    pub fn from_strings<S: AsRef<[u8]>>(
        shape: impl Into<Vec<usize>>,
        values: impl IntoIterator<Item = S>,
    ) -> Result<Tensor, TensorError> {
        let values: Vec<Vec<u8>> = values.into_iter().map(|s| s.as_ref().to_vec()).collect();
        Tensor::from_vec(shape, values)
    }

    /// A tensor of `shape` filled with zeros (false, empty strings).
    pub fn zeros(dtype: DType, shape: impl Into<Vec<usize>>) -> Result<Tensor, TensorError> {
        let shape = shape.into();
        let n = element_count(&shape)?;
        let storage = match dtype {
            DType::F32 => f32::into_storage(vec![0.0; n]),
            DType::F64 => f64::into_storage(vec![0.0; n]),
            DType::F16 => f16::into_storage(vec![f16::ZERO; n]),
            DType::BF16 => bf16::into_storage(vec![bf16::ZERO; n]),
            DType::I8 => i8::into_storage(vec![0; n]),
            DType::I16 => i16::into_storage(vec![0; n]),
            DType::I32 => i32::into_storage(vec![0; n]),
            DType::I64 => i64::into_storage(vec![0; n]),
            DType::U8 => u8::into_storage(vec![0; n]),
            DType::U16 => u16::into_storage(vec![0; n]),
            DType::U32 => u32::into_storage(vec![0; n]),
            DType::U64 => u64::into_storage(vec![0; n]),
            DType::Bool => bool::into_storage(vec![false; n]),
            DType::String => <Vec<u8>>::into_storage(vec![Vec::new(); n]),
            DType::C64 => Complex32::into_storage(vec![Complex32::new(0.0, 0.0); n]),
            DType::C128 => Complex64::into_storage(vec![Complex64::new(0.0, 0.0); n]),
        };
        Ok(Tensor { shape, storage })
    }

    /// Decodes little-endian raw elements (TensorFlow's `tensor_content` and
    /// checkpoint layout). Booleans are one byte each, non-zero meaning true.
    pub fn from_le_bytes(
        dtype: DType,
        shape: impl Into<Vec<usize>>,
        bytes: &[u8],
    ) -> Result<Tensor, TensorError> {
        let shape = shape.into();
        let n = element_count(&shape)?;
        let size = dtype.size_of().unwrap_or(0);
        let expected = n
            .checked_mul(size)
            .ok_or_else(|| TensorError::TooLarge(shape.clone()))?;
        if dtype == DType::String || expected != bytes.len() {
            return Err(TensorError::ByteCount {
                dtype,
                shape,
                expected,
                actual: bytes.len(),
            });
        }
        fn decode<T, const N: usize>(bytes: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
            bytes
                .chunks_exact(N)
                .map(|c| {
                    let mut a = [0u8; N];
                    a.copy_from_slice(c);
                    f(a)
                })
                .collect()
        }
        let storage = match dtype {
            DType::F32 => f32::into_storage(decode(bytes, f32::from_le_bytes)),
            DType::F64 => f64::into_storage(decode(bytes, f64::from_le_bytes)),
            DType::F16 => f16::into_storage(decode(bytes, f16::from_le_bytes)),
            DType::BF16 => bf16::into_storage(decode(bytes, bf16::from_le_bytes)),
            DType::I8 => i8::into_storage(decode(bytes, i8::from_le_bytes)),
            DType::I16 => i16::into_storage(decode(bytes, i16::from_le_bytes)),
            DType::I32 => i32::into_storage(decode(bytes, i32::from_le_bytes)),
            DType::I64 => i64::into_storage(decode(bytes, i64::from_le_bytes)),
            DType::U8 => u8::into_storage(bytes.to_vec()),
            DType::U16 => u16::into_storage(decode(bytes, u16::from_le_bytes)),
            DType::U32 => u32::into_storage(decode(bytes, u32::from_le_bytes)),
            DType::U64 => u64::into_storage(decode(bytes, u64::from_le_bytes)),
            DType::Bool => bool::into_storage(bytes.iter().map(|&b| b != 0).collect()),
            DType::C64 => Complex32::into_storage(decode(bytes, |b: [u8; 8]| {
                let (re, im) = split_pair::<4>(&b);
                Complex32::new(f32::from_le_bytes(re), f32::from_le_bytes(im))
            })),
            DType::C128 => Complex64::into_storage(decode(bytes, |b: [u8; 16]| {
                let (re, im) = split_pair::<8>(&b);
                Complex64::new(f64::from_le_bytes(re), f64::from_le_bytes(im))
            })),
            DType::String => unreachable_string(),
        };
        Ok(Tensor { shape, storage })
    }

    /// The raw little-endian bytes of a numeric tensor (`None` for strings).
    pub fn to_le_bytes(&self) -> Option<Vec<u8>> {
        fn enc<T: Copy, const N: usize>(v: &[T], f: impl Fn(T) -> [u8; N]) -> Vec<u8> {
            v.iter().flat_map(|&x| f(x)).collect()
        }
        Some(match &self.storage {
            Storage::F32(v) => enc(v, f32::to_le_bytes),
            Storage::F64(v) => enc(v, f64::to_le_bytes),
            Storage::F16(v) => enc(v, f16::to_le_bytes),
            Storage::BF16(v) => enc(v, bf16::to_le_bytes),
            Storage::I8(v) => enc(v, i8::to_le_bytes),
            Storage::I16(v) => enc(v, i16::to_le_bytes),
            Storage::I32(v) => enc(v, i32::to_le_bytes),
            Storage::I64(v) => enc(v, i64::to_le_bytes),
            Storage::U8(v) => v.to_vec(),
            Storage::U16(v) => enc(v, u16::to_le_bytes),
            Storage::U32(v) => enc(v, u32::to_le_bytes),
            Storage::U64(v) => enc(v, u64::to_le_bytes),
            Storage::Bool(v) => v.iter().map(|&b| u8::from(b)).collect(),
            Storage::C64(v) => v
                .iter()
                .flat_map(|c| c.re.to_le_bytes().into_iter().chain(c.im.to_le_bytes()))
                .collect(),
            Storage::C128(v) => v
                .iter()
                .flat_map(|c| c.re.to_le_bytes().into_iter().chain(c.im.to_le_bytes()))
                .collect(),
            Storage::String(_) => return None,
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.storage.dtype()
    }

    /// The dimensions, outermost first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        self.storage.len()
    }

    /// True when the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.storage.is_empty()
    }

    /// The underlying storage.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Takes the storage out.
    pub fn into_storage(self) -> Storage {
        self.storage
    }

    /// The elements as a typed slice.
    pub fn as_slice<T: Element>(&self) -> Result<&[T], TensorError> {
        T::slice(&self.storage).ok_or(TensorError::DType {
            expected: T::DTYPE,
            actual: self.dtype(),
        })
    }

    /// The elements as a mutable typed slice (copies a shared buffer first).
    pub fn as_mut_slice<T: Element>(&mut self) -> Result<&mut [T], TensorError> {
        let actual = self.dtype();
        T::slice_mut(&mut self.storage).ok_or(TensorError::DType {
            expected: T::DTYPE,
            actual,
        })
    }

    /// The elements as a mutable typed slice if this tensor is the only
    /// owner of its buffer (no copy is ever made); `None` when the buffer is
    /// shared or the dtype differs. Ops use it to write their result over an
    /// input whose last use they are.
    pub fn exclusive_slice_mut<T: Element>(&mut self) -> Option<&mut [T]> {
        if self.storage.is_exclusive() {
            T::slice_mut(&mut self.storage)
        } else {
            None
        }
    }

    /// The same elements under another shape of equal element count.
    pub fn reshape(&self, shape: impl Into<Vec<usize>>) -> Result<Tensor, TensorError> {
        Tensor::from_storage(shape, self.storage.clone())
    }

    /// True when both tensors share one buffer (no copy was made).
    pub fn shares_buffer_with(&self, other: &Tensor) -> bool {
        fn ptr(s: &Storage) -> *const u8 {
            dispatch_storage!(s, v => Arc::as_ptr(v) as *const u8)
        }
        ptr(&self.storage) == ptr(&other.storage)
    }
}

fn split_pair<const N: usize>(bytes: &[u8]) -> ([u8; N], [u8; N]) {
    let mut re = [0u8; N];
    let mut im = [0u8; N];
    re.copy_from_slice(&bytes[..N]);
    im.copy_from_slice(&bytes[N..2 * N]);
    (re, im)
}

fn unreachable_string() -> Storage {
    // `from_le_bytes` returns early for strings; keep the match total.
    <Vec<u8>>::into_storage(Vec::new())
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        write!(f, "Tensor<{}>{:?} ", self.dtype(), self.shape)?;
        dispatch_storage!(&self.storage, v => {
            let head: Vec<_> = v.iter().take(SHOWN).collect();
            if v.len() > SHOWN {
                write!(f, "{head:?}...")
            } else {
                write!(f, "{head:?}")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_element_count() {
        assert!(Tensor::from_vec([2, 2], vec![1f32, 2., 3.]).is_err());
        let t = Tensor::from_vec([2, 2], vec![1f32, 2., 3., 4.]).unwrap();
        assert_eq!(t.shape(), &[2, 2]);
        assert_eq!(t.as_slice::<f32>().unwrap(), &[1., 2., 3., 4.]);
        assert!(t.as_slice::<i32>().is_err());
    }

    #[test]
    fn le_bytes_round_trip_every_numeric_dtype() {
        for dtype in DType::ALL {
            let Some(size) = dtype.size_of() else {
                continue;
            };
            let bytes: Vec<u8> = (0..size * 3).map(|i| (i % 2) as u8).collect();
            let t = Tensor::from_le_bytes(dtype, [3], &bytes).unwrap();
            assert_eq!(t.dtype(), dtype);
            assert_eq!(t.to_le_bytes().unwrap(), bytes, "{dtype}");
        }
    }

    #[test]
    fn overflowing_shape_is_an_error() {
        assert!(Tensor::zeros(DType::F32, [usize::MAX, 2]).is_err());
    }

    #[test]
    fn clones_share_and_mutation_copies() {
        let a = Tensor::from_vec([2], vec![1i32, 2]).unwrap();
        let mut b = a.clone();
        assert!(a.shares_buffer_with(&b));
        b.as_mut_slice::<i32>().unwrap()[0] = 9;
        assert_eq!(a.as_slice::<i32>().unwrap(), &[1, 2]);
        assert!(!a.shares_buffer_with(&b));
    }
}
