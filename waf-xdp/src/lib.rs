//! Kernel-level dropping of banned clients with XDP.
//!
//! **Not implemented yet**: this crate is a placeholder in the workspace so that the
//! layout is settled. Its issue fills it in:
//!
//! - an XDP program in C, compiled for the `bpf` target by `build.rs` with clang, that
//!   matches IPv4 and IPv6 source addresses against LPM-trie maps and drops what they
//!   hold, counting drops per entry;
//! - user space with `aya` that loads and attaches it (driver mode, falling back to
//!   generic mode), pins the maps under `/sys/fs/bpf` and detaches cleanly;
//! - a sync task that follows `waf_core::Waf::subscribe`, the engine's stream of
//!   [`Decision`](https://docs.rs/waf-core)s: insert on ban, remove on unban and expiry.
//!
//! Until then, bans are enforced in user space by `waf-core`'s blocklist, which
//! `WafLayer` checks on every request.

#![forbid(unsafe_code)]
