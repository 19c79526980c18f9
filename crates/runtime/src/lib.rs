//! Import TensorFlow graphs into savedmodel's IR, compile them into plans and
//! run them on CPU.
//!
//! Stages (each its own module, data flowing one way): [`mod@import`] (the only
//! place TF op names live, through [`registry`]) → [`ir`] → [`plan`] (ordering,
//! constant folding, value lifetimes) → execution with a per-call slot
//! vector. Variables live in a [`value::ResourceStore`] owned by the model.

pub mod attrs;
pub mod epilogue;
pub mod import;
pub mod infer;
pub mod ir;
pub mod op;
pub mod ops;
pub mod plan;
pub mod registry;
pub mod value;

pub use import::{import, Request};
pub use plan::{CompileOptions, Plan};
pub use registry::Registry;
pub use value::{ResourceStore, Value};
