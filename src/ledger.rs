//! The ledger: every transfer of a data set, column by column, in time order.
//!
//! A [`Ledger`] stores transfers as a struct of arrays: one `Vec` per field,
//! indexed by [`TransferId`]. Transfers are sorted by time (ties keep input
//! order), accounts and assets are interned to dense ids, and every transfer
//! remembers the 0-based data row it came from, so any result can be traced
//! back to the input file.
//!
//! Build one with [`LedgerBuilder`] (what the readers in [`ingest`](crate::ingest)
//! do), or load a file with [`ingest::load`](crate::ingest::load).

use crate::error::{Error, Result};
use crate::model::{Account, AccountId, AccountKind, Asset, AssetId, Channel, TransferId};
use crate::time;
use chrono::{DateTime, Utc};
use compact_str::CompactString;
use rayon::prelude::*;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};

/// A column of optional strings stored in one buffer (transaction ids,
/// on-chain hashes). Far smaller than a `Vec<Option<String>>`.
#[derive(Debug, Clone, Default)]
pub struct TextColumn {
    /// `ends[i]` is the end of value `i` in `bytes`; a value is empty when
    /// absent.
    ends: Vec<u64>,
    present: Vec<bool>,
    bytes: String,
}

impl TextColumn {
    fn push(&mut self, value: Option<&str>) {
        if let Some(v) = value {
            self.bytes.push_str(v);
        }
        self.ends.push(self.bytes.len() as u64);
        self.present.push(value.is_some());
    }

    /// The value of row `i`, if present.
    pub fn get(&self, i: usize) -> Option<&str> {
        if !*self.present.get(i)? {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(&self.bytes[start..self.ends[i] as usize])
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn permuted(&self, order: &[u32]) -> TextColumn {
        let mut out = TextColumn {
            ends: Vec::with_capacity(order.len()),
            present: Vec::with_capacity(order.len()),
            bytes: String::with_capacity(self.bytes.len()),
        };
        for &i in order {
            out.push(self.get(i as usize));
        }
        out
    }

    fn heap_bytes(&self) -> usize {
        self.ends.capacity() * 8 + self.present.capacity() + self.bytes.capacity()
    }

    fn slice(&self, range: std::ops::Range<usize>) -> TextColumn {
        let mut out = TextColumn::default();
        for i in range {
            out.push(self.get(i));
        }
        out
    }
}

/// One transfer, copied out of the ledger's columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Its id (its position in time order).
    pub id: TransferId,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The paying account.
    pub from: AccountId,
    /// The receiving account.
    pub to: AccountId,
    /// The amount that left the payer, in `asset_paid`.
    pub amount_paid: Decimal,
    /// The asset the payer paid in.
    pub asset_paid: AssetId,
    /// The amount that reached the payee, in `asset_received` (differs from
    /// the amount paid across a currency conversion, or by a fee).
    pub amount_received: Decimal,
    /// The asset the payee received.
    pub asset_received: AssetId,
    /// How it was made.
    pub channel: Channel,
    /// The 0-based data row of the input file (header excluded).
    pub source_row: u32,
    /// The input's transaction id, if it has one.
    pub tx_id: Option<String>,
    /// The on-chain transaction hash, if any.
    pub tx_hash: Option<String>,
    /// The blockchain, for virtual-currency transfers, if stated.
    pub chain: Option<String>,
    /// The input's laundering label, if it has one.
    pub laundering: Option<bool>,
}

/// A transfer to add to a [`LedgerBuilder`]. Amounts must not be negative
/// and should not exceed [`ingest::MAX_AMOUNT`](crate::ingest::MAX_AMOUNT)
/// (10^15), the bound the readers enforce: sums of larger amounts can
/// overflow a `Decimal`.
#[derive(Debug, Clone)]
pub struct NewTransfer<'a> {
    /// Time in microseconds since the epoch (see [`time`](crate::time)).
    pub time_us: i64,
    /// The paying account.
    pub from: AccountId,
    /// The receiving account.
    pub to: AccountId,
    /// Amount paid (not negative).
    pub amount_paid: Decimal,
    /// Asset paid.
    pub asset_paid: AssetId,
    /// Amount received (not negative).
    pub amount_received: Decimal,
    /// Asset received.
    pub asset_received: AssetId,
    /// Payment channel.
    pub channel: Channel,
    /// 0-based data row in the input.
    pub source_row: u32,
    /// Laundering label, if the input has one.
    pub laundering: Option<bool>,
    /// Transaction id, if any.
    pub tx_id: Option<&'a str>,
    /// On-chain hash, if any.
    pub tx_hash: Option<&'a str>,
    /// Blockchain name, if any.
    pub chain: Option<&'a str>,
}

