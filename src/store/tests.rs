use super::*;
use crate::ingest::LoadOptions;
use crate::synth::training::{generate, OutputFormat, TrainingSpec};

/// A generated training set (`tiny`: 5,000 honest transfers over 14
/// days); its transactions file.
fn generated(dir: &Path, format: OutputFormat, parquet: bool, seed: u64) -> PathBuf {
    let mut spec = TrainingSpec::preset("tiny").unwrap();
    spec.seed = seed;
    spec.format = format;
    spec.parquet = parquet;
    let out = dir.join(format!("gen-{seed}-{format:?}-{parquet}"));
    generate(&spec, &out).unwrap();
    out.join(if parquet {
        "transactions.parquet"
    } else {
        "transactions.csv"
    })
}

/// Every column of a ledger, transfer by transfer, with accounts and
/// assets by key and code (ids may differ between ledgers).
fn rows_of(ledger: &Ledger) -> Vec<String> {
    (0..ledger.len())
        .map(|i| {
            let t = ledger.transfer(crate::model::TransferId(i as u32));
            format!(
                "{}|{}|{}|{}|{}|{}|{}|{}|{}|{:?}|{:?}|{:?}|{:?}",
                t.time.to_rfc3339(),
                ledger.account(t.from).key,
                ledger.account(t.to).key,
                t.amount_paid,
                ledger.asset(t.asset_paid).code,
                t.amount_received,
                ledger.asset(t.asset_received).code,
                t.channel,
                t.source_row,
                t.laundering,
                t.tx_id,
                t.tx_hash,
                t.chain,
            )
        })
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const HEADER: &str = "tx_id,time,from,to,amount,asset,amount_received,asset_received,channel,from_kind,to_kind,from_institution,from_jurisdiction,tx_hash,chain,laundering";

#[test]
fn every_column_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        &format!(
            "{HEADER}\n\
             a1,2024-03-02T12:00:00Z,alice,bob,100.50,EUR,108.10,USD,wire,bank_account,bank_account,Bank A,DE,,,0\n\
             a2,2024-03-01T11:00:00.5Z,bob,0xc0ffee,0.25000000,BTC,0.25000000,BTC,virtual_currency,bank_account,virtual_asset_address,,,0xabc,ethereum,1\n\
             ,2024-03-01T11:00:00.5Z,carol,bob,5.00,EUR,,,cash,,,,,,,\n"
        ),
    );
    let original = crate::ingest::load(&input, &LoadOptions::default()).unwrap();
    let store_dir = dir.path().join("store");
    let ingested = ingest(&store_dir, &[input], &IngestOptions::default()).unwrap();
    assert_eq!(ingested.transfers_added, 3);
    assert!(!ingested.appended);
    let back = Store::open(&store_dir)
        .unwrap()
        .load(&TimeRange::default())
        .unwrap();
    assert_eq!(rows_of(&back.ledger), rows_of(&original.ledger));
    assert_eq!(back.ledger.accounts(), original.ledger.accounts());
    assert_eq!(back.ledger.assets(), original.ledger.assets());
    // the amounts keep the digits the file wrote
    assert_eq!(back.ledger.amounts_paid()[0].to_string(), "0.25000000");
    assert_eq!(back.report.layout, Layout::Store);
    assert!(back.report.reconciles());
}

#[test]
fn generated_sets_round_trip_in_every_layout_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample_transfers.csv");
    let files = [
        (
            "amlworld",
            generated(dir.path(), OutputFormat::AmlWorld, false, 11),
        ),
        (
            "transfers",
            generated(dir.path(), OutputFormat::Transfers, false, 11),
        ),
        (
            "parquet",
            generated(dir.path(), OutputFormat::Transfers, true, 11),
        ),
        ("sample", sample),
    ];
    for (name, path) in files {
        let original = crate::ingest::load(&path, &LoadOptions::default()).unwrap();
        let store_dir = dir.path().join(format!("store-{name}"));
        let options = IngestOptions {
            partition_us: 3 * time::HOUR,
            ..IngestOptions::default()
        };
        ingest(&store_dir, &[path], &options).unwrap();
        let store = Store::open(&store_dir).unwrap();
        assert!(
            store.manifest().partitions.len() >= 2,
            "{name}: several partitions"
        );
        let back = store.load(&TimeRange::default()).unwrap();
        assert_eq!(rows_of(&back.ledger), rows_of(&original.ledger), "{name}");
        assert_eq!(back.ledger.accounts(), original.ledger.accounts(), "{name}");
    }
}

