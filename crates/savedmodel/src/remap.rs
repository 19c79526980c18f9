//! `LoadOptions::variables_from`: take variable values from another
//! checkpoint (a newer training checkpoint, say) instead of the model's own.
//!
//! Each variable the model restores is matched to a key of the other
//! checkpoint — by object-graph path for TF2 (both files carry an object
//! graph; a training checkpoint written as `tf.train.Checkpoint(model=...)`
//! roots the model one level down, which is found automatically) and by
//! variable name for TF1. The result is a [`VariableSource`]: the other
//! checkpoint read through the model's own keys, so the graph's restore op
//! runs unchanged against it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use savedmodel_format::{proto, tensor_proto, Checkpoint};
use savedmodel_runtime::op::TensorSource;
use savedmodel_tensor::Tensor;

use crate::error::{Error, Result};
use crate::info::MetaGraphInfo;
use crate::object_graph;

/// Where a loaded model's variable values come from: its own checkpoint,
/// and with `variables_from` another checkpoint read through a key map.
/// Keys the map does not cover (non-variable saveables such as lookup
/// tables) still come from the model's own checkpoint.
pub(crate) struct VariableSource {
    own: Option<Checkpoint>,
    other: Option<(Checkpoint, HashMap<String, String>)>,
}

impl VariableSource {
    /// Drops the checkpoints' mapped pages from the resident set (see
    /// [`Checkpoint::release_resident_pages`]).
    pub(crate) fn release_resident_pages(&self) {
        self.own.iter().for_each(Checkpoint::release_resident_pages);
        if let Some((other, _)) = &self.other {
            other.release_resident_pages();
        }
    }

    /// The model's own checkpoint, read by its own keys.
    pub(crate) fn own(checkpoint: Option<Checkpoint>) -> Option<VariableSource> {
        checkpoint.map(|c| VariableSource {
            own: Some(c),
            other: None,
        })
    }

    /// The prefix the restore op is given (for messages only: reads go
    /// through [`VariableSource::read_key`]).
    pub(crate) fn prefix(&self) -> &Path {
        match (&self.other, &self.own) {
            (Some((other, _)), _) => other.prefix(),
            (None, Some(own)) => own.prefix(),
            (None, None) => Path::new(""),
        }
    }

    /// The value stored for the model's checkpoint key `key`.
    pub(crate) fn read_key(&self, key: &str) -> Result<Tensor> {
        if let Some((other, keys)) = &self.other {
            if let Some(mapped) = keys.get(key) {
                return Ok(other.read(mapped)?);
            }
        }
        match &self.own {
            Some(own) => Ok(own.read(key)?),
            None => Err(Error::NotFound(format!(
                "checkpoint key '{key}' is not a variable of {} and the model has no \
                 checkpoint of its own",
                self.prefix().display()
            ))),
        }
    }
}

impl TensorSource for VariableSource {
    fn read(&self, key: &str) -> std::result::Result<Tensor, String> {
        self.read_key(key).map_err(|e| e.to_string())
    }
}

/// One variable the model expects: its name in messages (object path or
/// variable name), the key in the model's own checkpoint, dtype and shape.
struct Expected {
    name: String,
    model_key: String,
    dtype: i32,
    shape: Option<Vec<i64>>,
    /// Where the other checkpoint holds it, if anywhere.
    found: Option<String>,
}

/// Opens `prefix` and maps every variable of the model onto it, or fails
/// with one error listing each variable that is missing or differs in dtype
/// or shape.
pub(crate) fn variables_from(
    prefix: &Path,
    meta_graph: &proto::MetaGraphDef,
    info: &MetaGraphInfo,
    own: Option<Checkpoint>,
) -> Result<VariableSource> {
    let other = Checkpoint::open(prefix)?;
    let expected = match &meta_graph.object_graph_def {
        Some(og) => {
            let trackable = other.object_graph()?.ok_or_else(|| {
                Error::Model(format!(
                    "variables_from {}: the checkpoint has no object graph, and a TF2 \
                     model's variables are matched by object path (tf.train.Checkpoint \
                     writes one)",
                    prefix.display()
                ))
            })?;
            tf2_expected(og, &trackable, own.as_ref())?
        }
        None => tf1_expected(info, own.as_ref(), &other),
    };

    let mut keys = HashMap::new();
    let mut problems = Vec::new();
    for want in &expected {
        let Some(key) = &want.found else {
            problems.push(format!("{}: not in the checkpoint", want.name));
            continue;
        };
        let Some(entry) = other.get(key) else {
            problems.push(format!(
                "{}: the checkpoint's object graph names key '{key}', which it does not hold",
                want.name
            ));
            continue;
        };
        if entry.dtype.tf_enum() != want.dtype {
            problems.push(format!(
                "{}: dtype {} in the model, {} in the checkpoint",
                want.name,
                crate::spec::TfDType(want.dtype).numpy_name(),
                entry.dtype
            ));
            continue;
        }
        if let Some(shape) = &want.shape {
            let fits = shape.len() == entry.shape.len()
                && shape
                    .iter()
                    .zip(&entry.shape)
                    .all(|(&w, &h)| w < 0 || u64::try_from(w).ok() == u64::try_from(h).ok());
            if !fits {
                problems.push(format!(
                    "{}: shape {shape:?} in the model, {:?} in the checkpoint",
                    want.name, entry.shape
                ));
                continue;
            }
        }
        keys.insert(want.model_key.clone(), key.clone());
    }
    if !problems.is_empty() {
        return Err(Error::Model(format!(
            "variables_from {}: {} of the model's {} variables do not match:\n  {}",
            prefix.display(),
            problems.len(),
            expected.len(),
            problems.join("\n  ")
        )));
    }
    Ok(VariableSource {
        own,
        other: Some((other, keys)),
    })
}

