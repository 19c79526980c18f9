//! The op interface: an op is a small struct with typed fields, built once
//! from a node's attributes; `eval` only runs kernels.

use std::any::Any;
use std::fmt::Debug;

use savedmodel_format::Checkpoint;
use savedmodel_tensor::Tensor;

use crate::value::{ResourceStore, Value};

/// What an op may touch while it runs.
pub struct OpContext<'a> {
    /// The model's variables.
    pub resources: &'a ResourceStore,
    /// Where `RestoreV2` reads variable values (the model's checkpoint, or
    /// another one whose keys are mapped onto the model's).
    pub checkpoint: Option<&'a dyn TensorSource>,
    /// When set, every op's run time is added here.
    pub profile: Option<&'a Profile>,
}

/// Checkpoint tensors by key: what `RestoreV2` reads.
pub trait TensorSource: Send + Sync {
    /// The tensor stored under `key`.
    fn read(&self, key: &str) -> Result<Tensor, String>;
}

impl TensorSource for Checkpoint {
    fn read(&self, key: &str) -> Result<Tensor, String> {
        Checkpoint::read(self, key).map_err(|e| e.to_string())
    }
}

/// Time spent per op type: name → (calls, total).
#[derive(Debug, Default)]
pub struct Profile {
    entries: std::sync::Mutex<std::collections::BTreeMap<&'static str, (u64, std::time::Duration)>>,
}

impl Profile {
    /// Adds one run of `op`.
    pub fn record(&self, op: &'static str, elapsed: std::time::Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = entries.entry(op).or_default();
        entry.0 += 1;
        entry.1 += elapsed;
    }

    /// (op, calls, total time), slowest first.
    pub fn summary(&self) -> Vec<(&'static str, u64, std::time::Duration)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<_> = entries.iter().map(|(k, (n, d))| (*k, *n, *d)).collect();
        out.sort_by_key(|e| std::cmp::Reverse(e.2));
        out
    }
}

/// A graph operation ready to run.
pub trait Op: Any + Send + Sync + Debug {
    /// The TensorFlow op type it came from (for messages).
    fn name(&self) -> &'static str;

    /// Runs the op. Resource handles reach the op only if
    /// [`Op::takes_resources`] is true; otherwise variables are read first.
    fn eval(&self, ctx: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String>;

    /// True for ops with side effects or that read mutable state; they are
    /// never constant-folded and always run when reached.
    fn is_stateful(&self) -> bool {
        false
    }

    /// True when the op wants resource handles rather than their values.
    fn takes_resources(&self) -> bool {
        false
    }

    /// [`Op::eval`] given ownership of the arguments (the plan passes each
    /// value it no longer needs by move), so an op may write its result
    /// over an input buffer nothing else holds. `args` may be left in any
    /// state. The default runs [`Op::eval`].
    fn eval_owned(&self, ctx: &OpContext<'_>, args: &mut Vec<Value>) -> Result<Vec<Value>, String> {
        self.eval(ctx, args)
    }

    /// Runs the op with an elementwise epilogue applied to its first output
    /// part by part, as the kernel finishes each part (while it is in
    /// cache). `None` when the op has no such path for these inputs; the
    /// caller then runs [`Op::eval`] and the steps after it.
    fn eval_then(
        &self,
        _ctx: &OpContext<'_>,
        _inputs: &[Value],
        _steps: &[(crate::epilogue::Epilogue, Option<&Tensor>)],
    ) -> Option<Result<Vec<Value>, String>> {
        None
    }
}

/// Shorthand: one tensor output.
pub fn one(t: Tensor) -> Result<Vec<Value>, String> {
    Ok(vec![Value::Tensor(t)])
}

/// The tensor at `inputs[i]`, or an error.
pub fn input(inputs: &[Value], i: usize) -> Result<&Tensor, String> {
    inputs
        .get(i)
        .ok_or_else(|| format!("missing input {i}"))?
        .tensor()
}
