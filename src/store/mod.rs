//! A time-partitioned store of transfers: load the source files once,
//! then every command reads the store's columns instead of parsing text,
//! and only the partitions of the time it asks for.
//!
//! A store is a folder of plain Parquet that polars, DuckDB and Spark read
//! as they are (the schema is in docs/store.md):
//!
//! ```text
//! DIR/manifest.json        format version, partition length, sources, partitions
//! DIR/accounts.parquet     id, key, institution, jurisdiction, kind, laundering
//! DIR/assets.parquet       id, code, virtual, decimals
//! DIR/transfers/*.parquet  one file per partition (or more, after appends), sorted by time
//! DIR/fx.csv               the FX table found beside the first source, if any
//! ```
//!
//! Every transfer keeps its source file and data row; a ledger read from a
//! store numbers its rows as *store rows*: source `k`'s data row `r` is row
//! `row_offset + r`, with each source's `row_offset` in the manifest (the
//! rows read from the sources before it). A store of one file therefore
//! has that file's own row numbers, and its findings are the file's.
//!
//! [`ingest()`] appends: transfers added to a store must not be earlier than
//! its last one, so existing partitions are never rewritten (the account
//! and asset dictionaries, which are small, are). Several files given at
//! once may overlap in time: each is written as sorted runs into
//! `DIR/.spill/`, then merged partition by partition.
//!
//! # Example
//!
//! ```
//! use moneytrail::ingest::LoadOptions;
//! use moneytrail::store::{self, IngestOptions, Store, TimeRange};
//! let dir = tempfile::tempdir().unwrap();
//! let input = dir.path().join("t.csv");
//! std::fs::write(&input, "tx_id,time,from,to,amount,asset\n\
//!     1,2024-03-02T12:00:00Z,alice,bob,100.50,EUR\n\
//!     2,2024-03-01T11:00:00Z,bob,carol,0.25,BTC\n").unwrap();
//! let store_dir = dir.path().join("store");
//! let ingested = store::ingest(&store_dir, &[input], &IngestOptions::default()).unwrap();
//! assert_eq!(ingested.transfers_added, 2);
//! assert_eq!(ingested.manifest.partitions.len(), 2); // one per day
//!
//! let store = Store::open(&store_dir).unwrap();
//! let all = store.load(&TimeRange::default()).unwrap();
//! assert_eq!(all.ledger.source_rows(), &[1, 0]); // time order, file rows
//! let second_day = TimeRange::parse(Some("2024-03-02"), None).unwrap();
//! assert_eq!(store.load(&second_day).unwrap().ledger.len(), 1);
//! ```

mod dictionary;
mod part;
#[cfg(test)]
mod tests;

use crate::detect::{Glance, PartSource};
use crate::error::{Error, Result};
use crate::ingest::{self, Layout, LoadOptions, LoadReport, Loaded};
use crate::ledger::{Ledger, LedgerBuilder, NewTransfer};
use crate::model::{AccountId, AssetId};
use crate::time;
use dictionary::{Dictionary, IdMaps};
use part::{Bounds, Part};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The version of the store layout this build writes and reads.
pub const FORMAT: u32 = 1;

/// The store's table of contents, `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The store layout's version ([`FORMAT`]).
    pub format: u32,
    /// The length of a partition's interval (`1d`); intervals start at
    /// multiples of it from 1970-01-01T00:00:00Z.
    pub partition: String,
    /// Transfers in all partitions.
    pub transfers: u64,
    /// Accounts in `accounts.parquet`.
    pub accounts: u64,
    /// Assets in `assets.parquet`.
    pub assets: u64,
    /// The time of the first transfer (RFC 3339), if any.
    pub first_time: Option<String>,
    /// The time of the last transfer (RFC 3339), if any.
    pub last_time: Option<String>,
    /// The files read, in the order they were added.
    pub sources: Vec<Source>,
    /// The partition files, in time order.
    pub partitions: Vec<Partition>,
}

