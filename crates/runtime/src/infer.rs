//! Static dtype and shape inference over the IR.
//!
//! Like TensorFlow's shape functions, the rules live apart from the
//! kernels: import turns each node's op type and attributes into a
//! [`Rule`], and [`infer`] walks the graph in dependency order from what is
//! known about the fed values and constants. Facts are partial — a dtype
//! may be unknown, a shape may have unknown rank or unknown dimensions —
//! and a rule only fails when two known facts contradict each other (a
//! MatMul whose inner dimensions differ, a Reshape that cannot hold its
//! input), so a broken graph is reported at load with the node's name
//! instead of on the first call. Ops without a rule produce unknown facts.

use savedmodel_tensor::{DType, Tensor};

use crate::attrs::Attrs;
use crate::ir::{Graph, NodeId};

/// What is known about one value before running.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TypeFact {
    /// Element type, if known.
    pub dtype: Option<DType>,
    /// Dimensions (`None` = unknown rank; `Some(None)` entries = unknown size).
    pub shape: Option<Vec<Option<usize>>>,
    /// The value, for small integer tensors known before running
    /// (constants, shapes of fully known values).
    pub value: Option<Vec<i64>>,
}

impl TypeFact {
    /// Nothing known.
    pub fn unknown() -> TypeFact {
        TypeFact::default()
    }

    /// A known dtype and (partial) shape; `-1` dims are unknown.
    pub fn of(dtype: Option<DType>, shape: Option<&[i64]>) -> TypeFact {
        TypeFact {
            dtype,
            shape: shape.map(|s| s.iter().map(|&d| usize::try_from(d).ok()).collect()),
            value: None,
        }
    }

    fn with_shape(dtype: Option<DType>, shape: Option<Vec<Option<usize>>>) -> TypeFact {
        TypeFact {
            dtype,
            shape,
            value: None,
        }
    }

    /// The fact of a known tensor.
    pub fn of_tensor(t: &Tensor) -> TypeFact {
        let value = match t.dtype() {
            DType::I32 if t.len() <= MAX_VALUE_LEN => t
                .as_slice::<i32>()
                .ok()
                .map(|v| v.iter().map(|&x| i64::from(x)).collect()),
            DType::I64 if t.len() <= MAX_VALUE_LEN => t.as_slice::<i64>().ok().map(<[_]>::to_vec),
            _ => None,
        };
        TypeFact {
            dtype: Some(t.dtype()),
            shape: Some(t.shape().iter().map(|&d| Some(d)).collect()),
            value,
        }
    }

    /// The rank, if known.
    pub fn rank(&self) -> Option<usize> {
        self.shape.as_ref().map(Vec::len)
    }

    /// True when `t` fits this fact (equal dtype where known, equal rank
    /// and dimensions where known).
    pub fn admits(&self, t: &Tensor) -> bool {
        if self.dtype.is_some_and(|d| d != t.dtype()) {
            return false;
        }
        match &self.shape {
            None => true,
            Some(dims) => {
                dims.len() == t.rank()
                    && dims
                        .iter()
                        .zip(t.shape())
                        .all(|(d, &n)| d.is_none_or(|d| d == n))
            }
        }
    }
}

/// Integer tensors up to this length carry their value.
const MAX_VALUE_LEN: usize = 64;

/// How a node's outputs follow from its inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Rule {
    /// Nothing is known about the outputs.
    #[default]
    Unknown,
    /// Output 0 has the dtype and shape of input `i` (elementwise unary
    /// ops, Identity, Softmax, BiasAdd, ...).
    SameAs(usize),
    /// Output 0 has the shape of input 0 and this dtype (IsNan, ...).
    SameShape(DType),
    /// NumPy broadcasting of all inputs; dtype of input `dtype_from`, or
    /// `bool` for comparisons.
    Broadcast {
        /// Input whose dtype the output has (ignored when `bool_out`).
        dtype_from: usize,
        /// Comparisons: the output is bool.
        bool_out: bool,
    },
    /// Input 0's shape, this dtype.
    Cast(DType),
    /// A fixed output (Placeholder: dtype and declared shape).
    Fixed(TypeFact),
    /// A variable's value: this dtype, the shape of the variable behind the
    /// handle in input 0 (ReadVariableOp).
    ReadVariable(DType),
    /// `[.., m, k] x [.., k, n]` with optional transposes and batch
    /// broadcasting (MatMul, BatchMatMul*).
    MatMul {
        /// Transpose / adjoint the first operand.
        transpose_a: bool,
        /// Transpose / adjoint the second operand.
        transpose_b: bool,
        /// Output dtype when it differs from the inputs' (BatchMatMulV3).
        out: Option<DType>,
    },
    /// 2-D convolution or pooling over NHWC / NCHW input.
    Window(Window),
    /// Reduction over the axes in input 1.
    Reduce {
        /// Keep reduced axes as size 1.
        keep_dims: bool,
        /// Output dtype (ArgMax/ArgMin), else input 0's.
        out: Option<DType>,
    },
    /// `[rank]` vector of input 0's shape.
    Shape(DType),
    /// Scalar of this dtype (Size, Rank).
    Scalar(DType),
    /// Input 0 reshaped to the value of input 1.
    Reshape,
    /// Input 0 with a size-1 axis inserted at input 1's value.
    ExpandDims,
    /// Input 0 without the listed size-1 axes (all size-1 axes if empty).
    Squeeze(Vec<i64>),
    /// Input 0 permuted by input 1's value.
    Transpose,
    /// Concatenation of all inputs but the last along the last input's value.
    Concat,
    /// Stack of all inputs along a new axis.
    Pack(i64),
    /// A tensor of the shape in input 0's value, dtype of input 1 (Fill).
    Fill,
    /// Only dtypes are known: output `i` takes `dtypes[i]`, and outputs past
    /// the list take its last entry (Split, Unpack, ShapeN).
    Dtypes(Vec<Source>),
}

