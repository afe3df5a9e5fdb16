//! Tests of the readers on small hand-written files.

use super::*;
use crate::error::{ErrorKind, Reason};
use crate::model::{AccountKind, Channel};
use rust_decimal::Decimal;
use std::path::PathBuf;
use tempfile::TempDir;

fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn strict(path: &Path) -> Result<Loaded> {
    load(path, &LoadOptions::default())
}

fn lenient(path: &Path) -> Loaded {
    load(
        path,
        &LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        },
    )
    .unwrap()
}

fn row_error(result: Result<Loaded>) -> RowError {
    match result {
        Err(e) => match e.into_kind() {
            ErrorKind::Row(r) => r,
            other => panic!("expected a row error, got {other:?}"),
        },
        Ok(_) => panic!("expected an error"),
    }
}

const AMLWORLD_HEADER: &str = "Timestamp,From Bank,Account,To Bank,Account,Amount Received,Receiving Currency,Amount Paid,Payment Currency,Payment Format,Is Laundering\n";

#[test]
fn amlworld_keeps_leading_zeros_and_maps_currencies() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "aml.csv",
        &format!(
            "{AMLWORLD_HEADER}2022/09/01 00:20,010,8000EBD30,10,8000EBD30,3697.34,US Dollar,3697.34,US Dollar,Reinvestment,0\n\
             2022/09/01 00:06,021174,800737690,012,80011F990,2848.96,Euro,3100.00,US Dollar,ACH,1\n\
             2022/09/01 00:07,0070,1004286A8,0070,1004286A8,0.012300,Bitcoin,0.012300,Bitcoin,Bitcoin,0\n"
        ),
    );
    let loaded = strict(&path).unwrap();
    assert_eq!(loaded.report.layout, Layout::AmlWorld);
    assert!(loaded.report.layout_detected);
    let l = &loaded.ledger;
    assert_eq!(l.len(), 3);
    // "010:8000EBD30" and "10:8000EBD30" are two accounts
    assert!(l.account_id("010:8000EBD30").is_some());
    assert!(l.account_id("10:8000EBD30").is_some());
    assert_eq!(
        l.account(l.account_id("010:8000EBD30").unwrap())
            .institution
            .as_deref(),
        Some("010")
    );
    // sorted by time: the 00:06 row (data row 1) first
    assert_eq!(l.source_rows(), &[1, 2, 0]);
    let t = l.transfer(TransferIdAt(0).id());
    assert_eq!(l.asset(t.asset_paid).code, "USD");
    assert_eq!(l.asset(t.asset_received).code, "EUR");
    assert_eq!(t.amount_paid, Decimal::new(310000, 2));
    assert_eq!(t.amount_received, Decimal::new(284896, 2));
    assert_eq!(t.channel, Channel::Ach);
    assert_eq!(t.laundering, Some(true));
    let btc = l.transfer(TransferIdAt(1).id());
    assert!(l.asset(btc.asset_paid).virtual_currency);
    assert_eq!(btc.amount_paid.to_string(), "0.012300");
    assert_eq!(btc.channel, Channel::VirtualCurrency);
}

/// A transfer id by position, for readability in tests.
struct TransferIdAt(u32);
impl TransferIdAt {
    fn id(&self) -> crate::model::TransferId {
        crate::model::TransferId(self.0)
    }
}

