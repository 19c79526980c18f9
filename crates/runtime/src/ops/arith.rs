//! Elementwise arithmetic shared by the math ops: one generic function per
//! operation family, dispatched once per call over the tensor's dtype.

use half::{bf16, f16};
use savedmodel_kernels::broadcast::{binary_map, unary_map};
use savedmodel_tensor::{Complex32, Complex64, DType, Element, Storage, Tensor};

/// Numbers the binary math ops accept.
pub trait Arith: Element + Copy + Default + Send + Sync + PartialOrd {
    /// `a + b` (wrapping for integers).
    fn add(a: Self, b: Self) -> Self;
    /// `a - b`.
    fn sub(a: Self, b: Self) -> Self;
    /// `a * b`.
    fn mul(a: Self, b: Self) -> Self;
    /// `a / b` (integers: truncating; division by zero is an error upstream).
    fn div(a: Self, b: Self) -> Self;
    /// Floor division.
    fn floor_div(a: Self, b: Self) -> Self;
    /// Division rounded toward zero (C++ `/` on integers, `trunc(a / b)` on floats).
    fn trunc_div(a: Self, b: Self) -> Self;
    /// Remainder with the sign of the dividend (C++ `%`, `fmod`).
    fn trunc_rem(a: Self, b: Self) -> Self;
    /// Floor modulo (sign of the divisor).
    fn floor_mod(a: Self, b: Self) -> Self;
    /// `a ** b`.
    fn pow(a: Self, b: Self) -> Self;
    /// True for zero.
    fn is_zero(a: Self) -> bool;
    /// Conversion from f64 (for casts and constants).
    fn from_f64(v: f64) -> Self;
    /// Conversion to f64.
    fn to_f64(self) -> f64;
}

macro_rules! float_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn add(a: Self, b: Self) -> Self { a + b }
            fn sub(a: Self, b: Self) -> Self { a - b }
            fn mul(a: Self, b: Self) -> Self { a * b }
            fn div(a: Self, b: Self) -> Self { a / b }
            fn floor_div(a: Self, b: Self) -> Self { (a / b).floor() }
            fn trunc_div(a: Self, b: Self) -> Self { (a / b).trunc() }
            fn trunc_rem(a: Self, b: Self) -> Self { a % b }
            fn floor_mod(a: Self, b: Self) -> Self {
                let r = a % b;
                if r != 0.0 && ((r < 0.0) != (b < 0.0)) { r + b } else { r }
            }
            fn pow(a: Self, b: Self) -> Self { a.powf(b) }
            fn is_zero(a: Self) -> bool { a == 0.0 }
            fn from_f64(v: f64) -> Self { v as $t }
            fn to_f64(self) -> f64 { self as f64 }
        }
    )*};
}
float_arith!(f32, f64);

macro_rules! half_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn add(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() + b.to_f32()) }
            fn sub(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() - b.to_f32()) }
            fn mul(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() * b.to_f32()) }
            fn div(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() / b.to_f32()) }
            fn floor_div(a: Self, b: Self) -> Self { <$t>::from_f32((a.to_f32() / b.to_f32()).floor()) }
            fn trunc_div(a: Self, b: Self) -> Self { <$t>::from_f32((a.to_f32() / b.to_f32()).trunc()) }
            fn trunc_rem(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() % b.to_f32()) }
            fn floor_mod(a: Self, b: Self) -> Self { <$t>::from_f32(f32::floor_mod(a.to_f32(), b.to_f32())) }
            fn pow(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32().powf(b.to_f32())) }
            fn is_zero(a: Self) -> bool { a.to_f32() == 0.0 }
            fn from_f64(v: f64) -> Self { <$t>::from_f64(v) }
            fn to_f64(self) -> f64 { self.to_f64() }
        }
    )*};
}
half_arith!(f16, bf16);