/// Where an output's dtype comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The dtype of this input.
    Input(usize),
    /// This dtype.
    Fixed(DType),
}

/// A 2-D window op's geometry.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Channels first.
    pub nchw: bool,
    /// Strides (H, W).
    pub strides: [usize; 2],
    /// Dilations (H, W).
    pub dilations: [usize; 2],
    /// Padding.
    pub padding: WindowPadding,
    /// What the window holds.
    pub kind: WindowKind,
}

/// Padding of a window op.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowPadding {
    /// Output = ceil(input / stride).
    Same,
    /// No padding.
    Valid,
    /// (before, after) for H and W.
    Explicit([(usize, usize); 2]),
}

/// Where the window size and output channels come from.
#[derive(Clone, Debug, PartialEq)]
pub enum WindowKind {
    /// Filter `[kh, kw, in, out]` in input 1.
    Conv,
    /// Filter `[kh, kw, in, multiplier]` in input 1.
    Depthwise,
    /// A fixed window; channels unchanged.
    Pool([usize; 2]),
}

fn flag(a: &Attrs<'_>, name: &str) -> bool {
    a.bool_or(name, false).unwrap_or(false)
}

fn spatial(a: &Attrs<'_>, name: &str, nchw: bool) -> Option<[usize; 2]> {
    let v = a.ints_or(name, &[1, 1, 1, 1]).ok()?;
    let (h, w) = if nchw { (2, 3) } else { (1, 2) };
    Some([
        usize::try_from(*v.get(h)?).ok()?,
        usize::try_from(*v.get(w)?).ok()?,
    ])
}

fn window(a: &Attrs<'_>, kind: WindowKind) -> Option<Rule> {
    let nchw = a.string_or("data_format", "NHWC").ok()? == "NCHW";
    let padding = match a.padding().ok()?.as_str() {
        "SAME" => WindowPadding::Same,
        "VALID" => WindowPadding::Valid,
        "EXPLICIT" => {
            let p = a.ints_or("explicit_paddings", &[]).ok()?;
            let (h, w) = if nchw { (4, 6) } else { (2, 4) };
            let get = |i: usize| usize::try_from(*p.get(i)?).ok();
            WindowPadding::Explicit([(get(h)?, get(h + 1)?), (get(w)?, get(w + 1)?)])
        }
        _ => return None,
    };
    let kind = match kind {
        WindowKind::Pool(_) => WindowKind::Pool(spatial(a, "ksize", nchw)?),
        other => other,
    };
    Some(Rule::Window(Window {
        nchw,
        strides: spatial(a, "strides", nchw)?,
        dilations: spatial(a, "dilations", nchw)?,
        padding,
        kind,
    }))
}

/// The rule for a node, from its op type and attributes.
pub fn rule_of(a: &Attrs<'_>) -> Rule {
    rule_for(a).unwrap_or_default()
}

