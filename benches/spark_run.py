#!/usr/bin/env python3
"""Runs SQL emitted by `callsla metrics --emit-sql spark` on Spark SQL and writes the result as CSV.

    python3 benches/spark_run.py --csv log.csv --sql metrics.sql --out result.csv [--sql b.sql --out b.csv ...]

Starts a local Spark session (`local[2]`, session time zone UTC, as docs/scaling.md asks of a
cluster), registers the canonical CSV as the view `interactions` with the canonical types (other
columns, such as the outbound `campaign`, as text; timestamps as TIMESTAMP read from RFC 3339 with offsets, durations in seconds as DOUBLE,
`resolved` as BOOLEAN, `csat` as INT), runs each query and writes its rows as one CSV file
with a header (several queries share one session: a Spark start-up takes seconds). Prints the wall and CPU seconds of the query on stderr. Needs a Java runtime
and `pip install pyspark`. Used by the Spark differential test (tests/it/sql_engines.rs).
"""
import argparse
import csv
import sys
import time

from pyspark.sql import SparkSession
from pyspark.sql.types import BooleanType, DoubleType, IntegerType, StringType, StructField, StructType, TimestampType

TYPES = {
    "arrived_at": TimestampType(),
    "answered_at": TimestampType(),
    "ended_at": TimestampType(),
    "wait_s": DoubleType(),
    "talk_s": DoubleType(),
    "hold_s": DoubleType(),
    "wrap_s": DoubleType(),
    "resolved": BooleanType(),
    "csat": IntegerType(),
}


def schema_of(path):
    """The canonical types for the file's columns, in the header's order; any other column
    (the outbound columns such as `campaign`) as text."""
    with open(path, newline="") as f:
        header = next(csv.reader(f))
    return StructType([StructField(c, TYPES.get(c, StringType())) for c in header])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv", required=True, help="canonical CSV to register as `interactions`")
    ap.add_argument("--sql", required=True, action="append", help="a file of emitted SQL (repeatable)")
    ap.add_argument("--out", required=True, action="append", help="where the --sql of the same position writes")
    args = ap.parse_args()
    if len(args.sql) != len(args.out):
        ap.error("give one --out for each --sql")
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("callsla-spark-sql")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    try:
        (
            spark.read.option("header", "true")
            .option("mode", "FAILFAST")
            .option("timestampFormat", "yyyy-MM-dd'T'HH:mm[:ss][.SSSSSS]XXX")
            .schema(schema_of(args.csv))
            .csv(args.csv)
            .createOrReplaceTempView("interactions")
        )
        for sql, out in zip(args.sql, args.out):
            text = open(sql).read()
            query = "\n".join(l for l in text.splitlines() if not l.startswith("--")).strip().rstrip(";")
            t0 = time.perf_counter()
            result = spark.sql(query)
            rows = result.collect()
            with open(out, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(result.columns)
                for r in rows:
                    w.writerow(["" if v is None else v for v in r])
            print(f"spark {sql}: {len(rows)} rows, wall {time.perf_counter() - t0:.3f} s", file=sys.stderr)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
