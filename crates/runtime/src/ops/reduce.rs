//! Reductions and scans, each a call into `savedmodel_kernels::reduce`:
//! Sum, Mean, Max, Min, Prod over an axis list (`keep_dims`; real dtypes;
//! f16/bf16 sums and means accumulate in f32; integer means truncate;
//! Max/Min propagate NaN), All, Any (bool), ArgMax, ArgMin (real dtypes and
//! bool; first index on ties; `output_type` int32/int64), Cumsum, Cumprod
//! (`exclusive`, `reverse`), TopKV2 (`k` input, values in descending order,
//! ties by lower index; `index_type` int32/int64, `sorted` is always
//! honoured). Sum, Mean, Prod, Cumsum and Cumprod on complex64/128 are
//! computed here, in complex128 and in element order.

use savedmodel_kernels::reduce::{self, ReduceOp};
use savedmodel_kernels::Numeric;
use savedmodel_tensor::{bf16, f16, Complex64, DType, Element, Tensor};

use crate::attrs::Attrs;
use crate::op::{input, one, Op, OpContext};
use crate::ops::arith::to_i64_vec;
use crate::ops::arith::Cplx;
use crate::ops::common::{axis, kernel_err, scalar_i64, tensor};
use crate::registry::{Arity, Registry};
use crate::value::Value;
use crate::{complex_dispatch, real_dispatch};

fn err<E: ToString>(e: E) -> String {
    e.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Numeric(ReduceOp),
    All,
    Any,
}

#[derive(Debug)]
struct Reduce {
    kind: Kind,
    keep_dims: bool,
}

fn reduce_t<T: Numeric + Element>(
    t: &Tensor,
    axes: &[i64],
    keep_dims: bool,
    op: ReduceOp,
) -> Result<Tensor, String> {
    let v = t.as_slice::<T>().map_err(err)?;
    tensor(reduce::reduce(v, t.shape(), axes, keep_dims, op))
}

/// f16/bf16 sums and means in f32, rounded once at the end.
fn reduce_half<H: Numeric + Element>(
    t: &Tensor,
    axes: &[i64],
    keep_dims: bool,
    op: ReduceOp,
    to: fn(H) -> f32,
    from: fn(f32) -> H,
) -> Result<Tensor, String> {
    let wide: Vec<f32> = t
        .as_slice::<H>()
        .map_err(err)?
        .iter()
        .map(|&x| to(x))
        .collect();
    let (values, shape) =
        reduce::reduce(&wide, t.shape(), axes, keep_dims, op).map_err(kernel_err)?;
    Tensor::from_vec(shape, values.into_iter().map(from).collect::<Vec<H>>()).map_err(err)
}

impl Op for Reduce {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Numeric(ReduceOp::Sum) => "Sum",
            Kind::Numeric(ReduceOp::Mean) => "Mean",
            Kind::Numeric(ReduceOp::Max) => "Max",
            Kind::Numeric(ReduceOp::Min) => "Min",
            Kind::Numeric(ReduceOp::Prod) => "Prod",
            Kind::All => "All",
            Kind::Any => "Any",
        }
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let t = input(inputs, 0)?;
        let axes = to_i64_vec(input(inputs, 1)?)?;
        let keep = self.keep_dims;
        let out = match (self.kind, t.dtype()) {
            (Kind::All | Kind::Any, DType::Bool) => {
                let v = t.as_slice::<bool>().map_err(err)?;
                tensor(if self.kind == Kind::All {
                    reduce::reduce_all(v, t.shape(), &axes, keep)
                } else {
                    reduce::reduce_any(v, t.shape(), &axes, keep)
                })?
            }
            (Kind::All | Kind::Any, other) => {
                return Err(format!("All/Any need a bool input, got {other}"))
            }
            (Kind::Numeric(op @ (ReduceOp::Sum | ReduceOp::Mean)), DType::F16) => {
                reduce_half::<f16>(t, &axes, keep, op, f16::to_f32, f16::from_f32)?
            }
            (Kind::Numeric(op @ (ReduceOp::Sum | ReduceOp::Mean)), DType::BF16) => {
                reduce_half::<bf16>(t, &axes, keep, op, bf16::to_f32, bf16::from_f32)?
            }
            (Kind::Numeric(op @ (ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod)), d)
                if d.is_complex() =>
            {
                complex_dispatch!(d, reduce_complex, t, &axes, keep, op)?
            }
            (Kind::Numeric(op), d) => real_dispatch!(d, reduce_t, t, &axes, keep, op)?,
        };
        one(out)
    }
}