/// A source file of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file as it was named to `ingest`.
    pub path: PathBuf,
    /// The layout it was read as.
    pub layout: String,
    /// Data rows read; `rows_read == rows_loaded + rows_rejected`.
    pub rows_read: u64,
    /// Rows that became transfers of the store.
    pub rows_loaded: u64,
    /// Rows skipped as bad (lenient loading).
    pub rows_rejected: u64,
    /// Rejected rows per reason.
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Store row of this file's data row 0.
    pub row_offset: u64,
}

/// One partition file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Partition {
    /// The file, relative to the store's folder.
    pub file: String,
    /// Start of the partition's interval (RFC 3339, inclusive).
    pub start: String,
    /// End of the interval (exclusive).
    pub end: String,
    /// Time of its first transfer.
    pub first_time: String,
    /// Time of its last transfer.
    pub last_time: String,
    /// Transfers in the file.
    pub rows: u64,
}

/// How to build or extend a store.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// How to read each source file (layout, strict or lenient, progress).
    pub load: LoadOptions,
    /// Length of a partition's interval in microseconds: one day by
    /// default. An existing store keeps its own.
    pub partition_us: i64,
    /// A file is read in pieces of about this many rows, each sorted and
    /// spilled to the store's folder by interval, then merged: memory
    /// holds a piece, not the file ([`PIECE_ROWS`] by default).
    pub piece_rows: usize,
}

/// The rows of a piece of a file [`ingest()`] reads by default: about
/// 0.5 GiB of transfers in memory.
pub const PIECE_ROWS: usize = 4_000_000;

impl Default for IngestOptions {
    fn default() -> IngestOptions {
        IngestOptions {
            load: LoadOptions::default(),
            partition_us: time::DAY,
            piece_rows: PIECE_ROWS,
        }
    }
}

/// What [`ingest()`] did.
#[derive(Debug)]
pub struct Ingested {
    /// The load report of each source file, in the order given.
    pub loads: Vec<LoadReport>,
    /// Transfers added to the store.
    pub transfers_added: u64,
    /// Partition files written.
    pub partitions_written: usize,
    /// Whether the store existed before (the sources were appended).
    pub appended: bool,
    /// The FX file copied into the store, if one was found beside the
    /// first source and the store had none.
    pub fx_copied: Option<PathBuf>,
    /// The store's manifest after the change.
    pub manifest: Manifest,
}

/// A time range `[since, until)` to read from a store; either end open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    /// First time included, in microseconds.
    pub since_us: Option<i64>,
    /// First time excluded.
    pub until_us: Option<i64>,
}

impl TimeRange {
    /// A range from RFC 3339 times or dates (`2022-09-01`).
    ///
    /// # Errors
    ///
    /// When a time does not parse, or the range is empty.
    pub fn parse(since: Option<&str>, until: Option<&str>) -> Result<TimeRange> {
        let parse = |t: Option<&str>| t.map(time::parse_time).transpose().map_err(Error::invalid);
        let range = TimeRange {
            since_us: parse(since)?,
            until_us: parse(until)?,
        };
        if let (Some(s), Some(u)) = (range.since_us, range.until_us) {
            if s >= u {
                return Err(Error::invalid(format!(
                    "the time range [{}, {}) is empty",
                    time::to_rfc3339(s),
                    time::to_rfc3339(u)
                )));
            }
        }
        Ok(range)
    }

    fn holds(&self, t: i64) -> bool {
        self.since_us.is_none_or(|s| t >= s) && self.until_us.is_none_or(|u| t < u)
    }

    /// Whether the range meets the closed interval `[first, last]`.
    fn meets(&self, first: i64, last: i64) -> bool {
        self.since_us.is_none_or(|s| last >= s) && self.until_us.is_none_or(|u| first < u)
    }
}

/// An opened store: its folder and manifest.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    manifest: Manifest,
    partition_us: i64,
    /// Per partition, its times in microseconds.
    spans: Vec<Times>,
}

/// A partition's interval and the times of its first and last transfer,
/// in microseconds.
#[derive(Debug, Clone, Copy)]
struct Times {
    start: i64,
    end: i64,
    first: i64,
    last: i64,
}

