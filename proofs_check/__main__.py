"""``python -m proofs_check``: run the claims, print the table, write the report and figures.

Exit status: 0 when every claim passes, 1 when one fails, 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys

from .claims import load_checks, select
from .runner import check_overrides, check_workers, run


def _dimension(text):
    try:
        m = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--m expects an integer dimension, got {text!r}") from None
    return _checked(m=m)


def _tolerance(text):
    try:
        eps = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--eps expects a number, got {text!r}") from None
    return _checked(eps=eps)


def _workers(text):
    try:
        return check_workers(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--workers expects an integer >= 1, got {text!r}") from None


def _checked(**override):
    """The override, checked by the rule run() applies (one rule for the CLI and for Python)."""
    try:
        check_overrides(**override)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return next(iter(override.values()))


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
    p.add_argument("--workers", type=_workers, metavar="N",
                   help="run claims in N local processes at once (default: every core; 1: one process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the claims on a Dask cluster (its scheduler, e.g. tcp://host:8786; needs dask)")
    p.add_argument("--out", default="proofs_check_report", help="output folder (default: proofs_check_report/)")
    return p


def main(argv=None):
    args = _parser().parse_args(argv)
    load_checks()
    if args.list:
        for c in select():
            over = "/".join(sorted(c.overridable())) or "-"
            print(f"{c.id:<36} {c.provenance:<14} [{over:<5}] {c.statement}")
        return 0
    try:
        report = run(args.only, quick=args.quick, m=args.m, eps=args.eps, out=args.out,
                     figures=not args.no_figures and not args.only, workers=args.workers, scheduler=args.scheduler)
    except ValueError as exc:  # an unknown id, an empty --only, an unwritable --out: before any work
        message = str(exc).replace("only names", "--only names")
        if "writable folder" in message:
            message = "--out " + message
        print(message, file=sys.stderr)
        return 2
    print(report.table())
    print(f"\n{report.summary()}")
    for c, r in report.results:
        if not r.passed:
            print(f"FAIL {c.id}: {r.error or r.measured}\n{r.details}", file=sys.stderr)
    for section in report.sections:
        if section.summary():
            print("\n" + section.summary())
    print(f"report written to {os.path.join(args.out, 'report.md')}, report.json"
          + (f" and {len(report.figures)} figures" if report.figures else "") + f" ({report.seconds:.1f} s in all)")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
