"""``python -m proofs_check``: run the claims, print the table, write the report and figures.

Exit status: 0 when every claim passes, 1 when one fails, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

from .claims import CLAIMS, load_checks, run_claims, select
from .report import GroupProgress, PrefixLengthSection, Section, render_table

MAX_M = 10  # the default claims stay practical up to here


def _dimension(text):
    try:
        m = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--m expects an integer dimension, got {text!r}") from None
    if not 1 <= m <= MAX_M:
        raise argparse.ArgumentTypeError(f"--m expects 1 <= m <= {MAX_M}, got {m}")
    return m


def _tolerance(text):
    try:
        eps = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--eps expects a number, got {text!r}") from None
    if not 0 < eps < 1:
        raise argparse.ArgumentTypeError(f"--eps expects 0 < eps < 1, got {text}")
    return eps


def _parser():
    p = argparse.ArgumentParser(prog="python -m proofs_check", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="reduced parameters (CI-sized, under a minute)")
    p.add_argument("--only", action="append", metavar="ID", help="run only this claim (repeatable, or comma-separated)")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    p.add_argument("--m", type=_dimension, metavar="M",
                   help="run the dimension-dependent claims on S^M (range claims cover 1..M)")
    p.add_argument("--eps", type=_tolerance, metavar="EPS", help="run the tolerance-dependent claims at EPS")
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--out", default="proofs_check_report", help="output folder (default: proofs_check_report/)")
    return p


def _figures(out, sweep, quick):
    """Write the figures; each one that fails is reported and skipped, never fatal."""
    from . import figures

    jobs = [("(a) heads on S^1", lambda: figures.heads_on_circle(out, points=600 if quick else 2000)),
            ("(b) error map on S^2", lambda: figures.error_map_sphere(out, resolution=50 if quick else 120)),
            ("(d) multipliers", lambda: figures.multipliers(out))]
    if sweep is not None and any(r.m == 1 for r in sweep.runs):
        jobs.insert(2, ("(c) error vs prefix length", lambda: figures.error_vs_prefix(out, sweep)))
    written, failed = [], []
    bar = GroupProgress({"figures": len(jobs)})
    for name, job in jobs:
        bar.step("figures", name)
        try:
            written.append((name, os.path.basename(job())))
        except Exception as exc:  # a figure is an illustration; its failure must not hide the claims
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
    bar.finish()
    return written, failed


def main(argv=None):
    args = _parser().parse_args(argv)
    load_checks()
    if args.list:
        for c in select():
            over = "/".join(sorted(c.overridable())) or "-"
            print(f"{c.id:<36} {c.provenance:<14} [{over:<5}] {c.statement}")
        return 0
    ids = None
    if args.only:
        ids = [i.strip() for chunk in args.only for i in chunk.split(",") if i.strip()]
        if not ids:  # "--only ," or "--only ''" names nothing: never fall back to the whole suite
            print("--only names no claim id; see --list", file=sys.stderr)
            return 2
        unknown = [i for i in ids if i not in CLAIMS]
        if unknown:
            print(f"unknown claim id(s): {', '.join(unknown)}; see --list", file=sys.stderr)
            return 2
    # the report folder must be writable before any claim runs (not after an hour of work)
    try:
        os.makedirs(args.out, exist_ok=True)
        probe = os.path.join(args.out, ".proofs_check_write_test")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as exc:
        print(f"--out {args.out!r} is not a writable folder: {exc.strerror or exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results = run_claims(ids, quick=args.quick, progress=GroupProgress.for_claims(select(ids)), m=args.m, eps=args.eps)
    claims_seconds = time.perf_counter() - t0
    print(render_table(TABLE_HEADERS, [_row(c, r, args) for c, r in results]))
    failed = [c.id for c, r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed in {claims_seconds:.1f} s")
    for c, r in results:
        if not r.passed:
            print(f"FAIL {c.id}: {r.error or r.measured}\n{r.details}", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    sections = [r.data for _, r in results if isinstance(r.data, Section)]
    sweep = next((s.sweep for s in sections if isinstance(s, PrefixLengthSection)), None)
    figures, figure_errors = [], []
    if not args.no_figures and ids is None:
        figures, figure_errors = _figures(args.out, sweep, args.quick)
        for e in figure_errors:
            print(f"figure not written: {e}", file=sys.stderr)
    for section in sections:
        if section.summary():
            print("\n" + section.summary())
    total = time.perf_counter() - t0
    overrides = {k: v for k, v in (("m", args.m), ("eps", args.eps)) if v is not None}
    _write_json(args, results, total, overrides, figures, figure_errors, sections)
    _write_markdown(args, results, failed, total, overrides, figures, figure_errors, sections)
    print(f"report written to {os.path.join(args.out, 'report.md')}, report.json"
          + (f" and {len(figures)} figures" if figures else "") + f" ({total:.1f} s in all)")
    return 1 if failed else 0


TABLE_HEADERS = ["claim", "provenance", "parameters", "predicted / bound", "measured", "result"]


def _row(c, r, args, statement=False):
    """One claim's row of the claims table (with its statement for report.md)."""
    params = ", ".join(f"{k}={v}" for k, v in c.parameters(args.quick, args.m, args.eps).items())
    cells = [c.id, c.provenance, params, r.predicted, r.error or r.measured, "PASS" if r.passed else "FAIL"]
    return cells[:2] + [c.statement] + cells[2:] if statement else cells


def _write_json(args, results, total, overrides, figures, figure_errors, sections):
    report = {
        "quick": args.quick,
        "overrides": overrides,
        "seconds": round(total, 2),
        "python": platform.python_version(),
        "claims": [
            {"id": c.id, "statement": c.statement, "provenance": c.provenance, "group": c.group,
             "parameters": c.parameters(args.quick, args.m, args.eps), **r.as_dict()}
            for c, r in results
        ],
        "figures": [f for _, f in figures],
        "figure_errors": figure_errors,
    }
    for section in sections:
        report.update(section.json())
    with open(os.path.join(args.out, "report.json"), "w") as fh:
        json.dump(report, fh, indent=2, default=str)


def _write_markdown(args, results, failed, total, overrides, figures, figure_errors, sections):
    with open(os.path.join(args.out, "report.md"), "w") as fh:
        fh.write("# proofs_check report\n\n")
        fh.write(f"{len(results) - len(failed)} passed, {len(failed)} failed in {total:.1f} s"
                 f"{' (quick)' if args.quick else ''}"
                 + (f"; overrides {', '.join(f'{k}={v}' for k, v in overrides.items())}" if overrides else "")
                 + ".\n\n")
        fh.write("Provenance: [paper] Petrov, Torr & Bibi (ICML 2024); [third-party] other published work; "
                 "[classical] textbook results; [toolkit] proved in docs/theory/.\n\n")
        headers = TABLE_HEADERS[:2] + ["statement"] + TABLE_HEADERS[2:]
        fh.write(render_table(headers, [_row(c, r, args, statement=True) for c, r in results], markdown=True) + "\n")
        if failed:
            fh.write("\n## Failures\n\n")
            for c, r in results:
                if not r.passed:
                    fh.write(f"### {c.id}\n\n{r.error or r.measured}\n\n```\n{r.details}\n```\n\n")
        for section in sections:
            fh.write(f"\n## {section.title}\n\n{section.markdown()}\n")
        if figures or figure_errors:
            fh.write("\n## Figures\n\n")
            for name, f in figures:
                fh.write(f"{name}\n\n![{name}]({f})\n\n")
            for e in figure_errors:
                fh.write(f"- not written: {e}\n")


if __name__ == "__main__":
    sys.exit(main())