/// All transfers of a data set, stored column-wise and sorted by time.
///
/// # Example
///
/// ```
/// use moneytrail::{LedgerBuilder, NewTransfer, Channel};
/// use rust_decimal::Decimal;
///
/// let mut b = LedgerBuilder::new();
/// let alice = b.account("alice");
/// let bob = b.account("bob");
/// let usd = b.asset("USD").unwrap();
/// for (row, (t, amount)) in [(20, 5), (10, 7)].into_iter().enumerate() {
///     b.push(NewTransfer::simple(t, alice, bob, Decimal::from(amount), usd, row as u32));
/// }
/// let ledger = b.finish().unwrap();
/// assert_eq!(ledger.len(), 2);
/// // sorted by time: the row-1 transfer (time 10) comes first
/// assert_eq!(ledger.source_rows(), &[1, 0]);
/// assert_eq!(ledger.amounts_paid()[0], Decimal::from(7));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    source: Option<PathBuf>,
    accounts: Vec<Account>,
    /// Keys up to 24 bytes (AMLworld's `bank:account` is 17) sit inside
    /// the table, so a lookup compares them without a second cache miss.
    account_index: FxHashMap<CompactString, AccountId>,
    assets: Vec<Asset>,
    asset_index: FxHashMap<String, AssetId>,
    cols: Columns,
}

#[derive(Debug, Clone, Default)]
struct Columns {
    time_us: Vec<i64>,
    from: Vec<AccountId>,
    to: Vec<AccountId>,
    amount_paid: Vec<Decimal>,
    asset_paid: Vec<AssetId>,
    amount_received: Vec<Decimal>,
    asset_received: Vec<AssetId>,
    channel: Vec<Channel>,
    source_row: Vec<u32>,
    laundering: Vec<Option<bool>>,
    tx_id: Option<TextColumn>,
    tx_hash: Option<TextColumn>,
    chain: Option<(Vec<String>, Vec<u16>)>,
}

impl Columns {
    fn len(&self) -> usize {
        self.time_us.len()
    }

    fn reserve(&mut self, n: usize) {
        self.time_us.reserve(n);
        self.from.reserve(n);
        self.to.reserve(n);
        self.amount_paid.reserve(n);
        self.asset_paid.reserve(n);
        self.amount_received.reserve(n);
        self.asset_received.reserve(n);
        self.channel.reserve(n);
        self.source_row.reserve(n);
        self.laundering.reserve(n);
    }

    fn permuted(&self, order: &[u32]) -> Columns {
        fn gather<T: Copy + Send + Sync>(column: &[T], order: &[u32]) -> Vec<T> {
            order.par_iter().map(|&i| column[i as usize]).collect()
        }
        Columns {
            time_us: gather(&self.time_us, order),
            from: gather(&self.from, order),
            to: gather(&self.to, order),
            amount_paid: gather(&self.amount_paid, order),
            asset_paid: gather(&self.asset_paid, order),
            amount_received: gather(&self.amount_received, order),
            asset_received: gather(&self.asset_received, order),
            channel: gather(&self.channel, order),
            source_row: gather(&self.source_row, order),
            laundering: gather(&self.laundering, order),
            tx_id: self.tx_id.as_ref().map(|c| c.permuted(order)),
            tx_hash: self.tx_hash.as_ref().map(|c| c.permuted(order)),
            chain: self
                .chain
                .as_ref()
                .map(|(names, codes)| (names.clone(), gather(codes, order))),
        }
    }
}

