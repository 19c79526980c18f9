//! Reading tensors out of an open [`Checkpoint`]: checksum, decode, and
//! reassemble partitioned tensors.
//!
//! Invariants: the entry CRC32C is verified before any bytes are decoded; a
//! partitioned tensor's slice entries are all found and checked against the
//! full entry (dtype, extents, real stored size) before the output is
//! allocated, so its size is bounded by bytes that exist in the shards.

use prost::Message;

use super::data::decode_numeric;
use super::entry::{Entry, Location};
use super::slices::{resolve, slice_key, Assembler};
use super::strings::decode_strings;
use super::{Checkpoint, OBJECT_GRAPH_KEY};
use crate::proto::TrackableObjectGraph;
use crate::{DType, FormatError, Result, Tensor};

/// A stored slice of a partitioned tensor, checked against the full entry.
struct Piece<'a> {
    rect: Vec<(usize, usize)>,
    entry: &'a Entry,
    location: Location,
}

impl Checkpoint {
    /// Reads one tensor: verifies its CRC32C, decodes numeric (byte-swapping
    /// a big-endian bundle), bool, string (with its length checksum),
    /// f16/bf16/complex values, and reassembles partitioned tensors from their
    /// slices. Errors name the file and the tensor.
    pub fn read(&self, name: &str) -> Result<Tensor> {
        let entry = self.entry(name)?;
        match entry.location {
            Some(location) => self.read_stored(name, entry, location),
            None => self.read_partitioned(name, entry),
        }
    }

    /// The raw stored bytes of a non-partitioned numeric tensor (row-major,
    /// little-endian), borrowed from the mapped shard after the CRC check.
    pub fn raw_bytes(&self, name: &str) -> Result<&[u8]> {
        let entry = self.entry(name)?;
        let unsupported = |msg: &str| {
            FormatError::unsupported(&self.index_file, format!("tensor {name:?}: {msg}"))
        };
        let Some(location) = entry.location else {
            return Err(unsupported("is partitioned; use read() to reassemble it"));
        };
        if entry.dtype == DType::String {
            return Err(unsupported(
                "is a string tensor; raw bytes are numeric only",
            ));
        }
        if self.header.big_endian {
            return Err(unsupported(
                "is stored big-endian; use read() to convert it",
            ));
        }
        self.checked_bytes(name, location)
    }

    /// The `_CHECKPOINTABLE_OBJECT_GRAPH` entry decoded, if the bundle has one.
    pub fn object_graph(&self) -> Result<Option<TrackableObjectGraph>> {
        if self.get(OBJECT_GRAPH_KEY).is_none() {
            return Ok(None);
        }
        let tensor = self.read(OBJECT_GRAPH_KEY)?;
        let bad = |msg: String| {
            FormatError::malformed(&self.index_file, format!("{OBJECT_GRAPH_KEY}: {msg}"))
        };
        let values = tensor
            .as_slice::<Vec<u8>>()
            .map_err(|e| bad(e.to_string()))?;
        let [bytes] = values else {
            return Err(bad(format!("expected one string, found {}", values.len())));
        };
        TrackableObjectGraph::decode(bytes.as_slice())
            .map(Some)
            .map_err(|e| bad(format!("bad TrackableObjectGraph: {e}")))
    }

    /// The entry of tensor `name` (never the header or a slice entry).
    fn entry(&self, name: &str) -> Result<&Entry> {
        self.get(name)
            .and_then(|_| self.entries.get(name.as_bytes()))
            .ok_or_else(|| {
                FormatError::NotFound(format!("{}: no tensor named {name:?}", self.index_file))
            })
    }

    /// A stored tensor's bytes after checking the entry CRC (numeric only).
    fn checked_bytes(&self, name: &str, location: Location) -> Result<&[u8]> {
        let shard = self.shard(location)?;
        let bytes = shard.range(location.offset, location.size, name)?;
        let computed = super::coding::masked_crc32c(bytes);
        if computed != location.crc {
            return Err(FormatError::malformed(
                shard.name(),
                format!(
                    "tensor {name:?}: data checksum mismatch (entry says {:#010x}, bytes give {computed:#010x})",
                    location.crc
                ),
            ));
        }
        Ok(bytes)
    }

    fn shard(&self, location: Location) -> Result<&super::data::Shard> {
        self.shards.get(location.shard).ok_or_else(|| {
            FormatError::malformed(
                &self.index_file,
                format!("no data shard {}", location.shard),
            )
        })
    }

