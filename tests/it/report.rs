//! Every report and export, read back with a parser and checked against
//! the findings or the trace it came from. The tests named `external_*`
//! need programs from Debian (chromium, xmllint, graphviz); `.ci/run`
//! installs them and runs these ignored tests.

use moneytrail::report::FindingRecord;
use roxmltree::{Document, Node, ParsingOptions};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

fn moneytrail(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args(args)
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "moneytrail {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Analyze the shipped sample into `dir` with extra flags.
fn analyze_sample(dir: &Path, extra: &[&str]) -> Vec<FindingRecord> {
    let mut args = vec!["analyze", "--top", "0", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    moneytrail(&args);
    let text = std::fs::read_to_string(dir.join("findings.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn parse_html(text: &str) -> Document<'_> {
    Document::parse_with_options(
        text,
        ParsingOptions {
            allow_dtd: true,
            ..ParsingOptions::default()
        },
    )
    .expect("report.html is well-formed")
}

fn has_class(node: &Node<'_, '_>, class: &str) -> bool {
    node.attribute("class")
        .is_some_and(|c| c.split(' ').any(|x| x == class))
}

/// The data rows of the arrows under `node`.
fn arrow_rows(node: Node<'_, '_>) -> BTreeSet<u32> {
    node.descendants()
        .filter(|n| has_class(n, "arrow"))
        .flat_map(|n| {
            n.attribute("data-rows")
                .unwrap()
                .split(' ')
                .map(|r| r.parse::<u32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_analysis_report_shows_every_drawn_finding_with_its_transfers() {
    let dir = tempfile::tempdir().unwrap();
    let records = analyze_sample(dir.path(), &[]);
    assert!(records.len() > 10, "the sample has many findings");
    let text = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let doc = parse_html(&text);
    // self-contained: nothing refers to another file or the network
    for n in doc.descendants() {
        for a in ["src", "href"] {
            if let Some(v) = n.attribute(a) {
                assert!(v.starts_with('#'), "{a}={v:?} would load something");
            }
        }
        assert!(!n.has_tag_name("link"), "no linked stylesheets");
    }
    assert!(!text.contains("@import"));
    let body = doc.descendants().find(|n| n.has_tag_name("body")).unwrap();
    assert_eq!(
        body.attribute("data-findings"),
        Some(records.len().to_string().as_str())
    );
    let findings: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("details") && has_class(n, "finding"))
        .collect();
    assert_eq!(findings.len(), records.len().min(100));
    assert_eq!(
        body.attribute("data-findings-shown"),
        Some(findings.len().to_string().as_str())
    );
    // highest score first, each with a drawing of exactly its transfers
    let by_id: BTreeMap<&str, &FindingRecord> =
        records.iter().map(|r| (r.id.as_str(), r)).collect();
    let mut last_score = f64::INFINITY;
    for d in &findings {
        let r = by_id[d.attribute("id").unwrap()];
        assert!(r.score <= last_score, "sorted by score");
        last_score = r.score;
        assert_eq!(d.attribute("data-typology"), Some(r.typology.as_str()));
        let svg = d
            .descendants()
            .find(|n| n.has_tag_name("svg") && has_class(n, "flow"))
            .expect("each finding has a drawing");
        assert_eq!(svg.attribute("data-picture"), Some(r.id.as_str()));
        let drawn = arrow_rows(svg);
        let rows: BTreeSet<u32> = r.rows.iter().copied().collect();
        if rows.len() <= 60 {
            assert_eq!(drawn, rows, "{}: the drawing shows its transfers", r.id);
        } else {
            assert_eq!(drawn.len(), 60);
            assert!(drawn.is_subset(&rows));
        }
        // every account of the finding has a box, or is named in the
        // tooltip of the box a wide fan folds into (when all is drawn)
        let boxes: BTreeSet<&str> = svg
            .descendants()
            .filter_map(|n| n.attribute("data-key"))
            .collect();
        let folded: BTreeSet<&str> = svg
            .descendants()
            .filter(|n| {
                n.attribute("data-key")
                    .is_some_and(|k| k.ends_with(" other accounts"))
            })
            .filter_map(|n| n.children().find(|c| c.has_tag_name("title")))
            .filter_map(|t| t.text())
            .flat_map(|t| t.lines().skip(1))
            .collect();
        if rows.len() <= 60 {
            for a in &r.accounts {
                let shown = boxes.contains(a.as_str()) || folded.contains(a.as_str());
                assert!(shown, "{}: box for {a}", r.id);
            }
        }
        // and the transfer table lists the same rows
        let table = d
            .descendants()
            .find(|n| n.has_tag_name("table") && has_class(n, "transfers"))
            .unwrap();
        let listed: BTreeSet<u32> = table
            .descendants()
            .filter(|n| n.has_tag_name("tr"))
            .filter_map(|tr| tr.children().find(|c| c.has_tag_name("td")))
            .map(|td| td.text().unwrap().parse().unwrap())
            .collect();
        assert_eq!(listed, drawn);
    }
    // the timeline has bars, the overview counts the rows
    assert!(doc.descendants().any(|n| has_class(&n, "bar")));
    assert!(text.contains(&format!(
        "{} loaded",
        moneytrail::format::group_thousands(3008.into())
    )));
}

#[test]
fn parquet_twins_hold_the_same_tables_as_the_csv_files() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let records = analyze_sample(dir.path(), &["--parquet", "--no-report"]);
    assert!(!dir.path().join("report.html").exists());
    for name in ["findings", "accounts"] {
        let file = std::fs::File::open(dir.path().join(format!("{name}.parquet"))).unwrap();
        let parquet = ParquetReader::new(file).finish().unwrap();
        let csv = CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(dir.path().join(format!("{name}.csv"))))
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(parquet.height(), csv.height(), "{name}");
        assert_eq!(parquet.get_column_names(), csv.get_column_names(), "{name}");
        if name == "findings" {
            assert_eq!(parquet.height(), records.len());
            let ids: Vec<String> = parquet
                .column("id")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap().to_string())
                .collect();
            let expected: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
            assert_eq!(ids, expected);
            let amounts: Vec<String> = parquet
                .column("amount")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.unwrap().to_string())
                .collect();
            let expected: Vec<String> = records.iter().map(|r| r.amount.to_string()).collect();
            assert_eq!(amounts, expected, "amounts are exact decimal strings");
        }
    }
}

/// A DOT identifier without its quotes and escapes.
fn unquote(id: &str) -> String {
    id.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(id)
        .replace("\\\"", "\"")
}

#[test]
fn dot_exports_parse_back_to_the_findings_transfers() {
    use dot_parser::{ast, canonical};
    let dir = tempfile::tempdir().unwrap();
    let records = analyze_sample(
        dir.path(),
        &["--no-report", "--export", "dot", "--export-top", "1000"],
    );
    let graphs: Vec<_> = std::fs::read_dir(dir.path().join("graphs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(graphs.len(), records.len());
    for r in &records {
        let text =
            std::fs::read_to_string(dir.path().join(format!("graphs/{}.dot", r.id))).unwrap();
        let graph = canonical::Graph::from(
            ast::Graph::try_from(text.as_str()).unwrap_or_else(|e| panic!("{}: {e}", r.id)),
        );
        let mut rows = Vec::new();
        for e in graph.edges.set.iter() {
            let attr = |key: &str| {
                e.attr
                    .elems
                    .iter()
                    .find(|(k, _)| unquote(&Into::<String>::into(k.clone())) == key)
                    .map(|(_, v)| unquote(&Into::<String>::into(v.clone())))
            };
            rows.push(attr("row").unwrap().parse::<u32>().unwrap());
            assert!(attr("amount_paid").is_some() && attr("time").is_some());
        }
        rows.sort_unstable();
        assert_eq!(rows, r.rows, "{}: one edge per transfer", r.id);
        let nodes: BTreeSet<String> = graph.nodes.set.keys().map(|k| unquote(k)).collect();
        for a in &r.accounts {
            assert!(nodes.contains(a), "{}: node {a}", r.id);
        }
    }
}

#[test]
fn the_trace_report_and_graphml_show_the_tainted_transfers() {
    let dir = tempfile::tempdir().unwrap();
    moneytrail(&[
        "trace",
        "--account",
        "ES-BS-M0501",
        "--rule",
        "haircut",
        "--export",
        "graphml",
        "--parquet",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let flows = std::fs::read_to_string(dir.path().join("flows.csv")).unwrap();
    let flow_rows: BTreeSet<u32> = flows
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(!flow_rows.is_empty());
    for name in ["holdings.parquet", "flows.parquet"] {
        assert!(dir.path().join(name).is_file(), "{name}");
    }
    // GraphML: one edge per tainted transfer, traced amounts kept exactly
    let text = std::fs::read_to_string(dir.path().join("trace.graphml")).unwrap();
    let doc = Document::parse(&text).expect("well-formed GraphML");
    let keys: BTreeMap<&str, &str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("key"))
        .map(|n| {
            (
                n.attribute("id").unwrap(),
                n.attribute("attr.name").unwrap(),
            )
        })
        .collect();
    let edges: Vec<Node<'_, '_>> = doc
        .descendants()
        .filter(|n| n.has_tag_name("edge"))
        .collect();
    let data = |e: &Node<'_, '_>, name: &str| -> Option<String> {
        e.children()
            .find(|d| {
                d.has_tag_name("data") && keys.get(d.attribute("key").unwrap()) == Some(&name)
            })
            .and_then(|d| d.text().map(str::to_string))
    };
    let rows: BTreeSet<u32> = edges
        .iter()
        .map(|e| data(e, "row").unwrap().parse().unwrap())
        .collect();
    assert_eq!(rows, flow_rows);
    let traced: rust_decimal::Decimal = edges
        .iter()
        .map(|e| {
            data(e, "traced")
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    let csv_traced: rust_decimal::Decimal = flows
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .nth(4)
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(traced, csv_traced);
    let node_ids: BTreeSet<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("node"))
        .map(|n| n.attribute("id").unwrap())
        .collect();
    for e in &edges {
        assert!(node_ids.contains(e.attribute("source").unwrap()));
        assert!(node_ids.contains(e.attribute("target").unwrap()));
    }
    // the report draws the same transfers (the trace is small enough to draw whole)
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let doc = parse_html(&html);
    let svg = doc
        .descendants()
        .find(|n| n.has_tag_name("svg") && has_class(n, "flow"))
        .unwrap();
    if flow_rows.len() <= 60 {
        assert_eq!(arrow_rows(svg), flow_rows);
    } else {
        assert_eq!(arrow_rows(svg).len(), 60);
    }
    let holdings = doc
        .descendants()
        .find(|n| n.has_tag_name("table") && has_class(n, "holdings"))
        .unwrap();
    let listed = holdings
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .count()
        - 1;
    let in_csv = std::fs::read_to_string(dir.path().join("holdings.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(listed, in_csv.min(200));
}

/// Write a goAML-style report of the sample's cycle findings.
#[test]
fn the_backward_trace_report_lists_every_source_that_sources_csv_has() {
    let dir = tempfile::tempdir().unwrap();
    moneytrail(&[
        "trace",
        "--account",
        "ES-BS-M0611",
        "--backward",
        "--rule",
        "fifo",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let csv = std::fs::read_to_string(dir.path().join("sources.csv")).unwrap();
    // row, amount of each source transfer
    let from_csv: BTreeSet<(String, String)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[2].to_string(), f[4].to_string())
        })
        .collect();
    assert!(!from_csv.is_empty());
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let doc = parse_html(&html);
    let body = doc.descendants().find(|n| n.has_tag_name("body")).unwrap();
    assert_eq!(
        body.attribute("data-sources"),
        Some(from_csv.len().to_string().as_str())
    );
    let table = doc
        .descendants()
        .find(|n| n.has_tag_name("table") && has_class(n, "transfers"))
        .unwrap();
    let shown: BTreeSet<(String, String)> = table
        .descendants()
        .filter(|n| n.has_tag_name("tr"))
        .filter_map(|tr| {
            let cells: Vec<String> = tr
                .children()
                .filter(|c| c.has_tag_name("td"))
                .map(|c| c.text().unwrap_or("").to_string())
                .collect();
            // row, and the amount without its thousands separators
            (cells.len() == 6).then(|| (cells[0].clone(), cells[4].replace(',', "")))
        })
        .collect();
    assert_eq!(shown, from_csv);
    // the balances table: what the sources explain adds up to the CSV
    let total: rust_decimal::Decimal = from_csv
        .iter()
        .map(|(_, a)| a.parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    let balances = doc
        .descendants()
        .find(|n| n.has_tag_name("table") && has_class(n, "balances"))
        .unwrap();
    let explained: Vec<String> = balances
        .descendants()
        .filter(|n| n.has_tag_name("td"))
        .map(|c| c.text().unwrap_or("").replace(',', ""))
        .collect();
    assert_eq!(
        explained[2].parse::<rust_decimal::Decimal>().unwrap(),
        total
    );
}

fn goaml_of_cycles(dir: &Path) -> (Vec<FindingRecord>, String) {
    let records = analyze_sample(dir, &["--no-report"]);
    let out = dir.join("str.xml");
    moneytrail(&[
        "goaml",
        "--findings",
        dir.join("findings.json").to_str().unwrap(),
        "--typology",
        "cycle",
        "--entity-id",
        "4711",
        "--out",
        out.to_str().unwrap(),
    ]);
    let cycles = records
        .into_iter()
        .filter(|r| r.typology == "cycle")
        .collect();
    (cycles, std::fs::read_to_string(out).unwrap())
}

#[test]
fn goaml_xml_lists_each_transfer_of_the_selected_findings_once() {
    let dir = tempfile::tempdir().unwrap();
    let (cycles, xml) = goaml_of_cycles(dir.path());
    assert!(!cycles.is_empty());
    let doc = Document::parse(&xml).expect("well-formed XML");
    let report = doc.root_element();
    assert_eq!(report.tag_name().name(), "report");
    let child = |n: Node<'_, '_>, name: &str| -> String {
        n.children()
            .find(|c| c.has_tag_name(name))
            .and_then(|c| c.text())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_string()
    };
    assert_eq!(child(report, "rentity_id"), "4711");
    assert_eq!(child(report, "report_code"), "STR");
    let transactions: Vec<Node<'_, '_>> = report
        .children()
        .filter(|n| n.has_tag_name("transaction"))
        .collect();
    let expected: BTreeSet<u32> = cycles.iter().flat_map(|r| r.rows.clone()).collect();
    let rows: Vec<u32> = transactions
        .iter()
        .map(|t| {
            child(*t, "internal_ref_number")
                .trim_start_matches("row ")
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(rows.len(), expected.len(), "each transfer once");
    assert_eq!(rows.iter().copied().collect::<BTreeSet<u32>>(), expected);
    // accounts on both sides are the findings' accounts
    let accounts: BTreeSet<String> = cycles.iter().flat_map(|r| r.accounts.clone()).collect();
    for t in &transactions {
        for (side, inner) in [("t_from", "from_account"), ("t_to", "to_account")] {
            let party = t.children().find(|c| c.has_tag_name(side)).unwrap();
            let account = party.children().find(|c| c.has_tag_name(inner)).unwrap();
            assert!(accounts.contains(&child(account, "account")));
        }
        let amount: rust_decimal::Decimal = child(*t, "amount_local").parse().unwrap();
        assert!(amount > rust_decimal::Decimal::ZERO);
    }
    let indicators: Vec<String> = report
        .descendants()
        .filter(|n| n.has_tag_name("indicator"))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    assert_eq!(indicators, ["MT_CYCLE"]);
    let reason = child(report, "reason");
    for r in &cycles {
        assert!(reason.contains(&r.id));
    }
}

#[test]
fn goaml_refuses_findings_made_from_another_file() {
    let dir = tempfile::tempdir().unwrap();
    analyze_sample(dir.path(), &["--no-report"]);
    let other = dir.path().join("other.csv");
    std::fs::write(
        &other,
        "tx_id,time,from,to,amount,asset\nT1,2024-01-01T00:00:00Z,a,b,10,USD\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_moneytrail"))
        .args([
            "goaml",
            "--input",
            other.to_str().unwrap(),
            "--findings",
            dir.path().join("findings.json").to_str().unwrap(),
            "--id",
            "F000002",
            "--entity-id",
            "1",
            "--out",
            dir.path().join("x.xml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("were the findings made from another file"),
        "{stderr}"
    );
}

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok()
}

#[test]
#[ignore = "needs xmllint (Debian libxml2-utils); .ci/run installs it"]
fn external_goaml_xml_validates_against_the_schema() {
    assert!(have("xmllint"), "xmllint is not installed");
    let dir = tempfile::tempdir().unwrap();
    let (_, _) = goaml_of_cycles(dir.path());
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(crate::root().join("docs/goaml-style.xsd"))
        .arg(dir.path().join("str.xml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // and the schema rejects what it should: a transaction without amount
    let xml = std::fs::read_to_string(dir.path().join("str.xml")).unwrap();
    let start = xml.find("<amount_local>").unwrap();
    let end = xml[start..].find('\n').unwrap() + start;
    let broken = format!("{}{}", &xml[..start], &xml[end + 1..]);
    std::fs::write(dir.path().join("broken.xml"), broken).unwrap();
    let out = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(crate::root().join("docs/goaml-style.xsd"))
        .arg(dir.path().join("broken.xml"))
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the schema must reject a missing amount"
    );
}

#[test]
#[ignore = "needs graphviz (Debian graphviz); .ci/run installs it"]
fn external_graphviz_renders_every_exported_finding() {
    assert!(have("dot"), "graphviz is not installed");
    let dir = tempfile::tempdir().unwrap();
    let records = analyze_sample(dir.path(), &["--no-report", "--export", "dot"]);
    for r in &records {
        let file = dir.path().join(format!("graphs/{}.dot", r.id));
        let out = Command::new("dot")
            .arg("-Tsvg")
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            r.id,
            String::from_utf8_lossy(&out.stderr)
        );
        let svg = String::from_utf8(out.stdout).unwrap();
        let doc = Document::parse_with_options(
            &svg,
            ParsingOptions {
                allow_dtd: true,
                ..ParsingOptions::default()
            },
        )
        .unwrap();
        let edges = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("edge"))
            .count();
        assert_eq!(
            edges,
            r.rows.len(),
            "{}: graphviz drew every transfer",
            r.id
        );
    }
}

/// Chromium, headless, with the flags this machine's closed network needs.
fn chromium(profile: &Path) -> Command {
    let mut c = Command::new(std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into()));
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// The DOM of `page` after its script ran, and Chromium's log (stderr).
fn dump_dom(dir: &Path, page: &str) -> (String, String) {
    let out = chromium(&dir.join("profile"))
        .args(["--dump-dom", page])
        .output()
        .expect("chromium runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{page}: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

/// Take a screenshot of `page` at `size` into `shot`, and check it is of
/// that size and holds real content (tables and drawings compress to more
/// than 100 kB).
fn screenshot(dir: &Path, page: &str, size: (u32, u32), shot: &Path) {
    let out = chromium(&dir.join("profile"))
        .arg(format!("--window-size={},{}", size.0, size.1))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{page}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(shot).unwrap();
    assert_eq!(png_size(&bytes), size, "{page}");
    assert!(bytes.len() > 100_000, "{page}: {} bytes", bytes.len());
}

/// Width and height of a PNG file, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run installs it"]
fn external_the_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let records = analyze_sample(dir.path(), &[]);
    let page = format!("file://{}", dir.path().join("report.html").display());
    // the rendered DOM: the script ran, every drawn finding and its drawing is there
    let (dom, stderr) = dump_dom(dir.path(), &page);
    let console: Vec<&str> = stderr.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    assert!(dom.contains("data-script=\"ran\""), "the inline script ran");
    let shown = records.len().min(100);
    assert_eq!(dom.matches("<details class=\"finding\"").count(), shown);
    assert_eq!(
        dom.matches("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flow\"")
            .count(),
        shown
    );
    assert!(dom.matches("class=\"arrow ").count() >= shown);
    assert!(dom.contains("class=\"timeline\""));
    // a screenshot of real size with real content
    let shot = dir.path().join("report.png");
    screenshot(dir.path(), &page, (1400, 2600), &shot);
    if let Some(keep) = std::env::var_os("MONEYTRAIL_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}

/// The four reports of the sample (analysis, forward and backward trace,
/// investigation), written into `dir`, by name.
fn sample_reports(dir: &Path) -> Vec<(&'static str, std::path::PathBuf)> {
    let sub = |name: &str| dir.join(name);
    let runs: [(&str, Vec<&str>); 4] = [
        ("analysis", vec!["analyze", "--top", "0"]),
        (
            "trace",
            vec!["trace", "--account", "bc1qdca5f23629c9aa1630"],
        ),
        (
            "backward",
            vec!["trace", "--account", "AE-GB-7731", "--backward"],
        ),
        ("investigation", vec!["investigate"]),
    ];
    runs.into_iter()
        .map(|(name, mut args)| {
            let out = sub(name);
            args.extend(["--out", out.to_str().unwrap()]);
            crate::stdout_of(&args);
            (name, out.join("report.html"))
        })
        .collect()
}

#[test]
fn every_report_draws_its_flows_within_the_page() {
    let dir = tempfile::tempdir().unwrap();
    for (name, path) in sample_reports(dir.path()) {
        let text = std::fs::read_to_string(&path).unwrap();
        let doc = parse_html(&text);
        let drawings: Vec<Node<'_, '_>> = doc
            .descendants()
            .filter(|n| n.tag_name().name() == "svg" && has_class(n, "flow"))
            .collect();
        let expected = match name {
            "investigation" => 7, // one per subject found
            "analysis" => 47,
            _ => 1,
        };
        assert_eq!(drawings.len(), expected, "{name}");
        for svg in &drawings {
            // the page is 1,400 px wide less its padding: no drawing runs off it
            let width: f64 = svg.attribute("width").unwrap().parse().unwrap();
            assert!(width <= 1352.0, "{name}: a drawing {width} px wide");
            assert!(
                !arrow_rows(*svg).is_empty(),
                "{name}: a drawing without arrows"
            );
        }
    }
    // the 76 transfers of the sample's widest fan-in: 6 payers drawn, the
    // rest one box, every transfer on an arrow
    let records: Vec<FindingRecord> = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("analysis/findings.json")).unwrap(),
    )
    .unwrap();
    let fan = records
        .iter()
        .find(|r| r.explanation.contains("in 76 transfers"))
        .unwrap();
    let text = std::fs::read_to_string(dir.path().join("analysis/report.html")).unwrap();
    let doc = parse_html(&text);
    let svg = doc
        .descendants()
        .find(|n| n.attribute("data-picture") == Some(fan.id.as_str()))
        .unwrap();
    let boxes: Vec<&str> = svg
        .descendants()
        .filter_map(|n| n.attribute("data-key"))
        .collect();
    assert!(boxes.len() <= 9, "{boxes:?}");
    assert!(
        boxes.iter().any(|k| k.ends_with(" other accounts")),
        "{boxes:?}"
    );
    // the 60 heaviest transfers (the drawing's cap), each on an arrow
    let drawn = arrow_rows(svg);
    assert_eq!(drawn.len(), 60);
    assert!(drawn.is_subset(&fan.rows.iter().copied().collect()));
}

#[test]
#[ignore = "needs Debian's chromium; .ci/run installs it"]
fn external_every_report_renders_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    for (name, path) in sample_reports(dir.path()) {
        let page = format!("file://{}", path.display());
        let (dom, _) = dump_dom(dir.path(), &page);
        assert!(dom.contains("class=\"flow\""), "{name}: a drawing");
        screenshot(
            dir.path(),
            &page,
            (1400, 2200),
            &dir.path().join(format!("{name}.png")),
        );
    }
}
