//! The vocabulary: accounts, assets, payment channels and their dense ids.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Dense index of an account in a [`Ledger`](crate::Ledger) (and of its node
/// in the [`FlowGraph`](crate::FlowGraph)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AccountId(pub u32);

/// Dense index of an asset (currency or token) in a ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AssetId(pub u16);

/// Dense index of a transfer in a ledger. Transfers are numbered in time
/// order (ties in input order), so a smaller id is never later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TransferId(pub u32);

impl AccountId {
    /// The id as a `usize` index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl AssetId {
    /// The id as a `usize` index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl TransferId {
    /// The id as a `usize` index.
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What sort of account a key names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// An account at a bank or payment institution.
    #[default]
    BankAccount,
    /// A virtual-asset address or self-hosted wallet.
    VirtualAssetAddress,
    /// An exchange or other virtual-asset service provider (VASP).
    Exchange,
    /// Cash, or a counterparty the data does not identify.
    CashOrUnknown,
    /// An on-chain (UTXO) transaction: the node its inputs pay into and its
    /// outputs are paid from (see [`read_utxo`](crate::ingest::read_utxo)).
    OnChainTransaction,
}

impl AccountKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [AccountKind; 5] = [
        AccountKind::BankAccount,
        AccountKind::VirtualAssetAddress,
        AccountKind::Exchange,
        AccountKind::CashOrUnknown,
        AccountKind::OnChainTransaction,
    ];

    /// The snake_case name used in files (`bank_account`, `virtual_asset_address`,
    /// `exchange`, `cash_or_unknown`).
    pub fn name(self) -> &'static str {
        match self {
            AccountKind::BankAccount => "bank_account",
            AccountKind::VirtualAssetAddress => "virtual_asset_address",
            AccountKind::Exchange => "exchange",
            AccountKind::CashOrUnknown => "cash_or_unknown",
            AccountKind::OnChainTransaction => "onchain_transaction",
        }
    }

    /// Parse a kind as written in the transfers layout. Accepts the names of
    /// [`AccountKind::name`] and the short forms `bank`, `address`, `wallet`,
    /// `vasp`, `cash`, `unknown` (any case).
    pub fn parse(text: &str) -> Option<AccountKind> {
        let lower = text.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "bank_account" | "bank" | "account" => AccountKind::BankAccount,
            "virtual_asset_address" | "address" | "wallet" => AccountKind::VirtualAssetAddress,
            "exchange" | "vasp" => AccountKind::Exchange,
            "cash_or_unknown" | "cash" | "unknown" => AccountKind::CashOrUnknown,
            "onchain_transaction" => AccountKind::OnChainTransaction,
            _ => return None,
        })
    }
}

/// An account (bank account, address, exchange, or cash) as the data names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The identifier that is unique in the data set. For the AMLworld
    /// layout it is `"<bank>:<account>"`, bank id with its leading zeros.
    pub key: String,
    /// The bank, payment institution or VASP holding the account, if known.
    pub institution: Option<String>,
    /// The country or jurisdiction of the account, if known.
    pub jurisdiction: Option<String>,
    /// What sort of account it is.
    pub kind: AccountKind,
    /// An account-level laundering label, where the data set has one (AMLSim
    /// `nodes.csv` `isFraud`).
    pub laundering: Option<bool>,
}

impl Account {
    /// A bank account with only a key.
    pub fn new(key: impl Into<String>) -> Account {
        Account {
            key: key.into(),
            institution: None,
            jurisdiction: None,
            kind: AccountKind::BankAccount,
            laundering: None,
        }
    }
}

/// A currency or virtual asset.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Asset {
    /// ISO 4217 code for currencies ("USD"), ticker for virtual assets ("BTC").
    pub code: String,
    /// Whether it is a virtual asset (cryptocurrency or token).
    pub virtual_currency: bool,
    /// Decimal places its amounts show with on screen: ISO 4217 minor units
    /// for currencies (2 unless the currency has 0 or 3), 8 for Bitcoin and
    /// the coins that count like it, 6 for the USD stablecoins, else the
    /// most the data itself uses (at most 18; set when the ledger is built).
    /// Files always keep the exact amounts.
    pub decimals: u32,
}

