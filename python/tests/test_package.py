"""The package on the shipped sample: every job, frames in and out, exact
decimals, errors, and the same results as the CLI field by field."""

import json
import threading
import time
from decimal import Decimal

import polars as pl
import pyarrow as pa
import pytest

import moneytrail
from conftest import SAMPLE


def cli_findings(cli, tmp_path, *args):
    out = tmp_path / "cli"
    cli("analyze", "--input", SAMPLE, "--out", out, "--no-report", *args)
    return json.loads((out / "findings.json").read_text())


def as_records(analysis):
    """The findings as findings.json holds them (decimal strings, RFC 3339)."""
    rows = []
    for r in analysis.findings.iter_rows(named=True):
        r = dict(r)
        r["amount"] = str(r["amount"])
        for key in ("first_time", "last_time"):
            r[key] = r[key].strftime("%Y-%m-%dT%H:%M:%SZ")
        if not r["tx_ids"]:
            del r["tx_ids"]
        rows.append(r)
    return rows


def test_findings_equal_the_cli_field_by_field(sample, cli, tmp_path):
    expected = cli_findings(cli, tmp_path)
    got = as_records(sample.analyze())
    assert len(got) == len(expected) > 0
    for mine, theirs in zip(got, expected):
        theirs = dict(theirs, amount=str(Decimal(theirs["amount"]).quantize(Decimal(mine["amount"]))))
        assert mine == theirs


def test_findings_frame_has_list_columns_and_exact_amounts(sample):
    findings = sample.analyze().findings
    schema = findings.schema
    assert schema["accounts"] == pl.List(pl.String)
    assert schema["rows"] == pl.List(pl.UInt32)
    assert isinstance(schema["amount"], pl.Decimal)
    assert schema["first_time"] == pl.Datetime("us", "UTC")
    assert findings["id"].to_list()[:2] == ["F000001", "F000002"]
    assert all(isinstance(v, Decimal) for v in findings["amount"].to_list())
    assert findings.to_pandas().shape == findings.shape


def test_chosen_detectors_and_config_keys(sample):
    full = sample.analyze()
    cycles = sample.analyze(["cycle"])
    assert set(cycles.findings["typology"]) == {"cycle"}
    assert cycles.findings.height == full.findings.filter(pl.col("typology") == "cycle").height
    strict = sample.analyze(["fan_out"], config={"fan_out": {"min_counterparties": 10, "min_amount": Decimal("1000")}})
    loose = sample.analyze(["fan_out"])
    assert 0 < strict.findings.height < loose.findings.height
    assert strict.config["fan_out"]["min_counterparties"] == 10
    with pytest.raises(moneytrail.MoneytrailError, match="unknown field"):
        sample.analyze(config={"cycle": {"max_hopz": 3}})


def test_sharded_findings_equal_unsharded(sample):
    whole = sample.analyze().findings
    for shard in ("1d", "2d", "7d"):
        assert sample.analyze(shard=shard).findings.equals(whole), shard


def test_a_polars_frame_gives_the_file_findings(sample):
    frame = pl.read_csv(SAMPLE, infer_schema=False)
    loaded = moneytrail.load(frame)
    assert len(loaded) == len(sample)
    # The frame has no FX file beside it; give the sample's.
    loaded = moneytrail.load(frame, fx=SAMPLE.with_name("sample_fx.csv"))
    assert loaded.analyze().findings.equals(sample.analyze().findings)


def test_pandas_and_pyarrow_frames_with_decimal_amounts(sample):
    frame = pl.read_csv(SAMPLE, infer_schema=False).with_columns(
        pl.col("amount", "amount_received").cast(pl.Decimal(38, 8))
    )
    fx = SAMPLE.with_name("sample_fx.csv")
    expected = sample.analyze().findings
    table = frame.to_arrow()
    assert pa.types.is_decimal(table.schema.field("amount").type)
    assert moneytrail.load(table, fx=fx).analyze().findings.equals(expected)
    assert moneytrail.load(frame.to_pandas(), fx=fx).analyze().findings.equals(expected)


def test_column_mapping(sample):
    frame = pl.read_csv(SAMPLE, infer_schema=False).rename({"from": "payer", "to": "payee"})
    with pytest.raises(moneytrail.InputError):
        moneytrail.load(frame)
    loaded = moneytrail.load(frame, columns={"payer": "from", "payee": "to"})
    assert len(loaded) == len(sample)