macro_rules! int_arith {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            fn add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            fn sub(a: Self, b: Self) -> Self { a.wrapping_sub(b) }
            fn mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
            fn div(a: Self, b: Self) -> Self { if b == 0 { 0 } else { a.wrapping_div(b) } }
            fn floor_div(a: Self, b: Self) -> Self {
                if b == 0 { return 0; }
                let q = a.wrapping_div(b);
                #[allow(unused_comparisons)]
                let adjust = (a % b != 0) && ((a < 0) != (b < 0));
                if adjust { q.wrapping_sub(1) } else { q }
            }
            fn trunc_div(a: Self, b: Self) -> Self { Self::div(a, b) }
            fn trunc_rem(a: Self, b: Self) -> Self { if b == 0 { 0 } else { a.wrapping_rem(b) } }
            fn floor_mod(a: Self, b: Self) -> Self {
                if b == 0 { return 0; }
                let r = a.wrapping_rem(b);
                #[allow(unused_comparisons)]
                let adjust = r != 0 && ((r < 0) != (b < 0));
                if adjust { r.wrapping_add(b) } else { r }
            }
            fn pow(a: Self, b: Self) -> Self {
                #[allow(unused_comparisons)]
                if b < 0 { return 0; }
                let mut result: $t = 1;
                let mut base = a;
                let mut e = b;
                while e > 0 {
                    if e & 1 == 1 { result = result.wrapping_mul(base); }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                result
            }
            fn is_zero(a: Self) -> bool { a == 0 }
            fn from_f64(v: f64) -> Self { v as $t }
            fn to_f64(self) -> f64 { self as f64 }
        }
    )*};
}
int_arith!(i8, i16, i32, i64, u8, u16, u32, u64);

/// Complex numbers (complex64, complex128). The math ops compute in
/// complex128 and round once, as the real ops compute in f64.
pub trait Cplx: Element + Copy + Default + Send + Sync + PartialEq {
    /// Widens to complex128.
    fn wide(self) -> Complex64;
    /// Rounds from complex128.
    fn narrow(v: Complex64) -> Self;
}

impl Cplx for Complex32 {
    fn wide(self) -> Complex64 {
        Complex64::new(f64::from(self.re), f64::from(self.im))
    }
    fn narrow(v: Complex64) -> Self {
        Complex32::new(v.re as f32, v.im as f32)
    }
}

impl Cplx for Complex64 {
    fn wide(self) -> Complex64 {
        self
    }
    fn narrow(v: Complex64) -> Self {
        v
    }
}

/// Dispatches `$f::<C>($args)` over complex64 and complex128.
#[macro_export]
macro_rules! complex_dispatch {
    ($dtype:expr, $f:ident, $($args:expr),*) => {
        match $dtype {
            savedmodel_tensor::DType::C64 => $f::<savedmodel_tensor::Complex32>($($args),*),
            savedmodel_tensor::DType::C128 => $f::<savedmodel_tensor::Complex64>($($args),*),
            other => Err(format!("dtype {other} is not supported here")),
        }
    };
}

/// Dispatches `$f::<T>($args)` over the real numeric dtypes of `$t`.
#[macro_export]
macro_rules! real_dispatch {
    ($dtype:expr, $f:ident, $($args:expr),*) => {
        match $dtype {
            savedmodel_tensor::DType::F32 => $f::<f32>($($args),*),
            savedmodel_tensor::DType::F64 => $f::<f64>($($args),*),
            savedmodel_tensor::DType::F16 => $f::<half::f16>($($args),*),
            savedmodel_tensor::DType::BF16 => $f::<half::bf16>($($args),*),
            savedmodel_tensor::DType::I8 => $f::<i8>($($args),*),
            savedmodel_tensor::DType::I16 => $f::<i16>($($args),*),
            savedmodel_tensor::DType::I32 => $f::<i32>($($args),*),
            savedmodel_tensor::DType::I64 => $f::<i64>($($args),*),
            savedmodel_tensor::DType::U8 => $f::<u8>($($args),*),
            savedmodel_tensor::DType::U16 => $f::<u16>($($args),*),
            savedmodel_tensor::DType::U32 => $f::<u32>($($args),*),
            savedmodel_tensor::DType::U64 => $f::<u64>($($args),*),
            other => Err(format!("dtype {other} is not supported here")),
        }
    };
}

/// Dispatches `$f::<T>($args)` over the real and complex dtypes.
#[macro_export]
macro_rules! numeric_dispatch {
    ($dtype:expr, $f:ident, $($args:expr),*) => {
        match $dtype {
            savedmodel_tensor::DType::C64 => $f::<savedmodel_tensor::Complex32>($($args),*),
            savedmodel_tensor::DType::C128 => $f::<savedmodel_tensor::Complex64>($($args),*),
            other => $crate::real_dispatch!(other, $f, $($args),*),
        }
    };
}