fn rule_for(a: &Attrs<'_>) -> Option<Rule> {
    let out_type = |name: &str, default: DType| a.dtype_or(name, default).ok();
    Some(match a.op {
        "Identity" | "Snapshot" | "StopGradient" | "PreventGradient" | "CheckNumerics" | "Neg"
        | "Abs" | "Sqrt" | "Rsqrt" | "Reciprocal" | "Inv" | "Exp" | "Log" | "Log1p" | "Expm1"
        | "Square" | "Sign" | "Round" | "Rint" | "Floor" | "Ceil" | "Erf" | "Erfc" | "Sin"
        | "Cos" | "Tan" | "Tanh" | "Sigmoid" | "Softplus" | "Softsign" | "Relu" | "Relu6"
        | "Elu" | "Selu" | "LeakyRelu" | "Softmax" | "LogSoftmax" | "BiasAdd" | "BiasAddV1"
        | "ClipByValue" | "OnesLike" | "ZerosLike" | "Cumsum" | "Cumprod" | "ReverseV2"
        | "LogicalNot" | "AddN" | "FusedBatchNorm" | "FusedBatchNormV2" | "FusedBatchNormV3" => {
            Rule::SameAs(0)
        }
        "IsNan" | "IsInf" | "IsFinite" => Rule::SameShape(DType::Bool),
        "Add" | "AddV2" | "Sub" | "Mul" | "RealDiv" | "Div" | "DivNoNan" | "FloorDiv"
        | "FloorMod" | "TruncateDiv" | "TruncateMod" | "Pow" | "Maximum" | "Minimum"
        | "SquaredDifference" | "Atan2" | "LogicalAnd" | "LogicalOr" => Rule::Broadcast {
            dtype_from: 0,
            bool_out: false,
        },
        "Less" | "LessEqual" | "Greater" | "GreaterEqual" | "Equal" | "NotEqual" => {
            Rule::Broadcast {
                dtype_from: 0,
                bool_out: true,
            }
        }
        "SelectV2" => Rule::Broadcast {
            dtype_from: 1,
            bool_out: false,
        },
        "Select" => Rule::SameAs(1),
        "Cast" => Rule::Cast(a.dtype("DstT").ok()?),
        "Placeholder" => {
            let shape = a.shape("shape").ok().flatten();
            Rule::Fixed(TypeFact::of(a.dtype("dtype").ok(), shape.as_deref()))
        }
        "PlaceholderWithDefault" => Rule::SameAs(0),
        // A handle's fact describes the variable's value.
        "VarHandleOp" | "VariableV2" | "Variable" => {
            let shape = a.shape("shape").ok().flatten();
            Rule::Fixed(TypeFact::of(a.dtype("dtype").ok(), shape.as_deref()))
        }
        "ReadVariableOp" => Rule::ReadVariable(a.dtype("dtype").ok()?),
        "MatMul" => Rule::MatMul {
            transpose_a: flag(a, "transpose_a"),
            transpose_b: flag(a, "transpose_b"),
            out: None,
        },
        "BatchMatMul" | "BatchMatMulV2" | "BatchMatMulV3" => Rule::MatMul {
            transpose_a: flag(a, "adj_x"),
            transpose_b: flag(a, "adj_y"),
            out: if a.op == "BatchMatMulV3" {
                a.dtype("Tout").ok()
            } else {
                None
            },
        },
        "Conv2D" => window(a, WindowKind::Conv)?,
        "DepthwiseConv2dNative" => window(a, WindowKind::Depthwise)?,
        "MaxPool" | "AvgPool" => window(a, WindowKind::Pool([1, 1]))?,
        "Mean" | "Sum" | "Max" | "Min" | "Prod" | "All" | "Any" => Rule::Reduce {
            keep_dims: flag(a, "keep_dims"),
            out: None,
        },
        "ArgMax" | "ArgMin" => Rule::Reduce {
            keep_dims: false,
            out: Some(out_type("output_type", DType::I64)?),
        },
        "Shape" => Rule::Shape(out_type("out_type", DType::I32)?),
        "Size" => Rule::Scalar(out_type("out_type", DType::I32)?),
        "Rank" => Rule::Scalar(DType::I32),
        "Reshape" => Rule::Reshape,
        "ExpandDims" => Rule::ExpandDims,
        "Squeeze" => Rule::Squeeze(a.ints_or("squeeze_dims", &[]).ok()?),
        "Transpose" => Rule::Transpose,
        "ConcatV2" => Rule::Concat,
        "Pack" => Rule::Pack(a.int_or("axis", 0).ok()?),
        "Fill" => Rule::Fill,
        "Slice"
        | "StridedSlice"
        | "Tile"
        | "Pad"
        | "PadV2"
        | "MirrorPad"
        | "GatherV2"
        | "Gather"
        | "GatherNd"
        | "ResourceGather"
        | "BroadcastTo"
        | "Einsum"
        | "SpaceToBatchND"
        | "BatchToSpaceND"
        | "SpaceToDepth"
        | "DepthToSpace"
        | "ResizeNearestNeighbor"
        | "Conv3D"
        | "MaxPool3D"
        | "AvgPool3D"
        | "MaxPoolV2"
        | "Unpack"
        | "SplitV"
        | "MatrixBandPart"
        | "ReverseSequence"
        | "DynamicPartition"
        | "TensorScatterUpdate"
        | "TensorScatterAdd" => Rule::Dtypes(vec![Source::Input(0)]),
        "Split" | "ScatterNd" => Rule::Dtypes(vec![Source::Input(1)]),
        "Unique" => Rule::Dtypes(vec![
            Source::Input(0),
            Source::Fixed(out_type("out_idx", DType::I32)?),
        ]),
        "Conv2DBackpropInput" | "Conv3DBackpropInputV2" => Rule::Dtypes(vec![Source::Input(2)]),
        "OneHot" => Rule::Dtypes(vec![Source::Input(2)]),
        "DynamicStitch" | "ParallelDynamicStitch" => Rule::Dtypes(vec![Source::Input(
            usize::try_from(a.int_or("N", 1).ok()?).ok()?,
        )]),
        "ResizeBilinear" => Rule::Dtypes(vec![Source::Fixed(DType::F32)]),
        "TopKV2" => Rule::Dtypes(vec![
            Source::Input(0),
            Source::Fixed(out_type("index_type", DType::I32)?),
        ]),
        "ShapeN" => Rule::Dtypes(vec![Source::Fixed(out_type("out_type", DType::I32)?)]),
        "Range" => Rule::Dtypes(vec![Source::Fixed(out_type("Tidx", DType::I32)?)]),
        "Where" => Rule::Dtypes(vec![Source::Fixed(DType::I64)]),
        "BroadcastArgs" => Rule::Dtypes(vec![Source::Input(0)]),
        _ => return None,
    })
}

