//! The immutable execution plan: nodes in dependency order with value slots
//! resolved to indices, constants folded at compile time, and per-slot use
//! counts so each value is dropped right after its last use. A [`Plan`] is
//! `Send + Sync`; each call gets its own slot vector.

use std::sync::Arc;

use savedmodel_tensor::Tensor;

use crate::epilogue::Epilogue;
use crate::ir::{Graph, NodeId, Outlet};
use crate::op::{Op, OpContext};
use crate::ops::basic::{Const, Feed};
use crate::ops::fused::{Fused, Step as FusedStep};
use crate::ops::unary::Swish;
use crate::value::Value;

/// One scheduled node.
#[derive(Debug)]
struct Step {
    name: String,
    op: Arc<dyn Op>,
    inputs: Vec<usize>,
    first_output: usize,
    outputs: usize,
    feed: Option<usize>,
    /// The in-place form of this op, if it has one (for fusion).
    epilogue: Option<Epilogue>,
    /// Names of the nodes fused into this step before it.
    fused: Vec<String>,
}

/// A compiled graph ready to run many times, from many threads.
#[derive(Debug)]
pub struct Plan {
    steps: Vec<Step>,
    slots: usize,
    uses: Vec<u32>,
    outputs: Vec<usize>,
    feeds: usize,
}

/// Most bytes of folded results a plan holds: past this, nodes stay in the
/// plan and run per call, so a small hostile model cannot make compiling
/// retain gigabytes (TensorFlow's Grappler caps folded constants likewise).
const MAX_FOLDED_BYTES: usize = 256 << 20;

/// Options for compiling a plan.
#[derive(Clone, Copy, Debug)]
pub struct CompileOptions {
    /// Fold nodes whose inputs are all constant.
    pub fold_constants: bool,
    /// Run elementwise float32 ops (bias, scale, residual add, activation)
    /// in place on the output of the op before them.
    pub fuse_epilogues: bool,
}

impl CompileOptions {
    /// Every optimization on (`true`) or off (`false`).
    pub fn optimized(on: bool) -> CompileOptions {
        CompileOptions {
            fold_constants: on,
            fuse_epilogues: on,
        }
    }
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions::optimized(true)
    }
}

impl Plan {
    /// Orders and folds `graph` for execution with `feeds` inputs.
    pub fn compile(graph: &Graph, feeds: usize, options: CompileOptions) -> Result<Plan, String> {
        let order = schedule(graph)?;
        let mut slot_of: Vec<Option<usize>> = vec![None; graph.nodes.len()];
        let mut constants: Vec<Option<Vec<Value>>> = vec![None; graph.nodes.len()];
        let mut steps: Vec<Step> = Vec::new();
        let mut slots = 0usize;
        let mut folded_bytes = 0usize;
        let empty_store = crate::value::ResourceStore::default();
        let ctx = OpContext {
            resources: &empty_store,
            checkpoint: None,
            profile: None,
        };
        for id in order {
            let node = &graph.nodes[id];
            let feed = node.op.as_ref().as_feed();
            let inputs: Vec<usize> = node
                .inputs
                .iter()
                .map(|o| slot(&slot_of, o))
                .collect::<Result<_, _>>()?;
            let mut op = node.op.clone();
            if options.fold_constants
                && feed.is_none()
                && !node.op.is_stateful()
                && node.controls.is_empty()
                && node.outputs > 0
                && node.inputs.iter().all(|o| constants[o.node].is_some())
            {
                let values: Vec<Value> = node
                    .inputs
                    .iter()
                    .map(|o| {
                        constants[o.node]
                            .as_ref()
                            .and_then(|v| v.get(o.output))
                            .cloned()
                            .ok_or("internal: fold")
                    })
                    .collect::<Result<_, _>>()?;
                let is_const = node.op.as_ref().as_const().is_some();
                let folded = node.op.eval(&ctx, &values).ok().filter(|out| {
                    let bytes = if is_const { 0 } else { values_bytes(out) };
                    let total = folded_bytes.saturating_add(bytes);
                    let fits = total <= MAX_FOLDED_BYTES;
                    if fits {
                        folded_bytes = total;
                    }
                    fits
                });
                if let Some(out) = folded {
                    if node.outputs == 1 && !is_const {
                        if let Some(Value::Tensor(t)) = out.first() {
                            op = Arc::new(Const { value: t.clone() });
                        }
                    }
                    constants[id] = Some(out);
                }
            }
            slot_of[id] = Some(slots);
            steps.push(Step {
                name: node.name.clone(),
                op,
                inputs,
                first_output: slots,
                outputs: node.outputs,
                feed,
                epilogue: node.epilogue,
                fused: Vec::new(),
            });
            slots += node.outputs;
        }
        let outputs: Vec<usize> = graph
            .outputs
            .iter()
            .map(|o| slot(&slot_of, o))
            .collect::<Result<_, _>>()?;
        // Folded nodes no longer need their inputs: drop steps nothing reads.
        let mut uses = vec![0u32; slots];
        for &o in &outputs {
            uses[o] += 1;
        }
        let mut keep = vec![false; steps.len()];
        for (i, step) in steps.iter().enumerate().rev() {
            let read = (step.first_output..step.first_output + step.outputs).any(|s| uses[s] > 0);
            let folded = step.op.as_ref().as_const().is_some() && !step.inputs.is_empty();
            if read || step.op.is_stateful() || step.outputs == 0 || step.feed.is_some() {
                keep[i] = true;
                if !folded {
                    for &input in &step.inputs {
                        uses[input] += 1;
                    }
                }
            }
        }
        let steps: Vec<Step> = steps
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .map(|(mut step, _)| {
                if step.op.as_ref().as_const().is_some() {
                    step.inputs.clear();
                }
                step
            })
            .collect();
        let steps = if options.fuse_epilogues {
            let steps = fuse_swish(steps, &mut uses, slots);
            fuse_epilogues(steps, &uses, slots)
        } else {
            steps
        };
        Ok(Plan {
            steps,
            slots,
            uses,
            outputs,
            feeds,
        })
    }

