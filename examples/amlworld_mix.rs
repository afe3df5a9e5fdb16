//! Mix the real AMLworld laundering attempts (HI-Small_Patterns.txt) into
//! generated AMLworld-layout background traffic, for measuring detection
//! on typologies moneytrail's authors did not design.
//!
//! ```text
//! cargo run --release --example amlworld_mix -- PATTERNS OUT.csv [BACKGROUND_ROWS] [SEED]
//! moneytrail analyze --input OUT.csv --out findings/
//! moneytrail score --findings findings/findings.json --truth PATTERNS --input OUT.csv
//! ```
//!
//! The background (default 1,000,000 rows over 18 days from 2022-09-01,
//! the attempts' period) has no laundering labels; the attempts' rows are
//! inserted verbatim in time order, so `score` matches them by content.

use moneytrail::synth::{write_amlworld, AmlWorldSpec};
use std::io::{BufRead, BufWriter, Write};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(patterns), Some(out)) = (args.first(), args.get(1)) else {
        eprintln!("usage: amlworld_mix PATTERNS OUT.csv [BACKGROUND_ROWS] [SEED]");
        std::process::exit(2);
    };
    let rows: usize = args
        .get(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let seed: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut background = Vec::new();
    let spec = AmlWorldSpec {
        laundering_share: 0.0,
        seed,
        ..AmlWorldSpec::with_rows(rows)
    };
    write_amlworld(&mut background, &spec)?;
    let text = std::fs::read_to_string(patterns)?;
    let mut attempts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("BEGIN LAUNDERING") && !l.starts_with("END LAUNDERING")
        })
        .collect();
    // AMLworld timestamps sort as text (YYYY/MM/DD HH:MM)
    attempts.sort_by_key(|l| &l[..16]);
    let mut file = BufWriter::new(std::fs::File::create(out)?);
    let mut lines = background.lines();
    if let Some(header) = lines.next() {
        writeln!(file, "{}", header?)?;
    }
    let mut next = attempts.iter().peekable();
    let mut written = 0usize;
    for line in lines {
        let line = line?;
        while let Some(a) = next.peek() {
            if a[..16] <= line[..16] {
                writeln!(file, "{a}")?;
                next.next();
                written += 1;
            } else {
                break;
            }
        }
        writeln!(file, "{line}")?;
        written += 1;
    }
    for a in next {
        writeln!(file, "{a}")?;
        written += 1;
    }
    file.flush()?;
    println!(
        "wrote {written} rows ({} background, {} from attempts) to {out}",
        rows,
        attempts.len()
    );
    Ok(())
}