type Dims = Vec<Option<usize>>;

/// Facts for every output of every node the graph runs (`None` for nodes
/// that are not reached), given the fed values' facts; fails on the first
/// contradiction, naming the node.
pub fn infer(graph: &Graph, feeds: &[TypeFact]) -> Result<Vec<Option<Vec<TypeFact>>>, String> {
    let order = crate::plan::schedule(graph)?;
    let mut facts: Vec<Option<Vec<TypeFact>>> = vec![None; graph.nodes.len()];
    for id in order {
        let node = &graph.nodes[id];
        let inputs: Vec<TypeFact> = node.inputs.iter().map(|o| fact_at(&facts, o)).collect();
        let mut outputs = node_facts(graph, id, &inputs, feeds)
            .map_err(|e| format!("node \"{}\" ({}): {e}", node.name, node.op.name()))?;
        outputs.resize(node.outputs, TypeFact::unknown());
        facts[id] = Some(outputs);
    }
    Ok(facts)
}

/// The facts of `graph`'s fetched outputs.
pub fn infer_outputs(graph: &Graph, feeds: &[TypeFact]) -> Result<Vec<TypeFact>, String> {
    let facts = infer(graph, feeds)?;
    Ok(graph.outputs.iter().map(|o| fact_at(&facts, o)).collect())
}

/// The fact of one outlet (unknown when its node was not reached).
fn fact_at(facts: &[Option<Vec<TypeFact>>], outlet: &crate::ir::Outlet) -> TypeFact {
    facts
        .get(outlet.node)
        .and_then(Option::as_ref)
        .and_then(|f| f.get(outlet.output))
        .cloned()
        .unwrap_or_default()
}