#[test]
fn every_bad_value_names_row_line_and_column() {
    let dir = TempDir::new().unwrap();
    let good = "2022/09/01 00:20,010,A,011,B,10.00,US Dollar,10.00,US Dollar,ACH,0";
    let cases: &[(&str, Reason, &str)] = &[
        (
            "2022/09/31 00:20,010,A,011,B,10.00,US Dollar,10.00,US Dollar,ACH,0",
            Reason::BadTime,
            "Timestamp",
        ),
        (
            "2022/09/01 00:20,010,A,011,B,10.00,US Dollar,ten,US Dollar,ACH,0",
            Reason::BadAmount,
            "Amount Paid",
        ),
        (
            "2022/09/01 00:20,010,A,011,B,-5.00,US Dollar,10.00,US Dollar,ACH,0",
            Reason::NegativeAmount,
            "Amount Received",
        ),
        (
            "2022/09/01 00:20,010,,011,B,10.00,US Dollar,10.00,US Dollar,ACH,0",
            Reason::EmptyAccount,
            "Account (column 3, from)",
        ),
        (
            "2022/09/01 00:20,010,A,,B,10.00,US Dollar,10.00,US Dollar,ACH,0",
            Reason::EmptyAccount,
            "To Bank",
        ),
        (
            "2022/09/01 00:20,010,A,011,B,10.00,,10.00,US Dollar,ACH,0",
            Reason::MissingValue,
            "Receiving Currency",
        ),
        (
            "2022/09/01 00:20,010,A,011,B,10.00,US Dollar,10.00,US Dollar,ACH,maybe",
            Reason::BadNumber,
            "Is Laundering",
        ),
        (
            "2022/09/01 00:20,010,A,011,B,10.00,US Dollar,10.00,US Dollar,ACH",
            Reason::WrongFieldCount,
            "(record)",
        ),
        (
            "2022/09/01 00:20,010,A,011,B,10.00,US Dollar,10.00,US Dollar,ACH,0,extra",
            Reason::WrongFieldCount,
            "(record)",
        ),
    ];
    for (i, (bad, reason, column)) in cases.iter().enumerate() {
        let text = format!("{AMLWORLD_HEADER}{good}\n{good}\n\n{bad}\n{good}\n");
        let path = write(&dir, &format!("bad{i}.csv"), &text);
        let e = row_error(strict(&path));
        assert_eq!(e.reason, *reason, "case {i}: {e}");
        assert_eq!(e.row, 2, "case {i}: blank lines are not rows");
        assert_eq!(e.line, Some(5), "case {i}");
        assert_eq!(&e.column, column, "case {i}");
        let message = e.to_string();
        assert!(message.contains(&format!("bad{i}.csv")), "{message}");
        assert!(message.contains("row 2 (line 5)"), "{message}");
        assert!(message.contains(column), "{message}");
        // lenient: the bad row is skipped, listed and counted
        let loaded = lenient(&path);
        let r = &loaded.report;
        assert_eq!(
            (r.rows_read, r.rows_loaded, r.rows_rejected),
            (4, 3, 1),
            "case {i}"
        );
        assert!(r.reconciles());
        assert_eq!(r.rejected_for(*reason), 1);
        assert_eq!(r.rejected[0].0.row, 2);
        assert_eq!(loaded.ledger.len(), 3);
    }
}

#[test]
fn strict_reports_the_first_bad_row_across_chunks() {
    let dir = TempDir::new().unwrap();
    let good = "2022/09/01 00:20,010,A,011,B,10.00,US Dollar,10.00,US Dollar,ACH,0\n";
    let mut text = AMLWORLD_HEADER.to_string();
    for i in 0..300 {
        if i == 150 {
            text.push_str("2022/09/01 00:20,010,A,011,B,10.00,US Dollar,x,US Dollar,ACH,0\n");
        } else if i == 250 {
            text.push_str("2022/09/01 00:20,010,A,011,B\n");
        } else {
            text.push_str(good);
        }
    }
    let path = write(&dir, "many.csv", &text);
    for chunk_bytes in [100, 1000, 1 << 20] {
        let options = LoadOptions {
            chunk_bytes,
            ..LoadOptions::default()
        };
        let e = match load(&path, &options) {
            Err(e) => e,
            Ok(_) => panic!("must fail"),
        };
        assert!(e.to_string().contains("row 150 (line 152)"), "{e}");
        let loaded = load(
            &path,
            &LoadOptions {
                lenient: true,
                ..options
            },
        )
        .unwrap();
        let r = &loaded.report;
        assert_eq!((r.rows_read, r.rows_loaded, r.rows_rejected), (300, 298, 2));
        assert_eq!(
            r.rejected.iter().map(|x| x.0.row).collect::<Vec<_>>(),
            [150, 250]
        );
        assert_eq!(loaded.ledger.source_rows().len(), 298);
    }
}

