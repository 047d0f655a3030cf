//! The Rust features equal the training pipeline's (`waf-core/ml/features.py`) on the
//! golden files it writes: n-gram counts exactly, shape features to 1e-9, the model's
//! probabilities to 1e-5, and the values taken from a request exactly.

#![cfg(feature = "ml")]

use serde_json::Value;
use waf_core::ml::AnomalyScorer;
use waf_core::ml::features::{
    self, DENSE, DIM, HASH_DIM, Location, dense_features, ngram_counts, normalise,
};
use waf_core::request::{Limits, RecordedRequest, RequestView};

fn golden(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("golden lines are JSON"))
        .collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

fn location(line: &Value) -> Location {
    Location::from_name(line.as_str().expect("a location name")).expect("a known location")
}

#[test]
fn value_features_match_the_training_pipeline() {
    let lines = golden(include_str!("data/ml-features.jsonl"));
    assert!(
        lines.len() >= 10,
        "the golden file holds the pipeline's inputs"
    );
    let scorer = AnomalyScorer::embedded().expect("the embedded model loads");
    for line in &lines {
        let value = unhex(line["value_hex"].as_str().unwrap());
        let what = format!("{:?}", String::from_utf8_lossy(&value));
        let norm = normalise(&value);

        let mut expected = [0u32; HASH_DIM];
        for pair in line["ngrams"].as_array().unwrap() {
            expected[pair[0].as_u64().unwrap() as usize] = pair[1].as_u64().unwrap() as u32;
        }
        assert_eq!(ngram_counts(&norm), expected, "n-grams of {what}");

        let dense = dense_features(&value, &norm);
        let golden_dense = line["dense"].as_array().unwrap();
        assert_eq!(golden_dense.len(), DENSE);
        for (i, (rust, python)) in dense.iter().zip(golden_dense).enumerate() {
            let python = python.as_f64().unwrap();
            assert!(
                (rust - python).abs() <= 1e-9,
                "dense[{i}] of {what}: {rust} vs {python}"
            );
        }

        let mut row = vec![0.0; DIM];
        features::value_features(location(&line["location"]), &value, &mut row);
        let p = scorer.model().probabilities(&row).unwrap()[0];
        let python = line["probability"].as_f64().unwrap();
        assert!(
            (f64::from(p) - python).abs() <= 1e-5,
            "probability of {what}: {p} vs {python}"
        );
    }
}

#[test]
fn request_values_match_the_training_pipeline() {
    for line in golden(include_str!("data/ml-requests.jsonl")) {
        let recorded = RecordedRequest::parse(line["request"].to_string().as_bytes()).unwrap();
        let view = RequestView::from_raw(recorded.raw(), &Limits::default());
        let rust: Vec<(Location, Vec<u8>)> = features::request_values(&view)
            .into_iter()
            .map(|(l, v)| (l, v.to_vec()))
            .collect();
        let python: Vec<(Location, Vec<u8>)> = line["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (location(&pair[0]), unhex(pair[1].as_str().unwrap())))
            .collect();
        assert_eq!(rust, python, "values of {}", line["request"]["id"]);
    }
}
