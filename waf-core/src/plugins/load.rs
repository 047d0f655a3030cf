//! Loading plugins from a directory: the one part of the plugin runtime that reads
//! files.

use super::error::{PluginError, PluginErrorKind};
use super::plugin::Plugin;
use std::path::{Path, PathBuf};

/// Loads every plugin of `dir`: each `NAME.toml` is a plugin called `NAME`, whose
/// module is the file its `module` key names (relative to `dir`), `NAME.wasm` by
/// default. Plugins are ordered by name. The first plugin that cannot be loaded stops
/// the load, with an error naming its file: a reload keeps the plugins in force.
pub fn load_dir(dir: &Path) -> Result<Vec<Plugin>, PluginError> {
    let io = |plugin: &str, path: &Path, what: &str, e: std::io::Error| {
        PluginError::new(PluginErrorKind::Io, plugin, format!("cannot {what}: {e}")).in_file(path)
    };
    let mut configs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| io("", dir, "read the plugin directory", e))?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| io("", dir, "read the plugin directory", e))?;
    configs.retain(|path| path.extension().is_some_and(|ext| ext == "toml"));
    configs.sort();
    configs
        .iter()
        .map(|config_path| {
            let name = config_path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            let toml = std::fs::read_to_string(config_path)
                .map_err(|e| io(&name, config_path, "read the plugin configuration", e))?;
            let config =
                super::PluginConfig::from_toml(&name, &toml).map_err(|e| e.in_file(config_path))?;
            let module_path = dir.join(config.module.unwrap_or_else(|| format!("{name}.wasm")));
            let wasm = std::fs::read(&module_path)
                .map_err(|e| io(&name, &module_path, "read the plugin module", e))?;
            Plugin::from_bytes(&name, &wasm, &toml).map_err(|e| {
                let file = match e.kind() {
                    PluginErrorKind::Config => config_path,
                    _ => &module_path,
                };
                e.in_file(file)
            })
        })
        .collect()
}
