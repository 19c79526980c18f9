//! The element conversions of TF `Cast` (`SrcT` → `DstT`) between every
//! real dtype, bool and complex64/complex128, as TF's CPU kernel does them:
//!
//! * integer → integer wraps (keeps the low bits); integer and double →
//!   float round to nearest, directly (no double rounding through f64);
//! * float → integer truncates toward zero (out-of-range values are C++
//!   undefined behaviour in TF and vary with the CPU; here they saturate);
//! * → float16/bfloat16 goes through float32 first, as Eigen's `half` and
//!   `bfloat16` constructors do, so double → half can round twice;
//! * → bool is `x != 0` (NaN is true); complex → bool and complex → real
//!   look at the real part only; real → complex has a zero imaginary part.

use savedmodel_tensor::{bf16, f16, Complex32, Complex64, DType, Element, Storage, Tensor};

/// A source element reduced to what a conversion needs: an exact integer or
/// a float at its own precision.
#[derive(Clone, Copy)]
enum Wide {
    Int(i128),
    F32(f32),
    F64(f64),
}

trait Source: Copy {
    /// The value (the real part for complex).
    fn wide(self) -> Wide;
    /// The imaginary part, for complex destinations.
    fn imag(self) -> Wide {
        Wide::Int(0)
    }
}

trait Dest: Element + Sized {
    fn from_wide(v: Wide) -> Self;
    /// From a (real, imaginary) pair; real destinations keep the real part.
    fn from_parts(re: Wide, _im: Wide) -> Self {
        Self::from_wide(re)
    }
}

macro_rules! int_source {
    ($($t:ty),*) => {$(
        impl Source for $t {
            #[inline]
            fn wide(self) -> Wide { Wide::Int(i128::from(self)) }
        }
    )*};
}
int_source!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Source for bool {
    #[inline]
    fn wide(self) -> Wide {
        Wide::Int(i128::from(u8::from(self)))
    }
}
impl Source for f32 {
    #[inline]
    fn wide(self) -> Wide {
        Wide::F32(self)
    }
}
impl Source for f64 {
    #[inline]
    fn wide(self) -> Wide {
        Wide::F64(self)
    }
}
impl Source for f16 {
    #[inline]
    fn wide(self) -> Wide {
        Wide::F32(self.to_f32())
    }
}
impl Source for bf16 {
    #[inline]
    fn wide(self) -> Wide {
        Wide::F32(self.to_f32())
    }
}
impl Source for Complex32 {
    #[inline]
    fn wide(self) -> Wide {
        Wide::F32(self.re)
    }
    #[inline]
    fn imag(self) -> Wide {
        Wide::F32(self.im)
    }
}
impl Source for Complex64 {
    #[inline]
    fn wide(self) -> Wide {
        Wide::F64(self.re)
    }
    #[inline]
    fn imag(self) -> Wide {
        Wide::F64(self.im)
    }
}

macro_rules! int_dest {
    ($($t:ty),*) => {$(
        impl Dest for $t {
            #[inline]
            fn from_wide(v: Wide) -> Self {
                match v {
                    // `as` from i128 keeps the low bits: C++'s wrap-around.
                    Wide::Int(i) => i as $t,
                    Wide::F32(f) => f as $t,
                    Wide::F64(f) => f as $t,
                }
            }
        }
    )*};
}
int_dest!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Dest for f32 {
    #[inline]
    fn from_wide(v: Wide) -> Self {
        match v {
            Wide::Int(i) => i as f32,
            Wide::F32(f) => f,
            Wide::F64(f) => f as f32,
        }
    }
}
impl Dest for f64 {
    #[inline]
    fn from_wide(v: Wide) -> Self {
        match v {
            Wide::Int(i) => i as f64,
            Wide::F32(f) => f64::from(f),
            Wide::F64(f) => f,
        }
    }
}
impl Dest for f16 {
    #[inline]
    fn from_wide(v: Wide) -> Self {
        f16::from_f32(f32::from_wide(v))
    }
}
impl Dest for bf16 {
    #[inline]
    fn from_wide(v: Wide) -> Self {
        bf16::from_f32(f32::from_wide(v))
    }
}
impl Dest for bool {
    #[inline]
    fn from_wide(v: Wide) -> Self {
        match v {
            Wide::Int(i) => i != 0,
            Wide::F32(f) => f != 0.0,
            Wide::F64(f) => f != 0.0,
        }
    }
}
impl Dest for Complex32 {
    #[inline]
    fn from_wide(v: Wide) -> Self {
        Complex32::new(f32::from_wide(v), 0.0)
    }
    #[inline]
    fn from_parts(re: Wide, im: Wide) -> Self {
        Complex32::new(f32::from_wide(re), f32::from_wide(im))
    }
}
impl Dest for Complex64 {
    #[inline]
    fn from_wide(v: Wide) -> Self {
        Complex64::new(f64::from_wide(v), 0.0)
    }
    #[inline]
    fn from_parts(re: Wide, im: Wide) -> Self {
        Complex64::new(f64::from_wide(re), f64::from_wide(im))
    }
}