impl Ledger {
    /// The transfers `range` (in time order) as a ledger of their own, with
    /// every account and asset of this one under the same ids: transfer
    /// `i` of the slice is transfer `range.start + i` here. What a shard
    /// of the data is (see [`detect::analyze_sharded`](crate::detect::analyze_sharded)).
    pub(crate) fn slice(&self, range: std::ops::Range<usize>) -> Ledger {
        let c = &self.cols;
        let r = range.clone();
        Ledger {
            source: self.source.clone(),
            accounts: self.accounts.clone(),
            account_index: self.account_index.clone(),
            assets: self.assets.clone(),
            asset_index: self.asset_index.clone(),
            cols: Columns {
                time_us: c.time_us[r.clone()].to_vec(),
                from: c.from[r.clone()].to_vec(),
                to: c.to[r.clone()].to_vec(),
                amount_paid: c.amount_paid[r.clone()].to_vec(),
                asset_paid: c.asset_paid[r.clone()].to_vec(),
                amount_received: c.amount_received[r.clone()].to_vec(),
                asset_received: c.asset_received[r.clone()].to_vec(),
                channel: c.channel[r.clone()].to_vec(),
                source_row: c.source_row[r.clone()].to_vec(),
                laundering: c.laundering[r.clone()].to_vec(),
                tx_id: c.tx_id.as_ref().map(|t| t.slice(r.clone())),
                tx_hash: c.tx_hash.as_ref().map(|t| t.slice(r.clone())),
                chain: c
                    .chain
                    .as_ref()
                    .map(|(names, codes)| (names.clone(), codes[r].to_vec())),
            },
        }
    }

    /// The transfers `ids` (ascending, so in time order) as a ledger of
    /// their own, with every account and asset of this one under the same
    /// ids: transfer `i` of the selection is transfer `ids[i]` here. What an
    /// account part of the data is (see
    /// [`detect::analyze_sharded`](crate::detect::analyze_sharded)).
    pub(crate) fn select(&self, ids: &[u32]) -> Ledger {
        debug_assert!(ids.windows(2).all(|w| w[0] < w[1]));
        Ledger {
            source: self.source.clone(),
            accounts: self.accounts.clone(),
            account_index: self.account_index.clone(),
            assets: self.assets.clone(),
            asset_index: self.asset_index.clone(),
            cols: self.cols.permuted(ids),
        }
    }

    /// Give every asset whose precision its code does not tell the most
    /// decimal places its amounts use in the data (at most 18).
    fn take_data_precision(&mut self) {
        let unknown: Vec<bool> = self.assets.iter().map(|a| !a.precision_known()).collect();
        if !unknown.iter().any(|&u| u) {
            return;
        }
        let mut scale = vec![0u32; self.assets.len()];
        let c = &self.cols;
        let sides = [
            (&c.asset_paid, &c.amount_paid),
            (&c.asset_received, &c.amount_received),
        ];
        for (assets, amounts) in sides {
            for (asset, amount) in assets.iter().zip(amounts) {
                if unknown[asset.index()] {
                    let s = &mut scale[asset.index()];
                    *s = (*s).max(amount.normalize().scale());
                }
            }
        }
        for ((asset, unknown), scale) in self.assets.iter_mut().zip(unknown).zip(scale) {
            if unknown {
                asset.decimals = scale.min(18);
            }
        }
    }

    /// Set the decimal places each asset shows with (a store keeps them
    /// for all its data, so that a part of it shows amounts as the whole).
    pub(crate) fn set_asset_decimals(&mut self, decimals: &[u32]) {
        for (asset, &d) in self.assets.iter_mut().zip(decimals) {
            asset.decimals = d;
        }
    }

    /// Number of transfers.
    pub fn len(&self) -> usize {
        self.cols.len()
    }

    /// Whether there are no transfers.
    pub fn is_empty(&self) -> bool {
        self.cols.len() == 0
    }

    /// The file the ledger was loaded from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// All accounts, indexed by [`AccountId`].
    pub fn accounts(&self) -> &[Account] {
        &self.accounts
    }

    /// One account.
    ///
    /// # Panics
    ///
    /// If `id` does not come from this ledger.
    pub fn account(&self, id: AccountId) -> &Account {
        &self.accounts[id.index()]
    }

    /// The id of the account with this key, if the ledger has it.
    pub fn account_id(&self, key: &str) -> Option<AccountId> {
        self.account_index.get(key).copied()
    }

    /// All assets, indexed by [`AssetId`].
    pub fn assets(&self) -> &[Asset] {
        &self.assets
    }

    /// One asset.
    ///
    /// # Panics
    ///
    /// If `id` does not come from this ledger.
    pub fn asset(&self, id: AssetId) -> &Asset {
        &self.assets[id.index()]
    }

