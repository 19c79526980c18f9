//! Opt-in: full-size Keras applications (ResNet50, MobileNetV2,
//! EfficientNetB0, DenseNet121 at 224×224, 1000 classes) against TensorFlow,
//! with and without optimization passes. Generate them with
//! `fixtures/regenerate.sh --full DIR` and run
//! `SAVEDMODEL_FULL_FIXTURES=DIR cargo test --release -p savedmodel --test full_size`.
//! Without the variable the test says so and does nothing.

mod common;

#[test]
fn full_size_applications_match_tensorflow() {
    let Some(root) = std::env::var_os("SAVEDMODEL_FULL_FIXTURES").map(std::path::PathBuf::from)
    else {
        eprintln!("NOTICE: SAVEDMODEL_FULL_FIXTURES is not set; full-size models not tested");
        return;
    };
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("manifest.json")).unwrap()).unwrap();
    let mut passed = 0;
    for m in manifest["models"].as_array().unwrap() {
        let entry = common::Entry {
            json: m.clone(),
            path: root.join(m["path"].as_str().unwrap()),
        };
        for call in m["calls"].as_array().unwrap() {
            for optimize in [true, false] {
                let started = std::time::Instant::now();
                common::run_call(&root, &entry, call, optimize)
                    .unwrap_or_else(|e| panic!("{} (optimize {optimize}): {e}", m["name"]));
                eprintln!(
                    "{} (optimize {optimize}): matches TensorFlow (load + call {:?})",
                    m["name"],
                    started.elapsed()
                );
                passed += 1;
            }
        }
    }
    assert!(
        passed >= 8,
        "only {passed} full-size calls (expected 4 models × 2 settings)"
    );
}