#[test]
fn a_time_range_reads_only_its_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let path = generated(dir.path(), OutputFormat::Transfers, false, 3);
    let store_dir = dir.path().join("store");
    ingest(
        &store_dir,
        std::slice::from_ref(&path),
        &IngestOptions::default(),
    )
    .unwrap();
    let store = Store::open(&store_dir).unwrap();
    let all = store.load(&TimeRange::default()).unwrap().ledger;
    let times = all.times_us();
    let since = times[times.len() / 3];
    let until = times[2 * times.len() / 3];
    let range = TimeRange {
        since_us: Some(since),
        until_us: Some(until),
    };
    let some = store.load(&range).unwrap().ledger;
    let expected: Vec<String> = rows_of(&all)
        .into_iter()
        .zip(times)
        .filter(|(_, &t)| t >= since && t < until)
        .map(|(r, _)| r)
        .collect();
    assert_eq!(rows_of(&some), expected);
    let read = store.partitions_in(&range).len();
    assert!(
        read < store.manifest().partitions.len(),
        "{read} partitions read"
    );
    // every account of the store is known to a part of it, with its id
    assert_eq!(some.accounts(), all.accounts());
}

#[test]
fn appending_a_later_file_extends_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(
        dir.path(),
        "jan.csv",
        "tx_id,time,from,to,amount,asset\n1,2024-01-02T00:00:00Z,a,b,1.00,EUR\n2,2024-01-01T00:00:00Z,b,c,2.00,EUR\n",
    );
    let second = write(
        dir.path(),
        "feb.csv",
        "tx_id,time,from,to,amount,asset\n1,2024-02-01T00:00:00Z,c,d,3.00,EUR\n2,2024-01-02T00:00:00Z,d,a,4,BTC\n",
    );
    let store_dir = dir.path().join("store");
    ingest(
        &store_dir,
        std::slice::from_ref(&first),
        &IngestOptions::default(),
    )
    .unwrap();
    let before: Vec<(String, Vec<u8>)> = Store::open(&store_dir)
        .unwrap()
        .manifest()
        .partitions
        .iter()
        .map(|p| {
            (
                p.file.clone(),
                std::fs::read(store_dir.join(&p.file)).unwrap(),
            )
        })
        .collect();
    let appended = ingest(
        &store_dir,
        std::slice::from_ref(&second),
        &IngestOptions::default(),
    )
    .unwrap();
    assert!(appended.appended);
    assert_eq!(appended.transfers_added, 2);
    let store = Store::open(&store_dir).unwrap();
    let m = store.manifest();
    assert_eq!(m.transfers, 4);
    assert_eq!(m.sources.len(), 2);
    assert_eq!(m.sources[1].row_offset, 2);
    // the partitions written before are untouched
    for (file, bytes) in &before {
        assert_eq!(
            &std::fs::read(store_dir.join(file)).unwrap(),
            bytes,
            "{file}"
        );
    }
    // the same day gets a second file rather than a rewrite
    assert!(m
        .partitions
        .iter()
        .any(|p| p.file.ends_with("20240102T000000Z-1.parquet")));
    let ledger = store.load(&TimeRange::default()).unwrap().ledger;
    // time order; ties keep source order; rows are store rows
    assert_eq!(ledger.source_rows(), &[1, 0, 3, 2]);
    assert_eq!(ledger.accounts().len(), 4);
    assert_eq!(ledger.assets().len(), 2);

    // an earlier file is refused, and leaves the store as it was
    let early = write(
        dir.path(),
        "dec.csv",
        "tx_id,time,from,to,amount,asset\n1,2023-12-31T00:00:00Z,a,b,1.00,EUR\n",
    );
    let files_before = std::fs::read_dir(store_dir.join("transfers"))
        .unwrap()
        .count();
    let error = ingest(&store_dir, &[early], &IngestOptions::default()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("dec.csv") && message.contains("before the store's last transfer"),
        "{message}"
    );
    assert_eq!(Store::open(&store_dir).unwrap().manifest(), m);
    assert_eq!(
        std::fs::read_dir(store_dir.join("transfers"))
            .unwrap()
            .count(),
        files_before
    );
}