impl Store {
    /// Open the store in `dir`, checking its manifest.
    ///
    /// # Errors
    ///
    /// When `dir` holds no `manifest.json`, or the manifest is not valid
    /// JSON of this format, or its counts and times do not add up.
    pub fn open(dir: &Path) -> Result<Store> {
        let path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| Error::format(&path, format!("not a store manifest: {e}")))?;
        Store::checked(dir, manifest)
    }

    fn checked(dir: &Path, manifest: Manifest) -> Result<Store> {
        let path = dir.join("manifest.json");
        let wrong = |what: String| Error::format(&path, what);
        if manifest.format != FORMAT {
            return Err(wrong(format!(
                "store format {} (this moneytrail reads format {FORMAT}): ingest the sources again",
                manifest.format
            )));
        }
        let partition_us = time::parse_duration(&manifest.partition)
            .filter(|&d| d > 0)
            .ok_or_else(|| {
                wrong(format!(
                    "partition {:?} is not a duration",
                    manifest.partition
                ))
            })?;
        let at = |text: &str| time::parse_time(text).map_err(|e| wrong(e.to_string()));
        let mut spans = Vec::with_capacity(manifest.partitions.len());
        let mut rows = 0u64;
        let mut last_seen = i64::MIN;
        for p in &manifest.partitions {
            let span = Times {
                start: at(&p.start)?,
                end: at(&p.end)?,
                first: at(&p.first_time)?,
                last: at(&p.last_time)?,
            };
            let Times {
                start,
                end,
                first,
                last,
            } = span;
            let inside = start <= first && first <= last && last < end;
            if !inside || first < last_seen || p.rows == 0 || p.file.contains("..") {
                return Err(wrong(format!(
                    "partition {} is not a non-empty interval after the one before",
                    p.file
                )));
            }
            last_seen = last;
            rows += p.rows;
            spans.push(span);
        }
        let loaded: u64 = manifest.sources.iter().map(|s| s.rows_loaded).sum();
        if rows != manifest.transfers || loaded != manifest.transfers {
            return Err(wrong(format!(
                "the partitions hold {rows} transfers and the sources loaded {loaded}, the manifest says {}",
                manifest.transfers
            )));
        }
        let mut offset = 0u64;
        for s in &manifest.sources {
            if s.row_offset != offset || s.rows_read != s.rows_loaded + s.rows_rejected {
                return Err(wrong(format!(
                    "source {} does not reconcile (row offset {}, rows read {}, loaded {}, rejected {})",
                    s.path.display(),
                    s.row_offset,
                    s.rows_read,
                    s.rows_loaded,
                    s.rows_rejected
                )));
            }
            offset += s.rows_read;
        }
        if offset > u64::from(u32::MAX) {
            return Err(wrong("more than 4,294,967,295 source rows".to_string()));
        }
        Ok(Store {
            dir: dir.to_path_buf(),
            manifest,
            partition_us,
            spans,
        })
    }

    /// The store's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The store's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The manifest's path: what side files (the FX table) are looked
    /// for beside.
    pub fn manifest_path(&self) -> PathBuf {
        self.dir.join("manifest.json")
    }

    /// The partitions that hold transfers of `range`.
    pub fn partitions_in(&self, range: &TimeRange) -> Vec<&Partition> {
        self.selected(range)
            .map(|i| &self.manifest.partitions[i])
            .collect()
    }

    fn selected<'s>(&'s self, range: &'s TimeRange) -> impl Iterator<Item = usize> + 's {
        (0..self.spans.len()).filter(|&i| range.meets(self.spans[i].first, self.spans[i].last))
    }

    /// Read the transfers of `range` into a ledger, reading only the
    /// partitions that hold some. The ledger has every account and asset
    /// of the store (ids as in the dictionaries), and store rows.
    ///
    /// # Errors
    ///
    /// When a file of the store is missing, corrupt or truncated, or a
    /// value in it is not one the store writes: the error names the file,
    /// and the row and column where there is one.
    pub fn load(&self, range: &TimeRange) -> Result<Loaded> {
        let selected: Vec<usize> = self.selected(range).collect();
        let (ledger, _) = self.read(&selected, &mut |g| range.holds(g.time_us))?;
        Ok(self.loaded(ledger, selected.len()))
    }

    /// A ledger read from `read` of the partitions, as [`Store::load`]
    /// gives it.
    fn loaded(&self, ledger: Ledger, read: usize) -> Loaded {
        let mut report = LoadReport::new(self.dir.clone(), Layout::Store, false);
        report.rows_read = ledger.len() as u64;
        report.rows_loaded = ledger.len() as u64;
        report.notes.push(format!(
            "read {read} of {} partitions of the store; rows are store rows (see its manifest.json)",
            self.manifest.partitions.len()
        ));
        Loaded {
            ledger,
            report,
            attempts: Vec::new(),
            utxo: Vec::new(),
        }
    }

    /// What reading the whole store part by part (a sharded analysis
    /// from it, [`PartSource`]) says of the load: every transfer of the
    /// store, and a note that no more than a part was held at once.
    pub fn part_report(&self) -> LoadReport {
        let mut report = LoadReport::new(self.dir.clone(), Layout::Store, false);
        report.rows_read = self.manifest.transfers;
        report.rows_loaded = self.manifest.transfers;
        report.notes.push(format!(
            "read the {} partitions of the store part by part; rows are store rows (see its manifest.json)",
            self.manifest.partitions.len()
        ));
        report
    }

    /// The transfers of the partitions `partitions` (ascending) that
    /// `keep` picks, as a ledger with every account
    /// and asset of the store, and the picked transfers' ids: their places
    /// in the time order of the whole store (partition by partition, each
    /// sorted by time), the ids a ledger of the whole store gives them.
    fn read(
        &self,
        partitions: &[usize],
        keep: &mut dyn FnMut(&Glance) -> bool,
    ) -> Result<(Ledger, Vec<u32>)> {
        let m = &self.manifest;
        let dictionary = Dictionary::read(&self.dir, m.accounts, m.assets)?;
        let mut b = LedgerBuilder::new();
        b.source(&self.dir);
        for account in &dictionary.accounts {
            let id = b.account(&account.key);
            let institution = account.institution.as_deref();
            let jurisdiction = account.jurisdiction.as_deref();
            b.describe_account(id, institution, jurisdiction, Some(account.kind));
            if let Some(label) = account.laundering {
                b.label_account(id, label);
            }
        }
        for asset in &dictionary.assets {
            let id = b.asset(&asset.code)?;
            if asset.virtual_currency {
                b.mark_virtual(id);
            }
        }
        let offsets: Vec<u64> = m.sources.iter().map(|s| s.row_offset).collect();
        let firsts = self.first_ids();
        let mut ids = Vec::new();
        for &i in partitions {
            let p = &m.partitions[i];
            let path = self.dir.join(&p.file);
            let part = Part::read(&path, p.rows, self.bounds(i, &dictionary))?;
            b.reserve(part.len());
            for k in 0..part.len() {
                let id = firsts[i] + k;
                let (from, to) = (AccountId(part.from[k]), AccountId(part.to[k]));
                let asset_paid = AssetId(part.asset_paid[k] as u16);
                let asset_received = AssetId(part.asset_received[k] as u16);
                let glance = Glance {
                    id,
                    time_us: part.time_us[k],
                    from,
                    to,
                    asset_paid,
                    asset_received,
                };
                if !keep(&glance) {
                    continue;
                }
                let source_row = offsets[part.source[k] as usize] + u64::from(part.row[k]);
                let source_row = u32::try_from(source_row).map_err(|_| {
                    Error::format(
                        &path,
                        format!("row {k}: store row {source_row} is out of range"),
                    )
                })?;
                ids.push(id as u32);
                b.push(NewTransfer {
                    time_us: part.time_us[k],
                    from,
                    to,
                    amount_paid: part.amount_paid[k],
                    asset_paid,
                    amount_received: part.amount_received[k],
                    asset_received,
                    channel: part.channel[k],
                    source_row,
                    laundering: part.laundering[k],
                    tx_id: part.tx_id[k].as_deref(),
                    tx_hash: part.tx_hash[k].as_deref(),
                    chain: part.chain[k].as_deref(),
                });
            }
        }
        let mut ledger = b.finish()?;
        let decimals: Vec<u32> = dictionary.assets.iter().map(|a| a.decimals).collect();
        ledger.set_asset_decimals(&decimals);
        Ok((ledger, ids))
    }

    /// The id of each partition's first transfer: the rows of the
    /// partitions before it.
    fn first_ids(&self) -> Vec<usize> {
        let mut first = 0usize;
        self.manifest
            .partitions
            .iter()
            .map(|p| {
                let here = first;
                first += p.rows as usize;
                here
            })
            .collect()
    }

    fn bounds(&self, i: usize, dictionary: &Dictionary) -> Bounds {
        Bounds {
            accounts: dictionary.accounts.len() as u32,
            assets: dictionary.assets.len() as u32,
            sources: self.manifest.sources.len() as u32,
            start_us: self.spans[i].start,
            end_us: self.spans[i].end,
        }
    }

    fn last_time_us(&self) -> Option<i64> {
        self.spans.last().map(|s| s.last)
    }
}