    /// The transfers an investigator names: by transaction id (matched
    /// exactly), or `row:N` for every transfer of 0-based data row N (a
    /// UTXO line gives several).
    ///
    /// ```
    /// use moneytrail::{LedgerBuilder, NewTransfer};
    /// use rust_decimal::Decimal;
    /// let mut b = LedgerBuilder::new();
    /// let (x, y) = (b.account("x"), b.account("y"));
    /// let usd = b.asset("USD").unwrap();
    /// b.push(NewTransfer::simple(0, x, y, Decimal::TEN, usd, 7));
    /// let l = b.finish().unwrap();
    /// assert_eq!(l.find_transfers("row:7").unwrap().len(), 1);
    /// assert!(l.find_transfers("row:8").is_err());
    /// assert!(l.find_transfers("T1").unwrap_err().to_string().contains("no transaction ids"));
    /// ```
    ///
    /// # Errors
    ///
    /// When nothing matches, saying why (no such row, no transaction ids in
    /// the input, no such id).
    pub fn find_transfers(&self, spec: &str) -> Result<Vec<TransferId>> {
        let all = 0..self.len();
        let found: Vec<TransferId> = if let Some(row) = spec.strip_prefix("row:") {
            let row: u32 = row
                .trim()
                .parse()
                .map_err(|_| Error::invalid(format!("{spec:?}: row:N needs a data row number")))?;
            let found: Vec<TransferId> = all
                .filter(|&i| self.cols.source_row[i] == row)
                .map(|i| TransferId(i as u32))
                .collect();
            if found.is_empty() {
                let last = self.cols.source_row.iter().max().copied().unwrap_or(0);
                return Err(Error::invalid(format!(
                    "{spec}: no transfer at data row {row} (data rows run from 0 to {last}, header excluded)"
                )));
            }
            found
        } else {
            let Some(ids) = self.tx_ids() else {
                return Err(Error::invalid(format!(
                    "{spec}: the input has no transaction ids; name the transfer by its data row, row:N"
                )));
            };
            all.filter(|&i| ids.get(i) == Some(spec))
                .map(|i| TransferId(i as u32))
                .collect()
        };
        if found.is_empty() {
            return Err(Error::invalid(format!(
                "{spec}: no transfer with that transaction id (ids are matched exactly; or use row:N)"
            )));
        }
        Ok(found)
    }

    /// A transfer in words: `T000123 (row 122) X → Y 3.00 USD at 2024-…`.
    pub fn describe(&self, t: TransferId) -> String {
        let i = t.index();
        let id = self
            .tx_ids()
            .and_then(|ids| ids.get(i))
            .map(|id| format!("{id} "))
            .unwrap_or_default();
        format!(
            "{id}(row {}) {} → {} {} at {}",
            self.cols.source_row[i],
            self.account(self.cols.from[i]).key,
            self.account(self.cols.to[i]).key,
            self.show(self.cols.amount_received[i], self.cols.asset_received[i]),
            time::to_rfc3339(self.cols.time_us[i])
        )
    }

    /// An amount of an asset as it shows on screen (see [`Asset::show`]).
    pub fn show(&self, amount: Decimal, asset: AssetId) -> String {
        self.asset(asset).show(amount)
    }

    /// The id of the asset with this code, if the ledger has it.
    pub fn asset_id(&self, code: &str) -> Option<AssetId> {
        self.asset_index.get(code).copied()
    }

    /// Transfer times, microseconds since the epoch, ascending.
    pub fn times_us(&self) -> &[i64] {
        &self.cols.time_us
    }

    /// Paying accounts.
    pub fn froms(&self) -> &[AccountId] {
        &self.cols.from
    }

    /// Receiving accounts.
    pub fn tos(&self) -> &[AccountId] {
        &self.cols.to
    }

    /// Amounts paid.
    pub fn amounts_paid(&self) -> &[Decimal] {
        &self.cols.amount_paid
    }

    /// Assets paid.
    pub fn assets_paid(&self) -> &[AssetId] {
        &self.cols.asset_paid
    }

    /// Amounts received.
    pub fn amounts_received(&self) -> &[Decimal] {
        &self.cols.amount_received
    }

    /// Assets received.
    pub fn assets_received(&self) -> &[AssetId] {
        &self.cols.asset_received
    }

    /// Payment channels.
    pub fn channels(&self) -> &[Channel] {
        &self.cols.channel
    }

    /// 0-based data rows of the input file (header excluded).
    pub fn source_rows(&self) -> &[u32] {
        &self.cols.source_row
    }

    /// Laundering labels from the input, where it has them.
    pub fn laundering_labels(&self) -> &[Option<bool>] {
        &self.cols.laundering
    }

    /// Transaction ids, if the input has them.
    pub fn tx_ids(&self) -> Option<&TextColumn> {
        self.cols.tx_id.as_ref()
    }

