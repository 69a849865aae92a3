#!/usr/bin/env python3
"""A business context for a bench lake (benches/queries.sh's year x 100 accounts): five
landing zones, every account of the lake's manifest placed in one (round robin) with an
environment, one in seven with an owner of its own, and a few resource rules, so that the risk
queries (`lake query priorities`, `owners`, `landing-zones`, the summary's risk section) have
something to judge with. Deterministic.

    python benches/bench_context.py LAKE_DIR > context.yaml
    lake context set context.yaml --from 2025-W01 --lake LAKE_DIR
"""
import sys

import duckdb

lake = sys.argv[1]
ids = [r[0] for r in duckdb.sql(
    f"SELECT DISTINCT account_uid FROM read_parquet('{lake}/_manifest/scans.parquet') ORDER BY 1"
).fetchall()]
envs = ["prod", "staging", "dev", "sandbox"]
zones = [("lz-payments", "Payments", "team-payments"), ("lz-retail", "Retail", "team-retail"),
         ("lz-data", "Data", "team-data"), ("lz-platform", "Platform", "team-platform"),
         ("lz-sandbox", "Sandbox", None)]
out = ["version: 1", "landing_zones:"]
for zid, name, owner in zones:
    out += [f"  - id: {zid}", f"    name: {name}"]
    out += [f"    owner: {owner}"] if owner else []
    out += ["    regions: [us-east-1, eu-west-1]", "    sla_days: {critical: 7, high: 30}"]
out.append("accounts:")
for i, account in enumerate(ids):
    out += [f'  - id: "{account}"', f"    landing_zone: {zones[i % 5][0]}",
            f"    environment: {envs[i % 4]}"]
    if i % 7 == 0:
        out.append(f"    owner: squad-{i % 13}")
out += ["resources:",
        '  - match: {type: AwsS3Bucket, name: "*logs*"}', "    data_class: internal",
        "  - match: {type: AwsS3Bucket}", "    data_class: confidential",
        "  - match: {type: AwsRdsDbInstance}", "    data_class: pii",
        "  - match: {tag: Owner}", "    owner_tag: Owner",
        '  - match: {check: "ec2_*", name: "bastion*"}', "    compensating_control: VPN only"]
print("\n".join(out))
