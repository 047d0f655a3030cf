//! Building the example plugins from source, for the tests and the benchmark.

use std::path::{Path, PathBuf};
use std::process::Command;
use waf_core::plugins::Plugin;

/// The crate's directory.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The example plugin `name` of `plugins/examples/`, built from its WAT or C source,
/// with its TOML configuration. `Err` says why it could not be built (no clang).
pub fn example(name: &str) -> Result<Plugin, String> {
    let dir = root().join("plugins/examples");
    let toml = std::fs::read_to_string(dir.join(format!("{name}.toml")))
        .map_err(|e| format!("{name}.toml: {e}"))?;
    let wat = dir.join(format!("{name}.wat"));
    let wasm = if wat.exists() {
        wat::parse_file(&wat).map_err(|e| e.to_string())?
    } else {
        clang(&dir.join(format!("{name}.c")))?
    };
    Ok(Plugin::from_bytes(name, &wasm, &toml).unwrap_or_else(|e| panic!("{e}")))
}

/// Compiles a C plugin for wasm32 with clang and wasm-ld; `Err` when they are not
/// installed. A compiler error is a failed test, not a skip.
pub fn clang(source: &Path) -> Result<Vec<u8>, String> {
    let out: PathBuf = std::env::temp_dir().join(format!(
        "waf-plugin-{}-{}.wasm",
        std::process::id(),
        source.file_stem().unwrap().to_string_lossy()
    ));
    let status = Command::new("clang")
        .args([
            "--target=wasm32",
            "-nostdlib",
            "-Wl,--no-entry",
            "-Wl,--export-dynamic",
            "-O2",
        ])
        .arg("-o")
        .arg(&out)
        .arg(source)
        .output()
        .map_err(|e| format!("clang cannot be run ({e}); install clang and lld"))?;
    if !status.status.success() {
        let stderr = String::from_utf8_lossy(&status.stderr);
        if stderr.contains("wasm-ld") && stderr.contains("not found") {
            return Err(format!("wasm-ld is missing (install lld): {stderr}"));
        }
        panic!("{}: clang failed:\n{stderr}", source.display());
    }
    let wasm = std::fs::read(&out).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&out);
    Ok(wasm)
}
