//! Elementwise math. Binary (with numpy broadcasting): Add, AddV2, Sub, Mul,
//! RealDiv, Div, DivNoNan, FloorDiv, FloorMod, Mod, TruncateDiv,
//! TruncateMod, Pow, Maximum, Minimum, SquaredDifference, Atan2,
//! comparisons, LogicalAnd/Or. Plus Cast (conversions in
//! [`crate::ops::cast`]), Select/SelectV2, AddN, ClipByValue.
//!
//! Real dtypes (f32, f64, f16, bf16, ints) where TF has them; Add on
//! strings; complex64/128 for Add, Sub, Mul, Div, DivNoNan, Pow,
//! SquaredDifference (`|x - y|²`), Equal, NotEqual, Select and ClipByValue
//! (real and imaginary parts clipped separately). Integer Div, TruncateDiv,
//! TruncateMod, FloorDiv and FloorMod by zero are errors, as is an integer
//! Pow with a negative exponent. TruncateDiv on floats is `trunc(x / y)`,
//! TruncateMod `fmod`; Maximum/Minimum propagate NaN; ClipByValue is
//! `max(min(t, hi), lo)`. Unary functions are in [`crate::ops::unary`].

use savedmodel_kernels::broadcast::ternary_map;
use savedmodel_tensor::{Complex32, Complex64, DType, Tensor};

use crate::epilogue::{self, Epilogue};
use crate::op::{input, one, Op, OpContext};
use crate::ops::arith::{self, zip, zip_complex, Arith, Cplx};
use crate::registry::Registry;
use crate::value::Value;
use crate::{complex_dispatch, real_dispatch};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    DivNoNan,
    FloorDiv,
    FloorMod,
    TruncateDiv,
    TruncateMod,
    Pow,
    Max,
    Min,
    SqDiff,
    Atan2,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Equal,
    NotEqual,
    And,
    Or,
}

#[derive(Debug)]
struct Binary {
    kind: Bin,
    name: &'static str,
}

/// Integer division and remainder by zero are errors in TF (floats give inf/NaN).
fn check_divisor<T: Arith>(b: &Tensor) -> Result<(), String> {
    let divisors = b.as_slice::<T>().map_err(|e| e.to_string())?;
    if T::DTYPE.is_integer() && divisors.iter().any(|&v| T::is_zero(v)) {
        return Err("integer division by zero".into());
    }
    Ok(())
}

/// `Maximum`/`Minimum`: a NaN operand wins (TF propagates NaN).
fn pick<T: Arith>(x: T, y: T, take_y: bool) -> T {
    if x.partial_cmp(&x).is_none() {
        x
    } else if y.partial_cmp(&y).is_none() || take_y {
        y
    } else {
        x
    }
}

fn binary_t<T: Arith>(kind: Bin, a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    match kind {
        Bin::Add => zip::<T, T>(a, b, T::add),
        Bin::Sub => zip::<T, T>(a, b, T::sub),
        Bin::Mul => zip::<T, T>(a, b, T::mul),
        Bin::Div => {
            check_divisor::<T>(b)?;
            zip::<T, T>(a, b, T::div)
        }
        Bin::TruncateDiv => {
            check_divisor::<T>(b)?;
            zip::<T, T>(a, b, T::trunc_div)
        }
        Bin::TruncateMod => {
            check_divisor::<T>(b)?;
            zip::<T, T>(a, b, T::trunc_rem)
        }
        Bin::DivNoNan => zip::<T, T>(a, b, |x, y| {
            if T::is_zero(y) {
                T::default()
            } else {
                T::div(x, y)
            }
        }),
        Bin::FloorDiv => {
            check_divisor::<T>(b)?;
            zip::<T, T>(a, b, T::floor_div)
        }
        Bin::FloorMod => {
            check_divisor::<T>(b)?;
            zip::<T, T>(a, b, T::floor_mod)
        }
        Bin::Pow => {
            let exponents = b.as_slice::<T>().map_err(|e| e.to_string())?;
            if T::DTYPE.is_integer() && exponents.iter().any(|&v| v < T::default()) {
                return Err("integers to negative integer powers are not allowed".into());
            }
            zip::<T, T>(a, b, T::pow)
        }
        Bin::Max => zip::<T, T>(a, b, |x, y| pick(x, y, y > x)),
        Bin::Min => zip::<T, T>(a, b, |x, y| pick(x, y, y < x)),
        Bin::SqDiff => zip::<T, T>(a, b, |x, y| {
            let d = T::sub(x, y);
            T::mul(d, d)
        }),
        Bin::Atan2 => zip::<T, T>(a, b, |y, x| T::from_f64(y.to_f64().atan2(x.to_f64()))),
        Bin::Less => zip::<T, bool>(a, b, |x, y| x < y),
        Bin::LessEq => zip::<T, bool>(a, b, |x, y| x <= y),
        Bin::Greater => zip::<T, bool>(a, b, |x, y| x > y),
        Bin::GreaterEq => zip::<T, bool>(a, b, |x, y| x >= y),
        Bin::Equal => zip::<T, bool>(a, b, |x, y| x == y),
        Bin::NotEqual => zip::<T, bool>(a, b, |x, y| x != y),
        Bin::And | Bin::Or => Err("logical ops need bool operands".into()),
    }
}