/// TF2: every variable of the object graph, found in the other checkpoint
/// by walking both object graphs from their roots by child name, as
/// TensorFlow's own restore does. The other checkpoint's model may sit at
/// its root or one level down (`tf.train.Checkpoint(model=m)`); the root
/// that reaches the most variables wins, the top root on ties.
fn tf2_expected(
    og: &proto::SavedObjectGraph,
    trackable: &proto::TrackableObjectGraph,
    own: Option<&Checkpoint>,
) -> Result<Vec<Expected>> {
    use proto::saved_object::Kind;
    let paths = object_graph::object_paths(og);
    let own_keys = match own.map(Checkpoint::object_graph).transpose()? {
        Some(Some(own_trackable)) => object_graph::checkpoint_keys(og, &own_trackable),
        _ => BTreeMap::new(),
    };
    let variables: Vec<(usize, String, &proto::SavedVariable)> = og
        .nodes
        .iter()
        .zip(&paths)
        .enumerate()
        .filter_map(|(id, (node, path))| match (&node.kind, path) {
            (Some(Kind::Variable(var)), Some(path)) => Some((id, path.clone(), var)),
            _ => None,
        })
        .collect();
    let mut roots = vec![0usize];
    if let Some(root) = trackable.nodes.first() {
        roots.extend(
            root.children
                .iter()
                .filter_map(|c| usize::try_from(c.node_id).ok()),
        );
    }
    let mut best = BTreeMap::new();
    let mut best_hits = 0usize;
    for (i, root) in roots.into_iter().enumerate() {
        let keys = object_graph::checkpoint_keys_from(og, trackable, root);
        let hits = variables
            .iter()
            .filter(|(id, _, _)| keys.contains_key(id))
            .count();
        if i == 0 || hits > best_hits {
            best = keys;
            best_hits = hits;
        }
    }
    Ok(variables
        .into_iter()
        .map(|(id, path, var)| Expected {
            model_key: own_keys
                .get(&id)
                .cloned()
                .unwrap_or_else(|| format!("{path}/.ATTRIBUTES/VARIABLE_VALUE")),
            dtype: var.dtype,
            shape: tensor_proto::partial_shape(var.shape.as_ref()),
            found: best.get(&id).cloned(),
            name: path,
        })
        .collect())
}

/// TF1: the tensors of the model's own checkpoint (their keys are the
/// variable names), else the graph's variable nodes; each is found in the
/// other checkpoint under the same name.
fn tf1_expected(
    info: &MetaGraphInfo,
    own: Option<&Checkpoint>,
    other: &Checkpoint,
) -> Vec<Expected> {
    let found = |name: &str| other.get(name).map(|t| t.name.clone());
    match own {
        Some(checkpoint) => checkpoint
            .tensors()
            .iter()
            .map(|t| Expected {
                name: t.name.clone(),
                model_key: t.name.clone(),
                dtype: t.dtype.tf_enum(),
                shape: Some(
                    t.shape
                        .iter()
                        .map(|&d| i64::try_from(d).unwrap_or(i64::MAX))
                        .collect(),
                ),
                found: found(&t.name),
            })
            .collect(),
        None => info
            .variables
            .iter()
            .map(|v| Expected {
                name: v.path.clone(),
                model_key: v.path.clone(),
                dtype: v.dtype.0,
                shape: v.shape.clone(),
                found: found(&v.path),
            })
            .collect(),
    }
}
