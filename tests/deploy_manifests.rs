//! The deployment files (`deploy/`): the Kubernetes manifests validated against the
//! Kubernetes JSON schemas and the Dockerfile parsed, by `deploy/validate.sh` (validators
//! from PyPI in a virtual environment under target/), including a broken manifest that
//! must be refused; and the configuration the manifests carry, loaded by this crate.
//!
//! Without the validator (no network to install it) the schema test says it is skipped
//! and why; with `CI=true` that is a failure.

use serde_yaml_ng::Value;
use std::path::Path;
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `deploy/validate.sh ARGS`, or `None` when the validator could not be installed.
fn validate(args: &[&Path]) -> Option<Output> {
    let output = Command::new("bash")
        .arg(root().join("deploy/validate.sh"))
        .args(args)
        .output()
        .expect("bash runs");
    if output.status.code() == Some(3) {
        let reason = String::from_utf8_lossy(&output.stderr);
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI must run the schema validation, but: {reason}"
        );
        eprintln!("skipped: the validator could not be installed: {reason}");
        return None;
    }
    Some(output)
}

#[test]
fn manifests_match_the_kubernetes_schemas_and_a_broken_one_does_not() {
    let Some(output) = validate(&[]) else { return };
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    // The Dockerfile was read too.
    assert!(String::from_utf8_lossy(&output.stdout).contains("deploy/Dockerfile: "));

    // The proxy's Deployment with a count that is not a number, and with a misspelt
    // field (the validation is strict).
    let deployment = std::fs::read_to_string(root().join("deploy/k8s/deployment.yaml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let not_a_number = dir.path().join("not-a-number.yaml");
    std::fs::write(
        &not_a_number,
        deployment.replace("replicas: 2", "replicas: two"),
    )
    .unwrap();
    let misspelt = dir.path().join("misspelt.yaml");
    let text = deployment.replace("readOnlyRootFilesystem", "readOnlyRootFileSystem");
    std::fs::write(&misspelt, text).unwrap();
    for (path, error) in [
        (&not_a_number, "'two' is not of type 'integer'"),
        (&misspelt, "readOnlyRootFileSystem"),
    ] {
        let output = validate(&[path]).expect("installed a moment ago");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains(error), "{stdout}");
    }
}

/// Every YAML document of `path`.
fn documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|document| serde::Deserialize::deserialize(document).unwrap())
        .collect()
}

/// The one document of `file` (under deploy/k8s) of this kind and name.
fn resource(file: &str, kind: &str, name: &str) -> Value {
    documents(&root().join("deploy/k8s").join(file))
        .into_iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind}/{name} in {file}"))
}

#[test]
fn kustomization_lists_every_manifest_but_the_optional_xdp_one() {
    let dir = root().join("deploy/k8s");
    let kustomization = &documents(&dir.join("kustomization.yaml"))[0];
    let mut listed: Vec<String> = kustomization["resources"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    listed.sort();
    let mut present: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".yaml") && name != "kustomization.yaml")
        .collect();
    present.sort();
    assert_eq!(listed, present);
    assert!(dir.join("xdp/daemonset.yaml").is_file());
}

fn config_file(key: &str) -> String {
    let map = resource("configmap-config.yaml", "ConfigMap", "waf-config");
    map["data"][key].as_str().unwrap().to_owned()
}

#[test]
fn engine_configuration_and_rules_load() {
    waf::Config::from_toml(&config_file("waf.toml")).unwrap();
    // What the proxy loads: the built-in rules, then the site's.
    let rules = resource("configmap-rules.yaml", "ConfigMap", "waf-rules");
    let site = rules["data"]["site.conf"].as_str().unwrap();
    let text = format!("{}\n{site}", waf::rules::builtin::RULES);
    let file = waf::rules::seclang::parse("site.conf", &text).unwrap();
    let rules = waf::core::rule::RuleSet::from_seclang("site", &file).unwrap();
    assert!(rules.rules().iter().any(|r| r.id == 200001));
}

#[test]
fn proxy_listens_where_the_service_sends_and_forwards_to_the_app() {
    let proxy: toml::Table = toml::from_str(&config_file("proxy.toml")).unwrap();
    let deployment = resource("deployment.yaml", "Deployment", "web");
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .unwrap();
    let container = |name: &str| {
        containers
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("container {name}"))
    };
    let sidecar = container("waf-proxy");
    assert_eq!(
        sidecar["command"],
        serde_yaml_ng::from_str::<Value>(
            r#"["/usr/local/bin/waf-proxy", "--config", "/etc/waf/proxy.toml"]"#
        )
        .unwrap()
    );
    let port = sidecar["ports"][0]["containerPort"].as_u64().unwrap();
    assert_eq!(
        proxy["listen"]["http"].as_str(),
        Some(&*format!("0.0.0.0:{port}"))
    );
    let service = resource("service.yaml", "Service", "web");
    assert_eq!(
        service["spec"]["ports"][0]["targetPort"],
        sidecar["ports"][0]["name"]
    );

    // The app listens on loopback at the port the proxy forwards to.
    assert_eq!(
        proxy["upstream"]["url"].as_str(),
        Some("http://127.0.0.1:8080")
    );
    let app: Vec<&str> = container("app")["command"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        app.windows(2).any(|w| w == ["--addr", "127.0.0.1:8080"]),
        "{app:?}"
    );

    // Redis is reached through its Service.
    let redis = resource("redis.yaml", "Service", "redis");
    let url = proxy["shared"]["url"].as_str().unwrap();
    let port = redis["spec"]["ports"][0]["port"].as_u64().unwrap();
    assert_eq!(url, format!("redis://redis.waf.svc.cluster.local:{port}/"));
}

#[tokio::test]
async fn the_configmap_is_what_waf_proxy_check_accepts() {
    // The pod's /etc/waf, laid out in a temporary directory: the ConfigMaps' files, with
    // the image's copy of the built-in rules at a path of this machine.
    let etc = tempfile::tempdir().unwrap();
    let builtin = etc.path().join("builtin.conf");
    std::fs::write(&builtin, waf::rules::builtin::RULES).unwrap();
    let proxy = config_file("proxy.toml").replace(
        "/usr/share/waf/rules/builtin.conf",
        builtin.to_str().unwrap(),
    );
    assert_ne!(
        proxy,
        config_file("proxy.toml"),
        "the image's rules path moved"
    );
    std::fs::write(etc.path().join("proxy.toml"), proxy).unwrap();
    std::fs::write(etc.path().join("waf.toml"), config_file("waf.toml")).unwrap();
    std::fs::create_dir(etc.path().join("rules")).unwrap();
    let rules = resource("configmap-rules.yaml", "ConfigMap", "waf-rules");
    for (name, text) in rules["data"].as_mapping().unwrap() {
        std::fs::write(
            etc.path().join("rules").join(name.as_str().unwrap()),
            text.as_str().unwrap(),
        )
        .unwrap();
    }
    waf::proxy::check(&etc.path().join("proxy.toml"))
        .await
        .unwrap();
}
