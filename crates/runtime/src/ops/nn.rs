//! Neural-network ops: MatMul (`transpose_a/b`) and BatchMatMul/V2/V3
//! (`adj_x/y`: conjugate transpose for complex) on every real dtype and
//! complex; BiasAdd (any numeric dtype); Conv2D, DepthwiseConv2dNative,
//! Conv2DBackpropInput (NHWC; SAME, VALID and EXPLICIT padding; dilations)
//! on f32, f64, f16/bf16 (computed in f32, rounded once) and int32 (Conv2D
//! and the backprop, wrapping); Softmax, LogSoftmax on f32, f64, f16/bf16.
//! 3-D convolutions are in [`crate::ops::conv3d`], batch norm in
//! [`crate::ops::norm`].

use std::borrow::Cow;

use savedmodel_kernels::conv::{self, Conv2dGeometry, Conv3dGeometry, Padding};
use savedmodel_kernels::num::{Float, Numeric};
use savedmodel_kernels::{gemm, softmax};
use savedmodel_tensor::{bf16, f16, Complex32, Complex64, DType, Element, Tensor};

use crate::attrs::Attrs;
use crate::epilogue::{Chain, Epilogue};
use crate::op::{input, one, Op, OpContext};
use crate::ops::cast::cast;
use crate::ops::common::{same_type, usize_vec};
use crate::registry::Registry;
use crate::value::Value;
use crate::{numeric_dispatch, real_dispatch};

fn err<E: ToString>(e: E) -> String {
    e.to_string()
}

#[derive(Debug)]
struct MatMul {
    ta: bool,
    tb: bool,
}

impl Op for MatMul {
    fn name(&self) -> &'static str {
        "MatMul"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (a, b) = (input(inputs, 0)?, input(inputs, 1)?);
        if a.rank() != 2 || b.rank() != 2 {
            return Err(format!(
                "MatMul needs matrices, got {:?} and {:?}",
                a.shape(),
                b.shape()
            ));
        }
        let (m, k) = if self.ta {
            (a.shape()[1], a.shape()[0])
        } else {
            (a.shape()[0], a.shape()[1])
        };
        let (k2, n) = if self.tb {
            (b.shape()[1], b.shape()[0])
        } else {
            (b.shape()[0], b.shape()[1])
        };
        if k != k2 {
            return Err(format!(
                "MatMul inner dimensions differ: {:?} x {:?}",
                a.shape(),
                b.shape()
            ));
        }
        one(numeric_dispatch!(
            a.dtype(),
            matmul_t,
            a,
            b,
            (m, k, n),
            self.ta,
            self.tb
        )?)
    }
}

/// Element types of the matmuls: every real dtype and complex.
trait MatElem: gemm::MatMulScalar + Element {
    /// The complex conjugate (the identity for reals): `adj_x`/`adj_y`.
    fn conj(self) -> Self {
        self
    }
}
macro_rules! real_mat_elem {
    ($($t:ty),*) => {$( impl MatElem for $t {} )*};
}
real_mat_elem!(f32, f64, f16, bf16, i8, i16, i32, i64, u8, u16, u32, u64);
impl MatElem for Complex32 {
    fn conj(self) -> Self {
        Complex32::conj(&self)
    }
}
impl MatElem for Complex64 {
    fn conj(self) -> Self {
        Complex64::conj(&self)
    }
}

fn matmul_t<T: MatElem>(
    a: &Tensor,
    b: &Tensor,
    (m, k, n): (usize, usize, usize),
    ta: bool,
    tb: bool,
) -> Result<Tensor, String> {
    let x = a.as_slice::<T>().map_err(err)?;
    let y = same_type(x, b)?;
    let mut c = vec![T::default(); m * n];
    gemm::matmul(m, k, n, x, ta, y, tb, &mut c).map_err(err)?;
    Tensor::from_vec([m, n], c).map_err(err)
}

/// An operand of an adjoint product: conjugated when complex.
fn adjoint<T: MatElem>(v: &[T], adj: bool) -> Cow<'_, [T]> {
    if adj && T::DTYPE.is_complex() {
        Cow::Owned(v.iter().map(|&x| x.conj()).collect())
    } else {
        Cow::Borrowed(v)
    }
}

