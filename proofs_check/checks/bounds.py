"""Claims about the delta-net theorem's inequalities and parameters, and the paper's rate."""

from __future__ import annotations

import numpy as np

from spherical_approx.bounds import delta_net_parameters, paper_rate_exponent, quadrature_parameters
from spherical_approx.inequalities import prove_cap_inequality, prove_gap_inequality

from ..claims import Result, claim

GROUP = "delta-net and rates"


@claim(
    "delta_net.gap_inequality",
    "cos(delta) - cos(2 delta) >= delta^2/2 for delta in (0, 1/2] (proved with arb; c = 3/2 + 1% is refuted)",
    "[third-party]", GROUP, params={}, quick={},
)
def _gap(p):
    proof = prove_gap_inequality()
    wrong = prove_gap_inequality(constant=1.515)
    ok = proof.proved and not wrong.proved
    return Result("proved; wrong constant refuted", f"proved={proof.proved} ({proof.pieces} pieces); "
                  f"c=1.515 proved={wrong.proved}", ok, proof.statement)


@claim(
    "delta_net.cap_inequality",
    "|cap(delta/2)| >= A_(m-1) delta^m / (2 m pi^(m-1)) on (0, 1/2], hence N <= C_m delta^-m (proved with arb)",
    "[third-party]", GROUP, params={"ms": [1, 2, 3, 4, 5, 6]}, quick={"ms": [1, 2, 3]},
)
def _cap(p):
    results = {m: prove_cap_inequality(m) for m in p["ms"]}
    ok = all(r.proved for r in results.values())
    return Result("proved for every m", ", ".join(f"m={m}: {r.proved} ({r.pieces} pieces)" for m, r in results.items()),
                  ok, "exact cap area (incomplete beta) away from 0, sinc bound near 0")


@claim(
    "delta_net.parameters",
    "With delta = min(1/2, eps/(6L)) and lambda = max(lambda_loc, lambda_ctx): "
    "3 L delta + B T e^(-lambda cos delta) <= eps",
    "[third-party]", GROUP,
    params={"ms": [1, 2, 3], "eps": [0.3, 0.1, 0.01, 0.001], "L": [0.5, 1.0, 4.0], "T": [0, 1, 8, 64]},
    quick={"ms": [1, 2], "eps": [0.1, 0.01], "L": [1.0], "T": [1, 8]},
)
def _params(p):
    worst = 0.0
    for m in p["ms"]:
        for eps in p["eps"]:
            for L in p["L"]:
                for T in p["T"]:
                    q = delta_net_parameters(m, eps, L, 1.0, T)
                    worst = max(worst, q.error_bound / eps)
    return Result.bounded("error bound / eps", worst, 1.0, unit="ratio",
                          details="B = 1; the N bound C_m delta^-m is used in lambda_loc",
                          measured=f"max ratio {worst:.4f}")


@claim(
    "paper.rate_vs_constructions",
    "N = O(eps^-(4m^2+14m+10)); the constructive a priori bounds (delta-net, quadrature-vMF for Lipschitz "
    "targets) grow with far smaller exponents",
    "[paper]", GROUP, params={"ms": [1, 2, 3], "eps": [0.1, 0.05, 0.02]}, quick={"ms": [1, 2], "eps": [0.1, 0.05]},
    # a slope needs several eps: --eps e gives e, e/2, e/4
    override=lambda p, m, eps: dict(p, ms=[m] if m else p["ms"], eps=[eps, eps / 2, eps / 4] if eps else p["eps"]),
)
def _rate(p):
    rows, ok = [], True
    for m in p["ms"]:
        ex = paper_rate_exponent(m)
        dn = [delta_net_parameters(m, e, 1.0, 1.0, 1).N_bound for e in p["eps"]]
        qd = [quadrature_parameters(m, e).N for e in p["eps"]]
        le = np.log(1 / np.array(p["eps"]))
        s_dn = float(np.polyfit(le, np.log(dn), 1)[0])
        s_qd = float(np.polyfit(le, np.log(qd), 1)[0])
        ok &= abs(s_dn - m) < 1e-9 and s_qd < ex and s_dn < ex
        rows.append(f"m={m}: paper {ex}, delta-net slope {s_dn:.2f}, quadrature slope {s_qd:.2f}")
    return Result("delta-net slope = m; all slopes below the paper's exponent", "; ".join(rows), ok,
                  "slopes of log N against log(1/eps); the paper's constant is unknown, so only exponents compare")
