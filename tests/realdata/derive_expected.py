#!/usr/bin/env python3
"""Independent derivation of the expected ingest counts for the two real datasets.

Written from the datasets' SOURCE.txt and the rules in docs/schema.md and the shipped profiles,
without callsla code: plain csv module, string comparisons and second arithmetic. Its output is
checked in as the expected values of tests/realdata.rs; re-run it if a profile changes:

    python3 tests/realdata/derive_expected.py ../shared/realdata
"""
import csv
import sys
from collections import Counter

root = sys.argv[1] if len(sys.argv) > 1 else "../shared/realdata"


def secs(t):
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + int(s)


def anonbank():
    path = f"{root}/anonbank_feb1999_mtpa/data_anonymous_bank_february.txt"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out = Counter(read=len(rows))
    tol = 2
    answered = Counter()
    waits = 0
    for r in rows:
        if r["outcome"] == "PHANTOM":
            out["excluded:phantom"] += 1
            continue
        if r["outcome"] == "HANG" and r["q_start"] == "0:00:00":
            out["excluded:abandoned_in_vru"] += 1
            continue
        day = int(r["date"][4:6])  # all in February 1999, so the day orders dates
        arrived = day * 86400 + secs(r["vru_exit"])

        def at(t):
            if t == "0:00:00":
                return None
            v = day * 86400 + secs(t)
            return v + 86400 if v < arrived - 12 * 3600 else v

        ans = at(r["ser_start"])
        end = at(r["ser_exit"]) if r["ser_exit"] != "0:00:00" else at(r["q_exit"])
        is_answered = r["outcome"] == "AGENT"
        if not is_answered and ans is not None:
            out["rejected:inconsistent"] += 1
        elif ans is not None and ans < arrived - tol:
            out["rejected:answer_before_arrival"] += 1
        elif end is not None and end < arrived - tol:
            out["rejected:end_before_arrival"] += 1
        elif end is not None and ans is not None and end < ans - tol:
            out["rejected:end_before_answer"] += 1
        else:
            out["accepted"] += 1
            answered[is_answered] += 1
            q = int(r["q_time"])
            if is_answered:
                waits += q
                out["talk_s"] += int(r["ser_time"])
                if q <= 20:
                    out["answered_within_20s"] += 1
            elif q < 5:
                out["short_abandoned_below_5s"] += 1
    out["accepted_answered"] = answered[True]
    out["accepted_abandoned"] = answered[False]
    out["sum_wait_answered_s"] = waits
    return out


def pwc():
    path = f"{root}/pwc_phonenow_callcenter/call_center_dataset.csv"
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    out = Counter(read=len(rows), accepted=len(rows))
    for r in rows:
        out["answered_" + r["Answered (Y/N)"]] += 1
        out["resolved_" + r["Resolved"]] += 1
        if r["Speed of answer in seconds"]:
            speed = int(float(r["Speed of answer in seconds"]))
            out["sum_speed_s"] += speed
            if speed <= 20:
                out["answered_within_20s"] += 1
        if r["Satisfaction rating"]:
            out["csat_responses"] += 1
            out["csat_sum"] += int(float(r["Satisfaction rating"]))
            if int(float(r["Satisfaction rating"])) >= 4:
                out["csat_top2"] += 1
        if r["AvgTalkDuration"]:
            out["sum_talk_s"] += secs(r["AvgTalkDuration"])
    return out


for name, counts in (("anonbank", anonbank()), ("pwc", pwc())):
    for k in sorted(counts):
        print(f"{name}.{k} = {counts[k]}")