fn convert<S: Source, D: Dest>(values: &[S], shape: &[usize]) -> Result<Tensor, String> {
    let out: Vec<D> = values
        .iter()
        .map(|&v| D::from_parts(v.wide(), v.imag()))
        .collect();
    Tensor::from_vec(shape.to_vec(), out).map_err(|e| e.to_string())
}

fn to_dest<S: Source>(values: &[S], shape: &[usize], to: DType) -> Result<Tensor, String> {
    match to {
        DType::F32 => convert::<S, f32>(values, shape),
        DType::F64 => convert::<S, f64>(values, shape),
        DType::F16 => convert::<S, f16>(values, shape),
        DType::BF16 => convert::<S, bf16>(values, shape),
        DType::I8 => convert::<S, i8>(values, shape),
        DType::I16 => convert::<S, i16>(values, shape),
        DType::I32 => convert::<S, i32>(values, shape),
        DType::I64 => convert::<S, i64>(values, shape),
        DType::U8 => convert::<S, u8>(values, shape),
        DType::U16 => convert::<S, u16>(values, shape),
        DType::U32 => convert::<S, u32>(values, shape),
        DType::U64 => convert::<S, u64>(values, shape),
        DType::Bool => convert::<S, bool>(values, shape),
        DType::C64 => convert::<S, Complex32>(values, shape),
        DType::C128 => convert::<S, Complex64>(values, shape),
        DType::String => Err("Cast to string is not supported (use AsString)".into()),
    }
}

/// Casts a tensor to `to` (a clone when it already has that dtype).
pub fn cast(a: &Tensor, to: DType) -> Result<Tensor, String> {
    if a.dtype() == to {
        return Ok(a.clone());
    }
    let shape = a.shape();
    match a.storage() {
        Storage::F32(v) => to_dest(v, shape, to),
        Storage::F64(v) => to_dest(v, shape, to),
        Storage::F16(v) => to_dest(v, shape, to),
        Storage::BF16(v) => to_dest(v, shape, to),
        Storage::I8(v) => to_dest(v, shape, to),
        Storage::I16(v) => to_dest(v, shape, to),
        Storage::I32(v) => to_dest(v, shape, to),
        Storage::I64(v) => to_dest(v, shape, to),
        Storage::U8(v) => to_dest(v, shape, to),
        Storage::U16(v) => to_dest(v, shape, to),
        Storage::U32(v) => to_dest(v, shape, to),
        Storage::U64(v) => to_dest(v, shape, to),
        Storage::Bool(v) => to_dest(v, shape, to),
        Storage::C64(v) => to_dest(v, shape, to),
        Storage::C128(v) => to_dest(v, shape, to),
        Storage::String(_) => Err(format!(
            "Cast from string to {to} is not supported (use StringToNumber)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast_vec<S: Element, D: Element + Clone>(values: Vec<S>) -> Vec<D> {
        let t = Tensor::from_vec([values.len()], values).unwrap();
        cast(&t, D::DTYPE)
            .unwrap()
            .as_slice::<D>()
            .unwrap()
            .to_vec()
    }

    #[test]
    fn integers_wrap_and_round_directly() {
        assert_eq!(cast_vec::<i64, i8>(vec![-200, 255, 256]), [56, -1, 0]);
        assert_eq!(cast_vec::<i32, u32>(vec![-1]), [u32::MAX]);
        // 2^62 + 2^38 + 1 rounds up when converted directly, but to even
        // (down) if it went through f64 first.
        let v = (1i64 << 62) + (1 << 38) + 1;
        assert_eq!(
            cast_vec::<i64, f32>(vec![v]),
            [((1u64 << 62) + (1 << 39)) as f32]
        );
    }

    #[test]
    fn half_goes_through_float() {
        // 1 + 2^-11 + 2^-30: above the f16 tie in f64, exactly on it in f32.
        let v = 1.0 + 2f64.powi(-11) + 2f64.powi(-30);
        assert_eq!(cast_vec::<f64, f16>(vec![v]), [f16::ONE]);
    }

    #[test]
    fn complex_uses_the_real_part() {
        let c = vec![Complex32::new(0.0, 1.0), Complex32::new(-2.5, 3.0)];
        assert_eq!(cast_vec::<Complex32, bool>(c.clone()), [false, true]);
        assert_eq!(cast_vec::<Complex32, i32>(c.clone()), [0, -2]);
        assert_eq!(
            cast_vec::<Complex32, Complex64>(c)[1],
            Complex64::new(-2.5, 3.0)
        );
        assert_eq!(
            cast_vec::<bool, Complex32>(vec![true]),
            [Complex32::new(1.0, 0.0)]
        );
    }
}
