#!/usr/bin/env python3
"""Learned scoring side by side: Snap ML's Graph Feature Preprocessor (GFP)
with LightGBM, and moneytrail's `train` + `analyze --model`, on the same
labelled file and the same temporal split.

    learned.py --moneytrail BIN --input FILE.csv [--input …] [--threads 2] [--out results.json]
               [--no-lc-cycle] [--no-temp-cycle] [--gfp-timeout SECONDS]

Each input is an AMLworld-layout CSV sorted by time (the training
generator's `--format amlworld` output, or `examples/amlworld_mix`). Rows
are split by position: the first 60% train, the next 20% validate (early
stopping and the threshold with the best F1), the last 20% test. Both
tools are graded on the test rows at their own validation threshold.

* GFP + LightGBM runs in a child process (peak RSS measured by
  /usr/bin/time): GFP's features over the whole file in time order (it
  streams, so each transfer sees only earlier ones), then LightGBM on
  GFP's columns plus the transfer's amounts, currencies and payment format.
* moneytrail: `train` on the first 80% of the rows with
  `--validation-share 0.25` (so it validates on the same 60–80% rows),
  then `analyze --model` on the whole file; its transfer_scores.csv is
  graded on the last 20%.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

# GFP's parameters: every pattern family, windows of 24 h, as the Snap ML
# AML example configures them (times in seconds).
WINDOW = 24 * 3600
GFP_PARAMS = {
    "time_window": WINDOW,
    "vertex_stats": True,
    "vertex_stats_cols": [4, 5],
    # 0 fan, 1 degree, 2 ratio, 3 avg, 4 sum, 5 min, 6 max, 7 median, 8 var, 9 skew, 10 kurtosis
    "vertex_stats_feats": [0, 1, 2, 3, 4, 5, 6, 8, 9],
    "fan": True,
    "fan_tw": WINDOW,
    "fan_bins": [y + 2 for y in range(2)],
    "degree": True,
    "degree_tw": WINDOW,
    "degree_bins": [y + 2 for y in range(2)],
    "scatter-gather": True,
    "scatter-gather_tw": WINDOW,
    "scatter-gather_bins": [y + 2 for y in range(2)],
    "temp-cycle": True,
    "temp-cycle_tw": WINDOW,
    "temp-cycle_bins": [y + 2 for y in range(2)],
    "lc-cycle": True,
    "lc-cycle_tw": WINDOW,
    "lc-cycle_len": 10,
    "lc-cycle_bins": [y + 2 for y in range(2)],
}


def read_amlworld(path):
    """Rows of an AMLworld CSV as numbers: (row, payer, payee, seconds,
    amount paid, amount received, paid currency, received currency,
    format), and the labels."""
    from datetime import datetime, timezone
    ids, codes = {}, {}
    rows, labels = [], []
    with open(path, newline="") as f:
        r = csv.reader(f)
        next(r)
        for i, c in enumerate(r):
            t = datetime.strptime(c[0], "%Y/%m/%d %H:%M").replace(tzinfo=timezone.utc)
            payer = ids.setdefault(c[1] + ":" + c[2], len(ids))
            payee = ids.setdefault(c[3] + ":" + c[4], len(ids))
            rows.append((i, payer, payee, int(t.timestamp()), float(c[7]), float(c[5]),
                         codes.setdefault(c[8], len(codes)), codes.setdefault(c[6], len(codes)),
                         codes.setdefault(c[9], len(codes))))
            labels.append(int(c[10]))
    return rows, labels


def split(n):
    return int(n * 0.6), int(n * 0.8)


def best_threshold(scores, truth):
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    positives = sum(truth)
    best, hits, flagged, i = (0.0, 1.0), 0, 0, 0
    while i < len(order):
        level = scores[order[i]]
        while i < len(order) and scores[order[i]] == level:
            flagged += 1
            hits += truth[order[i]]
            i += 1
        if hits:
            p, r = hits / flagged, hits / positives
            f1 = 2 * p * r / (p + r)
            if f1 > best[0]:
                best = (f1, level)
    return best[1]


def grade(flags, truth):
    tp = sum(1 for f, t in zip(flags, truth) if f and t)
    fp = sum(1 for f, t in zip(flags, truth) if f and not t)
    fn = sum(1 for f, t in zip(flags, truth) if t and not f)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"f1": round(f1, 4), "precision": round(p, 4), "recall": round(r, 4),
            "test_positives": tp + fn, "flagged": tp + fp}


def worker_gfp(path, threads, result, left_out):
    """GFP features, LightGBM, test grades: written as JSON to `result`."""
    import numpy as np
    import lightgbm as lgb
    from snapml import GraphFeaturePreprocessor
    t0 = time.perf_counter()
    rows, labels = read_amlworld(path)
    x = np.array(rows, dtype=np.float64)
    y = np.array(labels)
    seconds_read = time.perf_counter() - t0
    g = GraphFeaturePreprocessor()
    g.set_params(dict(GFP_PARAMS, num_threads=threads, **{family: False for family in left_out}))
    t0 = time.perf_counter()
    # GFP's input: edge id, source, target, time, then the columns its
    # vertex statistics read (4, 5: amounts); the rest ride along.
    features = g.transform(x)
    seconds_features = time.perf_counter() - t0
    data = features[:, 4:]  # drop edge id, accounts and time
    a, b = split(len(y))
    t0 = time.perf_counter()
    model = lgb.LGBMClassifier(n_estimators=500, learning_rate=0.05, num_leaves=63,
                               n_jobs=threads, random_state=7, verbose=-1)
    model.fit(data[:a], y[:a], eval_set=[(data[a:b], y[a:b])],
              callbacks=[lgb.early_stopping(20, verbose=False)])
    seconds_train = time.perf_counter() - t0
    val = model.predict_proba(data[a:b])[:, 1]
    threshold = best_threshold(list(val), list(y[a:b]))
    t0 = time.perf_counter()
    test = model.predict_proba(data[b:])[:, 1]
    seconds_predict = time.perf_counter() - t0
    out = grade([s >= threshold for s in test], list(y[b:]))
    out.update({"seconds_read": round(seconds_read, 2), "seconds_features": round(seconds_features, 2),
                "seconds_train": round(seconds_train, 2), "seconds_predict": round(seconds_predict, 2),
                "feature_columns": int(data.shape[1]), "threshold": float(threshold)})
    with open(result, "w") as f:
        json.dump(out, f)


def timed(cmd, timeout=None):
    """Run `cmd` under /usr/bin/time: (wall seconds, peak RSS MiB, stdout);
    `None` when it runs past `timeout` seconds."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        t0 = time.perf_counter()
        try:
            p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", t.name] + cmd,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit(f"{cmd[0]} failed: {p.stderr[-2000:]}")
        peak = int(open(t.name).read().split()[-1]) / 1024
    return wall, peak, p.stdout


