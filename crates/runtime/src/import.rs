//! TensorFlow graph → IR. Starting from the tensors a call fetches (and the
//! nodes it runs for effect), pull in exactly the nodes they need, inlining
//! every function call (`StatefulPartitionedCall`, `PartitionedCall`, or an
//! op named after a library function) at the point of use. Fed tensors cut
//! the graph there, so a signature may start mid-graph.
//!
//! Safety: recursion depth is bounded, cycles among nodes and among function
//! calls are errors, every edge is checked against the producer's output
//! count, and every unsupported op in the needed part is reported at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use savedmodel_format::proto::{FunctionDef, GraphDef, NodeDef};
use savedmodel_tensor::Tensor;

use crate::attrs::Attrs;
use crate::ir::{Graph, Node, NodeId, Outlet};
use crate::ops::basic::{Const, Feed, Identity, NoOp, Unsupported};
use crate::ops::control::{Case, If, While};
use crate::plan::{CompileOptions, Plan};
use crate::registry::{flat_output_index, output_count, Registry};

/// Deepest nesting of node-to-input recursion plus function calls.
const MAX_DEPTH: usize = 20_000;
/// Deepest chain of nested function calls.
const MAX_CALL_DEPTH: usize = 64;

/// What to import.
#[derive(Default)]
pub struct Request {
    /// Main-graph tensors (`node:k`) that the caller feeds, in feed order.
    pub feeds: Vec<String>,
    /// Main-graph tensors fed with fixed values (filename, asset paths).
    pub constants: Vec<(String, Tensor)>,
    /// Main-graph tensors to fetch, in order.
    pub fetches: Vec<String>,
    /// Main-graph nodes to run for their effects.
    pub targets: Vec<String>,
    /// How control-flow branches and loop bodies are compiled.
    pub compile: CompileOptions,
}

enum Built {
    Op {
        id: NodeId,
        count: usize,
    },
    Call {
        scope: usize,
        done: NodeId,
        outputs: Vec<String>,
        cache: Vec<Option<Outlet>>,
    },
}

struct Scope<'a> {
    path: String,
    nodes: HashMap<&'a str, &'a NodeDef>,
    args: HashMap<&'a str, Outlet>,
    function: Option<&'a FunctionDef>,
    /// Functions entered to reach this scope, outermost first.
    chain: Vec<&'a str>,
}

/// A function about to be entered (see `Importer::enter_function`).
struct Callee<'a> {
    name: &'a str,
    function: &'a FunctionDef,
    signature: &'a savedmodel_format::proto::OpDef,
    chain: Vec<&'a str>,
    nodes: HashMap<&'a str, &'a NodeDef>,
}

struct Importer<'a> {
    registry: &'a Registry,
    library: HashMap<&'a str, &'a FunctionDef>,
    scopes: Vec<Scope<'a>>,
    built: HashMap<(usize, String), Built>,
    visiting: HashMap<(usize, String), ()>,
    feeds: HashMap<String, Outlet>,
    depth: usize,
    graph: Graph,
    unsupported: BTreeMap<String, Vec<String>>,
    compile: CompileOptions,
    /// Plans of functions used as branches or loop bodies, by name.
    plans: HashMap<String, Arc<Plan>>,
}

