//! Elementwise epilogues: cheap float32 ops (bias, scale, shift, residual
//! add, activation) that the planner runs in place on the fresh output of
//! the op before them instead of as separate steps. A convolution followed
//! by BiasAdd, the Mul/Add of an inference batch norm and a Relu then makes
//! one pass over its output instead of four allocations and four passes.
//!
//! Results are bit-identical to the unfused ops: each step computes the
//! same IEEE expression as the op it replaces. Inputs the fast path does
//! not cover (other dtypes, broadcasting that grows the shape) fall back to
//! the original op.

use rayon::prelude::*;
use savedmodel_kernels::vmath;
use savedmodel_tensor::{DType, Tensor};

use crate::attrs::Attrs;

/// An op that can run as an in-place step on the value flowing through a
/// fused chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Epilogue {
    /// `x + side` (Add, AddV2, BiasAdd with channels last).
    Add,
    /// `x - side`.
    Sub,
    /// `side - x`.
    SubFrom,
    /// `x * side`.
    Mul,
    /// `x / side`.
    Div,
    /// `side / x`.
    DivInto,
    /// `max(x, 0)` as TensorFlow's CPU Relu computes it.
    Relu,
    /// `min(max(x, 0), 6)`.
    Relu6,
    /// `x` if positive, else `alpha * x`.
    LeakyRelu(f32),
    /// `1 / (1 + e^-x)` (TF `Sigmoid`, computed as the f32 op computes it).
    Sigmoid,
    /// `x * sigmoid(x)` (swish / SiLU: a `Mul` of a value and its `Sigmoid`,
    /// recognised by the planner).
    Swish,
}

impl Epilogue {
    /// True when the step reads a second operand.
    pub fn is_binary(self) -> bool {
        matches!(
            self,
            Epilogue::Add
                | Epilogue::Sub
                | Epilogue::SubFrom
                | Epilogue::Mul
                | Epilogue::Div
                | Epilogue::DivInto
        )
    }

    /// The step for an op whose chained value is its input `position`
    /// (`None` when this op cannot be an epilogue).
    pub fn with_chain_at(self, position: usize) -> Option<Epilogue> {
        match (self, position) {
            (e, 0) => Some(e),
            (Epilogue::Add | Epilogue::Mul, 1) => Some(self),
            (Epilogue::Sub, 1) => Some(Epilogue::SubFrom),
            (Epilogue::Div, 1) => Some(Epilogue::DivInto),
            _ => None,
        }
    }

    /// Which inputs of the op may carry the chained value.
    pub fn chain_positions(self) -> &'static [usize] {
        if self.is_binary() {
            &[0, 1]
        } else {
            &[0]
        }
    }
}

/// The epilogue a float32 node can be, from its op type and attributes.
pub fn of_node(attrs: &Attrs<'_>) -> Option<Epilogue> {
    if attrs.dtype("T").ok()? != DType::F32 {
        return None;
    }
    Some(match attrs.op {
        "Add" | "AddV2" => Epilogue::Add,
        "BiasAdd" => {
            let format = attrs.string_or("data_format", "NHWC").ok()?;
            if format != "NHWC" {
                return None;
            }
            Epilogue::Add
        }
        "BiasAddV1" => Epilogue::Add,
        "Sub" => Epilogue::Sub,
        "Mul" => Epilogue::Mul,
        "RealDiv" | "Div" => Epilogue::Div,
        "Relu" => Epilogue::Relu,
        "Relu6" => Epilogue::Relu6,
        "LeakyRelu" => Epilogue::LeakyRelu(attrs.float_or("alpha", 0.2).ok()?),
        "Sigmoid" => Epilogue::Sigmoid,
        _ => return None,
    })
}

/// How a binary step's second operand lines up with the chained value.
#[derive(Clone, Copy)]
enum Side<'a> {
    None,
    Scalar(f32),
    /// One value per innermost index (length = last dimension).
    Channel(&'a [f32]),
    /// Same shape as the chained value.
    Full(&'a [f32]),
}

/// Classifies `side` against the chained value's `shape`; `None` when the
/// result would not keep `shape` (the caller falls back to the op).
fn side_of<'a>(shape: &[usize], side: &'a Tensor) -> Option<Side<'a>> {
    let data = side.as_slice::<f32>().ok()?;
    if side.rank() > shape.len() {
        return None;
    }
    if data.len() == 1 {
        return Some(Side::Scalar(data[0]));
    }
    if side.shape() == shape {
        return Some(Side::Full(data));
    }
    let channels = *shape.last()?;
    let (last, outer) = side.shape().split_last()?;
    if *last == channels && outer.iter().all(|&d| d == 1) {
        return Some(Side::Channel(data));
    }
    None
}

