#!/usr/bin/env python3
"""Side-by-side: callsla and DuckDB computing the same metrics on the same generated file.

    python3 benches/compare.py --rows 1000000 [--callsla target/release/callsla] [--workdir /tmp/callsla-bench]
        [--metrics benches/reference-metrics.toml] [--extras] [--spark]

1. `callsla generate --rows N --months 2` writes the CSV (kept between runs of the same N).
2. `callsla metrics --period month --by channel,queue` (the default catalogue, or --metrics) → CSV.
3. The SQL from `callsla metrics --emit-sql duckdb` on DuckDB (benches/duckdb_run.py) → CSV.
4. DuckDB parsing the CSV into a table, all columns, timestamps included: the floor.
5. The numerators, denominators, sample sizes, unsettled counts and percentile values of both
   are compared.
6. With --spark, the SQL from `--emit-sql spark` on a local Spark session (benches/spark_run.py;
   needs pyspark and Java) is compared the same way and its wall time printed (Spark's start-up
   included: it is not a performance peer here, the check is that the definitions agree).

Each command runs under /usr/bin/time for wall, CPU (user + system) and peak memory. Results go
to stdout as a Markdown table for benches/README.md.
"""
import argparse
import csv
import os
import platform
import subprocess
import sys
import tempfile
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v; returns (wall s, cpu s, peak MiB)."""
    out = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    wall = cpu = peak = 0.0
    for line in out.stderr.splitlines():
        line = line.strip()
        if line.startswith("Elapsed (wall clock) time"):
            t = line.split(": ", 1)[1]
            parts = [float(p) for p in t.split(":")]
            wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
        elif line.startswith("User time") or line.startswith("System time"):
            cpu += float(line.split(": ", 1)[1])
        elif line.startswith("Maximum resident set size"):
            peak = float(line.split(": ", 1)[1]) / 1024
    return wall, cpu, peak


def callsla_counts(path, names):
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["agent"] != "*":
                continue
            key = (r["metric"], r["definition"])
            if key not in names:
                continue
            i = names[key]
            # A percentile's numerator and denominator are the rank and the count of values; its
            # value (seconds) is compared in ms.
            percentile = r["metric"].endswith("_percentile")
            factor = 1000 if r["unit"] == "seconds" and not percentile else 1
            num = int(Decimal(r["numerator"] or "0") * factor)
            den = 0 if r["unit"] == "count" else int(Decimal(r["denominator"] or "0"))
            value = int(Decimal(r["value"] or "0") * 1000) if percentile else 0
            out[(r["period"], r["channel"], r["queue"], i)] = (num, den, int(r["sample_size"]), int(r["unsettled"]), value)
    return out


def engine_counts(path, n):
    out = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            for i in range(n):
                # An empty field (NULL) where callsla has no row (interval compliance in a group
                # with no contacts on the definition's channels).
                if r.get(f"n{i}", "") != "":
                    value = int(r.get(f"v{i}") or "0")
                    out[(r["period"], r["channel"], r["queue"], i)] = tuple(int(r[f"{t}{i}"]) for t in "ndsu") + (value,)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, required=True)
    ap.add_argument("--callsla", default=os.path.join(HERE, "..", "target", "release", "callsla"))
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "callsla-bench"))
    ap.add_argument("--extras", action="store_true",
                    help="also time metrics on the same rows as canonical Parquet, and the full run with the sample contract")
    ap.add_argument("--metrics", help="a metrics file (callsla metrics --metrics) instead of the default catalogue")
    ap.add_argument("--spark", action="store_true",
                    help="also run the emitted Spark SQL on a local Spark session and compare its counts")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    log = os.path.join(args.workdir, f"log-{args.rows}.csv")
    if not os.path.exists(log):
        subprocess.run([args.callsla, "generate", "--rows", str(args.rows), "--months", "2", "--seed", "7", "--out", log], check=True)
    size = os.path.getsize(log)
    ours = os.path.join(args.workdir, "callsla.csv")
    theirs = os.path.join(args.workdir, "duckdb.csv")
    sql = os.path.join(args.workdir, "metrics.sql")
    floor_sql = os.path.join(args.workdir, "parse.sql")

    base = [args.callsla, "metrics", "--input", log, "--tz", "America/New_York", "--period", "month", "--by", "channel,queue"]
    if args.metrics:
        base += ["--metrics", os.path.abspath(args.metrics)]
    emitted = subprocess.run(base + ["--emit-sql", "duckdb"], check=True, capture_output=True, text=True).stdout
    open(sql, "w").write(emitted)
    view = emitted.split(";\n", 1)[0] + ";\n"
    open(floor_sql, "w").write(view + "SELECT count(*) AS n FROM (SELECT * FROM interactions);\n")

    c = timed(base + ["--format", "csv", "--out", ours])
    d = timed([sys.executable, os.path.join(HERE, "duckdb_run.py"), "--sql", sql, "--out", theirs])
    # The floor: materialise every column of the CSV in DuckDB.
    floor_script = view.replace("CREATE OR REPLACE VIEW interactions AS", "CREATE TABLE parsed AS") + "SELECT count(*) FROM parsed;\n"
    open(floor_sql, "w").write(floor_script)
    p = timed([sys.executable, os.path.join(HERE, "duckdb_run.py"), "--sql", floor_sql, "--out", os.path.join(args.workdir, "floor.csv")])

    names = {}
    for line in emitted.splitlines():
        if line.startswith("--   "):
            idx, rest = line[5:].split(": ", 1)
            name, definition = rest.split(" ", 1)
            names[(name, definition.replace("  (from the outage log: not emitted)", ""))] = int(idx)
    a, b = callsla_counts(ours, names), engine_counts(theirs, len(names))
    diffs = [k for k in b if a.get(k) != b[k]]
    same = "yes" if not diffs and b else f"NO ({len(diffs)} of {len(b)} differ, e.g. {diffs[:1]})"

    print(f"{args.rows:,} rows, {size / 1e6:,.0f} MB CSV, {platform.node()} ({os.cpu_count()} cores)")
    print()
    print("| run | wall s | CPU s | peak MiB |")
    print("|---|---:|---:|---:|")
    for name, (w, cpu, peak) in [("callsla metrics", c), ("DuckDB, same metrics (emitted SQL)", d), ("DuckDB, parse only (floor)", p)]:
        print(f"| {name} | {w:.2f} | {cpu:.2f} | {peak:,.0f} |")
    print()
    print(f"- callsla / DuckDB wall: {c[0] / d[0]:.2f}× (target ≤ 0.5×)")
    print(f"- callsla / DuckDB parse floor: {c[0] / p[0]:.2f}× (target ≤ 2×)")
    print(f"- same numerators, denominators and percentile values for {len(b)} group × metric figures: {same}")
    if args.spark:
        diffs += spark(args, log, base, ours, names)
    if args.extras:
        extras(args, log, base, c)
    if diffs:
        sys.exit(1)


def spark(args, log, base, ours, names):
    """The Spark form of the same definitions on the same file: its counts against callsla's."""
    sql = os.path.join(args.workdir, "metrics-spark.sql")
    out = os.path.join(args.workdir, "spark.csv")
    emitted = subprocess.run(base + ["--emit-sql", "spark"], check=True, capture_output=True, text=True).stdout
    open(sql, "w").write(emitted)
    w, cpu, peak = timed([sys.executable, os.path.join(HERE, "spark_run.py"), "--csv", log, "--sql", sql, "--out", out])
    a, b = callsla_counts(ours, names), engine_counts(out, len(names))
    diffs = [k for k in b if a.get(k) != b[k]]
    same = "yes" if not diffs and b else f"NO ({len(diffs)} of {len(b)} differ, e.g. {diffs[:1]})"
    print(f"- Spark SQL (local[2], start-up included): {w:.2f} s wall; same numerators, denominators and percentile values for {len(b)} group × metric figures: {same}")
    return diffs


