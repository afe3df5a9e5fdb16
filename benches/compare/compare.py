#!/usr/bin/env python3
"""Side-by-side benchmark of moneytrail and the tools an analyst would use
instead, on identical generated inputs and identical tasks, with the answers
cross-checked. See README.md in this folder.

Each measured run is its own process (so wall time and peak memory are the
tool's own); a run that exceeds the time-out is killed and recorded as such.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# The tasks' parameters (the same for every tool).
CYCLE_HOPS = 3
CYCLE_WINDOW_HOURS = 24
CHAIN_MIN_HOPS, CHAIN_MAX_HOPS = 2, 4
CHAIN_DWELL_HOURS = 24
CHAIN_RATIO = ("0.9", "1.02")
REACH_SEEDS = 100
REACH_HOPS = 4
REACH_WINDOW_HOURS = 48


# ---------------------------------------------------------------- data


def preset_for(rows):
    for limit, name in ((10_000, "tiny"), (100_000, "small"), (1_000_000, "medium")):
        if rows <= limit:
            return name
    return "large"


def generate(moneytrail, rows, data_dir):
    """A generated transfers file with `rows` rows, times cut to whole
    seconds (Snap ML reads whole-number times; microseconds overflow it),
    the same file for every tool."""
    out = data_dir / f"{rows}"
    csv = out / "transactions.csv"
    seconds = out / "transactions-seconds.csv"
    if not seconds.exists():
        if not csv.exists():
            subprocess.run(
                [str(moneytrail), "generate", "--preset", preset_for(rows), "--transfers", str(rows),
                 "--seed", "1", "--out", str(out)],
                check=True, stdout=subprocess.DEVNULL)
        with open(csv) as src, open(seconds, "w") as dst:
            header = src.readline()
            dst.write(header)
            column = header.strip().split(",").index("time")
            for line in src:
                fields = line.split(",")
                t = fields[column]
                if "." in t:
                    fields[column] = t[: t.index(".")] + "Z"
                dst.write(",".join(fields))
    return seconds


def read_transfers(csv):
    """Rows of a transfers-layout file, in ledger order (time, then row)."""
    import csv as csvmod
    from decimal import Decimal
    from datetime import datetime
    rows = []
    with open(csv, newline="") as f:
        for i, r in enumerate(csvmod.DictReader(f)):
            t = datetime.fromisoformat(r["time"].replace("Z", "+00:00"))
            us = int(t.timestamp()) * 1_000_000 + t.microsecond
            got = r.get("amount_received") or r["amount"]
            asset_got = r.get("asset_received") or r["asset"]
            rows.append((us, i, r["from"], r["to"], Decimal(r["amount"]), r["asset"],
                         Decimal(got), asset_got))
    rows.sort(key=lambda x: (x[0], x[1]))
    return rows


# ------------------------------------------------------------- workers
# Each worker loads the data, runs one task, and writes its answer and the
# seconds the task itself took (loading excluded) to a JSON file.


def worker_networkx_cycles(csv, threads):
    import networkx as nx
    rows = read_transfers(csv)
    t0 = time.perf_counter()
    g = nx.DiGraph()
    for pos, (us, row, a, b, *_rest) in enumerate(rows):
        if a == b:
            continue
        if g.has_edge(a, b):
            g[a][b]["t"].append((pos, us, row))
        else:
            g.add_edge(a, b, t=[(pos, us, row)])
    found = temporal_from_static(nx.simple_cycles(g, length_bound=CYCLE_HOPS), g, lambda u, v: g[u][v]["t"])
    return found, time.perf_counter() - t0


def worker_rustworkx_cycles(csv, threads):
    import rustworkx as rx
    rows = read_transfers(csv)
    t0 = time.perf_counter()
    g = rx.PyDiGraph()
    index, edges = {}, {}
    for pos, (us, row, a, b, *_rest) in enumerate(rows):
        if a == b:
            continue
        for n in (a, b):
            if n not in index:
                index[n] = g.add_node(n)
        key = (index[a], index[b])
        if key not in edges:
            edges[key] = []
            g.add_edge(key[0], key[1], None)
        edges[key].append((pos, us, row))
    # rustworkx's simple_cycles takes no length bound: longer cycles are skipped here
    bounded = (c for c in rx.simple_cycles(g) if len(c) <= CYCLE_HOPS)
    found = temporal_from_static(bounded, g, lambda u, v: edges[(u, v)])
    return found, time.perf_counter() - t0


def temporal_from_static(node_cycles, graph, transfers_of):
    """Expand static simple cycles into time-respecting ones: for each
    rotation, transfers along the cycle in increasing ledger order, all
    within the window of the first. Each temporal cycle is found once, from
    its earliest transfer (the rotation that starts there)."""
    window = CYCLE_WINDOW_HOURS * 3_600_000_000
    found = []
    for cyc in node_cycles:
        k = len(cyc)
        if k < 2:
            continue
        for r in range(k):
            nodes = list(cyc[r:]) + list(cyc[:r])
            legs = [transfers_of(nodes[i], nodes[(i + 1) % k]) for i in range(k)]
            for pos, us, row in legs[0]:
                walk_from(legs, 1, pos, us, [row], k, window, found)
    return sorted(set(found))


def walk_from(legs, i, prev_pos, start_us, path, k, window, found):
    for pos, us, row in legs[i]:
        if pos <= prev_pos or us - start_us > window:
            continue
        if i == k - 1:
            found.append(tuple(path + [row]))
        else:
            walk_from(legs, i + 1, pos, start_us, path + [row], k, window, found)


def seeds_of(csv):
    """The seeds of the reach task: the first REACH_SEEDS distinct payers in
    file order (written next to the data, so every tool uses the same)."""
    path = Path(csv).with_name("seeds.txt")
    if not path.exists():
        import csv as csvmod
        seen = []
        with open(csv, newline="") as f:
            for r in csvmod.DictReader(f):
                if r["from"] not in seen:
                    seen.append(r["from"])
                    if len(seen) == REACH_SEEDS:
                        break
        path.write_text("\n".join(seen) + "\n")
    return [line for line in path.read_text().splitlines() if line]


def reach_from(seed, out_edges):
    """Earliest arrival (ledger position, row) per account reachable from
    `seed` in at most REACH_HOPS time-respecting transfers, all within the
    window of the seed's first payment. out_edges(u) yields (v, pos, us, row)."""
    first = min(((pos, us) for _v, pos, us, _row in out_edges(seed)), default=None)
    if first is None:
        return {}
    deadline = first[1] + REACH_WINDOW_HOURS * 3_600_000_000
    best = {}
    frontier = {seed: -1}
    for _ in range(REACH_HOPS):
        nxt = {}
        for u, arrival in frontier.items():
            for v, pos, us, row in out_edges(u):
                if pos <= arrival or us > deadline or v == seed:
                    continue
                if v not in best or pos < best[v][0]:
                    best[v] = (pos, row)
                    if v not in nxt or pos < nxt[v]:
                        nxt[v] = pos
        if not nxt:
            break
        frontier = nxt
    return best