/// A store read a part at a time, partition by partition: what
/// [`analyze_parts`](crate::detect::analyze_parts) reads when a sharded
/// analysis runs from a store, holding one part's transfers at a time
/// (ids are the places in the time order of the whole store, as a ledger
/// of the whole store has them).
impl PartSource for Store {
    fn accounts(&self) -> usize {
        self.manifest.accounts as usize
    }

    fn transfers(&self) -> usize {
        self.manifest.transfers as usize
    }

    fn cuts(&self) -> Vec<usize> {
        self.first_ids()
    }

    fn pick(&self, keep: &mut dyn FnMut(&Glance) -> bool) -> Result<(Ledger, Vec<u32>)> {
        let all: Vec<usize> = (0..self.manifest.partitions.len()).collect();
        self.read(&all, keep)
    }

    fn range(&self, ids: std::ops::Range<usize>) -> Result<Ledger> {
        let firsts = self.first_ids();
        let meets: Vec<usize> = (0..firsts.len())
            .filter(|&i| {
                let end = firsts[i] + self.manifest.partitions[i].rows as usize;
                firsts[i] < ids.end && ids.start < end
            })
            .collect();
        Ok(self.read(&meets, &mut |g| ids.contains(&g.id))?.0)
    }
}

/// Read `inputs` and add their transfers to the store in `dir`, creating
/// it when `dir` holds no manifest.
///
/// # Errors
///
/// When a source cannot be loaded (strict loading stops at its first bad
/// row, naming it), is a UTXO file (whose inputs and outputs a store does
/// not keep), holds an amount with more than 18 decimal places, or starts
/// before the store's last transfer; when the store cannot be read or
/// written. Nothing of a failed ingest stays in the store.
pub fn ingest(dir: &Path, inputs: &[PathBuf], options: &IngestOptions) -> Result<Ingested> {
    if inputs.is_empty() {
        return Err(Error::invalid("no file to ingest"));
    }
    let existing = dir.join("manifest.json").is_file();
    let (store, dictionary) = if existing {
        let store = Store::open(dir)?;
        let m = &store.manifest;
        let dictionary = Dictionary::read(dir, m.accounts, m.assets)?;
        (store, dictionary)
    } else {
        if options.partition_us <= 0 {
            return Err(Error::invalid("the partition length must be positive"));
        }
        let manifest = Manifest {
            format: FORMAT,
            partition: time::format_duration(options.partition_us),
            transfers: 0,
            accounts: 0,
            assets: 0,
            first_time: None,
            last_time: None,
            sources: Vec::new(),
            partitions: Vec::new(),
        };
        (Store::checked(dir, manifest)?, Dictionary::default())
    };
    std::fs::create_dir_all(dir.join("transfers")).map_err(|e| Error::io(dir, e))?;
    let mut writer = Writer {
        store,
        dictionary,
        written: Vec::new(),
        loads: Vec::new(),
    };
    let outcome = writer.add(inputs, options);
    let spill = dir.join(".spill");
    if spill.exists() {
        std::fs::remove_dir_all(&spill).map_err(|e| Error::io(&spill, e))?;
    }
    match outcome {
        Ok(()) => writer.commit(inputs, existing),
        Err(e) => {
            for path in &writer.written {
                let _ = std::fs::remove_file(path);
            }
            Err(e)
        }
    }
}

