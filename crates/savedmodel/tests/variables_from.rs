//! `LoadOptions::variables_from`: every fixture with a `variables_from` entry
//! loads with its newer checkpoint and matches TensorFlow's outputs for
//! those values; a checkpoint of another model is refused with one error
//! listing each mismatch.

mod common;

use savedmodel::npy::read_array;
use savedmodel::{LoadOptions, SavedModel};

fn cases() -> Vec<(common::Entry, serde_json::Value)> {
    let cases: Vec<_> = common::entries()
        .into_iter()
        .filter_map(|e| {
            let spec = e.json.get("variables_from")?.clone();
            Some((e, spec))
        })
        .collect();
    assert!(
        cases.len() >= 3,
        "fixtures with variables_from: {}",
        cases.len()
    );
    cases
}

#[test]
fn newer_checkpoint_values_match_tensorflow() {
    for (entry, spec) in cases() {
        let name = entry.json["name"].as_str().unwrap();
        let newer = entry.path.join(spec["newer"].as_str().unwrap());
        let expected = entry.path.join(spec["expected"].as_str().unwrap());
        let x = read_array(&expected, Some("x")).unwrap();
        let want = read_array(&expected, Some("y")).unwrap();

        let model =
            SavedModel::load_with(&entry.path, LoadOptions::default().variables_from(&newer))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let signature = model.signature("serving_default").unwrap();
        let input = signature.info().inputs.keys().next().unwrap().clone();
        let outputs = signature.call([(input.as_str(), x.clone())]).unwrap();
        assert_eq!(outputs.len(), 1, "{name}");
        let got = outputs.values().next().unwrap();
        common::compare(
            got,
            &want,
            common::Tolerance {
                atol: 1e-5,
                rtol: 1e-4,
            },
        )
        .unwrap_or_else(|e| panic!("{name} with {}: {e}", newer.display()));

        // The model's own values give other outputs: the newer ones were used.
        let own = SavedModel::load(&entry.path).unwrap();
        let own_out = own
            .signature("serving_default")
            .unwrap()
            .call([(input.as_str(), x)])
            .unwrap();
        assert!(
            common::compare(
                own_out.values().next().unwrap(),
                &want,
                common::Tolerance {
                    atol: 1e-5,
                    rtol: 1e-4
                }
            )
            .is_err(),
            "{name}: the fixture's newer checkpoint does not change the outputs"
        );
    }
}

#[test]
fn variables_read_back_from_the_newer_checkpoint() {
    for (entry, spec) in cases() {
        let name = entry.json["name"].as_str().unwrap();
        let newer = entry.path.join(spec["newer"].as_str().unwrap());
        let model =
            SavedModel::load_with(&entry.path, LoadOptions::default().variables_from(&newer))
                .unwrap();
        let own = SavedModel::load(&entry.path).unwrap();
        let mut changed = 0;
        for var in &model.info().variables {
            let a = model.variable(&var.path).unwrap();
            let b = own.variable(&var.path).unwrap();
            assert_eq!(a.shape(), b.shape(), "{name} {}", var.path);
            if a.to_le_bytes() != b.to_le_bytes() {
                changed += 1;
            }
        }
        assert!(changed > 0, "{name}: no variable changed");
    }
}

#[test]
fn mismatching_checkpoint_lists_every_problem() {
    let mut checked = 0;
    for (entry, spec) in cases() {
        let Some(mismatch) = spec.get("mismatch").and_then(|m| m.as_str()) else {
            continue;
        };
        let name = entry.json["name"].as_str().unwrap();
        let prefix = entry.path.join(mismatch);
        let err =
            SavedModel::load_with(&entry.path, LoadOptions::default().variables_from(&prefix))
                .err()
                .unwrap_or_else(|| panic!("{name}: loading with {mismatch} succeeded"))
                .to_string();
        let problems = spec["mismatch_problems"].as_array().unwrap();
        assert!(
            err.contains(&format!("{} of the model's", problems.len())),
            "{name}: {err}"
        );
        for problem in problems {
            let problem = problem.as_str().unwrap();
            assert!(err.contains(problem), "{name}: {err}\nlacks: {problem}");
        }
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn missing_checkpoint_is_a_clear_error() {
    let (entry, _) = cases().into_iter().next().unwrap();
    let err = SavedModel::load_with(
        &entry.path,
        LoadOptions::default().variables_from(entry.path.join("no/such/ckpt")),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("no/such/ckpt"), "{err}");
}

#[test]
fn tf2_model_refuses_a_checkpoint_without_object_graph() {
    let cases = cases();
    let tf2 = cases
        .iter()
        .find(|(e, _)| e.json["name"] == "variables_from_tf2")
        .unwrap();
    let tf1 = cases
        .iter()
        .find(|(e, _)| e.json["name"] == "variables_from_tf1")
        .unwrap();
    let name_based = tf1.0.path.join(tf1.1["newer"].as_str().unwrap());
    let err = SavedModel::load_with(
        &tf2.0.path,
        LoadOptions::default().variables_from(name_based),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("no object graph"), "{err}");
}
