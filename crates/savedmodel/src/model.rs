//! Loading a SavedModel for execution and calling its signatures.
//!
//! `load` picks the meta graph by tag set, restores variables by running the
//! graph's own restore op against the model's checkpoint (TF1 `save/restore_all`
//! and TF2 `__inference__traced_restore_*` alike), then runs the init op with
//! asset paths fed. Signatures compile on first use into immutable plans, so
//! a call runs only the part of the graph it needs and a signature that uses
//! an unsupported op does not stop the others from working.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use savedmodel_format::proto;
use savedmodel_runtime::infer::{infer_outputs, TypeFact};
use savedmodel_runtime::op::{OpContext, Profile};
use savedmodel_runtime::{import, CompileOptions, Plan, Registry, Request, ResourceStore, Value};
use savedmodel_tensor::Tensor;

use crate::error::{Error, Result};
use crate::info::{MetaGraphInfo, ModelInfo, SignatureInfo};
use crate::remap::VariableSource;
use crate::source::ModelSource;

/// Stack for import and compilation: graph recursion is bounded by depth
/// limits, and this keeps those limits far from the stack's end.
const STACK_BYTES: usize = 256 << 20;

/// Options for [`SavedModel::load_with`].
#[derive(Clone, Debug)]
pub struct LoadOptions {
    tags: Vec<String>,
    threads: Option<usize>,
    optimize: bool,
    variables_from: Option<PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            tags: vec!["serve".into()],
            threads: None,
            optimize: true,
            variables_from: None,
        }
    }
}

impl LoadOptions {
    /// The tag set of the meta graph to load (default `["serve"]`).
    pub fn tags<S: Into<String>>(mut self, tags: impl IntoIterator<Item = S>) -> Self {
        self.tags = tags.into_iter().map(Into::into).collect();
        self
    }

    /// Intra-op threads (default: one per core).
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }

    /// Whether to fold constants when compiling (default true).
    pub fn optimize(mut self, optimize: bool) -> Self {
        self.optimize = optimize;
        self
    }

    /// Takes variable values from the checkpoint at `prefix` (e.g. a newer
    /// training checkpoint, `.../ckpt-42`) instead of the model's own
    /// `variables/`. Variables are matched by object-graph path for TF2
    /// models (the model may sit at the checkpoint's root or one level
    /// down, as `tf.train.Checkpoint(model=m)` writes it) and by variable
    /// name for TF1. Loading fails with one error listing every variable
    /// that is missing or differs in dtype or shape; extra entries in the
    /// checkpoint (optimizer slots, counters) are ignored.
    ///
    /// ```no_run
    /// use savedmodel::{LoadOptions, SavedModel};
    /// let options = LoadOptions::default().variables_from("training/ckpt-42");
    /// let model = SavedModel::load_with("exported_model", options)?;
    /// # Ok::<(), savedmodel::Error>(())
    /// ```
    pub fn variables_from(mut self, prefix: impl Into<PathBuf>) -> Self {
        self.variables_from = Some(prefix.into());
        self
    }
}

/// A compiled signature: its plan and what inference knows of its outputs.
type Compiled = (Arc<Plan>, Arc<Vec<TypeFact>>);

struct Inner {
    meta_graph: proto::MetaGraphDef,
    info: MetaGraphInfo,
    registry: Registry,
    store: ResourceStore,
    variables: Option<VariableSource>,
    pool: Option<rayon::ThreadPool>,
    options: LoadOptions,
    compiled: Mutex<HashMap<String, Compiled>>,
}

/// A loaded model, ready to call. `Send + Sync`: share it across threads.
#[derive(Clone)]
pub struct SavedModel {
    inner: Arc<Inner>,
    source: ModelSource,
}

/// One callable signature of a loaded model.
#[derive(Clone)]
pub struct Signature {
    model: Arc<Inner>,
    key: String,
    info: SignatureInfo,
    plan: Arc<Plan>,
    /// What static inference knows of each output, in output-key order.
    inferred: Arc<Vec<TypeFact>>,
}

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signature")
            .field("key", &self.key)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for SavedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SavedModel")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

fn with_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, f)
            .map_err(|e| Error::Execution(format!("cannot start the import thread: {e}")))?
            .join()
            .map_err(|_| Error::Execution("the import thread panicked".into()))
    })
}