/// Per partition interval: the sorted runs spilled for it (file, rows),
/// in source order, then piece order.
type Spilled = BTreeMap<i64, Vec<(PathBuf, u64)>>;

/// Keep the earliest transfer time seen, and the file it is in.
fn note_earliest(earliest: &mut Option<(i64, PathBuf)>, ledger: &Ledger, input: &Path) {
    if let Some(&first) = ledger.times_us().first() {
        if earliest.as_ref().is_none_or(|(t, _)| first < *t) {
            *earliest = Some((first, input.to_path_buf()));
        }
    }
}

/// Adds sources to a store: partitions first, the dictionaries and the
/// manifest last, so a failure leaves the store as it was.
struct Writer {
    store: Store,
    dictionary: Dictionary,
    /// Partition files written by this ingest (removed if it fails).
    written: Vec<PathBuf>,
    loads: Vec<LoadReport>,
}

impl Writer {
    fn add(&mut self, inputs: &[PathBuf], options: &IngestOptions) -> Result<()> {
        let spill = self.store.dir.join(".spill");
        // interval → the spilled pieces of every source, in source order
        let mut pieces: Spilled = BTreeMap::new();
        let mut earliest: Option<(i64, PathBuf)> = None;
        let mut any_spilled = false;
        for (k, input) in inputs.iter().enumerate() {
            // a file longer than a piece is read in pieces, each sorted
            // and spilled by interval, merged below
            let source = self.store.manifest.sources.len() as u32;
            let folder = spill.join(k.to_string());
            let mut before: Option<Dictionary> = None;
            let mut spilled = 0usize;
            let loaded = ingest::load_in_pieces(
                input,
                &options.load,
                options.piece_rows,
                &mut |piece: Ledger| {
                    if before.is_none() {
                        before = Some(self.dictionary.clone());
                    }
                    let maps = self.dictionary.absorb(&piece)?;
                    note_earliest(&mut earliest, &piece, input);
                    self.spill(&piece, &maps, source, &folder, spilled, &mut pieces)?;
                    spilled += 1;
                    Ok(())
                },
            )?;
            if loaded.report.layout == Layout::UtxoJsonLines {
                return Err(Error::invalid(format!(
                    "{}: UTXO transactions are not kept in a store (address clustering needs their inputs); read the file with --input",
                    input.display()
                )));
            }
            self.source(input, &loaded.report)?;
            if let Some(before) = before {
                // the accounts as the whole file describes them: its last
                // piece holds every account in its final state
                self.dictionary.restore_accounts(before);
            }
            let maps = self.dictionary.absorb(&loaded.ledger)?;
            let ledger = &loaded.ledger;
            note_earliest(&mut earliest, ledger, input);
            if inputs.len() == 1 && spilled == 0 {
                self.check_after_store(earliest.as_ref())?;
                for (interval, range) in &self.groups(ledger) {
                    let part = part_of(ledger, range.clone(), &maps, source);
                    self.write_partition(*interval, &part)?;
                }
            } else {
                self.spill(ledger, &maps, source, &folder, spilled, &mut pieces)?;
                any_spilled = true;
            }
            self.loads.push(loaded.report);
        }
        if any_spilled {
            self.check_after_store(earliest.as_ref())?;
            let sources = self.store.manifest.sources.len() as u32;
            for (interval, files) in pieces {
                let (start, end) = self.interval(interval);
                let bounds = Bounds {
                    accounts: self.dictionary.accounts.len() as u32,
                    assets: self.dictionary.assets.len() as u32,
                    sources,
                    start_us: start,
                    end_us: end,
                };
                let parts = files
                    .iter()
                    .map(|(path, rows)| Part::read(path, *rows, bounds))
                    .collect::<Result<Vec<Part>>>()?;
                let merged = Part::merge(&parts);
                drop(parts);
                for (path, _) in &files {
                    std::fs::remove_file(path).map_err(|e| Error::io(path, e))?;
                }
                self.write_partition(interval, &merged)?;
            }
        }
        Ok(())
    }