/// Elementwise `f(a, b)` with broadcasting, both of type `T`.
pub fn zip<T: Arith, R: Element + Default + Send>(
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(T, T) -> R + Sync,
) -> Result<Tensor, String> {
    if a.dtype() != b.dtype() {
        return Err(format!(
            "operands have different dtypes: {} and {}",
            a.dtype(),
            b.dtype()
        ));
    }
    let x = a.as_slice::<T>().map_err(|e| e.to_string())?;
    let y = b.as_slice::<T>().map_err(|e| e.to_string())?;
    let (values, shape) = binary_map(x, a.shape(), y, b.shape(), f).map_err(|e| e.to_string())?;
    Tensor::from_vec(shape, values).map_err(|e| e.to_string())
}

/// Elementwise `f(a)`.
pub fn map<T: Element + Copy + Sync, R: Element + Send>(
    a: &Tensor,
    f: impl Fn(T) -> R + Sync + Send,
) -> Result<Tensor, String> {
    let x = a.as_slice::<T>().map_err(|e| e.to_string())?;
    Tensor::from_vec(a.shape().to_vec(), unary_map(x, f)).map_err(|e| e.to_string())
}

fn add_t<T: Arith>(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    zip::<T, T>(a, b, T::add)
}

fn sub_t<T: Arith>(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    zip::<T, T>(a, b, T::sub)
}

/// `a + b` for any real dtype (and complex).
pub fn add(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    match a.dtype() {
        DType::C64 => zip_complex::<Complex32, _>(a, b, |x, y| x + y),
        DType::C128 => zip_complex::<Complex64, _>(a, b, |x, y| x + y),
        DType::String => {
            let x = a.as_slice::<Vec<u8>>().map_err(|e| e.to_string())?;
            let y = b.as_slice::<Vec<u8>>().map_err(|e| e.to_string())?;
            let (values, shape) = binary_map(
                &indices(x.len()),
                a.shape(),
                &indices(y.len()),
                b.shape(),
                |i: usize, j: usize| {
                    let mut s = x.get(i).cloned().unwrap_or_default();
                    s.extend_from_slice(y.get(j).map_or(&[][..], Vec::as_slice));
                    s
                },
            )
            .map_err(|e| e.to_string())?;
            Tensor::from_vec(shape, values).map_err(|e| e.to_string())
        }
        d => real_dispatch!(d, add_t, a, b),
    }
}

/// `a - b` for any real or complex dtype.
pub fn sub(a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    match a.dtype() {
        DType::C64 => zip_complex::<Complex32, _>(a, b, |x, y| x - y),
        DType::C128 => zip_complex::<Complex64, _>(a, b, |x, y| x - y),
        d => real_dispatch!(d, sub_t, a, b),
    }
}

fn indices(n: usize) -> Vec<usize> {
    (0..n).collect()
}

/// Elementwise complex `f(a, b)` with broadcasting.
pub fn zip_complex<C: Element + Copy + Default + Send + Sync, R: Element + Default + Send>(
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(C, C) -> R + Sync,
) -> Result<Tensor, String> {
    if a.dtype() != b.dtype() {
        return Err(format!(
            "operands have different dtypes: {} and {}",
            a.dtype(),
            b.dtype()
        ));
    }
    let x = a.as_slice::<C>().map_err(|e| e.to_string())?;
    let y = b.as_slice::<C>().map_err(|e| e.to_string())?;
    let (values, shape) = binary_map(x, a.shape(), y, b.shape(), f).map_err(|e| e.to_string())?;
    Tensor::from_vec(shape, values).map_err(|e| e.to_string())
}

/// A tensor's elements converted to f64 (real dtypes and bool).
pub fn to_f64_vec(t: &Tensor) -> Result<Vec<f64>, String> {
    fn conv<T: Arith>(t: &Tensor) -> Result<Vec<f64>, String> {
        Ok(t.as_slice::<T>()
            .map_err(|e| e.to_string())?
            .iter()
            .map(|&v| v.to_f64())
            .collect())
    }
    match t.storage() {
        Storage::Bool(v) => Ok(v.iter().map(|&b| f64::from(u8::from(b))).collect()),
        _ => real_dispatch!(t.dtype(), conv, t),
    }
}

/// Integer elements of an index/shape tensor (int32 or int64) as i64.
pub fn to_i64_vec(t: &Tensor) -> Result<Vec<i64>, String> {
    match t.storage() {
        Storage::I32(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
        Storage::I64(v) => Ok(v.to_vec()),
        Storage::U8(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
        Storage::I16(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
        Storage::U32(v) => Ok(v.iter().map(|&x| i64::from(x)).collect()),
        _ => Err(format!(
            "expected an int32 or int64 tensor, got {}",
            t.dtype()
        )),
    }
}
