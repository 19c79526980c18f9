//! Forward convolution (TF `Conv2D`, `Conv3D`, grouped or not) as implicit
//! GEMM: output positions are cut into tiles, each tile's receptive fields
//! are gathered into a small im2col buffer (zeros where the window hangs
//! over the padding) and multiplied by the filter, viewed in place as a
//! `[kd·kh·kw·C/groups, out_c]` matrix, through the packed `gemm` kernels.
//! Tiles run in parallel; a 1×1 stride-1 unpadded convolution multiplies
//! input rows in place, with no gather.

use rayon::prelude::*;

use super::geometry::Conv3dGeometry;
use crate::error::{KernelError, Result};
use crate::gemm::{gemm_strided, GemmScalar, Strided};
use crate::util::check_len;
use crate::window::check_span;

/// Work (m·n·k) above which a single GEMM uses several threads.
const PARALLEL_WORK: usize = 1 << 18;
/// Target size of one tile's im2col buffer, in elements.
const TILE_ELEMENTS: usize = 1 << 20;

/// Validated sizes derived from a [`Conv3dGeometry`].
pub(crate) struct Sizes {
    pub rows: usize,
    pub taps: usize,
    pub cig: usize,
    pub cog: usize,
}

pub(crate) fn validate(
    op: &'static str,
    g: &Conv3dGeometry,
    input: usize,
    filter: usize,
    output: usize,
) -> Result<Sizes> {
    let overflow = KernelError::Overflow {
        what: "convolution",
    };
    if g.groups == 0 || g.in_c % g.groups != 0 || g.out_c % g.groups != 0 {
        return Err(KernelError::invalid(
            op,
            format!("invalid group count {}", g.groups),
        ));
    }
    for d in 0..3 {
        check_span(
            op,
            g.output[d],
            g.kernel[d],
            g.strides[d],
            g.dilations[d],
            g.pad_before[d],
        )?;
    }
    check_len(op, input, g.input_len().ok_or(overflow.clone())?)?;
    check_len(op, filter, g.filter_len().ok_or(overflow.clone())?)?;
    check_len(op, output, g.output_len().ok_or(overflow.clone())?)?;
    let rows = crate::util::num_elements(&[g.batch, g.output[0], g.output[1], g.output[2]])?;
    let taps = g.kernel.iter().product::<usize>();
    Ok(Sizes {
        rows,
        taps,
        cig: g.in_c / g.groups,
        cog: g.out_c / g.groups,
    })
}

/// Input offset of the first channel at output position `row`, tap `tap`,
/// or `None` when that tap reads padding.
#[inline]
pub(crate) fn tap_source(g: &Conv3dGeometry, row: usize, tap: usize) -> Option<usize> {
    let [od, oh, ow] = g.output;
    let [_, kh, kw] = g.kernel;
    let (x, rest) = (row % ow, row / ow);
    let (y, rest) = (rest % oh, rest / oh);
    let (z, n) = (rest % od, rest / od);
    let (tx, rest) = (tap % kw, tap / kw);
    let (ty, tz) = (rest % kh, rest / kh);
    let pos = [z, y, x];
    let t = [tz, ty, tx];
    let mut offset = n;
    for d in 0..3 {
        let i = (pos[d] * g.strides[d] + t[d] * g.dilations[d]).checked_sub(g.pad_before[d])?;
        if i >= g.input[d] {
            return None;
        }
        offset = offset * g.input[d] + i;
    }
    Some(offset * g.in_c)
}

/// Gathers the receptive fields of output rows `first..first + count`
/// for channel group `group` into `buf` (`count × taps·cig`, row-major).
fn im2col<T: GemmScalar>(
    g: &Conv3dGeometry,
    s: &Sizes,
    input: &[T],
    group: usize,
    first: usize,
    buf: &mut [T],
) {
    let width = s.taps * s.cig;
    for (r, row_buf) in buf.chunks_mut(width).enumerate() {
        for (tap, dst) in row_buf.chunks_mut(s.cig).enumerate() {
            match tap_source(g, first + r, tap) {
                Some(at) => {
                    let at = at + group * s.cig;
                    dst.copy_from_slice(&input[at..at + s.cig]);
                }
                None => dst.fill(T::ZERO),
            }
        }
    }
}

