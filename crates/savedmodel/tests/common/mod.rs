//! Shared test support: the fixture manifests and TF's reference arrays.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use savedmodel::{npy, DType, LoadOptions, SavedModel, Tensor};

/// Repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the TF Serving test models live.
pub fn serving_root() -> PathBuf {
    std::env::var_os("TF_SERVING_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/testdata/tf-serving"))
}

/// One model of a manifest with the directory its paths are relative to.
pub struct Entry {
    /// The JSON entry.
    pub json: serde_json::Value,
    /// Absolute model path.
    pub path: PathBuf,
}

/// Every model of `fixtures/manifest.json` and `fixtures/external_manifest.json`.
pub fn entries() -> Vec<Entry> {
    let fixtures = repo().join("fixtures");
    let mut out = Vec::new();
    let read = |p: PathBuf| -> serde_json::Value {
        serde_json::from_slice(
            &std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
        )
        .unwrap()
    };
    let local = read(fixtures.join("manifest.json"));
    for m in local["models"].as_array().unwrap() {
        let path = fixtures.join(m["path"].as_str().unwrap());
        out.push(Entry {
            json: m.clone(),
            path,
        });
    }
    let external = read(fixtures.join("external_manifest.json"));
    for m in external["external"].as_array().unwrap() {
        let path = serving_root().join(m["path"].as_str().unwrap());
        if path.exists() {
            out.push(Entry {
                json: m.clone(),
                path,
            });
        }
    }
    out
}

/// Pass iff |a-b| <= atol + rtol * max|ref| for every element (max over the
/// finite reference elements; equal values, infinities included, and NaN
/// against NaN always pass).
#[derive(Clone, Copy, Debug)]
pub struct Tolerance {
    /// Absolute part.
    pub atol: f64,
    /// Part relative to the largest reference magnitude.
    pub rtol: f64,
}

/// Compares `got` with `want`; `Err` says how they differ.
pub fn compare(got: &Tensor, want: &Tensor, tol: Tolerance) -> Result<(), String> {
    if got.shape() != want.shape() {
        return Err(format!(
            "shape {:?}, expected {:?}",
            got.shape(),
            want.shape()
        ));
    }
    let numeric = |t: &Tensor| -> Option<Vec<f64>> {
        Some(match t.dtype() {
            DType::F32 => t
                .as_slice::<f32>()
                .ok()?
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            DType::F64 => t.as_slice::<f64>().ok()?.to_vec(),
            DType::F16 => t
                .as_slice::<half::f16>()
                .ok()?
                .iter()
                .map(|v| v.to_f64())
                .collect(),
            DType::BF16 => t
                .as_slice::<half::bf16>()
                .ok()?
                .iter()
                .map(|v| v.to_f64())
                .collect(),
            _ => return None,
        })
    };
    let complex = |t: &Tensor| -> Option<Vec<(f64, f64)>> {
        Some(match t.dtype() {
            DType::C64 => t
                .as_slice::<savedmodel_tensor::Complex32>()
                .ok()?
                .iter()
                .map(|c| (f64::from(c.re), f64::from(c.im)))
                .collect(),
            DType::C128 => t
                .as_slice::<savedmodel_tensor::Complex64>()
                .ok()?
                .iter()
                .map(|c| (c.re, c.im))
                .collect(),
            _ => return None,
        })
    };
    if let (Some(a), Some(b)) = (complex(got), complex(want)) {
        if got.dtype() != want.dtype() {
            return Err(format!("dtype {}, expected {}", got.dtype(), want.dtype()));
        }
        let nan = |(re, im): (f64, f64)| re.is_nan() || im.is_nan();
        let max = b
            .iter()
            .filter(|&&(re, im)| re.is_finite() && im.is_finite())
            .fold(0f64, |m, &(re, im)| m.max(re.hypot(im)));
        let limit = tol.atol + tol.rtol * max;
        for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
            // NaN parts must sit where TF has them; other parts within tolerance.
            let part = |p: f64, q: f64| (p.is_nan() && q.is_nan()) || p == q;
            let same = part(x.0, y.0) && part(x.1, y.1);
            let close = !nan(x) && !nan(y) && (x.0 - y.0).hypot(x.1 - y.1) <= limit;
            if !same && !close {
                return Err(format!("element {i}: {x:?} vs {y:?} (limit {limit})"));
            }
        }
        return Ok(());
    }
    match (numeric(got), numeric(want)) {
        (Some(a), Some(b)) => {
            let max = b
                .iter()
                .filter(|v| v.is_finite())
                .fold(0f64, |m, v| m.max(v.abs()));
            let limit = tol.atol + tol.rtol * max;
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                use std::cmp::Ordering::{Equal, Less};
                let same = x == y || (x.is_nan() && y.is_nan());
                let close = matches!((x - y).abs().partial_cmp(&limit), Some(Less | Equal));
                if !same && !close {
                    return Err(format!("element {i}: {x} vs {y} (limit {limit})"));
                }
            }
            Ok(())
        }
        _ if got.dtype() == want.dtype() || (want.dtype() == DType::BF16) => {
            if got == want {
                Ok(())
            } else {
                Err(format!("values differ: {got:?} vs {want:?}"))
            }
        }
        _ => Err(format!("dtype {}, expected {}", got.dtype(), want.dtype())),
    }
}

