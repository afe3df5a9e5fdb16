//! Check a Parquet file before polars decodes it.
//!
//! polars trusts a file's footer and pages: a corrupt one can make it panic
//! (an unwrap, a slice out of range) or ask for an allocation no machine
//! has, which aborts the process. moneytrail reads the footer itself with a
//! bounded Thrift reader ([`thrift`](super::thrift)), strictly by the
//! Parquet format's types, and walks every page of the columns it will
//! read: page headers, sizes, decompression to exactly the stated size,
//! definition levels, dictionary indices and the lengths inside the value
//! encodings, each bounded by the values the page holds. Only a file that
//! passes goes to polars; a panic polars still raises is contained at the
//! reader's boundary ([`contain`](crate::contain)).
//!
//! What is accepted: flat columns (no nesting) of the physical types of
//! the format, compressed with none, Snappy, gzip, Brotli, zstd or LZ4
//! (raw), in the encodings PLAIN, RLE, dictionary, the three DELTA ones
//! and BYTE_STREAM_SPLIT; no encryption, no column chunks in other files.

use super::thrift::{wire, Reader, ThriftResult};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

/// Physical types.
mod physical {
    pub(super) const BOOLEAN: i32 = 0;
    pub(super) const INT32: i32 = 1;
    pub(super) const INT64: i32 = 2;
    pub(super) const INT96: i32 = 3;
    pub(super) const FLOAT: i32 = 4;
    pub(super) const DOUBLE: i32 = 5;
    pub(super) const BYTE_ARRAY: i32 = 6;
    pub(super) const FIXED_LEN_BYTE_ARRAY: i32 = 7;
}

/// Encodings.
mod encoding {
    pub(super) const PLAIN: i32 = 0;
    pub(super) const PLAIN_DICTIONARY: i32 = 2;
    pub(super) const RLE: i32 = 3;
    pub(super) const DELTA_BINARY_PACKED: i32 = 5;
    pub(super) const DELTA_LENGTH_BYTE_ARRAY: i32 = 6;
    pub(super) const DELTA_BYTE_ARRAY: i32 = 7;
    pub(super) const RLE_DICTIONARY: i32 = 8;
    pub(super) const BYTE_STREAM_SPLIT: i32 = 9;
}

/// Compression codecs.
mod codec {
    pub(super) const UNCOMPRESSED: i32 = 0;
    pub(super) const SNAPPY: i32 = 1;
    pub(super) const GZIP: i32 = 2;
    pub(super) const BROTLI: i32 = 4;
    pub(super) const ZSTD: i32 = 6;
    pub(super) const LZ4_RAW: i32 = 7;
}

/// Most elements a footer list may hold (row groups, columns, schema
/// elements): far above any real file, and small enough that a decoder's
/// pre-sized vector of them fits in memory.
const MAX_LIST: usize = 1 << 20;

/// Largest page, decompressed: 1 GiB (writers use about 1 MiB).
const MAX_PAGE: usize = 1 << 30;

/// Most a page may expand in decompression (real ratios stay far below).
const MAX_RATIO: usize = 4096;

/// A top-level field of the file.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    /// The name.
    pub(crate) name: String,
    /// The leaf column, when the field is a flat primitive column.
    leaf: Option<usize>,
}

/// A leaf column.
#[derive(Debug, Clone, Copy)]
struct Leaf {
    physical: i32,
    type_length: usize,
    /// Highest definition level (0 required, 1 optional, more when nested).
    max_def: u32,
    nested: bool,
}

/// A column chunk's place and size.
#[derive(Debug, Clone, Copy)]
struct Chunk {
    codec: i32,
    num_values: u64,
    start: u64,
    len: u64,
}

#[derive(Debug, Clone)]
struct RowGroup {
    num_rows: u64,
    chunks: Vec<Chunk>,
}

/// What the footer says, once checked.
#[derive(Debug, Clone)]
pub(crate) struct Footer {
    /// Top-level fields, in order.
    pub(crate) fields: Vec<Field>,
    leaves: Vec<Leaf>,
    row_groups: Vec<RowGroup>,
    /// Rows in all row groups.
    pub(crate) rows: u64,
}

/// Read and check the footer of a file of `len` bytes.
pub(crate) fn footer(file: &mut File, len: u64) -> Result<Footer, String> {
    if len < 12 {
        return Err(format!("{len} bytes is too short for a Parquet file"));
    }
    let mut tail = [0u8; 8];
    read_at(file, len - 8, &mut tail)?;
    if &tail[4..] != b"PAR1" {
        return Err("the file does not end with the Parquet magic bytes PAR1".into());
    }
    let footer_len = u64::from(u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]));
    if footer_len > len - 12 {
        return Err(format!(
            "the footer claims {footer_len} bytes, more than the file's {len}"
        ));
    }
    let footer_start = len - 8 - footer_len;
    let mut bytes = vec![0u8; footer_len as usize];
    read_at(file, footer_start, &mut bytes)?;
    let mut r = Reader::new(&bytes);
    let meta = file_metadata(&mut r).map_err(|e| format!("the footer is corrupt: {e}"))?;
    meta.check(footer_start)
}

fn read_at(file: &mut File, at: u64, buf: &mut [u8]) -> Result<(), String> {
    file.seek(SeekFrom::Start(at))
        .and_then(|_| file.read_exact(buf))
        .map_err(|e| format!("cannot read {} bytes at {at}: {e}", buf.len()))
}

