//! Elementwise unary math: Neg, Abs, Sqrt, Rsqrt, Reciprocal/Inv, Exp, Log,
//! Log1p, Expm1, Square, Sign, Round (half to even), Rint, Floor, Ceil, Erf,
//! Erfc, Sin, Cos, Tan, Tanh, Sigmoid, Softplus, Softsign, Relu, Relu6, Elu,
//! Selu, LeakyRelu (`alpha`); predicates IsNan, IsInf, IsFinite, LogicalNot.
//! Floats (f32, f64, f16, bf16) compute in f64 and round once, except f32
//! Neg/Abs/Square/Relu/Relu6/Floor/Ceil/Sqrt (exact in f32) and Exp,
//! Sigmoid, Tanh and Erf (vectorised f32 approximations, see `unary_f32`);
//! integers support the non-transcendental
//! ones (Neg, Abs, Square, Sign, Relu, Relu6, rounding: the identity);
//! complex64/128 support Neg, Sqrt, Rsqrt, Reciprocal, Exp, Log, Log1p,
//! Expm1, Square, Sign (`x / |x|`), Sin, Cos, Tan, Tanh and Sigmoid,
//! computed in complex128.

use savedmodel_kernels::vmath::{self, map_f32, map_f32_inplace};
use savedmodel_tensor::{bf16, f16, Complex32, Complex64, DType, Tensor};

use crate::attrs::Attrs;
use crate::op::{input, one, Op, OpContext};
use crate::ops::arith::{self, Arith, Cplx};
use crate::real_dispatch;
use crate::registry::Registry;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Un {
    Neg,
    Abs,
    Sqrt,
    Rsqrt,
    Reciprocal,
    Exp,
    Log,
    Log1p,
    Expm1,
    Square,
    Sign,
    Round,
    Floor,
    Ceil,
    Erf,
    Erfc,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Softplus,
    Softsign,
    Relu,
    Relu6,
    Elu,
    Selu,
    LeakyRelu(f32),
}

#[derive(Debug)]
struct Unary {
    kind: Un,
    name: &'static str,
}

/// Elementwise f64 function for a float unary op.
fn float_fn(kind: Un) -> fn(f64, f64) -> f64 {
    match kind {
        Un::Neg => |x, _| -x,
        Un::Abs => |x, _| x.abs(),
        Un::Sqrt => |x, _| x.sqrt(),
        Un::Rsqrt => |x, _| 1.0 / x.sqrt(),
        Un::Reciprocal => |x, _| 1.0 / x,
        Un::Exp => |x, _| x.exp(),
        Un::Log => |x, _| x.ln(),
        Un::Log1p => |x, _| x.ln_1p(),
        Un::Expm1 => |x, _| x.exp_m1(),
        Un::Square => |x, _| x * x,
        Un::Sign => |x, _| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x
            }
        },
        Un::Round => |x, _| x.round_ties_even(),
        Un::Floor => |x, _| x.floor(),
        Un::Ceil => |x, _| x.ceil(),
        Un::Erf => |x, _| libm_erf(x),
        Un::Erfc => |x, _| 1.0 - libm_erf(x),
        Un::Sin => |x, _| x.sin(),
        Un::Cos => |x, _| x.cos(),
        Un::Tan => |x, _| x.tan(),
        Un::Tanh => |x, _| x.tanh(),
        Un::Sigmoid => |x, _| 1.0 / (1.0 + (-x).exp()),
        Un::Softplus => |x, _| if x > 20.0 { x } else { x.exp().ln_1p() },
        Un::Softsign => |x, _| x / (1.0 + x.abs()),
        Un::Relu => |x, _| if x > 0.0 { x } else { 0.0 },
        Un::Relu6 => |x, _| x.clamp(0.0, 6.0),
        Un::Elu => |x, _| if x > 0.0 { x } else { x.exp_m1() },
        Un::Selu => |x, _| {
            const SCALE: f64 = 1.050_700_987_355_480_5;
            const ALPHA: f64 = 1.673_263_242_354_377_3;
            if x > 0.0 {
                SCALE * x
            } else {
                SCALE * ALPHA * x.exp_m1()
            }
        },
        Un::LeakyRelu(_) => |x, alpha| if x > 0.0 { x } else { x * alpha },
    }
}