#[test]
fn wrong_layouts_and_missing_columns_are_clear() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "x.csv", "a,b,c\n1,2,3\n");
    let e = strict(&path).unwrap_err().to_string();
    assert!(
        e.contains("unrecognised layout") && e.contains("a,b,c"),
        "{e}"
    );

    let path = write(
        &dir,
        "t.csv",
        "tx_id,time,from,to,amount\n1,2024-01-01T00:00:00Z,a,b,3\n",
    );
    let options = LoadOptions {
        format: Format::Transfers,
        ..LoadOptions::default()
    };
    let e = load(&path, &options).unwrap_err().to_string();
    assert!(e.contains("missing required column \"asset\""), "{e}");

    let path = write(&dir, "aml.csv", "tx_id,time,from,to,amount,asset\n");
    let options = LoadOptions {
        format: Format::AmlWorld,
        ..LoadOptions::default()
    };
    let e = load(&path, &options).unwrap_err().to_string();
    assert!(e.contains("not the AMLworld layout"), "{e}");

    let e = strict(&dir.path().join("absent.csv")).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io { .. }));
    assert!(e.to_string().contains("absent.csv"));
}

#[test]
fn no_input_makes_the_reader_panic() {
    let dir = TempDir::new().unwrap();
    let inputs: &[&[u8]] = &[
        b"",
        b"\n\n\n",
        b"tx_id,time,from,to,amount,asset",
        b"tx_id,time,from,to,amount,asset\n\"unterminated,2024-01-01T00:00:00Z,a,b,1,EUR\n",
        b"tx_id,time,from,to,amount,asset\n1,2024-01-01T00:00:00Z,a,b,1,EUR\xff\xfe\n",
        b"\xEF\xBB\xBFtx_id,time,from,to,amount,asset\n1,2024-01-01T00:00:00Z,a,b,1,EUR\n",
        b"PAR1garbage",
        b"{\"tx_id\": 1, \"time\": ",
        b"{}\n[]\n3\n",
        b"BEGIN LAUNDERING ATTEMPT - CYCLE\n",
        b"END LAUNDERING ATTEMPT - CYCLE\n",
        b"sourceNodeId,targetNodeId,value,time\n1,2,3,-1\n1,2,3,99999999999999999999\n",
        b"tx_id,time,from,to,amount,asset\n1,2024-01-01T00:00:00Z,a,b,99999999999999999999999999999999,EUR\n",
    ];
    for (i, bytes) in inputs.iter().enumerate() {
        let path = dir.path().join(format!("in{i}"));
        std::fs::write(&path, bytes).unwrap();
        for lenient_mode in [false, true] {
            let options = LoadOptions {
                lenient: lenient_mode,
                ..LoadOptions::default()
            };
            let outcome =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load(&path, &options)));
            let result = outcome.unwrap_or_else(|_| panic!("input {i} panicked"));
            if let Ok(loaded) = result {
                assert!(loaded.report.reconciles(), "input {i}");
            }
        }
    }
}

#[test]
fn bom_quotes_and_crlf_are_read() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "t.csv",
        "\u{feff}tx_id,time,from,to,amount,asset,from_institution\r\n\
         1,2024-01-01T00:00:00Z,\"Smith, J\",b,1.5,eur,\"Bank \"\"A\"\"\"\r\n\
         2,2024-01-01T01:00:00Z,\"multi\nline\",b,2,EUR,\r\n",
    );
    let loaded = strict(&path).unwrap();
    let l = &loaded.ledger;
    assert_eq!(l.len(), 2);
    let smith = l.account_id("Smith, J").unwrap();
    assert_eq!(l.account(smith).institution.as_deref(), Some("Bank \"A\""));
    assert!(l.account_id("multi\nline").is_some());
    assert_eq!(l.assets().len(), 1);
    assert_eq!(l.assets()[0].code, "EUR");
}

