"""Adversarial soundness: no proven bound below a sampled error; jumps, kinks, branch points refused."""

from __future__ import annotations

from spherical_approx.testing import run_soundness_case, soundness_cases

from ..claims import Result, claim

GROUP = "soundness"


@claim(
    "soundness.adversarial",
    "Every proven error bound holds against a dense sample with local maximisation, rounding included; "
    "targets with jumps, kinks (spectral), branch points near the sphere, provably wrong user constants "
    "and values too large for float64 are refused; user-assumed constants and measured heads are labelled so",
    "[toolkit]", GROUP, params={"full": True, "samples": 20000}, quick={"full": False, "samples": 5000},
    cost=180,
)
def _adversarial(p):
    rows, failures = [], []
    cases = soundness_cases(full=p["full"])
    for case in cases:
        ok, outcome = run_soundness_case(case, samples=p["samples"])
        rows.append(f"{'ok ' if ok else 'BAD'} {case.name} (expect {case.expect}): {outcome}")
        if not ok:
            failures.append(case.name)
    measured = f"{len(cases) - len(failures)} of {len(cases)} cases as expected"
    if failures:
        measured += "; not: " + ", ".join(failures)
    return Result("every case refused or within its bound", measured, not failures, "\n".join(rows))