    /// Number of values the caller must feed.
    pub fn feed_count(&self) -> usize {
        self.feeds
    }

    /// Names of the scheduled steps in run order (graph paths, for
    /// inspection and debugging).
    pub fn step_names(&self) -> impl Iterator<Item = &str> {
        self.steps.iter().flat_map(|s| {
            s.fused
                .iter()
                .map(String::as_str)
                .chain(std::iter::once(s.name.as_str()))
        })
    }

    /// Number of scheduled steps (after folding and pruning).
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True when nothing runs.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs the plan.
    pub fn run(&self, ctx: &OpContext<'_>, feeds: Vec<Value>) -> Result<Vec<Value>, String> {
        if feeds.len() != self.feeds {
            return Err(format!(
                "{} values fed, the plan takes {}",
                feeds.len(),
                self.feeds
            ));
        }
        let mut feeds: Vec<Option<Value>> = feeds.into_iter().map(Some).collect();
        let mut values: Vec<Option<Value>> = vec![None; self.slots];
        let mut remaining = self.uses.clone();
        let mut args: Vec<Value> = Vec::new();
        for step in &self.steps {
            let outputs = if let Some(index) = step.feed {
                let value = feeds
                    .get_mut(index)
                    .and_then(Option::take)
                    .ok_or("internal: feed used twice")?;
                vec![value]
            } else {
                args.clear();
                for &input in &step.inputs {
                    let value = take_input(&mut values, &mut remaining, input)?;
                    let value = match value {
                        Value::Resource(id) if !step.op.takes_resources() => Value::Tensor(
                            ctx.resources
                                .read(id)
                                .map_err(|e| format!("{}: {e}", step.name))?,
                        ),
                        other => other,
                    };
                    args.push(value);
                }
                let started = ctx.profile.map(|_| std::time::Instant::now());
                let outputs = step
                    .op
                    .eval_owned(ctx, &mut args)
                    .map_err(|e| format!("node \"{}\" ({}): {e}", step.name, step.op.name()))?;
                if let (Some(profile), Some(started)) = (ctx.profile, started) {
                    profile.record(step.op.name(), started.elapsed());
                }
                outputs
            };
            if outputs.len() < step.outputs {
                return Err(format!(
                    "node \"{}\" ({}) produced {} outputs, expected {}",
                    step.name,
                    step.op.name(),
                    outputs.len(),
                    step.outputs
                ));
            }
            for (k, value) in outputs.into_iter().take(step.outputs).enumerate() {
                let s = step.first_output + k;
                if remaining[s] > 0 {
                    values[s] = Some(value);
                }
            }
        }
        self.outputs
            .iter()
            .map(|&s| take_input(&mut values, &mut remaining, s))
            .collect()
    }
}