#[test]
fn transfers_layout_expresses_virtual_currency() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "vc.csv",
        "tx_id,time,from,to,amount,asset,amount_received,asset_received,channel,from_institution,to_institution,from_jurisdiction,to_jurisdiction,chain,tx_hash,label,from_kind,to_kind,memo\n\
         t1,2024-03-01T10:00:00Z,DE-1,coinhub,1000.00,EUR,,,wire,Rhein Bank,CoinHub,DE,MT,,,0,bank,exchange,hello\n\
         t2,2024-03-01T10:30:00+01:00,coinhub,bc1qxyz,0.01600000,BTC,,,,,,,,bitcoin,abc123,1,,,\n\
         t3,2024-03-01T11:00:00Z,bc1qxyz,swap,0.016,BTC,1040.00,USDT,,,,,,bitcoin,def,1,,exchange,\n",
    );
    let loaded = strict(&path).unwrap();
    let l = &loaded.ledger;
    assert!(loaded.report.notes.iter().any(|n| n.contains("memo")));
    let hub = l.account(l.account_id("coinhub").unwrap());
    assert_eq!(
        hub.kind,
        AccountKind::Exchange,
        "an explicit kind wins over inference"
    );
    assert_eq!(hub.jurisdiction.as_deref(), Some("MT"));
    let wallet = l.account(l.account_id("bc1qxyz").unwrap());
    assert_eq!(wallet.kind, AccountKind::VirtualAssetAddress);
    assert_eq!(
        l.account(l.account_id("swap").unwrap()).kind,
        AccountKind::Exchange
    );
    // t2 at 09:30Z comes before t1 at 10:00Z
    let first = l.transfer(TransferIdAt(0).id());
    assert_eq!(first.tx_id.as_deref(), Some("t2"));
    assert_eq!(first.chain.as_deref(), Some("bitcoin"));
    assert_eq!(first.tx_hash.as_deref(), Some("abc123"));
    assert_eq!(first.channel, Channel::VirtualCurrency);
    let swap = l.transfer(TransferIdAt(2).id());
    assert_eq!(l.asset(swap.asset_received).code, "USDT");
    assert!(l.asset(swap.asset_received).virtual_currency);
    assert_eq!(swap.amount_received, Decimal::new(104000, 2));
    assert_eq!(swap.laundering, Some(true));
}

#[test]
fn transfers_needs_amount_received_when_the_asset_changes() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "fx.csv",
        "tx_id,time,from,to,amount,asset,asset_received\n1,2024-01-01T00:00:00Z,a,b,5,EUR,USD\n",
    );
    let e = row_error(strict(&path));
    assert_eq!(e.column, "amount_received");
    assert_eq!(e.reason, Reason::MissingValue);
}

#[test]
fn transfers_time_must_be_rfc3339() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "t.csv",
        "tx_id,time,from,to,amount,asset\n1,01/02/2024,a,b,5,EUR\n",
    );
    let e = row_error(strict(&path));
    assert_eq!(
        (e.column.as_str(), e.reason, e.row, e.line),
        ("time", Reason::BadTime, 0, Some(2))
    );
    assert!(e.to_string().contains("RFC 3339"), "{e}");
    assert!(e.to_string().contains("01/02/2024"), "{e}");
}

#[test]
fn json_lines_read_exact_numbers_and_name_bad_lines() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "t.jsonl",
        "{\"tx_id\":\"a\",\"time\":\"2024-03-01T12:00:00Z\",\"from\":\"x\",\"to\":\"y\",\"amount\":0.1,\"asset\":\"EUR\"}\n\
         \n\
         {\"tx_id\":2,\"time\":\"2024-03-01T13:00:00Z\",\"from\":\"y\",\"to\":\"z\",\"amount\":\"123456789012345.891\",\"asset\":\"EUR\",\"label\":true,\"extra\":null}\n\
         {\"tx_id\":3,\"time\":\"2024-03-01T13:00:00Z\",\"from\":\"y\",\"to\":\"z\",\"amount\":\"-1\",\"asset\":\"EUR\"}\n\
         not json\n",
    );
    let e = row_error(strict(&path));
    assert_eq!(
        (e.row, e.line, e.reason),
        (2, Some(4), Reason::NegativeAmount)
    );
    assert_eq!(e.column, "amount");
    let loaded = lenient(&path);
    let l = &loaded.ledger;
    assert_eq!(loaded.report.layout, Layout::TransfersJsonLines);
    assert_eq!(
        (loaded.report.rows_read, loaded.report.rows_rejected),
        (4, 2)
    );
    assert_eq!(loaded.report.rejected_for(Reason::BadJson), 1);
    assert_eq!(loaded.report.rejected[1].0.line, Some(5));
    assert_eq!(l.amounts_paid()[0].to_string(), "0.1");
    assert_eq!(l.amounts_paid()[1].to_string(), "123456789012345.891");
    assert_eq!(l.transfer(TransferIdAt(1).id()).tx_id.as_deref(), Some("2"));
    assert!(loaded.report.notes.iter().any(|n| n.contains("extra")));
}