    /// On-chain hashes, if the input has them.
    pub fn tx_hashes(&self) -> Option<&TextColumn> {
        self.cols.tx_hash.as_ref()
    }

    /// The blockchain of transfer `id`, if stated.
    pub fn chain(&self, id: TransferId) -> Option<&str> {
        let (names, codes) = self.cols.chain.as_ref()?;
        match codes[id.index()] {
            0 => None,
            code => Some(names[code as usize - 1].as_str()),
        }
    }

    /// The time of one transfer.
    pub fn time(&self, id: TransferId) -> DateTime<Utc> {
        time::to_datetime(self.cols.time_us[id.index()])
    }

    /// First and last transfer time, or `None` when empty.
    pub fn time_span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let first = *self.cols.time_us.first()?;
        let last = *self.cols.time_us.last()?;
        Some((time::to_datetime(first), time::to_datetime(last)))
    }

    /// One transfer, with all its fields.
    ///
    /// # Panics
    ///
    /// If `id` does not come from this ledger.
    pub fn transfer(&self, id: TransferId) -> Transfer {
        let i = id.index();
        let c = &self.cols;
        Transfer {
            id,
            time: time::to_datetime(c.time_us[i]),
            from: c.from[i],
            to: c.to[i],
            amount_paid: c.amount_paid[i],
            asset_paid: c.asset_paid[i],
            amount_received: c.amount_received[i],
            asset_received: c.asset_received[i],
            channel: c.channel[i],
            source_row: c.source_row[i],
            tx_id: c.tx_id.as_ref().and_then(|t| t.get(i)).map(str::to_string),
            tx_hash: c
                .tx_hash
                .as_ref()
                .and_then(|t| t.get(i))
                .map(str::to_string),
            chain: self.chain(id).map(str::to_string),
            laundering: c.laundering[i],
        }
    }

    /// Bytes this ledger holds on the heap (columns, accounts, indexes),
    /// counted from capacities; hash-table overhead is estimated.
    pub fn heap_bytes(&self) -> usize {
        let c = &self.cols;
        let n = c.time_us.capacity();
        let fixed = n * 8
            + c.from.capacity() * 4
            + c.to.capacity() * 4
            + c.amount_paid.capacity() * 16
            + c.asset_paid.capacity() * 2
            + c.amount_received.capacity() * 16
            + c.asset_received.capacity() * 2
            + c.channel.capacity()
            + c.source_row.capacity() * 4
            + c.laundering.capacity();
        let text = c.tx_id.as_ref().map_or(0, TextColumn::heap_bytes)
            + c.tx_hash.as_ref().map_or(0, TextColumn::heap_bytes)
            + c.chain
                .as_ref()
                .map_or(0, |(_, codes)| codes.capacity() * 2);
        let accounts: usize = self
            .accounts
            .iter()
            .map(|a| {
                // the key is stored in the account, and again on the heap
                // by the index when it is too long to sit inline
                a.key.capacity()
                    + if a.key.len() > std::mem::size_of::<CompactString>() {
                        a.key.len()
                    } else {
                        0
                    }
                    + a.institution.as_ref().map_or(0, String::capacity)
                    + a.jurisdiction.as_ref().map_or(0, String::capacity)
            })
            .sum::<usize>()
            + self.accounts.capacity() * std::mem::size_of::<Account>()
            + self.account_index.capacity()
                * (std::mem::size_of::<(CompactString, AccountId)>() + 1);
        fixed + text + accounts
    }
}

/// Builds a [`Ledger`]: intern accounts and assets, push transfers in any
/// order, then [`finish`](LedgerBuilder::finish) sorts them by time.
#[derive(Debug, Default)]
pub struct LedgerBuilder {
    ledger: Ledger,
    chain_index: FxHashMap<String, u16>,
    chain_names: Vec<String>,
    chain_codes: Vec<u16>,
    any_chain: bool,
    /// The assets' decimal places are given, not taken from the data.
    given_decimals: bool,
}

impl LedgerBuilder {
    /// An empty builder.
    pub fn new() -> LedgerBuilder {
        LedgerBuilder::default()
    }