/// Imports the part of `graph_def` that `request` needs.
pub fn import(
    graph_def: &GraphDef,
    registry: &Registry,
    request: &Request,
) -> Result<Graph, String> {
    let library: HashMap<&str, &FunctionDef> = graph_def
        .library
        .iter()
        .flat_map(|l| &l.function)
        .filter_map(|f| f.signature.as_ref().map(|s| (s.name.as_str(), f)))
        .collect();
    let mut nodes = HashMap::new();
    for node in &graph_def.node {
        if nodes.insert(node.name.as_str(), node).is_some() {
            return Err(format!("graph: two nodes are named \"{}\"", node.name));
        }
    }
    let mut importer = Importer {
        registry,
        library,
        scopes: vec![Scope {
            path: String::new(),
            nodes,
            args: HashMap::new(),
            function: None,
            chain: Vec::new(),
        }],
        built: HashMap::new(),
        visiting: HashMap::new(),
        feeds: HashMap::new(),
        depth: 0,
        graph: Graph::default(),
        unsupported: BTreeMap::new(),
        compile: request.compile,
        plans: HashMap::new(),
    };
    for (i, name) in request.feeds.iter().enumerate() {
        let id = importer.add(
            name.clone(),
            Arc::new(Feed { index: i }),
            Vec::new(),
            Vec::new(),
            1,
        );
        importer.feeds.insert(
            canonical(name),
            Outlet {
                node: id,
                output: 0,
            },
        );
    }
    for (name, value) in &request.constants {
        let id = importer.add(
            name.clone(),
            Arc::new(Const {
                value: value.clone(),
            }),
            Vec::new(),
            Vec::new(),
            1,
        );
        importer.feeds.insert(
            canonical(name),
            Outlet {
                node: id,
                output: 0,
            },
        );
    }
    let mut outputs = Vec::new();
    for fetch in &request.fetches {
        outputs.push(importer.tensor(0, fetch)?);
    }
    let mut targets = Vec::new();
    for target in &request.targets {
        targets.push(importer.done(0, target.strip_prefix('^').unwrap_or(target))?);
    }
    if !importer.unsupported.is_empty() {
        let list: Vec<String> = importer
            .unsupported
            .iter()
            .map(|(op, places)| {
                let shown: Vec<&str> = places.iter().take(3).map(String::as_str).collect();
                let more = if places.len() > 3 {
                    format!(" and {} more", places.len() - 3)
                } else {
                    String::new()
                };
                format!("{op} (used by {}{more})", shown.join(", "))
            })
            .collect();
        return Err(format!("unsupported ops: {}", list.join("; ")));
    }
    importer.graph.outputs = outputs;
    importer.graph.targets = targets;
    Ok(importer.graph)
}

/// `name` → `name:0`; `name:k` unchanged.
fn canonical(name: &str) -> String {
    if name.contains(':') {
        name.to_string()
    } else {
        format!("{name}:0")
    }
}

impl<'a> Importer<'a> {
    fn add(
        &mut self,
        name: String,
        op: Arc<dyn crate::op::Op>,
        inputs: Vec<Outlet>,
        controls: Vec<NodeId>,
        outputs: usize,
    ) -> NodeId {
        self.graph.add(Node {
            name,
            op,
            inputs,
            controls,
            outputs,
            epilogue: None,
            rule: crate::infer::Rule::Unknown,
        })
    }

    fn location(&self, scope: usize, node: &str) -> String {
        match self.scopes.get(scope) {
            Some(s) if !s.path.is_empty() => format!("{}/{node}", s.path),
            _ => node.to_string(),
        }
    }

    /// Resolves a tensor reference inside `scope`.
    fn tensor(&mut self, scope: usize, reference: &str) -> Result<Outlet, String> {
        if scope == 0 {
            if let Some(&fed) = self.feeds.get(&canonical(reference)) {
                return Ok(fed);
            }
            let (node, index) = match reference.rsplit_once(':') {
                Some((n, k)) => (
                    n,
                    k.parse::<usize>()
                        .map_err(|_| format!("bad tensor name \"{reference}\""))?,
                ),
                None => (reference, 0),
            };
            return self.output(scope, node, None, index);
        }
        if let Some(&arg) = self.scopes.get(scope).and_then(|s| s.args.get(reference)) {
            return Ok(arg);
        }
        let parts: Vec<&str> = reference.split(':').collect();
        match parts.as_slice() {
            [node] => self.output(scope, node, None, 0),
            [node, k] => {
                let k = k
                    .parse::<usize>()
                    .map_err(|_| format!("bad tensor reference \"{reference}\""))?;
                self.output(scope, node, None, k)
            }
            [node, arg, i] => {
                let i = i
                    .parse::<usize>()
                    .map_err(|_| format!("bad tensor reference \"{reference}\""))?;
                self.output(scope, node, Some(arg), i)
            }
            _ => Err(format!(
                "{}: bad tensor reference \"{reference}\"",
                self.location(scope, reference)
            )),
        }
    }