fn batch_matmul_t<T: MatElem>(
    a: &Tensor,
    b: &Tensor,
    (m, k, n): (usize, usize, usize),
    adj_x: bool,
    adj_y: bool,
) -> Result<Tensor, String> {
    let x = a.as_slice::<T>().map_err(err)?;
    let y = same_type(x, b)?;
    let (ra, rb) = (a.rank(), b.rank());
    let (c, shape) = gemm::batch_matmul_broadcast(
        &a.shape()[..ra - 2],
        &b.shape()[..rb - 2],
        m,
        k,
        n,
        &adjoint(x, adj_x),
        adj_x,
        &adjoint(y, adj_y),
        adj_y,
    )
    .map_err(err)?;
    Tensor::from_vec(shape, c).map_err(err)
}

#[derive(Debug)]
struct BatchMatMul {
    adj_x: bool,
    adj_y: bool,
}

impl Op for BatchMatMul {
    fn name(&self) -> &'static str {
        "BatchMatMulV2"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (a, b) = (input(inputs, 0)?, input(inputs, 1)?);
        if a.rank() < 2 || b.rank() < 2 {
            return Err("BatchMatMul needs rank >= 2".into());
        }
        let (ra, rb) = (a.rank(), b.rank());
        let (m, k) = if self.adj_x {
            (a.shape()[ra - 1], a.shape()[ra - 2])
        } else {
            (a.shape()[ra - 2], a.shape()[ra - 1])
        };
        let (k2, n) = if self.adj_y {
            (b.shape()[rb - 1], b.shape()[rb - 2])
        } else {
            (b.shape()[rb - 2], b.shape()[rb - 1])
        };
        if k != k2 {
            return Err(format!(
                "BatchMatMul inner dimensions differ: {:?} x {:?}",
                a.shape(),
                b.shape()
            ));
        }
        one(numeric_dispatch!(
            a.dtype(),
            batch_matmul_t,
            a,
            b,
            (m, k, n),
            self.adj_x,
            self.adj_y
        )?)
    }
}

#[derive(Debug)]
struct BiasAdd {
    nchw: bool,
}

impl Op for BiasAdd {
    fn name(&self) -> &'static str {
        "BiasAdd"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (x, b) = (input(inputs, 0)?, input(inputs, 1)?);
        if b.rank() != 1 || x.rank() < 2 {
            return Err("BiasAdd needs a vector bias and rank >= 2 input".into());
        }
        let bias_shape: Vec<usize> = if self.nchw {
            let mut s = vec![1; x.rank() - 1];
            s[0] = b.len();
            s
        } else {
            vec![b.len()]
        };
        let b = b.reshape(bias_shape).map_err(err)?;
        let channel = if self.nchw {
            x.shape()[1]
        } else {
            x.shape()[x.rank() - 1]
        };
        if channel != b.len() {
            return Err(format!("bias of {} values for {channel} channels", b.len()));
        }
        one(crate::ops::arith::add(x, &b)?)
    }
}

fn padding(a: &Attrs<'_>) -> Result<Padding, String> {
    match a.padding()?.as_str() {
        "SAME" => Ok(Padding::Same),
        "VALID" => Ok(Padding::Valid),
        "EXPLICIT" => {
            let p = a.ints_or("explicit_paddings", &[])?;
            let at = |i: usize| {
                p.get(i)
                    .copied()
                    .and_then(|v| usize::try_from(v).ok())
                    .ok_or("bad explicit_paddings")
            };
            Ok(Padding::Explicit {
                top: at(2)?,
                bottom: at(3)?,
                left: at(4)?,
                right: at(5)?,
            })
        }
        other => Err(format!("padding {other} is not supported")),
    }
}

fn hw(a: &Attrs<'_>, name: &str) -> Result<[usize; 2], String> {
    let v = a.ints_or(name, &[1, 1, 1, 1])?;
    if v.len() != 4 || v[0] != 1 || v[3] != 1 {
        return Err(format!(
            "{name} {v:?}: only NHWC with batch and channel 1 are supported"
        ));
    }
    Ok([
        usize::try_from(v[1]).map_err(err)?,
        usize::try_from(v[2]).map_err(err)?,
    ])
}

