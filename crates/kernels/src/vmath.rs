//! Vectorisable f32 math for elementwise ops: `exp`, `sigmoid`, `tanh` and
//! `erf` written
//! as branch-free arithmetic (range reduction and a polynomial) that the
//! compiler turns into SIMD code, where a call into libm per element cannot
//! be vectorised. [`map_f32`] runs such a function over a slice, in
//! parallel for large inputs and with an AVX2 build chosen at run time.
//!
//! Accuracy: [`exp`] is within 2 ulp of the correctly rounded result over
//! the whole f32 range (overflow to +inf above 88.72, gradual underflow to
//! subnormals and 0 below −87.3); NaN propagates. TensorFlow's own CPU
//! kernels (Eigen's `pexp`, `plogistic`) are polynomial approximations of
//! the same order of accuracy, so neither is "exact".

use rayon::prelude::*;

use crate::util::PARALLEL_THRESHOLD;

/// Elements per parallel task of [`map_f32`].
const CHUNK: usize = 1 << 13;

/// `e^x` for f32 (see the module docs for accuracy).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split so that n · LN2_HI is exact for |n| < 2^9.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding and subtracting 1.5 · 2^23 rounds to the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    // NaN passes through clamp unchanged.
    let x = x.clamp(-104.0, 89.0);
    let shifted = x * LOG2E + ROUND;
    let n = shifted - ROUND;
    // The integer n sits in the low mantissa bits of `shifted` (read as
    // bits, not through a saturating float-to-int conversion, so that the
    // loop vectorises); NaN lanes give garbage here but stay NaN through p.
    let k = (shifted.to_bits() as i32).wrapping_sub(0x4B40_0000);
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // e^r on |r| <= ln2/2: Taylor polynomial of degree 7 (error < 1e-8 relative).
    let mut p = 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n as two normal powers of two, so that n down to -150 reaches the
    // subnormals and n = 128 overflows to infinity.
    let half = k >> 1;
    let scale = |e: i32| f32::from_bits((e.wrapping_add(127) as u32) << 23);
    p * scale(half) * scale(k - half)
}

/// The logistic function `1 / (1 + e^-x)` for f32.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// `tanh(x)` for f32: an odd Taylor polynomial below |x| = 0.5, else
/// `1 − 2 / (e^2|x| + 1)` with the sign of x (within 4 ulp; ±1 beyond 9.1).
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let a = x.abs();
    let x2 = x * x;
    // Taylor coefficients of tanh up to x^15 (error < 5e-9 at |x| = 0.5).
    let mut p = -929_569.0 / 638_512_875.0;
    p = p * x2 + 21_844.0 / 6_081_075.0;
    p = p * x2 - 1_382.0 / 155_925.0;
    p = p * x2 + 62.0 / 2_835.0;
    p = p * x2 - 17.0 / 315.0;
    p = p * x2 + 2.0 / 15.0;
    p = p * x2 - 1.0 / 3.0;
    let small = (x + x * x2 * p).copysign(x);
    let large = (1.0 - 2.0 / (exp(2.0 * a) + 1.0)).copysign(x);
    if a < 0.5 {
        small
    } else {
        large
    }
}

/// The error function for f32: an odd Taylor polynomial below |x| = 0.5,
/// else Abramowitz & Stegun 7.1.26, `1 − (a1·t + … + a5·t⁵)·e^−x²` with
/// `t = 1 / (1 + p·|x|)` (absolute error below 2e-7), with the sign of x.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    const TWO_OVER_SQRT_PI: f32 = std::f32::consts::FRAC_2_SQRT_PI;
    let a = x.abs();
    let x2 = x * x;
    // erf(x) = 2/√π · Σ (−1)^n x^(2n+1) / (n! (2n+1)), n < 8 (error < 1e-9 at 0.5).
    let mut p = -1.0 / 75_600.0;
    p = p * x2 + 1.0 / 9_360.0;
    p = p * x2 - 1.0 / 1_320.0;
    p = p * x2 + 1.0 / 216.0;
    p = p * x2 - 1.0 / 42.0;
    p = p * x2 + 1.0 / 10.0;
    p = p * x2 - 1.0 / 3.0;
    let small = (TWO_OVER_SQRT_PI * (x + x * x2 * p)).copysign(x);
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let mut q = 1.061_405_4;
    q = q * t - 1.453_152;
    q = q * t + 1.421_413_8;
    q = q * t - 0.284_496_74;
    q = q * t + 0.254_829_6;
    let large = (1.0 - q * t * exp(-x2)).copysign(x);
    if a < 0.5 {
        small
    } else {
        large
    }
}

/// `f` over every element of `a` into a new vector: parallel for large
/// inputs, and compiled with AVX2 when the CPU has it (same results: the
/// functions here use no fused multiply-add).
pub fn map_f32(a: &[f32], f: impl Fn(f32) -> f32 + Sync) -> Vec<f32> {
    let mut out = vec![0f32; a.len()];
    if a.len() < PARALLEL_THRESHOLD {
        map_chunk(a, &mut out, &f);
    } else {
        out.par_chunks_mut(CHUNK)
            .zip(a.par_chunks(CHUNK))
            .for_each(|(dst, src)| map_chunk(src, dst, &f));
    }
    out
}

