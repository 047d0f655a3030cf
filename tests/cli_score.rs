//! `waf score` on small labelled files: the arithmetic of TPR, FPR and balanced accuracy.

use std::process::Command;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn per_class_rates_fpr_and_balanced_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let requests = write(
        &dir,
        "requests.jsonl",
        r#"{"id":"a1","method":"GET","uri":"/","label":"attack","class":"sqli"}
{"id":"a2","method":"GET","uri":"/","label":"attack","class":"sqli"}
{"id":"a3","method":"GET","uri":"/","label":"attack","class":"xss"}
{"id":"a4","method":"GET","uri":"/","label":"attack","class":"xss"}
{"id":"b1","method":"GET","uri":"/","label":"benign","class":"benign"}
{"id":"b2","method":"GET","uri":"/","label":"benign","class":"benign"}
{"id":"b3","method":"GET","uri":"/","label":"benign","class":"benign"}
{"id":"b4","method":"GET","uri":"/","label":"benign","class":"benign"}
{"id":"nolabel","method":"GET","uri":"/"}
not json
"#,
    );
    let verdicts = write(
        &dir,
        "verdicts.jsonl",
        r#"{"id":"a1","action":"deny","status":403,"score":0.6,"rule_ids":[1],"elapsed_us":1.0}
{"id":"a2","action":"allow","score":0,"rule_ids":[],"elapsed_us":1.0}
{"id":"a3","action":"log","score":0.6,"rule_ids":[2],"elapsed_us":1.0}
{"id":"a4","action":"challenge","status":403,"score":0.7,"rule_ids":[],"elapsed_us":1.0}
{"id":"b1","action":"deny","status":403,"score":0.6,"rule_ids":[3],"elapsed_us":1.0}
{"id":"b2","action":"allow","score":0,"rule_ids":[],"elapsed_us":1.0}
{"id":"b3","action":"allow","score":0,"rule_ids":[],"elapsed_us":1.0}
{"id":"nolabel","action":"allow","score":0,"rule_ids":[],"elapsed_us":1.0}
"#,
    );
    let output = Command::new(env!("CARGO_BIN_EXE_waf"))
        .args(["score", "--format", "json", "--requests"])
        .arg(&requests)
        .arg("--verdicts")
        .arg(&verdicts)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["classes"]["sqli"]["caught"], 1);
    assert_eq!(
        report["classes"]["xss"]["caught"], 2,
        "log and challenge count as caught"
    );
    assert_eq!(report["attacks"]["tpr"], 0.75);
    // b4 has no verdict: not counted. 1 of 3 benign flagged.
    assert_eq!(report["benign"]["total"], 3);
    let fpr = report["benign"]["fpr"].as_f64().unwrap();
    assert!((fpr - 1.0 / 3.0).abs() < 1e-9);
    let ba = report["balanced_accuracy"].as_f64().unwrap();
    assert!((ba - (0.75 + 2.0 / 3.0) / 2.0).abs() < 1e-9);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("line 10:"),
        "malformed line reported: {stderr}"
    );
    assert!(
        stderr.contains("1 labelled requests have no verdict"),
        "{stderr}"
    );

    let table = Command::new(env!("CARGO_BIN_EXE_waf"))
        .args(["score", "--format", "markdown", "--requests"])
        .arg(&requests)
        .arg("--verdicts")
        .arg(&verdicts)
        .output()
        .unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("| all attacks (TPR) | 3 | 4 | 75.00 |"),
        "{table}"
    );
}