/// The error function (Abramowitz–Stegun 7.1.26 is too coarse; this uses
/// the series / continued fraction split with full double precision).
fn libm_erf(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let ax = x.abs();
    let r = if ax < 2.5 {
        // Maclaurin series: erf(x) = 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
        let mut sum = 0.0;
        let mut term = ax;
        let x2 = ax * ax;
        let mut n = 0.0;
        loop {
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() < 1e-17 * sum.abs() {
                break;
            }
            n += 1.0;
            term *= -x2 / n;
            if n > 200.0 {
                break;
            }
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    } else {
        // Continued fraction for erfc.
        let x2 = ax * ax;
        let mut f = 0.0;
        for k in (1..=60).rev() {
            f = f64::from(k) / 2.0 / (ax + f);
        }
        1.0 - (-x2).exp() / (ax + f) / std::f64::consts::PI.sqrt()
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

fn unary_float<T: Arith>(kind: Un, a: &Tensor) -> Result<Tensor, String> {
    let f = float_fn(kind);
    let alpha = match kind {
        Un::LeakyRelu(alpha) => f64::from(alpha),
        _ => 0.0,
    };
    if T::DTYPE == DType::F32 {
        if let Some(done) = unary_f32(kind, a) {
            return done;
        }
    }
    arith::map::<T, T>(a, move |x| T::from_f64(f(x.to_f64(), alpha)))
}

/// Runs `$body` with `$f` bound to the f32 function of `$kind`, for the
/// ops computed in f32 (see [`unary_f32`]); `None` for the others. Each arm
/// is its own monomorphised (vectorisable) loop.
macro_rules! with_f32_fn {
    ($kind:expr, |$f:ident| $body:expr) => {
        match $kind {
            Un::Neg => {
                let $f = |v: f32| -v;
                Some($body)
            }
            Un::Abs => {
                let $f = f32::abs;
                Some($body)
            }
            Un::Square => {
                let $f = |v: f32| v * v;
                Some($body)
            }
            Un::Relu => {
                let $f = |v: f32| if v > 0.0 { v } else { 0.0 };
                Some($body)
            }
            Un::Relu6 => {
                let $f = |v: f32| v.clamp(0.0, 6.0);
                Some($body)
            }
            Un::Floor => {
                let $f = f32::floor;
                Some($body)
            }
            Un::Ceil => {
                let $f = f32::ceil;
                Some($body)
            }
            Un::Sqrt => {
                let $f = f32::sqrt;
                Some($body)
            }
            Un::Exp => {
                let $f = vmath::exp;
                Some($body)
            }
            Un::Sigmoid => {
                let $f = vmath::sigmoid;
                Some($body)
            }
            Un::Tanh => {
                let $f = vmath::tanh;
                Some($body)
            }
            Un::Erf => {
                let $f = vmath::erf;
                Some($body)
            }
            _ => None,
        }
    };
}

/// f32 computed in f32 with vectorised loops: exactly rounded either way
/// for the simple ops; Exp and Sigmoid within 2 ulp, Tanh within 4, Erf
/// within 2e-7 absolute (TF's own kernels are polynomial approximations
/// too; see `savedmodel_kernels::vmath`).
/// `None` for the ops computed in f64 and rounded.
fn unary_f32(kind: Un, a: &Tensor) -> Option<Result<Tensor, String>> {
    let x = match a.as_slice::<f32>() {
        Ok(x) => x,
        Err(e) => return Some(Err(e.to_string())),
    };
    let out = with_f32_fn!(kind, |f| map_f32(x, f))?;
    Some(Tensor::from_vec(a.shape().to_vec(), out).map_err(|e| e.to_string()))
}

fn unary_int<T: Arith>(kind: Un, a: &Tensor) -> Result<Tensor, String> {
    match kind {
        Un::Neg => arith::map::<T, T>(a, |x| T::sub(T::default(), x)),
        Un::Abs => arith::map::<T, T>(a, |x| {
            if x < T::default() {
                T::sub(T::default(), x)
            } else {
                x
            }
        }),
        Un::Square => arith::map::<T, T>(a, |x| T::mul(x, x)),
        Un::Sign => arith::map::<T, T>(a, |x| {
            if x > T::default() {
                T::from_f64(1.0)
            } else if x < T::default() {
                T::from_f64(-1.0)
            } else {
                x
            }
        }),
        Un::Relu => arith::map::<T, T>(a, |x| if x > T::default() { x } else { T::default() }),
        Un::Relu6 => {
            let six = T::from_f64(6.0);
            arith::map::<T, T>(a, move |x| {
                if x < T::default() {
                    T::default()
                } else if x > six {
                    six
                } else {
                    x
                }
            })
        }
        Un::Round | Un::Floor | Un::Ceil => Ok(a.clone()),
        other => Err(format!("{other:?} is not defined for {}", T::DTYPE)),
    }
}

/// Elementwise complex128 function for a complex unary op.
fn complex_fn(kind: Un) -> Option<fn(Complex64) -> Complex64> {
    Some(match kind {
        Un::Neg => |x| -x,
        Un::Sqrt => |x| x.sqrt(),
        Un::Rsqrt => |x| x.sqrt().inv(),
        Un::Reciprocal => |x| x.inv(),
        Un::Exp => |x| x.exp(),
        Un::Log => |x| x.ln(),
        Un::Log1p => |x| (Complex64::ONE + x).ln(),
        Un::Expm1 => |x| x.exp() - Complex64::ONE,
        Un::Square => |x| x * x,
        Un::Sign => |x| {
            if x == Complex64::ZERO {
                x
            } else {
                x / x.norm()
            }
        },
        Un::Sin => |x| x.sin(),
        Un::Cos => |x| x.cos(),
        Un::Tan => |x| x.tan(),
        Un::Tanh => |x| x.tanh(),
        Un::Sigmoid => |x| (Complex64::ONE + (-x).exp()).inv(),
        _ => return None,
    })
}

fn unary_complex<C: Cplx>(kind: Un, a: &Tensor) -> Result<Tensor, String> {
    let f = complex_fn(kind).ok_or_else(|| format!("{kind:?} is not defined for {}", C::DTYPE))?;
    arith::map::<C, C>(a, move |x| C::narrow(f(x.wide())))
}

impl Op for Unary {
    fn name(&self) -> &'static str {
        self.name
    }
    fn eval_owned(&self, ctx: &OpContext<'_>, args: &mut Vec<Value>) -> Result<Vec<Value>, String> {
        // An f32 input nothing else holds is overwritten with the result.
        if let Some(Value::Tensor(t)) = args.first_mut() {
            if let Some(data) = t.exclusive_slice_mut::<f32>() {
                if with_f32_fn!(self.kind, |f| map_f32_inplace(data, f)).is_some() {
                    return one(t.clone());
                }
            }
        }
        self.eval(ctx, args)
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let a = input(inputs, 0)?;
        let out = match a.dtype() {
            DType::F32 => unary_float::<f32>(self.kind, a)?,
            DType::F64 => unary_float::<f64>(self.kind, a)?,
            DType::F16 => unary_float::<f16>(self.kind, a)?,
            DType::BF16 => unary_float::<bf16>(self.kind, a)?,
            DType::C64 => unary_complex::<Complex32>(self.kind, a)?,
            DType::C128 => unary_complex::<Complex64>(self.kind, a)?,
            d => real_dispatch!(d, unary_int, self.kind, a)?,
        };
        one(out)
    }
}

/// `x * sigmoid(x)` on f32 (swish / SiLU): the planner's replacement for a
/// `Mul` of a value and its own `Sigmoid`, same arithmetic as the two ops.
#[derive(Debug)]
pub struct Swish;

impl Op for Swish {
    fn name(&self) -> &'static str {
        "Swish"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let a = input(inputs, 0)?;
        let x = a.as_slice::<f32>().map_err(|e| format!("swish: {e}"))?;
        let out = map_f32(x, |v| v * vmath::sigmoid(v));
        one(Tensor::from_vec(a.shape().to_vec(), out).map_err(|e| e.to_string())?)
    }
}

#[derive(Debug, Clone, Copy)]
enum Pred {
    IsNan,
    IsInf,
    IsFinite,
    Not,
}

#[derive(Debug)]
struct Predicate(Pred);

impl Op for Predicate {
    fn name(&self) -> &'static str {
        match self.0 {
            Pred::IsNan => "IsNan",
            Pred::IsInf => "IsInf",
            Pred::IsFinite => "IsFinite",
            Pred::Not => "LogicalNot",
        }
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let a = input(inputs, 0)?;
        if let Pred::Not = self.0 {
            return one(arith::map::<bool, bool>(a, |x| !x)?);
        }
        let values = arith::to_f64_vec(a)?;
        let f: fn(f64) -> bool = match self.0 {
            Pred::IsNan => f64::is_nan,
            Pred::IsInf => f64::is_infinite,
            _ => f64::is_finite,
        };
        one(
            Tensor::from_vec(a.shape().to_vec(), values.into_iter().map(f).collect())
                .map_err(|e| e.to_string())?,
        )
    }
}

