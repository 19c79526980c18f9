//! TF `Softmax` and `LogSoftmax` over the last axis.
//!
//! Numerically stable: each row is shifted by its maximum before
//! exponentiation, `softmax = exp(x − max) / Σ exp(x − max)` and
//! `log_softmax = (x − max) − ln Σ exp(x − max)`. Rows run in parallel.

use rayon::prelude::*;

use crate::error::{KernelError, Result};
use crate::num::Float;
use crate::util::{check_len, PARALLEL_THRESHOLD};

fn rows<T: Float>(
    op: &'static str,
    input: &[T],
    row_len: usize,
    out: &mut [T],
    f: impl Fn(&[T], &mut [T]) + Sync,
) -> Result<()> {
    check_len(op, out.len(), input.len())?;
    if row_len == 0 {
        return Ok(());
    }
    if input.len() % row_len != 0 {
        return Err(KernelError::invalid(
            op,
            format!("{} elements are not rows of {row_len}", input.len()),
        ));
    }
    if input.len() >= PARALLEL_THRESHOLD {
        input
            .par_chunks(row_len)
            .zip(out.par_chunks_mut(row_len))
            .for_each(|(x, y)| f(x, y));
    } else {
        input
            .chunks(row_len)
            .zip(out.chunks_mut(row_len))
            .for_each(|(x, y)| f(x, y));
    }
    Ok(())
}

fn row_max<T: Float>(x: &[T]) -> T {
    x.iter().fold(T::max_identity(), |m, &v| m.max_nan(v))
}

/// Softmax of each row of `row_len` elements; `out` is overwritten.
pub fn softmax<T: Float>(input: &[T], row_len: usize, out: &mut [T]) -> Result<()> {
    rows("softmax", input, row_len, out, |x, y| {
        let max = row_max(x);
        let mut sum = T::ZERO;
        for (yv, &xv) in y.iter_mut().zip(x) {
            *yv = xv.sub(max).exp();
            sum = sum.add(*yv);
        }
        let inv = T::ONE.div(sum);
        y.iter_mut().for_each(|v| *v = v.mul(inv));
    })
}

/// [`softmax`] for f32, exponentiating with the vectorisable
/// [`crate::vmath::exp`] (within 2 ulp) instead of a libm call per element.
pub fn softmax_f32(input: &[f32], row_len: usize, out: &mut [f32]) -> Result<()> {
    rows("softmax", input, row_len, out, |x, y| {
        let max = row_max(x);
        for (yv, &xv) in y.iter_mut().zip(x) {
            *yv = crate::vmath::exp(xv - max);
        }
        let sum: f32 = y.iter().sum();
        let inv = 1.0 / sum;
        y.iter_mut().for_each(|v| *v *= inv);
    })
}

/// Log-softmax of each row of `row_len` elements; `out` is overwritten.
pub fn log_softmax<T: Float>(input: &[T], row_len: usize, out: &mut [T]) -> Result<()> {
    rows("log_softmax", input, row_len, out, |x, y| {
        let max = row_max(x);
        let mut sum = T::ZERO;
        for (yv, &xv) in y.iter_mut().zip(x) {
            *yv = xv.sub(max);
            sum = sum.add(yv.exp());
        }
        let log_sum = sum.ln();
        y.iter_mut().for_each(|v| *v = v.sub(log_sum));
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_rows() {
        let x = [1000.0f32, 1001.0, 1002.0, 0.0, 0.0, 0.0];
        let mut y = [0f32; 6];
        softmax(&x, 3, &mut y).unwrap();
        let e = [1.0f32, 1f32.exp(), 2f32.exp()];
        let s: f32 = e.iter().sum();
        for i in 0..3 {
            assert!((y[i] - e[i] / s).abs() < 1e-6);
            assert!((y[3 + i] - 1.0 / 3.0).abs() < 1e-6);
        }
        log_softmax(&x, 3, &mut y).unwrap();
        assert!((y[2] - (2.0 - s.ln())).abs() < 1e-5);
        assert!((y[4] + 3f32.ln()).abs() < 1e-6);
        assert!(softmax(&x, 4, &mut y).is_err());
        let big: Vec<f64> = (0..70_000).map(|i| (i % 10) as f64).collect();
        let mut out = vec![0f64; big.len()];
        softmax(&big, 10, &mut out).unwrap();
        assert!(out
            .chunks(10)
            .all(|r| (r.iter().sum::<f64>() - 1.0).abs() < 1e-12));
    }

    #[test]
    fn f32_softmax_matches_the_generic_one() {
        let x: Vec<f32> = (0..7_000)
            .map(|i| ((i * 37) % 101) as f32 * 0.37 - 18.0)
            .collect();
        for row in [1, 7, 100, 1000] {
            let (mut fast, mut generic) = (vec![0f32; x.len()], vec![0f32; x.len()]);
            softmax_f32(&x, row, &mut fast).unwrap();
            softmax(&x, row, &mut generic).unwrap();
            for (a, b) in fast.iter().zip(&generic) {
                assert!(
                    (a - b).abs() <= 4.0 * f32::EPSILON * b.abs().max(f32::MIN_POSITIVE),
                    "{a} vs {b}"
                );
            }
        }
        let mut y = [0f32; 3];
        softmax_f32(&[f32::NEG_INFINITY, 0.0, 1.0], 3, &mut y).unwrap();
        assert_eq!(y[0], 0.0);
        assert!(softmax_f32(&[1.0; 4], 3, &mut [0f32; 4]).is_err());
    }
}