/// `f` over every element of `data`, in place (see [`map_f32`]).
pub fn map_f32_inplace(data: &mut [f32], f: impl Fn(f32) -> f32 + Sync) {
    if data.len() < PARALLEL_THRESHOLD {
        map_inplace_chunk(data, &f);
    } else {
        data.par_chunks_mut(CHUNK)
            .for_each(|part| map_inplace_chunk(part, &f));
    }
}

fn map_inplace_chunk<F: Fn(f32) -> f32>(data: &mut [f32], f: &F) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { map_inplace_avx2(data, f) };
        return;
    }
    map_inplace_impl(data, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn map_inplace_avx2<F: Fn(f32) -> f32>(data: &mut [f32], f: &F) {
    map_inplace_impl(data, f)
}

#[inline(always)]
fn map_inplace_impl<F: Fn(f32) -> f32>(data: &mut [f32], f: &F) {
    for v in data {
        *v = f(*v);
    }
}

fn map_chunk<F: Fn(f32) -> f32>(src: &[f32], dst: &mut [f32], f: &F) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::has_avx2() {
        // SAFETY: the CPU supports AVX2 (checked just above).
        unsafe { map_chunk_avx2(src, dst, f) };
        return;
    }
    map_chunk_impl(src, dst, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn map_chunk_avx2<F: Fn(f32) -> f32>(src: &[f32], dst: &mut [f32], f: &F) {
    map_chunk_impl(src, dst, f)
}

#[inline(always)]
fn map_chunk_impl<F: Fn(f32) -> f32>(src: &[f32], dst: &mut [f32], f: &F) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite f32 values.
    fn ulps(a: f32, b: f32) -> u32 {
        let key = |v: f32| {
            let bits = v.to_bits() as i32;
            if bits < 0 {
                i32::MIN - bits
            } else {
                bits
            }
        };
        key(a).abs_diff(key(b))
    }

    #[test]
    fn exp_is_within_two_ulp_of_f64_over_the_range() {
        let mut x = -103.0f32;
        let mut worst = 0;
        while x < 88.7 {
            let want = (f64::from(x)).exp() as f32;
            let got = exp(x);
            if want.is_normal() {
                worst = worst.max(ulps(got, want));
            } else {
                assert!(
                    (got - want).abs() <= f32::from_bits(2),
                    "x={x}: {got} vs {want}"
                );
            }
            x += 0.0137;
        }
        assert!(worst <= 2, "worst error {worst} ulp");
    }

    #[test]
    fn exp_special_values() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(-200.0), 0.0);
        assert!(exp(f32::NAN).is_nan());
        assert!(exp(-100.0) > 0.0, "subnormal results are kept");
    }

    #[test]
    fn sigmoid_matches_f64_and_saturates() {
        for i in -2000..2000 {
            let x = i as f32 * 0.05;
            let want = 1.0 / (1.0 + (-f64::from(x)).exp());
            assert!(
                (f64::from(sigmoid(x)) - want).abs() <= 2.5e-7 * want.max(1e-30),
                "x={x}"
            );
        }
        assert_eq!(sigmoid(f32::INFINITY), 1.0);
        assert_eq!(sigmoid(f32::NEG_INFINITY), 0.0);
        assert!(sigmoid(f32::NAN).is_nan());
    }

    /// erf in f64 from its Taylor series (|x| <= 4: cancellation costs
    /// at most 8 of the 16 digits) or 1 beyond.
    fn erf_f64(x: f64) -> f64 {
        if x.abs() > 4.0 {
            return x.signum();
        }
        let (mut sum, mut term, mut n) = (0.0, x, 0.0);
        while term.abs() > 1e-20 {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -x * x / n;
        }
        sum * std::f64::consts::FRAC_2_SQRT_PI
    }

    #[test]
    fn tanh_and_erf_match_f64() {
        for i in -6000..6000 {
            let x = i as f32 * 0.0017;
            let want = f64::from(x).tanh();
            let err = (f64::from(tanh(x)) - want).abs();
            assert!(
                err <= 5e-7 * want.abs() + 1e-30,
                "tanh({x}) = {} vs {want}",
                tanh(x)
            );
            let want = erf_f64(f64::from(x));
            let err = (f64::from(erf(x)) - want).abs();
            assert!(
                err <= 2e-7 + 1e-6 * want.abs(),
                "erf({x}) = {} vs {want}",
                erf(x)
            );
            if x.abs() < 0.5 {
                assert!(err <= 3e-7 * want.abs() + 1e-30, "erf({x}) relative");
            }
        }
        assert_eq!(tanh(20.0), 1.0);
        assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
        assert_eq!(erf(f32::INFINITY), 1.0);
        assert_eq!(erf(-10.0), -1.0);
        assert!(tanh(f32::NAN).is_nan() && erf(f32::NAN).is_nan());
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn map_f32_covers_large_inputs_in_order() {
        let a: Vec<f32> = (0..100_000).map(|i| (i % 97) as f32 - 48.0).collect();
        let out = map_f32(&a, |x| x * 2.0);
        assert!(out.iter().zip(&a).all(|(o, x)| *o == x * 2.0));
        let b = map_f32(&a, sigmoid);
        assert!(b.iter().zip(&a).all(|(o, &x)| *o == sigmoid(x)));
        let mut c = a.clone();
        map_f32_inplace(&mut c, sigmoid);
        assert_eq!(b, c);
    }
}
