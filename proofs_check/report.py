"""The report's parts: one table renderer, progress bars, and the sections beside the claims table.

A claim whose work yields more than a verdict (the prefix-length sweep, the
sequence-to-sequence table) returns a :class:`Section` as its result's
``data``; the command line iterates over the sections, whatever they are:
``json()`` gives the entries they add to ``report.json``, ``markdown()`` their
part of ``report.md`` and ``summary()`` what is printed after the claims table.
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
import sys

__all__ = ["render_table", "GroupProgress", "CompletionProgress", "Section", "PrefixLengthSection", "Seq2seqSection",
           "Report", "TABLE_HEADERS"]


def render_table(headers, rows, markdown=False, width=60):
    """A table as text: aligned columns for a terminal, or GitHub Markdown.

    Parameters
    ----------
    headers : sequence of str
        Column titles.
    rows : sequence of sequence of str
        The cells.
    markdown : bool
        Markdown (``|`` in cells escaped) instead of aligned plain text.
    width : int
        Plain text only: cells are cut to this many characters.

    Returns
    -------
    str
        The table, lines joined by newlines (no final newline).

    Examples
    --------
    >>> print(render_table(["a", "b"], [["1", "x|y"]], markdown=True))
    | a | b |
    |---|---|
    | 1 | x\\|y |
    >>> print(render_table(["a", "b"], [["1", "22"]]))
    a | b
    --+---
    1 | 22
    """
    if markdown:
        def line(cells):
            return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

        return "\n".join([line(headers), "|" + "---|" * len(headers)] + [line(r) for r in rows])
    widths = [max([len(h)] + [min(len(str(r[i])), width) for r in rows]) for i, h in enumerate(headers)]

    def line(cells):
        return " | ".join(str(c)[:width].ljust(w) for c, w in zip(cells, widths)).rstrip()

    return "\n".join([line(headers), "-+-".join("-" * w for w in widths)] + [line(r) for r in rows])


class GroupProgress:
    """A tqdm progress bar per group of work, on stderr (the tables go to stdout).

    Quiet when stderr is not a terminal (CI logs get no ``\\r`` frames). Call it as
    ``progress(k, total, item)`` with items that have a ``group`` and an ``id``,
    and with ``item=None`` at the end, as :func:`~proofs_check.claims.run_claims` does;
    or use :meth:`step` and :meth:`finish` directly.

    Parameters
    ----------
    sizes : dict
        Group name to its number of steps.
    stream : file, optional
        Where the bars go (default ``sys.stderr``).
    """

    def __init__(self, sizes, stream=None):
        self.sizes, self.stream = dict(sizes), stream or sys.stderr
        self.group, self.bar = None, None

    @classmethod
    def for_claims(cls, claims):
        """Bars for running ``claims``, one per group.

        Parameters
        ----------
        claims : list of Claim
            The claims to be run.

        Returns
        -------
        GroupProgress
            The progress reporter.
        """
        sizes = {}
        for c in claims:
            sizes[c.group] = sizes.get(c.group, 0) + 1
        return cls(sizes)

    def step(self, group, label):
        """Start ``label`` in ``group`` (closing the previous group's bar when the group changes).

        Parameters
        ----------
        group : str
            The group of work.
        label : str
            What starts now.
        """
        from tqdm import tqdm

        if group != self.group:
            self.finish()
            self.group = group
            self.bar = tqdm(total=self.sizes.get(group, 1), desc=f"{group:<20}", file=self.stream, leave=True,
                            disable=None, dynamic_ncols=True, bar_format="{desc} {bar} {n}/{total} {postfix}")
        else:
            self.bar.update(1)
        self.bar.set_postfix_str(label)

    def finish(self):
        """Close the current group's bar."""
        if self.bar is not None:
            self.bar.update(self.bar.total - self.bar.n)
            self.bar.set_postfix_str(f"{self.bar.format_dict['elapsed']:.1f} s")
            self.bar.close()
        self.group, self.bar = None, None

    def __call__(self, k, total, claim):
        if claim is None:
            self.finish()
        else:
            self.step(claim.group, claim.id)


class CompletionProgress:
    """One tqdm bar over all claims of a parallel run, advanced as each one finishes.

    Quiet when stderr is not a terminal. Called as ``progress(k, total, claim)`` after the
    k-th claim finished, and with ``claim=None`` at the end.

    Parameters
    ----------
    total : int
        Number of claims.
    stream : file, optional
        Where the bar goes (default ``sys.stderr``).
    """

    def __init__(self, total, stream=None):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=f"{'claims (parallel)':<20}", file=stream or sys.stderr, leave=True,
                        disable=None, dynamic_ncols=True, bar_format="{desc} {bar} {n}/{total} {postfix}")

    def __call__(self, k, total, claim):
        if claim is None:
            self.bar.set_postfix_str(f"{self.bar.format_dict['elapsed']:.1f} s")
            self.bar.close()
        else:
            self.bar.update(k - self.bar.n)
            self.bar.set_postfix_str(f"{claim.id} done")