fn node_facts(
    graph: &Graph,
    id: NodeId,
    inputs: &[TypeFact],
    feeds: &[TypeFact],
) -> Result<Vec<TypeFact>, String> {
    use crate::plan::PlanCasts;
    let node = &graph.nodes[id];
    if let Some(t) = node.op.as_ref().as_const() {
        return Ok(vec![TypeFact::of_tensor(t)]);
    }
    if let Some(index) = node.op.as_ref().as_feed() {
        return Ok(vec![feeds.get(index).cloned().unwrap_or_default()]);
    }
    let input = |i: usize| inputs.get(i).cloned().unwrap_or_default();
    let one = |f: TypeFact| Ok(vec![f]);
    match &node.rule {
        Rule::Unknown => Ok(Vec::new()),
        Rule::SameAs(i) => {
            let mut f = input(*i);
            if node.op.name() != "Identity" {
                f.value = None;
            }
            one(f)
        }
        Rule::SameShape(dtype) => one(TypeFact::with_shape(Some(*dtype), input(0).shape)),
        Rule::Cast(dtype) => one(TypeFact::with_shape(Some(*dtype), input(0).shape)),
        Rule::Fixed(f) => one(f.clone()),
        Rule::ReadVariable(dtype) => one(TypeFact::with_shape(Some(*dtype), input(0).shape)),
        Rule::Broadcast {
            dtype_from,
            bool_out,
        } => {
            let mut shape = Some(Vec::new());
            for f in inputs {
                shape = broadcast(shape, f.shape.clone())?;
            }
            let dtype = if *bool_out {
                Some(DType::Bool)
            } else {
                input(*dtype_from).dtype
            };
            one(TypeFact::with_shape(dtype, shape))
        }
        Rule::MatMul {
            transpose_a,
            transpose_b,
            out,
        } => one(matmul(
            &input(0),
            &input(1),
            *transpose_a,
            *transpose_b,
            *out,
        )?),
        Rule::Window(w) => one(window_output(w, &input(0), &input(1))?),
        Rule::Reduce { keep_dims, out } => {
            let x = input(0);
            let dtype = out.or(x.dtype);
            let shape = match (x.shape, input(1).value) {
                (Some(dims), Some(axes)) => Some(reduce(&dims, &axes, *keep_dims)?),
                _ => None,
            };
            one(TypeFact::with_shape(dtype, shape))
        }
        Rule::Shape(dtype) => {
            let x = input(0);
            let value = x.shape.as_ref().and_then(|d| {
                d.iter()
                    .map(|v| v.and_then(|n| i64::try_from(n).ok()))
                    .collect()
            });
            one(TypeFact {
                dtype: Some(*dtype),
                shape: x.rank().map(|r| vec![Some(r)]),
                value,
            })
        }
        Rule::Scalar(dtype) => one(TypeFact::with_shape(Some(*dtype), Some(Vec::new()))),
        Rule::Reshape => one(TypeFact::with_shape(
            input(0).dtype,
            reshape(&input(0), &input(1))?,
        )),
        Rule::ExpandDims => {
            let x = input(0);
            let shape = match (x.shape, input(1).value.as_deref()) {
                (Some(mut dims), Some([axis])) => {
                    let rank = i64::try_from(dims.len()).map_err(|e| e.to_string())?;
                    let at = if *axis < 0 { axis + rank + 1 } else { *axis };
                    let at = usize::try_from(at)
                        .ok()
                        .filter(|&a| a <= dims.len())
                        .ok_or_else(|| format!("axis {axis} is out of range for rank {rank}"))?;
                    dims.insert(at, Some(1));
                    Some(dims)
                }
                _ => None,
            };
            one(TypeFact::with_shape(x.dtype, shape))
        }
        Rule::Squeeze(axes) => {
            let x = input(0);
            let shape = x.shape.and_then(|dims| squeeze(&dims, axes));
            one(TypeFact::with_shape(x.dtype, shape))
        }
        Rule::Transpose => {
            let x = input(0);
            let shape = match (x.shape, input(1).value) {
                (Some(dims), Some(perm)) => {
                    if perm.len() != dims.len() {
                        return Err(format!(
                            "permutation {perm:?} does not fit rank {}",
                            dims.len()
                        ));
                    }
                    Some(
                        perm.iter()
                            .map(|&p| usize::try_from(p).ok().and_then(|p| dims.get(p)).copied())
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| format!("bad permutation {perm:?}"))?,
                    )
                }
                _ => None,
            };
            one(TypeFact::with_shape(x.dtype, shape))
        }
        Rule::Concat => {
            let (axis, values) = inputs.split_last().ok_or("no inputs")?;
            let dtype = values.iter().find_map(|f| f.dtype);
            let shape = match axis.value.as_deref() {
                Some([axis]) => concat(values, *axis)?,
                _ => None,
            };
            one(TypeFact::with_shape(dtype, shape))
        }
        Rule::Pack(axis) => {
            let dtype = inputs.iter().find_map(|f| f.dtype);
            let mut shape = inputs.first().and_then(|f| f.shape.clone());
            for f in inputs.iter().skip(1) {
                shape = match (shape, &f.shape) {
                    (Some(a), Some(b)) => Some(merge(&a, b)?),
                    (a, None) => a,
                    (None, b) => b.clone(),
                };
            }
            let shape = match shape {
                Some(mut dims) => {
                    let rank = i64::try_from(dims.len()).map_err(|e| e.to_string())?;
                    let at = if *axis < 0 { axis + rank + 1 } else { *axis };
                    let at = usize::try_from(at)
                        .ok()
                        .filter(|&a| a <= dims.len())
                        .ok_or_else(|| format!("axis {axis} is out of range"))?;
                    dims.insert(at, Some(inputs.len()));
                    Some(dims)
                }
                None => None,
            };
            one(TypeFact::with_shape(dtype, shape))
        }
        Rule::Dtypes(sources) => {
            let count = graph.nodes[id].outputs;
            Ok((0..count)
                .map(|i| {
                    let dtype = match sources.get(i).or(sources.last()) {
                        Some(Source::Input(k)) => input(*k).dtype,
                        Some(Source::Fixed(d)) => Some(*d),
                        None => None,
                    };
                    TypeFact::with_shape(dtype, None)
                })
                .collect())
        }
        Rule::Fill => {
            let shape = input(0)
                .value
                .map(|v| v.iter().map(|&d| usize::try_from(d).ok()).collect());
            one(TypeFact::with_shape(input(1).dtype, shape))
        }
    }
}

/// Merges two facts about one set of dimensions.
fn merge(a: &[Option<usize>], b: &[Option<usize>]) -> Result<Dims, String> {
    if a.len() != b.len() {
        return Err(format!("ranks {} and {} differ", a.len(), b.len()));
    }
    a.iter()
        .zip(b)
        .map(|(x, y)| match (x, y) {
            (Some(x), Some(y)) if x != y => Err(format!("dimensions {x} and {y} differ")),
            (Some(x), _) => Ok(Some(*x)),
            (None, y) => Ok(*y),
        })
        .collect()
}