/// For each slot, the index of the step producing it (`usize::MAX` if none).
fn producers(steps: &[Option<Step>], slots: usize) -> Vec<usize> {
    let mut producer = vec![usize::MAX; slots];
    for (i, step) in steps.iter().enumerate() {
        let Some(step) = step else { continue };
        for s in step.first_output..step.first_output + step.outputs {
            if let Some(p) = producer.get_mut(s) {
                *p = i;
            }
        }
    }
    producer
}

/// Rewrites `Mul(x, Sigmoid(x))` (either operand order; both have f32
/// epilogue forms) whose sigmoid nothing else reads into one unary Swish
/// step on `x`, which [`fuse_epilogues`] can then put on the op producing
/// `x` (EfficientNet's activations). `uses` is kept exact.
fn fuse_swish(steps: Vec<Step>, uses: &mut [u32], slots: usize) -> Vec<Step> {
    let mut steps: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    let producer = producers(&steps, slots);
    for m in 0..steps.len() {
        let Some(mul) = &steps[m] else { continue };
        if mul.epilogue != Some(Epilogue::Mul)
            || mul.inputs.len() != 2
            || mul.outputs != 1
            || mul.feed.is_some()
        {
            continue;
        }
        let operands = [mul.inputs[0], mul.inputs[1]];
        for (x, s) in [(operands[0], operands[1]), (operands[1], operands[0])] {
            let Some(p) = producer.get(s).copied().filter(|&p| p < m) else {
                continue;
            };
            let is_sigmoid_of_x = steps[p].as_ref().is_some_and(|sig| {
                sig.epilogue == Some(Epilogue::Sigmoid)
                    && sig.inputs == [x]
                    && sig.outputs == 1
                    && sig.first_output == s
                    && sig.feed.is_none()
            });
            if !is_sigmoid_of_x || x == s || uses.get(s) != Some(&1) {
                continue;
            }
            let (Some(sig), Some(mul)) = (steps[p].take(), steps[m].take()) else {
                break;
            };
            if let Some(u) = uses.get_mut(x) {
                *u = u.saturating_sub(1);
            }
            if let Some(u) = uses.get_mut(s) {
                *u = 0;
            }
            let mut fused = sig.fused;
            fused.push(sig.name);
            fused.extend(mul.fused);
            steps[m] = Some(Step {
                name: mul.name,
                op: Arc::new(Swish),
                inputs: vec![x],
                first_output: mul.first_output,
                outputs: 1,
                feed: None,
                epilogue: Some(Epilogue::Swish),
                fused,
            });
            break;
        }
    }
    steps.into_iter().flatten().collect()
}

/// Fuses each step with an epilogue form onto the step producing its
/// chained input, when nothing else reads that value: the fused step runs
/// at the consumer's place (all inputs of both are ready there) and
/// writes the consumer's output slot.
fn fuse_epilogues(steps: Vec<Step>, uses: &[u32], slots: usize) -> Vec<Step> {
    let mut steps: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    let mut producer = vec![usize::MAX; slots];
    for (i, step) in steps.iter().flatten().enumerate() {
        for s in step.first_output..step.first_output + step.outputs {
            if let Some(p) = producer.get_mut(s) {
                *p = i;
            }
        }
    }
    for c in 0..steps.len() {
        let Some(consumer) = &steps[c] else { continue };
        let Some(epilogue) = consumer.epilogue else {
            continue;
        };
        let arity = if epilogue.is_binary() { 2 } else { 1 };
        if consumer.outputs != 1 || consumer.feed.is_some() || consumer.inputs.len() != arity {
            continue;
        }
        for &position in epilogue.chain_positions() {
            let Some(consumer) = &steps[c] else { break };
            let chained = consumer.inputs[position];
            let Some(p) = producer.get(chained).copied().filter(|&p| p < c) else {
                continue;
            };
            let (Some(head), Some(step_form)) =
                (steps[p].as_ref(), epilogue.with_chain_at(position))
            else {
                continue;
            };
            let alone = uses.get(chained) == Some(&1)
                && chained == head.first_output
                && (head.first_output + 1..head.first_output + head.outputs)
                    .all(|s| uses.get(s) == Some(&0));
            if !alone
                || head.feed.is_some()
                || head.op.as_ref().as_const().is_some()
                || head.op.is_stateful()
                || head.op.takes_resources()
            {
                continue;
            }
            let (Some(head), Some(consumer)) = (steps[p].take(), steps[c].take()) else {
                break;
            };
            let mut inputs = head.inputs.clone();
            if arity == 2 {
                inputs.push(consumer.inputs[1 - position]);
            }
            let op = Fused::extend(
                &head.op,
                head.inputs.len(),
                FusedStep {
                    epilogue: step_form,
                    op: consumer.op.clone(),
                    position,
                },
            );
            let mut fused = head.fused;
            fused.push(head.name);
            fused.extend(consumer.fused);
            steps[c] = Some(Step {
                name: consumer.name,
                op: Arc::new(op),
                inputs,
                first_output: consumer.first_output,
                outputs: 1,
                feed: None,
                epilogue: None,
                fused,
            });
            break;
        }
    }
    steps.into_iter().flatten().collect()
}

