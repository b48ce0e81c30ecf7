"""``python -m proofs_check``: run the claims, print the table, write the report."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

from .claims import CLAIMS, load_checks, run_claims


def _parser():
    p = argparse.ArgumentParser(prog="python -m proofs_check", description=__doc__)
    p.add_argument("--quick", action="store_true", help="reduced parameters (CI-sized, under a minute)")
    p.add_argument("--only", action="append", metavar="ID", help="run only this claim (repeatable, or comma-separated)")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    p.add_argument("--out", default="proofs_check_report", help="output folder (default: proofs_check_report/)")
    return p


def _progress(k, total, claim):
    width = 30
    filled = int(width * k / max(total, 1))
    bar = "#" * filled + "-" * (width - filled)
    label = f"{claim.group}: {claim.id}" if claim else "done"
    sys.stderr.write(f"\r[{bar}] {k}/{total} {label:<60}")
    if claim is None:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _table(rows):
    headers = ["claim", "provenance", "parameters", "predicted / bound", "measured", "result"]
    widths = [max(len(h), *(min(len(r[i]), 60) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells):
        return " | ".join(c[:60].ljust(w) for c, w in zip(cells, widths))

    return "\n".join([line(headers), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows])


def main(argv=None):
    args = _parser().parse_args(argv)
    load_checks()
    if args.list:
        for c in CLAIMS.values():
            print(f"{c.id:<28} {c.provenance:<14} {c.statement}")
        return 0
    ids = None
    if args.only:
        ids = [i.strip() for chunk in args.only for i in chunk.split(",") if i.strip()]
        unknown = [i for i in ids if i not in CLAIMS]
        if unknown:
            print(f"unknown claim id(s): {', '.join(unknown)}; see --list", file=sys.stderr)
            return 2
    t0 = time.perf_counter()
    results = run_claims(ids, quick=args.quick, progress=_progress)
    total = time.perf_counter() - t0
    rows = []
    for c, r in results:
        params = ", ".join(f"{k}={v}" for k, v in c.parameters(args.quick).items())
        rows.append([c.id, c.provenance, params, r.predicted, r.error or r.measured, "PASS" if r.passed else "FAIL"])
    print(_table(rows))
    failed = [c.id for c, r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed in {total:.1f} s")
    for c, r in results:
        if not r.passed:
            print(f"FAIL {c.id}: {r.error or r.measured}\n{r.details}", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    report = {
        "quick": args.quick,
        "seconds": round(total, 2),
        "python": platform.python_version(),
        "claims": [
            {"id": c.id, "statement": c.statement, "provenance": c.provenance, "group": c.group,
             "parameters": c.parameters(args.quick), **r.as_dict()}
            for c, r in results
        ],
    }
    with open(os.path.join(args.out, "report.json"), "w") as fh:
        json.dump(report, fh, indent=2, default=str)
    with open(os.path.join(args.out, "report.md"), "w") as fh:
        fh.write("# proofs_check report\n\n")
        fh.write(f"{len(results) - len(failed)} passed, {len(failed)} failed in {total:.1f} s"
                 f"{' (quick)' if args.quick else ''}.\n\n")
        fh.write("| claim | provenance | statement | predicted / bound | measured | result |\n")
        fh.write("|---|---|---|---|---|---|\n")
        for c, r in results:
            cells = [c.id, c.provenance, c.statement, r.predicted, r.error or r.measured, "PASS" if r.passed else "FAIL"]
            fh.write("| " + " | ".join(s.replace("|", "\\|") for s in cells) + " |\n")
    print(f"report written to {os.path.join(args.out, 'report.md')} and report.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
