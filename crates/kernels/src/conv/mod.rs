//! Convolutions in TF's layouts: NHWC/NDHWC activations, HWIO/DHWIO filters.
//!
//! TF ops: `Conv2D` (including grouped convolution, where the input depth is
//! a multiple of the filter's input depth), `Conv3D`,
//! `DepthwiseConv2dNative`, `Conv2DBackpropInput` and
//! `Conv3DBackpropInputV2` (transposed convolution). Padding and output
//! sizes come from [`output_size_and_pad`], TF's
//! `GetWindowedOutputSizeVerbose`. The op layer builds a geometry with
//! [`Conv2dGeometry::new`] / [`Conv3dGeometry::new`] and calls one function;
//! there is no other state.

mod depthwise;
mod direct;
mod forward;
mod geometry;
mod transpose;

pub use crate::window::{output_size_and_pad, DimPadding, Padding};
pub use geometry::{Conv2dGeometry, Conv3dGeometry};

/// A step run on each finished part of a convolution's output:
/// `post(first, part)` where `part` is `out[first..first + part.len()]`.
pub type Post<'a, T> = &'a (dyn Fn(usize, &mut [T]) + Sync);

use crate::error::Result;
use crate::gemm::GemmScalar;
use crate::num::Numeric;

/// TF `Conv2D`: `input` `[N, in_h, in_w, in_c]`, `filter`
/// `[k_h, k_w, in_c / groups, out_c]`, `out` `[N, out_h, out_w, out_c]`
/// (overwritten), for f32, f64 or complex elements.
pub fn conv2d_nhwc<T: GemmScalar>(
    geom: &Conv2dGeometry,
    input: &[T],
    filter_hwio: &[T],
    out: &mut [T],
) -> Result<()> {
    forward::conv3d(&geom.to_3d(), input, filter_hwio, out, None)
}

/// [`conv3d_ndhwc`], then `post(first, part)` on every part of `out` as
/// soon as it is computed (while it is in cache): `part` is
/// `out[first..first + part.len()]`, `first` and the length are multiples of
/// the output depth, and the parts cover `out` exactly once.
pub fn conv3d_ndhwc_then<T: GemmScalar>(
    geom: &Conv3dGeometry,
    (input, filter_dhwio, out): (&[T], &[T], &mut [T]),
    post: Post<'_, T>,
) -> Result<()> {
    forward::conv3d(geom, input, filter_dhwio, out, Some(post))
}

/// [`conv2d_nhwc`] for f32.
pub fn conv2d_nhwc_f32(
    geom: &Conv2dGeometry,
    input: &[f32],
    filter_hwio: &[f32],
    out: &mut [f32],
) -> Result<()> {
    conv2d_nhwc(geom, input, filter_hwio, out)
}

/// TF `Conv3D`: `input` `[N, D, H, W, in_c]`, `filter`
/// `[kd, kh, kw, in_c / groups, out_c]`, `out` `[N, oD, oH, oW, out_c]`.
pub fn conv3d_ndhwc<T: GemmScalar>(
    geom: &Conv3dGeometry,
    input: &[T],
    filter_dhwio: &[T],
    out: &mut [T],
) -> Result<()> {
    forward::conv3d(geom, input, filter_dhwio, out, None)
}

/// [`conv3d_ndhwc`] for f32.
pub fn conv3d_ndhwc_f32(
    geom: &Conv3dGeometry,
    input: &[f32],
    filter_dhwio: &[f32],
    out: &mut [f32],
) -> Result<()> {
    conv3d_ndhwc(geom, input, filter_dhwio, out)
}

/// [`conv2d_nhwc`] for any [`Numeric`] type (TF's int32 `Conv2D`), as
/// direct loops with wrapping integer arithmetic.
pub fn conv2d_nhwc_direct<T: Numeric>(
    geom: &Conv2dGeometry,
    input: &[T],
    filter_hwio: &[T],
    out: &mut [T],
) -> Result<()> {
    direct::conv3d(&geom.to_3d(), input, filter_hwio, out)
}

/// [`conv3d_ndhwc`] for any [`Numeric`] type, as direct loops.
pub fn conv3d_ndhwc_direct<T: Numeric>(
    geom: &Conv3dGeometry,
    input: &[T],
    filter_dhwio: &[T],
    out: &mut [T],
) -> Result<()> {
    direct::conv3d(geom, input, filter_dhwio, out)
}

