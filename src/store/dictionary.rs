//! The store's account and asset dictionaries: every account and asset
//! of every source, with the dense id the partitions refer to, written as
//! `accounts.parquet` and `assets.parquet`.

use super::part::{optional_bools, optional_texts, read_checked};
use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::model::{Account, AccountKind, Asset};
use polars::prelude::*;
use rustc_hash::FxHashMap;
use std::path::Path;

/// Accounts and assets by store id, with their indexes by key and code.
#[derive(Debug, Clone, Default)]
pub(crate) struct Dictionary {
    pub(crate) accounts: Vec<Account>,
    account_index: FxHashMap<String, u32>,
    pub(crate) assets: Vec<Asset>,
    asset_index: FxHashMap<String, u32>,
}

/// For one ledger: its account and asset ids to the store's.
pub(crate) struct IdMaps {
    pub(crate) accounts: Vec<u32>,
    pub(crate) assets: Vec<u32>,
}

const ACCOUNT_COLUMNS: [&str; 6] = [
    "id",
    "key",
    "institution",
    "jurisdiction",
    "kind",
    "laundering",
];
const ASSET_COLUMNS: [&str; 4] = ["id", "code", "virtual", "decimals"];

impl Dictionary {
    /// Put the accounts back as they were in `before` (an earlier clone of
    /// this dictionary), keeping the assets as they are now.
    pub(crate) fn restore_accounts(&mut self, before: Dictionary) {
        self.accounts = before.accounts;
        self.account_index = before.account_index;
    }

    /// Add a ledger's accounts and assets (new keys get the next ids, in
    /// the ledger's order; what a known account lacks is filled in) and
    /// return the ledger's ids mapped to the store's.
    pub(crate) fn absorb(&mut self, ledger: &Ledger) -> Result<IdMaps> {
        let mut accounts = Vec::with_capacity(ledger.accounts().len());
        for account in ledger.accounts() {
            let id = match self.account_index.get(account.key.as_str()) {
                Some(&id) => {
                    let known = &mut self.accounts[id as usize];
                    if known.institution.is_none() {
                        known.institution.clone_from(&account.institution);
                    }
                    if known.jurisdiction.is_none() {
                        known.jurisdiction.clone_from(&account.jurisdiction);
                    }
                    if known.kind == AccountKind::BankAccount {
                        known.kind = account.kind;
                    }
                    if known.laundering.is_none() {
                        known.laundering = account.laundering;
                    }
                    id
                }
                None => {
                    let id = u32::try_from(self.accounts.len()).map_err(|_| {
                        Error::invalid("a store holds at most 4,294,967,295 accounts")
                    })?;
                    self.account_index.insert(account.key.clone(), id);
                    self.accounts.push(account.clone());
                    id
                }
            };
            accounts.push(id);
        }
        let mut assets = Vec::with_capacity(ledger.assets().len());
        for asset in ledger.assets() {
            let id = match self.asset_index.get(&asset.code) {
                Some(&id) => {
                    let known = &mut self.assets[id as usize];
                    known.virtual_currency |= asset.virtual_currency;
                    known.decimals = known.decimals.max(asset.decimals);
                    id
                }
                None => {
                    if self.assets.len() > usize::from(u16::MAX) {
                        return Err(Error::invalid("a store holds at most 65,536 assets"));
                    }
                    let id = self.assets.len() as u32;
                    self.asset_index.insert(asset.code.clone(), id);
                    self.assets.push(asset.clone());
                    id
                }
            };
            assets.push(id);
        }
        Ok(IdMaps { accounts, assets })
    }