/// Decimal places of the assets whose precision is known by their code.
fn known_decimals(code: &str, virtual_currency: bool) -> Option<u32> {
    match code {
        "BTC" | "LTC" | "BCH" | "DOGE" | "DASH" | "ZEC" => Some(8),
        "USDT" | "USDC" => Some(6),
        "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "UGX" | "PYG" | "XOF" | "XAF" | "RWF" | "KMF"
        | "GNF" | "VUV" | "DJF" => Some(0),
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "IQD" | "LYD" => Some(3),
        _ if virtual_currency => None,
        _ => Some(2),
    }
}

/// Tickers moneytrail knows to be virtual assets. Codes not listed here (and
/// not marked virtual by the data) are treated as fiat currencies.
const VIRTUAL_TICKERS: &[&str] = &[
    "BTC", "ETH", "USDT", "USDC", "XMR", "LTC", "BCH", "TRX", "BNB", "SOL", "XRP", "DAI", "DOGE",
    "ZEC", "DASH", "ADA", "MATIC", "TON",
];

impl Asset {
    /// An asset from its code, upper-cased; virtual if the code is a known
    /// virtual-asset ticker.
    pub fn from_code(code: &str) -> Asset {
        let code = code.trim().to_ascii_uppercase();
        let virtual_currency = VIRTUAL_TICKERS.contains(&code.as_str());
        Asset {
            decimals: known_decimals(&code, virtual_currency).unwrap_or(0),
            code,
            virtual_currency,
        }
    }

    /// Whether its precision is known by its code (else the ledger takes
    /// the data's own).
    pub(crate) fn precision_known(&self) -> bool {
        known_decimals(&self.code, self.virtual_currency).is_some()
    }

    /// An amount of it as it shows on screen: at its precision, with
    /// thousands separators, and its code.
    ///
    /// ```
    /// use moneytrail::Asset;
    /// use rust_decimal::Decimal;
    /// let eur = Asset::from_code("EUR");
    /// assert_eq!(eur.show("7495.6".parse().unwrap()), "7,495.60 EUR");
    /// let btc = Asset::from_code("btc");
    /// assert_eq!(btc.show("1.893744204508".parse().unwrap()), "1.89374420 BTC");
    /// assert_eq!(btc.show(Decimal::ZERO), "0 BTC");
    /// ```
    pub fn show(&self, amount: rust_decimal::Decimal) -> String {
        format!(
            "{} {}",
            crate::format::amount(amount, self.decimals),
            self.code
        )
    }
}

/// Map an AMLworld currency name ("US Dollar", "Bitcoin"…) to its ISO 4217
/// code or ticker. Returns `None` for names the AMLworld data sets do not use.
///
/// ```
/// assert_eq!(moneytrail::amlworld_currency_code("Yuan"), Some("CNY"));
/// assert_eq!(moneytrail::amlworld_currency_code("Bitcoin"), Some("BTC"));
/// assert_eq!(moneytrail::amlworld_currency_code("Doubloon"), None);
/// ```
pub fn amlworld_currency_code(name: &str) -> Option<&'static str> {
    Some(match name {
        "US Dollar" => "USD",
        "Euro" => "EUR",
        "Yuan" => "CNY",
        "Yen" => "JPY",
        "UK Pound" => "GBP",
        "Rupee" => "INR",
        "Ruble" => "RUB",
        "Canadian Dollar" => "CAD",
        "Australian Dollar" => "AUD",
        "Swiss Franc" => "CHF",
        "Mexican Peso" => "MXN",
        "Brazil Real" => "BRL",
        "Saudi Riyal" => "SAR",
        "Shekel" => "ILS",
        "Bitcoin" => "BTC",
        _ => return None,
    })
}

/// How a transfer was made: the payment formats analysts see.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Channel {
    /// Wire transfer.
    Wire,
    /// Automated clearing house / credit transfer.
    Ach,
    /// Cheque.
    Cheque,
    /// Cash deposit or withdrawal.
    Cash,
    /// Credit card payment.
    CreditCard,
    /// Reinvestment between a customer's own products.
    Reinvestment,
    /// On-chain or exchange-internal virtual-currency transfer.
    VirtualCurrency,
    /// Not stated, or a format moneytrail does not know.
    #[default]
    Other,
}