def test_float_amounts_are_refused_unless_asked(sample):
    frame = pl.read_csv(SAMPLE, infer_schema=False).with_columns(pl.col("amount").cast(pl.Float64))
    with pytest.raises(TypeError, match="floats"):
        moneytrail.load(frame)
    loaded = moneytrail.load(frame, allow_float=True)
    assert len(loaded) == len(sample)


def test_amounts_are_exact_to_the_digit(sample):
    text = pl.read_csv(SAMPLE, infer_schema=False)
    expected = sum(Decimal(v) for v in text["amount"])
    frame = sample.to_polars()
    assert frame.height == len(sample)
    assert sum(frame["amount_paid"].to_list()) == expected
    assert frame.sort("row")["row"].to_list() == list(range(len(sample)))


def test_a_bad_row_names_file_row_column_and_value(tmp_path):
    lines = SAMPLE.read_text().splitlines()
    fields = lines[6].split(",")
    fields[4] = "12.5O"
    lines[6] = ",".join(fields)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(moneytrail.InputError) as caught:
        moneytrail.load(bad)
    e = caught.value
    assert (e.path, e.row, e.column, e.value) == (str(bad), 5, "amount", "12.5O")
    lenient = moneytrail.load(bad, lenient=True)
    report = lenient.load_report
    assert report["rows_rejected"] == 1 and report["rejected"][0]["row"] == 5
    assert len(lenient) == report["rows_loaded"] == report["rows_read"] - 1


def test_a_bad_frame_row_names_the_frame():
    frame = pl.read_csv(SAMPLE, infer_schema=False).with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("lots")).otherwise(pl.col("amount")).alias("amount")
    )
    with pytest.raises(moneytrail.InputError) as caught:
        moneytrail.load(frame)
    e = caught.value
    assert (e.path, e.row, e.column, e.value) == ("frame", 7, "amount", "lots")
    assert "moneytrail-frame" not in str(e)


def test_argument_errors(sample):
    with pytest.raises(moneytrail.ArgumentError, match="no account"):
        sample.trace("nobody")
    with pytest.raises(moneytrail.ArgumentError, match="unknown rule"):
        sample.trace("GB-NB-12812", rule="fofi")
    with pytest.raises(moneytrail.ArgumentError, match="duration"):
        sample.analyze(shard="soon")
    with pytest.raises(moneytrail.InputError):
        moneytrail.load("no-such-file.csv")
    with pytest.raises(TypeError, match="exact"):
        sample.trace("GB-NB-12812", amount=1.5)


def cycle_account(sample):
    return sample.analyze(["cycle"]).findings["accounts"][0][0]


@pytest.mark.parametrize("rule", ["poison", "haircut", "fifo", "lifo", "libr"])
def test_trace_equals_the_cli(sample, cli, rule):
    account = cycle_account(sample)
    trace = sample.trace(account, rule=rule)
    expected = json.loads(cli("trace", "--input", SAMPLE, "--account", account, "--rule", rule, "--json"))
    assert trace.summary == expected
    assert trace.conserved == (rule != "poison")
    assert trace.flows.height == expected["tainted_transfers"] > 0
    held = {}
    for asset, amount in trace.holdings.select("asset", "amount").iter_rows():
        held[asset] = held.get(asset, Decimal(0)) + amount
    assert {a: Decimal(v) for a, v in expected["held"].items()} == held


def test_trace_from_transfers_and_sent(sample):
    row = int(sample.analyze(["cycle"]).findings["rows"][0][0])
    one = sample.trace(transfers=[row])
    seeded = sample.to_polars().filter(pl.col("row") == row).row(0, named=True)
    assert one.summary["traced_in"] == {seeded["asset_received"]: str(seeded["amount_received"].normalize())}
    assert one.conserved
    sent = sample.trace(cycle_account(sample), sent=True, rule="haircut")
    assert sent.conserved and sent.flows.height > 0
    empty = sample.trace(cycle_account(sample), since="2030-01-01")
    assert empty.flows.height == 0 and empty.why_empty


