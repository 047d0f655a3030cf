//! What can go wrong between this crate and the kernel.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// An error from loading, attaching or editing the XDP program and its maps.
#[derive(Debug)]
pub enum Error {
    /// The kernel refused the program or a map (missing privileges, verifier
    /// rejection, unsupported kernel).
    Load(aya::EbpfError),
    /// The program could not be attached to the interface in any mode; the error of
    /// the last mode tried.
    Attach {
        /// The interface.
        interface: String,
        /// Why the kernel refused.
        source: aya::programs::ProgramError,
    },
    /// Detaching the program failed.
    Detach(aya::programs::ProgramError),
    /// A map lookup, update or delete failed.
    Map(aya::maps::MapError),
    /// The pin directory is not on a bpffs, or bpffs could not be mounted there.
    Bpffs {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The decision follower's thread could not be started.
    Thread(io::Error),
    /// The embedded object lacks a program or map this crate expects (a build of the
    /// C program that does not match the Rust side).
    Object(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(error) => write!(f, "loading the XDP program: {error}"),
            Self::Attach { interface, source } => {
                write!(f, "attaching the XDP program to {interface}: {source}")
            }
            Self::Detach(error) => write!(f, "detaching the XDP program: {error}"),
            Self::Map(error) => write!(f, "XDP blocklist map: {error}"),
            Self::Bpffs { path, source } => write!(f, "bpffs at {}: {source}", path.display()),
            Self::Thread(error) => write!(f, "starting the decision follower: {error}"),
            Self::Object(what) => write!(f, "the embedded XDP object has no {what}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Load(error) => Some(error),
            Self::Attach { source, .. } | Self::Detach(source) => Some(source),
            Self::Map(error) => Some(error),
            Self::Bpffs { source, .. } | Self::Thread(source) => Some(source),
            Self::Object(_) => None,
        }
    }
}

impl From<aya::maps::MapError> for Error {
    fn from(error: aya::maps::MapError) -> Self {
        Self::Map(error)
    }
}
