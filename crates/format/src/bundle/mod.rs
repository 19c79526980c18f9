//! TensorBundle checkpoints (`variables/variables.*`, `model.ckpt.*`,
//! `ckpt-N.*`): the index is parsed and validated when opened, data shards
//! are memory-mapped, and tensors are decoded (and checksummed) on `read`.
//!
//! Invariants of an open [`Checkpoint`]: the index SSTable passed every
//! structural check (see `sstable`); the header is valid; every data shard
//! file exists and is mapped; every entry has a supported dtype, a valid
//! shape and, unless partitioned, a byte range inside its shard of exactly
//! the right size. Opening does no work proportional to tensor bytes: entry
//! checksums, string decoding and slice reassembly happen in `read`.
//!
//! Modules: `resolve` (paths), `sstable` (index file), `entry` (header and
//! entries), `data` (shards, numeric decoding), `strings`, `slices`, `read`.

mod coding;
mod data;
mod entry;
mod read;
mod resolve;
mod slices;
mod sstable;
#[cfg(test)]
mod sstable_tests;
mod strings;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{DType, FormatError, Result};
use data::Shard;
use entry::{Entry, Header};

/// Key of the serialized `TrackableObjectGraph` written by TF2 checkpoints.
pub const OBJECT_GRAPH_KEY: &str = "_CHECKPOINTABLE_OBJECT_GRAPH";

/// An open TensorBundle checkpoint. `Send + Sync`: reads take `&self`.
#[derive(Debug)]
pub struct Checkpoint {
    prefix: PathBuf,
    index_file: String,
    header: Header,
    shards: Vec<Shard>,
    entries: BTreeMap<Vec<u8>, Entry>,
    infos: Vec<TensorInfo>,
}

/// What the index says about one tensor (the header entry and the entries of
/// individual slices are not tensors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// The checkpoint key, e.g. `dense/kernel/.ATTRIBUTES/VARIABLE_VALUE`.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Full shape.
    pub shape: Vec<usize>,
    /// Bytes of its stored data (all slices added up for a partitioned tensor).
    pub size_bytes: u64,
    /// True when stored as slices that `read` reassembles.
    pub partitioned: bool,
}

impl Checkpoint {
    /// Opens a TensorBundle by prefix (`.../variables/variables`,
    /// `.../model.ckpt`, `.../ckpt-1`), by its `.index` or a data-shard path,
    /// or by a directory: one holding a `checkpoint` state file resolves to
    /// its `model_checkpoint_path` (relative paths are relative to the
    /// directory), a SavedModel directory to `variables/variables`, a
    /// directory with exactly one `*.index` to that bundle.
    ///
    /// Errors: `NotFound` naming the paths tried when there is no index or a
    /// data shard is missing; `Unsupported` for V1 checkpoints (a single file
    /// at the prefix); `Malformed` for any structural problem of the index.
    pub fn open(path: impl AsRef<Path>) -> Result<Checkpoint> {
        let prefix = resolve::resolve_prefix(path.as_ref())?;
        let index_path = resolve::index_path(&prefix);
        let index_file = index_path.display().to_string();
        let bytes = std::fs::read(&index_path).map_err(|e| FormatError::io(&index_path, e))?;
        let mut table = sstable::read_table(&bytes, &index_file)?.into_iter();
        let header = match table.next() {
            Some((key, value)) if key.is_empty() => entry::parse_header(&value, &index_file)?,
            _ => {
                return Err(FormatError::malformed(
                    &index_file,
                    "no header entry (the empty key) in the index",
                ))
            }
        };
        let shards = (0..header.num_shards)
            .map(|i| {
                Shard::open(
                    &resolve::shard_path(&prefix, i, header.num_shards),
                    i,
                    header.num_shards,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let shard_lens: Vec<u64> = shards.iter().map(Shard::len).collect();
        let mut entries = BTreeMap::new();
        for (key, value) in table {
            let name = entry_name(&key, &index_file)?;
            let parsed = entry::parse_entry(&value, &name, &shard_lens, &index_file)?;
            entries.insert(key, parsed);
        }
        let infos = tensor_infos(&entries);
        Ok(Checkpoint {
            prefix,
            index_file,
            header,
            shards,
            entries,
            infos,
        })
    }

    /// The bundle prefix (`<prefix>.index` is the index file).
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// Drops the mapped data shards' pages from this process's resident set
    /// once their tensors have been read (e.g. after a model restored its
    /// variables): they stay in the OS page cache and are faulted back in,
    /// unchanged, if read again.
    pub fn release_resident_pages(&self) {
        self.shards.iter().for_each(Shard::release_resident);
    }

    /// Number of data shard files.
    pub fn num_shards(&self) -> usize {
        self.shards.len()
    }

    /// Every tensor, sorted by name: everything in the index except the
    /// header entry and the entries of individual slices (so
    /// `_CHECKPOINTABLE_OBJECT_GRAPH` is listed, as `tf.train.list_variables` does).
    pub fn tensors(&self) -> &[TensorInfo] {
        &self.infos
    }

    /// The tensor called `name`, if the index lists it.
    pub fn get(&self, name: &str) -> Option<&TensorInfo> {
        self.infos
            .binary_search_by(|info| info.name.as_str().cmp(name))
            .ok()
            .and_then(|i| self.infos.get(i))
    }

    /// True when the bundle stores tensor bytes big-endian.
    pub fn is_big_endian(&self) -> bool {
        self.header.big_endian
    }
}

/// The printable name of an entry key: slice keys (leading `00` byte) are
/// shown escaped; tensor names must be UTF-8.
fn entry_name(key: &[u8], index_file: &str) -> Result<String> {
    if key.first() == Some(&0) {
        return Ok(sstable::show_key(key));
    }
    String::from_utf8(key.to_vec()).map_err(|_| {
        FormatError::malformed(
            index_file,
            format!("tensor name {} is not UTF-8", sstable::show_key(key)),
        )
    })
}

/// The listing: every entry whose key is a tensor name, sorted (the map is).
fn tensor_infos(entries: &BTreeMap<Vec<u8>, Entry>) -> Vec<TensorInfo> {
    entries
        .iter()
        .filter(|(key, _)| key.first() != Some(&0))
        .filter_map(|(key, entry)| {
            let name = String::from_utf8(key.clone()).ok()?;
            let size_bytes = match (&entry.location, entry.dtype.size_of()) {
                (Some(location), _) => location.size as u64,
                (None, Some(width)) => entry.elements.saturating_mul(width) as u64,
                (None, None) => partitioned_string_bytes(entries, key, entry),
            };
            Some(TensorInfo {
                name,
                dtype: entry.dtype,
                shape: entry.shape.clone(),
                size_bytes,
                partitioned: entry.location.is_none(),
            })
        })
        .collect()
}

/// Bytes of the slices of a partitioned string tensor (stops at the first
/// missing slice, so the work is bounded by the keys really present).
fn partitioned_string_bytes(entries: &BTreeMap<Vec<u8>, Entry>, name: &[u8], entry: &Entry) -> u64 {
    let mut total: u64 = 0;
    for extents in &entry.slices {
        let Some(slice) = entries.get(&slices::slice_key(name, extents)) else {
            break;
        };
        let size = slice.location.map_or(0, |l| l.size as u64);
        total = total.saturating_add(size);
    }
    total
}