def test_paths(sample, cli):
    record = sample.analyze(["cycle"]).findings.row(0, named=True)
    a, b = record["accounts"][0], record["accounts"][1]
    found = sample.paths(a, b, max_hops=4, window="4d")
    assert len(found) > 0 and not found.truncated and found.why_empty is None
    printed = cli("paths", "--input", SAMPLE, "--from", a, "--to", b, "--max-hops", 4, "--window", "4d")
    assert printed.startswith(f"{len(found)} time-respecting path")
    for rows in found.frame["rows"].to_list():
        for row in rows:
            assert f"(row {row})" in printed
    none = sample.paths(b, a, max_hops=1, window="1h")
    if len(none) == 0:
        assert none.why_empty
    # paths whose first transfer lies in a day: those of the CLI's --since/--until
    chain = sample.paths("GB-NB-M0570", "GB-NB-M0576", window="1d", since="2024-03-19", until="2024-03-20")
    assert len(chain) == 1 and chain.frame["hops"].to_list() == [6]
    later = sample.paths("GB-NB-M0570", "GB-NB-M0576", window="1d", since="2024-03-19T08:00:00Z")
    assert len(later) == 0 and "outside --since/--until" in later.why_empty
    with pytest.raises(moneytrail.ArgumentError, match="since"):
        sample.paths(a, b, since="yesterday")


def test_store(cli, tmp_path):
    store = tmp_path / "store"
    cli("ingest", "--input", SAMPLE, "--store", store)
    whole = moneytrail.open_store(store)
    assert len(whole) == 3008
    assert whole.analyze().findings.equals(moneytrail.load(SAMPLE).analyze().findings)
    march = moneytrail.open_store(store, read_from="2024-03-10", read_until="2024-03-20")
    times = march.to_polars()["time"]
    assert 0 < len(march) < len(whole)
    assert str(times.min()) >= "2024-03-10" and str(times.max()) < "2024-03-20"


def test_ingest_matches_the_cli(cli, tmp_path):
    made = moneytrail.ingest(tmp_path / "py", SAMPLE, partition="7d")
    cli("ingest", "--input", SAMPLE, "--store", tmp_path / "cli", "--partition", "7d")
    assert made["transfers_added"] == 3008 and not made["appended"]
    assert made["rows_rejected"] == 0 and made["partitions_written"] >= 4
    on_disk = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert made["manifest"] == on_disk
    assert json.loads((tmp_path / "py" / "manifest.json").read_text()) == on_disk
    store = moneytrail.open_store(tmp_path / "py")
    assert store.analyze().findings.equals(moneytrail.load(SAMPLE).analyze().findings)
    # read in pieces of 100 rows: the same store, file for file
    pieces = moneytrail.ingest(tmp_path / "pieces", SAMPLE, partition="7d", piece_rows=100)
    assert pieces["manifest"] == on_disk
    for part in (tmp_path / "py").rglob("*.parquet"):
        twin = tmp_path / "pieces" / part.relative_to(tmp_path / "py")
        assert twin.read_bytes() == part.read_bytes(), part.name
    with pytest.raises(moneytrail.ArgumentError, match="partition"):
        moneytrail.ingest(tmp_path / "bad", SAMPLE, partition="soon")
    with pytest.raises(moneytrail.InputError, match="missing.csv"):
        moneytrail.ingest(tmp_path / "bad", tmp_path / "missing.csv")


def test_results_folder_and_notebook_views(sample, tmp_path):
    analysis = sample.analyze()
    written = analysis.write(tmp_path / "out")
    assert "report.html" in written and "findings.json" in written
    on_disk = json.loads((tmp_path / "out" / "findings.json").read_text())
    assert len(on_disk) == len(analysis)
    finding = analysis.finding(0)
    assert "<svg" in finding._repr_html_() and "<table" in finding._repr_html_()
    assert set(finding.transfers["row"].to_list()) == set(finding.record["rows"])
    assert "<table" in analysis._repr_html_()
    trace = sample.trace(cycle_account(sample))
    assert "<svg" in trace._repr_html_()
    assert "trace.json" in trace.write(tmp_path / "trace")
    with pytest.raises(IndexError):
        analysis.finding(len(analysis))


def test_summary(sample, cli):
    summary = sample.summary()
    assert summary["transfers"] == 3008
    assert summary["accounts"] == sample.account_count == 392