    /// Output `arg:index` (or flat `index`) of node `name` in `scope`.
    fn output(
        &mut self,
        scope: usize,
        name: &str,
        arg: Option<&str>,
        index: usize,
    ) -> Result<Outlet, String> {
        self.build(scope, name)?;
        let key = (scope, name.to_string());
        let flat = match arg {
            None => index,
            Some(arg) => self.flat_index(scope, name, arg, index)?,
        };
        match self.built.get(&key) {
            Some(Built::Op { id, count }) => {
                if flat >= *count {
                    return Err(format!(
                        "{}: output {flat} requested but the node has {count}",
                        self.location(scope, name)
                    ));
                }
                Ok(Outlet {
                    node: *id,
                    output: flat,
                })
            }
            Some(Built::Call {
                scope: callee,
                done,
                outputs,
                cache,
            }) => {
                if let Some(Some(outlet)) = cache.get(flat) {
                    return Ok(*outlet);
                }
                let (callee, done) = (*callee, *done);
                let ret_name = outputs.get(flat).cloned().ok_or_else(|| {
                    format!(
                        "{}: output {flat} requested but the function has {}",
                        self.location(scope, name),
                        outputs.len()
                    )
                })?;
                let function = self
                    .scopes
                    .get(callee)
                    .and_then(|s| s.function)
                    .ok_or("internal: call scope without function")?;
                let reference = function
                    .ret
                    .get(&ret_name)
                    .ok_or_else(|| {
                        format!(
                            "{}: function has no ret for output \"{ret_name}\"",
                            self.location(callee, "")
                        )
                    })?
                    .clone();
                let value = self.tensor(callee, &reference)?;
                let id = self.add(
                    self.location(scope, name),
                    Arc::new(Identity),
                    vec![value],
                    vec![done],
                    1,
                );
                if let Some(node) = self.graph.nodes.get_mut(id) {
                    node.rule = crate::infer::Rule::SameAs(0);
                }
                let outlet = Outlet {
                    node: id,
                    output: 0,
                };
                if let Some(Built::Call { cache, .. }) = self.built.get_mut(&key) {
                    if let Some(slot) = cache.get_mut(flat) {
                        *slot = Some(outlet);
                    }
                }
                Ok(outlet)
            }
            None => Err(format!(
                "internal: {} was not built",
                self.location(scope, name)
            )),
        }
    }

    fn flat_index(
        &self,
        scope: usize,
        name: &str,
        arg: &str,
        index: usize,
    ) -> Result<usize, String> {
        let node = self.lookup(scope, name)?;
        if let Some(callee) = self.callee(node)? {
            let function = self
                .library
                .get(callee)
                .ok_or_else(|| format!("function \"{callee}\" not found"))?;
            let signature = function
                .signature
                .as_ref()
                .ok_or("function without signature")?;
            if node.op == "StatefulPartitionedCall" || node.op == "PartitionedCall" {
                return Ok(index);
            }
            let position = signature.output_arg.iter().position(|a| a.name == arg);
            return position
                .map(|p| p + index)
                .ok_or_else(|| format!("function \"{callee}\" has no output \"{arg}\""));
        }
        let spec = self
            .registry
            .get(&node.op)
            .ok_or_else(|| format!("unsupported op {}", node.op))?;
        let attrs = Attrs {
            node: &node.name,
            op: &node.op,
            map: &node.attr,
        };
        flat_output_index(spec.outputs, &attrs, arg, index)
    }