impl Channel {
    /// All channels, in their order.
    pub const ALL: [Channel; 8] = [
        Channel::Wire,
        Channel::Ach,
        Channel::Cheque,
        Channel::Cash,
        Channel::CreditCard,
        Channel::Reinvestment,
        Channel::VirtualCurrency,
        Channel::Other,
    ];

    /// The snake_case name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Channel::Wire => "wire",
            Channel::Ach => "ach",
            Channel::Cheque => "cheque",
            Channel::Cash => "cash",
            Channel::CreditCard => "credit_card",
            Channel::Reinvestment => "reinvestment",
            Channel::VirtualCurrency => "virtual_currency",
            Channel::Other => "other",
        }
    }

    /// Parse a payment format: AMLworld's spellings ("ACH", "Cheque", "Cash",
    /// "Credit Card", "Wire", "Reinvestment", "Bitcoin"), AMLSim's
    /// (`TRANSFER`, `WIRE`, `CHECK`, `CASH-IN`, `CASH-OUT`, `CREDIT`…) and the
    /// snake_case names of [`Channel::name`], in any case. Unknown text is
    /// `None`.
    pub fn parse(text: &str) -> Option<Channel> {
        // every name is short: lower-case it on the stack (this runs once
        // per loaded row)
        let text = text.trim();
        let mut buffer = [0u8; 24];
        let lower = buffer.get_mut(..text.len())?;
        lower.copy_from_slice(text.as_bytes());
        lower.make_ascii_lowercase();
        Some(match std::str::from_utf8(lower).ok()? {
            "wire" => Channel::Wire,
            "ach" | "transfer" | "credit_transfer" | "sepa" => Channel::Ach,
            "cheque" | "check" => Channel::Cheque,
            "cash" | "cash-in" | "cash-out" | "cash_in" | "cash_out" | "deposit" | "withdrawal" => {
                Channel::Cash
            }
            "credit card" | "credit_card" | "credit" | "card" => Channel::CreditCard,
            "reinvestment" => Channel::Reinvestment,
            "bitcoin" | "virtual_currency" | "crypto" | "on_chain" | "onchain" => {
                Channel::VirtualCurrency
            }
            "other" | "" => Channel::Other,
            _ => return None,
        })
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an entity named by an attribution tag is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// A virtual-asset exchange or other VASP.
    Exchange,
    /// A mixer or tumbler.
    Mixer,
    /// A darknet market.
    DarknetMarket,
    /// A sanctioned person or entity.
    Sanctioned,
    /// Gambling.
    Gambling,
    /// Ransomware proceeds.
    Ransomware,
    /// A scam or fraud.
    Scam,
    /// Anything else.
    Other,
}

impl Category {
    /// Parse a category name (any case; `-` or space for `_`; `vasp` is
    /// `exchange`, `darknet` is `darknet_market`).
    pub fn parse(text: &str) -> Option<Category> {
        let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Some(match t.as_str() {
            "exchange" | "vasp" => Category::Exchange,
            "mixer" | "tumbler" => Category::Mixer,
            "darknet_market" | "darknet" => Category::DarknetMarket,
            "sanctioned" | "sanctions" => Category::Sanctioned,
            "gambling" => Category::Gambling,
            "ransomware" => Category::Ransomware,
            "scam" | "fraud" => Category::Scam,
            "other" => Category::Other,
            _ => return None,
        })
    }

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            Category::Exchange => "exchange",
            Category::Mixer => "mixer",
            Category::DarknetMarket => "darknet_market",
            Category::Sanctioned => "sanctioned",
            Category::Gambling => "gambling",
            Category::Ransomware => "ransomware",
            Category::Scam => "scam",
            Category::Other => "other",
        }
    }
}

/// One attribution tag: who an address or account is known to belong to.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Tag {
    /// The address or account tagged.
    pub address: String,
    /// The entity's name.
    pub entity: String,
    /// What the entity is.
    pub category: Category,
    /// Where the attribution comes from.
    pub source: String,
    /// How sure the source is, 0 to 1.
    pub confidence: f64,
}