def test_threads_share_one_load(sample):
    results = []
    threads = [threading.Thread(target=lambda: results.append(sample.analyze().findings)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r.equals(results[0]) for r in results)


def test_features_equal_the_cli(sample, cli, tmp_path):
    features = sample.features()
    assert features.columns[0] == "row" and features.height == len(sample)
    cli("features", "--input", SAMPLE, "--out", tmp_path)
    assert features.equals(pl.read_parquet(tmp_path / "features.parquet"))
    assert sample.features(shard="2d").equals(features)
    assert "payer_history_in_assets" in features.columns and "history_reach" in features.columns
    bare = sample.features(history=None)
    assert not any("history" in c for c in bare.columns)
    cli("features", "--input", SAMPLE, "--no-history", "--out", tmp_path / "bare")
    assert bare.equals(pl.read_parquet(tmp_path / "bare" / "features.parquet"))


def test_generate_then_analyze(tmp_path, cli):
    made = moneytrail.generate(tmp_path / "set", preset="tiny", seed=3)
    assert made["rows"] > 0 and made["attempts"] > 0
    cli("generate", "--preset", "tiny", "--seed", 3, "--out", tmp_path / "cli")
    assert (tmp_path / "set" / "transactions.csv").read_bytes() == (tmp_path / "cli" / "transactions.csv").read_bytes()
    loaded = moneytrail.load(made["transactions"])
    assert len(loaded) == made["rows"]
    assert len(loaded.analyze()) > 0
    with pytest.raises(moneytrail.ArgumentError, match="preset"):
        moneytrail.generate(tmp_path / "x", preset="huge")


@pytest.mark.parametrize("rule", ["haircut", "fifo", "lifo", "libr"])
def test_sources_of_funds_equal_the_cli(sample, cli, tmp_path, rule):
    for account in ("GB-NB-M0576", "ES-BS-M0581", "GB-NB-M0560"):
        found = sample.sources_of_funds(account, rule=rule)
        out = tmp_path / f"{account}-{rule}"
        cli("trace", "--input", SAMPLE, "--backward", "--account", account, "--rule", rule, "--out", out, "--no-report")
        expected = json.loads((out / "trace.json").read_text())["balances"]
        assert found.balances.height == len(expected) > 0
        for mine, theirs in zip(found.balances.iter_rows(named=True), expected):
            assert mine["asset"] == theirs["asset"]
            for key in ("balance", "traced", "untraced"):
                assert mine[key] == Decimal(theirs[key]), key
            assert mine["balance"] == mine["traced"] + mine["untraced"]
            assert mine["direct_payers"] == theirs["direct_payers"]
            sources = found.sources.filter((pl.col("asset") == mine["asset"]) & (pl.col("kind") == "transfer"))
            assert [(s["account"], s["row"], Decimal(s["amount"])) for s in theirs["sources"]] == [
                (r["account"], r["row"], r["amount"]) for r in sources.iter_rows(named=True)
            ]
    nothing = sample.sources_of_funds("GB-NB-M0576", at="2024-03-01")
    assert nothing.balances.height == 0 and nothing.why_empty


def test_investigate_equals_the_cli(sample, cli, tmp_path):
    subjects = SAMPLE.with_name("sample_subjects.csv")
    cli("investigate", "--input", SAMPLE, "--subjects", subjects, "--out", tmp_path / "cli", "--no-report")
    expected = json.loads((tmp_path / "cli" / "index.json").read_text())["subjects"]
    investigation = sample.analyze().investigate(subjects)
    assert len(investigation) == len(expected) > 0
    for mine, theirs in zip(investigation.index.iter_rows(named=True), expected):
        assert (mine["case_ref"], mine["subject"], mine["found"]) == (theirs["case_ref"], theirs["subject"], theirs["found"])
        assert (mine["findings"], mine["links"]) == (theirs["findings"], theirs["links"])
        assert mine["value_in"] == Decimal(theirs["value_in"]) and mine["value_out"] == Decimal(theirs["value_out"])
    for case, theirs in zip(investigation.cases, expected):
        on_disk = json.loads((tmp_path / "cli" / theirs["file"]).read_text())
        assert case == on_disk
    hidden = sample.analyze().investigate(pl.read_csv(subjects), pseudonymise="k3y")
    assert hidden.index["subject"].to_list() != investigation.index["subject"].to_list()
    assert "index.json" in hidden.write(tmp_path / "py")
    with pytest.raises(ValueError, match="case_ref"):
        sample.analyze().investigate([{"subject": "x"}])


def test_train_then_score_equals_the_cli(cli, tmp_path):
    made = moneytrail.generate(tmp_path / "set", preset="tiny", seed=5)
    labelled = moneytrail.load(made["transactions"])
    metrics = labelled.train(tmp_path / "model", labels=made["truth"], rounds=30)
    assert metrics["validation"]["threshold"] > 0 and (tmp_path / "model" / "metrics.json").is_file()
    cli("train", "--input", made["transactions"], "--labels", made["truth"], "--rounds", 30, "--out", tmp_path / "cli-model")
    assert json.loads((tmp_path / "cli-model" / "metrics.json").read_text())["validation"] == metrics["validation"]
    analysis = labelled.analyze(model=tmp_path / "model")
    scores = analysis.transfer_scores
    assert scores.height == len(labelled) and scores["row"].to_list() == list(range(len(labelled)))
    cli("analyze", "--input", made["transactions"], "--model", tmp_path / "model", "--out", tmp_path / "out", "--no-report")
    expected = pl.read_csv(tmp_path / "out" / "transfer_scores.csv")
    assert scores["flagged"].cast(pl.Int64).to_list() == expected["flagged"].to_list()
    assert (scores["score"].round(6) - expected["score"]).abs().max() < 1e-9
    flagged = scores.filter(pl.col("flagged"))
    assert flagged.height > 0 and all(len(r) > 0 for r in flagged["reasons"].to_list())
    assert "transfer_scores.csv" in analysis.write(tmp_path / "py-out", html=False)
    assert moneytrail.sample().analyze().transfer_scores is None
    with pytest.raises(moneytrail.MoneytrailError, match="label"):
        moneytrail.sample().train(tmp_path / "nolabels", labels="no-such-file.json")


def amlsim_set(folder):
    """An AMLSim sample-layout set with nodes.csv beside it: every fifth
    of 300 accounts is a mule (labelled) that gathers from six payers and
    passes almost all of it on the next day; the others pay one or two
    regular counterparties (as tests/it/learn.rs builds it)."""
    folder.mkdir()
    state = [17]

    def draw(m):
        state[0] = (state[0] * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (state[0] >> 33) % m

    rows, nodes = ["sourceNodeId,targetNodeId,value,time"], ["nodeid,isFraud,init_balance,fraudStep"]
    for a in range(300):
        start, mule = a // 3, a % 5 == 0
        nodes.append(f"{a},{int(mule)},1000,{start if mule else 0}")
        if mule:
            total = 0
            for k in range(6):
                amount = 900 + draw(200)
                total += amount
                rows.append(f"{1000 + a * 10 + k},{a},{amount},{start}")
            rows.append(f"{a},{5000 + a},{total * 95 // 100},{start + 1}")
        else:
            for k in range(1 + draw(2)):
                rows.append(f"{a},{(a + 1 + k) % 300},{50 + draw(400)},{start + k}")
    (folder / "nodes.csv").write_text("\n".join(nodes) + "\n")
    path = folder / "transactions.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def test_an_account_level_model_scores_accounts_as_the_cli(cli, tmp_path):
    path = amlsim_set(tmp_path / "amlsim")
    labelled = moneytrail.load(path)
    metrics = labelled.train(tmp_path / "model", labels=path.with_name("nodes.csv"), rounds=40)
    assert metrics["level"] == "account" and metrics["validation"]["f1"] > 0.9
    analysis = labelled.analyze(model=tmp_path / "model")
    assert analysis.transfer_scores is None
    scores = analysis.account_scores
    cli("analyze", "--input", path, "--model", tmp_path / "model", "--out", tmp_path / "out", "--no-report")
    expected = pl.read_csv(tmp_path / "out" / "account_scores.csv", schema_overrides={"account": pl.Utf8})
    assert scores["account"].to_list() == expected["account"].to_list()
    assert scores["flagged"].cast(pl.Int64).to_list() == expected["flagged"].to_list()
    assert (scores["score"].round(6) - expected["score"]).abs().max() < 1e-9
    joined = ["; ".join(r) for r in scores["reasons"].to_list()]
    assert joined == expected["reasons"].fill_null("").to_list()
    flagged = scores.filter(pl.col("flagged"))
    assert flagged.height > 0 and all(len(r) > 0 for r in flagged["reasons"].to_list())
    assert "account_scores.csv" in analysis.write(tmp_path / "py-out", html=False)
    assert moneytrail.sample().analyze().account_scores is None


UTXO = SAMPLE.with_name("sample_utxo.jsonl")
TAGS = SAMPLE.with_name("sample_tags.csv")


def test_cluster_equals_the_cli(cli, tmp_path):
    clusters = moneytrail.cluster(UTXO, tags=TAGS)
    cli("cluster", "--input", UTXO, "--tags", TAGS, "--out", tmp_path)
    expected = pl.read_csv(tmp_path / "clusters.csv", infer_schema=False)
    assert expected.height > 0
    for row in expected.iter_rows(named=True):
        mine = clusters.filter(pl.col("cluster") == int(row["cluster"])).row(0, named=True)
        assert mine["size"] == int(row["size"]) and mine["addresses"][0] == row["first_address"]
        assert ";".join(mine["entities"]) == (row["entities"] or "").replace(", ", ";")
    assert clusters["size"].sum() == len(set(a for addresses in clusters["addresses"] for a in addresses))


def test_exposure_equals_the_cli(cli):
    utxo = moneytrail.load(UTXO)
    seen = 0
    for account in sorted(set(utxo.to_polars()["from"])):
        mine = utxo.exposure(account, TAGS)
        theirs = json.loads(cli("exposure", "--input", UTXO, "--tags", TAGS, "--account", account, "--json"))
        assert mine == theirs, account
        seen += bool(mine["incoming"] or mine["outgoing"])
    assert seen > 0
    with pytest.raises(moneytrail.ArgumentError, match="UTXO"):
        moneytrail.sample().exposure("GB-NB-M0560", TAGS, cluster=True)


def test_trace_through_an_exchange_equals_the_cli(sample, cli):
    hops = sample.analyze(["chain_hopping", "on_off_ramp"]).findings
    assert hops.height > 0
    start = hops["accounts"][0][0]
    for through in ("linked", "stop"):
        mine = sample.trace(start, sent=True, through_exchanges=through)
        theirs = json.loads(cli("trace", "--input", SAMPLE, "--account", start, "--sent", "--through-exchanges", through, "--json"))
        assert mine.summary == theirs, through
    linked = sample.trace(start, sent=True)
    assert linked.summary["through_exchanges"], "the detected round trip is followed through the exchange"
    with pytest.raises(moneytrail.ArgumentError, match="linked or stop"):
        sample.trace(start, through_exchanges="jump")


def test_the_gil_is_released_while_rust_computes(tmp_path):
    made = moneytrail.generate(tmp_path / "set", preset="tiny", seed=2)
    transfers = moneytrail.load(made["transactions"])
    count = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            count[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        # the spinner's pace while this thread sleeps (without the GIL)
        before, started = count[0], time.perf_counter()
        time.sleep(0.1)
        pace = (count[0] - before) / (time.perf_counter() - started)
        before, started = count[0], time.perf_counter()
        transfers.analyze()
        during, seconds = count[0] - before, time.perf_counter() - started
    finally:
        stop.set()
        spinner.join()
    assert seconds > 0.05, "the call must be long enough to tell"
    # Holding the GIL, the call would leave the spinner at most one switch
    # interval (5 ms) of turns; released, it spins for much of the call.
    assert during > pace * 0.02, (during, pace, seconds)


def test_score_equals_the_cli(cli, tmp_path):
    made = moneytrail.generate(tmp_path / "set", preset="tiny", seed=4)
    analysis = moneytrail.load(made["transactions"]).analyze()
    analysis.write(tmp_path / "out", html=False)
    for only, least in ((None, 0.0), (["cycle", "fan_in"], 0.5)):
        mine = analysis.score(made["truth"], typologies=only, min_score=least)
        args = ["score", "--findings", tmp_path / "out" / "findings.json", "--truth", made["truth"], "--json"]
        for t in only or []:
            args += ["--typology", t]
        theirs = json.loads(cli(*args, "--min-score", least))
        assert mine == theirs
    assert mine != analysis.score(made["truth"])


def test_an_amlworld_frame_gives_the_file_findings(tmp_path):
    made = moneytrail.generate(tmp_path / "aml", preset="tiny", seed=6, format="amlworld")
    from_file = moneytrail.load(made["transactions"])
    frame = pl.read_csv(made["transactions"], infer_schema=False)
    assert frame.columns[4] == "Account_duplicated_0"
    from_frame = moneytrail.load(frame)
    assert from_frame.load_report["layout"] == from_file.load_report["layout"]
    assert from_frame.analyze().findings.equals(from_file.analyze().findings)
    pandas_frame = frame.to_pandas().rename(columns={"Account_duplicated_0": "Account.1"})
    assert moneytrail.load(pandas_frame).analyze().findings.equals(from_file.analyze().findings)