    fn lookup(&self, scope: usize, name: &str) -> Result<&'a NodeDef, String> {
        self.scopes
            .get(scope)
            .and_then(|s| s.nodes.get(name).copied())
            .ok_or_else(|| format!("{}: no node named \"{name}\"", self.location(scope, name)))
    }

    /// The function a node calls, if it is a call.
    fn callee(&self, node: &'a NodeDef) -> Result<Option<&'a str>, String> {
        if node.op == "StatefulPartitionedCall" || node.op == "PartitionedCall" {
            let attrs = Attrs {
                node: &node.name,
                op: &node.op,
                map: &node.attr,
            };
            return attrs.func("f").map(Some);
        }
        if self.library.contains_key(node.op.as_str()) {
            return Ok(Some(node.op.as_str()));
        }
        Ok(None)
    }

    /// A node that completes when `name` has run (for control edges).
    fn done(&mut self, scope: usize, name: &str) -> Result<NodeId, String> {
        self.build(scope, name)?;
        match self.built.get(&(scope, name.to_string())) {
            Some(Built::Op { id, .. }) => Ok(*id),
            Some(Built::Call { done, .. }) => Ok(*done),
            None => Err(format!(
                "internal: {} was not built",
                self.location(scope, name)
            )),
        }
    }

    fn build(&mut self, scope: usize, name: &str) -> Result<(), String> {
        let key = (scope, name.to_string());
        if self.built.contains_key(&key) {
            return Ok(());
        }
        if self.visiting.insert(key.clone(), ()).is_some() {
            return Err(format!(
                "{}: the graph has a cycle through this node (loops are not supported yet)",
                self.location(scope, name)
            ));
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!(
                "{}: graph nested deeper than {MAX_DEPTH} nodes",
                self.location(scope, name)
            ));
        }
        let result = self.build_node(scope, name);
        self.depth -= 1;
        self.visiting.remove(&key);
        let built = result?;
        self.built.insert(key, built);
        Ok(())
    }

    fn build_node(&mut self, scope: usize, name: &str) -> Result<Built, String> {
        let node = self.lookup(scope, name)?;
        let location = self.location(scope, name);
        let mut inputs = Vec::new();
        let mut controls = Vec::new();
        for input in &node.input {
            match input.strip_prefix('^') {
                Some(control) => controls.push(self.done(scope, control)?),
                None => {
                    if !controls.is_empty() {
                        return Err(format!(
                            "{location}: data input \"{input}\" after a control input"
                        ));
                    }
                    inputs.push(self.tensor(scope, input)?);
                }
            }
        }
        if let Some(callee) = self.callee(node)? {
            return self.inline(scope, node, callee, inputs, controls);
        }
        if let Some(op) = self.control_flow(scope, node)? {
            let count = inputs_count_for(node)?;
            let id = self.add(location, op, inputs, controls, count);
            return Ok(Built::Op { id, count });
        }
        let attrs = Attrs {
            node: &node.name,
            op: &node.op,
            map: &node.attr,
        };
        if node.op == "Placeholder" {
            return Err(format!("{location}: placeholder \"{name}\" must be fed (it is not an input of this signature)"));
        }
        let Some(spec) = self.registry.get(&node.op) else {
            self.unsupported
                .entry(node.op.clone())
                .or_default()
                .push(location.clone());
            let id = self.add(location, Arc::new(Unsupported), inputs, controls, 1);
            return Ok(Built::Op {
                id,
                count: usize::MAX,
            });
        };
        let count = output_count(spec.outputs, &attrs).map_err(|e| format!("{location}: {e}"))?;
        let op = (spec.build)(&attrs).map_err(|e| format!("{location}: {e}"))?;
        let id = self.add(location, Arc::from(op), inputs, controls, count);
        if let Some(node) = self.graph.nodes.get_mut(id) {
            node.epilogue = crate::epilogue::of_node(&attrs);
            node.rule = crate::infer::rule_of(&attrs);
        }
        Ok(Built::Op { id, count })
    }

    fn inline(
        &mut self,
        scope: usize,
        node: &'a NodeDef,
        callee: &'a str,
        inputs: Vec<Outlet>,
        controls: Vec<NodeId>,
    ) -> Result<Built, String> {
        let location = self.location(scope, &node.name);
        let Callee {
            name: callee,
            function,
            signature,
            chain,
            nodes,
        } = self.enter_function(scope, &location, callee)?;
        if signature.input_arg.len() != inputs.len() {
            return Err(format!(
                "{location}: calls \"{callee}\" with {} inputs but it takes {}",
                inputs.len(),
                signature.input_arg.len()
            ));
        }
        let args = signature
            .input_arg
            .iter()
            .map(|a| a.name.as_str())
            .zip(inputs)
            .collect();
        self.scopes.push(Scope {
            path: format!("{location}/{callee}"),
            nodes,
            args,
            function: Some(function),
            chain,
        });
        let callee_scope = self.scopes.len() - 1;
        let mut after = controls;
        for target in function.control_ret.values() {
            after.push(self.done(callee_scope, target)?);
        }
        let done = self.add(
            format!("{location}/done"),
            Arc::new(NoOp),
            Vec::new(),
            after,
            0,
        );
        let outputs: Vec<String> = signature
            .output_arg
            .iter()
            .map(|a| a.name.clone())
            .collect();
        let cache = vec![None; outputs.len()];
        // Outputs resolve lazily: only those the caller uses are imported.
        Ok(Built::Call {
            scope: callee_scope,
            done,
            outputs,
            cache,
        })
    }
}

