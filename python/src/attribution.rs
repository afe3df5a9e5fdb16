//! Virtual currencies: address clustering of a UTXO file (`cluster`) and
//! exposure of an account to tagged entities (`Transfers.exposure`), as
//! the commands of the same names.

use crate::books::{account, exchange_links as links, Transfers};
use crate::errors::{argument, to_py};
use crate::records::json;
use crate::search::rule;
use moneytrail::attribution::{self, exposure, propagate, tagged_accounts, ExposureOptions};
use moneytrail::ingest::{read_tags, read_utxo};
use moneytrail::trace::{Balances, TraceOptions};
use moneytrail::AccountId;
use pyo3::prelude::*;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Serialize)]
struct ClusterRecord<'a> {
    cluster: u32,
    size: usize,
    addresses: Vec<&'a str>,
    entities: Vec<&'a str>,
    categories: Vec<&'static str>,
}

/// Cluster the addresses of a UTXO file (common-input heuristic, likely
/// CoinJoins left out unless `keep_coinjoin`); `tags` (a tags CSV)
/// spread to whole clusters. Returns (clusters as JSON records, the
/// number of likely CoinJoins).
#[pyfunction]
#[pyo3(signature = (path, *, tags = None, keep_coinjoin = false, lenient = false))]
pub(crate) fn cluster(
    py: Python<'_>,
    path: PathBuf,
    tags: Option<PathBuf>,
    keep_coinjoin: bool,
    lenient: bool,
) -> PyResult<(String, usize)> {
    py.detach(|| {
        let (txs, _) = read_utxo(&path, lenient, 1000).map_err(to_py)?;
        let options = attribution::ClusterOptions {
            exclude_coinjoin: !keep_coinjoin,
            ..attribution::ClusterOptions::default()
        };
        let clusters = attribution::cluster(&txs, &options);
        let tag_list = match &tags {
            Some(p) => read_tags(p).map_err(to_py)?,
            None => Vec::new(),
        };
        let applied = propagate(&clusters, &tag_list);
        let records: Vec<ClusterRecord<'_>> = clusters
            .members
            .iter()
            .enumerate()
            .map(|(c, members)| {
                let tags: Vec<_> = members
                    .iter()
                    .flat_map(|m| applied.get(m))
                    .flatten()
                    .collect();
                let mut entities: Vec<&str> = tags.iter().map(|t| t.tag.entity.as_str()).collect();
                entities.sort_unstable();
                entities.dedup();
                let mut categories: Vec<&'static str> =
                    tags.iter().map(|t| t.tag.category.name()).collect();
                categories.sort_unstable();
                categories.dedup();
                ClusterRecord {
                    cluster: c as u32,
                    size: members.len(),
                    addresses: members
                        .iter()
                        .map(|&m| clusters.addresses[m as usize].as_str())
                        .collect(),
                    entities,
                    categories,
                }
            })
            .collect();
        Ok((json(&records)?, clusters.coinjoins.len()))
    })
}

#[pymethods]
impl Transfers {
    /// Where `account`'s money came from and went among tagged entities
    /// (`tags`, a tags CSV), within `max_hops`, under `rule`; with
    /// `cluster`, for the whole address cluster of a UTXO input. JSON as
    /// `moneytrail exposure --json` prints it.
    #[pyo3(signature = (account, tags, *, max_hops = 3, rule = "fifo", cluster = false, currency = "USD",
        through_exchanges = "linked", exchange_links = None))]
    #[allow(clippy::too_many_arguments)]
    fn exposure_json(
        &self,
        py: Python<'_>,
        account: &str,
        tags: PathBuf,
        max_hops: u16,
        rule: &str,
        cluster: bool,
        currency: &str,
        through_exchanges: &str,
        exchange_links: Option<PathBuf>,
    ) -> PyResult<String> {
        let books = &self.books;
        let id = self::account(books, account)?;
        let mut options = ExposureOptions {
            max_hops,
            trace: TraceOptions {
                rule: self::rule(rule)?,
                ..TraceOptions::default()
            },
            ..ExposureOptions::default()
        };
        py.detach(|| {
            let l = books.graph.ledger();
            let subject: Vec<AccountId> = match (&books.clusters, cluster) {
                (Some(c), true) => {
                    let found = c.cluster(account).ok_or_else(|| {
                        argument(format!("{account} is not an address of the data"))
                    })?;
                    c.member_accounts(found, l)
                }
                (None, true) => return Err(argument("cluster=True needs UTXO input")),
                (_, false) => vec![id],
            };
            let tags = read_tags(&tags).map_err(to_py)?;
            let tagged = tagged_accounts(l, &tags, books.clusters.as_ref());
            let data = books.valued(currency)?;
            options.trace.exchange_links =
                links(&data, through_exchanges, exchange_links.as_deref(), None)?;
            let balances = Balances::new(l, &Default::default());
            let found = exposure(&data, &balances, &subject, &tagged, &options).map_err(to_py)?;
            json(&found)
        })
    }
}