def run_gfp(path, threads, left_out, timeout):
    with tempfile.NamedTemporaryFile("r", suffix=".json") as r:
        cmd = [sys.executable, __file__, "--worker", path, "--threads", str(threads), "--out", r.name]
        cmd += ["--no-" + family for family in left_out]
        done = timed(cmd, timeout)
        if done is None:
            return {"status": f"timeout after {timeout} s", "left_out": left_out}
        wall, peak, _ = done
        out = json.load(open(r.name))
        out["left_out"] = left_out
    out.update({"wall": round(wall, 1), "peak_mib": round(peak)})
    return out


def run_moneytrail(binary, path, threads, work, train_args=()):
    with open(path) as f:
        lines = f.readlines()
    n = len(lines) - 1
    a, b = split(n)
    first = os.path.join(work, "first80.csv")
    with open(first, "w") as f:
        f.writelines(lines[: b + 1])
    model, res = os.path.join(work, "model"), os.path.join(work, "res")
    common = ["--threads", str(threads)]
    wall_train, peak_train, _ = timed([binary, "train", "--input", first, "--validation-share", "0.25",
                                       "--out", model] + common + list(train_args))
    metrics = json.load(open(os.path.join(model, "metrics.json")))
    wall_score, peak_score, _ = timed([binary, "analyze", "--input", path, "--model", model,
                                       "--out", res, "--no-report", "--top", "0"] + common)
    labels = [int(l.rstrip("\n").split(",")[10]) for l in lines[1:]]
    flags = []
    with open(os.path.join(res, "transfer_scores.csv")) as f:
        r = csv.reader(f)
        next(r)
        for c in r:
            if int(c[0]) >= b:
                flags.append(c[2] == "1")
    out = grade(flags, labels[b:])
    out.update({"wall_train": round(wall_train, 1), "peak_train_mib": round(peak_train),
                "wall_analyze": round(wall_score, 1), "peak_analyze_mib": round(peak_score),
                "seconds_features": round(metrics["seconds"]["features"], 2),
                "seconds_train": round(metrics["seconds"]["train"], 2),
                "threshold": metrics["validation"]["threshold"]})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moneytrail")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    ap.add_argument("--worker")
    ap.add_argument("--only", choices=["gfp", "moneytrail"])
    ap.add_argument("--no-lc-cycle", action="store_true",
                    help="leave out GFP's length-constrained simple cycles (its slowest family)")
    ap.add_argument("--no-temp-cycle", action="store_true",
                    help="leave out GFP's temporal cycles too (where even without lc-cycle it does not finish)")
    ap.add_argument("--gfp-timeout", type=float, help="seconds before a GFP run is stopped and reported")
    ap.add_argument("--train-arg", action="append", default=[],
                    help="an argument for moneytrail train, e.g. --train-arg=--no-rules (repeatable)")
    args = ap.parse_args()
    left_out = [family for family, off in (("lc-cycle", args.no_lc_cycle),
                                           ("temp-cycle", args.no_temp_cycle)) if off]
    if args.worker:
        worker_gfp(args.worker, args.threads, args.out, left_out)
        return
    results = []
    for path in args.input:
        entry = {"input": path, "rows": sum(1 for _ in open(path)) - 1, "threads": args.threads}
        with tempfile.TemporaryDirectory() as work:
            if args.only != "gfp":
                entry["moneytrail"] = run_moneytrail(args.moneytrail, path, args.threads, work,
                                                     args.train_arg)
                entry["moneytrail_train_args"] = args.train_arg
                print(json.dumps({"input": path, "moneytrail": entry["moneytrail"]}), flush=True)
            if args.only != "moneytrail":
                entry["gfp_lightgbm"] = run_gfp(path, args.threads, left_out, args.gfp_timeout)
                print(json.dumps({"input": path, "gfp_lightgbm": entry["gfp_lightgbm"]}), flush=True)
        results.append(entry)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
