//! Depthwise convolution (TF `DepthwiseConv2dNative`): every input channel
//! `c` is convolved with its own `channel_multiplier` filters, producing
//! output channels `c·multiplier .. (c+1)·multiplier`.
//!
//! The kernel walks one output row at a time (rows of all images in
//! parallel). For each output pixel it accumulates, tap by tap in (ky, kx)
//! order, the input pixel times the tap's `[C·multiplier]` filter slice;
//! with a multiplier of 1 that inner loop is a contiguous multiply-add over
//! channels that the compiler vectorises. The f32 build of the row loop is
//! compiled a second time with AVX2 and chosen at run time. An optional
//! `post` step runs on each finished row while it is still in cache.

use rayon::prelude::*;

use super::geometry::Conv2dGeometry;
use crate::error::{KernelError, Result};
use crate::num::Numeric;
use crate::util::{check_len, num_elements, PARALLEL_THRESHOLD};
use crate::window::check_span;

/// Computes one output row: `(geometry, multiplier, input, filter, row
/// index, output row)`.
pub(crate) type RowFn<T> = fn(&Conv2dGeometry, usize, &[T], &[T], usize, &mut [T]);

/// `out = depthwise_conv2d(input, filter)` with `filter` shaped
/// `[kh, kw, in_c, multiplier]` and `out` shaped `[N, out_h, out_w, in_c·multiplier]`;
/// then `post(first element, row)` on every output row.
pub(crate) fn depthwise_conv2d<T: Numeric>(
    g: &Conv2dGeometry,
    multiplier: usize,
    (input, filter, out): (&[T], &[T], &mut [T]),
    row_fn: RowFn<T>,
    post: Option<super::Post<'_, T>>,
) -> Result<()> {
    const OP: &str = "depthwise_conv2d";
    if g.in_c.checked_mul(multiplier) != Some(g.out_c) {
        return Err(KernelError::invalid(
            OP,
            format!(
                "output depth {} is not input depth {} times multiplier {multiplier}",
                g.out_c, g.in_c
            ),
        ));
    }
    check_span(OP, g.out_h, g.k_h, g.stride_h, g.dilation_h, g.pad_top)?;
    check_span(OP, g.out_w, g.k_w, g.stride_w, g.dilation_w, g.pad_left)?;
    check_len(
        OP,
        input.len(),
        num_elements(&[g.batch, g.in_h, g.in_w, g.in_c])?,
    )?;
    check_len(OP, filter.len(), num_elements(&[g.k_h, g.k_w, g.out_c])?)?;
    check_len(
        OP,
        out.len(),
        num_elements(&[g.batch, g.out_h, g.out_w, g.out_c])?,
    )?;
    let row_len = g.out_w * g.out_c;
    if row_len == 0 {
        return Ok(());
    }
    let row = |index: usize, out_row: &mut [T]| {
        row_fn(g, multiplier, input, filter, index, out_row);
        if let Some(post) = post {
            post(index * row_len, out_row);
        }
    };
    if out.len() >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(row_len)
            .enumerate()
            .for_each(|(i, r)| row(i, r));
    } else {
        out.chunks_mut(row_len)
            .enumerate()
            .for_each(|(i, r)| row(i, r));
    }
    Ok(())
}

/// The f32 row function: the AVX2 build when the CPU has it.
pub(crate) fn output_row_f32(
    g: &Conv2dGeometry,
    multiplier: usize,
    input: &[f32],
    filter: &[f32],
    index: usize,
    out_row: &mut [f32],
) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { output_row_avx2(g, multiplier, input, filter, index, out_row) };
        return;
    }
    output_row_impl(g, multiplier, input, filter, index, out_row)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn output_row_avx2(
    g: &Conv2dGeometry,
    multiplier: usize,
    input: &[f32],
    filter: &[f32],
    index: usize,
    out_row: &mut [f32],
) {
    output_row_impl(g, multiplier, input, filter, index, out_row)
}

/// Output row `index` (image · out_h + y), the portable row function for
/// any [`Numeric`] type. Every pixel's accumulator stays in L1 while all its
/// taps are added, in (ky, kx) order.
#[inline(always)]
pub(crate) fn output_row_impl<T: Numeric>(
    g: &Conv2dGeometry,
    multiplier: usize,
    input: &[T],
    filter: &[T],
    index: usize,
    out_row: &mut [T],
) {
    let (n, oy) = (index / g.out_h, index % g.out_h);
    let row_of = |ky: usize| {
        let iy = (oy * g.stride_h + ky * g.dilation_h).checked_sub(g.pad_top)?;
        (iy < g.in_h).then(|| &input[(n * g.in_h + iy) * g.in_w * g.in_c..][..g.in_w * g.in_c])
    };
    for (ox, acc) in out_row.chunks_exact_mut(g.out_c).enumerate() {
        acc.fill(T::ZERO);
        for ky in 0..g.k_h {
            let Some(in_row) = row_of(ky) else {
                continue;
            };
            for kx in 0..g.k_w {
                let Some(ix) = (ox * g.stride_w + kx * g.dilation_w).checked_sub(g.pad_left) else {
                    continue;
                };
                if ix >= g.in_w {
                    continue;
                }
                let taps = &filter[(ky * g.k_w + kx) * g.out_c..][..g.out_c];
                let pixel = &in_row[ix * g.in_c..][..g.in_c];
                if multiplier == 1 {
                    for ((a, &x), &w) in acc.iter_mut().zip(pixel).zip(taps) {
                        *a = a.add(x.mul(w));
                    }
                } else {
                    for ((acc_c, &x), taps_c) in acc
                        .chunks_exact_mut(multiplier)
                        .zip(pixel)
                        .zip(taps.chunks_exact(multiplier))
                    {
                        for (a, &w) in acc_c.iter_mut().zip(taps_c) {
                            *a = a.add(x.mul(w));
                        }
                    }
                }
            }
        }
    }
}