/// NumPy broadcasting of two partial shapes.
fn broadcast(a: Option<Dims>, b: Option<Dims>) -> Result<Option<Dims>, String> {
    let (Some(a), Some(b)) = (a, b) else {
        return Ok(None);
    };
    let rank = a.len().max(b.len());
    let pad = |d: &Dims| -> Dims {
        std::iter::repeat_n(Some(1), rank - d.len())
            .chain(d.iter().copied())
            .collect()
    };
    let (a, b) = (pad(&a), pad(&b));
    a.iter()
        .zip(&b)
        .map(|(x, y)| match (x, y) {
            (Some(1), y) => Ok(*y),
            (x, Some(1)) => Ok(*x),
            (Some(x), Some(y)) if x == y => Ok(Some(*x)),
            (Some(_), Some(_)) => Err(format!(
                "shapes {} and {} do not broadcast",
                show(&a),
                show(&b)
            )),
            // The unknown side must be 1 or equal for a valid call.
            (Some(x), None) | (None, Some(x)) => Ok(Some(*x)),
            (None, None) => Ok(None),
        })
        .collect::<Result<Dims, String>>()
        .map(Some)
}

fn show(dims: &[Option<usize>]) -> String {
    let parts: Vec<String> = dims
        .iter()
        .map(|d| d.map_or("?".to_string(), |n| n.to_string()))
        .collect();
    format!("[{}]", parts.join(", "))
}

fn matmul(
    a: &TypeFact,
    b: &TypeFact,
    transpose_a: bool,
    transpose_b: bool,
    out: Option<DType>,
) -> Result<TypeFact, String> {
    let dtype = out.or(a.dtype).or(b.dtype);
    let (Some(sa), Some(sb)) = (&a.shape, &b.shape) else {
        return Ok(TypeFact::with_shape(dtype, None));
    };
    if sa.len() < 2 || sb.len() < 2 {
        return Err(format!(
            "operands {} and {} need rank >= 2",
            show(sa),
            show(sb)
        ));
    }
    let (ba, ma) = sa.split_at(sa.len() - 2);
    let (bb, mb) = sb.split_at(sb.len() - 2);
    let (m, ka) = if transpose_a {
        (ma[1], ma[0])
    } else {
        (ma[0], ma[1])
    };
    let (kb, n) = if transpose_b {
        (mb[1], mb[0])
    } else {
        (mb[0], mb[1])
    };
    if let (Some(x), Some(y)) = (ka, kb) {
        if x != y {
            return Err(format!(
                "inner dimensions {x} and {y} differ ({} x {})",
                show(sa),
                show(sb)
            ));
        }
    }
    let batch = broadcast(Some(ba.to_vec()), Some(bb.to_vec()))?.unwrap_or_default();
    let mut dims = batch;
    dims.push(m);
    dims.push(n);
    Ok(TypeFact::with_shape(dtype, Some(dims)))
}

fn window_output(w: &Window, x: &TypeFact, filter: &TypeFact) -> Result<TypeFact, String> {
    let Some(dims) = &x.shape else {
        return Ok(TypeFact::with_shape(x.dtype, None));
    };
    if dims.len() != 4 {
        return Err(format!("input {} is not 4-D", show(dims)));
    }
    let (h, wd, c) = if w.nchw { (2, 3, 1) } else { (1, 2, 3) };
    let (kernel, channels) = match &w.kind {
        WindowKind::Pool(k) => ([Some(k[0]), Some(k[1])], dims[c]),
        WindowKind::Conv | WindowKind::Depthwise => match &filter.shape {
            Some(f) if f.len() == 4 => {
                if let (Some(have), Some(want)) = (dims[c], f[2]) {
                    let groups_fit = w.kind == WindowKind::Conv && want > 0 && have % want == 0;
                    if have != want && !groups_fit {
                        return Err(format!(
                            "input has {have} channels, the filter {} expects {want}",
                            show(f)
                        ));
                    }
                }
                let out = match w.kind {
                    WindowKind::Depthwise => match (f[2], f[3]) {
                        (Some(a), Some(b)) => Some(a * b),
                        _ => None,
                    },
                    _ => f[3],
                };
                ([f[0], f[1]], out)
            }
            Some(f) => return Err(format!("filter {} is not 4-D", show(f))),
            None => ([None, None], None),
        },
    };
    let spatial = |axis: usize, i: usize| -> Result<Option<usize>, String> {
        let (Some(input), Some(k)) = (dims[axis], kernel[i]) else {
            return Ok(None);
        };
        let stride = w.strides[i].max(1);
        let effective = k.saturating_sub(1) * w.dilations[i].max(1) + 1;
        let padded = match w.padding {
            WindowPadding::Same => return Ok(Some(input.div_ceil(stride))),
            WindowPadding::Valid => input,
            WindowPadding::Explicit(p) => input + p[i].0 + p[i].1,
        };
        if padded < effective {
            return Err(format!(
                "window {effective} is larger than the padded input {padded}"
            ));
        }
        Ok(Some((padded - effective) / stride + 1))
    };
    let mut out = dims.clone();
    out[h] = spatial(h, 0)?;
    out[wd] = spatial(wd, 1)?;
    out[c] = channels;
    Ok(TypeFact::with_shape(x.dtype, Some(out)))
}