/// The footer's fields that matter, as read.
#[derive(Default)]
struct RawMetadata {
    schema: Vec<RawSchema>,
    row_groups: Vec<RawRowGroup>,
    encrypted: bool,
}

#[derive(Default)]
struct RawSchema {
    name: Option<String>,
    physical: Option<i32>,
    type_length: Option<i32>,
    repetition: Option<i32>,
    num_children: Option<i32>,
}

#[derive(Default)]
struct RawRowGroup {
    num_rows: Option<i64>,
    columns: Vec<RawChunk>,
}

#[derive(Default)]
struct RawChunk {
    file_path: bool,
    encrypted: bool,
    physical: Option<i32>,
    codec: Option<i32>,
    num_values: Option<i64>,
    total_compressed: Option<i64>,
    data_page_offset: Option<i64>,
    dictionary_page_offset: Option<i64>,
    has_meta: bool,
}

/// Everything polars' footer decoder reads is read here too, with the
/// wire type the format gives it: a field of another type is an error
/// (polars would misread it, or panic on a boolean).
fn file_metadata(r: &mut Reader<'_>) -> ThriftResult<RawMetadata> {
    let mut m = RawMetadata::default();
    r.structure(|r, id, ty| {
        match id {
            1 => drop(r.i32(ty, "version")?),
            2 => m.schema = bounded(r.struct_list(ty, "schema", schema_element)?, r)?,
            3 => drop(r.i64(ty, "num_rows")?),
            4 => m.row_groups = bounded(r.struct_list(ty, "row_groups", row_group)?, r)?,
            5 => drop(bounded(
                r.struct_list(ty, "key_value_metadata", key_value)?,
                r,
            )?),
            6 => drop(r.string(ty, "created_by")?),
            7 => drop(bounded(
                r.struct_list(ty, "column_orders", column_order)?,
                r,
            )?),
            8 | 9 => {
                m.encrypted = true;
                return Ok(false);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(m)
}

fn bounded<T>(list: Vec<T>, r: &Reader<'_>) -> ThriftResult<Vec<T>> {
    if list.len() > MAX_LIST {
        return r.error(format!("a list of {} elements", list.len()));
    }
    Ok(list)
}

fn schema_element(r: &mut Reader<'_>) -> ThriftResult<RawSchema> {
    let mut s = RawSchema::default();
    r.structure(|r, id, ty| {
        match id {
            1 => s.physical = Some(r.i32(ty, "type")?),
            2 => s.type_length = Some(r.i32(ty, "type_length")?),
            3 => s.repetition = Some(r.i32(ty, "repetition_type")?),
            4 => s.name = Some(r.string(ty, "name")?),
            5 => s.num_children = Some(r.i32(ty, "num_children")?),
            6..=9 => drop(r.i32(ty, "schema element")?),
            10 => logical_type(r, ty)?,
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(s)
}

fn expect_struct(r: &Reader<'_>, ty: u8, name: &str) -> ThriftResult<()> {
    if ty == wire::STRUCT {
        Ok(())
    } else {
        r.error(format!("field {name} should be a struct (wire type {ty})"))
    }
}

/// A union: exactly one of its known members, each read by `member`.
fn union(
    r: &mut Reader<'_>,
    ty: u8,
    name: &str,
    mut member: impl FnMut(&mut Reader<'_>, i16, u8) -> ThriftResult<bool>,
) -> ThriftResult<()> {
    expect_struct(r, ty, name)?;
    let mut set = 0;
    r.structure(|r, id, ty| {
        let known = member(r, id, ty)?;
        set += usize::from(known);
        Ok(known)
    })?;
    if set != 1 {
        return r.error(format!(
            "the {name} union has {set} known members set, not 1"
        ));
    }
    Ok(())
}

fn empty_struct(r: &mut Reader<'_>, ty: u8, name: &str) -> ThriftResult<()> {
    expect_struct(r, ty, name)?;
    r.structure(|_, _, _| Ok(false))
}

fn logical_type(r: &mut Reader<'_>, ty: u8) -> ThriftResult<()> {
    union(r, ty, "LogicalType", |r, id, ty| {
        match id {
            1..=4 | 6 | 11..=15 => empty_struct(r, ty, "LogicalType")?,
            5 => {
                expect_struct(r, ty, "DecimalType")?;
                r.structure(|r, id, ty| {
                    match id {
                        1 | 2 => drop(r.i32(ty, "DecimalType")?),
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
            }
            7 | 8 => {
                expect_struct(r, ty, "TimestampType")?;
                r.structure(|r, id, ty| {
                    match id {
                        1 => drop(r.bool_field(ty, "isAdjustedToUTC")?),
                        2 => union(r, ty, "TimeUnit", |r, id, ty| {
                            if (1..=3).contains(&id) {
                                empty_struct(r, ty, "TimeUnit")?;
                                Ok(true)
                            } else {
                                Ok(false)
                            }
                        })?,
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
            }
            10 => {
                expect_struct(r, ty, "IntType")?;
                r.structure(|r, id, ty| {
                    match id {
                        1 => drop(r.i32(ty, "bitWidth")?),
                        2 => drop(r.bool_field(ty, "isSigned")?),
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    })
}

fn key_value(r: &mut Reader<'_>) -> ThriftResult<()> {
    r.structure(|r, id, ty| {
        match id {
            1 | 2 => drop(r.string(ty, "key_value")?),
            _ => return Ok(false),
        }
        Ok(true)
    })
}

fn column_order(r: &mut Reader<'_>) -> ThriftResult<()> {
    let mut set = 0;
    r.structure(|r, id, ty| {
        if id == 1 || id == 2 {
            empty_struct(r, ty, "ColumnOrder")?;
            set += 1;
            return Ok(true);
        }
        Ok(false)
    })?;
    if set != 1 {
        return r.error("a ColumnOrder union with no known member");
    }
    Ok(())
}

fn row_group(r: &mut Reader<'_>) -> ThriftResult<RawRowGroup> {
    let mut g = RawRowGroup::default();
    r.structure(|r, id, ty| {
        match id {
            1 => g.columns = bounded(r.struct_list(ty, "columns", column_chunk)?, r)?,
            2 | 5 | 6 => drop(r.i64(ty, "row group")?),
            3 => g.num_rows = Some(r.i64(ty, "num_rows")?),
            4 => drop(bounded(
                r.struct_list(ty, "sorting_columns", sorting_column)?,
                r,
            )?),
            7 => drop(r.int16(ty)?),
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(g)
}

fn sorting_column(r: &mut Reader<'_>) -> ThriftResult<()> {
    r.structure(|r, id, ty| {
        match id {
            1 => drop(r.i32(ty, "column_idx")?),
            2 | 3 => drop(r.bool_field(ty, "sorting column")?),
            _ => return Ok(false),
        }
        Ok(true)
    })
}

fn column_chunk(r: &mut Reader<'_>) -> ThriftResult<RawChunk> {
    let mut c = RawChunk::default();
    r.structure(|r, id, ty| {
        match id {
            1 => {
                r.binary(ty, "file_path")?;
                c.file_path = true;
            }
            2 | 4 | 6 => drop(r.i64(ty, "column chunk")?),
            3 => {
                expect_struct(r, ty, "meta_data")?;
                column_metadata(r, &mut c)?;
                c.has_meta = true;
            }
            5 | 7 => drop(r.i32(ty, "column chunk")?),
            8 | 9 => {
                c.encrypted = true;
                return Ok(false);
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(c)
}

fn column_metadata(r: &mut Reader<'_>, c: &mut RawChunk) -> ThriftResult<()> {
    r.structure(|r, id, ty| {
        match id {
            1 => c.physical = Some(r.i32(ty, "type")?),
            2 => drop(r.i32_list(ty, "encodings")?),
            3 => drop(r.string_list(ty, "path_in_schema")?),
            4 => c.codec = Some(r.i32(ty, "codec")?),
            5 => c.num_values = Some(r.i64(ty, "num_values")?),
            6 | 10 | 14 => drop(r.i64(ty, "column metadata")?),
            7 => c.total_compressed = Some(r.i64(ty, "total_compressed_size")?),
            8 => drop(bounded(
                r.struct_list(ty, "key_value_metadata", key_value)?,
                r,
            )?),
            9 => c.data_page_offset = Some(r.i64(ty, "data_page_offset")?),
            11 => c.dictionary_page_offset = Some(r.i64(ty, "dictionary_page_offset")?),
            12 => {
                expect_struct(r, ty, "statistics")?;
                statistics(r)?;
            }
            15 => drop(r.i32(ty, "bloom_filter_length")?),
            _ => return Ok(false),
        }
        Ok(true)
    })
}

fn statistics(r: &mut Reader<'_>) -> ThriftResult<()> {
    r.structure(|r, id, ty| {
        match id {
            1 | 2 | 5 | 6 => drop(r.binary(ty, "statistics")?),
            3 | 4 => drop(r.i64(ty, "statistics")?),
            7 | 8 => drop(r.bool_field(ty, "statistics")?),
            _ => return Ok(false),
        }
        Ok(true)
    })
}

impl Reader<'_> {
    fn int16(&mut self, ty: u8) -> ThriftResult<i16> {
        if ty != wire::I16 {
            return self.error(format!("field ordinal should be an i16 (wire type {ty})"));
        }
        let v = self.i32(ty, "ordinal")?;
        i16::try_from(v).or_else(|_| self.error("ordinal out of range"))
    }
}

impl RawMetadata {
    fn check(self, footer_start: u64) -> Result<Footer, String> {
        if self.encrypted {
            return Err("encrypted Parquet files are not supported".into());
        }
        let (fields, leaves) = schema_tree(&self.schema)?;
        let mut row_groups = Vec::with_capacity(self.row_groups.len());
        let mut rows = 0u64;
        for (g, raw) in self.row_groups.into_iter().enumerate() {
            let num_rows = raw
                .num_rows
                .and_then(|n| u64::try_from(n).ok())
                .ok_or_else(|| format!("row group {g} has no valid row count"))?;
            rows = rows
                .checked_add(num_rows)
                .ok_or("the row counts overflow")?;
            if raw.columns.len() != leaves.len() {
                return Err(format!(
                    "row group {g} has {} column chunks; the schema has {} columns",
                    raw.columns.len(),
                    leaves.len()
                ));
            }
            let mut chunks = Vec::with_capacity(leaves.len());
            for (k, (c, leaf)) in raw.columns.iter().zip(&leaves).enumerate() {
                let at = || format!("row group {g}, column {k}");
                if c.file_path {
                    return Err(format!(
                        "{}: column chunks in other files are not supported",
                        at()
                    ));
                }
                if c.encrypted {
                    return Err(format!("{}: encrypted columns are not supported", at()));
                }
                if !c.has_meta {
                    return Err(format!("{}: no column metadata", at()));
                }
                if c.physical != Some(leaf.physical) {
                    return Err(format!("{}: its type differs from the schema's", at()));
                }
                let codec = c.codec.ok_or_else(|| format!("{}: no codec", at()))?;
                if !matches!(
                    codec,
                    codec::UNCOMPRESSED
                        | codec::SNAPPY
                        | codec::GZIP
                        | codec::BROTLI
                        | codec::ZSTD
                        | codec::LZ4_RAW
                ) {
                    return Err(format!(
                        "{}: compression codec {codec} is not supported",
                        at()
                    ));
                }
                let num_values = c
                    .num_values
                    .and_then(|n| u64::try_from(n).ok())
                    .ok_or_else(|| format!("{}: no valid value count", at()))?;
                if !leaf.nested && num_values != num_rows {
                    return Err(format!(
                        "{}: {num_values} values in a row group of {num_rows} rows",
                        at()
                    ));
                }
                let offset = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
                let data = offset(c.data_page_offset)
                    .ok_or_else(|| format!("{}: no valid data page offset", at()))?;
                let start = match c.dictionary_page_offset {
                    Some(d) => {
                        offset(Some(d)).ok_or_else(|| format!("{}: bad dictionary offset", at()))?
                    }
                    None => data,
                };
                let len = offset(c.total_compressed)
                    .ok_or_else(|| format!("{}: no valid compressed size", at()))?;
                let end = start
                    .checked_add(len)
                    .ok_or_else(|| format!("{}: bad size", at()))?;
                if start < 4 || end > footer_start || data < start || data >= end.max(start + 1) {
                    return Err(format!(
                        "{}: its bytes {start}..{end} are not within the data ({}..{footer_start})",
                        at(),
                        4
                    ));
                }
                chunks.push(Chunk {
                    codec,
                    num_values,
                    start,
                    len,
                });
            }
            row_groups.push(RowGroup { num_rows, chunks });
        }
        Ok(Footer {
            fields,
            leaves,
            row_groups,
            rows,
        })
    }
}

/// The schema elements as a tree: top-level fields and leaf columns.
fn schema_tree(schema: &[RawSchema]) -> Result<(Vec<Field>, Vec<Leaf>), String> {
    let root = schema.first().ok_or("the schema is empty")?;
    let top = root
        .num_children
        .filter(|&n| n >= 0)
        .ok_or("the schema's root is not a group")?;
    let mut next = 1usize;
    let mut fields = Vec::new();
    let mut leaves = Vec::new();
    for _ in 0..top {
        let first_leaf = leaves.len();
        let name = element(schema, &mut next, 0, 0, &mut leaves)?;
        let leaf =
            (leaves.len() == first_leaf + 1 && !leaves[first_leaf].nested).then_some(first_leaf);
        fields.push(Field { name, leaf });
    }
    if next != schema.len() {
        return Err(format!(
            "the schema has {} elements, but its tree holds {next}",
            schema.len()
        ));
    }
    Ok((fields, leaves))
}

fn element(
    schema: &[RawSchema],
    next: &mut usize,
    depth: u32,
    def: u32,
    leaves: &mut Vec<Leaf>,
) -> Result<String, String> {
    if depth > 32 {
        return Err("the schema nests too deep".into());
    }
    let e = schema
        .get(*next)
        .ok_or("the schema's tree has more elements than the schema")?;
    *next += 1;
    let name = e.name.clone().ok_or("a schema element has no name")?;
    let def = match e.repetition {
        Some(0) => def,
        Some(1) | Some(2) => def + 1,
        _ => return Err(format!("column {name:?} has no valid repetition")),
    };
    let repeated = e.repetition == Some(2);
    match (e.num_children, e.physical) {
        (Some(n), _) if n > 0 => {
            for _ in 0..n {
                element(schema, next, depth + 1, def, leaves)?;
            }
        }
        (None | Some(0), Some(physical)) if (0..=7).contains(&physical) => {
            let type_length = match physical {
                physical::FIXED_LEN_BYTE_ARRAY => e
                    .type_length
                    .and_then(|l| usize::try_from(l).ok())
                    .filter(|&l| (1..=1 << 16).contains(&l))
                    .ok_or_else(|| format!("column {name:?} has no valid fixed length"))?,
                _ => 0,
            };
            // a leaf inside a group, or repeated, is nested
            leaves.push(Leaf {
                physical,
                type_length,
                max_def: def,
                nested: repeated || depth > 0,
            });
        }
        _ => {
            return Err(format!(
                "column {name:?} is neither a group nor a known type"
            ))
        }
    }
    Ok(name)
}

/// Read each column chunk of `leaf_columns` (leaf indexes of top-level
/// flat fields) and check its pages. Fields that are nested are an error.
pub(crate) fn pages(file: &mut File, footer: &Footer, fields: &[usize]) -> Result<(), String> {
    for &f in fields {
        let field = &footer.fields[f];
        let Some(leaf) = field.leaf else {
            return Err(format!(
                "column {:?} is nested; the transfers layout needs flat columns",
                field.name
            ));
        };
        for (g, group) in footer.row_groups.iter().enumerate() {
            let chunk = group.chunks[leaf];
            let mut bytes = vec![0u8; usize::try_from(chunk.len).map_err(|_| "chunk too large")?];
            read_at(file, chunk.start, &mut bytes)?;
            check_chunk(&bytes, &chunk, &footer.leaves[leaf], group.num_rows)
                .map_err(|e| format!("column {:?}, row group {g}: {e}", field.name))?;
        }
    }
    Ok(())
}

/// What a page header says.
#[derive(Default)]
struct PageHeader {
    kind: Option<i32>,
    uncompressed: Option<i32>,
    compressed: Option<i32>,
    /// num_values, encoding, def level encoding (v1).
    v1: Option<(i32, i32, i32)>,
    /// num_values, encoding.
    dict: Option<(i32, i32)>,
    /// num_values, num_nulls, num_rows, encoding, def bytes, rep bytes, compressed.
    v2: Option<(i32, i32, i32, i32, i32, i32, bool)>,
}

fn page_header(r: &mut Reader<'_>) -> ThriftResult<PageHeader> {
    let mut h = PageHeader::default();
    r.structure(|r, id, ty| {
        match id {
            1 => h.kind = Some(r.i32(ty, "type")?),
            2 => h.uncompressed = Some(r.i32(ty, "uncompressed_page_size")?),
            3 => h.compressed = Some(r.i32(ty, "compressed_page_size")?),
            4 => drop(r.i32(ty, "crc")?),
            5 => {
                expect_struct(r, ty, "data_page_header")?;
                let mut v = (None, None, None);
                r.structure(|r, id, ty| {
                    match id {
                        1 => v.0 = Some(r.i32(ty, "num_values")?),
                        2 => v.1 = Some(r.i32(ty, "encoding")?),
                        3 => v.2 = Some(r.i32(ty, "definition_level_encoding")?),
                        4 => drop(r.i32(ty, "repetition_level_encoding")?),
                        5 => {
                            expect_struct(r, ty, "statistics")?;
                            statistics(r)?;
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                match v {
                    (Some(a), Some(b), Some(c)) => h.v1 = Some((a, b, c)),
                    _ => return r.error("a data page header lacks a field"),
                }
            }
            6 => empty_struct(r, ty, "index_page_header")?,
            7 => {
                expect_struct(r, ty, "dictionary_page_header")?;
                let mut v = (None, None);
                r.structure(|r, id, ty| {
                    match id {
                        1 => v.0 = Some(r.i32(ty, "num_values")?),
                        2 => v.1 = Some(r.i32(ty, "encoding")?),
                        3 => drop(r.bool_field(ty, "is_sorted")?),
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                match v {
                    (Some(a), Some(b)) => h.dict = Some((a, b)),
                    _ => return r.error("a dictionary page header lacks a field"),
                }
            }
            8 => {
                expect_struct(r, ty, "data_page_header_v2")?;
                let mut v = [None; 6];
                let mut compressed = true;
                r.structure(|r, id, ty| {
                    match id {
                        1..=6 => v[id as usize - 1] = Some(r.i32(ty, "data page v2")?),
                        7 => compressed = r.bool_field(ty, "is_compressed")?,
                        8 => {
                            expect_struct(r, ty, "statistics")?;
                            statistics(r)?;
                        }
                        _ => return Ok(false),
                    }
                    Ok(true)
                })?;
                match v {
                    [Some(a), Some(b), Some(c), Some(d), Some(e), Some(f)] => {
                        h.v2 = Some((a, b, c, d, e, f, compressed));
                    }
                    _ => return r.error("a v2 data page header lacks a field"),
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    })?;
    Ok(h)
}

fn size(v: Option<i32>, what: &str) -> Result<usize, String> {
    v.and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| format!("the page has no valid {what}"))
}

/// Walk the pages of one column chunk, as polars will: pages until the
/// chunk's values are all seen.
fn check_chunk(bytes: &[u8], chunk: &Chunk, leaf: &Leaf, rows: u64) -> Result<(), String> {
    let mut pos = 0usize;
    let mut seen = 0u64;
    let mut dictionary: Option<usize> = None;
    let mut page = 0usize;
    while seen < chunk.num_values {
        if pos >= bytes.len() {
            return Err(format!(
                "the pages hold {seen} of the chunk's {} values",
                chunk.num_values
            ));
        }
        let mut r = Reader::new(&bytes[pos..]);
        let h = page_header(&mut r).map_err(|e| format!("page {page}: bad header: {e}"))?;
        pos += r.position();
        let compressed = size(h.compressed, "compressed size")?;
        let uncompressed = size(h.uncompressed, "uncompressed size")?;
        if compressed > bytes.len() - pos {
            return Err(format!(
                "page {page} claims {compressed} bytes, {} are left in the chunk",
                bytes.len() - pos
            ));
        }
        let body = &bytes[pos..pos + compressed];
        pos += compressed;
        let at = |e: String| format!("page {page}: {e}");
        match h.kind {
            Some(2) => {
                let (n, enc) = h
                    .dict
                    .ok_or_else(|| at("a dictionary page without its header".into()))?;
                if dictionary.is_some() || seen > 0 {
                    return Err(at("a second dictionary page, or one after data".into()));
                }
                if enc != encoding::PLAIN && enc != encoding::PLAIN_DICTIONARY {
                    return Err(at(format!("dictionary encoding {enc} is not supported")));
                }
                let n = usize::try_from(n).map_err(|_| at("a negative dictionary size".into()))?;
                let data = decompress(chunk.codec, body, uncompressed).map_err(at)?;
                plain(&data, leaf, n).map_err(at)?;
                dictionary = Some(n);
            }
            Some(0) => {
                let (n, enc, def_enc) =
                    h.v1.ok_or_else(|| at("a data page without its header".into()))?;
                let n = usize::try_from(n).map_err(|_| at("a negative value count".into()))?;
                let data = decompress(chunk.codec, body, uncompressed).map_err(at)?;
                let mut rest = &data[..];
                let valid = if leaf.max_def > 0 {
                    if def_enc != encoding::RLE {
                        return Err(at(format!(
                            "definition level encoding {def_enc} is not supported"
                        )));
                    }
                    let (levels, after) = length_prefixed(rest).map_err(at)?;
                    rest = after;
                    levels_valid(levels, leaf.max_def, n).map_err(at)?
                } else {
                    n
                };
                values(rest, leaf, enc, valid, dictionary).map_err(at)?;
                seen += n as u64;
            }
            Some(3) => {
                let (n, nulls, page_rows, enc, def_len, rep_len, is_compressed) =
                    h.v2.ok_or_else(|| at("a v2 data page without its header".into()))?;
                let n = usize::try_from(n).map_err(|_| at("a negative value count".into()))?;
                let nulls =
                    usize::try_from(nulls).map_err(|_| at("a negative null count".into()))?;
                let def_len =
                    usize::try_from(def_len).map_err(|_| at("a negative level size".into()))?;
                let rep_len =
                    usize::try_from(rep_len).map_err(|_| at("a negative level size".into()))?;
                if nulls > n || page_rows < 0 || rep_len != 0 && !leaf.nested {
                    return Err(at("inconsistent v2 page counts".into()));
                }
                let levels_len = def_len.checked_add(rep_len).filter(|&l| l <= body.len());
                let levels_len =
                    levels_len.ok_or_else(|| at("the levels run past the page".into()))?;
                let valid = if leaf.max_def > 0 {
                    levels_valid(&body[rep_len..levels_len], leaf.max_def, n).map_err(at)?
                } else {
                    n
                };
                let rest = uncompressed
                    .checked_sub(levels_len)
                    .ok_or_else(|| at("the levels are larger than the page".into()))?;
                let data = if is_compressed {
                    decompress(chunk.codec, &body[levels_len..], rest).map_err(at)?
                } else {
                    if body.len() - levels_len != rest {
                        return Err(at("an uncompressed page of the wrong size".into()));
                    }
                    body[levels_len..].to_vec()
                };
                values(&data, leaf, enc, valid, dictionary).map_err(at)?;
                seen += n as u64;
            }
            Some(kind) => return Err(at(format!("page type {kind} is not supported"))),
            None => return Err(at("a page without a type".into())),
        }
        if seen > chunk.num_values {
            return Err(format!(
                "the pages hold {seen} values, more than the chunk's {}",
                chunk.num_values
            ));
        }
        page += 1;
    }
    if !leaf.nested && seen != rows {
        return Err(format!("{seen} values in a row group of {rows} rows"));
    }
    Ok(())
}

/// Decompress a page body to exactly `size` bytes.
fn decompress(codec: i32, body: &[u8], size: usize) -> Result<Vec<u8>, String> {
    if size > MAX_PAGE {
        return Err(format!("a page of {size} bytes is larger than 1 GiB"));
    }
    if codec == codec::UNCOMPRESSED {
        if body.len() != size {
            return Err(format!(
                "an uncompressed page of {} bytes says it holds {size}",
                body.len()
            ));
        }
        return Ok(body.to_vec());
    }
    if size > body.len().saturating_mul(MAX_RATIO).saturating_add(1 << 16) {
        return Err(format!(
            "{} compressed bytes cannot hold {size} (more than {MAX_RATIO}:1)",
            body.len()
        ));
    }
    let mut out = vec![0u8; size];
    let got = match codec {
        codec::SNAPPY => {
            let stated = snap::raw::decompress_len(body).map_err(|e| format!("Snappy: {e}"))?;
            if stated != size {
                return Err(format!("Snappy data of {stated} bytes in a page of {size}"));
            }
            snap::raw::Decoder::new()
                .decompress(body, &mut out)
                .map_err(|e| format!("Snappy: {e}"))?
        }
        codec::GZIP => read_all(flate2::read::MultiGzDecoder::new(body), &mut out, "gzip")?,
        codec::BROTLI => read_all(brotli::Decompressor::new(body, 4096), &mut out, "Brotli")?,
        codec::ZSTD => {
            let data = zstd::bulk::decompress(body, size).map_err(|e| format!("zstd: {e}"))?;
            let n = data.len();
            out[..n].copy_from_slice(&data);
            n
        }
        codec::LZ4_RAW => {
            let n = i32::try_from(size).map_err(|_| "page too large")?;
            lz4::block::decompress_to_buffer(body, Some(n), &mut out)
                .map_err(|e| format!("LZ4: {e}"))?
        }
        _ => return Err(format!("codec {codec} is not supported")),
    };
    if got != size {
        return Err(format!(
            "the page decompresses to {got} bytes, its header says {size}"
        ));
    }
    Ok(out)
}

/// Read a decompressor into `out`; an error if it holds more.
fn read_all(mut source: impl Read, out: &mut [u8], name: &str) -> Result<usize, String> {
    let mut n = 0;
    while n < out.len() {
        match source.read(&mut out[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(format!("{name}: {e}")),
        }
    }
    let mut extra = [0u8; 1];
    match source.read(&mut extra) {
        Ok(0) => Ok(n),
        Ok(_) => Err(format!("{name} data larger than its page")),
        Err(e) => Err(format!("{name}: {e}")),
    }
}

/// Split off a 4-byte little-endian length and that many bytes.
fn length_prefixed(data: &[u8]) -> Result<(&[u8], &[u8]), String> {
    if data.len() < 4 {
        return Err("a length prefix runs past the page".into());
    }
    let n = u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize;
    let rest = &data[4..];
    if n > rest.len() {
        return Err(format!("{n} bytes of levels in {} left", rest.len()));
    }
    Ok(rest.split_at(n))
}

fn bits_for(max: u64) -> u32 {
    64 - max.leading_zeros()
}

/// Definition levels of `n` values: none above `max_def`; returns how many
/// values are present (level `max_def`).
fn levels_valid(data: &[u8], max_def: u32, n: usize) -> Result<usize, String> {
    let width = bits_for(u64::from(max_def));
    let mut valid = 0usize;
    hybrid(data, width, n, |value, times| {
        if value > u64::from(max_def) {
            return Err(format!(
                "definition level {value} above the column's {max_def}"
            ));
        }
        if value == u64::from(max_def) {
            valid += times;
        }
        Ok(())
    })?;
    Ok(valid)
}

/// Walk an RLE / bit-packed hybrid run of exactly `n` values of `width`
/// bits, calling `each(value, times)`. Runs may not claim more values than
/// remain (the last bit-packed group pads to 8).
fn hybrid(
    data: &[u8],
    width: u32,
    n: usize,
    mut each: impl FnMut(u64, usize) -> Result<(), String>,
) -> Result<usize, String> {
    if width > 32 {
        return Err(format!("a bit width of {width}"));
    }
    let mut r = Reader::new(data);
    let mut done = 0usize;
    while done < n {
        let header = r.varint().map_err(|e| format!("runs end early: {e}"))?;
        let left = n - done;
        if header & 1 == 0 {
            let run = usize::try_from(header >> 1).unwrap_or(usize::MAX);
            if run == 0 || run > left {
                return Err(format!("a run of {run} values where {left} remain"));
            }
            let bytes = width.div_ceil(8) as usize;
            let raw = take(&mut r, data, bytes)?;
            let mut value = 0u64;
            for (i, b) in raw.iter().enumerate() {
                value |= u64::from(*b) << (8 * i);
            }
            if width < 64 && value >> width != 0 {
                return Err(format!("a run value {value} wider than {width} bits"));
            }
            each(value, run)?;
            done += run;
        } else {
            let groups = usize::try_from(header >> 1).unwrap_or(usize::MAX);
            if groups == 0 || groups > left.div_ceil(8) {
                return Err(format!(
                    "{groups} bit-packed groups where {left} values remain"
                ));
            }
            let bytes = groups * width as usize;
            let raw = take(&mut r, data, bytes)?;
            let count = (groups * 8).min(left);
            for i in 0..count {
                each(unpack(raw, i, width), 1)?;
            }
            done += count;
        }
    }
    Ok(r.position())
}

fn take<'a>(r: &mut Reader<'_>, data: &'a [u8], n: usize) -> Result<&'a [u8], String> {
    let at = r.position();
    if n > data.len() - at {
        return Err("a run's data runs past the page".into());
    }
    r.skip_bytes(n);
    Ok(&data[at..at + n])
}

/// The `i`-th value of `width` bits, packed least significant bit first.
fn unpack(raw: &[u8], i: usize, width: u32) -> u64 {
    let mut value = 0u64;
    for bit in 0..width as usize {
        let at = i * width as usize + bit;
        if raw[at / 8] >> (at % 8) & 1 == 1 {
            value |= 1 << bit;
        }
    }
    value
}

/// Fixed byte width of a physical type (`None` for byte arrays).
fn width(leaf: &Leaf) -> Option<usize> {
    match leaf.physical {
        physical::INT32 | physical::FLOAT => Some(4),
        physical::INT64 | physical::DOUBLE => Some(8),
        physical::INT96 => Some(12),
        physical::FIXED_LEN_BYTE_ARRAY => Some(leaf.type_length),
        _ => None,
    }
}

/// `n` PLAIN values.
fn plain(data: &[u8], leaf: &Leaf, n: usize) -> Result<(), String> {
    match leaf.physical {
        physical::BOOLEAN => {
            if n.div_ceil(8) > data.len() {
                return Err(format!("{n} booleans in {} bytes", data.len()));
            }
        }
        physical::BYTE_ARRAY => {
            let mut rest = data;
            for _ in 0..n {
                let (_, after) = length_prefixed(rest)?;
                rest = after;
            }
        }
        _ => {
            let w = width(leaf).unwrap_or(1);
            if n.checked_mul(w).is_none_or(|b| b > data.len()) {
                return Err(format!("{n} values of {w} bytes in {} bytes", data.len()));
            }
        }
    }
    Ok(())
}

/// The `n` present values of a data page in encoding `enc`.
fn values(
    data: &[u8],
    leaf: &Leaf,
    enc: i32,
    n: usize,
    dictionary: Option<usize>,
) -> Result<(), String> {
    match enc {
        encoding::PLAIN => plain(data, leaf, n),
        encoding::PLAIN_DICTIONARY | encoding::RLE_DICTIONARY => {
            let size = dictionary.ok_or("dictionary indices without a dictionary page")?;
            if n == 0 {
                return Ok(());
            }
            let (&width, runs) = data.split_first().ok_or("no bit width for the indices")?;
            hybrid(runs, u32::from(width), n, |index, _| {
                if index >= size as u64 {
                    return Err(format!("index {index} into a dictionary of {size}"));
                }
                Ok(())
            })
            .map(drop)
        }
        encoding::RLE if leaf.physical == physical::BOOLEAN => {
            let (runs, _) = length_prefixed(data)?;
            hybrid(runs, 1, n, |_, _| Ok(())).map(drop)
        }
        encoding::DELTA_BINARY_PACKED
            if matches!(leaf.physical, physical::INT32 | physical::INT64) =>
        {
            delta(data, n, |_| Ok(())).map(drop)
        }
        encoding::DELTA_LENGTH_BYTE_ARRAY if leaf.physical == physical::BYTE_ARRAY => {
            let mut total = 0u64;
            let used = delta(data, n, |len| {
                let len = u64::try_from(len).map_err(|_| "a negative length".to_string())?;
                total = total.saturating_add(len);
                Ok(())
            })?;
            if total > (data.len() - used) as u64 {
                return Err(format!(
                    "{total} bytes of values in {} left",
                    data.len() - used
                ));
            }
            Ok(())
        }
        encoding::DELTA_BYTE_ARRAY
            if matches!(
                leaf.physical,
                physical::BYTE_ARRAY | physical::FIXED_LEN_BYTE_ARRAY
            ) =>
        {
            let mut prefixes = Vec::with_capacity(n.min(data.len()));
            let used = delta(data, n, |p| {
                prefixes.push(u64::try_from(p).map_err(|_| "a negative prefix".to_string())?);
                Ok(())
            })?;
            let mut k = 0usize;
            let mut previous = 0u64;
            let mut total = 0u64;
            let more = delta(&data[used..], n, |s| {
                let s = u64::try_from(s).map_err(|_| "a negative suffix".to_string())?;
                let p = prefixes.get(k).copied().unwrap_or(0);
                if p > previous {
                    return Err(format!("a prefix of {p} bytes of a {previous}-byte value"));
                }
                previous = p.saturating_add(s);
                total = total.saturating_add(s);
                k += 1;
                Ok(())
            })?;
            if total > (data.len() - used - more) as u64 {
                return Err("the suffixes run past the page".into());
            }
            Ok(())
        }
        encoding::BYTE_STREAM_SPLIT => {
            let w = width(leaf).ok_or("BYTE_STREAM_SPLIT of byte arrays")?;
            if n.checked_mul(w) != Some(data.len()) {
                return Err(format!("{n} values of {w} bytes in {} bytes", data.len()));
            }
            Ok(())
        }
        other => Err(format!("encoding {other} is not supported for this column")),
    }
}

/// Walk a DELTA_BINARY_PACKED stream of exactly `n` values, calling `each`
/// with every value; returns the bytes used.
fn delta(
    data: &[u8],
    n: usize,
    mut each: impl FnMut(i64) -> Result<(), String>,
) -> Result<usize, String> {
    let mut r = Reader::new(data);
    let e = |e: super::thrift::ThriftError| format!("delta encoding: {e}");
    let block = r.varint().map_err(e)?;
    let minis = r.varint().map_err(e)?;
    let total = r.varint().map_err(e)?;
    let first = zigzag(r.varint().map_err(e)?);
    if block == 0 || block % 128 != 0 || block > 1 << 20 || minis == 0 || block % minis != 0 {
        return Err(format!("delta blocks of {block} in {minis} miniblocks"));
    }
    let per_mini = block / minis;
    if per_mini % 32 != 0 {
        return Err(format!("miniblocks of {per_mini} values"));
    }
    if total != n as u64 {
        return Err(format!(
            "a delta stream of {total} values where {n} are present"
        ));
    }
    if n == 0 {
        return Ok(r.position());
    }
    let mut value = first;
    each(value)?;
    let mut done = 1usize;
    while done < n {
        let min_delta = zigzag(r.varint().map_err(e)?);
        let widths = take(&mut r, data, minis as usize)?.to_vec();
        for &w in &widths {
            if done >= n {
                break;
            }
            if w > 64 {
                return Err(format!("a miniblock bit width of {w}"));
            }
            let bytes = per_mini as usize * w as usize / 8;
            let raw = take(&mut r, data, bytes)?;
            for i in 0..per_mini as usize {
                if done >= n {
                    break;
                }
                let packed = if w == 0 {
                    0
                } else {
                    unpack_wide(raw, i, u32::from(w))
                };
                value = value.wrapping_add(min_delta).wrapping_add(packed as i64);
                each(value)?;
                done += 1;
            }
        }
    }
    Ok(r.position())
}

fn zigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// `unpack` for widths up to 64 bits.
fn unpack_wide(raw: &[u8], i: usize, width: u32) -> u64 {
    let mut value = 0u64;
    for bit in 0..width as usize {
        let at = i * width as usize + bit;
        if raw[at / 8] >> (at % 8) & 1 == 1 {
            value |= 1u64 << bit;
        }
    }
    value
}
