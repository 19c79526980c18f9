//! CPU kernels for savedmodel: plain functions over slices.
//!
//! This crate is the kernels stage of the pipeline. It knows nothing of
//! graphs, protobuf or TF op names: the op layer decodes attributes into the
//! small geometry structs and enums defined here and calls these functions.
//! Semantics follow TensorFlow's CPU kernels exactly (padding, rounding,
//! averaging over valid elements, index validation); each module says which
//! TF ops it implements.
//!
//! Invariants: tensors are dense and row-major; every kernel checks slice
//! lengths against the shape or geometry it is given and returns
//! [`KernelError`] instead of panicking; large kernels run in parallel on the
//! current rayon pool, so the runtime sizes intra-op parallelism by choosing
//! the pool it calls from.

pub mod broadcast;
pub mod conv;
pub mod error;
pub mod gemm;
pub mod layout;
pub mod norm;
pub mod num;
pub mod pool;
pub mod reduce;
pub mod resize;
pub mod scatter;
pub mod simd;
pub mod softmax;
mod strided;
pub mod util;
pub mod vmath;
pub mod window;

pub use error::{KernelError, Result};
pub use num::{Float, Numeric};

#[cfg(test)]
mod robustness_tests;
