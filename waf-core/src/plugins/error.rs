//! The plugin error: opaque, with accessors.

use std::path::{Path, PathBuf};

/// A plugin that could not be loaded: its configuration, its module, or the directory.
///
/// Running plugins never produce errors: a failing call is contained and counted
/// ([`super::PluginStats`]).
#[derive(Debug, Clone)]
pub struct PluginError {
    kind: PluginErrorKind,
    plugin: String,
    file: Option<PathBuf>,
    message: String,
}

/// Which part of a plugin was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginErrorKind {
    /// A file or the directory could not be read.
    Io,
    /// The TOML configuration.
    Config,
    /// The WebAssembly module: not valid, or it does not link against the host.
    Module,
    /// The module is valid but does not follow the ABI: a missing export, a wrong
    /// signature, another ABI version.
    Abi,
}

impl PluginError {
    pub(crate) fn new(kind: PluginErrorKind, plugin: &str, message: impl Into<String>) -> Self {
        Self {
            kind,
            plugin: plugin.to_owned(),
            file: None,
            message: message.into(),
        }
    }

    /// The same error, naming the file it is about.
    pub(crate) fn in_file(mut self, file: &Path) -> Self {
        self.file = Some(file.to_owned());
        self
    }

    /// Which part was refused.
    pub fn kind(&self) -> PluginErrorKind {
        self.kind
    }

    /// The plugin's name.
    pub fn plugin(&self) -> &str {
        &self.plugin
    }

    /// The file the error is about, when the plugin was loaded from a directory.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// What is wrong, in plain words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for PluginError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}: {}", file.display(), self.message),
            None => write!(f, "plugin `{}`: {}", self.plugin, self.message),
        }
    }
}

impl std::error::Error for PluginError {}
