//! The IR graph: ops with typed configs wired by (node, output) edges. It
//! knows no TensorFlow names or protobuf; import builds it, `plan` runs it.

use std::sync::Arc;

use crate::op::Op;

/// Index of a node in a [`Graph`].
pub type NodeId = usize;

/// One output of one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outlet {
    /// Producing node.
    pub node: NodeId,
    /// Output index.
    pub output: usize,
}

/// A node of the IR graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// Where it came from (`function/node` path), for messages.
    pub name: String,
    /// The op.
    pub op: Arc<dyn Op>,
    /// Data inputs.
    pub inputs: Vec<Outlet>,
    /// Nodes that must run before this one.
    pub controls: Vec<NodeId>,
    /// Number of outputs.
    pub outputs: usize,
    /// The in-place step this node can be when fused onto its producer.
    pub epilogue: Option<crate::epilogue::Epilogue>,
    /// How its output dtypes and shapes follow from its inputs.
    pub rule: crate::infer::Rule,
}

/// A graph with its fed inputs and fetched outputs.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Nodes; inputs always point at earlier or later nodes by id.
    pub nodes: Vec<Node>,
    /// Values the caller fetches.
    pub outputs: Vec<Outlet>,
    /// Nodes run for their effects only.
    pub targets: Vec<NodeId>,
}

impl Graph {
    /// Adds a node and returns its id.
    pub fn add(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }
}