    /// Write piece `piece` of source `source` (its ledger, ids mapped by
    /// `maps`) into `folder` as one sorted run per interval.
    fn spill(
        &self,
        ledger: &Ledger,
        maps: &IdMaps,
        source: u32,
        folder: &Path,
        piece: usize,
        pieces: &mut Spilled,
    ) -> Result<()> {
        std::fs::create_dir_all(folder).map_err(|e| Error::io(folder, e))?;
        for (interval, range) in &self.groups(ledger) {
            let part = part_of(ledger, range.clone(), maps, source);
            let path = folder.join(format!("{interval}-{piece}.parquet"));
            part.write(&path)?;
            pieces
                .entry(*interval)
                .or_default()
                .push((path, part.len() as u64));
        }
        Ok(())
    }

    /// Register a loaded source in the manifest; its index.
    fn source(&mut self, input: &Path, report: &LoadReport) -> Result<u32> {
        let sources = &mut self.store.manifest.sources;
        let row_offset = sources.last().map_or(0, |s| s.row_offset + s.rows_read);
        if row_offset + report.rows_read > u64::from(u32::MAX) {
            return Err(Error::invalid(format!(
                "{}: a store holds at most 4,294,967,295 source rows",
                input.display()
            )));
        }
        sources.push(Source {
            path: input.to_path_buf(),
            layout: report.layout.name().to_string(),
            rows_read: report.rows_read,
            rows_loaded: report.rows_loaded,
            rows_rejected: report.rows_rejected,
            rejected_by_reason: report.rejected_by_reason.clone(),
            row_offset,
        });
        Ok((sources.len() - 1) as u32)
    }