/// Number of outputs of a control-flow node (`Tout`, or `T` for loops).
fn inputs_count_for(node: &NodeDef) -> Result<usize, String> {
    let attrs = Attrs {
        node: &node.name,
        op: &node.op,
        map: &node.attr,
    };
    let name = if node.op.ends_with("While") {
        "T"
    } else {
        "Tout"
    };
    Ok(attrs.dtypes(name)?.len())
}

impl<'a> Importer<'a> {
    /// `If`/`Case`/`While` (and their stateless twins) become ops that own
    /// the compiled plans of their branch and body functions.
    fn control_flow(
        &mut self,
        scope: usize,
        node: &'a NodeDef,
    ) -> Result<Option<Arc<dyn crate::op::Op>>, String> {
        let attrs = Attrs {
            node: &node.name,
            op: &node.op,
            map: &node.attr,
        };
        let location = self.location(scope, &node.name);
        let op: Arc<dyn crate::op::Op> = match node.op.as_str() {
            "If" | "StatelessIf" => Arc::new(If {
                then_branch: self.function_plan(scope, &location, attrs.func("then_branch")?)?,
                else_branch: self.function_plan(scope, &location, attrs.func("else_branch")?)?,
            }),
            "Case" | "StatelessCase" => {
                let names: Vec<String> = match node
                    .attr
                    .get("branches")
                    .and_then(|a| a.value.as_ref())
                {
                    Some(savedmodel_format::proto::attr_value::Value::List(l)) => {
                        l.func.iter().map(|f| f.name.clone()).collect()
                    }
                    _ => return Err(format!("{location}: Case needs a list of branch functions")),
                };
                if names.is_empty() {
                    return Err(format!("{location}: Case has no branches"));
                }
                let branches = names
                    .iter()
                    .map(|n| self.function_plan(scope, &location, n))
                    .collect::<Result<_, _>>()?;
                Arc::new(Case { branches })
            }
            "While" | "StatelessWhile" => Arc::new(While {
                cond: self.function_plan(scope, &location, attrs.func("cond")?)?,
                body: self.function_plan(scope, &location, attrs.func("body")?)?,
            }),
            _ => return Ok(None),
        };
        Ok(Some(op))
    }