impl SavedModel {
    /// Loads the `serve` meta graph of the model at `path` (a SavedModel
    /// directory, a TF Serving base path, or a TF1 `.meta` file).
    ///
    /// ```no_run
    /// let model = savedmodel::SavedModel::load("my_model")?;
    /// # Ok::<(), savedmodel::Error>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<SavedModel> {
        SavedModel::load_with(path, LoadOptions::default())
    }

    /// Loads with options (tag set, threads).
    pub fn load_with(path: impl AsRef<Path>, options: LoadOptions) -> Result<SavedModel> {
        let source = ModelSource::resolve(path)?;
        let saved = source.read()?;
        let tags: Vec<&str> = options.tags.iter().map(String::as_str).collect();
        let wanted: BTreeSet<&str> = tags.iter().copied().collect();
        let meta_graph = saved
            .meta_graphs
            .iter()
            .find(|mg| {
                let have: BTreeSet<&str> = mg
                    .meta_info_def
                    .iter()
                    .flat_map(|m| m.tags.iter().map(String::as_str))
                    .collect();
                have == wanted || (source_is_meta(&source) && saved.meta_graphs.len() == 1)
            })
            .cloned();
        let own_checkpoint = source.open_checkpoint()?;
        let info = ModelInfo::with_checkpoint(source.clone(), &saved, own_checkpoint.as_ref())?;
        let meta_info = match &meta_graph {
            Some(mg) => info
                .meta_graphs
                .iter()
                .find(|m| Some(&m.tags) == mg.meta_info_def.as_ref().map(|i| &i.tags))
                .cloned()
                .ok_or_else(|| Error::Model("meta graph lost".into()))?,
            None => {
                return Err(info
                    .meta_graph(&tags)
                    .err()
                    .unwrap_or_else(|| Error::NotFound("no meta graph".into())))
            }
        };
        let meta_graph = meta_graph.ok_or_else(|| Error::NotFound("no meta graph".into()))?;
        let own_trackable = match &own_checkpoint {
            Some(c) if meta_graph.object_graph_def.is_some() => c.object_graph()?,
            _ => None,
        };
        let variables = match &options.variables_from {
            Some(prefix) => Some(crate::remap::variables_from(
                prefix,
                &meta_graph,
                &meta_info,
                own_checkpoint,
            )?),
            None => VariableSource::own(own_checkpoint),
        };

        let pool = match options.threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| Error::Execution(format!("cannot start {n} threads: {e}")))?,
            ),
            None => None,
        };
        let inner = Arc::new(Inner {
            meta_graph,
            info: meta_info,
            registry: Registry::standard(),
            store: match source.directory() {
                Some(dir) => ResourceStore::with_assets(dir.join("assets")),
                None => ResourceStore::default(),
            },
            variables,
            pool,
            options,
            compiled: Mutex::new(HashMap::new()),
        });
        restore_and_init(&inner, &source, own_trackable.as_ref())?;
        // The restored variables are copies; the mapped checkpoint bytes
        // need not stay resident beside them.
        if let Some(variables) = &inner.variables {
            variables.release_resident_pages();
        }
        Ok(SavedModel { inner, source })
    }

    /// Where the model was loaded from.
    pub fn source(&self) -> &ModelSource {
        &self.source
    }

    /// The loaded meta graph's description.
    pub fn info(&self) -> &MetaGraphInfo {
        &self.inner.info
    }

    /// Signatures by key (the init-op signature left out).
    pub fn signatures(&self) -> impl Iterator<Item = (&String, &SignatureInfo)> {
        self.inner
            .info
            .signatures
            .iter()
            .filter(|(k, _)| k.as_str() != INIT_OP_KEY)
    }

    /// The signature `key`, compiled for calling. The error lists the keys
    /// that exist, or every op the signature needs that savedmodel lacks.
    pub fn signature(&self, key: &str) -> Result<Signature> {
        let info = self.inner.info.signature(key)?.clone();
        let cached = self
            .inner
            .compiled
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned();
        let (plan, inferred) = match cached {
            Some(compiled) => compiled,
            None => {
                let feeds: Vec<String> = info
                    .inputs
                    .values()
                    .map(|s| {
                        s.tensor_name().map(str::to_string).ok_or_else(|| {
                            Error::Unsupported(format!(
                                "signature '{key}': sparse and composite inputs are not supported"
                            ))
                        })
                    })
                    .collect::<Result<_>>()?;
                let fetches: Vec<String> = info
                    .outputs
                    .values()
                    .map(|s| {
                        s.tensor_name().map(str::to_string).ok_or_else(|| {
                            Error::Unsupported(format!(
                                "signature '{key}': sparse and composite outputs are not supported"
                            ))
                        })
                    })
                    .collect::<Result<_>>()?;
                let request = Request {
                    feeds,
                    constants: asset_feeds(&self.inner.meta_graph, &self.source),
                    fetches,
                    targets: Vec::new(),
                    compile: CompileOptions::optimized(self.inner.options.optimize),
                };
                let feed_facts: Vec<TypeFact> = info.inputs.values().map(spec_fact).collect();
                let (plan, inferred) = compile_inferred(&self.inner, &request, &feed_facts)
                    .map_err(|e| Error::Unsupported(format!("signature '{key}': {e}")))?;
                let inferred =
                    inferred.map_err(|e| Error::Model(format!("signature '{key}': {e}")))?;
                let compiled = (Arc::new(plan), Arc::new(inferred));
                self.inner
                    .compiled
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key.to_string(), compiled.clone());
                compiled
            }
        };
        Ok(Signature {
            model: self.inner.clone(),
            key: key.to_string(),
            info,
            plan,
            inferred,
        })
    }

    /// Runs graph tensors directly, as TF1's `Session.run` does: `feeds` maps
    /// tensor names (`x:0`) to values, `fetches` names the tensors to return.
    /// For meta graphs without signatures (a `.meta` file from `Saver`).
    pub fn run_tensors(&self, feeds: &[(&str, Tensor)], fetches: &[&str]) -> Result<Vec<Tensor>> {
        let request = Request {
            feeds: feeds.iter().map(|(n, _)| n.to_string()).collect(),
            constants: asset_feeds(&self.inner.meta_graph, &self.source),
            fetches: fetches.iter().map(|f| f.to_string()).collect(),
            targets: Vec::new(),
            compile: CompileOptions::optimized(self.inner.options.optimize),
        };
        let plan = compile(&self.inner, &request).map_err(Error::Unsupported)?;
        let values = feeds
            .iter()
            .map(|(_, t)| Value::Tensor(t.clone()))
            .collect();
        run(&self.inner, &plan, values)
            .map_err(Error::Execution)?
            .into_iter()
            .map(|v| match v {
                Value::Tensor(t) => Ok(t),
                Value::Resource(_) => Err(Error::Execution(
                    "a fetched tensor is a resource handle".into(),
                )),
            })
            .collect()
    }

    /// The current value of a variable, by object-graph path (TF2) or
    /// variable name (TF1).
    pub fn variable(&self, path: &str) -> Result<Tensor> {
        let var = self
            .inner
            .info
            .variables
            .iter()
            .find(|v| v.path == path)
            .ok_or_else(|| Error::NotFound(format!("no variable '{path}'")))?;
        let key = var
            .checkpoint_key
            .clone()
            .unwrap_or_else(|| var.path.clone());
        let variables = self
            .inner
            .variables
            .as_ref()
            .ok_or_else(|| Error::NotFound("the model has no checkpoint".into()))?;
        variables.read_key(&key)
    }
}