fn take_input(
    values: &mut [Option<Value>],
    remaining: &mut [u32],
    slot: usize,
) -> Result<Value, String> {
    let left = remaining.get_mut(slot).ok_or("internal: slot")?;
    *left = left.saturating_sub(1);
    let entry = values.get_mut(slot).ok_or("internal: slot")?;
    let value = if *left == 0 {
        entry.take()
    } else {
        entry.clone()
    };
    value.ok_or_else(|| "internal: value used before it was computed".to_string())
}

/// Approximate bytes held by tensor values (strings count 32 bytes each).
fn values_bytes(values: &[Value]) -> usize {
    values
        .iter()
        .map(|v| match v {
            Value::Tensor(t) => t.len().saturating_mul(t.dtype().size_of().unwrap_or(32)),
            _ => 0,
        })
        .fold(0, usize::saturating_add)
}

fn slot(slot_of: &[Option<usize>], outlet: &Outlet) -> Result<usize, String> {
    slot_of
        .get(outlet.node)
        .copied()
        .flatten()
        .map(|s| s + outlet.output)
        .ok_or_else(|| "internal: input scheduled after its consumer".to_string())
}

/// Dependency order of every node the outputs and targets need.
pub(crate) fn schedule(graph: &Graph) -> Result<Vec<NodeId>, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; graph.nodes.len()];
    let mut order = Vec::new();
    let roots = graph
        .outputs
        .iter()
        .map(|o| o.node)
        .chain(graph.targets.iter().copied());
    for root in roots {
        let mut stack = vec![(root, false)];
        while let Some((id, expanded)) = stack.pop() {
            let node = graph.nodes.get(id).ok_or("internal: node id")?;
            if expanded {
                marks[id] = Mark::Done;
                order.push(id);
                continue;
            }
            match marks[id] {
                Mark::Done => continue,
                Mark::Open => return Err(format!("cycle through node \"{}\"", node.name)),
                Mark::New => {}
            }
            marks[id] = Mark::Open;
            stack.push((id, true));
            for dep in node
                .inputs
                .iter()
                .map(|o| o.node)
                .chain(node.controls.iter().copied())
            {
                match marks.get(dep) {
                    Some(Mark::New) => stack.push((dep, false)),
                    Some(Mark::Open) => {
                        return Err(format!("cycle through node \"{}\"", node.name))
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(order)
}

/// Downcasts used by the planner.
pub trait PlanCasts {
    /// The feed index, if this is a feed.
    fn as_feed(&self) -> Option<usize>;
    /// The constant value, if this is a constant.
    fn as_const(&self) -> Option<&Tensor>;
}

impl PlanCasts for dyn Op {
    fn as_feed(&self) -> Option<usize> {
        (self as &dyn std::any::Any)
            .downcast_ref::<Feed>()
            .map(|f| f.index)
    }
    fn as_const(&self) -> Option<&Tensor> {
        (self as &dyn std::any::Any)
            .downcast_ref::<Const>()
            .map(|c| &c.value)
    }
}
