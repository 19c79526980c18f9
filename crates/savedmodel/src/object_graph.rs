//! The TF2 object graph: paths of functions and variables from the root, and
//! the checkpoint key of each variable (found by walking the SavedModel's
//! object graph and the checkpoint's trackable graph side by side, matching
//! children by local name — cycles are legal, so each node is visited once).

use std::collections::{BTreeMap, VecDeque};

use savedmodel_format::{proto, tensor_proto, Checkpoint};

use crate::error::{Error, Result};
use crate::info::{ConcreteFunctionInfo, FunctionInfo, VariableInfo};
use crate::spec::TfDType;
use crate::structured::argument_signature;

/// Shortest object path (local names joined by `/`) of every node reachable
/// from the root; index = node id, `None` if unreachable.
pub fn object_paths(og: &proto::SavedObjectGraph) -> Vec<Option<String>> {
    let mut paths: Vec<Option<String>> = vec![None; og.nodes.len()];
    if og.nodes.is_empty() {
        return paths;
    }
    paths[0] = Some(String::new());
    let mut queue = VecDeque::from([0usize]);
    while let Some(id) = queue.pop_front() {
        let parent = paths[id].clone().unwrap_or_default();
        for child in &og.nodes[id].children {
            let Ok(child_id) = usize::try_from(child.node_id) else {
                continue;
            };
            if child_id >= paths.len() || paths[child_id].is_some() {
                continue;
            }
            paths[child_id] = Some(if parent.is_empty() {
                child.local_name.clone()
            } else {
                format!("{parent}/{}", child.local_name)
            });
            queue.push_back(child_id);
        }
    }
    paths
}