pub(crate) fn nhwc(a: &Attrs<'_>) -> Result<(), String> {
    let format = a.string_or("data_format", "NHWC")?;
    if format != "NHWC" && format != "NDHWC" {
        return Err(format!(
            "data_format {format} is not supported (CPU kernels are NHWC)"
        ));
    }
    Ok(())
}

fn dims4(t: &Tensor) -> Result<[usize; 4], String> {
    t.shape()
        .try_into()
        .map_err(|_| format!("expected rank 4, got {:?}", t.shape()))
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum ConvKind {
    Forward,
    Depthwise,
    Transpose,
}

#[derive(Debug)]
struct Conv2d {
    kind: ConvKind,
    strides: [usize; 2],
    dilations: [usize; 2],
    padding: Padding,
}

/// Element types of the convolutions: f32 and f64 through the packed GEMM,
/// int32 as direct loops (f16/bf16 are computed in f32 by the ops).
pub(crate) trait ConvElem: Element + Numeric {
    /// Forward convolution.
    fn conv(g: &Conv3dGeometry, x: &[Self], f: &[Self], out: &mut [Self]) -> KernelResult;
    /// Transposed convolution (input gradient).
    fn conv_transpose(
        g: &Conv3dGeometry,
        dy: &[Self],
        f: &[Self],
        out: &mut [Self],
    ) -> KernelResult;
}

type KernelResult = Result<(), savedmodel_kernels::KernelError>;

macro_rules! conv_elem {
    ($forward:ident, $transpose:ident: $($t:ty),*) => {$(
        impl ConvElem for $t {
            fn conv(g: &Conv3dGeometry, x: &[Self], f: &[Self], out: &mut [Self]) -> KernelResult {
                conv::$forward(g, x, f, out)
            }
            fn conv_transpose(
                g: &Conv3dGeometry, dy: &[Self], f: &[Self], out: &mut [Self],
            ) -> KernelResult {
                conv::$transpose(g, dy, f, out)
            }
        }
    )*};
}
conv_elem!(conv3d_ndhwc, conv3d_transpose_ndhwc: f32, f64);
conv_elem!(conv3d_ndhwc_direct, conv3d_transpose_ndhwc_direct: i32);

/// Runs `f(tensors, dtype)` on `data` and `others`; f16/bf16 tensors are
/// first widened to f32 (`dtype` is then f32) and the result rounded back once.
pub(crate) fn widen_halves(
    data: &Tensor,
    others: &[&Tensor],
    f: impl Fn(&[&Tensor], DType) -> Result<Tensor, String>,
) -> Result<Tensor, String> {
    let mut all = vec![data];
    all.extend_from_slice(others);
    match data.dtype() {
        d @ (DType::F16 | DType::BF16) => {
            let wide = all
                .iter()
                .map(|t| cast(t, DType::F32))
                .collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<&Tensor> = wide.iter().collect();
            cast(&f(&refs, DType::F32)?, d)
        }
        d => f(&all, d),
    }
}

impl Conv2d {
    fn run<T: ConvElem>(&self, t: &[&Tensor], sizes: Option<[usize; 4]>) -> Result<Tensor, String> {
        let (data, filter) = (t[0].as_slice::<T>().map_err(err)?, t[1]);
        let f = same_type(data, filter)?;
        if let Some(out_shape) = sizes {
            let geom = Conv2dGeometry::new(
                out_shape,
                dims4(filter)?,
                self.strides,
                self.dilations,
                self.padding,
            )
            .map_err(err)?;
            if [geom.batch, geom.out_h, geom.out_w, geom.out_c] != dims4(t[0])? {
                return Err(format!(
                    "out_backprop shape {:?} does not match the convolution",
                    t[0].shape()
                ));
            }
            let mut out = vec![T::ZERO; out_shape.iter().product()];
            T::conv_transpose(&geom.to_3d(), data, f, &mut out).map_err(err)?;
            return Tensor::from_vec(out_shape.to_vec(), out).map_err(err);
        }
        let geom = Conv2dGeometry::new(
            dims4(t[0])?,
            dims4(filter)?,
            self.strides,
            self.dilations,
            self.padding,
        )
        .map_err(err)?;
        let shape = vec![geom.batch, geom.out_h, geom.out_w, geom.out_c];
        let mut out = vec![T::ZERO; shape.iter().product()];
        T::conv(&geom.to_3d(), data, f, &mut out).map_err(err)?;
        Tensor::from_vec(shape, out).map_err(err)
    }

    /// Depthwise convolution in `T` itself: TF accumulates f16/bf16 in
    /// half precision here, rounding every product and sum.
    fn depthwise<T: Numeric + Element>(
        &self,
        x: &Tensor,
        filter: &Tensor,
    ) -> Result<Tensor, String> {
        let data = x.as_slice::<T>().map_err(err)?;
        let f = same_type(data, filter)?;
        let geom = Conv2dGeometry::depthwise(
            dims4(x)?,
            dims4(filter)?,
            self.strides,
            self.dilations,
            self.padding,
        )
        .map_err(err)?;
        let shape = vec![geom.batch, geom.out_h, geom.out_w, geom.out_c];
        let mut out = vec![T::ZERO; shape.iter().product()];
        conv::depthwise_conv2d_nhwc(&geom, filter.shape()[3], data, f, &mut out).map_err(err)?;
        Tensor::from_vec(shape, out).map_err(err)
    }
}

impl Op for Conv2d {
    fn name(&self) -> &'static str {
        "Conv2D"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (data, filter, sizes) = if self.kind == ConvKind::Transpose {
            let sizes: [usize; 4] = usize_vec(input(inputs, 0)?, "input_sizes")?
                .try_into()
                .map_err(|_| "input_sizes must have 4 entries")?;
            (input(inputs, 2)?, input(inputs, 1)?, Some(sizes))
        } else {
            (input(inputs, 0)?, input(inputs, 1)?, None)
        };
        if self.kind == ConvKind::Depthwise {
            if let Some(done) = self.f32_then(data, filter, &[]) {
                return done.and_then(one);
            }
            return one(real_dispatch!(
                data.dtype(),
                depthwise_t,
                self,
                data,
                filter
            )?);
        }
        one(widen_halves(data, &[filter], |t, dtype| match dtype {
            DType::F32 => self.run::<f32>(t, sizes),
            DType::F64 => self.run::<f64>(t, sizes),
            DType::I32 => self.run::<i32>(t, sizes),
            other => Err(format!("convolution on {other} is not supported")),
        })?)
    }

    fn eval_then(
        &self,
        _: &OpContext<'_>,
        inputs: &[Value],
        steps: &[(Epilogue, Option<&Tensor>)],
    ) -> Option<Result<Vec<Value>, String>> {
        let (x, filter) = (input(inputs, 0).ok()?, input(inputs, 1).ok()?);
        Some(self.f32_then(x, filter, steps)?.and_then(one))
    }
}