fn source_is_meta(source: &ModelSource) -> bool {
    matches!(source, ModelSource::MetaGraphFile { .. })
}

const INIT_OP_KEY: &str = "__saved_model_init_op";

fn compile(inner: &Inner, request: &Request) -> std::result::Result<Plan, String> {
    compile_inferred(inner, request, &[]).map(|(plan, _)| plan)
}

/// Imports and compiles `request`; also infers what the fetched outputs
/// will be from `feed_facts` (the inner result: a contradiction found by
/// inference is a model error, not an unsupported op).
fn compile_inferred(
    inner: &Inner,
    request: &Request,
    feed_facts: &[TypeFact],
) -> std::result::Result<(Plan, std::result::Result<Vec<TypeFact>, String>), String> {
    let empty = proto::GraphDef::default();
    let graph_def = inner.meta_graph.graph_def.as_ref().unwrap_or(&empty);
    let options = CompileOptions::optimized(inner.options.optimize);
    let feeds = request.feeds.len();
    with_big_stack(|| {
        let graph = import(graph_def, &inner.registry, request)?;
        let inferred = infer_outputs(&graph, feed_facts);
        Ok((Plan::compile(&graph, feeds, options)?, inferred))
    })
    .map_err(|e| e.to_string())?
}

/// What a signature input's spec says about the fed value (an undeclared
/// shape says nothing).
fn spec_fact(spec: &crate::spec::TensorSpec) -> TypeFact {
    let shape = if spec.shape_declared {
        spec.shape.as_deref()
    } else {
        None
    };
    TypeFact::of(spec.dtype.value_type(), shape)
}