#[test]
fn files_that_overlap_in_time_are_merged_in_time_order() {
    let dir = tempfile::tempdir().unwrap();
    let whole = generated(dir.path(), OutputFormat::Transfers, false, 5);
    // split the file's rows alternately into two files: both span the
    // whole time
    let text = std::fs::read_to_string(&whole).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let (mut even, mut odd) = (vec![header], vec![header]);
    for (i, line) in lines.enumerate() {
        if i % 2 == 0 {
            even.push(line);
        } else {
            odd.push(line);
        }
    }
    let a = write(dir.path(), "a.csv", &(even.join("\n") + "\n"));
    let b = write(dir.path(), "b.csv", &(odd.join("\n") + "\n"));
    let store_dir = dir.path().join("store");
    let ingested = ingest(
        &store_dir,
        &[a.clone(), b.clone()],
        &IngestOptions::default(),
    )
    .unwrap();
    assert!(
        !store_dir.join(".spill").exists(),
        "the spill is cleaned up"
    );
    let n = ingested.manifest.transfers as usize;
    let ledger = Store::open(&store_dir)
        .unwrap()
        .load(&TimeRange::default())
        .unwrap()
        .ledger;
    assert_eq!(ledger.len(), n);
    assert!(ledger.times_us().windows(2).all(|w| w[0] <= w[1]));
    // the same transfers as the two files loaded one by one
    let mut expected: Vec<String> = Vec::new();
    for (path, offset) in [(&a, 0), (&b, ingested.manifest.sources[1].row_offset)] {
        let l = crate::ingest::load(path, &LoadOptions::default())
            .unwrap()
            .ledger;
        for mut row in rows_of(&l) {
            // shift the source row field (the 9th) to store rows
            let mut fields: Vec<String> = row.split('|').map(str::to_string).collect();
            let r: u64 = fields[8].parse().unwrap();
            fields[8] = (r + offset).to_string();
            row = fields.join("|");
            expected.push(row);
        }
    }
    let mut got = rows_of(&ledger);
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
}

#[test]
fn a_lenient_load_reconciles_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "tx_id,time,from,to,amount,asset\n1,2024-01-01T00:00:00Z,a,b,1.00,EUR\n2,yesterday,b,c,2.00,EUR\n3,2024-01-01T01:00:00Z,b,c,-2,EUR\n4,2024-01-01T02:00:00Z,c,a,2,EUR\n",
    );
    let store_dir = dir.path().join("store");
    let strict = ingest(
        &store_dir,
        std::slice::from_ref(&input),
        &IngestOptions::default(),
    )
    .unwrap_err();
    assert!(strict.to_string().contains("row 1"), "{strict}");
    assert!(!store_dir.join("manifest.json").exists());
    let options = IngestOptions {
        load: LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        },
        ..IngestOptions::default()
    };
    let ingested = ingest(&store_dir, &[input], &options).unwrap();
    let source = &ingested.manifest.sources[0];
    assert_eq!(
        (source.rows_read, source.rows_loaded, source.rows_rejected),
        (4, 2, 2)
    );
    assert_eq!(source.rejected_by_reason.values().sum::<u64>(), 2);
    assert_eq!(ingested.manifest.transfers, 2);
    let ledger = Store::open(&store_dir)
        .unwrap()
        .load(&TimeRange::default())
        .unwrap()
        .ledger;
    assert_eq!(ledger.source_rows(), &[0, 3]);
}

/// A store of one file with two partitions, for the corruption tests.
fn small_store(dir: &Path) -> (PathBuf, Store) {
    let input = write(
        dir,
        "t.csv",
        "tx_id,time,from,to,amount,asset\n1,2024-01-01T00:00:00Z,a,b,1.00,EUR\n2,2024-01-02T00:00:00Z,b,c,2.00,EUR\n",
    );
    let store_dir = dir.join("store");
    ingest(&store_dir, &[input], &IngestOptions::default()).unwrap();
    let store = Store::open(&store_dir).unwrap();
    (store_dir, store)
}

