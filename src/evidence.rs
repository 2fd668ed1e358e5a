//! Evidence files: what a claim keeps of them (name, size, BLAKE3 of the
//! bytes) and never their content.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::event::Evidence;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("cannot read evidence file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("evidence {path} is not a file")]
    NotAFile { path: PathBuf },
}

/// Names, sizes and hashes the file at `path`, reading it once as a stream.
/// The name kept is the file's own name, without its directory.
pub fn hash_file(path: &Path) -> Result<Evidence, EvidenceError> {
    let unreadable = |source| EvidenceError::Unreadable {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(unreadable)?;
    let metadata = file.metadata().map_err(unreadable)?;
    if !metadata.is_file() {
        return Err(EvidenceError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(&file).map_err(unreadable)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(Evidence {
        name,
        size: metadata.len(),
        blake3: *hasher.finalize().as_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_kept_by_name_size_and_hash_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("minutes.pdf");
        std::fs::write(&path, b"board minutes").unwrap();
        let evidence = hash_file(&path).unwrap();
        assert_eq!(evidence.name, "minutes.pdf");
        assert_eq!(evidence.size, 13);
        assert_eq!(evidence.blake3, *blake3::hash(b"board minutes").as_bytes());
    }

    #[test]
    fn a_directory_or_a_missing_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            hash_file(dir.path()),
            Err(EvidenceError::NotAFile { .. })
        ));
        assert!(matches!(
            hash_file(&dir.path().join("absent.pdf")),
            Err(EvidenceError::Unreadable { .. })
        ));
    }
}
