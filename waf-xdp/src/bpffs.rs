//! The BPF filesystem that pinned maps live on: mounted at `/sys/fs/bpf` on most
//! systems, but not on every one (containers, minimal images), so it is mounted here
//! when the pin directory wants it and it is missing.

use crate::error::Error;
use nix::mount::{MsFlags, mount};
use nix::sys::statfs::{BPF_FS_MAGIC, statfs};
use std::io;
use std::path::Path;

/// Where bpffs is mounted by convention (and by `mount -t bpf bpf /sys/fs/bpf`).
pub const BPFFS_ROOT: &str = "/sys/fs/bpf";

/// Makes sure `pin_dir` exists on a bpffs, mounting bpffs at [`BPFFS_ROOT`] first if
/// `pin_dir` is under it and nothing is mounted there.
pub(crate) fn prepare(pin_dir: &Path) -> Result<(), Error> {
    let fail = |source: io::Error| Error::Bpffs {
        path: pin_dir.to_owned(),
        source,
    };
    let root = Path::new(BPFFS_ROOT);
    if pin_dir.starts_with(root) && !is_bpffs(root) {
        mount(
            Some("bpf"),
            root,
            Some("bpf"),
            MsFlags::empty(),
            None::<&str>,
        )
        .map_err(|errno| fail(errno.into()))?;
    }
    std::fs::create_dir_all(pin_dir).map_err(fail)?;
    if !is_bpffs(pin_dir) {
        return Err(fail(io::Error::other("not on a bpf filesystem")));
    }
    Ok(())
}

fn is_bpffs(path: &Path) -> bool {
    statfs(path).is_ok_and(|fs| fs.filesystem_type() == BPF_FS_MAGIC)
}

/// Removes the maps pinned in `pin_dir` and the directory, forgetting the blocklist
/// kept there (the maps themselves go once no program or handle holds them). Missing
/// files are not an error.
pub fn remove_pinned(pin_dir: &Path) -> io::Result<()> {
    for name in crate::program::MAP_NAMES {
        match std::fs::remove_file(pin_dir.join(name)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
            _ => {}
        }
    }
    match std::fs::remove_dir(pin_dir) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}
