//! Run-time CPU feature checks for the kernels that have a second build
//! with wider vectors (`#[target_feature]` functions beside their portable
//! twin, same source, same results). Only x86-64 has such builds today;
//! elsewhere the portable code runs.

/// True when the CPU supports AVX2 (the answer is cached by `std`).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}
