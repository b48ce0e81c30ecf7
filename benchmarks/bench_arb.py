"""Rigorous arithmetic against mpmath, as speed ratios in one run (mpmath time / arb time).

Single values (``gegenbauer``, ``zonal_polynomial``) use flint's native functions on the arb
backend; ``zonal_polynomials`` (every degree at once, one argument) runs the three-term
recurrence over arb scalars with its coefficients cached as flint rationals;
``softmax_multipliers`` uses the Bessel ratio recurrence.

Run:  python benchmarks/bench_arb.py
"""

from _timing import best_of

from spherical_approx.gegenbauer import gegenbauer, zonal_polynomial, zonal_polynomials
from spherical_approx.kernels import softmax_multipliers

CASES = {
    "gegenbauer C_n^(3/2)(0.3)": lambda n, b, d: gegenbauer(n, 1.5, 0.3, backend=b, dps=d),
    "zonal_polynomial S^3, one degree": lambda n, b, d: zonal_polynomial(3, n, 0.3, backend=b, dps=d),
    "zonal_polynomial S^2 (Legendre)": lambda n, b, d: zonal_polynomial(2, n, 0.3, backend=b, dps=d),
    "zonal_polynomials S^3, all degrees": lambda n, b, d: zonal_polynomials(3, n, 0.3, backend=b, dps=d),
    "zonal_polynomials S^2, all degrees": lambda n, b, d: zonal_polynomials(2, n, 0.3, backend=b, dps=d),
    "softmax_multipliers S^2, lam = 50": lambda n, b, d: softmax_multipliers(2, 50.0, n, backend=b, dps=d),
}


def main():
    print(f"{'function':<38} {'dps':>4} {'n':>4} {'mpmath / arb':>13}")
    for name, fn in CASES.items():
        for dps in (50, 200):
            for n in (20, 100):
                t_arb = best_of(lambda fn=fn, n=n, dps=dps: fn(n, "arb", dps))
                t_mp = best_of(lambda fn=fn, n=n, dps=dps: fn(n, "mp", dps))
                print(f"{name:<38} {dps:>4} {n:>4} {t_mp / t_arb:>12.1f}x")


if __name__ == "__main__":
    main()