    /// The ledger's transfers grouped by partition interval (its index).
    fn groups(&self, ledger: &Ledger) -> Vec<(i64, std::ops::Range<usize>)> {
        let times = ledger.times_us();
        let mut groups: Vec<(i64, std::ops::Range<usize>)> = Vec::new();
        for (i, &t) in times.iter().enumerate() {
            let interval = t.div_euclid(self.store.partition_us);
            match groups.last_mut() {
                Some((last, range)) if *last == interval => range.end = i + 1,
                _ => groups.push((interval, i..i + 1)),
            }
        }
        groups
    }

    fn interval(&self, interval: i64) -> (i64, i64) {
        let start = interval.saturating_mul(self.store.partition_us);
        (start, start.saturating_add(self.store.partition_us))
    }

    fn check_after_store(&self, earliest: Option<&(i64, PathBuf)>) -> Result<()> {
        if let (Some(last), Some((first, path))) = (self.store.last_time_us(), earliest) {
            if *first < last {
                return Err(Error::invalid(format!(
                    "{} starts at {}, before the store's last transfer at {}: a store is extended with later transfers only; ingest every file into a new store",
                    path.display(),
                    time::to_rfc3339(*first),
                    time::to_rfc3339(last)
                )));
            }
        }
        Ok(())
    }

