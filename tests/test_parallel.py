"""Work spread over processes and over a Dask cluster gives the serial results, bit for bit."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import sympy
from dask import distributed

import spherical_approx as sa
from proofs_check.claims import run_claims
from spherical_approx.certify import certify_sup_error

X = sympy.symbols("x0:3")
TARGET = sympy.Abs(X[0]) + X[0] * X[1]
CLAIMS = ["sphere.area", "harmonics.addition_theorem"]


def certificate(executor=None):
    approx = sa.approximate(TARGET, 1, 0.01, method="quadrature")
    # a box budget (not a time budget) ends the search, so the run is reproducible
    return certify_sup_error(approx, TARGET, 0.01, max_boxes=400, max_seconds=1e9, tightness=1.0,
                             executor=executor)


def same_certificate(a, b):
    return (a.status, a.upper, a.lower, a.boxes, a.key_evaluations, a.witness.tolist()) == \
        (b.status, b.upper, b.lower, b.boxes, b.key_evaluations, b.witness.tolist())


def same_results(a, b):
    return [(c.id, r.passed, r.measured, [q.as_dict() for q in r.quantities]) for c, r in a] == \
        [(c.id, r.passed, r.measured, [q.as_dict() for q in r.quantities]) for c, r in b]


def test_certificate_on_a_process_pool_equals_the_serial_one():
    serial = certificate()
    assert serial.boxes >= 400
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        assert same_certificate(certificate(pool), serial)


def test_claims_on_a_process_pool_equal_the_serial_run():
    serial = run_claims(CLAIMS, quick=True)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        parallel = run_claims(CLAIMS, quick=True, executor=pool)
    assert same_results(parallel, serial) and all(r.passed for _, r in parallel)


def test_a_certificate_and_two_claims_on_a_dask_local_cluster():
    serial_cert, serial_claims = certificate(), run_claims(CLAIMS, quick=True)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            executor = client.get_executor()
            assert same_certificate(certificate(executor), serial_cert)
            assert same_results(run_claims(CLAIMS, quick=True, executor=executor), serial_claims)
            assert len(client.scheduler_info()["workers"]) == 2


def test_run_rejects_bad_worker_counts():
    import proofs_check
    from spherical_approx.testing import assert_refuses

    assert_refuses(lambda: proofs_check.run(only="sphere.area", workers=0), ValueError, "workers must be")
    assert_refuses(lambda: proofs_check.run(only="sphere.area", workers=1.5), ValueError, "workers must be")
