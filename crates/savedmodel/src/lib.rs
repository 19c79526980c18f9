//! Load TensorFlow SavedModels and run them in pure Rust.
//!
//! The read side ([`ModelInfo`]) describes a model from its files alone:
//! meta graphs, signatures, the object graph's functions and variables.
//! [`Checkpoint`] reads any TensorBundle checkpoint.

mod error;
pub mod info;
mod model;
pub mod npy;
pub mod object_graph;
mod remap;
pub mod scan;
pub mod source;
pub mod spec;
pub mod structured;
mod validate;

pub use error::{Error, Result};

/// Every TensorFlow op savedmodel can run, sorted (function calls are inlined
/// and need no entry).
pub fn supported_ops() -> Vec<&'static str> {
    savedmodel_runtime::Registry::standard().names().collect()
}
pub use info::{
    ConcreteFunctionInfo, FunctionInfo, MetaGraphInfo, ModelInfo, SignatureInfo, VariableInfo,
};
pub use model::{LoadOptions, SavedModel, Signature};
pub use savedmodel_format::{proto, Checkpoint};
pub use savedmodel_runtime::infer::TypeFact;
pub use savedmodel_runtime::op::Profile;
pub use savedmodel_tensor::{DType, Tensor};
pub use source::ModelSource;
pub use spec::{Encoding, TensorSpec, TfDType};
pub use structured::{ArgSpec, ArgumentSignature};

/// The README's Rust examples, compiled as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
