"""python -m spherical_approx, through subprocess: one's own target, saved heads, bad input."""

import subprocess
import sys

import pytest


def run(*args, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "spherical_approx", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_approximate_certify_save_plot_then_certify_the_saved_head(tmp_path):
    code, out, err = run("approximate", "abs(x0) + x0*x1", "--m", "1", "--eps", "0.05", "--certify",
                         "--save", str(tmp_path / "head"), "--plot", str(tmp_path / "error.png"))
    assert code == 0, err
    assert "N = " in out and "error bound: " in out and "[proven" in out and "sampled sup error" in out
    assert "certificate: proved" in out
    assert (tmp_path / "head.npz").exists() and (tmp_path / "error.png").read_bytes()[:4] == b"\x89PNG"
    code, out, err = run("certify", str(tmp_path / "head.npz"), "abs(x0) + x0*x1", "--eps", "0.05")
    assert code == 0 and "certificate: proved" in out, err
    # the same head against another target: the certificate refutes it, exit status 1
    code, out, err = run("certify", str(tmp_path / "head.npz"), "abs(x0) + x0*x1 + 1/2", "--eps", "0.05")
    assert code == 1 and "certificate: refuted" in out, out + err


@pytest.mark.parametrize("args,message", [
    (["approximate", "x0**", "--m", "1", "--eps", "0.1"], "cannot parse 'x0**'"),
    (["approximate", "x0 + y", "--m", "1", "--eps", "0.1"], "unknown symbol(s) y"),
    (["approximate", "x3", "--m", "2", "--eps", "0.1"], "unknown symbol(s) x3"),
    (["approximate", "sqrt(x0 - 2)", "--m", "1", "--eps", "0.1"], "not real and finite on S^1"),
    (["approximate", "1/x0", "--m", "1", "--eps", "0.1"], "cannot certify a finite Lipschitz constant for 1/x0"),
    (["approximate", "sign(x0)", "--m", "1", "--eps", "0.1", "--method", "spectral"], "not analytic"),
    (["approximate", "x0", "--m", "1", "--eps", "0.1", "--save", "/no/such/folder/h.npz"], "not a writable folder"),
    (["certify", "absent.npz", "x0", "--eps", "0.1"], "no saved head at absent.npz"),
    (["approximate", "x0", "--m", "1", "--eps", "-1"], "expected a positive number"),
    (["approximate", "x0", "--m", "zero", "--eps", "0.1"], "expected a positive integer"),
])
def test_bad_input_is_one_line_and_status_2(args, message, tmp_path):
    code, out, err = run(*args, cwd=tmp_path)
    assert code == 2 and message in err, err
    assert "Traceback" not in err


def test_a_file_that_is_not_a_saved_head_is_refused(tmp_path):
    (tmp_path / "junk.npz").write_bytes(b"PK\x03\x04 truncated")
    code, out, err = run("certify", str(tmp_path / "junk.npz"), "x0", "--eps", "0.1")
    assert code == 2 and "not a valid saved head" in err and "Traceback" not in err