    /// Reads a non-partitioned tensor.
    fn read_stored(&self, name: &str, entry: &Entry, location: Location) -> Result<Tensor> {
        let shard = self.shard(location)?;
        let bad =
            |msg: String| FormatError::malformed(shard.name(), format!("tensor {name:?}: {msg}"));
        if entry.dtype == DType::String {
            let values = self.read_strings(name, entry, location)?;
            return Tensor::from_vec(entry.shape.clone(), values).map_err(|e| bad(e.to_string()));
        }
        let bytes = self.checked_bytes(name, location)?;
        let tensor = decode_numeric(entry.dtype, &entry.shape, bytes, self.header.big_endian);
        // The tensor is a copy: the mapped bytes need not stay resident
        // (loading a model would otherwise hold the checkpoint twice).
        shard.release_range(location.offset, location.size);
        tensor.map_err(bad)
    }

    /// Decodes and checksums the strings of one stored entry.
    fn read_strings(&self, name: &str, entry: &Entry, location: Location) -> Result<Vec<Vec<u8>>> {
        let shard = self.shard(location)?;
        let bad =
            |msg: String| FormatError::malformed(shard.name(), format!("tensor {name:?}: {msg}"));
        if self.header.big_endian {
            return Err(FormatError::unsupported(
                shard.name(),
                format!("tensor {name:?}: string tensors of big-endian bundles are not supported"),
            ));
        }
        let bytes = shard.range(location.offset, location.size, name)?;
        let decoded = decode_strings(bytes, entry.elements).map_err(bad)?;
        if decoded.entry_crc != location.crc {
            return Err(bad(format!(
                "data checksum mismatch (entry says {:#010x}, bytes give {:#010x})",
                location.crc, decoded.entry_crc
            )));
        }
        Ok(decoded.values)
    }

    /// Reassembles a partitioned tensor from its slice entries.
    fn read_partitioned(&self, name: &str, entry: &Entry) -> Result<Tensor> {
        let bad = |msg: String| {
            FormatError::malformed(&self.index_file, format!("tensor {name:?}: {msg}"))
        };
        let pieces = self.pieces(name, entry)?;
        let rects: Vec<_> = pieces.iter().map(|p| p.rect.clone()).collect();
        let mut assembler = Assembler::new(&entry.shape, entry.elements, &rects).map_err(&bad)?;
        if entry.dtype == DType::String {
            let mut out = vec![Vec::new(); entry.elements];
            for piece in &pieces {
                let values = self.read_strings(name, piece.entry, piece.location)?;
                assembler
                    .place(&piece.rect, |dst, src, len| {
                        let from = values
                            .get(src..src.saturating_add(len))
                            .ok_or("slice too short")?;
                        let to = out
                            .get_mut(dst..dst.saturating_add(len))
                            .ok_or("slice out of range")?;
                        to.clone_from_slice(from);
                        Ok(())
                    })
                    .map_err(&bad)?;
            }
            return Tensor::from_vec(entry.shape.clone(), out).map_err(|e| bad(e.to_string()));
        }
        let width = entry.dtype.size_of().unwrap_or(1);
        let mut out = vec![0u8; entry.elements.saturating_mul(width)];
        for piece in &pieces {
            let bytes = self.checked_bytes(name, piece.location)?;
            assembler
                .place(&piece.rect, |dst, src, len| {
                    let span = |at: usize| {
                        (
                            at.saturating_mul(width),
                            at.saturating_add(len).saturating_mul(width),
                        )
                    };
                    let ((s0, s1), (d0, d1)) = (span(src), span(dst));
                    let from = bytes.get(s0..s1).ok_or("slice too short")?;
                    out.get_mut(d0..d1)
                        .ok_or("slice out of range")?
                        .copy_from_slice(from);
                    Ok(())
                })
                .map_err(&bad)?;
        }
        decode_numeric(entry.dtype, &entry.shape, &out, self.header.big_endian).map_err(bad)
    }

    /// Finds and checks every slice entry of a partitioned tensor.
    fn pieces<'a>(&'a self, name: &str, entry: &Entry) -> Result<Vec<Piece<'a>>> {
        let bad = |msg: String| {
            FormatError::malformed(&self.index_file, format!("tensor {name:?}: {msg}"))
        };
        entry
            .slices
            .iter()
            .enumerate()
            .map(|(i, extents)| {
                let rect = resolve(extents, &entry.shape);
                let key = slice_key(name.as_bytes(), extents);
                let slice = self
                    .entries
                    .get(&key)
                    .ok_or_else(|| bad(format!("slice {i} {rect:?} has no entry in the index")))?;
                let lengths: Vec<usize> = rect.iter().map(|&(_, len)| len).collect();
                if slice.dtype != entry.dtype || slice.shape != lengths {
                    return Err(bad(format!(
                        "slice {i} entry is {} {:?}, expected {} {lengths:?}",
                        slice.dtype, slice.shape, entry.dtype
                    )));
                }
                let location = slice
                    .location
                    .ok_or_else(|| bad(format!("slice {i} entry is itself partitioned")))?;
                Ok(Piece {
                    rect,
                    entry: slice,
                    location,
                })
            })
            .collect()
    }
}