/// Every function (and bare concrete function) reachable from the root,
/// sorted by path.
pub fn functions(og: &proto::SavedObjectGraph) -> Vec<FunctionInfo> {
    use proto::saved_object::Kind;
    let paths = object_paths(og);
    let mut out = Vec::new();
    for (node, path) in og.nodes.iter().zip(&paths) {
        let Some(path) = path else { continue };
        let names: Vec<String> = match &node.kind {
            Some(Kind::Function(f)) => f.concrete_functions.clone(),
            Some(Kind::BareConcreteFunction(b)) => vec![b.concrete_function_name.clone()],
            _ => continue,
        };
        let mut concrete_functions: Vec<ConcreteFunctionInfo> = names
            .into_iter()
            .map(|name| {
                let signature = og.concrete_functions.get(&name);
                ConcreteFunctionInfo {
                    arguments: argument_signature(
                        signature.and_then(|s| s.canonicalized_input_signature.as_ref()),
                    ),
                    name,
                }
            })
            .collect();
        concrete_functions.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(FunctionInfo {
            path: path.clone(),
            concrete_functions,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Variables of the object graph with their paths and checkpoint keys.
pub fn variables(
    og: &proto::SavedObjectGraph,
    checkpoint: Option<&Checkpoint>,
) -> Result<Vec<VariableInfo>> {
    use proto::saved_object::Kind;
    let paths = object_paths(og);
    let keys = match checkpoint.map(Checkpoint::object_graph).transpose()? {
        Some(Some(trackable)) => checkpoint_keys(og, &trackable),
        _ => BTreeMap::new(),
    };
    let mut out = Vec::new();
    for (id, (node, path)) in og.nodes.iter().zip(&paths).enumerate() {
        let (Some(Kind::Variable(var)), Some(path)) = (&node.kind, path) else {
            continue;
        };
        out.push(VariableInfo {
            path: path.clone(),
            dtype: TfDType(var.dtype),
            shape: tensor_proto::partial_shape(var.shape.as_ref()),
            checkpoint_key: keys.get(&id).cloned(),
            trainable: var.trainable,
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// SavedObject id → checkpoint key of its `VARIABLE_VALUE` attribute.
pub fn checkpoint_keys(
    og: &proto::SavedObjectGraph,
    trackable: &proto::TrackableObjectGraph,
) -> BTreeMap<usize, String> {
    checkpoint_keys_from(og, trackable, 0)
}

/// Like [`checkpoint_keys`], with the SavedModel's root paired to
/// trackable node `trackable_root`.
pub fn checkpoint_keys_from(
    og: &proto::SavedObjectGraph,
    trackable: &proto::TrackableObjectGraph,
    trackable_root: usize,
) -> BTreeMap<usize, String> {
    let pairs = match_nodes_from(og, trackable, trackable_root);
    let mut keys = BTreeMap::new();
    for (saved_id, trackable_id) in pairs {
        let Some(node) = trackable.nodes.get(trackable_id) else {
            continue;
        };
        if let Some(attr) = node.attributes.iter().find(|a| a.name == "VARIABLE_VALUE") {
            keys.insert(saved_id, attr.checkpoint_key.clone());
        }
    }
    keys
}

/// Pairs of (SavedObject id, TrackableObject id) reached from both roots
/// through children of the same local name.
pub fn match_nodes(
    og: &proto::SavedObjectGraph,
    trackable: &proto::TrackableObjectGraph,
) -> Vec<(usize, usize)> {
    match_nodes_from(og, trackable, 0)
}

/// Like [`match_nodes`], with the SavedModel's root paired to trackable
/// node `trackable_root` (a training checkpoint may hold the model below
/// its own root, e.g. at `model`).
pub fn match_nodes_from(
    og: &proto::SavedObjectGraph,
    trackable: &proto::TrackableObjectGraph,
    trackable_root: usize,
) -> Vec<(usize, usize)> {
    let mut seen = vec![false; og.nodes.len()];
    let mut pairs = Vec::new();
    if og.nodes.is_empty() || trackable_root >= trackable.nodes.len() {
        return pairs;
    }
    let mut queue = VecDeque::from([(0usize, trackable_root)]);
    seen[0] = true;
    while let Some((saved_id, trackable_id)) = queue.pop_front() {
        pairs.push((saved_id, trackable_id));
        let (Some(saved), Some(tracked)) =
            (og.nodes.get(saved_id), trackable.nodes.get(trackable_id))
        else {
            continue;
        };
        for child in &saved.children {
            let Ok(child_id) = usize::try_from(child.node_id) else {
                continue;
            };
            if child_id >= seen.len() || seen[child_id] {
                continue;
            }
            let Some(tracked_child) = tracked
                .children
                .iter()
                .find(|c| c.local_name == child.local_name)
            else {
                continue;
            };
            let Ok(tracked_id) = usize::try_from(tracked_child.node_id) else {
                continue;
            };
            if tracked_id < trackable.nodes.len() {
                seen[child_id] = true;
                queue.push_back((child_id, tracked_id));
            }
        }
    }
    pairs
}

/// TF1 variables: `VariableV2`/`Variable`/`VarHandleOp` nodes of the main graph.
pub fn graph_variables(mg: &proto::MetaGraphDef) -> Vec<VariableInfo> {
    let Some(graph) = &mg.graph_def else {
        return Vec::new();
    };
    let mut out: Vec<VariableInfo> = graph
        .node
        .iter()
        .filter(|n| matches!(n.op.as_str(), "VariableV2" | "Variable" | "VarHandleOp"))
        .map(|n| {
            use proto::attr_value::Value;
            let dtype = match n.attr.get("dtype").and_then(|a| a.value.as_ref()) {
                Some(Value::Type(t)) => *t,
                _ => 0,
            };
            let shape = match n.attr.get("shape").and_then(|a| a.value.as_ref()) {
                Some(Value::Shape(s)) => tensor_proto::partial_shape(Some(s)),
                _ => None,
            };
            VariableInfo {
                path: n.name.clone(),
                dtype: TfDType(dtype),
                shape,
                checkpoint_key: None,
                trainable: false,
            }
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Checks that an object-graph node id is in range.
pub fn node_index(og: &proto::SavedObjectGraph, id: i32, what: &str) -> Result<usize> {
    usize::try_from(id)
        .ok()
        .filter(|&i| i < og.nodes.len())
        .ok_or_else(|| {
            Error::Model(format!(
                "object graph: {what} refers to node {id}, but there are {} nodes",
                og.nodes.len()
            ))
        })
}