#[test]
fn a_truncated_or_corrupt_partition_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (store_dir, store) = small_store(dir.path());
    let file = store_dir.join(&store.manifest().partitions[1].file);
    let bytes = std::fs::read(&file).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", bytes[..bytes.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("one byte flipped", {
            let mut b = bytes.clone();
            let at = b.len() / 3;
            b[at] ^= 0xff;
            b
        }),
    ];
    for (what, broken) in cases {
        std::fs::write(&file, &broken).unwrap();
        match store.load(&TimeRange::default()) {
            Err(e) => {
                let message = e.to_string();
                assert!(
                    message.contains(&*file.to_string_lossy()),
                    "{what}: {message}"
                );
            }
            // a flipped byte may land where only a value changes: then
            // the value must still be one the store could have written
            Ok(loaded) => assert_eq!(what, "one byte flipped", "{what} was read: {loaded:?}"),
        }
    }
    // a partition outside the range asked for is not read at all
    let first_day = TimeRange::parse(None, Some("2024-01-02")).unwrap();
    assert_eq!(store.load(&first_day).unwrap().ledger.len(), 1);
    std::fs::remove_file(&file).unwrap();
    let message = store.load(&TimeRange::default()).unwrap_err().to_string();
    assert!(message.contains(&*file.to_string_lossy()), "{message}");
}

#[test]
fn a_partition_with_values_the_store_never_writes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store_dir, store) = small_store(dir.path());
    let p = &store.manifest().partitions[0];
    let file = store_dir.join(&p.file);
    let good = Part::read(
        &file,
        1,
        store.bounds(0, &Dictionary::read(&store_dir, 3, 1).unwrap()),
    )
    .unwrap();
    let cases: Vec<(&str, Part)> = vec![
        (
            "account id",
            Part {
                to: vec![9],
                ..good.clone()
            },
        ),
        (
            "asset id",
            Part {
                asset_paid: vec![4],
                ..good.clone()
            },
        ),
        (
            "time outside",
            Part {
                time_us: vec![good.time_us[0] + 2 * time::DAY],
                ..good.clone()
            },
        ),
        (
            "source",
            Part {
                source: vec![3],
                ..good.clone()
            },
        ),
    ];
    for (what, part) in cases {
        part.write(&file).unwrap();
        let message = store.load(&TimeRange::default()).unwrap_err().to_string();
        assert!(
            message.contains(&*file.to_string_lossy()) && message.contains("row 0"),
            "{what}: {message}"
        );
    }
    // a manifest whose counts do not add up is refused on opening
    let mut manifest = store.manifest().clone();
    manifest.transfers += 1;
    std::fs::write(
        store_dir.join("manifest.json"),
        serde_json::to_string(&manifest).unwrap(),
    )
    .unwrap();
    let message = Store::open(&store_dir).unwrap_err().to_string();
    assert!(message.contains("manifest.json"), "{message}");
}

#[test]
fn too_many_decimal_places_are_refused_with_the_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "t.csv",
        "tx_id,time,from,to,amount,asset\n1,2024-01-01T00:00:00Z,a,b,1.00,EUR\n2,2024-01-01T00:00:00Z,a,b,0.0000000000000000001,ETH\n",
    );
    let store_dir = dir.path().join("store");
    let message = ingest(&store_dir, &[input], &IngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("row 1") && message.contains("18 decimal places"),
        "{message}"
    );
}

#[test]
fn utxo_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let utxo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample_utxo.jsonl");
    let message = ingest(&dir.path().join("s"), &[utxo], &IngestOptions::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("UTXO"), "{message}");
}

#[test]
fn a_sharded_analysis_read_part_by_part_from_the_store_equals_the_whole() {
    use crate::detect::{analyze, analyze_parts, DetectConfig, Facts};
    use crate::fx::FxTable;
    use crate::graph::FlowGraph;
    use crate::valued::Valued;
    let dir = tempfile::tempdir().unwrap();
    for (seed, format) in [(3, OutputFormat::Transfers), (4, OutputFormat::AmlWorld)] {
        let input = generated(dir.path(), format, false, seed);
        let store_dir = dir.path().join(format!("store-{seed}"));
        ingest(&store_dir, &[input], &IngestOptions::default()).unwrap();
        let store = Store::open(&store_dir).unwrap();
        let whole = store.load(&TimeRange::default()).unwrap().ledger;
        let graph = FlowGraph::new(whole);
        let data = Valued::implied(&graph, "USD");
        let config = DetectConfig::default();
        let expected = analyze(&data, &config, |_| {});
        assert!(expected.findings.len() > 20, "{}", expected.findings.len());
        let facts =
            Facts::gather(&store, |conversions| FxTable::implied(conversions, "USD")).unwrap();
        assert_eq!(facts.times_us, graph.ledger().times_us());
        assert_eq!(facts.fx.rates, data.fx.rates);
        for length in [
            crate::time::DAY / 2,
            3 * crate::time::DAY,
            30 * crate::time::DAY,
        ] {
            let mut steps = 0;
            let parts = analyze_parts(&store, &facts, &config, length, |_| steps += 1).unwrap();
            assert!(steps >= 2, "{steps} parts");
            assert!(
                parts.findings == expected.findings,
                "seed {seed}, shards of {length} µs"
            );
            assert_eq!(parts.truncated, expected.truncated);
            assert_eq!(parts.warnings, expected.warnings);
        }
    }
}

