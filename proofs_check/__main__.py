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
from .prefix_lengths import Sweep, table_markdown

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


class GroupProgress:
    """A progress bar per group of work on stderr (the table goes to stdout).

    ``sizes`` maps each group to its number of steps; call it as
    ``progress(k, total, item)`` with items that have a ``group`` (and an ``id``),
    and with ``item=None`` at the end, as :func:`~proofs_check.claims.run_claims` does.
    """

    def __init__(self, sizes, stream=None, width=24):
        self.sizes, self.stream, self.width = dict(sizes), stream or sys.stderr, width
        self.group, self.done, self.t0 = None, 0, time.perf_counter()

    @classmethod
    def for_claims(cls, claims):
        sizes = {}
        for c in claims:
            sizes[c.group] = sizes.get(c.group, 0) + 1
        return cls(sizes)

    def _bar(self, label):
        total = self.sizes.get(self.group, 1)
        filled = self.width * self.done // total
        self.stream.write(f"\r{self.group:<20} [{'#' * filled}{'-' * (self.width - filled)}] "
                          f"{self.done}/{total} {label:<42.42}")
        self.stream.flush()

    def step(self, group, label):
        """Start ``label`` in ``group`` (closing the previous group's bar when the group changes)."""
        if group != self.group:
            self.finish()
            self.group, self.done, self.t0 = group, 0, time.perf_counter()
        else:
            self.done += 1
        self._bar(label)

    def finish(self):
        if self.group is not None:
            self.done = self.sizes[self.group]
            self._bar(f"{time.perf_counter() - self.t0:.1f} s")
            self.stream.write("\n")
            self.group = None

    def __call__(self, k, total, claim):
        if claim is None:
            self.finish()
        else:
            self.step(claim.group, claim.id)


def _table(rows):
    headers = ["claim", "provenance", "parameters", "predicted / bound", "measured", "result"]
    widths = [max(len(h), *(min(len(r[i]), 60) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells):
        return " | ".join(c[:60].ljust(w) for c, w in zip(cells, widths))

    return "\n".join([line(headers), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows])


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
    rows = []
    for c, r in results:
        params = ", ".join(f"{k}={v}" for k, v in c.parameters(args.quick, args.m, args.eps).items())
        rows.append([c.id, c.provenance, params, r.predicted, r.error or r.measured, "PASS" if r.passed else "FAIL"])
    print(_table(rows))
    failed = [c.id for c, r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed in {claims_seconds:.1f} s")
    for c, r in results:
        if not r.passed:
            print(f"FAIL {c.id}: {r.error or r.measured}\n{r.details}", file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    sweep = next((r.data for _, r in results if isinstance(r.data, Sweep)), None)
    figures, figure_errors = [], []
    if not args.no_figures and ids is None:
        figures, figure_errors = _figures(args.out, sweep, args.quick)
        for e in figure_errors:
            print(f"figure not written: {e}", file=sys.stderr)
    table = table_markdown(sweep) if sweep is not None else None
    if table:
        print("\nPrefix lengths N (see report.md for the legend):\n" + table.split("\n\n")[0])
    total = time.perf_counter() - t0
    overrides = {k: v for k, v in (("m", args.m), ("eps", args.eps)) if v is not None}
    seq = next((r.data["seq2seq"] for _, r in results if isinstance(r.data, dict) and "seq2seq" in r.data), None)
    _write_json(args, results, total, overrides, figures, figure_errors, sweep, seq)
    _write_markdown(args, results, failed, total, overrides, figures, figure_errors, table, seq)
    print(f"report written to {os.path.join(args.out, 'report.md')}, report.json"
          + (f" and {len(figures)} figures" if figures else "") + f" ({total:.1f} s in all)")
    return 1 if failed else 0


def _seq2seq_markdown(rows):
    head = ("| T | target | depth | prefix lengths | level | sweep residual | points | inner | mixing | outer "
            "| total (sup) | total (rms) | s |\n" + "|---" * 13 + "|\n")
    return head + "".join(
        f"| {r['T']} | {r['target']} | {r['depth']} | {r['prefix_lengths']} | {r['level']} | "
        f"{r['sweep_residual']:.3g} | {r['points']} {r['evaluation']} | {r['inner']:.2g} | {r['mixing']:.1g} | "
        f"{r['outer']:.3g} | {r['total']:.3g} | {r['total_rms']:.3g} | {r['seconds']:.1f} |\n" for r in rows)


def _write_json(args, results, total, overrides, figures, figure_errors, sweep, seq=None):
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
    if sweep is not None:
        report["prefix_lengths"] = [
            {"m": r.m, "target": r.target, "eps": r.eps, "method": r.method, "N": r.N,
             "bound": r.bound if r.bound != float("inf") else None,
             "sampled_sup_error": None if r.N is None else r.measured, "seconds": round(r.seconds, 3),
             "note": r.note}
            for r in sweep.runs
        ]
        report["needed_delta_net"] = [{"m": m, "target": t, "eps": e, "N": n}
                                      for (m, t, e), n in sweep.needed_net.items()]
    if seq is not None:
        report["seq2seq"] = seq
    with open(os.path.join(args.out, "report.json"), "w") as fh:
        json.dump(report, fh, indent=2, default=str)


def _write_markdown(args, results, failed, total, overrides, figures, figure_errors, table, seq=None):
    with open(os.path.join(args.out, "report.md"), "w") as fh:
        fh.write("# proofs_check report\n\n")
        fh.write(f"{len(results) - len(failed)} passed, {len(failed)} failed in {total:.1f} s"
                 f"{' (quick)' if args.quick else ''}"
                 + (f"; overrides {', '.join(f'{k}={v}' for k, v in overrides.items())}" if overrides else "")
                 + ".\n\n")
        fh.write("Provenance: [paper] Petrov, Torr & Bibi (ICML 2024); [third-party] other published work; "
                 "[classical] textbook results; [toolkit] proved in docs/theory/.\n\n")
        fh.write("| claim | provenance | statement | parameters | predicted / bound | measured | result |\n")
        fh.write("|---|---|---|---|---|---|---|\n")
        for c, r in results:
            params = ", ".join(f"{k}={v}" for k, v in c.parameters(args.quick, args.m, args.eps).items())
            cells = [c.id, c.provenance, c.statement, params, r.predicted, r.error or r.measured,
                     "PASS" if r.passed else "FAIL"]
            fh.write("| " + " | ".join(s.replace("|", "\\|") for s in cells) + " |\n")
        if failed:
            fh.write("\n## Failures\n\n")
            for c, r in results:
                if not r.passed:
                    fh.write(f"### {c.id}\n\n{r.error or r.measured}\n\n```\n{r.details}\n```\n\n")
        if table:
            fh.write("\n## Prefix lengths\n\nThe prefix length N each construction used to reach eps "
                     "(the paper's open question, answered empirically).\n\n" + table)
        if seq:
            fh.write("\n## Sequence-to-sequence (Kolmogorov–Arnold transformer)\n\nSup errors per stage "
                     "(docs/theory/seq2seq.rst): inner = layer 1 vs the exact element-wise map, mixing = layer 2 "
                     "vs the exact sum, outer = the superposition on exact inner sums vs F, total = the "
                     "transformer vs F. Outer functions by Sprecher's iteration at one level.\n\n"
                     + _seq2seq_markdown(seq))
        if figures or figure_errors:
            fh.write("\n## Figures\n\n")
            for name, f in figures:
                fh.write(f"{name}\n\n![{name}]({f})\n\n")
            for e in figure_errors:
                fh.write(f"- not written: {e}\n")


if __name__ == "__main__":
    sys.exit(main())