fn axis_index(axis: i64, rank: usize) -> Result<usize, String> {
    let r = i64::try_from(rank).map_err(|e| e.to_string())?;
    let a = if axis < 0 { axis + r } else { axis };
    usize::try_from(a)
        .ok()
        .filter(|&a| a < rank)
        .ok_or_else(|| format!("axis {axis} is out of range for rank {rank}"))
}

fn reduce(dims: &[Option<usize>], axes: &[i64], keep_dims: bool) -> Result<Dims, String> {
    let mut reduced = vec![false; dims.len()];
    for &a in axes {
        reduced[axis_index(a, dims.len())?] = true;
    }
    Ok(dims
        .iter()
        .zip(&reduced)
        .filter_map(|(&d, &r)| match (r, keep_dims) {
            (true, true) => Some(Some(1)),
            (true, false) => None,
            (false, _) => Some(d),
        })
        .collect())
}

fn squeeze(dims: &[Option<usize>], axes: &[i64]) -> Option<Dims> {
    if axes.is_empty() {
        // Unknown sizes might be 1: only a fully known shape can be squeezed.
        if dims.iter().any(Option::is_none) {
            return None;
        }
        return Some(dims.iter().copied().filter(|&d| d != Some(1)).collect());
    }
    let drop: Vec<usize> = axes
        .iter()
        .map(|&a| axis_index(a, dims.len()).ok())
        .collect::<Option<_>>()?;
    Some(
        dims.iter()
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, &d)| d)
            .collect(),
    )
}

fn reshape(x: &TypeFact, shape: &TypeFact) -> Result<Option<Dims>, String> {
    let Some(target) = &shape.value else {
        return Ok(shape
            .shape
            .as_ref()
            .and_then(|s| s.first().copied().flatten())
            .map(|rank| vec![None; rank]));
    };
    let known: Option<usize> = x
        .shape
        .as_ref()
        .and_then(|d| d.iter().copied().collect::<Option<Vec<_>>>())
        .map(|d| d.iter().product());
    let mut out: Dims = target.iter().map(|&d| usize::try_from(d).ok()).collect();
    let fixed: usize = out.iter().flatten().product();
    let wildcards = target.iter().filter(|&&d| d == -1).count();
    if let Some(total) = known {
        match wildcards {
            0 if fixed != total => {
                return Err(format!("cannot reshape {total} elements into {target:?}"))
            }
            1 if fixed > 0 => {
                if total % fixed != 0 {
                    return Err(format!("cannot reshape {total} elements into {target:?}"));
                }
                if let Some(slot) = target.iter().position(|&d| d == -1) {
                    out[slot] = Some(total / fixed);
                }
            }
            _ => {}
        }
    }
    Ok(Some(out))
}

