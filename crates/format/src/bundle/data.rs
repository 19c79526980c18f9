//! Data shard files (`<prefix>.data-SSSSS-of-NNNNN`): memory-mapping them and
//! turning stored numeric bytes into tensors.
//!
//! Invariants: a shard is mapped once, read-only, when the checkpoint is
//! opened (mapping costs nothing proportional to its size); every byte range
//! handed out has been checked against the mapped length by the caller's
//! validated entry and is fetched with `get`, never by indexing.

use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::{DType, FormatError, Result, Tensor};

/// One memory-mapped data shard.
#[derive(Debug)]
pub struct Shard {
    path: PathBuf,
    map: Mmap,
}

impl Shard {
    /// Opens and maps a shard; a missing file is a `NotFound` naming it.
    pub fn open(path: &Path, shard: usize, num_shards: usize) -> Result<Shard> {
        let file = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                FormatError::NotFound(format!(
                    "{}: data shard {shard} of {num_shards} is missing",
                    path.display()
                ))
            } else {
                FormatError::io(path, e)
            }
        })?;
        // SAFETY: the map is read-only and private to this process. Like any
        // file mapping it assumes the file is not truncated while mapped
        // (checkpoint files are written once and then only read).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| FormatError::io(path, e))?;
        Ok(Shard {
            path: path.to_path_buf(),
            map,
        })
    }

    /// Drops the shard's pages from this process's resident set (they stay
    /// in the OS page cache). Advisory: later reads fault them back in from
    /// the file, unchanged; where the OS does not support it nothing happens.
    pub fn release_resident(&self) {
        #[cfg(unix)]
        {
            // SAFETY: the map is a read-only shared mapping of a file that is
            // never written while mapped (see `open`): MADV_DONTNEED only
            // drops page-table entries, and the next access maps the same
            // file bytes again, so no borrowed slice can observe a change.
            let _ = unsafe {
                self.map
                    .unchecked_advise(memmap2::UncheckedAdvice::DontNeed)
            };
        }
    }

    /// [`Shard::release_resident`] for the whole pages inside
    /// `[offset, offset + size)`, once that tensor has been copied out.
    pub fn release_range(&self, offset: usize, size: usize) {
        const PAGE: usize = 4096;
        let start = offset.div_ceil(PAGE).saturating_mul(PAGE);
        let end = offset.saturating_add(size).min(self.map.len()) / PAGE * PAGE;
        #[cfg(unix)]
        if end > start {
            // SAFETY: as in `release_resident`: a read-only shared file
            // mapping, whose dropped pages are re-read unchanged from the file.
            let _ = unsafe {
                self.map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    start,
                    end - start,
                )
            };
        }
    }

    /// The shard's length in bytes.
    pub fn len(&self) -> u64 {
        self.map.len() as u64
    }

    /// The file's path, for error messages.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }

    /// Bytes `[offset, offset + size)`, or a malformed error if out of range.
    pub fn range(&self, offset: usize, size: usize, tensor: &str) -> Result<&[u8]> {
        offset
            .checked_add(size)
            .and_then(|end| self.map.get(offset..end))
            .ok_or_else(|| {
                FormatError::malformed(
                    self.name(),
                    format!("tensor {tensor:?}: bytes [{offset}, +{size}) are outside the file"),
                )
            })
    }
}

/// Decodes raw numeric bytes (little-endian, or big-endian when
/// `big_endian`) into a tensor of `shape`.
pub fn decode_numeric(
    dtype: DType,
    shape: &[usize],
    bytes: &[u8],
    big_endian: bool,
) -> Result<Tensor, String> {
    let result = if big_endian {
        Tensor::from_le_bytes(dtype, shape, &swap_to_little_endian(dtype, bytes))
    } else {
        Tensor::from_le_bytes(dtype, shape, bytes)
    };
    result.map_err(|e| e.to_string())
}

/// Reverses the bytes of each scalar (each part of a complex number).
fn swap_to_little_endian(dtype: DType, bytes: &[u8]) -> Vec<u8> {
    let width = match dtype {
        DType::C64 => 4,
        DType::C128 => 8,
        other => other.size_of().unwrap_or(1),
    };
    let mut out = bytes.to_vec();
    for chunk in out.chunks_exact_mut(width.max(1)) {
        chunk.reverse();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_bytes_are_swapped_per_scalar() {
        let t = decode_numeric(DType::I32, &[2], &[0, 0, 0, 1, 0, 0, 1, 0], true).unwrap();
        assert_eq!(t.as_slice::<i32>().unwrap(), &[1, 256]);
        let bytes = [0x3f, 0x80, 0, 0, 0x40, 0, 0, 0];
        let t = decode_numeric(DType::C64, &[1], &bytes, true).unwrap();
        let c = t.as_slice::<savedmodel_tensor::Complex32>().unwrap()[0];
        assert_eq!((c.re, c.im), (1.0, 2.0));
        assert!(decode_numeric(DType::F32, &[2], &[0; 4], false).is_err());
    }
}