def worker_networkx_reach(csv, threads):
    import networkx as nx
    rows = read_transfers(csv)
    seeds = seeds_of(csv)
    t0 = time.perf_counter()
    g = nx.MultiDiGraph()
    for pos, (us, row, a, b, *_rest) in enumerate(rows):
        g.add_edge(a, b, pos=pos, us=us, row=row)

    def out_edges(u):
        if u not in g:
            return []
        return ((v, d["pos"], d["us"], d["row"]) for _u, v, d in g.out_edges(u, data=True))

    found = sorted((s, v, row) for s in seeds for v, (_pos, row) in reach_from(s, out_edges).items())
    return found, time.perf_counter() - t0


def worker_rustworkx_reach(csv, threads):
    import rustworkx as rx
    rows = read_transfers(csv)
    seeds = seeds_of(csv)
    t0 = time.perf_counter()
    g = rx.PyDiGraph(multigraph=True)
    index = {}
    for pos, (us, row, a, b, *_rest) in enumerate(rows):
        for n in (a, b):
            if n not in index:
                index[n] = g.add_node(n)
        g.add_edge(index[a], index[b], (pos, us, row))
    names = {i: n for n, i in index.items()}

    def out_edges(u):
        if u not in index:
            return []
        return ((names[dst], p[0], p[1], p[2]) for _src, dst, p in g.out_edges(index[u]))

    found = sorted((s, v, row) for s in seeds for v, (_pos, row) in reach_from(s, out_edges).items())
    return found, time.perf_counter() - t0