#[test]
fn parquet_reads_typed_and_text_columns() {
    use polars::prelude::*;
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("t.parquet");
    let micros = [
        crate::time::parse_rfc3339("2024-03-01T12:00:00Z").unwrap(),
        crate::time::parse_rfc3339("2024-03-01T11:00:00Z").unwrap(),
    ];
    let time = Series::new("time".into(), &micros)
        .cast(&DataType::Datetime(TimeUnit::Microseconds, None))
        .unwrap();
    let mut df = DataFrame::new(
        2,
        vec![
            Column::new("tx_id".into(), &["p1", "p2"]),
            time.into(),
            Column::new("from".into(), &["a", "b"]),
            Column::new("to".into(), &["b", "c"]),
            Column::new("amount".into(), &[10.25f64, 0.1]),
            Column::new("asset".into(), &["EUR", "EUR"]),
            Column::new("label".into(), &[1i64, 0]),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    let loaded = strict(&path).unwrap();
    assert_eq!(loaded.report.layout, Layout::TransfersParquet);
    let l = &loaded.ledger;
    assert_eq!(l.len(), 2);
    assert_eq!(l.source_rows(), &[1, 0]);
    assert_eq!(l.amounts_paid()[0].to_string(), "0.1");
    assert_eq!(l.amounts_paid()[1].to_string(), "10.25");
    assert_eq!(l.times_us()[0], micros[1]);
    assert_eq!(l.laundering_labels(), &[Some(false), Some(true)]);
}

#[test]
fn parquet_is_read_in_row_group_chunks_with_file_row_numbers() {
    use polars::prelude::*;
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("t.parquet");
    let n = 1000;
    let ids: Vec<String> = (0..n).map(|i| format!("t{i}")).collect();
    // row 700 has a bad amount; times run backwards so the ledger reorders
    let times: Vec<String> = (0..n)
        .map(|i| {
            crate::time::to_rfc3339(
                crate::time::parse_rfc3339("2024-03-01T00:00:00Z").unwrap()
                    + (n - i) as i64 * crate::time::MINUTE,
            )
        })
        .collect();
    let froms: Vec<String> = (0..n).map(|i| format!("a{}", i % 37)).collect();
    let tos: Vec<String> = (0..n).map(|i| format!("a{}", (i * 7 + 3) % 41)).collect();
    let amounts: Vec<String> = (0..n)
        .map(|i| {
            if i == 700 {
                "ten".into()
            } else {
                format!("{i}.5")
            }
        })
        .collect();
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("tx_id".into(), &ids),
            Column::new("time".into(), &times),
            Column::new("from".into(), &froms),
            Column::new("to".into(), &tos),
            Column::new("amount".into(), &amounts),
            Column::new("asset".into(), vec!["EUR"; n]),
            Column::new("remarks".into(), vec!["not read"; n]),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(&path).unwrap();
    ParquetWriter::new(file)
        .with_row_group_size(Some(128))
        .finish(&mut df)
        .unwrap();
    let mut reader = ParquetReader::new(std::fs::File::open(&path).unwrap());
    let groups = reader.get_metadata().unwrap().row_groups.len();
    assert!(groups >= 4, "{groups} row groups: too few to test chunks");
    let load_with = |chunk_bytes: usize, lenient: bool| {
        load(
            &path,
            &LoadOptions {
                chunk_bytes,
                lenient,
                ..LoadOptions::default()
            },
        )
    };
    // one row group per batch, a few per batch, the whole file in one
    for chunk_bytes in [1, 4 << 10, 1 << 30] {
        let err = load_with(chunk_bytes, false).unwrap_err();
        let row = match err.kind() {
            crate::ErrorKind::Row(r) => r.row,
            other => panic!("{other:?}"),
        };
        assert_eq!(row, 700, "chunk_bytes {chunk_bytes}");
        let loaded = load_with(chunk_bytes, true).unwrap();
        assert_eq!(loaded.report.rows_loaded, n as u64 - 1);
        assert_eq!(loaded.report.rejected[0].0.row, 700);
        let l = &loaded.ledger;
        assert_eq!(l.len(), n - 1);
        // the earliest transfer is the file's last row
        assert_eq!(l.source_rows()[0], n as u32 - 1);
        let t = l.transfer(TransferIdAt(0).id());
        assert_eq!(t.tx_id.as_deref(), Some("t999"));
        assert_eq!(l.amounts_paid()[0].to_string(), "999.5");
        assert!(loaded.report.notes.iter().any(|n| n.contains("remarks")));
    }
}

#[test]
fn patterns_file_gives_transfers_and_attempts() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "p.txt",
        "BEGIN LAUNDERING ATTEMPT - FAN-OUT:  Max 2-degree Fan-Out\n\
         2022/09/01 00:06,021174,800737690,012,80011F990,2848.96,Euro,2848.96,Euro,ACH,1\n\
         2022/09/01 04:33,021174,800737690,020,80020C5B0,8630.40,Euro,8630.40,Euro,ACH,1\n\
         END LAUNDERING ATTEMPT - FAN-OUT\n\
         \n\
         BEGIN LAUNDERING ATTEMPT - GATHER-SCATTER\n\
         2022/09/02 00:06,1,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH,1\n\
         END LAUNDERING ATTEMPT - GATHER-SCATTER\n",
    );
    let loaded = strict(&path).unwrap();
    assert_eq!(loaded.report.layout, Layout::AmlWorldPatterns);
    assert_eq!(loaded.ledger.len(), 3);
    assert_eq!(loaded.attempts.len(), 2);
    let a = &loaded.attempts[0];
    assert_eq!(
        (a.typology.as_str(), a.typology_name().as_str()),
        ("FAN-OUT", "fan_out")
    );
    assert_eq!(a.detail.as_deref(), Some("Max 2-degree Fan-Out"));
    assert_eq!(a.rows, [0, 1]);
    assert_eq!(loaded.attempts[1].typology_name(), "gather_scatter");
    assert_eq!(loaded.attempts[1].rows, [2]);
    assert_eq!(loaded.attempts[1].line, 6);

    for (name, text, expect) in [
        (
            "open.txt",
            "BEGIN LAUNDERING ATTEMPT - CYCLE\n",
            "never ends",
        ),
        (
            "orphan.txt",
            "2022/09/02 00:06,1,A,2,B,1.00,US Dollar,1.00,US Dollar,ACH,1\n",
            "line 1: a transaction outside",
        ),
        (
            "mismatch.txt",
            "BEGIN LAUNDERING ATTEMPT - CYCLE\nEND LAUNDERING ATTEMPT - STACK\n",
            "line 2: END of a STACK",
        ),
    ] {
        let path = write(&dir, name, text);
        let options = LoadOptions {
            format: Format::Patterns,
            ..LoadOptions::default()
        };
        let e = load(&path, &options).unwrap_err().to_string();
        assert!(e.contains(expect), "{name}: {e}");
    }
}