/// The complex binary ops, computed in complex128 and rounded once.
fn binary_complex<C: Cplx>(kind: Bin, a: &Tensor, b: &Tensor) -> Result<Tensor, String> {
    let f = |g: fn(Complex64, Complex64) -> Complex64| {
        zip_complex::<C, C>(a, b, move |x, y| C::narrow(g(x.wide(), y.wide())))
    };
    match kind {
        Bin::Add => f(|x, y| x + y),
        Bin::Sub => f(|x, y| x - y),
        Bin::Mul => f(|x, y| x * y),
        Bin::Div => f(|x, y| x / y),
        Bin::DivNoNan => f(|x, y| if y == Complex64::ZERO { y } else { x / y }),
        Bin::Pow => f(|x, y| x.powc(y)),
        // TF: conj(x - y) * (x - y), a real value held in a complex.
        Bin::SqDiff => f(|x, y| Complex64::from((x - y).norm_sqr())),
        Bin::Equal => zip_complex::<C, bool>(a, b, |x, y| x == y),
        Bin::NotEqual => zip_complex::<C, bool>(a, b, |x, y| x != y),
        other => Err(format!("{other:?} is not defined for {}", C::DTYPE)),
    }
}

impl Binary {
    /// The in-place epilogue form of this op (f32 Add, Sub, Mul, Div).
    fn epilogue(&self) -> Option<Epilogue> {
        Some(match self.kind {
            Bin::Add => Epilogue::Add,
            Bin::Sub => Epilogue::Sub,
            Bin::Mul => Epilogue::Mul,
            Bin::Div => Epilogue::Div,
            _ => return None,
        })
    }
}

/// Writes `a op b` over whichever f32 operand nothing else holds and whose
/// shape is the result's (the other one equal, a scalar or one value per
/// channel); `None` when neither qualifies. Same IEEE operations as the
/// allocating path, so the same bits.
fn in_place_f32(step: Epilogue, args: &mut [Value]) -> Option<Tensor> {
    let [Value::Tensor(a), Value::Tensor(b)] = args else {
        return None;
    };
    if a.dtype() != DType::F32 || b.dtype() != DType::F32 {
        return None;
    }
    if a.storage().is_exclusive() && epilogue::apply(a, &[(step, Some(&*b))]) {
        return Some(a.clone());
    }
    let swapped = step.with_chain_at(1)?;
    if b.storage().is_exclusive() && epilogue::apply(b, &[(swapped, Some(&*a))]) {
        return Some(b.clone());
    }
    None
}