    fn write_partition(&mut self, interval: i64, part: &Part) -> Result<()> {
        let (start, end) = self.interval(interval);
        let stamp = time::to_datetime(start)
            .format("%Y%m%dT%H%M%SZ")
            .to_string();
        let partitions = &self.store.manifest.partitions;
        let seq = partitions
            .iter()
            .filter(|p| p.file.contains(&stamp))
            .count();
        let file = format!("transfers/{stamp}-{seq}.parquet");
        let path = self.store.dir.join(&file);
        self.written.push(path.clone());
        part.write(&path)?;
        let first = part.time_us[0];
        let last = part.time_us[part.len() - 1];
        self.store.manifest.partitions.push(Partition {
            file,
            start: time::to_rfc3339(start),
            end: time::to_rfc3339(end),
            first_time: time::to_rfc3339(first),
            last_time: time::to_rfc3339(last),
            rows: part.len() as u64,
        });
        self.store.spans.push(Times {
            start,
            end,
            first,
            last,
        });
        Ok(())
    }

    /// Write the dictionaries and the manifest (through a temporary file,
    /// renamed over the old one).
    fn commit(self, inputs: &[PathBuf], appended: bool) -> Result<Ingested> {
        let Writer {
            mut store,
            dictionary,
            written,
            loads,
        } = self;
        let dir = store.dir.clone();
        dictionary.write(&dir)?;
        let m = &mut store.manifest;
        let before = m.transfers;
        m.transfers = m.partitions.iter().map(|p| p.rows).sum();
        m.accounts = dictionary.accounts.len() as u64;
        m.assets = dictionary.assets.len() as u64;
        m.first_time = m.partitions.first().map(|p| p.first_time.clone());
        m.last_time = m.partitions.last().map(|p| p.last_time.clone());
        let fx_target = dir.join("fx.csv");
        let fx_copied = match ingest::fx_beside(&inputs[0]) {
            Some(fx) if !fx_target.exists() => {
                std::fs::copy(&fx, &fx_target).map_err(|e| Error::io(&fx, e))?;
                Some(fx)
            }
            _ => None,
        };
        let json = serde_json::to_string_pretty(m)
            .map_err(|e| Error::invalid(format!("cannot write the manifest: {e}")))?;
        let tmp = dir.join("manifest.json.tmp");
        std::fs::write(&tmp, json + "\n").map_err(|e| Error::io(&tmp, e))?;
        let path = dir.join("manifest.json");
        std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
        Ok(Ingested {
            transfers_added: m.transfers - before,
            partitions_written: written.len(),
            appended,
            fx_copied,
            manifest: m.clone(),
            loads,
        })
    }
}

/// The ledger's transfers `range` as a part in store ids.
fn part_of(ledger: &Ledger, range: std::ops::Range<usize>, maps: &IdMaps, source: u32) -> Part {
    let n = range.len();
    let text = |column: Option<&crate::ledger::TextColumn>, i: usize| {
        column.and_then(|c| c.get(i)).map(str::to_string)
    };
    let mut part = Part {
        time_us: ledger.times_us()[range.clone()].to_vec(),
        from: ledger.froms()[range.clone()]
            .iter()
            .map(|a| maps.accounts[a.index()])
            .collect(),
        to: ledger.tos()[range.clone()]
            .iter()
            .map(|a| maps.accounts[a.index()])
            .collect(),
        amount_paid: ledger.amounts_paid()[range.clone()].to_vec(),
        asset_paid: ledger.assets_paid()[range.clone()]
            .iter()
            .map(|a| maps.assets[a.index()])
            .collect(),
        amount_received: ledger.amounts_received()[range.clone()].to_vec(),
        asset_received: ledger.assets_received()[range.clone()]
            .iter()
            .map(|a| maps.assets[a.index()])
            .collect(),
        channel: ledger.channels()[range.clone()].to_vec(),
        laundering: ledger.laundering_labels()[range.clone()].to_vec(),
        tx_id: Vec::with_capacity(n),
        tx_hash: Vec::with_capacity(n),
        chain: Vec::with_capacity(n),
        source: vec![source; n],
        row: ledger.source_rows()[range.clone()].to_vec(),
    };
    for i in range {
        part.tx_id.push(text(ledger.tx_ids(), i));
        part.tx_hash.push(text(ledger.tx_hashes(), i));
        part.chain.push(
            ledger
                .chain(crate::model::TransferId(i as u32))
                .map(str::to_string),
        );
    }
    part
}
