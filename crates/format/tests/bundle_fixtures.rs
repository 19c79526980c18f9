//! Every checkpoint of the TensorFlow fixtures (`fixtures/manifest.json`,
//! `fixtures/external_manifest.json`) read by our reader: the listing must be
//! exactly `tf.train.list_variables` (names, dtypes, shapes, including
//! `_CHECKPOINTABLE_OBJECT_GRAPH`), and every tensor must equal, bit for bit,
//! the value TensorFlow read: the manifest's `sha256` of its canonical bytes,
//! and the array in `refs/<name>/variables.npz` when there is one.
//!
//! `SAVEDMODEL_FIXTURES` overrides the fixtures directory; `TF_SERVING_TESTDATA`
//! the root of the external models. Without a manifest the test says so and
//! skips; with one it must check at least one checkpoint.

mod support;

use std::path::{Path, PathBuf};

use savedmodel_format::bundle::{Checkpoint, OBJECT_GRAPH_KEY};
use savedmodel_format::{DType, Tensor};
use serde_json::Value;
use support::npy::read_npz;
use support::sha256::sha256_hex;

fn fixtures_dir() -> PathBuf {
    std::env::var_os("SAVEDMODEL_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures")))
}

fn load_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// Checks one manifest entry; returns the number of tensors compared.
fn check_model(model: &Value, model_root: &Path, fixtures: &Path) -> usize {
    let name = model["name"].as_str().unwrap_or("?");
    let prefix = model_root.join(model["checkpoint_prefix"].as_str().unwrap());
    let ckpt = Checkpoint::open(&prefix).unwrap_or_else(|e| panic!("{name}: open: {e}"));
    let theirs: Vec<(String, String, Vec<usize>)> = model["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let shape = v["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap() as usize);
            (
                v["name"].as_str().unwrap().to_string(),
                v["dtype"].as_str().unwrap().to_string(),
                shape.collect(),
            )
        })
        .collect();
    let ours: Vec<(String, String, Vec<usize>)> = ckpt
        .tensors()
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.dtype.numpy_name().to_string(),
                t.shape.clone(),
            )
        })
        .collect();
    assert_eq!(
        ours, theirs,
        "{name}: listing differs from tf.train.list_variables"
    );
    if ckpt.get(OBJECT_GRAPH_KEY).is_some() {
        let graph = ckpt
            .object_graph()
            .unwrap_or_else(|e| panic!("{name}: object graph: {e}"));
        assert!(
            graph.is_some_and(|g| !g.nodes.is_empty()),
            "{name}: empty object graph"
        );
    }
    let reference_file = model["variables_reference"].as_str();
    let values = reference_file.map(|file| read_npz(&fixtures.join(file)));
    let mut compared = 0;
    for var in model["variables"].as_array().unwrap() {
        let tensor_name = var["name"].as_str().unwrap();
        let tensor = ckpt
            .read(tensor_name)
            .unwrap_or_else(|e| panic!("{name}: read: {e}"));
        if tensor_name == OBJECT_GRAPH_KEY {
            continue;
        }
        let digest = var["sha256"].as_str();
        if let Some(digest) = digest {
            let ours = sha256_hex(&canonical_bytes(&tensor));
            assert_eq!(
                ours, digest,
                "{name}: {tensor_name}: sha256 of the values differs"
            );
        }
        if let (Some(values), Some(file)) = (&values, reference_file) {
            let key = var["same_as"].as_str().unwrap_or(tensor_name);
            let reference = values
                .get(key)
                .unwrap_or_else(|| panic!("{name}: {key} missing from {file}"));
            reference.assert_matches(&tensor, &format!("{name}: {tensor_name}"));
        } else {
            assert!(
                digest.is_some(),
                "{name}: {tensor_name}: neither npz nor sha256"
            );
        }
        compared += 1;
    }
    compared
}

/// The manifest's canonical bytes of a tensor: row-major little-endian
/// elements; for strings, each element's length as 8 bytes LE, then its bytes.
fn canonical_bytes(tensor: &Tensor) -> Vec<u8> {
    if tensor.dtype() != DType::String {
        return tensor.to_le_bytes().unwrap();
    }
    let mut out = Vec::new();
    for s in tensor.as_slice::<Vec<u8>>().unwrap() {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    out
}

/// Runs `check_model` on every entry with a checkpoint, collecting failures.
fn check_all(
    models: &[Value],
    model_root: &Path,
    fixtures: &Path,
    failures: &mut Vec<String>,
) -> usize {
    let mut checked = 0;
    for model in models.iter().filter(|m| m["checkpoint_prefix"].is_string()) {
        let name = model["name"].as_str().unwrap_or("?").to_string();
        match std::panic::catch_unwind(|| check_model(model, model_root, fixtures)) {
            Ok(n) => {
                println!("{name}: listing ok, {n} tensors equal TensorFlow's");
                checked += 1;
            }
            Err(panic) => {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{name}: {msg}"));
            }
        }
    }
    checked
}

#[test]
fn fixture_checkpoints_match_tensorflow() {
    let fixtures = fixtures_dir();
    let manifest_path = fixtures.join("manifest.json");
    let Some(manifest) = load_json(&manifest_path) else {
        println!(
            "NOTICE: {} is absent; fixture checkpoint test skipped",
            manifest_path.display()
        );
        return;
    };
    let mut failures = Vec::new();
    let models = manifest["models"].as_array().expect("manifest has models");
    let mut checked = check_all(models, &fixtures, &fixtures, &mut failures);
    assert!(
        checked + failures.len() > 0,
        "{} lists no model with a checkpoint_prefix",
        manifest_path.display()
    );
    if let Some(external) = load_json(&fixtures.join("external_manifest.json")) {
        let root = std::env::var_os("TF_SERVING_TESTDATA")
            .map(PathBuf::from)
            .or_else(|| external["model_root"].as_str().map(PathBuf::from))
            .unwrap_or_default();
        if root.is_dir() {
            let models = external["external"].as_array().cloned().unwrap_or_default();
            checked += check_all(&models, &root, &fixtures, &mut failures);
        } else {
            println!(
                "NOTICE: external model root {} is absent; external fixtures skipped",
                root.display()
            );
        }
    }
    println!("{checked} fixture checkpoints checked");
    assert!(
        failures.is_empty(),
        "{} fixture checkpoints failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sha256_known_answers() {
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let long = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_eq!(
        sha256_hex(long),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
}

/// Reading releases the mapped pages of what it copied out; the bytes read
/// again afterwards (and after releasing everything) must be the same.
#[test]
fn tensors_read_the_same_after_their_pages_are_released() {
    let prefix = fixtures_dir().join("models/mobilenet_v2_small/variables/variables");
    if !prefix.with_extension("index").exists() {
        eprintln!("NOTICE: {} not found; skipped", prefix.display());
        return;
    }
    let ckpt = Checkpoint::open(&prefix).unwrap();
    let names: Vec<String> = ckpt.tensors().iter().map(|t| t.name.clone()).collect();
    let first: Vec<Tensor> = names.iter().map(|n| ckpt.read(n).unwrap()).collect();
    ckpt.release_resident_pages();
    let again: Vec<Tensor> = names.iter().map(|n| ckpt.read(n).unwrap()).collect();
    assert!(names.len() > 100);
    assert_eq!(first, again);
}
