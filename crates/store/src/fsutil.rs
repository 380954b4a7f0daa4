//! Durable file operations: data reaches the disk before anything points at it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{IoContext, Result};

/// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, fsync
/// of the directory. A crash leaves either the old or the new content.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let mut f = File::create(&tmp).io("create", &tmp)?;
    f.write_all(bytes).io("write", &tmp)?;
    f.sync_all().io("sync", &tmp)?;
    drop(f);
    fs::rename(&tmp, path).io("rename into place", path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Makes a rename or a new file in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .io("sync directory", dir)
}

pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

pub(crate) fn create_dir(path: &Path) -> Result<()> {
    fs::create_dir_all(path).io("create directory", path)
}

/// Opens the lock file of a recording and takes an exclusive lock on it.
/// Returns `Ok(None)` when another process holds it.
pub(crate) fn try_lock(path: &Path) -> Result<Option<File>> {
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .io("open lock file", path)?;
    match f.try_lock() {
        Ok(()) => Ok(Some(f)),
        Err(fs::TryLockError::WouldBlock) => Ok(None),
        Err(fs::TryLockError::Error(e)) => Err(e).io("lock", path),
    }
}

/// Takes the exclusive lock of the recording in `dir` for a writer or a
/// repair. A reader probes the same lock for a moment to tell whether a
/// recorder is running, so a busy lock is retried for up to a second before
/// it counts as held by another process.
pub(crate) fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(crate::LOCK_FILE);
    for _ in 0..50 {
        if let Some(f) = try_lock(&path)? {
            return Ok(f);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Err(crate::StoreError::Locked {
        path: dir.to_owned(),
    })
}

/// A writer that counts bytes and computes the SHA-256 of everything written
/// through it, so sealing a segment does not read it back.
#[derive(Debug)]
pub(crate) struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The SHA-256 and length of everything written so far.
    pub(crate) fn digest(&self) -> (String, u64) {
        (hex(&self.hasher.clone().finalize()), self.bytes)
    }

    pub(crate) fn inner_mut(&mut self) -> &mut W {
        &mut self.inner
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// SHA-256 of a file, hex encoded.
pub(crate) fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).io("open", path)?;
    let mut hashing = HashingWriter::new(io::sink());
    io::copy(&mut f, &mut hashing).io("read", path)?;
    Ok(hashing.digest().0)
}

/// SHA-256 of bytes in memory, hex encoded.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