impl Op for Binary {
    fn name(&self) -> &'static str {
        self.name
    }
    fn eval_owned(&self, ctx: &OpContext<'_>, args: &mut Vec<Value>) -> Result<Vec<Value>, String> {
        if let Some(out) = self.epilogue().and_then(|step| in_place_f32(step, args)) {
            return one(out);
        }
        self.eval(ctx, args)
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (a, b) = (input(inputs, 0)?, input(inputs, 1)?);
        let dtype = a.dtype();
        let out = match (self.kind, dtype) {
            (Bin::And, DType::Bool) => zip_bool(a, b, |x, y| x && y)?,
            (Bin::Or, DType::Bool) => zip_bool(a, b, |x, y| x || y)?,
            (Bin::Equal | Bin::NotEqual, DType::Bool) => {
                let ne = self.kind == Bin::NotEqual;
                zip_bool(a, b, move |x, y| (x == y) != ne)?
            }
            (Bin::Equal | Bin::NotEqual, DType::String) => {
                let ne = self.kind == Bin::NotEqual;
                let x = a.as_slice::<Vec<u8>>().map_err(|e| e.to_string())?;
                let y = b.as_slice::<Vec<u8>>().map_err(|e| e.to_string())?;
                let ix: Vec<usize> = (0..x.len()).collect();
                let iy: Vec<usize> = (0..y.len()).collect();
                let (v, s) = savedmodel_kernels::broadcast::binary_map(
                    &ix,
                    a.shape(),
                    &iy,
                    b.shape(),
                    |i, j| (x.get(i) == y.get(j)) != ne,
                )
                .map_err(|e| e.to_string())?;
                Tensor::from_vec(s, v).map_err(|e| e.to_string())?
            }
            (Bin::Add, DType::String) => arith::add(a, b)?,
            (kind, DType::C64) => binary_complex::<Complex32>(kind, a, b)?,
            (kind, DType::C128) => binary_complex::<Complex64>(kind, a, b)?,
            (kind, d) => real_dispatch!(d, binary_t, kind, a, b)?,
        };
        one(out)
    }
}

fn zip_bool(
    a: &Tensor,
    b: &Tensor,
    f: impl Fn(bool, bool) -> bool + Sync,
) -> Result<Tensor, String> {
    let x = a.as_slice::<bool>().map_err(|e| e.to_string())?;
    let y = b.as_slice::<bool>().map_err(|e| e.to_string())?;
    let (v, s) = savedmodel_kernels::broadcast::binary_map(x, a.shape(), y, b.shape(), f)
        .map_err(|e| e.to_string())?;
    Tensor::from_vec(s, v).map_err(|e| e.to_string())
}

/// `Cast` between any real, bool and complex dtypes; see [`crate::ops::cast`].
#[derive(Debug)]
struct Cast {
    to: DType,
}

pub use crate::ops::cast::cast;

impl Op for Cast {
    fn name(&self) -> &'static str {
        "Cast"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        one(cast(input(inputs, 0)?, self.to)?)
    }
}

/// `Select` (TF1: rank-1 condition selects rows) and `SelectV2` (broadcasting).
#[derive(Debug)]
struct Select {
    v2: bool,
}

fn select_t<T: savedmodel_tensor::Element + Copy + Default + Send + Sync>(
    c: &Tensor,
    x: &Tensor,
    y: &Tensor,
) -> Result<Tensor, String> {
    let cond = c.as_slice::<bool>().map_err(|e| e.to_string())?;
    let a = x.as_slice::<T>().map_err(|e| e.to_string())?;
    let b = y.as_slice::<T>().map_err(|e| e.to_string())?;
    let (v, s) = ternary_map(cond, c.shape(), a, x.shape(), b, y.shape(), |c, a, b| {
        if c {
            a
        } else {
            b
        }
    })
    .map_err(|e| e.to_string())?;
    Tensor::from_vec(s, v).map_err(|e| e.to_string())
}

