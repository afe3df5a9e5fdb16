//! The analysis driver: every enabled detector of the registry, one after
//! the other, with its time, its budget flag and the warnings about
//! parameters the data rules out.

use super::{DetectConfig, Detection, Finding, Typology};
use crate::time;
use crate::valued::Valued;
use std::collections::BTreeMap;
use std::time::Instant;

/// The result of running every enabled detector.
#[derive(Debug, Clone, Default)]
pub struct Analysis {
    /// All findings, in typology order, then by time.
    pub findings: Vec<Finding>,
    /// Whether any detector hit a budget, per detector name.
    pub truncated: BTreeMap<String, bool>,
    /// Seconds each detector took.
    pub seconds: BTreeMap<String, f64>,
    /// What limits this run, in words: assets without a rate (see
    /// [`Valued::fx_warnings`](crate::Valued::fx_warnings)), then parameters
    /// that cannot work on this data (see [`burst_warnings`]).
    pub warnings: Vec<String>,
}

impl Analysis {
    /// Whether any detector hit a budget.
    pub fn any_truncated(&self) -> bool {
        self.truncated.values().any(|&t| t)
    }

    /// The run as `analyze` prints it: per typology of every detector that
    /// ran, its findings, the detector's seconds and whether it hit a
    /// budget (the same rows as the report's table).
    pub fn table(&self) -> String {
        use std::fmt::Write;
        let mut t = format!(
            "{:<16} {:<16} {:>9} {:>9}  truncated\n",
            "typology", "detector", "findings", "seconds"
        );
        // one row per typology of every detector that ran, as in the
        // report (`stack` comes from bipartite, `chain_hopping` and
        // `on_off_ramp` from asset_hop)
        for typology in Typology::ALL {
            let detector = typology.detector();
            let Some(seconds) = self.seconds.get(detector) else {
                continue;
            };
            let count = self
                .findings
                .iter()
                .filter(|f| f.typology == typology)
                .count();
            let truncated = self.truncated.get(detector).copied().unwrap_or(false);
            let row = format!(
                "{:<16} {detector:<16} {count:>9} {seconds:>9.3}  {}",
                typology.name(),
                if truncated { "yes" } else { "" }
            );
            let _ = writeln!(t, "{}", row.trim_end());
        }
        t
    }

    /// Number of findings per typology name.
    pub fn per_typology(&self) -> BTreeMap<String, usize> {
        let mut per = BTreeMap::new();
        for f in &self.findings {
            *per.entry(f.typology.name().to_string()).or_insert(0) += 1;
        }
        per
    }
}

/// Warnings about burst tests that this data set makes meaningless.
///
/// The burst ratio ([`Valued::burst`]) is at most span ÷ window (all of an
/// account's transfers in one window), so a detector whose `min_burst`
/// exceeds that can find nothing at all; and on data spanning less than
/// two windows the test is off. Both are said rather than left to be
/// discovered from an empty or crowded result.
///
/// ```
/// use moneytrail::detect::{burst_warnings, DetectConfig};
/// use moneytrail::time::DAY;
/// let mut config = DetectConfig::default();
/// config.fan_in.window = "10d".parse().unwrap();
/// let warnings = burst_warnings(&config, 28 * DAY);
/// assert_eq!(warnings.len(), 1);
/// assert!(warnings[0].starts_with("fan_in: no account can pass the burst test"));
/// ```
pub fn burst_warnings(config: &DetectConfig, span_us: i64) -> Vec<String> {
    let enabled =
        |d: &dyn super::Detector| d.typologies().iter().any(|t| config.enabled.contains(t));
    let tests = config.detectors().into_iter().filter_map(|(name, d)| {
        let (window, min_burst) = d.burst_test()?;
        enabled(d.as_ref()).then_some((name, window, min_burst))
    });
    let mut warnings = Vec::new();
    for (name, window, min_burst) in tests {
        let w = window.micros().max(1);
        if min_burst <= 0.0 {
            continue;
        }
        let days = |us: i64| us as f64 / time::DAY as f64;
        if span_us < 2 * w {
            warnings.push(format!(
                "{name}: the data span ({:.1} d) is under two windows of {:.1} d, so the burst test is off and every {name} that reaches the other thresholds is reported",
                days(span_us),
                days(w)
            ));
        } else if (span_us as f64 / w as f64) < min_burst {
            warnings.push(format!(
                "{name}: no account can pass the burst test: the data span ({:.1} d) is {:.2} windows of {:.1} d, and the burst ratio is at most that, below min_burst {min_burst}; lower min_burst or the window",
                days(span_us),
                // rounded down: "3.00" must not show for 2.9999
                (span_us as f64 / w as f64 * 100.0).floor() / 100.0,
                days(w)
            ));
        }
    }
    warnings
}

/// Run every enabled detector of `config` on valued data, one after the
/// other in registry order (each is parallel inside); `on_detector` is
/// told each one's name as it starts (for a progress bar).
pub fn analyze(
    data: &Valued<'_>,
    config: &DetectConfig,
    mut on_detector: impl FnMut(&str),
) -> Analysis {
    let mut warnings = data.fx_warnings();
    warnings.extend(burst_warnings(config, data.span_us));
    let mut analysis = Analysis {
        warnings,
        ..Analysis::default()
    };
    let enabled = |t: Typology| config.enabled.contains(&t);
    for (name, detector) in config.detectors() {
        if !detector.typologies().iter().any(|&t| enabled(t)) {
            continue;
        }
        on_detector(name);
        let started = Instant::now();
        let Detection {
            mut findings,
            truncated,
        } = detector.detect(data);
        findings.retain(|f| enabled(f.typology));
        analysis
            .seconds
            .insert(name.to_string(), started.elapsed().as_secs_f64());
        analysis.truncated.insert(name.to_string(), truncated);
        analysis.findings.extend(findings);
    }
    in_output_order(&mut analysis.findings);
    analysis
}

/// The order of [`Analysis::findings`]: by typology, then time, then
/// transfers.
pub(crate) fn in_output_order(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.typology, a.first_time_us, &a.transfers).cmp(&(
            b.typology,
            b.first_time_us,
            &b.transfers,
        ))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_warnings_name_what_the_data_span_rules_out() {
        let defaults = DetectConfig::default();
        assert!(burst_warnings(&defaults, 30 * time::DAY).is_empty());
        // 6 days: under two 4-day windows for the fans, two 5-day ones for gather-scatter
        let short = burst_warnings(&defaults, 6 * time::DAY);
        assert_eq!(short.len(), 3, "{short:?}");
        assert!(short.iter().all(|w| w.contains("the burst test is off")));
        let mut wide = DetectConfig::default();
        wide.fan_out.window = "10d".parse().unwrap();
        wide.gather_scatter.window = "10d".parse().unwrap();
        wide.gather_scatter.min_burst = 0.0; // no test, nothing to say
        let w = burst_warnings(&wide, 29 * time::DAY);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("fan_out: no account can pass"), "{w:?}");
        assert!(w[0].contains("2.90 windows of 10.0 d"), "{w:?}");
        wide.enabled.retain(|&t| t != Typology::FanOut);
        assert!(burst_warnings(&wide, 29 * time::DAY).is_empty());
    }
}