/// Loads the model of `entry`. The op-level fixtures (`ops_*`: stateless
/// tf.Modules with hundreds of signatures) are loaded once per tag set and
/// optimisation setting; every other model fresh for each call, so state a
/// call changes never leaks into the next.
fn load(entry: &Entry, tags: Vec<String>, optimize: bool) -> Result<Arc<SavedModel>, String> {
    type Cache = Mutex<HashMap<(PathBuf, Vec<String>, bool), Arc<SavedModel>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let fresh = |tags: Vec<String>| {
        let options = LoadOptions::default().tags(tags).optimize(optimize);
        SavedModel::load_with(&entry.path, options)
            .map(Arc::new)
            .map_err(|e| e.to_string())
    };
    if !entry.json["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("ops_"))
    {
        return fresh(tags);
    }
    let key = (entry.path.clone(), tags.clone(), optimize);
    let cache = CACHE.get_or_init(Default::default);
    if let Some(model) = cache.lock().map_err(|e| e.to_string())?.get(&key) {
        return Ok(Arc::clone(model));
    }
    let model = fresh(tags)?;
    cache
        .lock()
        .map_err(|e| e.to_string())?
        .insert(key, Arc::clone(&model));
    Ok(model)
}

/// Runs one manifest call (references under `root`) and compares with TF.
/// The dtype the manifest records for a signature's input or output
/// (`side` is `"inputs"` or `"outputs"`) in the meta graph with `tags`.
fn declared_dtype<'a>(
    entry: &'a Entry,
    tags: &[String],
    key: &str,
    side: &str,
    name: &str,
) -> Option<&'a str> {
    entry.json["meta_graphs"].as_array()?.iter().find(|mg| {
        let mut have: Vec<&str> = mg["tags"]
            .as_array()
            .map(|t| t.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        let mut want: Vec<&str> = tags.iter().map(String::as_str).collect();
        have.sort_unstable();
        want.sort_unstable();
        have == want
    })?["signatures"][key][side][name]["dtype"]
        .as_str()
}

/// npz has no bfloat16: the fixtures store its raw bit patterns as `<u2`
/// (fixtures/README.md); this turns such an array back into bfloat16.
fn bf16_from_bits(t: &savedmodel::Tensor) -> Result<savedmodel::Tensor, String> {
    let bits = t
        .as_slice::<u16>()
        .map_err(|e| format!("bfloat16 reference stored as {}: {e}", t.dtype()))?;
    let values: Vec<half::bf16> = bits.iter().map(|&b| half::bf16::from_bits(b)).collect();
    savedmodel::Tensor::from_vec(t.shape().to_vec(), values).map_err(|e| e.to_string())
}

pub fn run_call(
    root: &Path,
    entry: &Entry,
    call: &serde_json::Value,
    optimize: bool,
) -> Result<(), String> {
    let tags: Vec<String> = call["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    let reference = root.join(call["reference"].as_str().unwrap());
    let tol = Tolerance {
        atol: call["atol"].as_f64().unwrap_or(1e-5),
        rtol: call["rtol"].as_f64().unwrap_or(1e-4),
    };
    let model = load(entry, tags.clone(), optimize)?;
    let names = npy::npz_names(&reference).map_err(|e| e.to_string())?;
    let read = |k: &str| npy::read_array(&reference, Some(k)).map_err(|e| e.to_string());
    let outputs: BTreeMap<String, savedmodel::Tensor> = match call["signature"].as_str() {
        Some(key) => {
            let signature = model.signature(key).map_err(|e| e.to_string())?;
            let mut inputs = Vec::new();
            for n in names.iter().filter_map(|n| n.strip_prefix("input/")) {
                let value = read(&format!("input/{n}"))?;
                let value = if declared_dtype(entry, &tags, key, "inputs", n) == Some("bfloat16") {
                    bf16_from_bits(&value)?
                } else {
                    value
                };
                inputs.push((n.to_string(), value));
            }
            signature.call(inputs).map_err(|e| e.to_string())?
        }
        None => {
            let feeds: Vec<(String, savedmodel::Tensor)> = call["feeds"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, t)| {
                    Ok((
                        t.as_str().unwrap().to_string(),
                        read(&format!("input/{k}"))?,
                    ))
                })
                .collect::<Result<_, String>>()?;
            let fetch_keys: Vec<(&String, &str)> = call["fetches"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, t)| (k, t.as_str().unwrap()))
                .collect();
            let feed_refs: Vec<(&str, savedmodel::Tensor)> =
                feeds.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
            let fetch_names: Vec<&str> = fetch_keys.iter().map(|(_, t)| *t).collect();
            let got = model
                .run_tensors(&feed_refs, &fetch_names)
                .map_err(|e| e.to_string())?;
            fetch_keys
                .iter()
                .map(|(k, _)| (*k).clone())
                .zip(got)
                .collect()
        }
    };
    for n in names.iter().filter_map(|n| n.strip_prefix("output/")) {
        let want = read(&format!("output/{n}"))?;
        let declared = call["signature"]
            .as_str()
            .and_then(|key| declared_dtype(entry, &tags, key, "outputs", n));
        let want = if declared == Some("bfloat16") {
            bf16_from_bits(&want)?
        } else {
            want
        };
        let got = outputs.get(n).ok_or_else(|| format!("no output '{n}'"))?;
        compare(got, &want, tol).map_err(|e| format!("output '{n}': {e}"))?;
    }
    Ok(())
}