fn run(inner: &Inner, plan: &Plan, feeds: Vec<Value>) -> std::result::Result<Vec<Value>, String> {
    run_profiled(inner, plan, feeds, None)
}

fn run_profiled(
    inner: &Inner,
    plan: &Plan,
    feeds: Vec<Value>,
    profile: Option<&Profile>,
) -> std::result::Result<Vec<Value>, String> {
    let ctx = OpContext {
        resources: &inner.store,
        checkpoint: inner
            .variables
            .as_ref()
            .map(|v| v as &dyn savedmodel_runtime::op::TensorSource),
        profile,
    };
    // The whole call runs on a worker of the pool: each parallel kernel then
    // forks from inside it (the calling worker takes a share at once),
    // instead of the caller handing every op to the pool and sleeping until
    // it is done, two thread switches per op.
    let values = match &inner.pool {
        Some(pool) => pool.install(|| plan.run(&ctx, feeds)),
        None => rayon::scope(|_| plan.run(&ctx, feeds)),
    }?;
    // A fetched TF1 variable (a ref output) is its current value.
    values
        .into_iter()
        .map(|v| match v {
            Value::Resource(id) => inner.store.read(id).map(Value::Tensor),
            other => Ok(other),
        })
        .collect()
}

/// Asset tensors fed with `<dir>/assets/<file>` (paths that try to leave
/// `assets/` are refused by skipping them).
fn asset_feeds(mg: &proto::MetaGraphDef, source: &ModelSource) -> Vec<(String, Tensor)> {
    let Some(dir) = source.directory() else {
        return Vec::new();
    };
    let mut defs: Vec<proto::AssetFileDef> = mg.asset_file_def.clone();
    if defs.is_empty() {
        if let Some(proto::collection_def::Kind::AnyList(list)) = mg
            .collection_def
            .get("saved_model_assets")
            .and_then(|c| c.kind.as_ref())
        {
            defs = list
                .value
                .iter()
                .filter_map(|a| {
                    <proto::AssetFileDef as prost::Message>::decode(a.value.as_slice()).ok()
                })
                .collect();
        }
    }
    defs.into_iter()
        .filter_map(|def| {
            let name = match def.tensor_info?.encoding? {
                proto::tensor_info::Encoding::Name(n) => n,
                _ => return None,
            };
            let relative = Path::new(&def.filename);
            if relative.is_absolute()
                || relative
                    .components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                return None;
            }
            let path: PathBuf = dir.join("assets").join(relative);
            Some((
                name,
                Tensor::scalar(path.to_string_lossy().as_bytes().to_vec()),
            ))
        })
        .collect()
}

fn restore_and_init(
    inner: &Inner,
    source: &ModelSource,
    own_trackable: Option<&proto::TrackableObjectGraph>,
) -> Result<()> {
    let assets = asset_feeds(&inner.meta_graph, source);
    if let (Some(saver), Some(variables)) = (&inner.meta_graph.saver_def, &inner.variables) {
        if !saver.restore_op_name.is_empty() {
            let prefix = variables.prefix();
            let mut constants = assets.clone();
            constants.push((
                saver.filename_tensor_name.clone(),
                Tensor::scalar(prefix.to_string_lossy().as_bytes().to_vec()),
            ));
            let request = Request {
                feeds: Vec::new(),
                constants,
                fetches: Vec::new(),
                targets: vec![saver.restore_op_name.clone()],
                compile: CompileOptions::default(),
            };
            let plan = compile(inner, &request)
                .map_err(|e| Error::Unsupported(format!("restoring variables: {e}")))?;
            run(inner, &plan, Vec::new())
                .map_err(|e| Error::Execution(format!("restoring variables: {e}")))?;
        }
    }
    bind_captured_variables(inner, own_trackable)?;
    if let Some(init) = init_op(&inner.meta_graph)? {
        let request = Request {
            feeds: Vec::new(),
            constants: assets,
            fetches: Vec::new(),
            targets: vec![init],
            compile: CompileOptions::default(),
        };
        let plan = compile(inner, &request)
            .map_err(|e| Error::Unsupported(format!("running the init op: {e}")))?;
        run(inner, &plan, Vec::new())
            .map_err(|e| Error::Execution(format!("running the init op: {e}")))?;
    }
    Ok(())
}