fn concat(values: &[TypeFact], axis: i64) -> Result<Option<Dims>, String> {
    let mut shape: Option<Dims> = None;
    let mut total = Some(0usize);
    let mut rank = None;
    for f in values {
        let Some(dims) = &f.shape else {
            total = None;
            continue;
        };
        let at = axis_index(axis, dims.len())?;
        rank = Some(dims.len());
        total = match (total, dims[at]) {
            (Some(t), Some(d)) => Some(t + d),
            _ => None,
        };
        let mut rest = dims.clone();
        rest[at] = None;
        shape = Some(match shape {
            None => rest,
            Some(prev) => merge(&prev, &rest)?,
        });
    }
    Ok(match (shape, rank) {
        (Some(mut dims), Some(r)) => {
            let at = axis_index(axis, r)?;
            dims[at] = total;
            Some(dims)
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::ir::{Node, Outlet};
    use crate::ops::basic::{Const, Feed, Identity};

    fn node(name: &str, op: Arc<dyn crate::op::Op>, inputs: &[usize], rule: Rule) -> Node {
        Node {
            name: name.into(),
            op,
            inputs: inputs
                .iter()
                .map(|&node| Outlet { node, output: 0 })
                .collect(),
            controls: Vec::new(),
            outputs: 1,
            epilogue: None,
            rule,
        }
    }

    fn constant(v: Vec<i32>) -> Arc<dyn crate::op::Op> {
        let n = v.len();
        Arc::new(Const {
            value: Tensor::from_vec(vec![n], v).unwrap(),
        })
    }

    /// Feed 0 (`feed`) → `rule` with extra const inputs → output fact.
    fn run(
        feed: TypeFact,
        rule: Rule,
        extra: Vec<Arc<dyn crate::op::Op>>,
    ) -> Result<TypeFact, String> {
        let mut graph = Graph::default();
        let x = graph.add(node("x", Arc::new(Feed { index: 0 }), &[], Rule::Unknown));
        let mut inputs = vec![x];
        for (i, op) in extra.into_iter().enumerate() {
            inputs.push(graph.add(node(&format!("c{i}"), op, &[], Rule::Unknown)));
        }
        let out = graph.add(node("op", Arc::new(Identity), &inputs, rule));
        graph.outputs = vec![Outlet {
            node: out,
            output: 0,
        }];
        Ok(infer_outputs(&graph, &[feed])?.remove(0))
    }

    fn f32_fact(shape: &[i64]) -> TypeFact {
        TypeFact::of(Some(DType::F32), Some(shape))
    }

    #[test]
    fn matmul_shapes_and_contradictions() {
        let w = Arc::new(Const {
            value: Tensor::zeros(DType::F32, vec![3, 4]).unwrap(),
        });
        let rule = Rule::MatMul {
            transpose_a: false,
            transpose_b: false,
            out: None,
        };
        let out = run(f32_fact(&[-1, 3]), rule.clone(), vec![w.clone()]).unwrap();
        assert_eq!(out.shape, Some(vec![None, Some(4)]));
        let err = run(f32_fact(&[2, 5]), rule, vec![w]).unwrap_err();
        assert!(
            err.contains("node \"op\"") && err.contains("inner dimensions 5 and 3"),
            "{err}"
        );
    }

    #[test]
    fn conv_output_follows_padding_stride_and_dilation() {
        let filter = Arc::new(Const {
            value: Tensor::zeros(DType::F32, vec![3, 3, 2, 8]).unwrap(),
        });
        let conv = |padding, strides, dilations| {
            Rule::Window(Window {
                nchw: false,
                strides,
                dilations,
                padding,
                kind: WindowKind::Conv,
            })
        };
        let x = f32_fact(&[-1, 11, 10, 2]);
        let same = run(
            x.clone(),
            conv(WindowPadding::Same, [2, 2], [1, 1]),
            vec![filter.clone()],
        );
        assert_eq!(
            same.unwrap().shape,
            Some(vec![None, Some(6), Some(5), Some(8)])
        );
        let valid = run(
            x.clone(),
            conv(WindowPadding::Valid, [2, 1], [2, 2]),
            vec![filter.clone()],
        );
        // effective window 5: (11-5)/2+1 = 4, (10-5)/1+1 = 6
        assert_eq!(
            valid.unwrap().shape,
            Some(vec![None, Some(4), Some(6), Some(8)])
        );
        let explicit = conv(WindowPadding::Explicit([(1, 1), (0, 2)]), [1, 1], [1, 1]);
        let out = run(x, explicit, vec![filter.clone()]).unwrap();
        assert_eq!(out.shape, Some(vec![None, Some(11), Some(10), Some(8)]));
        let err = run(
            f32_fact(&[1, 5, 5, 3]),
            conv(WindowPadding::Same, [1, 1], [1, 1]),
            vec![filter],
        )
        .unwrap_err();
        assert!(err.contains("3 channels"), "{err}");
    }

    #[test]
    fn reshape_resolves_the_wildcard_and_refuses_bad_counts() {
        let out = run(
            f32_fact(&[2, 3, 4]),
            Rule::Reshape,
            vec![constant(vec![-1, 4])],
        )
        .unwrap();
        assert_eq!(out.shape, Some(vec![Some(6), Some(4)]));
        let err = run(
            f32_fact(&[2, 3, 4]),
            Rule::Reshape,
            vec![constant(vec![5, -1])],
        )
        .unwrap_err();
        assert!(err.contains("cannot reshape 24 elements"), "{err}");
        // Unknown input size: the target is taken as given.
        let out = run(
            f32_fact(&[-1, 4]),
            Rule::Reshape,
            vec![constant(vec![-1, 2, 2])],
        )
        .unwrap();
        assert_eq!(out.shape, Some(vec![None, Some(2), Some(2)]));
    }

    #[test]
    fn broadcasting_reductions_and_layout() {
        let add = Rule::Broadcast {
            dtype_from: 0,
            bool_out: false,
        };
        let bias = Arc::new(Const {
            value: Tensor::zeros(DType::F32, vec![1, 3]).unwrap(),
        });
        let out = run(f32_fact(&[-1, 4, 3]), add.clone(), vec![bias.clone()]).unwrap();
        assert_eq!(out.shape, Some(vec![None, Some(4), Some(3)]));
        let err = run(f32_fact(&[2, 5]), add, vec![bias]).unwrap_err();
        assert!(err.contains("do not broadcast"), "{err}");
        let mean = Rule::Reduce {
            keep_dims: false,
            out: None,
        };
        let out = run(f32_fact(&[-1, 4, 3]), mean, vec![constant(vec![-1, 1])]).unwrap();
        assert_eq!(out.shape, Some(vec![None]));
        let out = run(
            f32_fact(&[2, 4, 3]),
            Rule::Transpose,
            vec![constant(vec![2, 0, 1])],
        )
        .unwrap();
        assert_eq!(out.shape, Some(vec![Some(3), Some(2), Some(4)]));
        let shape = run(f32_fact(&[2, 4]), Rule::Shape(DType::I64), vec![]).unwrap();
        assert_eq!(shape.value, Some(vec![2, 4]));
        assert_eq!(shape.dtype, Some(DType::I64));
    }
}