/// `out = conv(input, filter)` for any geometry (see module docs).
/// Then runs `post(first element, part)` on each finished tile (or, when
/// the whole output is one GEMM, on channel-aligned parts in parallel).
pub(crate) fn conv3d<T: GemmScalar>(
    g: &Conv3dGeometry,
    input: &[T],
    filter: &[T],
    out: &mut [T],
    post: Option<super::Post<'_, T>>,
) -> Result<()> {
    let s = validate("conv", g, input.len(), filter.len(), out.len())?;
    if out.is_empty() {
        return Ok(());
    }
    if s.taps == 0 || s.cig == 0 {
        out.fill(T::ZERO);
        if let Some(post) = post {
            post_parallel(out, g.out_c, post);
        }
        return Ok(());
    }
    let pointwise =
        s.taps == 1 && g.strides == [1, 1, 1] && g.pad_before == [0, 0, 0] && g.output == g.input;
    let width = s.taps * s.cig;
    let threads = rayon::current_num_threads().max(1);
    let by_cache = (TILE_ELEMENTS / width.max(1)).max(8);
    let by_threads = s.rows.div_ceil(threads).max(8);
    // A small im2col matrix (late, narrow layers with big filters) is one
    // GEMM parallelised inside: splitting its few rows across threads would
    // make every thread pack the whole filter for little work.
    let tile = if s.rows.saturating_mul(width) <= TILE_ELEMENTS {
        s.rows
    } else {
        by_cache.min(by_threads)
    };
    let work = |storage: &mut Vec<T>, t: usize, chunk: &mut [T], parallel: bool| -> Result<()> {
        let first = t * tile;
        let count = chunk.len() / g.out_c;
        let dims = (count, width, s.cog);
        for group in 0..g.groups {
            let rhs = Strided::rows(group * s.cog, g.out_c);
            let dst = Strided::rows(group * s.cog, g.out_c);
            if pointwise {
                let lhs = Strided::rows(first * g.in_c + group * s.cig, g.in_c);
                gemm_strided(dims, chunk, dst, false, input, lhs, filter, rhs, parallel)?;
            } else {
                let buf = aligned_scratch(storage, count * width);
                im2col(g, &s, input, group, first, buf);
                let lhs = Strided::rows(0, width);
                gemm_strided(dims, chunk, dst, false, buf, lhs, filter, rhs, parallel)?;
            }
        }
        Ok(())
    };
    if tile >= s.rows {
        let parallel = s.rows.saturating_mul(width).saturating_mul(s.cog) >= PARALLEL_WORK;
        let few = if pointwise {
            FEW_ROWS
        } else {
            FEW_ROWS_GATHERED
        };
        if parallel && g.groups == 1 && threads > 1 && s.rows <= few {
            let mut storage = Vec::new();
            let (lhs, l) = if pointwise {
                (input, Strided::rows(0, g.in_c))
            } else {
                let buf = aligned_scratch(&mut storage, s.rows * width);
                im2col(g, &s, input, 0, 0, buf);
                (&*buf, Strided::rows(0, width))
            };
            by_column_blocks((s.rows, width, g.out_c), lhs, l, filter, out, threads)?;
        } else {
            work(&mut Vec::new(), 0, out, parallel)?;
        }
        if let Some(post) = post {
            post_parallel(out, g.out_c, post);
        }
        Ok(())
    } else {
        out.par_chunks_mut(tile * g.out_c)
            .enumerate()
            .try_for_each_init(Vec::new, |storage, (t, chunk)| {
                work(storage, t, chunk, false)?;
                if let Some(post) = post {
                    post(t * tile * g.out_c, chunk);
                }
                Ok(())
            })
    }
}

/// Output rows up to which a single-GEMM convolution splits its output
/// channels across threads instead of leaving the split to the GEMM (which
/// splits rows); a gathered (im2col) product with up to `FEW_ROWS_GATHERED`
/// rows does too. Measured on ResNet50's late layers (`cargo bench -p
/// savedmodel-kernels`).
const FEW_ROWS: usize = 128;
const FEW_ROWS_GATHERED: usize = 512;

/// `out = lhs · filter` (`rows × width` by `width × n`) with the `n` output
/// columns cut into one block per thread. With few rows (late layers with
/// big filters) splitting rows leaves threads idle or makes each pack the
/// whole filter; a column block packs only its own part of the filter.
fn by_column_blocks<T: GemmScalar>(
    (rows, width, n): (usize, usize, usize),
    lhs: &[T],
    l: Strided,
    filter: &[T],
    out: &mut [T],
    threads: usize,
) -> Result<()> {
    const ALIGN: usize = 16;
    let block = n.div_ceil(threads).div_ceil(ALIGN) * ALIGN;
    let starts: Vec<usize> = (0..n).step_by(block.max(1)).collect();
    let parts = starts
        .par_iter()
        .map(|&j| {
            let nb = block.min(n - j);
            let mut part = vec![T::ZERO; rows * nb];
            let dims = (rows, width, nb);
            let rhs = Strided::rows(j, n);
            gemm_strided(
                dims,
                &mut part,
                Strided::rows(0, nb),
                false,
                lhs,
                l,
                filter,
                rhs,
                false,
            )?;
            Ok((j, nb, part))
        })
        .collect::<Result<Vec<_>>>()?;
    for (j, nb, part) in parts {
        for (dst, src) in out.chunks_exact_mut(n).zip(part.chunks_exact(nb)) {
            dst[j..j + nb].copy_from_slice(src);
        }
    }
    Ok(())
}

/// Elements per parallel `post` task (rounded to whole output pixels).
const POST_CHUNK: usize = 1 << 14;

/// `post` over `out` in parallel parts that start and end on pixel
/// boundaries (`channels` elements each).
fn post_parallel<T: GemmScalar>(out: &mut [T], channels: usize, post: super::Post<'_, T>) {
    let chunk = (POST_CHUNK / channels.max(1)).max(1) * channels.max(1);
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each(|(i, part)| post(i * chunk, part));
}

/// A `len`-element slice of `storage` starting on a 64-byte boundary, so the
/// GEMM micro-kernels read the im2col panel with aligned loads. `storage` is
/// reused across the tiles one worker processes.
pub(crate) fn aligned_scratch<T: GemmScalar>(storage: &mut Vec<T>, len: usize) -> &mut [T] {
    let slack = 64 / std::mem::size_of::<T>().max(1);
    if storage.len() < len + slack {
        storage.clear();
        storage.resize(len + slack, T::ZERO);
    }
    let offset = storage.as_ptr().align_offset(64).min(slack);
    &mut storage[offset..offset + len]
}