/// TF2 route B: variables captured by signature functions but not touched by
/// the restore op (Keras 3 through `tf.saved_model.save` restores other
/// handles) are read from the checkpoint key the object graph gives them:
/// call node capture input → `bound_inputs` SavedObject id → trackable node →
/// `VARIABLE_VALUE` key (of the model's own checkpoint, read through
/// `variables_from`'s key map when one is set).
fn bind_captured_variables(
    inner: &Inner,
    own_trackable: Option<&proto::TrackableObjectGraph>,
) -> Result<()> {
    let mg = &inner.meta_graph;
    let (Some(og), Some(variables), Some(graph), Some(trackable)) = (
        &mg.object_graph_def,
        &inner.variables,
        &mg.graph_def,
        own_trackable,
    ) else {
        return Ok(());
    };
    let keys = crate::object_graph::checkpoint_keys(og, trackable);
    let nodes: HashMap<&str, &proto::NodeDef> =
        graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
    for node in graph
        .node
        .iter()
        .filter(|n| n.op == "StatefulPartitionedCall" || n.op == "PartitionedCall")
    {
        let Some(proto::attr_value::Value::Func(f)) =
            node.attr.get("f").and_then(|a| a.value.as_ref())
        else {
            continue;
        };
        let Some(concrete) = og.concrete_functions.get(&f.name) else {
            continue;
        };
        let data: Vec<&str> = node
            .input
            .iter()
            .filter(|i| !i.starts_with('^'))
            .map(String::as_str)
            .collect();
        let Some(start) = data.len().checked_sub(concrete.bound_inputs.len()) else {
            continue;
        };
        for (input, &id) in data[start..].iter().zip(&concrete.bound_inputs) {
            let name = input.split(':').next().unwrap_or(input);
            let Some(var) = nodes.get(name).filter(|n| n.op == "VarHandleOp") else {
                continue;
            };
            let Some(key) = usize::try_from(id).ok().and_then(|id| keys.get(&id)) else {
                continue;
            };
            let attrs = savedmodel_runtime::attrs::Attrs {
                node: &var.name,
                op: &var.op,
                map: &var.attr,
            };
            let store_key =
                savedmodel_runtime::ops::variables::variable_key(&attrs).map_err(Error::Model)?;
            let handle = inner.store.handle(&store_key);
            if inner.store.read(handle).is_ok() {
                continue;
            }
            let value = variables.read_key(key)?;
            if let Ok(dtype) = attrs.dtype("dtype") {
                if dtype != value.dtype() {
                    return Err(Error::Model(format!(
                        "variable \"{name}\" is {dtype} but checkpoint tensor '{key}' is {}",
                        value.dtype()
                    )));
                }
            }
            inner
                .store
                .assign(handle, value)
                .map_err(Error::Execution)?;
        }
    }
    Ok(())
}

/// The init op: `__saved_model_init_op` signature, else the
/// `saved_model_main_op` or `legacy_init_op` collection (exactly one node).
fn init_op(mg: &proto::MetaGraphDef) -> Result<Option<String>> {
    if let Some(sig) = mg.signature_def.get(INIT_OP_KEY) {
        let output = sig.outputs.get(INIT_OP_KEY).ok_or_else(|| {
            Error::Model(format!(
                "signature '{INIT_OP_KEY}' has no output named '{INIT_OP_KEY}'"
            ))
        })?;
        return match &output.encoding {
            Some(proto::tensor_info::Encoding::Name(n)) => {
                Ok(Some(n.split(':').next().unwrap_or(n).to_string()))
            }
            _ => Err(Error::Model(format!(
                "signature '{INIT_OP_KEY}': output is not a tensor name"
            ))),
        };
    }
    for key in ["saved_model_main_op", "legacy_init_op"] {
        if let Some(proto::collection_def::Kind::NodeList(list)) =
            mg.collection_def.get(key).and_then(|c| c.kind.as_ref())
        {
            return match list.value.as_slice() {
                [one] => Ok(Some(one.clone())),
                _ => Err(Error::Model(format!(
                    "collection '{key}' must hold exactly one op, it holds {}",
                    list.value.len()
                ))),
            };
        }
    }
    Ok(None)
}