class Section:
    """A part of the report beside the claims table (a claim result's ``data``)."""

    #: Title of the section in report.md.
    title = ""

    def json(self):
        """Entries this section adds to report.json.

        Returns
        -------
        dict
            Top-level key to JSON-serialisable value.
        """
        return {}

    def markdown(self):
        """This section's part of report.md (without its title).

        Returns
        -------
        str
            Markdown text.
        """
        return ""

    def summary(self):
        """What is printed after the claims table, or None.

        Returns
        -------
        str or None
            Plain text.
        """
        return None


class PrefixLengthSection(Section):
    """The prefix length N each construction needed, per (m, eps): the paper's open question.

    Parameters
    ----------
    sweep : proofs_check.prefix_lengths.Sweep
        The runs of the sweep.
    """

    title = "Prefix lengths"

    def __init__(self, sweep):
        self.sweep = sweep

    def _table(self, markdown):
        from .prefix_lengths import TABLE_HEADERS, table_rows

        return render_table(TABLE_HEADERS, table_rows(self.sweep), markdown=markdown, width=40)

    def json(self):
        inf = float("inf")
        return {
            "prefix_lengths": [
                {"m": r.m, "target": r.target, "eps": r.eps, "method": r.method, "N": r.N,
                 "bound": r.bound if r.bound != inf else None,
                 "sampled_sup_error": None if r.N is None else r.measured, "seconds": round(r.seconds, 3),
                 "note": r.note}
                for r in self.sweep.runs
            ],
            "needed_delta_net": [{"m": m, "target": t, "eps": e, "N": n}
                                 for (m, t, e), n in self.sweep.needed_net.items()],
        }

    def markdown(self):
        from .prefix_lengths import TABLE_LEGEND

        return ("The prefix length N each construction used to reach eps (the paper's open question, answered "
                "empirically).\n\n" + self._table(markdown=True) + "\n\n" + TABLE_LEGEND)

    def summary(self):
        return "Prefix lengths N (see report.md for the legend):\n" + self._table(markdown=True)


