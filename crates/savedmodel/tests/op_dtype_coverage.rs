//! The per-dtype op tables the `ops_dtypes_*` fixtures record
//! (`op_dtype_support`: the dtypes TF 2.21 runs each op on, on CPU, as
//! probed by the generator): every op is registered, and every supported
//! (op, dtype) pair has a reference call, so `conformance.rs` runs it. Prints
//! the table (`cargo test --test op_dtype_coverage -- --nocapture`).

mod common;

use std::collections::BTreeSet;

#[test]
fn every_supported_op_dtype_pair_has_a_reference_call() {
    let registered: BTreeSet<String> = savedmodel::supported_ops()
        .into_iter()
        .map(|s| s.to_string())
        .collect();
    let mut problems = Vec::new();
    let (mut ops, mut pairs) = (0, 0);
    for entry in common::entries() {
        let Some(table) = entry.json["op_dtype_support"].as_object() else {
            continue;
        };
        let name = entry.json["name"].as_str().unwrap();
        let signatures: BTreeSet<&str> = entry.json["calls"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["signature"].as_str())
            .collect();
        for (op, row) in table {
            ops += 1;
            if !registered.contains(op) {
                problems.push(format!("{name}: {op} is not registered"));
            }
            let list = |key: &str| -> Vec<&str> {
                row[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_str().unwrap())
                    .collect()
            };
            let supported = list("supported");
            eprintln!(
                "{op:24} {:2} supported: {}",
                supported.len(),
                supported.join(" ")
            );
            for dtype in supported {
                pairs += 1;
                // Cast records `src->dst` pairs, one signature per source.
                let signature = match dtype.split_once("->") {
                    Some((src, _)) => format!("{op}_{src}"),
                    None => format!("{op}_{dtype}"),
                };
                if !signatures.contains(signature.as_str()) {
                    problems.push(format!("{name}: no call of {signature}"));
                }
            }
        }
    }
    eprintln!("{pairs} supported (op, dtype) pairs over {ops} ops");
    assert!(ops > 100, "only {ops} ops have a probed dtype table");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