#[test]
fn amlsim_sample_reads_steps_as_days_and_labels_accounts() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "transactions.csv",
        "sourceNodeId,targetNodeId,value,time\n1,2,147.8,1\n2,0,104.06,0\n",
    );
    write(
        &dir,
        "nodes.csv",
        "nodeid,isFraud,init_balance,fraudStep\n0,0,1.0,-1\n1,1,2.0,3\n2,0,3.0,-1\n3,1,4.0,5\n",
    );
    let loaded = strict(&path).unwrap();
    assert_eq!(loaded.report.layout, Layout::AmlSimSample);
    let l = &loaded.ledger;
    assert_eq!(l.accounts().len(), 4, "every node is an account");
    assert_eq!(l.account(l.account_id("1").unwrap()).laundering, Some(true));
    assert_eq!(
        l.account(l.account_id("0").unwrap()).laundering,
        Some(false)
    );
    assert_eq!(
        crate::time::to_rfc3339(l.times_us()[0]),
        "2017-01-01T00:00:00Z"
    );
    assert_eq!(
        crate::time::to_rfc3339(l.times_us()[1]),
        "2017-01-02T00:00:00Z"
    );
    assert_eq!(l.asset(l.assets_paid()[0]).code, "USD");

    write(&dir, "nodes.csv", "nodeid,isFraud\n0,0\n1,yes\n");
    let e = row_error(strict(&path));
    assert!(e.path.ends_with("nodes.csv"));
    assert_eq!((e.row, e.column.as_str()), (1, "isFraud"));
}

