#!/usr/bin/env python3
"""Runs SQL emitted by `callsla metrics --emit-sql duckdb` on DuckDB and writes the result as CSV.

    python3 benches/duckdb_run.py --sql metrics.sql --out result.csv [--threads N]

Writes Parquet instead when --out ends in .parquet.

Prints the wall and CPU seconds of the query on stderr. Used by the DuckDB differential test
(tests/it/sql_engines.rs) and by the side-by-side comparison (benches/compare.py).
"""
import argparse
import sys
import time

import duckdb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sql", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    text = open(args.sql).read()
    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.execute("SET TimeZone = 'UTC'")
    statements = [s.strip() for s in text.split(";\n") if s.strip() and not all(l.startswith("--") for l in s.strip().splitlines())]
    t0, c0 = time.perf_counter(), time.process_time()
    for s in statements[:-1]:
        con.execute(s)
    rel = con.sql(statements[-1].rstrip(";"))
    if args.out.endswith(".parquet"):
        rel.write_parquet(args.out)
    else:
        rel.write_csv(args.out)
    print(f"duckdb wall {time.perf_counter() - t0:.3f} s, cpu {time.process_time() - c0:.3f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
