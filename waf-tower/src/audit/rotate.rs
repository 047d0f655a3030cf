//! A log file rotated by size: `audit.log`, then `audit.log.1` (the newest old one), …
//! up to `audit.log.N`.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An append-only file that moves aside when a line would take it over its size.
#[derive(Debug)]
pub(crate) struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: BufWriter<File>,
    size: u64,
}

impl RotatingFile {
    /// Opens (or creates) `path` for appending; it is rotated when a line would take it
    /// over `max_bytes`, keeping `keep` old files.
    pub(crate) fn open(path: &Path, max_bytes: u64, keep: usize) -> io::Result<Self> {
        let file = open(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            max_bytes,
            keep,
            file: BufWriter::new(file),
            size,
        })
    }

    /// Appends `line` (with its newline), rotating first if it would not fit. A line
    /// longer than the limit gets a file of its own.
    pub(crate) fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let len = line.len() as u64;
        if self.size > 0 && self.size.saturating_add(len) > self.max_bytes {
            self.rotate()?;
        }
        self.file.write_all(line)?;
        self.size += len;
        Ok(())
    }

    /// Writes out what is buffered.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.keep == 0 {
            std::fs::remove_file(&self.path).or_else(not_found_is_fine)?;
        } else {
            for n in (1..self.keep).rev() {
                std::fs::rename(numbered(&self.path, n), numbered(&self.path, n + 1))
                    .or_else(not_found_is_fine)?;
            }
            std::fs::rename(&self.path, numbered(&self.path, 1))?;
        }
        self.file = BufWriter::new(open(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// `audit.log.n`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

fn not_found_is_fine(error: io::Error) -> io::Result<()> {
    if error.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> Option<String> {
        std::fs::read_to_string(path).ok()
    }

    #[test]
    fn rotates_by_size_keeping_n_files() {
        // (keep, lines written, expected files newest first: audit.log, .1, .2, .3)
        type Case = (usize, &'static [&'static str], [Option<&'static str>; 4]);
        let cases: [Case; 4] = [
            (
                2,
                &["aaaa\n", "bbbb\n"],
                [Some("aaaa\nbbbb\n"), None, None, None],
            ),
            (
                2,
                &["aaaa\n", "bbbb\n", "cccc\n"],
                [Some("cccc\n"), Some("aaaa\nbbbb\n"), None, None],
            ),
            (
                2,
                &[
                    "aaaa\n", "bbbb\n", "cccc\n", "dddd\n", "eeee\n", "ffff\n", "gggg\n",
                ],
                [
                    Some("gggg\n"),
                    Some("eeee\nffff\n"),
                    Some("cccc\ndddd\n"),
                    None,
                ],
            ),
            (
                0,
                &["aaaa\n", "bbbb\n", "cccc\n"],
                [Some("cccc\n"), None, None, None],
            ),
        ];
        for (keep, lines, expected) in cases {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("audit.log");
            let mut file = RotatingFile::open(&path, 10, keep).unwrap();
            for line in lines {
                file.write_line(line.as_bytes()).unwrap();
            }
            file.flush().unwrap();
            let found = [
                read(&path),
                read(&numbered(&path, 1)),
                read(&numbered(&path, 2)),
                read(&numbered(&path, 3)),
            ];
            assert_eq!(
                found,
                expected.map(|e| e.map(String::from)),
                "keep {keep}, {lines:?}"
            );
        }
    }

    #[test]
    fn appends_to_an_existing_file_and_counts_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        std::fs::write(&path, "old-line\n").unwrap();
        let mut file = RotatingFile::open(&path, 13, 1).unwrap();
        file.write_line(b"new\n").unwrap();
        file.write_line(b"next\n").unwrap();
        file.flush().unwrap();
        assert_eq!(read(&path).as_deref(), Some("next\n"));
        assert_eq!(
            read(&numbered(&path, 1)).as_deref(),
            Some("old-line\nnew\n")
        );
    }
}
