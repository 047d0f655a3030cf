//! Compiles the XDP program (`src/bpf/ban.c`) for the `bpf` target with clang, into
//! `OUT_DIR/ban.o`, which `src/program.rs` embeds in the crate.
//!
//! clang is found as `$CLANG` or `clang` on the PATH; the headers come from libbpf
//! (`bpf/bpf_helpers.h`) and the kernel's UAPI (`linux/bpf.h`). When either is missing
//! the build stops with the package names to install, not with a C compiler's error.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = "src/bpf/ban.c";
const INSTALL_HINT: &str = "waf-xdp compiles its XDP program with clang against the \
    libbpf and kernel headers. Install them, e.g. on Debian or Ubuntu: \
    `apt-get install clang llvm libbpf-dev linux-libc-dev` (or set CLANG to a clang \
    that can target bpf).";

fn main() {
    println!("cargo::rerun-if-changed={SOURCE}");
    println!("cargo::rerun-if-env-changed=CLANG");
    let clang = env::var_os("CLANG").unwrap_or_else(|| "clang".into());
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("ban.o");

    let mut command = Command::new(&clang);
    command.args(["-O2", "-g", "-target", "bpf", "-Wall", "-Werror"]);
    // `linux/bpf.h` pulls in `asm/types.h`, which Debian-style systems keep under the
    // host's multiarch directory: clang targeting bpf does not look there by itself.
    if let Some(dir) = multiarch_include_dir() {
        command.arg(format!("-I{}", dir.display()));
    }
    command.arg("-c").arg(SOURCE).arg("-o").arg(&out);

    let output = match command.output() {
        Ok(output) => output,
        Err(error) => panic!(
            "cannot run `{}`: {error}.\n{INSTALL_HINT}",
            Path::new(&clang).display()
        ),
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("file not found") {
            INSTALL_HINT
        } else {
            ""
        };
        panic!("clang could not compile {SOURCE}:\n{stderr}\n{hint}");
    }
}

/// `/usr/include/<multiarch triple>` for the host, if it exists (the triple of Debian's
/// layout: `x86_64-linux-gnu`, `aarch64-linux-gnu`, ...).
fn multiarch_include_dir() -> Option<PathBuf> {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").ok()?;
    let env = env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let abi = if env.is_empty() { "gnu".into() } else { env };
    let dir = PathBuf::from(format!("/usr/include/{arch}-linux-{abi}"));
    dir.join("asm").is_dir().then_some(dir)
}