    /// A builder for part of a larger data set: every account and asset
    /// of the whole data under its id there (accounts and assets by id,
    /// as the whole data's ledger has them), each asset shown with the
    /// decimal places given here rather than those of the part's own
    /// amounts, so that a part describes what it holds as the whole
    /// does.
    ///
    /// ```
    /// use moneytrail::{Account, Asset, LedgerBuilder, NewTransfer};
    /// use rust_decimal::Decimal;
    /// let accounts = [Account::new("a"), Account::new("b"), Account::new("c")];
    /// let mut eth = Asset::from_code("ETH");
    /// eth.decimals = 18;
    /// let mut b = LedgerBuilder::with_dictionary(&accounts, &[eth]).unwrap();
    /// let (c, a) = (b.account("c"), b.account("a"));
    /// let eth = b.asset("ETH").unwrap();
    /// b.push(NewTransfer::simple(0, c, a, Decimal::new(15, 1), eth, 0));
    /// let part = b.finish().unwrap();
    /// assert_eq!(c.0, 2);
    /// assert_eq!(part.accounts().len(), 3);
    /// assert_eq!(part.assets()[0].decimals, 18); // not the 1 of 1.5
    /// ```
    ///
    /// # Errors
    ///
    /// When two accounts have one key, or two assets one code.
    pub fn with_dictionary(accounts: &[Account], assets: &[Asset]) -> Result<LedgerBuilder> {
        let mut b = LedgerBuilder {
            given_decimals: true,
            ..LedgerBuilder::default()
        };
        b.ledger.accounts.reserve(accounts.len());
        for account in accounts {
            let id = AccountId(b.ledger.accounts.len() as u32);
            let key = CompactString::from(account.key.as_str());
            if b.ledger.account_index.insert(key, id).is_some() {
                return Err(Error::invalid(format!(
                    "account {} listed twice",
                    account.key
                )));
            }
            b.ledger.accounts.push(account.clone());
        }
        for asset in assets {
            if b.ledger.asset_index.contains_key(&asset.code) {
                return Err(Error::invalid(format!("asset {} listed twice", asset.code)));
            }
            let id = u16::try_from(b.ledger.assets.len())
                .map_err(|_| Error::invalid("more than 65,536 distinct assets"))?;
            b.ledger.asset_index.insert(asset.code.clone(), AssetId(id));
            b.ledger.assets.push(asset.clone());
        }
        Ok(b)
    }

    /// Record the file the transfers come from.
    pub fn source(&mut self, path: &Path) -> &mut Self {
        self.ledger.source = Some(path.to_path_buf());
        self
    }

    /// Reserve room for `n` more transfers.
    pub fn reserve(&mut self, n: usize) {
        self.ledger.cols.reserve(n);
    }

    /// The id of the account with this key if it is already known (a
    /// read-only lookup: many threads may look up at once).
    pub fn known_account(&self, key: &str) -> Option<AccountId> {
        self.ledger.account_index.get(key).copied()
    }

    /// The id of the asset with this code (or name) if it is already
    /// known (a read-only lookup, as [`known_account`](Self::known_account)).
    pub fn known_asset(&self, code: &str) -> Option<AssetId> {
        self.ledger.asset_index.get(code).copied()
    }

    /// The id of the account with this key, adding a bank account if new.
    pub fn account(&mut self, key: &str) -> AccountId {
        if let Some(&id) = self.ledger.account_index.get(key) {
            return id;
        }
        let id = AccountId(self.ledger.accounts.len() as u32);
        self.ledger.accounts.push(Account::new(key));
        self.ledger
            .account_index
            .insert(CompactString::from(key), id);
        id
    }

    /// Number of accounts so far.
    pub fn account_count(&self) -> usize {
        self.ledger.accounts.len()
    }

    /// Fill in what is not yet known about an account: institution and
    /// jurisdiction are set only where still empty; the kind replaces the
    /// default [`AccountKind::BankAccount`] only when `kind` is given.
    pub fn describe_account(
        &mut self,
        id: AccountId,
        institution: Option<&str>,
        jurisdiction: Option<&str>,
        kind: Option<AccountKind>,
    ) {
        let account = &mut self.ledger.accounts[id.index()];
        if account.institution.is_none() {
            account.institution = institution.map(str::to_string);
        }
        if account.jurisdiction.is_none() {
            account.jurisdiction = jurisdiction.map(str::to_string);
        }
        if let Some(kind) = kind {
            account.kind = kind;
        }
    }

    /// Set an account-level laundering label.
    pub fn label_account(&mut self, id: AccountId, laundering: bool) {
        self.ledger.accounts[id.index()].laundering = Some(laundering);
    }

