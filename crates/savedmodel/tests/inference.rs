//! Static dtype/shape inference against TensorFlow: for every fixture
//! signature call, what inference says about each output before running
//! must admit the tensor TensorFlow actually returned — and inference must
//! know most dtypes and ranks, or it is not doing its job. (Comparing with
//! TF's actual outputs also checks each inferred dtype, which a
//! SignatureDef's declared dtype would not: exporters can declare wrongly.)

mod common;

use savedmodel::npy;
use savedmodel::{DType, LoadOptions, SavedModel};

#[test]
fn inferred_outputs_agree_with_tensorflow() {
    let fixtures = common::repo().join("fixtures");
    let (mut outputs, mut dtype_known, mut rank_known, mut dims_known) = (0, 0, 0, 0);
    let mut contradictions = Vec::new();
    let mut failed_to_compile = Vec::new();
    for entry in common::entries() {
        let name = entry.json["name"].as_str().unwrap().to_string();
        for call in entry.json["calls"].as_array().into_iter().flatten() {
            let Some(key) = call["signature"].as_str() else {
                continue;
            };
            let tags: Vec<&str> = call["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            let Ok(model) = SavedModel::load_with(&entry.path, LoadOptions::default().tags(tags))
            else {
                continue;
            };
            // Signatures that do not compile are the conformance test's business.
            let signature = match model.signature(key) {
                Ok(s) => s,
                Err(e) => {
                    failed_to_compile.push(format!("{name}/{key}: {e}"));
                    continue;
                }
            };
            let reference = fixtures.join(call["reference"].as_str().unwrap());
            let inferred = signature.inferred_outputs();
            for n in npy::npz_names(&reference)
                .unwrap()
                .iter()
                .filter_map(|n| n.strip_prefix("output/"))
            {
                let want = npy::read_array(&reference, Some(&format!("output/{n}"))).unwrap();
                let fact = &inferred[n];
                outputs += 1;
                dtype_known += usize::from(fact.dtype.is_some());
                if fact.dtype.is_none() && std::env::var_os("SHOW_UNKNOWN").is_some() {
                    eprintln!("unknown dtype: {name}/{key}/{n}");
                }
                rank_known += usize::from(fact.shape.is_some());
                dims_known += usize::from(
                    fact.shape
                        .as_ref()
                        .is_some_and(|d| d.iter().all(Option::is_some)),
                );
                // bfloat16 travels through npz as its uint16 bits.
                let comparable = want.dtype() != DType::U16 || fact.dtype != Some(DType::BF16);
                if comparable && !fact.admits(&want) {
                    contradictions.push(format!(
                        "{name}/{key}/{n}: inferred {fact:?}, TF returned {} {:?}",
                        want.dtype(),
                        want.shape()
                    ));
                }
            }
        }
    }
    eprintln!(
        "{outputs} outputs: dtype known {dtype_known}, rank known {rank_known}, \
         every dimension known {dims_known}"
    );
    // Compiling is the conformance test's business (with its known
    // failures), but inference must never be why a signature fails.
    let blamed: Vec<&String> = failed_to_compile
        .iter()
        .filter(|e| !e.contains("unsupported ops"))
        .collect();
    assert!(
        blamed.is_empty(),
        "signatures that fail to compile:\n{blamed:#?}"
    );
    assert!(
        contradictions.is_empty(),
        "{} contradictions:\n{}",
        contradictions.len(),
        contradictions.join("\n")
    );
    assert!(outputs > 150, "only {outputs} outputs checked");
    assert!(
        dtype_known * 10 >= outputs * 9,
        "dtype known for {dtype_known}/{outputs}"
    );
    assert!(
        rank_known * 10 >= outputs * 6,
        "rank known for {rank_known}/{outputs}"
    );
}