impl Op for Select {
    fn name(&self) -> &'static str {
        "SelectV2"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (c, x, y) = (input(inputs, 0)?, input(inputs, 1)?, input(inputs, 2)?);
        let c = if !self.v2 && c.rank() == 1 && x.rank() > 1 {
            let mut shape = vec![1; x.rank()];
            shape[0] = c.len();
            c.reshape(shape).map_err(|e| e.to_string())?
        } else {
            c.clone()
        };
        let out = match x.dtype() {
            DType::Bool => select_t::<bool>(&c, x, y)?,
            DType::C64 => select_t::<Complex32>(&c, x, y)?,
            DType::C128 => select_t::<Complex64>(&c, x, y)?,
            DType::String => {
                let idx_x: Vec<i64> = (0..x.len() as i64).collect();
                let idx_y: Vec<i64> = (0..y.len() as i64).map(|i| -1 - i).collect();
                let ix = Tensor::from_vec(x.shape().to_vec(), idx_x).map_err(|e| e.to_string())?;
                let iy = Tensor::from_vec(y.shape().to_vec(), idx_y).map_err(|e| e.to_string())?;
                let chosen = select_t::<i64>(&c, &ix, &iy)?;
                let xs = x.as_slice::<Vec<u8>>().map_err(|e| e.to_string())?;
                let ys = y.as_slice::<Vec<u8>>().map_err(|e| e.to_string())?;
                let picked: Vec<Vec<u8>> = chosen
                    .as_slice::<i64>()
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(|&i| {
                        if i >= 0 {
                            xs.get(i as usize).cloned().unwrap_or_default()
                        } else {
                            ys.get((-1 - i) as usize).cloned().unwrap_or_default()
                        }
                    })
                    .collect();
                Tensor::from_vec(chosen.shape().to_vec(), picked).map_err(|e| e.to_string())?
            }
            d => {
                fn sel<T: Arith>(c: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor, String> {
                    select_t::<T>(c, x, y)
                }
                real_dispatch!(d, sel, &c, x, y)?
            }
        };
        one(out)
    }
}

/// `AddN`: sum of N same-shaped tensors.
#[derive(Debug)]
struct AddN;

impl Op for AddN {
    fn name(&self) -> &'static str {
        "AddN"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let mut acc = input(inputs, 0)?.clone();
        for i in 1..inputs.len() {
            acc = arith::add(&acc, input(inputs, i)?)?;
        }
        one(acc)
    }
}

/// `ClipByValue(t, lo, hi)`.
#[derive(Debug)]
struct Clip;

/// TF: `max(min(t, hi), lo)`, so `lo` wins when the bounds cross.
fn clip_t<T: Arith>(t: &Tensor, lo: &Tensor, hi: &Tensor) -> Result<Tensor, String> {
    let x = t.as_slice::<T>().map_err(|e| e.to_string())?;
    let l = lo.as_slice::<T>().map_err(|e| e.to_string())?;
    let h = hi.as_slice::<T>().map_err(|e| e.to_string())?;
    let (v, s) = ternary_map(x, t.shape(), l, lo.shape(), h, hi.shape(), |x, l, h| {
        let y = if h < x { h } else { x };
        if y < l {
            l
        } else {
            y
        }
    })
    .map_err(|e| e.to_string())?;
    Tensor::from_vec(s, v).map_err(|e| e.to_string())
}

/// Complex clipping treats the bounds as a box: real and imaginary parts
/// are clipped separately.
fn clip_complex<C: Cplx>(t: &Tensor, lo: &Tensor, hi: &Tensor) -> Result<Tensor, String> {
    let x = t.as_slice::<C>().map_err(|e| e.to_string())?;
    let l = lo.as_slice::<C>().map_err(|e| e.to_string())?;
    let h = hi.as_slice::<C>().map_err(|e| e.to_string())?;
    let part = |x: f64, l: f64, h: f64| {
        let y = if h < x { h } else { x };
        if y < l {
            l
        } else {
            y
        }
    };
    let (v, s) = ternary_map(x, t.shape(), l, lo.shape(), h, hi.shape(), |x, l, h| {
        let (x, l, h) = (x.wide(), l.wide(), h.wide());
        C::narrow(Complex64::new(
            part(x.re, l.re, h.re),
            part(x.im, l.im, h.im),
        ))
    })
    .map_err(|e| e.to_string())?;
    Tensor::from_vec(s, v).map_err(|e| e.to_string())
}