    /// Write `accounts.parquet` and `assets.parquet` into `dir`.
    pub(crate) fn write(&self, dir: &Path) -> Result<()> {
        let a = &self.accounts;
        let ids: Vec<u32> = (0..a.len() as u32).collect();
        let accounts = vec![
            UInt32Chunked::from_vec("id".into(), ids).into_column(),
            Column::new(
                "key".into(),
                a.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "institution".into(),
                a.iter()
                    .map(|x| x.institution.as_deref())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "jurisdiction".into(),
                a.iter()
                    .map(|x| x.jurisdiction.as_deref())
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "kind".into(),
                a.iter().map(|x| x.kind.name()).collect::<Vec<_>>(),
            ),
            Column::new(
                "laundering".into(),
                a.iter().map(|x| x.laundering).collect::<Vec<_>>(),
            ),
        ];
        write_frame(&dir.join("accounts.parquet"), a.len(), accounts)?;
        let s = &self.assets;
        let ids: Vec<u32> = (0..s.len() as u32).collect();
        let assets = vec![
            UInt32Chunked::from_vec("id".into(), ids).into_column(),
            Column::new(
                "code".into(),
                s.iter().map(|x| x.code.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "virtual".into(),
                s.iter().map(|x| x.virtual_currency).collect::<Vec<_>>(),
            ),
            UInt32Chunked::from_vec("decimals".into(), s.iter().map(|x| x.decimals).collect())
                .into_column(),
        ];
        write_frame(&dir.join("assets.parquet"), s.len(), assets)
    }

    /// Read the dictionaries of the store in `dir`, expecting the counts
    /// its manifest states.
    pub(crate) fn read(dir: &Path, accounts: u64, assets: u64) -> Result<Dictionary> {
        let mut dictionary = Dictionary::default();
        let path = dir.join("accounts.parquet");
        let df = read_checked(&path, &ACCOUNT_COLUMNS, accounts, "store dictionary")?;
        let bad = |row: usize, column: &str, what: &str| {
            Error::format(&path, format!("row {row}, column \"{column}\": {what}"))
        };
        let typed = |e: PolarsError| Error::format(&path, format!("wrong column type: {e}"));
        let text = |name: &str| -> Result<Vec<Option<String>>> {
            optional_texts(df.column(name).map_err(typed)?).map_err(typed)
        };
        let ids = df
            .column("id")
            .map_err(typed)?
            .u32()
            .map_err(typed)?
            .clone();
        let keys = text("key")?;
        let institutions = text("institution")?;
        let jurisdictions = text("jurisdiction")?;
        let kinds = text("kind")?;
        let labels = optional_bools(df.column("laundering").map_err(typed)?).map_err(typed)?;
        for (row, id) in ids.iter().enumerate() {
            if id != Some(row as u32) {
                return Err(bad(row, "id", "ids must be 0, 1, 2, … in order"));
            }
            let key = keys[row]
                .clone()
                .ok_or_else(|| bad(row, "key", "missing"))?;
            let kind = kinds[row]
                .as_deref()
                .ok_or_else(|| bad(row, "kind", "missing"))?;
            let kind = AccountKind::parse(kind).ok_or_else(|| bad(row, "kind", "unknown kind"))?;
            if dictionary
                .account_index
                .insert(key.clone(), row as u32)
                .is_some()
            {
                return Err(bad(row, "key", "the key is listed twice"));
            }
            dictionary.accounts.push(Account {
                key,
                institution: institutions[row].clone(),
                jurisdiction: jurisdictions[row].clone(),
                kind,
                laundering: labels[row],
            });
        }
        let path = dir.join("assets.parquet");
        let df = read_checked(&path, &ASSET_COLUMNS, assets, "store dictionary")?;
        let typed = |e: PolarsError| Error::format(&path, format!("wrong column type: {e}"));
        let bad = |row: usize, column: &str, what: &str| {
            Error::format(&path, format!("row {row}, column \"{column}\": {what}"))
        };
        let ids = df
            .column("id")
            .map_err(typed)?
            .u32()
            .map_err(typed)?
            .clone();
        let codes = df
            .column("code")
            .map_err(typed)?
            .str()
            .map_err(typed)?
            .clone();
        let virtuals = df
            .column("virtual")
            .map_err(typed)?
            .bool()
            .map_err(typed)?
            .clone();
        let decimals = df
            .column("decimals")
            .map_err(typed)?
            .u32()
            .map_err(typed)?
            .clone();
        for row in 0..df.height() {
            if ids.get(row) != Some(row as u32) {
                return Err(bad(row, "id", "ids must be 0, 1, 2, … in order"));
            }
            let code = codes.get(row).ok_or_else(|| bad(row, "code", "missing"))?;
            let virtual_currency = virtuals
                .get(row)
                .ok_or_else(|| bad(row, "virtual", "missing"))?;
            let decimals = decimals
                .get(row)
                .filter(|&d| d <= 28)
                .ok_or_else(|| bad(row, "decimals", "missing or more than 28"))?;
            if dictionary
                .asset_index
                .insert(code.to_string(), row as u32)
                .is_some()
            {
                return Err(bad(row, "code", "the code is listed twice"));
            }
            dictionary.assets.push(Asset {
                code: code.to_string(),
                virtual_currency,
                decimals,
            });
        }
        Ok(dictionary)
    }
}

fn write_frame(path: &Path, height: usize, columns: Vec<Column>) -> Result<()> {
    let bad = |e: PolarsError| Error::invalid(format!("{}: {e}", path.display()));
    let mut df = DataFrame::new(height, columns).map_err(bad)?;
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    ParquetWriter::new(std::io::BufWriter::new(file))
        .with_compression(ParquetCompression::Zstd(None))
        .finish(&mut df)
        .map_err(bad)?;
    Ok(())
}
