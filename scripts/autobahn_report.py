#!/usr/bin/env python3
"""Merge the reports of parallel Autobahn|Testsuite fuzzingclient runs and check them.

Each run wrote `PART/index.json` (agent -> case id -> result) plus one `.json`/`.html` file per
case. This moves the per-case files into OUTDIR, writes a merged `index.json` and a small
`index.html`, prints the cases counted by behavior, and exits 1 when any case FAILED, when a
case ran twice, or when fewer than --min-cases cases ran.

usage: autobahn_report.py OUTDIR PART_DIR... [--agent NAME] [--min-cases N]
"""

import argparse
import html
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

BEHAVIOR_ORDER = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]


def case_key(case_id):
    return [int(part) for part in case_id.split(".")]


def merge(outdir, part_dirs, agent):
    merged, problems = {}, []
    for part in part_dirs:
        index_path = part / "index.json"
        if not index_path.is_file():
            problems.append(f"{part.name}: no index.json (wstest did not finish; see {part / 'wstest.log'})")
            continue
        results = json.loads(index_path.read_text()).get(agent, {})
        if not results:
            problems.append(f"{part.name}: index.json has no results for agent {agent!r}")
        for case_id, result in results.items():
            if case_id in merged:
                problems.append(f"case {case_id} ran in more than one part")
            merged[case_id] = result
            for name in (result.get("reportfile"), (result.get("reportfile") or "").replace(".json", ".html")):
                if name and (part / name).is_file():
                    shutil.move(str(part / name), str(outdir / name))
    return merged, problems


def write_index(outdir, agent, merged):
    ordered = {case_id: merged[case_id] for case_id in sorted(merged, key=case_key)}
    (outdir / "index.json").write_text(json.dumps({agent: ordered}, indent=2) + "\n")
    rows = "\n".join(
        "<tr><td><a href='{report}'>{case}</a></td><td class='{cls}'>{behavior}</td>"
        "<td>{close}</td><td>{duration}</td><td>{code}</td></tr>".format(
            report=html.escape((result.get("reportfile") or "").replace(".json", ".html")),
            case=html.escape(case_id),
            cls=html.escape(result.get("behavior", "")),
            behavior=html.escape(result.get("behavior", "")),
            close=html.escape(str(result.get("behaviorClose", ""))),
            duration=result.get("duration", ""),
            code=result.get("remoteCloseCode", ""),
        )
        for case_id, result in ordered.items()
    )
    (outdir / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Autobahn report: {agent}</title>"
        "<style>td{{padding:0 1em}}.FAILED{{color:#c00;font-weight:bold}}.OK{{color:#080}}</style>"
        "<h1>Autobahn|Testsuite fuzzingclient: {agent}</h1><table>"
        "<tr><th>case</th><th>behavior</th><th>close</th><th>ms</th><th>close code</th></tr>"
        "{rows}</table>\n".format(agent=html.escape(agent), rows=rows)
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("parts", type=Path, nargs="+")
    parser.add_argument("--agent", default="kubegale")
    parser.add_argument("--min-cases", type=int, default=517)
    args = parser.parse_args()

    merged, problems = merge(args.outdir, args.parts, args.agent)
    write_index(args.outdir, args.agent, merged)

    counts = Counter(result.get("behavior", "?") for result in merged.values())
    behaviors = BEHAVIOR_ORDER + sorted(set(counts) - set(BEHAVIOR_ORDER))
    print(f"Autobahn: {len(merged)} cases: " + ", ".join(f"{counts[b]} {b}" for b in behaviors if counts[b]))
    for behavior in ("NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED"):
        cases = sorted((c for c, r in merged.items() if r.get("behavior") == behavior), key=case_key)
        if cases:
            print(f"  {behavior}: {' '.join(cases)}")
    slowest = sorted(merged.items(), key=lambda item: -item[1].get("duration", 0))[:5]
    print("slowest cases: " + ", ".join(f"{case} {result.get('duration', 0) / 1000:.1f}s" for case, result in slowest))

    failed = sorted((c for c, r in merged.items() if r.get("behavior") == "FAILED"), key=case_key)
    failed_close = sorted((c for c, r in merged.items() if r.get("behaviorClose") == "FAILED"), key=case_key)
    if failed:
        problems.append(f"{len(failed)} cases FAILED: {' '.join(failed)}")
    if failed_close:
        problems.append(f"{len(failed_close)} cases FAILED on close behavior: {' '.join(failed_close)}")
    if len(merged) < args.min_cases:
        problems.append(f"only {len(merged)} cases ran, expected at least {args.min_cases}")
    for problem in problems:
        print(f"error: {problem}")
    print(f"report: {args.outdir / 'index.html'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
