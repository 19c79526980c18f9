//! Direct convolutions for element types the `gemm` crate does not multiply
//! (TF registers `Conv2D` and `Conv2DBackpropInput` for int32 on CPU): the
//! definition as loops, with [`Numeric`]'s wrapping arithmetic. Forward
//! output rows run in parallel; the transposed form scatters each gradient
//! through every tap, one image at a time.

use rayon::prelude::*;

use super::forward::{tap_source, validate};
use super::geometry::Conv3dGeometry;
use crate::error::Result;
use crate::num::Numeric;
use crate::util::PARALLEL_THRESHOLD;

/// `out = conv3d(input, filter)` for any [`Numeric`] type; `out` is overwritten.
pub(crate) fn conv3d<T: Numeric>(
    g: &Conv3dGeometry,
    input: &[T],
    filter: &[T],
    out: &mut [T],
) -> Result<()> {
    let s = validate("conv3d", g, input.len(), filter.len(), out.len())?;
    if g.out_c == 0 {
        return Ok(());
    }
    let row = |r: usize, acc: &mut [T]| {
        acc.fill(T::ZERO);
        for tap in 0..s.taps {
            let Some(src) = tap_source(g, r, tap) else {
                continue;
            };
            for (oc, a) in acc.iter_mut().enumerate() {
                let group = oc / s.cog;
                let pixel = &input[src + group * s.cig..][..s.cig];
                for (ci, &x) in pixel.iter().enumerate() {
                    *a = a.add(x.mul(filter[(tap * s.cig + ci) * g.out_c + oc]));
                }
            }
        }
    };
    if out.len() >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(g.out_c)
            .enumerate()
            .for_each(|(r, acc)| row(r, acc));
    } else {
        out.chunks_mut(g.out_c)
            .enumerate()
            .for_each(|(r, acc)| row(r, acc));
    }
    Ok(())
}

/// `result = conv_backprop_input(grads, filter)` for any [`Numeric`] type;
/// `g` is the forward geometry (see [`super::conv2d_transpose_nhwc`]).
pub(crate) fn conv3d_backprop_input<T: Numeric>(
    g: &Conv3dGeometry,
    grads: &[T],
    filter: &[T],
    result: &mut [T],
) -> Result<()> {
    let s = validate("conv_transpose", g, result.len(), filter.len(), grads.len())?;
    result.fill(T::ZERO);
    if g.out_c == 0 {
        return Ok(());
    }
    for (r, gradient) in grads.chunks(g.out_c).enumerate().take(s.rows) {
        for tap in 0..s.taps {
            let Some(dst) = tap_source(g, r, tap) else {
                continue;
            };
            for (oc, &gv) in gradient.iter().enumerate() {
                let group = oc / s.cog;
                let pixel = &mut result[dst + group * s.cig..][..s.cig];
                for (ci, p) in pixel.iter_mut().enumerate() {
                    *p = p.add(gv.mul(filter[(tap * s.cig + ci) * g.out_c + oc]));
                }
            }
        }
    }
    Ok(())
}
