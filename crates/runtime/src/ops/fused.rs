//! A head op with elementwise epilogue steps fused onto its first output
//! (built by the planner, never by import; see [`crate::epilogue`]).

use std::sync::Arc;

use crate::epilogue::{self, Epilogue};
use crate::op::{Op, OpContext};
use crate::value::Value;

/// One absorbed op: its epilogue form, and the op itself with the chained
/// value's input position for the fallback path.
#[derive(Debug, Clone)]
pub struct Step {
    /// The in-place form.
    pub epilogue: Epilogue,
    /// The original op (run when the fast path does not apply).
    pub op: Arc<dyn Op>,
    /// Which input of `op` the chained value is.
    pub position: usize,
}

/// `head` followed by `steps`. Inputs: the head's inputs, then one input
/// per binary step, in step order. Output: the chain's final value.
#[derive(Debug)]
pub struct Fused {
    /// The op producing the chained value (its output 0).
    pub head: Arc<dyn Op>,
    /// How many inputs the head takes.
    pub head_inputs: usize,
    /// The absorbed ops, in order.
    pub steps: Vec<Step>,
}

impl Fused {
    /// Fuses `step` onto `head` (extending it when it is already fused).
    pub fn extend(head: &Arc<dyn Op>, head_inputs: usize, step: Step) -> Fused {
        match (head.as_ref() as &dyn std::any::Any).downcast_ref::<Fused>() {
            Some(fused) => {
                let mut steps = fused.steps.clone();
                steps.push(step);
                Fused {
                    head: fused.head.clone(),
                    head_inputs: fused.head_inputs,
                    steps,
                }
            }
            None => Fused {
                head: head.clone(),
                head_inputs,
                steps: vec![step],
            },
        }
    }
}

impl Op for Fused {
    fn name(&self) -> &'static str {
        self.head.name()
    }

    fn eval(&self, ctx: &OpContext<'_>, inputs: &[Value]) -> Result<Vec<Value>, String> {
        let (head_args, sides) = inputs
            .split_at_checked(self.head_inputs)
            .ok_or("fused op: missing inputs")?;
        let mut side_args = sides.iter();
        let mut fast: Vec<(Epilogue, Option<&savedmodel_tensor::Tensor>)> =
            Vec::with_capacity(self.steps.len());
        let mut side_values: Vec<Option<&Value>> = Vec::with_capacity(self.steps.len());
        for step in &self.steps {
            let side = if step.epilogue.is_binary() {
                Some(side_args.next().ok_or("fused op: missing side input")?)
            } else {
                None
            };
            side_values.push(side);
            fast.push((
                step.epilogue,
                side.map(Value::tensor)
                    .transpose()
                    .map_err(|e| e.to_string())?,
            ));
        }
        if let Some(done) = self.head.eval_then(ctx, head_args, &fast) {
            return done;
        }
        let mut outputs = self.head.eval(ctx, head_args)?;
        let first = outputs.first_mut().ok_or("fused op: head has no output")?;
        let mut value = match std::mem::replace(first, Value::Resource(0)) {
            Value::Tensor(t) => t,
            Value::Resource(id) => ctx.resources.read(id)?,
        };
        if !epilogue::apply(&mut value, &fast) {
            // Step by step through the original ops.
            for (step, side) in self.steps.iter().zip(side_values) {
                let args: Vec<Value> = match side {
                    None => vec![Value::Tensor(value)],
                    Some(s) if step.position == 0 => vec![Value::Tensor(value), s.clone()],
                    Some(s) => vec![s.clone(), Value::Tensor(value)],
                };
                let out = step.op.eval(ctx, &args)?;
                value = out
                    .into_iter()
                    .next()
                    .ok_or("fused op: step has no output")?
                    .tensor()
                    .cloned()
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(vec![Value::Tensor(value)])
    }
}