#[test]
fn amlsim_native_layout() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "tx.csv",
        "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n\
         1,10,20,TRANSFER,100.5,2017-01-01T00:00:00Z,False,-1\n\
         2,20,30,CASH-OUT,50,2017-01-02 10:00:00,True,7\n\
         3,30,10,ODD,5,2017-01-03,False,-1\n",
    );
    let loaded = strict(&path).unwrap();
    assert_eq!(loaded.report.layout, Layout::AmlSimNative);
    let l = &loaded.ledger;
    assert_eq!(l.len(), 3);
    assert_eq!(
        l.laundering_labels(),
        &[Some(false), Some(true), Some(false)]
    );
    assert_eq!(l.channels(), &[Channel::Ach, Channel::Cash, Channel::Other]);
    assert!(loaded.report.notes.iter().any(|n| n.contains("\"ODD\"")));
    assert_eq!(l.tx_ids().unwrap().get(1), Some("2"));
}

#[test]
fn format_names_parse() {
    assert_eq!("auto".parse::<Format>().unwrap(), Format::Auto);
    assert_eq!("AMLSIM".parse::<Format>().unwrap(), Format::AmlSim);
    assert!("xml".parse::<Format>().is_err());
}

#[test]
fn a_conversion_on_the_virtual_currency_channel_leaves_fiat_fiat() {
    let dir = TempDir::new().unwrap();
    let path = write(
        &dir,
        "trade.csv",
        "tx_id,time,from,to,amount,asset,amount_received,asset_received,channel\n\
         1,2024-01-01T00:00:00Z,coinhub,coinhub,65000,USD,1,BTC,virtual_currency\n",
    );
    let l = strict(&path).unwrap().ledger;
    assert!(!l.asset(l.asset_id("USD").unwrap()).virtual_currency);
    assert!(l.asset(l.asset_id("BTC").unwrap()).virtual_currency);
}

#[test]
fn account_ids_do_not_depend_on_threads_or_chunks() {
    // known accounts are looked up in parallel, new ones numbered in row
    // order: the ledger must come out the same whatever the thread count
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("aml.csv");
    crate::synth::write_amlworld_file(&path, &crate::synth::AmlWorldSpec::with_rows(6_000))
        .unwrap();
    let load_with = |threads: usize, chunk_bytes: usize| {
        let loaded = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                load(
                    &path,
                    &LoadOptions {
                        chunk_bytes,
                        ..LoadOptions::default()
                    },
                )
            })
            .unwrap();
        let l = loaded.ledger;
        let keys: Vec<String> = l.accounts().iter().map(|a| a.key.clone()).collect();
        (keys, l.froms().to_vec(), l.tos().to_vec())
    };
    let one = load_with(1, 1 << 20);
    // many small chunks: most rows name accounts an earlier chunk added
    let four = load_with(4, 16 * 1024);
    assert!(one.0.len() > 1_000);
    assert_eq!(one, four);
}

#[test]
fn fx_files_rebase_to_the_reporting_currency_or_say_they_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let usd = write(&dir, "usd.csv", "USD,1\nEUR,1.08\nBTC,65000\n");
    let eur = read_fx(&usd, "EUR").unwrap();
    assert_eq!(eur.rates["EUR"], Decimal::ONE);
    assert_eq!(
        (eur.rates["USD"] * Decimal::new(108, 2)).round_dp(20),
        Decimal::ONE
    );
    assert!(eur.rates.values().all(|r| *r > Decimal::ZERO));
    // the fuzzer's find: a tiny rate over a huge reporting rate must not
    // round to a zero rate (every asset valued at nothing, silently)
    let tiny = write(
        &dir,
        "tiny.csv",
        "ce,0.0000000000000000000000009\nUSD,500000000005\n+SDT,1\n",
    );
    match read_fx(&tiny, "USD") {
        Ok(fx) => assert!(fx.rates.values().all(|r| *r > Decimal::ZERO), "{fx:?}"),
        Err(e) => assert!(e.to_string().contains("tiny.csv"), "{e}"),
    }
    let crash = write(
        &dir,
        "crash.csv",
        "y\0\0\0# Rtes \0ce,0.09\nUSD,00500000000005\n+SDT,1\n",
    );
    if let Ok(fx) = read_fx(&crash, "USD") {
        assert!(fx.rates.values().all(|r| *r > Decimal::ZERO), "{fx:?}");
    }
}
