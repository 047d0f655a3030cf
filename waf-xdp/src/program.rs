//! Loading the embedded XDP object, attaching it to an interface and detaching it.

use crate::blocklist::Blocklist;
use crate::bpffs;
use crate::error::Error;
use aya::programs::{Xdp, XdpMode, xdp::XdpLinkId};
use aya::{Ebpf, EbpfLoader};
use std::path::PathBuf;

/// The object `build.rs` compiled from `bpf/ban.c`. aya parses it in place, which
/// needs the ELF headers 8-byte aligned: `include_bytes_aligned!` sees to that.
static OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/ban.o"));

/// The program's function name in `bpf/ban.c`.
const PROGRAM: &str = "waf_xdp_ban";
/// The IPv4 and IPv6 tries, by their names in `bpf/ban.c` (and their file names in
/// the pin directory).
pub(crate) const MAP_NAMES: [&str; 2] = ["ban_v4", "ban_v6"];

/// Where the maps are pinned by default, so that every process of a host shares one
/// kernel blocklist and a restart finds it again.
pub const DEFAULT_PIN_DIR: &str = "/sys/fs/bpf/waf-xdp";

/// How the program is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AttachMode {
    /// Driver (native) mode if the interface's driver supports XDP, generic (SKB)
    /// mode otherwise.
    #[default]
    Auto,
    /// Driver mode only: the program runs before the kernel allocates socket
    /// buffers, which is the point of XDP.
    Driver,
    /// Generic mode only: works on any interface, after the socket buffer is built.
    Generic,
}

/// What to attach where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XdpConfig {
    /// The interface whose incoming frames are filtered, in the calling thread's
    /// network namespace.
    pub interface: String,
    /// The bpffs directory holding the pinned maps ([`DEFAULT_PIN_DIR`]).
    pub pin_dir: PathBuf,
    /// Driver mode, generic mode, or the first that works.
    pub mode: AttachMode,
    /// Room in each trie (IPv4, IPv6) when the maps are created; maps found pinned
    /// keep the size they were made with.
    pub capacity: u32,
}

impl XdpConfig {
    /// Defaults for `interface`: maps pinned in [`DEFAULT_PIN_DIR`], mode
    /// [`AttachMode::Auto`], 65 536 entries per address family.
    pub fn new(interface: impl Into<String>) -> Self {
        Self {
            interface: interface.into(),
            pin_dir: PathBuf::from(DEFAULT_PIN_DIR),
            mode: AttachMode::Auto,
            capacity: 65_536,
        }
    }
}

/// The program attached to an interface; detached when dropped (or by
/// [`detach`](Self::detach), which reports failures). The pinned maps, and so the
/// kernel blocklist, outlive it.
#[derive(Debug)]
pub struct XdpGuard {
    // Field order: the link goes before the object that owns the program.
    link: Option<XdpLinkId>,
    ebpf: Ebpf,
    mode: AttachMode,
    interface: String,
    blocklist: Blocklist,
}

impl XdpGuard {
    /// Loads the program, opening the maps pinned in `config.pin_dir` or creating
    /// and pinning them (mounting bpffs if needed), and attaches it to
    /// `config.interface`. Needs CAP_BPF and CAP_NET_ADMIN (or root).
    pub fn attach(config: &XdpConfig) -> Result<Self, Error> {
        bpffs::prepare(&config.pin_dir)?;
        let mut loader = EbpfLoader::new();
        loader.default_map_pin_directory(&config.pin_dir);
        for name in MAP_NAMES {
            loader.map_max_entries(name, config.capacity);
        }
        let mut ebpf = loader.load(OBJECT).map_err(Error::Load)?;

        let [v4, v6] = MAP_NAMES.map(|name| ebpf.take_map(name));
        let blocklist = Blocklist::new(
            v4.ok_or(Error::Object("ban_v4 map"))?,
            v6.ok_or(Error::Object("ban_v6 map"))?,
        )?;

        let program: &mut Xdp = ebpf
            .program_mut(PROGRAM)
            .ok_or(Error::Object("waf_xdp_ban program"))?
            .try_into()
            .map_err(|_| Error::Object("XDP program named waf_xdp_ban"))?;
        program
            .load()
            .map_err(|error| Error::Load(aya::EbpfError::ProgramError(error)))?;
        let (link, mode) = attach_in_mode(program, &config.interface, config.mode)?;
        Ok(Self {
            link: Some(link),
            ebpf,
            mode,
            interface: config.interface.clone(),
            blocklist,
        })
    }

    /// The mode the program runs in: [`AttachMode::Driver`] or
    /// [`AttachMode::Generic`].
    pub fn mode(&self) -> AttachMode {
        self.mode
    }

    /// The interface the program is attached to.
    pub fn interface(&self) -> &str {
        &self.interface
    }

    /// The kernel blocklist the program reads.
    pub fn blocklist(&self) -> Blocklist {
        self.blocklist.clone()
    }

    /// Detaches the program from the interface. The maps stay pinned.
    pub fn detach(mut self) -> Result<(), Error> {
        self.unlink()
    }

    fn unlink(&mut self) -> Result<(), Error> {
        let Some(link) = self.link.take() else {
            return Ok(());
        };
        let program: &mut Xdp = self
            .ebpf
            .program_mut(PROGRAM)
            .ok_or(Error::Object("waf_xdp_ban program"))?
            .try_into()
            .map_err(|_| Error::Object("XDP program named waf_xdp_ban"))?;
        program.detach(link).map_err(Error::Detach)
    }
}

impl Drop for XdpGuard {
    fn drop(&mut self) {
        // Nothing to report to: dropping the object would detach anyway (the link is
        // a file descriptor the kernel releases with it); this only does it first.
        let _ = self.unlink();
    }
}

/// Attaches in the wanted mode; in [`AttachMode::Auto`], driver mode first and
/// generic mode if the driver refuses.
fn attach_in_mode(
    program: &mut Xdp,
    interface: &str,
    mode: AttachMode,
) -> Result<(XdpLinkId, AttachMode), Error> {
    let attach = |program: &mut Xdp, mode: XdpMode| {
        program
            .attach(interface, mode)
            .map_err(|source| Error::Attach {
                interface: interface.to_owned(),
                source,
            })
    };
    match mode {
        AttachMode::Driver => Ok((attach(program, XdpMode::Driver)?, AttachMode::Driver)),
        AttachMode::Generic => Ok((attach(program, XdpMode::Skb)?, AttachMode::Generic)),
        AttachMode::Auto => match attach(program, XdpMode::Driver) {
            Ok(link) => Ok((link, AttachMode::Driver)),
            Err(_) => Ok((attach(program, XdpMode::Skb)?, AttachMode::Generic)),
        },
    }
}