    /// The id of the asset with this code, adding it if new (virtual if its
    /// code is a known virtual-asset ticker; see [`Asset::from_code`]).
    ///
    /// # Errors
    ///
    /// When the ledger already has 65,536 assets.
    pub fn asset(&mut self, code: &str) -> Result<AssetId> {
        if let Some(&id) = self.ledger.asset_index.get(code) {
            return Ok(id);
        }
        let asset = Asset::from_code(code);
        if let Some(&id) = self.ledger.asset_index.get(&asset.code) {
            self.ledger.asset_index.insert(code.to_string(), id);
            return Ok(id);
        }
        let id = u16::try_from(self.ledger.assets.len())
            .map_err(|_| Error::invalid("more than 65,536 distinct assets"))?;
        let id = AssetId(id);
        self.ledger.asset_index.insert(code.to_string(), id);
        self.ledger.asset_index.insert(asset.code.clone(), id);
        self.ledger.assets.push(asset);
        Ok(id)
    }

    /// Mark an asset as a virtual currency (the data says so).
    pub fn mark_virtual(&mut self, id: AssetId) {
        self.ledger.assets[id.index()].virtual_currency = true;
    }

    /// Number of transfers pushed so far.
    pub fn len(&self) -> usize {
        self.ledger.cols.len()
    }

    /// Whether no transfer has been pushed.
    pub fn is_empty(&self) -> bool {
        self.ledger.cols.len() == 0
    }

    /// Add a transfer.
    pub fn push(&mut self, t: NewTransfer<'_>) {
        let n = self.ledger.cols.len();
        let c = &mut self.ledger.cols;
        c.time_us.push(t.time_us);
        c.from.push(t.from);
        c.to.push(t.to);
        c.amount_paid.push(t.amount_paid);
        c.asset_paid.push(t.asset_paid);
        c.amount_received.push(t.amount_received);
        c.asset_received.push(t.asset_received);
        c.channel.push(t.channel);
        c.source_row.push(t.source_row);
        c.laundering.push(t.laundering);
        push_text(&mut c.tx_id, n, t.tx_id);
        push_text(&mut c.tx_hash, n, t.tx_hash);
        let code = match t.chain {
            None => 0,
            Some(name) => {
                self.any_chain = true;
                match self.chain_index.get(name) {
                    Some(&code) => code,
                    None => {
                        // More than 65,535 chain names is not a real data set;
                        // the rest share the last code rather than fail.
                        let code = u16::try_from(self.chain_names.len() + 1).unwrap_or(u16::MAX);
                        if usize::from(code) == self.chain_names.len() + 1 {
                            self.chain_names.push(name.to_string());
                            self.chain_index.insert(name.to_string(), code);
                        }
                        code
                    }
                }
            }
        };
        self.chain_codes.push(code);
    }

    /// The transfers pushed so far as a ledger, as
    /// [`finish`](LedgerBuilder::finish) gives it (sorted by time, with
    /// every account and asset so far), leaving the builder with its
    /// accounts and assets and no transfers: how a long file is read in
    /// pieces of bounded memory that keep one numbering of the accounts.
    ///
    /// ```
    /// use moneytrail::{LedgerBuilder, NewTransfer};
    /// use rust_decimal::Decimal;
    /// let mut b = LedgerBuilder::new();
    /// let (x, y) = (b.account("x"), b.account("y"));
    /// let usd = b.asset("USD").unwrap();
    /// b.push(NewTransfer::simple(5, x, y, Decimal::TEN, usd, 0));
    /// let first = b.drain().unwrap();
    /// let z = b.account("z");
    /// b.push(NewTransfer::simple(1, y, z, Decimal::ONE, usd, 1));
    /// let second = b.finish().unwrap();
    /// assert_eq!((first.len(), first.accounts().len()), (1, 2));
    /// assert_eq!((second.len(), second.accounts().len()), (1, 3));
    /// assert_eq!(second.source_rows(), &[1]);
    /// ```
    ///
    /// # Errors
    ///
    /// When more than `u32::MAX` transfers were pushed.
    pub fn drain(&mut self) -> Result<Ledger> {
        let l = &mut self.ledger;
        let piece = LedgerBuilder {
            ledger: Ledger {
                source: l.source.clone(),
                accounts: l.accounts.clone(),
                account_index: l.account_index.clone(),
                assets: l.assets.clone(),
                asset_index: l.asset_index.clone(),
                cols: std::mem::take(&mut l.cols),
            },
            chain_index: FxHashMap::default(),
            chain_names: self.chain_names.clone(),
            chain_codes: std::mem::take(&mut self.chain_codes),
            any_chain: self.any_chain,
            given_decimals: self.given_decimals,
        };
        piece.finish()
    }