impl Conv2d {
    /// The f32 forward or depthwise convolution with `steps` run on each
    /// finished part of the output (see [`Op::eval_then`]).
    fn f32_then(
        &self,
        x: &Tensor,
        filter: &Tensor,
        steps: &[(Epilogue, Option<&Tensor>)],
    ) -> Option<Result<Tensor, String>> {
        let (data, f) = (x.as_slice::<f32>().ok()?, filter.as_slice::<f32>().ok()?);
        let (x_dims, f_dims) = (dims4(x).ok()?, dims4(filter).ok()?);
        let args = (self.strides, self.dilations, self.padding);
        let geom = match self.kind {
            ConvKind::Forward => Conv2dGeometry::new(x_dims, f_dims, args.0, args.1, args.2),
            ConvKind::Depthwise => {
                Conv2dGeometry::depthwise(x_dims, f_dims, args.0, args.1, args.2)
            }
            ConvKind::Transpose => return None,
        }
        .ok()?;
        let shape = vec![geom.batch, geom.out_h, geom.out_w, geom.out_c];
        let chain = Chain::prepare(&shape, steps)?;
        let post = |start: usize, part: &mut [f32]| chain.run(start, part);
        let mut out = vec![0f32; shape.iter().product()];
        let done = match self.kind {
            ConvKind::Depthwise => {
                conv::depthwise_conv2d_nhwc_f32_then(&geom, f_dims[3], (data, f, &mut out), &post)
            }
            _ => conv::conv3d_ndhwc_then(&geom.to_3d(), (data, f, &mut out), &post),
        };
        Some(
            done.map_err(err)
                .and_then(|()| Tensor::from_vec(shape, out).map_err(err)),
        )
    }
}

