//! The real `savedmodel` binary: `show --json` against what TensorFlow
//! reported for every fixture, `run` on TF Serving's half_plus_two, exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn savedmodel(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_savedmodel"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn keep(v: &serde_json::Value) -> serde_json::Value {
    // Only what the manifest records of each tensor.
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| ["dtype", "shape", "tensor"].contains(&k.as_str()));
    }
    v
}

#[test]
fn show_json_matches_tensorflow_for_every_fixture() {
    let fixtures = repo().join("fixtures");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixtures.join("manifest.json")).unwrap()).unwrap();
    let mut checked = 0;
    for m in manifest["models"].as_array().unwrap() {
        if m["kind"] == "checkpoint" {
            continue;
        }
        let path = fixtures.join(m["path"].as_str().unwrap());
        let (code, stdout, stderr) = savedmodel(&["show", path.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{}: {stderr}", m["name"]);
        let got: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let want = m["meta_graphs"].as_array().unwrap();
        let got = got["meta_graphs"].as_array().unwrap();
        assert_eq!(got.len(), want.len(), "{}", m["name"]);
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g["tags"], w["tags"], "{}", m["name"]);
            let (gs, ws) = (
                g["signatures"].as_object().unwrap(),
                w["signatures"].as_object().unwrap(),
            );
            assert_eq!(
                gs.keys().collect::<Vec<_>>(),
                ws.keys().collect::<Vec<_>>(),
                "{}",
                m["name"]
            );
            for (key, sig) in ws {
                assert_eq!(
                    gs[key]["method_name"], sig["method_name"],
                    "{}/{key}",
                    m["name"]
                );
                for side in ["inputs", "outputs"] {
                    let (a, b) = (
                        gs[key][side].as_object().unwrap(),
                        sig[side].as_object().unwrap(),
                    );
                    assert_eq!(a.len(), b.len(), "{}/{key}/{side}", m["name"]);
                    for (name, spec) in b {
                        assert_eq!(
                            keep(&a[name]),
                            keep(spec),
                            "{}/{key}/{side}/{name}",
                            m["name"]
                        );
                    }
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked}");
}

#[test]
fn run_half_plus_two_prints_tf_serving_values() {
    let model = repo().join("../shared/testdata/tf-serving/saved_model_half_plus_two_cpu/00000123");
    if !model.exists() {
        eprintln!("NOTICE: TF Serving test models not found; skipping");
        return;
    }
    let (code, stdout, stderr) = savedmodel(&[
        "run",
        "--dir",
        model.to_str().unwrap(),
        "--tag_set",
        "serve",
        "--signature_def",
        "serving_default",
        "--input_exprs",
        "x=[[1],[2],[5]]",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, "Result for output key y:\n[[2.5],[3.0],[4.5]]\n");
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let model = repo().join("fixtures/models/tf_module_multi_sig");
    let model = model.to_str().unwrap();
    let (code, _, stderr) = savedmodel(&["show", model, "--bogus-flag"]);
    assert_eq!(code, 2, "usage error: {stderr}");
    let (code, _, stderr) = savedmodel(&["show", "/nonexistent/model"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("/nonexistent/model"), "{stderr}");
    let (code, _, stderr) = savedmodel(&[
        "run",
        model,
        "--signature_def",
        "nope",
        "--input_exprs",
        "x=[[1,2,3]]",
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("add_and_scale"),
        "lists the signatures that exist: {stderr}"
    );
    let (code, _, stderr) = savedmodel(&["run", model, "--input_exprs", "x=[[1,2]]"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("expects shape (-1, 3)"), "{stderr}");
    let (code, _, _) = savedmodel(&["scan", model]);
    assert_eq!(code, 0, "no denylisted ops");
    let (code, stdout, _) = savedmodel(&["scan", model, "--op_denylist", "MatMul"]);
    assert_eq!(code, 1, "MatMul is denylisted here: {stdout}");
    assert!(stdout.contains("MatMul"), "{stdout}");
}

#[test]
fn run_with_variables_from_uses_the_newer_checkpoint() {
    let model = repo().join("fixtures/models/variables_from_tf1");
    let expected = model.join("newer/expected.npz");
    let out = std::env::temp_dir().join(format!("savedmodel-cli-vf-{}", std::process::id()));
    let inputs = format!("x={}[x]", expected.display());
    let run = |flag: &str, checkpoint: &str, extra: &[&str]| {
        let checkpoint = model.join(checkpoint);
        let mut args = vec![
            "run",
            "--dir",
            model.to_str().unwrap(),
            "--inputs",
            &inputs,
            flag,
            checkpoint.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        savedmodel(&args)
    };
    let outdir = ["--outdir", out.to_str().unwrap(), "--overwrite"];
    let (code, _, stderr) = run("--variables_from", "newer/model.ckpt", &outdir);
    assert_eq!(code, 0, "{stderr}");
    let got = savedmodel::npy::read_array(&out.join("y.npy"), None).unwrap();
    let want = savedmodel::npy::read_array(&expected, Some("y")).unwrap();
    assert_eq!(got.shape(), want.shape());
    let (got, want) = (
        got.as_slice::<f32>().unwrap(),
        want.as_slice::<f32>().unwrap(),
    );
    for (a, b) in got.iter().zip(want) {
        assert!(
            (a - b).abs() <= 1e-5 + 1e-4 * b.abs().max(1.0),
            "{a} vs {b}"
        );
    }
    let _ = std::fs::remove_dir_all(&out);

    let (code, _, stderr) = run("--variables-from", "mismatch/model.ckpt", &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("w: shape [3, 2] in the model"), "{stderr}");
}
