import io
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
    md = (tmp_path / "report.md").read_text()
    assert "PASS" in md and "## Prefix lengths" in md and "## Figures" in md
    for name in ("heads_s1.png", "error_map_s2.png", "error_vs_prefix.png", "multipliers.png"):
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20000, name
        assert f"]({name})" in md
    assert report["figures"] and not report["figure_errors"]
    # every built head with a proven bound met it; the table lists S^1 and S^2
    runs = [r for r in report["prefix_lengths"] if r["N"] is not None and r["method"] != "fitted"]
    assert runs and all(r["sampled_sup_error"] <= r["bound"] <= r["eps"] for r in runs)
    out = capsys.readouterr()
    assert "passed, 0 failed" in out.out
    assert "\r" not in out.err  # stderr is not a terminal here: no progress frames in logs
    # the numbers behind the verdicts are in report.json, and every one of them holds
    quantities = [q for c in report["claims"] for q in c["quantities"]]
    assert len(quantities) >= 20 and all(q["holds"] and q["value"] <= q["bound"] for q in quantities)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bars_per_group_on_a_terminal_only():
    from proofs_check.report import GroupProgress

    for stream, drawn in ((_Terminal(), True), (io.StringIO(), False)):
        bar = GroupProgress({"heads": 2, "figures": 1}, stream=stream)
        bar.step("heads", "heads.algebra")
        bar.step("heads", "heads.element_wise")
        bar.step("figures", "(a)")
        bar.finish()
        text = stream.getvalue()
        assert (("heads" in text and "figures" in text and "2/2" in text) if drawn else text == ""), text


def test_a_verdict_cannot_contradict_its_quantities():
    from proofs_check.claims import Claim, Quantity, Result

    def run(params):
        return Result("x <= 1", "2", True, quantities=[Quantity("x", 2.0, 1.0)])

    res = Claim("test.contradiction", "x <= 1", "[toolkit]", "tests", run).execute()
    assert not res.passed and "exceed their bounds: x" in res.error
    assert Result.bounded("x", 0.5, 1.0).passed and not Result.bounded("x", 1.0, 1.0, "<").passed
    assert not Result.bounded("x", float("nan"), 1.0).passed


def test_sections_render_json_and_markdown():
    from proofs_check.report import Seq2seqSection, render_table

    row = {"T": 2, "target": "sum", "depth": 7, "prefix_lengths": [1, 2], "level": 3, "sweep_residual": 0.1,
           "points": 400, "evaluation": "grid", "inner": 1e-3, "mixing": 0.0, "outer": 0.1, "total": 0.12,
           "total_rms": 0.05, "seconds": 1.0}
    section = Seq2seqSection([row])
    assert section.json() == {"seq2seq": [row], "seq2seq_routes": [], "kolmogorov_levels": []}
    assert "| 2 | sum | 7 |" in section.markdown() and section.summary() is None
    assert render_table(["a"], [["|"]], markdown=True).splitlines()[-1] == "| \\| |"


def test_list_and_unknown_id(capsys):
    assert main(["--list"]) == 0
    assert "harmonics.addition_theorem" in capsys.readouterr().out
    assert main(["--only", "no.such.claim"]) == 2
    assert "unknown claim id" in capsys.readouterr().err


@pytest.mark.parametrize("args,message", [(["--m", "0"], "1 <= m"), (["--m", "two"], "integer"),
                                          (["--eps", "0"], "0 < eps < 1"), (["--eps", "nan"], "0 < eps < 1"),
                                          (["--eps", "x"], "a number")])