class Seq2seqSection(Section):
    """Both sequence-to-sequence routes side by side, the Kolmogorov–Arnold stages and its levels.

    Parameters
    ----------
    rows : list of dict
        Sup errors per stage of the Kolmogorov–Arnold transformer, one row per (T, target).
    routes : list of dict, optional
        One row per (T, target, route): depth, prefix tokens, proven bound, sampled error, time.
    levels : list of dict, optional
        Braun–Griebel's iteration per level with exact inner sums, per (T, target).
    """

    title = "Sequence-to-sequence (direct and Kolmogorov–Arnold routes)"
    headers = ["T", "target", "depth", "prefix lengths", "level", "sweep residual", "points", "inner", "mixing",
               "outer", "total (sup)", "total (rms)", "s"]
    route_headers = ["T", "target", "route", "eps", "depth", "prefix tokens per layer", "prefix tokens",
                     "proven bound", "sampled sup error", "sequences", "eval s", "ms per 1k sequences"]
    level_headers = ["T", "target", "sup error per level (exact inner sums)", "factor / level", "level for eps",
                     "nodes per shift for eps", "float64 stops at level"]

    def __init__(self, rows, routes=(), levels=()):
        self.rows, self.routes, self.levels = rows, list(routes), list(levels)

    def json(self):
        return {"seq2seq": self.rows, "seq2seq_routes": self.routes, "kolmogorov_levels": self.levels}

    def markdown(self):
        def layers(lengths):
            return ", ".join(str(n) for n in lengths) if len(lengths) <= 6 else f"{lengths[0]}, ..., {lengths[-1]}"

        route_cells = [[r["T"], r["target"], r["route"], f"{r['eps']:g}", r["depth"], layers(r["prefix_lengths"]),
                        r["prefix_total"],
                        "none (measured)" if math.isinf(r["error_bound"]) else f"{r['error_bound']:.4g}",
                        f"{r['sup_error']:.3g}", r["points"], f"{r['eval_seconds']:.2f}",
                        f"{1e6 * r['eval_seconds'] / r['points']:.1f}"] for r in self.routes]
        level_cells = [[r["T"], r["target"], " -> ".join(f"{x['sup']:.3g}" for x in r["levels"]),
                        "-" if r["factor"] is None else f"{r['factor']:.2f}",
                        "-" if r["level_for_eps"] is None else f"{r['level_for_eps']} (eps {r['eps']:g})",
                        "-" if r["nodes_for_eps"] is None else f"{r['nodes_for_eps']:.3g}",
                        r["float64_level"]] for r in self.levels]
        cells = [[r["T"], r["target"], r["depth"], r["prefix_lengths"], r["level"], f"{r['sweep_residual']:.3g}",
                  f"{r['points']} {r['evaluation']}", f"{r['inner']:.2g}", f"{r['mixing']:.1g}", f"{r['outer']:.3g}",
                  f"{r['total']:.3g}", f"{r['total_rms']:.3g}", f"{r['seconds']:.1f}"] for r in self.rows]
        parts = []
        if route_cells:
            parts.append("Both routes per (T, target) (docs/theory/seq2seq.rst). The direct route's bound is proven "
                         "for the float64 transformer (rounding included); the Kolmogorov–Arnold route has none.\n\n"
                         + render_table(self.route_headers, route_cells, markdown=True))
        if level_cells:
            parts.append("Kolmogorov–Arnold outer functions alone (Braun–Griebel's iteration, one Sprecher step per "
                         "level, exact inner sums): the fitted contraction factor extrapolates the level and nodes "
                         "per shift that eps would need; float64 cannot resolve psi's digits from the last column on."
                         "\n\n" + render_table(self.level_headers, level_cells, markdown=True))
        parts.append("Kolmogorov–Arnold sup errors per stage: inner = layer 1 vs the exact element-wise map, mixing = "
                     "layer 2 vs the exact sum, outer = the superposition on exact inner sums vs F, total = the "
                     "transformer vs F. Outer functions by Sprecher's iteration at one level.\n\n"
                     + render_table(self.headers, cells, markdown=True))
        return "\n\n".join(parts)


#: Columns of the claims table.
TABLE_HEADERS = ["claim", "provenance", "parameters", "predicted / bound", "measured", "result"]


