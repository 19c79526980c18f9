//! `savedmodel run`: call one signature with inputs from `.npy`/`.npz` files,
//! data literals or tf.Example features, and print or save the outputs.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::Args;
use savedmodel::proto::{self, feature::Kind};
use savedmodel::{DType, LoadOptions, SavedModel, Tensor};

use crate::output::print;
use crate::{json, literal, ModelDir};
use savedmodel::npy;

/// Arguments of `savedmodel run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    model: ModelDir,
    /// Comma-separated tag set of the meta graph (default `serve`).
    #[arg(long = "tag-set", alias = "tag_set", default_value = "serve")]
    tag_set: String,
    /// Signature to call.
    #[arg(
        long = "signature-def",
        alias = "signature_def",
        default_value = "serving_default"
    )]
    signature_def: String,
    /// `key=file.npy;key2=file.npz[array]` inputs.
    #[arg(long)]
    inputs: Option<String>,
    /// `key=[[1,2]];key2="text"` data literals (no code).
    #[arg(long = "input-exprs", alias = "input_exprs")]
    input_exprs: Option<String>,
    /// `key=[{"feature":[1.0]}]`: tf.Example records serialized into a string tensor.
    #[arg(long = "input-examples", alias = "input_examples")]
    input_examples: Option<String>,
    /// Write `<output key>.npy` files here.
    #[arg(long)]
    outdir: Option<PathBuf>,
    /// Replace existing files in --outdir.
    #[arg(long)]
    overwrite: bool,
    /// Machine-readable output.
    #[arg(long)]
    json: bool,
    /// Intra-op threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Take variable values from this checkpoint prefix (e.g. a newer
    /// training checkpoint `train/ckpt-42`) instead of the model's own.
    #[arg(long = "variables-from", alias = "variables_from")]
    variables_from: Option<PathBuf>,
}

fn pairs(spec: &str) -> anyhow::Result<Vec<(String, String)>> {
    spec.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            let (k, v) = item
                .split_once('=')
                .ok_or_else(|| anyhow!("'{item}' is not key=value"))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Runs the subcommand.
pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let tags: Vec<&str> = args.tag_set.split(',').map(str::trim).collect();
    let mut options = LoadOptions::default().tags(tags);
    if let Some(t) = args.threads {
        options = options.threads(t);
    }
    if let Some(prefix) = &args.variables_from {
        options = options.variables_from(prefix);
    }
    let model = SavedModel::load_with(args.model.path(), options)?;
    let signature = model.signature(&args.signature_def)?;
    let declared = signature.info().inputs.clone();
    let dtype_of = |key: &str| -> anyhow::Result<DType> {
        let spec = declared.get(key).ok_or_else(|| {
            anyhow!(
                "signature '{}' has no input '{key}'; inputs: {}",
                args.signature_def,
                declared.keys().cloned().collect::<Vec<_>>().join(", ")
            )
        })?;
        spec.dtype
            .value_type()
            .ok_or_else(|| anyhow!("input '{key}' has dtype {}", spec.dtype))
    };
    let mut inputs: BTreeMap<String, Tensor> = BTreeMap::new();
    if let Some(spec) = &args.inputs {
        for (key, value) in pairs(spec)? {
            let (file, member) = match value.strip_suffix(']').and_then(|v| v.rsplit_once('[')) {
                Some((f, m)) => (f.to_string(), Some(m.to_string())),
                None => (value.clone(), None),
            };
            let tensor = npy::read_array(PathBuf::from(&file).as_path(), member.as_deref())?;
            inputs.insert(key, tensor);
        }
    }
    if let Some(spec) = &args.input_exprs {
        for (key, value) in pairs(spec)? {
            let tensor = literal::parse(&value, dtype_of(&key)?)
                .with_context(|| format!("--input-exprs {key}"))?;
            inputs.insert(key, tensor);
        }
    }
    if let Some(spec) = &args.input_examples {
        for (key, value) in pairs(spec)? {
            inputs.insert(
                key.clone(),
                examples(&value).with_context(|| format!("--input-examples {key}"))?,
            );
        }
    }
    let outputs = signature.call(inputs)?;
    if let Some(dir) = &args.outdir {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (key, tensor) in &outputs {
            let path = dir.join(format!("{key}.npy"));
            if path.exists() && !args.overwrite {
                bail!("{} exists; pass --overwrite to replace it", path.display());
            }
            npy::write_npy(&path, tensor)?;
        }
    }
    let mut text = String::new();
    if args.json {
        let items: Vec<String> = outputs
            .iter()
            .map(|(k, t)| format!("{}:{}", json::string(k.as_bytes()), json::tensor_object(t)))
            .collect();
        let _ = writeln!(text, "{{\"outputs\":{{{}}}}}", items.join(","));
    } else if args.outdir.is_none() {
        for (key, tensor) in &outputs {
            let _ = writeln!(
                text,
                "Result for output key {key}:\n{}",
                json::nested_data(tensor)
            );
        }
    }
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `[{"feature": [values]}, ...]` → serialized tf.Example strings.
fn examples(text: &str) -> anyhow::Result<Tensor> {
    let value: serde_json::Value =
        serde_json::from_str(text).context("not a JSON list of feature dicts")?;
    let records = value
        .as_array()
        .ok_or_else(|| anyhow!("expected a list of feature dicts"))?;
    let mut out = Vec::new();
    for record in records {
        let map = record
            .as_object()
            .ok_or_else(|| anyhow!("each example must be a dict of features"))?;
        let mut features = BTreeMap::new();
        for (name, values) in map {
            let list = match values {
                serde_json::Value::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let kind = if list.iter().all(|v| v.is_i64() || v.is_u64()) && !list.is_empty() {
                Kind::Int64List(proto::Int64List {
                    value: list.iter().filter_map(serde_json::Value::as_i64).collect(),
                })
            } else if list.iter().all(serde_json::Value::is_number) {
                Kind::FloatList(proto::FloatList {
                    value: list
                        .iter()
                        .filter_map(serde_json::Value::as_f64)
                        .map(|v| v as f32)
                        .collect(),
                })
            } else {
                let bytes = list
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .map(|s| s.as_bytes().to_vec())
                            .ok_or_else(|| anyhow!("feature '{name}' mixes strings and numbers"))
                    })
                    .collect::<anyhow::Result<_>>()?;
                Kind::BytesList(proto::BytesList { value: bytes })
            };
            features.insert(name.clone(), proto::Feature { kind: Some(kind) });
        }
        let example = proto::Example {
            features: Some(proto::Features { feature: features }),
        };
        out.push(prost::Message::encode_to_vec(&example));
    }
    let n = out.len();
    Ok(Tensor::from_strings([n], out)?)
}