/// Elements per parallel task (a multiple of the channel count is taken).
const CHUNK: usize = 1 << 14;
/// Elements each step runs over before the next step starts (a multiple of
/// the channel count is taken): small enough to stay in L1 between steps.
const SUB_BLOCK: usize = 1 << 11;

/// A chain of steps with their second operands classified against the
/// chained value's shape, ready to run on any channel-aligned part of it.
pub struct Chain<'a> {
    steps: Vec<(Epilogue, Side<'a>)>,
    channels: usize,
}

impl<'a> Chain<'a> {
    /// Prepares `steps` for a chained value of `shape`; `None` when a step is
    /// not covered by the fast path (the caller then runs the ops).
    pub fn prepare(shape: &[usize], steps: &[(Epilogue, Option<&'a Tensor>)]) -> Option<Self> {
        let channels = shape.last().copied().unwrap_or(1).max(1);
        let mut prepared = Vec::with_capacity(steps.len());
        for (step, side) in steps {
            let side = match (step.is_binary(), side) {
                (false, _) => Side::None,
                (true, Some(t)) => side_of(shape, t)?,
                (true, None) => return None,
            };
            prepared.push((*step, side));
        }
        Some(Chain {
            steps: prepared,
            channels,
        })
    }

    /// Runs every step on `block`, which is the chained value's elements
    /// `start..start + block.len()`; `start` must be a multiple of the
    /// channel count (the last dimension).
    pub fn run(&self, start: usize, block: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if savedmodel_kernels::simd::has_avx2() {
            // SAFETY: the CPU supports AVX2 (checked just above).
            unsafe { self.run_avx2(start, block) };
            return;
        }
        self.run_impl(start, block)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn run_avx2(&self, start: usize, block: &mut [f32]) {
        self.run_impl(start, block)
    }

    #[inline(always)]
    fn run_impl(&self, start: usize, block: &mut [f32]) {
        let sub = (SUB_BLOCK / self.channels).max(1) * self.channels;
        for (i, part) in block.chunks_mut(sub).enumerate() {
            for (step, side) in &self.steps {
                run_step(part, start + i * sub, self.channels, *step, *side);
            }
        }
    }
}

/// Applies `steps` (with their second operands) to `value` in place, in
/// one pass, if every step is covered by the fast path; returns false
/// (leaving `value` untouched) otherwise.
pub fn apply(value: &mut Tensor, steps: &[(Epilogue, Option<&Tensor>)]) -> bool {
    if value.dtype() != DType::F32 {
        return false;
    }
    let Some(chain) = Chain::prepare(value.shape(), steps) else {
        return false;
    };
    let Ok(data) = value.as_mut_slice::<f32>() else {
        return false;
    };
    let chunk = (CHUNK / chain.channels).max(1) * chain.channels;
    data.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(i, block)| chain.run(i * chunk, block));
    true
}

/// One step over `block`, which starts at element `start` (a multiple of
/// `channels`). The step is matched once, outside the element loop, so each
/// arm is a tight loop the compiler vectorises.
#[inline(always)]
fn run_step(block: &mut [f32], start: usize, channels: usize, step: Epilogue, side: Side<'_>) {
    let at = (block, start, channels, side);
    match step {
        Epilogue::Add => map_side(at, |x, s| x + s),
        Epilogue::Sub => map_side(at, |x, s| x - s),
        Epilogue::SubFrom => map_side(at, |x, s| s - x),
        Epilogue::Mul => map_side(at, |x, s| x * s),
        Epilogue::Div => map_side(at, |x, s| x / s),
        Epilogue::DivInto => map_side(at, |x, s| s / x),
        Epilogue::Relu => map_side(at, |x, _| if x > 0.0 { x } else { 0.0 }),
        Epilogue::Relu6 => map_side(at, |x, _| x.clamp(0.0, 6.0)),
        Epilogue::LeakyRelu(alpha) => map_side(at, |x, _| if x > 0.0 { x } else { x * alpha }),
        Epilogue::Sigmoid => map_side(at, |x, _| vmath::sigmoid(x)),
        Epilogue::Swish => map_side(at, |x, _| x * vmath::sigmoid(x)),
    }
}

/// `x = op(x, s)` over `block` with `s` taken from `side` (see [`run_step`]).
#[inline(always)]
fn map_side(
    (block, start, channels, side): (&mut [f32], usize, usize, Side<'_>),
    op: impl Fn(f32, f32) -> f32,
) {
    match side {
        Side::None => block.iter_mut().for_each(|x| *x = op(*x, 0.0)),
        Side::Scalar(s) => block.iter_mut().for_each(|x| *x = op(*x, s)),
        Side::Channel(per) => {
            for row in block.chunks_exact_mut(channels) {
                row.iter_mut().zip(per).for_each(|(x, &s)| *x = op(*x, s));
            }
        }
        Side::Full(all) => {
            let end = start + block.len();
            if let Some(all) = all.get(start..end) {
                block.iter_mut().zip(all).for_each(|(x, &s)| *x = op(*x, s));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], data: Vec<f32>) -> Tensor {
        Tensor::from_vec(shape.to_vec(), data).unwrap()
    }

    #[test]
    fn chain_matches_step_by_step_arithmetic() {
        let n = 3 * 5 * 7;
        let x: Vec<f32> = (0..n).map(|i| (i as f32 - 50.0) * 0.37).collect();
        let bias: Vec<f32> = (0..7).map(|i| i as f32 * 0.5 - 1.0).collect();
        let residual: Vec<f32> = (0..n).map(|i| (i % 11) as f32 - 5.0).collect();
        let mut value = t(&[3, 5, 7], x.clone());
        let bias_t = t(&[7], bias.clone());
        let scale_t = t(&[1, 1, 7], bias.iter().map(|b| b * 2.0 + 0.25).collect());
        let residual_t = t(&[3, 5, 7], residual.clone());
        let two = t(&[], vec![2.0]);
        let steps = [
            (Epilogue::Add, Some(&bias_t)),
            (Epilogue::Mul, Some(&scale_t)),
            (Epilogue::SubFrom, Some(&residual_t)),
            (Epilogue::DivInto, Some(&two)),
            (Epilogue::Relu6, None),
        ];
        assert!(apply(&mut value, &steps));
        let scale = scale_t.as_slice::<f32>().unwrap();
        for (i, got) in value.as_slice::<f32>().unwrap().iter().enumerate() {
            let c = i % 7;
            let v = (x[i] + bias[c]) * scale[c];
            let v = residual[i] - v;
            let v = 2.0 / v;
            assert_eq!(got.to_bits(), v.clamp(0.0, 6.0).to_bits(), "element {i}");
        }
    }

    #[test]
    fn shapes_the_fast_path_does_not_cover_are_refused() {
        let mut value = t(&[2, 3], vec![1.0; 6]);
        // A side operand that would broadcast the result to [4, 2, 3].
        let grows = t(&[4, 1, 1], vec![1.0; 4]);
        assert!(!apply(&mut value, &[(Epilogue::Add, Some(&grows))]));
        // Per-row rather than per-channel.
        let rows = t(&[2, 1], vec![1.0; 2]);
        assert!(!apply(&mut value, &[(Epilogue::Add, Some(&rows))]));
        let ints = Tensor::from_vec(vec![3], vec![1i32, 2, 3]).unwrap();
        assert!(!apply(&mut value, &[(Epilogue::Add, Some(&ints))]));
        assert_eq!(value.as_slice::<f32>().unwrap(), &[1.0; 6]);
    }

    #[test]
    fn leaky_relu_and_relu_match_the_ops() {
        let mut value = t(&[4], vec![-2.0, -0.0, 0.5, f32::NAN]);
        assert!(apply(&mut value, &[(Epilogue::LeakyRelu(0.1), None)]));
        let got = value.as_slice::<f32>().unwrap();
        assert_eq!(got[0], -2.0 * 0.1);
        assert_eq!(got[2], 0.5);
        let mut value = t(&[2], vec![-1.0, 3.0]);
        assert!(apply(&mut value, &[(Epilogue::Relu, None)]));
        assert_eq!(value.as_slice::<f32>().unwrap(), &[0.0, 3.0]);
    }

    #[test]
    fn sigmoid_and_swish_match_the_ops_bit_for_bit() {
        let xs: Vec<f32> = (0..5000).map(|i| (i as f32 - 2500.0) * 0.013).collect();
        let mut value = t(&[50, 100], xs.clone());
        assert!(apply(&mut value, &[(Epilogue::Swish, None)]));
        let swish: Vec<f32> = xs.iter().map(|&x| x * vmath::sigmoid(x)).collect();
        assert_eq!(value.as_slice::<f32>().unwrap(), swish.as_slice());
        let mut value = t(&[5000], xs.clone());
        assert!(apply(&mut value, &[(Epilogue::Sigmoid, None)]));
        let sigmoid: Vec<f32> = xs.iter().map(|&x| vmath::sigmoid(x)).collect();
        assert_eq!(value.as_slice::<f32>().unwrap(), sigmoid.as_slice());
    }
}