impl Signature {
    /// The signature key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Declared inputs and outputs.
    pub fn info(&self) -> &SignatureInfo {
        &self.info
    }

    /// What static inference found for each output (dtype, partial shape)
    /// before any call: often more than the SignatureDef declares, e.g. a
    /// `[-1, -1]` output that is known to be `[-1, 10]`.
    pub fn inferred_outputs(&self) -> BTreeMap<String, TypeFact> {
        self.info
            .outputs
            .keys()
            .cloned()
            .zip(self.inferred.iter().cloned())
            .collect()
    }

    /// The graph nodes a call runs, in order (after pruning and constant
    /// folding): only the part of the model this signature needs.
    pub fn nodes(&self) -> Vec<String> {
        self.plan.step_names().map(str::to_string).collect()
    }

    /// Calls the signature with named inputs; returns named outputs.
    /// Inputs with a default in the SignatureDef may be left out.
    pub fn call<K: AsRef<str>>(
        &self,
        inputs: impl IntoIterator<Item = (K, Tensor)>,
    ) -> Result<BTreeMap<String, Tensor>> {
        self.call_inner(inputs, None)
    }

    /// Like [`Signature::call`], also adding each op's run time to `profile`.
    pub fn call_profiled<K: AsRef<str>>(
        &self,
        inputs: impl IntoIterator<Item = (K, Tensor)>,
        profile: &Profile,
    ) -> Result<BTreeMap<String, Tensor>> {
        self.call_inner(inputs, Some(profile))
    }

    fn call_inner<K: AsRef<str>>(
        &self,
        inputs: impl IntoIterator<Item = (K, Tensor)>,
        profile: Option<&Profile>,
    ) -> Result<BTreeMap<String, Tensor>> {
        let mut given: BTreeMap<String, Tensor> = BTreeMap::new();
        for (name, tensor) in inputs {
            let name = name.as_ref().to_string();
            if !self.info.inputs.contains_key(&name) {
                let names: Vec<&str> = self.info.inputs.keys().map(String::as_str).collect();
                return Err(Error::Input(format!(
                    "signature '{}' has no input '{name}'; inputs: {}",
                    self.key,
                    names.join(", ")
                )));
            }
            given.insert(name, tensor);
        }
        let mut feeds = Vec::new();
        for (name, spec) in &self.info.inputs {
            let tensor = match given.remove(name) {
                Some(t) => t,
                None => self.default(name)?,
            };
            crate::validate::check_input(&self.key, name, spec, &tensor)?;
            feeds.push(Value::Tensor(tensor));
        }
        let outputs = run_profiled(&self.model, &self.plan, feeds, profile)
            .map_err(|e| Error::Execution(format!("signature '{}': {e}", self.key)))?;
        self.info
            .outputs
            .keys()
            .zip(outputs)
            .map(|(name, value)| match value {
                Value::Tensor(t) => Ok((name.clone(), t)),
                Value::Resource(_) => Err(Error::Execution(format!(
                    "output '{name}' is a resource handle"
                ))),
            })
            .collect()
    }

    /// Calls with inputs in declared (sorted-name) order.
    pub fn call_positional(&self, inputs: Vec<Tensor>) -> Result<BTreeMap<String, Tensor>> {
        if inputs.len() != self.info.inputs.len() {
            return Err(Error::Input(format!(
                "signature '{}' takes {} inputs, {} given",
                self.key,
                self.info.inputs.len(),
                inputs.len()
            )));
        }
        let names: Vec<String> = self.info.inputs.keys().cloned().collect();
        self.call(names.into_iter().zip(inputs))
    }

    fn default(&self, name: &str) -> Result<Tensor> {
        let sig = self.model.meta_graph.signature_def.get(&self.key);
        let proto = sig.and_then(|s| s.defaults.get(name)).ok_or_else(|| {
            Error::Input(format!(
                "signature '{}': input '{name}' is required",
                self.key
            ))
        })?;
        savedmodel_format::tensor_proto::decode(proto, 1 << 24).map_err(|e| {
            Error::Model(format!(
                "signature '{}': default of '{name}': {e}",
                self.key
            ))
        })
    }
}