class Report:
    """The outcome of a run of the suite: results per claim, sections, figures.

    Built by :func:`proofs_check.run`. ``passed`` says whether every claim passed;
    :meth:`to_json` and :meth:`to_markdown` give report.json and report.md,
    :meth:`table` the terminal table; in a notebook it renders as an HTML table.

    Parameters
    ----------
    results : list of (Claim, Result)
        The claims run and their results.
    quick : bool
        Whether the reduced parameters were used.
    m, eps : int or float or None
        The dimension and tolerance overrides.
    seconds : float
        Wall time of the run.
    figures : list of (str, str)
        (name, file name) of the figures written.
    figure_errors : list of str
        Figures that could not be drawn, with the reason.
    """

    def __init__(self, results, quick=False, m=None, eps=None, seconds=0.0, figures=(), figure_errors=()):
        self.results, self.quick, self.m, self.eps = list(results), quick, m, eps
        self.seconds, self.figures, self.figure_errors = seconds, list(figures), list(figure_errors)
        self.sections = [r.data for _, r in self.results if isinstance(r.data, Section)]

    @property
    def passed(self):
        """True when every claim passed."""
        return all(r.passed for _, r in self.results)

    @property
    def failed(self):
        """Ids of the claims that failed."""
        return [c.id for c, r in self.results if not r.passed]

    @property
    def overrides(self):
        """The --m and --eps overrides in force."""
        return {k: v for k, v in (("m", self.m), ("eps", self.eps)) if v is not None}

    def _row(self, c, r, statement=False):
        params = ", ".join(f"{k}={v}" for k, v in c.parameters(self.quick, self.m, self.eps).items())
        cells = [c.id, c.provenance, params, r.predicted, r.error or r.measured, "PASS" if r.passed else "FAIL"]
        return cells[:2] + [c.statement] + cells[2:] if statement else cells

    def table(self, markdown=False):
        """The claims table (terminal text, or Markdown with each claim's statement).

        Parameters
        ----------
        markdown : bool
            Markdown instead of aligned text.

        Returns
        -------
        str
            The table.
        """
        headers = TABLE_HEADERS[:2] + ["statement"] + TABLE_HEADERS[2:] if markdown else TABLE_HEADERS
        return render_table(headers, [self._row(c, r, markdown) for c, r in self.results], markdown=markdown)

    def summary(self):
        """One line: passed and failed counts and the time.

        Returns
        -------
        str
            The line.
        """
        return f"{len(self.results) - len(self.failed)} passed, {len(self.failed)} failed in {self.seconds:.1f} s"

    def to_json(self):
        """report.json as a dict.

        Returns
        -------
        dict
            Run metadata, one entry per claim (with its quantities), and the sections' entries.
        """
        report = {
            "quick": self.quick,
            "overrides": self.overrides,
            "seconds": round(self.seconds, 2),
            "python": platform.python_version(),
            "claims": [
                {"id": c.id, "statement": c.statement, "provenance": c.provenance, "group": c.group,
                 "parameters": c.parameters(self.quick, self.m, self.eps), **r.as_dict()}
                for c, r in self.results
            ],
            "figures": [f for _, f in self.figures],
            "figure_errors": self.figure_errors,
        }
        for section in self.sections:
            report.update(section.json())
        return report

    def to_markdown(self):
        """report.md.

        Returns
        -------
        str
            The report in Markdown.
        """
        out = ["# proofs_check report\n\n",
               f"{self.summary()}{' (quick)' if self.quick else ''}"
               + (f"; overrides {', '.join(f'{k}={v}' for k, v in self.overrides.items())}" if self.overrides else "")
               + ".\n\n",
               "Provenance: [paper] Petrov, Torr & Bibi (ICML 2024); [third-party] other published work; "
               "[classical] textbook results; [toolkit] proved in docs/theory/.\n\n",
               self.table(markdown=True) + "\n"]
        if self.failed:
            out.append("\n## Failures\n\n")
            out += [f"### {c.id}\n\n{r.error or r.measured}\n\n```\n{r.details}\n```\n\n"
                    for c, r in self.results if not r.passed]
        out += [f"\n## {section.title}\n\n{section.markdown()}\n" for section in self.sections]
        if self.figures or self.figure_errors:
            out.append("\n## Figures\n\n")
            out += [f"{name}\n\n![{name}]({f})\n\n" for name, f in self.figures]
            out += [f"- not written: {e}\n" for e in self.figure_errors]
        return "".join(out)

    def write(self, folder):
        """Write report.json and report.md into ``folder``.

        Parameters
        ----------
        folder : str
            An existing, writable folder.
        """
        with open(os.path.join(folder, "report.json"), "w") as fh:
            json.dump(self.to_json(), fh, indent=2, default=str)
        with open(os.path.join(folder, "report.md"), "w") as fh:
            fh.write(self.to_markdown())

    def _repr_html_(self):
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in self._row(c, r)) + "</tr>"
                       for c, r in self.results)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in TABLE_HEADERS)
        return f"<p>{html.escape(self.summary())}</p><table><tr>{head}</tr>{rows}</table>"

    def __repr__(self):
        return f"<proofs_check Report: {self.summary()}>"