/// Sum, Mean or Prod of a complex tensor over `axes`, accumulated in
/// complex128 in element order.
fn reduce_complex<C: Cplx>(
    t: &Tensor,
    axes: &[i64],
    keep_dims: bool,
    op: ReduceOp,
) -> Result<Tensor, String> {
    let shape = t.shape();
    let mut reduced = vec![false; shape.len()];
    for &a in axes {
        reduced[axis(a, shape.len())?] = true;
    }
    let kept: Vec<usize> = shape
        .iter()
        .zip(&reduced)
        .map(|(&d, &r)| if r { 1 } else { d })
        .collect();
    let count: usize = shape
        .iter()
        .zip(&reduced)
        .filter(|(_, &r)| r)
        .map(|(&d, _)| d)
        .product();
    let init = if op == ReduceOp::Prod {
        Complex64::ONE
    } else {
        Complex64::ZERO
    };
    let mut acc = vec![init; kept.iter().product()];
    let values = t.as_slice::<C>().map_err(err)?;
    let mut coords = vec![0usize; shape.len()];
    for &v in values {
        let slot = coords
            .iter()
            .zip(&kept)
            .fold(0, |s, (&c, &d)| s * d + if d == 1 { 0 } else { c });
        let x = v.wide();
        acc[slot] = if op == ReduceOp::Prod {
            acc[slot] * x
        } else {
            acc[slot] + x
        };
        for (c, &d) in coords.iter_mut().zip(shape).rev() {
            *c += 1;
            if *c < d {
                break;
            }
            *c = 0;
        }
    }
    if op == ReduceOp::Mean {
        acc.iter_mut().for_each(|a| *a /= count as f64);
    }
    let out_shape: Vec<usize> = if keep_dims {
        kept
    } else {
        shape
            .iter()
            .zip(&reduced)
            .filter(|(_, &r)| !r)
            .map(|(&d, _)| d)
            .collect()
    };
    Tensor::from_vec(
        out_shape,
        acc.into_iter().map(C::narrow).collect::<Vec<C>>(),
    )
    .map_err(err)
}

#[derive(Debug)]
struct ArgReduce {
    max: bool,
    out: DType,
}

fn arg_t<T: Numeric + Element>(t: &Tensor, k: i64, max: bool) -> Result<Tensor, String> {
    let v = t.as_slice::<T>().map_err(err)?;
    tensor(if max {
        reduce::arg_max(v, t.shape(), k)
    } else {
        reduce::arg_min(v, t.shape(), k)
    })
}

impl Op for ArgReduce {
    fn name(&self) -> &'static str {
        if self.max {
            "ArgMax"
        } else {
            "ArgMin"
        }
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let t = input(inputs, 0)?;
        let k = scalar_i64(input(inputs, 1)?, "dimension")?;
        let idx = match t.dtype() {
            DType::Bool => arg_t::<u8>(&crate::ops::cast::cast(t, DType::U8)?, k, self.max)?,
            d => real_dispatch!(d, arg_t, t, k, self.max)?,
        };
        one(crate::ops::math::cast(&idx, self.out)?)
    }
}

#[derive(Debug)]
struct Cumulative {
    prod: bool,
    exclusive: bool,
    reverse: bool,
}

fn cum_t<T: Numeric + Element>(t: &Tensor, k: i64, c: &Cumulative) -> Result<Tensor, String> {
    let v = t.as_slice::<T>().map_err(err)?;
    let values = if c.prod {
        reduce::cumprod(v, t.shape(), k, c.exclusive, c.reverse)
    } else {
        reduce::cumsum(v, t.shape(), k, c.exclusive, c.reverse)
    };
    Tensor::from_vec(t.shape().to_vec(), values.map_err(kernel_err)?).map_err(err)
}

impl Op for Cumulative {
    fn name(&self) -> &'static str {
        if self.prod {
            "Cumprod"
        } else {
            "Cumsum"
        }
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let t = input(inputs, 0)?;
        let k = scalar_i64(input(inputs, 1)?, "axis")?;
        one(match t.dtype() {
            d if d.is_complex() => complex_dispatch!(d, cum_complex, t, k, self)?,
            d => real_dispatch!(d, cum_t, t, k, self)?,
        })
    }
}