    /// Compiles library function `name` into a standalone plan whose feeds
    /// are its arguments and whose outputs are its results.
    /// Looks up function `name` called from `scope`: refuses recursion and
    /// call chains past [`MAX_CALL_DEPTH`], and indexes its nodes by name.
    fn enter_function(
        &self,
        scope: usize,
        location: &str,
        name: &str,
    ) -> Result<Callee<'a>, String> {
        let (name, function): (&'a str, &'a FunctionDef) = self
            .library
            .get_key_value(name)
            .map(|(k, f)| (*k, *f))
            .ok_or_else(|| format!("{location}: function \"{name}\" not found"))?;
        let mut chain = self
            .scopes
            .get(scope)
            .map(|s| s.chain.clone())
            .unwrap_or_default();
        if chain.contains(&name) {
            return Err(format!(
                "{location}: function \"{name}\" calls itself (directly or through others)"
            ));
        }
        chain.push(name);
        if chain.len() > MAX_CALL_DEPTH {
            return Err(format!(
                "{location}: function calls nested deeper than {MAX_CALL_DEPTH}"
            ));
        }
        let signature = function
            .signature
            .as_ref()
            .ok_or_else(|| format!("function \"{name}\" has no signature"))?;
        let mut nodes = HashMap::new();
        for n in &function.node_def {
            if nodes.insert(n.name.as_str(), n).is_some() {
                return Err(format!(
                    "function \"{name}\": two nodes are named \"{}\"",
                    n.name
                ));
            }
        }
        Ok(Callee {
            name,
            function,
            signature,
            chain,
            nodes,
        })
    }

    fn function_plan(
        &mut self,
        scope: usize,
        location: &str,
        name: &str,
    ) -> Result<Arc<Plan>, String> {
        if let Some(plan) = self.plans.get(name) {
            return Ok(plan.clone());
        }
        let Callee {
            name,
            function,
            signature,
            chain,
            nodes,
        } = self.enter_function(scope, location, name)?;
        let mut sub = Importer {
            registry: self.registry,
            library: self.library.clone(),
            scopes: vec![Scope {
                path: String::new(),
                nodes: HashMap::new(),
                args: HashMap::new(),
                function: None,
                chain: Vec::new(),
            }],
            built: HashMap::new(),
            visiting: HashMap::new(),
            feeds: HashMap::new(),
            depth: self.depth,
            graph: Graph::default(),
            unsupported: BTreeMap::new(),
            compile: self.compile,
            plans: std::mem::take(&mut self.plans),
        };
        let mut args = HashMap::new();
        for (i, arg) in signature.input_arg.iter().enumerate() {
            let id = sub.add(
                format!("{location}/{name}/{}", arg.name),
                Arc::new(Feed { index: i }),
                Vec::new(),
                Vec::new(),
                1,
            );
            args.insert(
                arg.name.as_str(),
                Outlet {
                    node: id,
                    output: 0,
                },
            );
        }
        sub.scopes.push(Scope {
            path: format!("{location}/{name}"),
            nodes,
            args,
            function: Some(function),
            chain,
        });
        let result = (|| {
            let mut outputs = Vec::new();
            for arg in &signature.output_arg {
                let reference = function.ret.get(&arg.name).ok_or_else(|| {
                    format!("function \"{name}\" has no ret for output \"{}\"", arg.name)
                })?;
                outputs.push(sub.tensor(1, reference)?);
            }
            let mut targets = Vec::new();
            for target in function.control_ret.values() {
                targets.push(sub.done(1, target)?);
            }
            Ok::<_, String>((outputs, targets))
        })();
        self.plans = std::mem::take(&mut sub.plans);
        for (op, places) in std::mem::take(&mut sub.unsupported) {
            self.unsupported.entry(op).or_default().extend(places);
        }
        let (outputs, targets) = result?;
        if !self.unsupported.is_empty() {
            // Reported all together at the end of the import.
            let placeholder = Arc::new(Plan::compile(&Graph::default(), 0, self.compile)?);
            return Ok(placeholder);
        }
        sub.graph.outputs = outputs;
        sub.graph.targets = targets;
        let plan = Arc::new(Plan::compile(
            &sub.graph,
            signature.input_arg.len(),
            self.compile,
        )?);
        self.plans.insert(name.to_string(), plan.clone());
        Ok(plan)
    }
}
