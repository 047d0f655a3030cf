//! Kernel-level dropping of banned clients with XDP, in step with the engine's
//! decisions.
//!
//! - An XDP program in C (`src/bpf/ban.c`, compiled for the `bpf` target by
//!   `build.rs` with clang and embedded in the crate) looks up each frame's IPv4 or
//!   IPv6 source address, behind up to two VLAN tags, in two LPM tries, drops the
//!   frames of banned addresses and ranges, counts them per entry, and passes the rest.
//! - [`XdpGuard`] loads it with aya, pins the maps under `/sys/fs/bpf` (mounting
//!   bpffs if needed) so that a restart finds the blocklist again, attaches it in
//!   driver mode or generic mode, and detaches it when dropped.
//! - [`Blocklist`] edits the tries and reads the per-entry drop counters.
//! - [`sync`] keeps the blocklist equal to the engine's bans: the current set at
//!   start, then every ban, unban and expiry of `waf_core::Waf::subscribe`, local or
//!   shared from other nodes.
//!
//! ```no_run
//! use waf_core::Waf;
//! use waf_xdp::{SyncOptions, XdpConfig, XdpGuard};
//!
//! let waf = Waf::default();
//! let guard = XdpGuard::attach(&XdpConfig::new("eth0"))?;
//! let task = waf_xdp::sync(&waf, guard.blocklist(), SyncOptions::default())?;
//! // ... serve with WafLayer::new(waf.clone()) ...
//! for entry in guard.blocklist().entries()? {
//!     println!("{} dropped {} packets", entry.target, entry.packets);
//! }
//! task.stop();
//! guard.detach()?;
//! # Ok::<(), waf_xdp::Error>(())
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod blocklist;
mod bpffs;
mod clock;
mod error;
mod key;
mod program;
mod sync;

pub use blocklist::{Blocklist, Entry};
pub use bpffs::{BPFFS_ROOT, remove_pinned};
pub use error::Error;
pub use program::{AttachMode, DEFAULT_PIN_DIR, XdpConfig, XdpGuard};
pub use sync::{SyncOptions, SyncTask, sync};
