"""``proofs_check.run``: the verification suite from Python (the command line is a thin wrapper)."""

from __future__ import annotations

import contextlib
import os
import sys
import time

from .claims import CLAIMS, load_checks, run_claims, select
from .report import CompletionProgress, GroupProgress, PrefixLengthSection, Report

__all__ = ["run", "check_writable", "check_overrides", "check_workers", "claim_executor", "MAX_M"]

MAX_M = 10  # the default claims stay practical up to here


def check_writable(folder):
    """Create ``folder`` if needed and check that files can be written there (before any work).

    Parameters
    ----------
    folder : str
        The output folder.

    Raises
    ------
    ValueError
        If the folder cannot be created or written to.
    """
    try:
        os.makedirs(folder, exist_ok=True)
        probe = os.path.join(folder, ".proofs_check_write_test")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as exc:
        raise ValueError(f"{folder!r} is not a writable folder: {exc.strerror or exc}") from None


def check_overrides(m=None, eps=None):
    """Check the dimension and tolerance overrides of a run (None: no override).

    Parameters
    ----------
    m : int, optional
        Dimension, 1 <= m <= :data:`MAX_M`.
    eps : float, optional
        Tolerance, 0 < eps < 1.

    Raises
    ------
    ValueError
        Naming the override that is out of range.
    """
    if m is not None and (isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= MAX_M):
        raise ValueError(f"m must be an integer with 1 <= m <= {MAX_M}, got {m!r}")
    if eps is not None and not (isinstance(eps, (int, float)) and 0 < eps < 1):
        raise ValueError(f"eps must satisfy 0 < eps < 1, got {eps!r}")


def check_workers(workers):
    """Check a worker count (None: every local core).

    Parameters
    ----------
    workers : int or None
        Processes to run claims in; 1 runs them in this process.

    Returns
    -------
    int
        The count.

    Raises
    ------
    ValueError
        When it is not an integer >= 1.
    """
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    return workers


@contextlib.contextmanager
def claim_executor(workers=None, scheduler=None, claims=2):
    """The executor a run uses: a Dask cluster's, a local process pool, or None (this process).

    Parameters
    ----------
    workers : int, optional
        Local processes (default: every core); 1, or a single claim, runs in this process.
    scheduler : str or dask.distributed.Client, optional
        A Dask scheduler's address (``tcp://host:8786``) or a connected Client: the claims
        run on that cluster's workers (``pip install "spherical-approx[dask]"``).
    claims : int
        How many claims will run (no pool for one).

    Yields
    ------
    concurrent.futures.Executor or None
        The executor (closed, or disconnected, on exit).
    """
    if scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ValueError("a Dask scheduler needs dask.distributed: pip install 'spherical-approx[dask]'") from None
        client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
        try:
            yield client.get_executor()
        finally:
            if client is not scheduler:
                client.close()
        return
    workers = min(check_workers(workers), claims)
    if workers <= 1:
        yield None
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fresh interpreters ("spawn") do not inherit the parent's threads or locks; every claim runs
    # with one BLAS thread wherever it runs (Claim.execute), so the results are the serial ones
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def run(only=None, quick=False, m=None, eps=None, out=None, figures=None, progress=True, workers=None,
        scheduler=None):
    """Run the claims and return a :class:`~proofs_check.report.Report`.

    Parameters
    ----------
    only : str or list of str, optional
        Claim ids to run (default: all).
    quick : bool
        Reduced (CI-sized) parameters.
    m : int, optional
        Run the dimension-dependent claims on S^m (range claims cover 1..m), 1 <= m <= 10.
    eps : float, optional
        Run the tolerance-dependent claims at eps, 0 < eps < 1.
    out : str, optional
        Folder for report.md, report.json and the figures; nothing is written without it.
    figures : bool, optional
        Draw the figures into ``out`` (default: when ``out`` is given and every claim runs).
    progress : bool
        Progress bars on stderr (shown only when stderr is a terminal).
    workers : int, optional
        Claims run in this many local processes at once (default: every core; 1: in this
        process). The results do not depend on it.
    scheduler : str or dask.distributed.Client, optional
        Run the claims on a Dask cluster instead (its scheduler's address, or a Client).

    Returns
    -------
    Report
        ``.passed``, ``.to_json()``, ``.to_markdown()``; renders as a table in a notebook.

    Raises
    ------
    ValueError
        For an unknown claim id, an empty selection, m or eps out of range, a bad worker
        count, or an output folder that cannot be written.

    Examples
    --------
    >>> import proofs_check
    >>> report = proofs_check.run(only="sphere.area", quick=True, progress=False)
    >>> report.passed, report.to_json()["claims"][0]["quantities"][0]["name"]
    (True, 'rel. dev.')
    """
    load_checks()
    ids = None
    if only is not None:
        chunks = [only] if isinstance(only, str) else list(only)
        ids = [i.strip() for chunk in chunks for i in str(chunk).split(",") if i.strip()]
        if not ids:  # never fall back to the whole suite
            raise ValueError("only names no claim id; see python -m proofs_check --list")
        unknown = [i for i in ids if i not in CLAIMS]
        if unknown:
            raise ValueError(f"unknown claim id(s): {', '.join(unknown)}; see python -m proofs_check --list")
    check_overrides(m, eps)
    check_workers(workers)
    if out is not None:
        check_writable(out)  # before an hour of work, not after
    t0 = time.perf_counter()
    chosen = select(ids)
    with claim_executor(workers, scheduler, len(chosen)) as executor:
        bars = None
        if progress:
            bars = GroupProgress.for_claims(chosen) if executor is None else CompletionProgress(len(chosen))
        results = run_claims(ids, quick=quick, progress=bars, m=m, eps=eps, executor=executor)
    report = Report(results, quick, m, eps, time.perf_counter() - t0)
    if out is not None and (figures if figures is not None else ids is None):
        sweep = next((s.sweep for s in report.sections if isinstance(s, PrefixLengthSection)), None)
        report.figures, report.figure_errors = _figures(out, sweep, quick, progress)
    report.seconds = time.perf_counter() - t0
    if out is not None:
        report.write(out)
    return report


def _figures(out, sweep, quick, progress=True):
    """Write the figures; each one that fails is reported and skipped, never fatal."""
    from . import figures

    jobs = [("(a) heads on S^1", lambda: figures.heads_on_circle(out, points=600 if quick else 2000)),
            ("(b) error map on S^2", lambda: figures.error_map_sphere(out, resolution=50 if quick else 120)),
            ("(d) multipliers", lambda: figures.multipliers(out))]
    if sweep is not None and any(r.m == 1 for r in sweep.runs):
        jobs.insert(2, ("(c) error vs prefix length", lambda: figures.error_vs_prefix(out, sweep)))
    written, failed = [], []
    bar = GroupProgress({"figures": len(jobs)}) if progress else None
    for name, job in jobs:
        if bar:
            bar.step("figures", name)
        try:
            written.append((name, os.path.basename(job())))
        except Exception as exc:  # a figure is an illustration; its failure must not hide the claims
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"figure not written: {failed[-1]}", file=sys.stderr)
    if bar:
        bar.finish()
    return written, failed
