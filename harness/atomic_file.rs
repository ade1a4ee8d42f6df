//! The one way flowreplay writes an output file: into a temporary file
//! beside the destination, renamed into place only when complete. An
//! interrupted or failed write leaves nothing at the destination, and an
//! existing file there is replaced whole or not at all. The file gets the
//! permissions `File::create` would give it under the user's umask.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically, making its folder if needed.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = AtomicFile::create(path)?;
    out.write_all(bytes)?;
    out.commit()
}

/// A buffered file that appears at its path only on [`AtomicFile::commit`].
pub struct AtomicFile {
    out: BufWriter<tempfile::NamedTempFile>,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts a file that will land at `path`.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".flowreplay-").suffix(".tmp");
        // tempfile creates 0600; ask open(2) for 0666, which the umask then
        // narrows exactly as it does for `File::create`.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        let file = builder.tempfile_in(dir)?;
        Ok(AtomicFile { out: BufWriter::with_capacity(1 << 16, file), path: path.to_path_buf() })
    }

    /// Flushes and renames the file into place. Dropping an `AtomicFile`
    /// without committing removes the temporary file.
    ///
    /// There is no fsync: the rename protects against an interrupted run
    /// (the case the contract is about), and a sync cost about 100 ms on a
    /// 20 MB trace, more than writing it.
    pub fn commit(self) -> io::Result<()> {
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_committed_file_has_the_permissions_file_create_gives() {
        let dir = tempfile::tempdir().unwrap();
        let mut atomic = AtomicFile::create(&dir.path().join("atomic")).unwrap();
        atomic.write_all(b"written\n").unwrap();
        atomic.commit().unwrap();
        std::fs::File::create(dir.path().join("plain")).unwrap();
        let mode = |name: &str| std::fs::metadata(dir.path().join(name)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("atomic"), mode("plain"), "{:o} vs {:o}", mode("atomic"), mode("plain"));
    }
}