    /// Sort the transfers by time (ties keep push order) and return the
    /// ledger.
    ///
    /// # Errors
    ///
    /// When more than `u32::MAX` transfers were pushed.
    pub fn finish(self) -> Result<Ledger> {
        let LedgerBuilder {
            mut ledger,
            chain_names,
            chain_codes,
            any_chain,
            given_decimals,
            ..
        } = self;
        let n = ledger.cols.len();
        if n > u32::MAX as usize {
            return Err(Error::invalid("more than 4,294,967,295 transfers"));
        }
        if any_chain {
            ledger.cols.chain = Some((chain_names, chain_codes));
        }
        if !given_decimals {
            ledger.take_data_precision();
        }
        let times = &ledger.cols.time_us;
        let sorted = times.par_windows(2).all(|w| w[0] <= w[1]);
        if !sorted {
            let mut keys: Vec<(i64, u32)> = times
                .iter()
                .enumerate()
                .map(|(i, &t)| (t, i as u32))
                .collect();
            keys.par_sort_unstable();
            let order: Vec<u32> = keys.into_iter().map(|(_, i)| i).collect();
            ledger.cols = ledger.cols.permuted(&order);
        }
        Ok(ledger)
    }
}

fn push_text(column: &mut Option<TextColumn>, rows_before: usize, value: Option<&str>) {
    match (column.as_mut(), value) {
        (Some(c), v) => c.push(v),
        (None, None) => {}
        (None, Some(v)) => {
            let mut c = TextColumn::default();
            for _ in 0..rows_before {
                c.push(None);
            }
            c.push(Some(v));
            *column = Some(c);
        }
    }
}

impl<'a> NewTransfer<'a> {
    /// A same-asset transfer with no channel, label or ids: amount received
    /// equals amount paid.
    pub fn simple(
        time_us: i64,
        from: AccountId,
        to: AccountId,
        amount: Decimal,
        asset: AssetId,
        source_row: u32,
    ) -> NewTransfer<'a> {
        NewTransfer {
            time_us,
            from,
            to,
            amount_paid: amount,
            asset_paid: asset,
            amount_received: amount,
            asset_received: asset,
            channel: Channel::Other,
            source_row,
            laundering: None,
            tx_id: None,
            tx_hash: None,
            chain: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_time_and_keeps_ties_in_push_order() {
        let mut b = LedgerBuilder::new();
        let a = b.account("a");
        let c = b.account("c");
        let usd = b.asset("usd").unwrap();
        assert_eq!(b.asset("USD").unwrap(), usd);
        let times = [30, 10, 20, 10, 30];
        for (row, &t) in times.iter().enumerate() {
            let mut tr = NewTransfer::simple(t, a, c, Decimal::from(row as i64), usd, row as u32);
            if row == 2 {
                tr.tx_id = Some("tx-2");
                tr.chain = Some("bitcoin");
            }
            b.push(tr);
        }
        let l = b.finish().unwrap();
        assert_eq!(l.times_us(), &[10, 10, 20, 30, 30]);
        assert_eq!(l.source_rows(), &[1, 3, 2, 0, 4]);
        let t = l.transfer(TransferId(2));
        assert_eq!(t.tx_id.as_deref(), Some("tx-2"));
        assert_eq!(t.chain.as_deref(), Some("bitcoin"));
        assert_eq!(l.transfer(TransferId(0)).tx_id, None);
        assert_eq!(l.chain(TransferId(4)), None);
        assert_eq!(l.asset(usd).code, "USD");
        assert!(l.heap_bytes() > 5 * 54);
    }

    #[test]
    fn describe_account_fills_only_blanks() {
        let mut b = LedgerBuilder::new();
        let a = b.account("x");
        b.describe_account(a, Some("Bank A"), None, None);
        b.describe_account(a, Some("Bank B"), Some("DE"), Some(AccountKind::Exchange));
        let l = b.finish().unwrap();
        let acc = l.account(a);
        assert_eq!(acc.institution.as_deref(), Some("Bank A"));
        assert_eq!(acc.jurisdiction.as_deref(), Some("DE"));
        assert_eq!(acc.kind, AccountKind::Exchange);
    }
}