def snapml_input(csv):
    """Snap ML's input array: one row per transfer (data row, payer id,
    payee id, whole seconds)."""
    import numpy as np
    rows = read_transfers(csv)
    ids = {}
    x = np.zeros((len(rows), 4), dtype=np.float64)
    for pos, (us, row, a, b, *_rest) in enumerate(rows):
        x[pos] = (row, ids.setdefault(a, len(ids)), ids.setdefault(b, len(ids)), us // 1_000_000)
    return x


def worker_snapml_cycles(csv, threads):
    from snapml import GraphFeaturePreprocessor
    x = snapml_input(csv)
    tw = CYCLE_WINDOW_HOURS * 3_600
    g = GraphFeaturePreprocessor()
    g.set_params({
        "num_threads": threads, "time_window": tw, "vertex_stats": False, "fan": False,
        "degree": False, "scatter-gather": False, "lc-cycle": False, "temp-cycle": True,
        "temp-cycle_tw": tw, "temp-cycle_bins": list(range(2, CYCLE_HOPS + 2)),
    })
    t0 = time.perf_counter()
    out = g.transform(x)
    seconds = time.perf_counter() - t0
    # per data row: counts of cycles of 2..CYCLE_HOPS transfers through it
    hist = {int(r[0]): [int(v) for v in r[4:4 + CYCLE_HOPS - 1]] for r in out if any(r[4:4 + CYCLE_HOPS - 1])}
    return hist, seconds


def worker_snapml_fan_sg(csv, threads):
    from snapml import GraphFeaturePreprocessor
    x = snapml_input(csv)
    tw = 4 * 24 * 3_600
    g = GraphFeaturePreprocessor()
    g.set_params({
        "num_threads": threads, "time_window": tw, "vertex_stats": False, "fan": True,
        "fan_tw": tw, "degree": False, "scatter-gather": True, "scatter-gather_tw": tw,
        "temp-cycle": False, "lc-cycle": False,
    })
    t0 = time.perf_counter()
    out = g.transform(x)
    return {"edges": int(out.shape[0])}, time.perf_counter() - t0


def worker_duckdb_chains(csv, threads):
    import duckdb
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute("SET TimeZone = 'UTC'")
    t0 = time.perf_counter()
    con.execute(f"""
        CREATE TABLE t AS
        SELECT CAST(substr(tx_id, 2) AS BIGINT) - 1 AS row,
               CAST("time" AS TIMESTAMPTZ) AS ts,
               "from" AS src, "to" AS dst,
               CAST(amount AS DECIMAL(38, 10)) AS paid, asset AS asset_paid,
               CAST(coalesce(amount_received, amount) AS DECIMAL(38, 10)) AS got,
               coalesce(asset_received, asset) AS asset_got
        FROM read_csv('{csv}', all_varchar = true)
    """)
    lo, hi = CHAIN_RATIO

    def hop(a, b):
        return f"""{b}.src = {a}.dst AND {b}.asset_paid = {a}.asset_got
            AND ({b}.ts > {a}.ts OR ({b}.ts = {a}.ts AND {b}.row > {a}.row))
            AND {b}.ts <= {a}.ts + INTERVAL {CHAIN_DWELL_HOURS} HOUR
            AND {b}.paid >= {lo} * {a}.got AND {b}.paid <= {hi} * {a}.got"""

    parts = []
    names = ["a", "b", "c", "d"]
    for k in range(CHAIN_MIN_HOPS, CHAIN_MAX_HOPS + 1):
        used = names[:k]
        joins = " ".join(f"JOIN t {used[i]} ON {hop(used[i - 1], used[i])}" for i in range(1, k))
        # no account twice: every payee differs from the start and from the earlier payees
        distinct = ["a.src <> a.dst"]
        for i in range(1, k):
            earlier = ["a.src"] + [f"{used[j]}.dst" for j in range(i)]
            distinct += [f"{used[i]}.dst <> {e}" for e in earlier]
        cols = ", ".join(f"{n}.row" for n in used)
        parts.append(f"SELECT [{cols}] AS path FROM t a {joins} WHERE {' AND '.join(distinct)}")
    result = con.execute(" UNION ALL ".join(parts)).fetchall()
    seconds = time.perf_counter() - t0
    return sorted(tuple(r[0]) for r in result), seconds


WORKERS = {
    ("networkx", "reach"): worker_networkx_reach,
    ("rustworkx", "reach"): worker_rustworkx_reach,
    ("networkx", "cycles"): worker_networkx_cycles,
    ("rustworkx", "cycles"): worker_rustworkx_cycles,
    ("snapml", "cycles"): worker_snapml_cycles,
    ("snapml", "fan_sg"): worker_snapml_fan_sg,
    ("duckdb", "chains"): worker_duckdb_chains,
}


def run_worker(tool, task, csv, threads, result):
    answer, seconds = WORKERS[(tool, task)](csv, threads)
    if isinstance(answer, dict):
        payload = {str(k): v for k, v in answer.items()}
    else:
        payload = [list(a) for a in answer]
    Path(result).write_text(json.dumps({"seconds_task": seconds, "answer": payload}))


# ------------------------------------------------------------ measuring


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measure(cmd, timeout, env=None):
    """Run a command; return (wall seconds, peak RSS in MiB, exit status or
    'timeout', stdout). Peak memory comes from GNU time when installed
    (the child of a small process); otherwise from wait4, whose figure
    starts at this script's own size at the fork."""
    start = time.perf_counter()
    rss_file = None
    if TIME:
        rss_file = Path(os.environ.get("TMPDIR", "/tmp")) / f"compare-rss-{os.getpid()}"
        cmd = [TIME, "-f", "%M", "-o", str(rss_file)] + [str(c) for c in cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid != 0:
            break
        if time.perf_counter() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            return time.perf_counter() - start, usage.ru_maxrss / 1024, "timeout", ""
        time.sleep(0.05)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    code = os.waitstatus_to_exitcode(status)
    rss = usage.ru_maxrss / 1024
    if rss_file is not None and rss_file.exists():
        text = rss_file.read_text().strip().splitlines()
        if text and text[-1].isdigit():
            rss = int(text[-1]) / 1024
        rss_file.unlink()
    if code != 0:
        sys.stderr.write(f"{' '.join(map(str, cmd))} failed ({code}):\n{err[-2000:]}\n")
    return wall, rss, code, out


def moneytrail_run(moneytrail, args, threads, timeout):
    cmd = [str(moneytrail)] + args + ["--threads", str(threads)]
    return measure(cmd, timeout)


def read_reach_file(path):
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if parts:
                out.append((parts[0], parts[1], int(parts[2])))
    return sorted(out)


def read_rows_file(path):
    with open(path) as f:
        return sorted(tuple(int(x) for x in line.split()) for line in f if line.strip())


def cycle_histogram(cycles, times):
    """Per data row, the number of cycles of each length through it,
    leaving out cycles in which two transfers share a time (Snap ML counts
    strictly increasing times only); and how many were left out."""
    hist, ties = {}, 0
    for c in cycles:
        ts = [times[row] for row in c]
        if any(a >= b for a, b in zip(ts, ts[1:])):
            ties += 1
            continue
        for row in c:
            h = hist.setdefault(row, [0] * (CYCLE_HOPS - 1))
            h[len(c) - 2] += 1
    return hist, ties


# ----------------------------------------------------------------- main


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--sizes", default="100000,1000000,5000000")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--moneytrail", default=str(ROOT / "target/release/moneytrail"))
    p.add_argument("--data", default=str(HERE / "data"))
    p.add_argument("--out", default=str(HERE / "results"))
    p.add_argument("--no-peers", action="store_true", help="moneytrail only (peers reported as skipped)")
    p.add_argument("--tasks", default="cycles,chains,reach,fan_sg", help="which tasks to run")
    p.add_argument("--scaling", default="", help="also time a full analyze at these sizes (e.g. 100000,1000000,5000000,10000000)")
    p.add_argument("--scaling-timeout", type=float, default=3600, help="time-out of each analyze run of --scaling")
    p.add_argument("--scaling-threads", default="", help="thread counts of --scaling (default: --threads)")
    p.add_argument("--worker", nargs=5, metavar=("TOOL", "TASK", "CSV", "THREADS", "RESULT"), help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.worker:
        tool, task, csv, threads, result = a.worker
        run_worker(tool, task, csv, int(threads), result)
        return 0

    moneytrail = Path(a.moneytrail)
    data_dir, out_dir = Path(a.data), Path(a.out)
    data_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    threads_list = [int(t) for t in a.threads.split(",") if t]
    peers_available = not a.no_peers
    if peers_available:
        try:
            import duckdb, networkx, numpy, rustworkx, snapml  # noqa: F401
        except ImportError as e:
            print(f"peers skipped: {e} (run through run.sh to install them)")
            peers_available = False
    results = []
    mismatches = 0
    timed_out = {}
    tasks = set(a.tasks.split(","))

    def record(task, rows, tool, threads, wall, rss, status, seconds_task, items, agrees, note=""):
        if task not in tasks:
            return
        results.append({"task": task, "rows": rows, "tool": tool, "threads": threads,
                        "wall_s": round(wall, 3), "peak_mib": round(rss, 1), "status": str(status),
                        "task_s": None if seconds_task is None else round(seconds_task, 3),
                        "items": items, "agrees": agrees, "note": note})

    for rows in sizes:
        csv = generate(moneytrail, rows, data_dir)
        work = out_dir / f"work-{rows}"
        work.mkdir(exist_ok=True)
        # --- cycles
        reference = None
        for threads in (threads_list if "cycles" in tasks else []):
            cyc_file = work / f"moneytrail-cycles-{threads}.txt"
            wall, rss, status, out = moneytrail_run(moneytrail, [
                "enumerate", "cycles", "--input", str(csv), "--max-hops", str(CYCLE_HOPS),
                "--window", f"{CYCLE_WINDOW_HOURS}h", "--out", str(cyc_file), "--json"], threads, a.timeout)
            info = json.loads(out) if status == 0 else {}
            found = read_rows_file(cyc_file) if status == 0 else None
            if reference is None and found is not None:
                reference = found
            agrees = None if found is None else found == reference
            record("cycles", rows, "moneytrail", threads, wall, rss, status, info.get("seconds_task"),
                   None if found is None else len(found), agrees,
                   "truncated" if info.get("truncated") else "")
        chains_ref = None
        for threads in (threads_list if "chains" in tasks else []):
            ch_file = work / f"moneytrail-chains-{threads}.txt"
            wall, rss, status, out = moneytrail_run(moneytrail, [
                "enumerate", "chains", "--input", str(csv), "--min-hops", str(CHAIN_MIN_HOPS),
                "--max-hops", str(CHAIN_MAX_HOPS), "--max-dwell", f"{CHAIN_DWELL_HOURS}h",
                "--min-ratio", CHAIN_RATIO[0], "--max-ratio", CHAIN_RATIO[1], "--out", str(ch_file),
                "--json"], threads, a.timeout)
            info = json.loads(out) if status == 0 else {}
            found = read_rows_file(ch_file) if status == 0 else None
            if chains_ref is None and found is not None:
                chains_ref = found
            record("chains", rows, "moneytrail", threads, wall, rss, status, info.get("seconds_task"),
                   None if found is None else len(found), None if found is None else found == chains_ref,
                   "truncated" if info.get("truncated") else "")
        reach_ref = None
        seeds_file = Path(csv).with_name("seeds.txt")
        seeds_of(csv)
        for threads in (threads_list if "reach" in tasks else []):
            reach_file = work / f"moneytrail-reach-{threads}.txt"
            wall, rss, status, out = moneytrail_run(moneytrail, [
                "enumerate", "reach", "--input", str(csv), "--seeds", str(seeds_file),
                "--max-hops", str(REACH_HOPS), "--window", f"{REACH_WINDOW_HOURS}h",
                "--out", str(reach_file), "--json"], threads, a.timeout)
            info = json.loads(out) if status == 0 else {}
            found = read_reach_file(reach_file) if status == 0 else None
            if reach_ref is None and found is not None:
                reach_ref = found
            record("reach", rows, "moneytrail", threads, wall, rss, status, info.get("seconds_task"),
                   None if found is None else len(found), None if found is None else found == reach_ref,
                   f"{REACH_SEEDS} seeds")
        for threads in (threads_list if "fan_sg" in tasks else []):
            cfg = work / "fan_sg.toml"
            cfg.write_text('enabled = ["fan_out", "fan_in", "scatter_gather"]\n')
            wall, rss, status, out = moneytrail_run(moneytrail, [
                "analyze", "--input", str(csv), "--config", str(cfg), "--top", "0"], threads, a.timeout)
            seconds = None
            for line in out.splitlines():
                parts = line.split()
                if len(parts) >= 3 and parts[0] in ("fan_out", "fan_in", "scatter_gather"):
                    seconds = (seconds or 0) + float(parts[2])
            record("fan_sg", rows, "moneytrail", threads, wall, rss, status, seconds, None, None,
                   "fan_in + fan_out + scatter_gather detectors (not the same features as snapml's)")
        times = None
        if not peers_available:
            for task, tool in (("reach", "networkx"), ("reach", "rustworkx"),
                               ("cycles", "networkx"), ("cycles", "rustworkx"), ("cycles", "snapml"),
                               ("chains", "duckdb"), ("fan_sg", "snapml")):
                record(task, rows, tool, None, 0, 0, "skipped", None, None, None, "Python peers not available")
            continue
        for (tool, task), _ in WORKERS.items():
            if task not in tasks:
                continue
            # networkx and rustworkx are single-threaded: run once, on one thread
            runs = [1] if tool in ("networkx", "rustworkx") else threads_list
            for threads in runs:
                if (tool, task) in timed_out:
                    record(task, rows, tool, threads, 0, 0, "skipped", None, None, None,
                           f"timed out at {timed_out[(tool, task)]:,} rows")
                    continue
                result = work / f"{tool}-{task}-{threads}.json"
                result.unlink(missing_ok=True)
                wall, rss, status, _out = measure(
                    [sys.executable, __file__, "--worker", tool, task, str(csv), str(threads), str(result)],
                    a.timeout)
                if status != 0:
                    if status == "timeout":
                        timed_out[(tool, task)] = rows
                    record(task, rows, tool, threads, wall, rss, status, None, None, None,
                           f"killed after {a.timeout:.0f} s" if status == "timeout" else "failed")
                    continue
                payload = json.loads(result.read_text())
                answer, seconds = payload["answer"], payload["seconds_task"]
                agrees, items, note = None, None, ""
                if task == "reach":
                    got = sorted((x[0], x[1], int(x[2])) for x in answer)
                    items, agrees = len(got), (reach_ref is not None and got == reach_ref)
                elif task == "cycles" and tool in ("networkx", "rustworkx"):
                    got = sorted(tuple(x) for x in answer)
                    items, agrees = len(got), (reference is not None and got == reference)
                elif task == "cycles" and tool == "snapml":
                    if times is None:
                        times = {row: us for us, row, *_ in read_transfers(csv)}
                    mine, ties = cycle_histogram(reference or [], times)
                    theirs = {int(k): v for k, v in answer.items()}
                    both = set(mine) | set(theirs)
                    differ = [r for r in both if mine.get(r) != theirs.get(r)]
                    fewer = sum(1 for r in differ if sum(theirs.get(r, [0])) < sum(mine.get(r, [0])))
                    items = sum(sum(v) for v in theirs.values())
                    # not the same definition (see README.md): reported, not failed
                    agrees = None if differ else True
                    note = (f"per-transfer counts of cycles by length, equal on {len(both) - len(differ)} "
                            f"of {len(both)} transfers in cycles; Snap ML counts fewer on {fewer}, more on "
                            f"{len(differ) - fewer} (its own convention for parallel transfers); {ties} cycles "
                            "with two transfers in one second left out (Snap ML needs strictly increasing times)")
                elif task == "chains":
                    got = sorted(tuple(x) for x in answer)
                    items, agrees = len(got), (chains_ref is not None and got == chains_ref)
                else:
                    note = "fan and scatter-gather features per transfer (not the same output as moneytrail's detectors)"
                if agrees is False:
                    mismatches += 1
                record(task, rows, tool, threads, wall, rss, status, seconds, items, agrees, note)

    scaling = []
    scaling_threads = [int(t) for t in (a.scaling_threads or a.threads).split(",") if t]
    for rows in [int(s) for s in a.scaling.split(",") if s]:
        csv = generate(moneytrail, rows, data_dir)
        for threads in scaling_threads:
            wall, rss, status, _ = moneytrail_run(moneytrail, ["analyze", "--input", str(csv), "--top", "0"],
                                                  threads, a.scaling_timeout)
            ok = status == 0
            scaling.append({"rows": rows, "threads": threads, "wall_s": round(wall, 2),
                            "peak_mib": round(rss, 1) if ok else None, "status": str(status),
                            "bytes_per_transfer": round(rss * 1024 * 1024 / rows) if ok else None})

    report = {"date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(),
              "parameters": {"cycle_hops": CYCLE_HOPS, "cycle_window_hours": CYCLE_WINDOW_HOURS,
                             "chain_hops": [CHAIN_MIN_HOPS, CHAIN_MAX_HOPS], "chain_dwell_hours": CHAIN_DWELL_HOURS,
                             "chain_ratio": CHAIN_RATIO},
              "results": results, "scaling": scaling}
    (out_dir / "results.json").write_text(json.dumps(report, indent=2))
    table = render(results, scaling)
    (out_dir / "results.md").write_text(table)
    print(table)
    if scaling:
        plot(scaling, out_dir / "scaling.png")
    if mismatches:
        print(f"{mismatches} answers disagree with moneytrail's (see the table)")
        return 1
    return 0


def render(results, scaling):
    base = {}
    for r in results:
        if r["tool"] == "moneytrail":
            base.setdefault((r["task"], r["rows"], r["threads"]), r)
            base.setdefault((r["task"], r["rows"], None), r)
    lines = ["| task | rows | tool | threads | wall s | task s | peak MiB | items | answer | × moneytrail (task s) | note |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        m = base.get((r["task"], r["rows"], r["threads"])) or base.get((r["task"], r["rows"], None))
        ratio = ""
        if r["tool"] != "moneytrail" and m and m["task_s"] and r["task_s"]:
            ratio = f"{r['task_s'] / m['task_s']:.1f}×"
        status = r["status"]
        wall = "timeout" if status == "timeout" else ("skipped" if status == "skipped" else f"{r['wall_s']:.2f}")
        answer = {True: "agrees", False: "DIFFERS", None: ""}[r["agrees"]]
        peak = "" if status in ("timeout", "skipped") else r["peak_mib"]
        lines.append(f"| {r['task']} | {r['rows']:,} | {r['tool']} | {r['threads'] or ''} | {wall} | "
                     f"{'' if r['task_s'] is None else r['task_s']} | {peak} | "
                     f"{'' if r['items'] is None else r['items']} | {answer} | {ratio} | {r['note']} |")
    if scaling:
        lines += ["", "| rows | threads | analyze wall s | peak MiB | bytes per transfer |", "|---|---|---|---|---|"]
        for s in scaling:
            if s["status"] == "0":
                lines.append(f"| {s['rows']:,} | {s['threads']} | {s['wall_s']} | {s['peak_mib']} | {s['bytes_per_transfer']} |")
            else:
                lines.append(f"| {s['rows']:,} | {s['threads']} | {s['status']} after {s['wall_s']} s | | |")
    return "\n".join(lines) + "\n"


def plot(scaling, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for threads in sorted({s["threads"] for s in scaling}):
        pts = [s for s in scaling if s["threads"] == threads and s["status"] == "0"]
        left.plot([s["rows"] for s in pts], [s["wall_s"] for s in pts], marker="o", label=f"{threads} thread(s)")
        right.plot([s["rows"] for s in pts], [s["peak_mib"] for s in pts], marker="o", label=f"{threads} thread(s)")
    for ax, label in ((left, "analyze wall time (s)"), (right, "peak memory (MiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("transfers")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.suptitle("moneytrail analyze on generated data (2-core machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
