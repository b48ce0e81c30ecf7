import json

import pytest

import spherical_approx as sa
import spherical_approx.bounds  # noqa: F401
import spherical_approx.kernels  # noqa: F401
from proofs_check.__main__ import main
from proofs_check.claims import CLAIMS, load_checks


def test_quick_run_passes_and_writes_reports(tmp_path, capsys):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["claims"] and all(c["passed"] for c in report["claims"])
    assert all(c["provenance"] in ("[paper]", "[third-party]", "[classical]", "[toolkit]") for c in report["claims"])
    assert "PASS" in (tmp_path / "report.md").read_text()
    assert "passed, 0 failed" in capsys.readouterr().out


def test_list_and_unknown_id(capsys):
    assert main(["--list"]) == 0
    assert "harmonics.addition_theorem" in capsys.readouterr().out
    assert main(["--only", "no.such.claim"]) == 2
    assert "unknown claim id" in capsys.readouterr().err


# Breaking a formula on purpose must make the claim that checks it FAIL.
BREAKS = [
    ("harmonics.dimension", "spherical_approx.harmonic_dimension", lambda m, n: sa.harmonics.harmonic_dimension(m, n) + (n == 7)),
    ("sphere.area", "spherical_approx.sphere_area", lambda m, backend="float", dps=None: sa.sphere.sphere_area(m + 1, backend, dps)),
]


def _shifted_order_logs(nu, nmax, lam, _real=sa.kernels._log_ive_orders):
    return _real(nu + 1, nmax, lam)  # the wrong Bessel order


_real_packing = sa.bounds.packing_constant
BREAKS += [
    ("kernels.multipliers", "spherical_approx.kernels._log_ive_orders", _shifted_order_logs),
    ("delta_net.packing", "spherical_approx.bounds.packing_constant", lambda m, *a, **k: 0.99 * _real_packing(m)),
    ("bounds.discretisation", "proofs_check.checks.kernels.discretisation_bound",
     lambda *a, **k: 1e-4 * sa.bounds.discretisation_bound(*a, **k)),
]


@pytest.mark.parametrize("claim_id,target,fake", BREAKS)
def test_broken_formula_fails_its_claim(claim_id, target, fake, monkeypatch, tmp_path):
    monkeypatch.setattr(target, fake)
    assert main(["--quick", "--only", claim_id, "--out", str(tmp_path)]) == 1
    report = json.loads((tmp_path / "report.json").read_text())
    assert [c["passed"] for c in report["claims"]] == [False]


def test_wrong_quadrature_weights_fail(monkeypatch, tmp_path):
    real = sa.quadrature.quadrature_rule

    def skewed(m, degree, method="auto"):
        nodes, w = real(m, degree, method)
        return nodes, w * (1 + 1e-6 * nodes[:, 0])
    monkeypatch.setattr("spherical_approx.quadrature_rule", skewed)
    assert main(["--quick", "--only", "quadrature.exactness", "--out", str(tmp_path)]) == 1


def test_every_claim_has_statement_and_quick_parameters():
    load_checks()
    for c in CLAIMS.values():
        assert c.statement and c.group
        assert c.quick_params is not None, c.id