def extras(args, log, base, csv_run):
    """The other targets: Parquet vs CSV (same rows, canonical Parquet from `callsla ingest
    --out`), and the full `callsla run` (sample contract, all reports) vs `callsla metrics`."""
    repo = os.path.join(HERE, "..")
    parquet = os.path.join(args.workdir, f"log-{args.rows}.parquet")
    if not os.path.exists(parquet):
        subprocess.run([args.callsla, "ingest", "--input", log, "--out", parquet], check=True, capture_output=True)
    pq_base = [part if part != log else parquet for part in base]
    pq = timed(pq_base + ["--format", "csv", "--out", os.path.join(args.workdir, "m-pq.csv")])
    run_out = os.path.join(args.workdir, "runout")
    # A ledger of its own in the work folder: the sample contract's ledger (sample-data/callsla.db)
    # is not the bench's to change.
    ledger = os.path.join(args.workdir, "bench-ledger.db")
    if os.path.exists(ledger):
        os.remove(ledger)
    # The sample contract with its side inputs marked optional: the bench times the run over the
    # generated log (the sample's forecast, payments, events, QA and agent-hours files are for
    # the sample's own months); what needs them is reported not measured.
    with open(os.path.join(repo, "sample-data", "contract.toml")) as f:
        text = f.read()
    contract = os.path.join(args.workdir, "bench-contract.toml")
    with open(contract, "w") as f:
        f.write(text + "\n[inputs]\n" + "".join(f'{k} = "optional"\n' for k in
                                               ["outages", "forecast", "payments", "events", "qa", "agent_hours"]))
    run = timed([args.callsla, "run", "--contract", contract,
                 "--input", log, "--out", run_out, "--force", "--ledger", ledger])
    print()
    print("| other target | measured | met? |")
    print("|---|---|---|")
    print(f"| Parquet input ≥ 3× faster than CSV | {pq[0]:.2f} s vs {csv_run[0]:.2f} s ({csv_run[0] / pq[0]:.2f}×) | {'yes' if csv_run[0] >= 3 * pq[0] else 'no'} |")
    print(f"| `callsla run` adds < 10 % to `callsla metrics` | {run[0]:.2f} s vs {csv_run[0]:.2f} s ({100 * (run[0] / csv_run[0] - 1):+.1f} %), peak {run[2]:,.0f} MiB | {'yes' if run[0] < 1.1 * csv_run[0] else 'no'} |")


if __name__ == "__main__":
    main()