fn depthwise_t<T: Numeric + Element>(
    c: &Conv2d,
    x: &Tensor,
    filter: &Tensor,
) -> Result<Tensor, String> {
    c.depthwise::<T>(x, filter)
}

fn conv_builder(kind: ConvKind) -> impl Fn(&Attrs<'_>) -> Result<Box<dyn Op>, String> {
    move |a| {
        nhwc(a)?;
        Ok(Box::new(Conv2d {
            kind,
            strides: hw(a, "strides")?,
            dilations: hw(a, "dilations")?,
            padding: padding(a)?,
        }))
    }
}

#[derive(Debug)]
struct Softmax {
    log: bool,
}

impl Op for Softmax {
    fn name(&self) -> &'static str {
        "Softmax"
    }
    fn eval(&self, _: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let x = input(inputs, 0)?;
        let c = *x.shape().last().ok_or("softmax needs rank >= 1")?;
        let log = self.log;
        one(widen_halves(x, &[], |t, dtype| match dtype {
            DType::F32 => softmax_t::<f32>(t[0], c, log),
            DType::F64 => softmax_t::<f64>(t[0], c, log),
            other => Err(format!("softmax on {other} is not supported (floats only)")),
        })?)
    }
}

fn softmax_t<T: Float + Element>(x: &Tensor, row: usize, log: bool) -> Result<Tensor, String> {
    if let (false, Ok(v)) = (log, x.as_slice::<f32>()) {
        let mut y = vec![0f32; v.len()];
        softmax::softmax_f32(v, row, &mut y).map_err(err)?;
        return Tensor::from_vec(x.shape().to_vec(), y).map_err(err);
    }
    let v = x.as_slice::<T>().map_err(err)?;
    let mut y = vec![T::ZERO; v.len()];
    if log {
        softmax::log_softmax(v, row, &mut y)
    } else {
        softmax::softmax(v, row, &mut y)
    }
    .map_err(err)?;
    Tensor::from_vec(x.shape().to_vec(), y).map_err(err)
}

/// Registers the NN ops.
pub fn register(r: &mut Registry) {
    r.add("MatMul", |a| {
        Ok(Box::new(MatMul {
            ta: a.bool_or("transpose_a", false)?,
            tb: a.bool_or("transpose_b", false)?,
        }))
    });
    for name in ["BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"] {
        r.add(name, |a| {
            Ok(Box::new(BatchMatMul {
                adj_x: a.bool_or("adj_x", false)?,
                adj_y: a.bool_or("adj_y", false)?,
            }))
        });
    }
    r.add("BiasAdd", |a| {
        Ok(Box::new(BiasAdd {
            nchw: a.string_or("data_format", "NHWC")? == "NCHW",
        }))
    });
    r.add("BiasAddV1", |_| Ok(Box::new(BiasAdd { nchw: false })));
    r.add("Conv2D", |a| conv_builder(ConvKind::Forward)(a));
    r.add("DepthwiseConv2dNative", |a| {
        conv_builder(ConvKind::Depthwise)(a)
    });
    r.add("Conv2DBackpropInput", |a| {
        conv_builder(ConvKind::Transpose)(a)
    });
    r.add("Softmax", |_| Ok(Box::new(Softmax { log: false })));
    r.add("LogSoftmax", |_| Ok(Box::new(Softmax { log: true })));
}