/// [`conv2d_transpose_nhwc`] for any [`Numeric`] type (TF's int32
/// `Conv2DBackpropInput`), as direct loops.
pub fn conv2d_transpose_nhwc_direct<T: Numeric>(
    geom: &Conv2dGeometry,
    grads: &[T],
    filter_hwio: &[T],
    out: &mut [T],
) -> Result<()> {
    direct::conv3d_backprop_input(&geom.to_3d(), grads, filter_hwio, out)
}

/// [`conv3d_transpose_ndhwc`] for any [`Numeric`] type, as direct loops.
pub fn conv3d_transpose_ndhwc_direct<T: Numeric>(
    geom: &Conv3dGeometry,
    grads: &[T],
    filter_dhwio: &[T],
    out: &mut [T],
) -> Result<()> {
    direct::conv3d_backprop_input(geom, grads, filter_dhwio, out)
}

/// TF `DepthwiseConv2dNative`: `geom` from [`Conv2dGeometry::depthwise`],
/// `filter` `[k_h, k_w, in_c, channel_multiplier]`, `out`
/// `[N, out_h, out_w, in_c · channel_multiplier]`. Any [`Numeric`] type.
pub fn depthwise_conv2d_nhwc<T: Numeric>(
    geom: &Conv2dGeometry,
    channel_multiplier: usize,
    input: &[T],
    filter: &[T],
    out: &mut [T],
) -> Result<()> {
    let row = depthwise::output_row_impl::<T>;
    depthwise::depthwise_conv2d(geom, channel_multiplier, (input, filter, out), row, None)
}

/// [`depthwise_conv2d_nhwc`] for f32 (AVX2 when the CPU has it).
pub fn depthwise_conv2d_nhwc_f32(
    geom: &Conv2dGeometry,
    channel_multiplier: usize,
    input: &[f32],
    filter: &[f32],
    out: &mut [f32],
) -> Result<()> {
    let row = depthwise::output_row_f32;
    depthwise::depthwise_conv2d(geom, channel_multiplier, (input, filter, out), row, None)
}

/// [`depthwise_conv2d_nhwc_f32`], then `post(first, part)` on every part of
/// `out` as soon as it is computed (while it is in cache): `part` is
/// `out[first..first + part.len()]`, `first` and the length are multiples of
/// the output depth, and the parts cover `out` exactly once.
pub fn depthwise_conv2d_nhwc_f32_then(
    geom: &Conv2dGeometry,
    channel_multiplier: usize,
    (input, filter, out): (&[f32], &[f32], &mut [f32]),
    post: Post<'_, f32>,
) -> Result<()> {
    let row = depthwise::output_row_f32;
    depthwise::depthwise_conv2d(
        geom,
        channel_multiplier,
        (input, filter, out),
        row,
        Some(post),
    )
}

/// TF `Conv2DBackpropInput` (transposed convolution). `geom` describes the
/// forward convolution: build it with [`Conv2dGeometry::new`] from
/// `input_sizes` (the shape of `out`), the filter shape
/// `[k_h, k_w, in_c, out_c]`, strides, dilations and padding; its output
/// shape must be that of `grads` (`[N, out_h, out_w, out_c]`). `out`
/// (`[N, in_h, in_w, in_c]`) is overwritten.
pub fn conv2d_transpose_nhwc<T: GemmScalar>(
    geom: &Conv2dGeometry,
    grads: &[T],
    filter_hwio: &[T],
    out: &mut [T],
) -> Result<()> {
    transpose::conv3d_backprop_input(&geom.to_3d(), grads, filter_hwio, out)
}

/// [`conv2d_transpose_nhwc`] for f32.
pub fn conv2d_transpose_nhwc_f32(
    geom: &Conv2dGeometry,
    grads: &[f32],
    filter_hwio: &[f32],
    out: &mut [f32],
) -> Result<()> {
    conv2d_transpose_nhwc(geom, grads, filter_hwio, out)
}

/// TF `Conv3DBackpropInputV2`, the 3-D form of [`conv2d_transpose_nhwc`].
pub fn conv3d_transpose_ndhwc<T: GemmScalar>(
    geom: &Conv3dGeometry,
    grads: &[T],
    filter_dhwio: &[T],
    out: &mut [T],
) -> Result<()> {
    transpose::conv3d_backprop_input(geom, grads, filter_dhwio, out)
}

/// [`conv3d_transpose_ndhwc`] for f32.
pub fn conv3d_transpose_ndhwc_f32(
    geom: &Conv3dGeometry,
    grads: &[f32],
    filter_dhwio: &[f32],
    out: &mut [f32],
) -> Result<()> {
    conv3d_transpose_ndhwc(geom, grads, filter_dhwio, out)
}

#[cfg(test)]
mod tests;