/// Every file of a store folder, by name, with its bytes.
fn folder_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for sub in ["", "transfers"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let name = path.strip_prefix(dir).unwrap().display().to_string();
                files.push((name, std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn files_read_in_pieces_give_the_store_of_files_read_whole_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/sample_transfers.csv");
    // out of time order, an account whose kind is inferred from a chain
    // first and given later, a bad row, two files overlapping in time
    let unsorted = write(
        dir.path(),
        "unsorted.csv",
        &format!(
            "{HEADER}\n\
             a1,2024-03-02T12:00:00Z,alice,0xbeef,0.5,ETH,0.5,ETH,virtual_currency,,,,,0x1,ethereum,\n\
             a2,2024-03-01T11:00:00Z,bob,carol,5.00,EUR,,,wire,,,Bank B,FR,,,0\n\
             a3,yesterday,bob,carol,5.00,EUR,,,wire,,,,,,,\n\
             a4,2024-03-03T09:00:00Z,0xbeef,dave,0.25,ETH,700,USD,virtual_currency,exchange,,,,0x2,ethereum,1\n\
             a5,2024-03-01T11:00:00Z,carol,alice,1.25,EUR,,,cash,,,,,,,\n\
             a6,2024-03-02T12:00:00Z,erin,bob,2.000,EUR,,,wire,,,,,,,0\n"
        ),
    );
    let later = write(
        dir.path(),
        "overlapping.csv",
        "tx_id,time,from,to,amount,asset\n\
         b1,2024-03-02T12:00:00Z,bob,frank,1.00,EUR\n\
         b2,2024-03-01T00:00:00Z,frank,0xbeef,3.00,EUR\n",
    );
    // the files, and the rows of a piece to read them in
    let inputs: [(Vec<PathBuf>, &[usize]); 5] = [
        (
            vec![generated(dir.path(), OutputFormat::AmlWorld, false, 5)],
            &[1_500],
        ),
        (
            vec![generated(dir.path(), OutputFormat::Transfers, true, 5)],
            &[1_500],
        ),
        (vec![sample], &[97]),
        (vec![unsorted.clone()], &[1, 2, 500]),
        (vec![unsorted, later], &[1, 2]),
    ];
    for (k, (files, sizes)) in inputs.iter().enumerate() {
        let whole_dir = dir.path().join(format!("whole-{k}"));
        let lenient = LoadOptions {
            lenient: true,
            ..LoadOptions::default()
        };
        let whole = IngestOptions {
            load: lenient.clone(),
            partition_us: 6 * time::HOUR,
            ..IngestOptions::default()
        };
        ingest(&whole_dir, files, &whole).unwrap();
        for &piece_rows in *sizes {
            let pieces_dir = dir.path().join(format!("pieces-{k}-{piece_rows}"));
            let options = IngestOptions {
                load: LoadOptions {
                    chunk_bytes: if piece_rows < 10 { 100 } else { 2_000 },
                    ..lenient.clone()
                },
                piece_rows,
                ..whole.clone()
            };
            ingest(&pieces_dir, files, &options).unwrap();
            assert!(!pieces_dir.join(".spill").exists());
            let (a, b) = (folder_bytes(&whole_dir), folder_bytes(&pieces_dir));
            let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
            assert_eq!(names(&a), names(&b), "{files:?} in pieces of {piece_rows}");
            for ((name, x), (_, y)) in a.iter().zip(&b) {
                assert!(
                    x == y,
                    "{name} differs for {files:?} in pieces of {piece_rows}"
                );
            }
        }
    }
}