/// Cumsum/Cumprod of a complex tensor along axis `k`, in complex128.
fn cum_complex<C: Cplx>(t: &Tensor, k: i64, c: &Cumulative) -> Result<Tensor, String> {
    let shape = t.shape();
    let k = axis(k, shape.len())?;
    let (n, inner) = (shape[k], shape[k + 1..].iter().product::<usize>());
    let values = t.as_slice::<C>().map_err(err)?;
    let mut out = vec![C::default(); values.len()];
    let identity = if c.prod {
        Complex64::ONE
    } else {
        Complex64::ZERO
    };
    if n > 0 && inner > 0 {
        for (src, dst) in values.chunks(n * inner).zip(out.chunks_mut(n * inner)) {
            for i in 0..inner {
                let mut acc = identity;
                for step in 0..n {
                    let j = if c.reverse { n - 1 - step } else { step };
                    let x = src[j * inner + i].wide();
                    let next = if c.prod { acc * x } else { acc + x };
                    dst[j * inner + i] = C::narrow(if c.exclusive { acc } else { next });
                    acc = next;
                }
            }
        }
    }
    Tensor::from_vec(shape.to_vec(), out).map_err(err)
}

#[derive(Debug)]
struct TopK {
    index: DType,
}

fn top_k_t<T: Numeric + Element>(t: &Tensor, k: usize) -> Result<(Tensor, Tensor), String> {
    let v = t.as_slice::<T>().map_err(err)?;
    let (values, indices, shape) = reduce::top_k(v, t.shape(), k).map_err(kernel_err)?;
    Ok((
        Tensor::from_vec(shape.clone(), values).map_err(err)?,
        Tensor::from_vec(shape, indices).map_err(err)?,
    ))
}

impl Op for TopK {
    fn name(&self) -> &'static str {
        "TopKV2"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let t = input(inputs, 0)?;
        let k = usize::try_from(scalar_i64(input(inputs, 1)?, "k")?)
            .map_err(|_| "k must be non-negative".to_string())?;
        let (values, indices) = real_dispatch!(t.dtype(), top_k_t, t, k)?;
        Ok(vec![
            Value::Tensor(values),
            Value::Tensor(crate::ops::math::cast(&indices, self.index)?),
        ])
    }
}

fn reduce_builder(kind: Kind) -> impl Fn(&Attrs<'_>) -> Result<Box<dyn Op>, String> {
    move |a| {
        Ok(Box::new(Reduce {
            kind,
            keep_dims: a.bool_or("keep_dims", false)?,
        }))
    }
}

fn cumulative(a: &Attrs<'_>, prod: bool) -> Result<Box<dyn Op>, String> {
    Ok(Box::new(Cumulative {
        prod,
        exclusive: a.bool_or("exclusive", false)?,
        reverse: a.bool_or("reverse", false)?,
    }))
}

/// Registers the reductions.
pub fn register(r: &mut Registry) {
    r.add("Sum", |a| reduce_builder(Kind::Numeric(ReduceOp::Sum))(a));
    r.add("Mean", |a| reduce_builder(Kind::Numeric(ReduceOp::Mean))(a));
    r.add("Max", |a| reduce_builder(Kind::Numeric(ReduceOp::Max))(a));
    r.add("Min", |a| reduce_builder(Kind::Numeric(ReduceOp::Min))(a));
    r.add("Prod", |a| reduce_builder(Kind::Numeric(ReduceOp::Prod))(a));
    r.add("All", |a| reduce_builder(Kind::All)(a));
    r.add("Any", |a| reduce_builder(Kind::Any)(a));
    r.add("ArgMax", |a| {
        Ok(Box::new(ArgReduce {
            max: true,
            out: a.dtype_or("output_type", DType::I64)?,
        }))
    });
    r.add("ArgMin", |a| {
        Ok(Box::new(ArgReduce {
            max: false,
            out: a.dtype_or("output_type", DType::I64)?,
        }))
    });
    r.add("Cumsum", |a| cumulative(a, false));
    r.add("Cumprod", |a| cumulative(a, true));
    r.add_outputs(
        "TopKV2",
        |a| {
            Ok(Box::new(TopK {
                index: a.dtype_or("index_type", DType::I32)?,
            }))
        },
        &[("values", Arity::One), ("indices", Arity::One)],
    );
}