impl Op for Clip {
    fn name(&self) -> &'static str {
        "ClipByValue"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (t, lo, hi) = (input(inputs, 0)?, input(inputs, 1)?, input(inputs, 2)?);
        one(match t.dtype() {
            DType::C64 | DType::C128 => complex_dispatch!(t.dtype(), clip_complex, t, lo, hi)?,
            d => real_dispatch!(d, clip_t, t, lo, hi)?,
        })
    }
}

/// Registers the math ops.
pub fn register(r: &mut Registry) {
    macro_rules! bin {
        ($($name:literal => $kind:expr),* $(,)?) => {$(
            r.add($name, |_| Ok(Box::new(Binary { kind: $kind, name: $name })));
        )*};
    }
    bin! {
        "Add" => Bin::Add, "AddV2" => Bin::Add, "Sub" => Bin::Sub, "Mul" => Bin::Mul,
        "RealDiv" => Bin::Div, "Div" => Bin::Div, "DivNoNan" => Bin::DivNoNan,
        "FloorDiv" => Bin::FloorDiv, "FloorMod" => Bin::FloorMod, "Mod" => Bin::FloorMod,
        "TruncateDiv" => Bin::TruncateDiv, "TruncateMod" => Bin::TruncateMod, "Pow" => Bin::Pow, "Maximum" => Bin::Max, "Minimum" => Bin::Min,
        "SquaredDifference" => Bin::SqDiff, "Atan2" => Bin::Atan2,
        "Less" => Bin::Less, "LessEqual" => Bin::LessEq, "Greater" => Bin::Greater,
        "GreaterEqual" => Bin::GreaterEq, "Equal" => Bin::Equal, "NotEqual" => Bin::NotEqual,
        "LogicalAnd" => Bin::And, "LogicalOr" => Bin::Or,
    }
    r.add("Cast", |a| {
        Ok(Box::new(Cast {
            to: a.dtype("DstT")?,
        }))
    });
    r.add("Select", |_| Ok(Box::new(Select { v2: false })));
    r.add("SelectV2", |_| Ok(Box::new(Select { v2: true })));
    r.add("AddN", |_| Ok(Box::new(AddN)));
    r.add("ClipByValue", |_| Ok(Box::new(Clip)));
}

#[cfg(test)]
mod in_place_tests {
    use super::*;

    fn t(shape: &[usize], v: &[f32]) -> Tensor {
        Tensor::from_vec(shape.to_vec(), v.to_vec()).unwrap()
    }

    #[test]
    fn writes_over_an_exclusive_result_shaped_operand_only() {
        let a = t(&[2, 2], &[1., 2., 3., 4.]);
        let per_channel = t(&[2], &[10., 100.]);
        let kept = a.clone();
        // `a` is shared (kept) and `per_channel` is not result-shaped: no in-place form.
        let mut args = vec![Value::Tensor(a), Value::Tensor(per_channel.clone())];
        assert!(in_place_f32(Epilogue::Mul, &mut args).is_none());
        drop(args);
        assert_eq!(kept.as_slice::<f32>().unwrap(), &[1., 2., 3., 4.]);
        let mut args = vec![Value::Tensor(kept), Value::Tensor(per_channel)];
        let out = in_place_f32(Epilogue::Mul, &mut args).unwrap();
        assert_eq!(out.as_slice::<f32>().unwrap(), &[10., 200., 30., 400.]);
        // The exclusive operand second: `Sub` becomes `side - x`.
        let one = t(&[], &[1.]);
        let _shared = one.clone();
        let mut args = vec![Value::Tensor(one), Value::Tensor(t(&[3], &[2., 3., 5.]))];
        let out = in_place_f32(Epilogue::Sub, &mut args).unwrap();
        assert_eq!(out.as_slice::<f32>().unwrap(), &[-1., -2., -4.]);
        // Other dtypes keep the allocating path.
        let ints = Tensor::from_vec(vec![2], vec![1i32, 2]).unwrap();
        let mut args = vec![Value::Tensor(ints.clone()), Value::Tensor(ints)];
        assert!(in_place_f32(Epilogue::Add, &mut args).is_none());
    }
}