/// Registers the unary ops.
pub fn register(r: &mut Registry) {
    macro_rules! un {
        ($($name:literal => $kind:expr),* $(,)?) => {$(
            r.add($name, |_| Ok(Box::new(Unary { kind: $kind, name: $name })));
        )*};
    }
    un! {
        "Neg" => Un::Neg, "Abs" => Un::Abs, "Sqrt" => Un::Sqrt, "Rsqrt" => Un::Rsqrt,
        "Reciprocal" => Un::Reciprocal, "Inv" => Un::Reciprocal, "Exp" => Un::Exp, "Log" => Un::Log,
        "Log1p" => Un::Log1p, "Expm1" => Un::Expm1, "Square" => Un::Square, "Sign" => Un::Sign,
        "Round" => Un::Round, "Rint" => Un::Round, "Floor" => Un::Floor, "Ceil" => Un::Ceil,
        "Erf" => Un::Erf, "Erfc" => Un::Erfc, "Sin" => Un::Sin, "Cos" => Un::Cos, "Tan" => Un::Tan,
        "Tanh" => Un::Tanh, "Sigmoid" => Un::Sigmoid, "Softplus" => Un::Softplus,
        "Softsign" => Un::Softsign, "Relu" => Un::Relu, "Relu6" => Un::Relu6, "Elu" => Un::Elu,
        "Selu" => Un::Selu,
    }
    r.add("LeakyRelu", |a: &Attrs<'_>| {
        Ok(Box::new(Unary {
            kind: Un::LeakyRelu(a.float_or("alpha", 0.2)?),
            name: "LeakyRelu",
        }))
    });
    r.add("IsNan", |_| Ok(Box::new(Predicate(Pred::IsNan))));
    r.add("IsInf", |_| Ok(Box::new(Predicate(Pred::IsInf))));
    r.add("IsFinite", |_| Ok(Box::new(Predicate(Pred::IsFinite))));
    r.add("LogicalNot", |_| Ok(Box::new(Predicate(Pred::Not))));
}