def test_bad_overrides_are_refused(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args + ["--list"])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_overrides_reach_the_parameters(tmp_path):
    load_checks()
    assert CLAIMS["funk_hecke.softmax"].parameters(True, m=4)["ms"] == [4]
    assert CLAIMS["sphere.area"].parameters(False, m=3)["mmax"] == 3
    # cases: the case of that dimension is kept, else the nearest one is moved to it
    assert CLAIMS["quadrature.exactness"].parameters(False, m=2)["cases"] == [(2, 12)]
    assert CLAIMS["delta_net.packing"].parameters(False, m=4)["cases"] == [(4, 0.2)]
    assert CLAIMS["constructions.spectral"].parameters(False, m=2, eps=1e-4)["cases"] == [(2, 1e-4)]
    assert CLAIMS["paper.rate_vs_constructions"].parameters(False, eps=0.1)["eps"] == [0.1, 0.05, 0.025]
    assert CLAIMS["delta_net.gap_inequality"].overridable() == set()
    assert main(["--quick", "--only", "constructions.spectral", "--m", "2", "--eps", "1e-6",
                 "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["overrides"] == {"m": 2, "eps": 1e-6}
    assert report["claims"][0]["parameters"]["cases"] == [[2, 1e-6]]
    assert "S^2" in report["claims"][0]["measured"]


# Breaking a formula on purpose must make the claim that checks it FAIL.
BREAKS = [
    ("harmonics.dimension", "spherical_approx.harmonic_dimension",
     lambda m, n: sa.harmonics.harmonic_dimension(m, n) + (n == 7)),
    ("sphere.area", "spherical_approx.sphere_area",
     lambda m, backend="float", dps=None: sa.sphere.sphere_area(m + 1, backend, dps)),
]


def _shifted_order_logs(nu, nmax, lam, _real=sa.kernels.log_ive_orders):
    return _real(nu + 1, nmax, lam)  # the wrong Bessel order


_real_packing = sa.bounds.packing_constant
BREAKS += [
    ("kernels.multipliers", "spherical_approx.kernels.log_ive_orders", _shifted_order_logs),
    ("delta_net.packing", "spherical_approx.bounds.packing_constant", lambda m, *a, **k: 0.99 * _real_packing(m)),
    ("bounds.discretisation", "proofs_check.checks.kernels.discretisation_bound",
     lambda *a, **k: 1e-4 * sa.bounds.discretisation_bound(*a, **k)),
    # a C_m too small by half: the delta-nets the sweep builds exceed "C_m delta^-m"
    ("paper.prefix_lengths", "proofs_check.checks.prefix_lengths.packing_constant",
     lambda m, *a, **k: 0.5 * _real_packing(m)),
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


def test_figures_leave_matplotlib_state_alone(tmp_path, monkeypatch):
    import matplotlib

    from proofs_check import figures

    def no_switch(*args, **kwargs):
        raise AssertionError("figures must not switch matplotlib's backend (a process-wide side effect)")

    monkeypatch.setattr(matplotlib, "use", no_switch)
    backend = matplotlib.get_backend()
    figures.multipliers(str(tmp_path), ms=(2,), lams=(10.0,), nmax=20)
    assert (tmp_path / "multipliers.png").stat().st_size > 0 and matplotlib.get_backend() == backend


def test_run_from_python_returns_a_report(tmp_path):
    import proofs_check

    report = proofs_check.run(only=["sphere.area", "heads.algebra"], quick=True, out=str(tmp_path), progress=False)
    assert report.passed and not report.failed and "2 passed, 0 failed" in report.summary()
    data = report.to_json()
    assert [c["id"] for c in data["claims"]] == ["sphere.area", "heads.algebra"]
    assert json.loads((tmp_path / "report.json").read_text())["claims"] == data["claims"]
    assert "| sphere.area |" in report.to_markdown() and "<table>" in report._repr_html_()
    assert not report.figures  # a selection draws no figures unless asked
    for kwargs, message in [({"only": "no.such"}, "unknown claim id"), ({"only": ","}, "names no claim id"),
                            ({"m": 0}, "1 <= m <= 10"), ({"eps": 2.0}, "0 < eps < 1"),
                            ({"only": "sphere.area", "out": "/proc/no/such"}, "not a writable folder")]:
        with pytest.raises(ValueError, match=message):
            proofs_check.run(**kwargs)
