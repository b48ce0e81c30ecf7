"""Work spread over processes and over a Dask cluster gives the serial results, bit for bit."""

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import sympy
from dask import distributed

import spherical_approx as sa
from proofs_check.claims import run_claims
from spherical_approx import certify
from spherical_approx.arith import get_backend
from spherical_approx.certify import certify_sup_error
from spherical_approx.targets import Target

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


def test_boxes_and_results_travel_as_a_few_arrays_and_come_back_unchanged():
    rng = np.random.default_rng(1)
    boxes = [((1, -1, rng.uniform(-1, 0, 2), rng.uniform(0, 1, 2)), None),
             ((0, 1, rng.uniform(-1, 0, 2), rng.uniform(0, 1, 2)), np.array([3, 7, 40], np.int32)),
             ((2, 1, rng.uniform(-1, 0, 2), rng.uniform(0, 1, 2)), np.arange(0, 5000, 3, dtype=np.int32))]
    back = certify._decode_boxes(*certify._encode_boxes(boxes))
    for ((axis, sign, lo, hi), cand), ((axis2, sign2, lo2, hi2), cand2) in zip(boxes, back):
        assert (axis, sign) == (axis2, sign2) and type(sign2) is int
        assert np.array_equal(lo, lo2) and np.array_equal(hi, hi2)
        assert cand2 is None if cand is None else (cand2.dtype == np.int32 and np.array_equal(cand, cand2))
    found = [(0.5, 0.25, np.array([0.6, 0.8, 0.0]), np.array([1, 2], np.int64)),
             (np.inf, 0.0, np.array([0.0, 0.0, 1.0]), np.arange(9))]
    back = certify._decode_found(*certify._encode_found(found))
    for (up, low, point, near), (up2, low2, point2, near2) in zip(found, back):
        assert (up, low) == (up2, low2) and type(up2) is float
        assert np.array_equal(point, point2) and np.array_equal(near, near2) and near2.dtype == np.int32


def test_a_worker_without_the_search_asks_for_it_once():
    approx = sa.approximate(TARGET, 1, 0.05, method="quadrature")
    pre = approx.prefix
    spec = certify._Spec(pre.keys, pre.biases, pre.values, approx.context_tokens, Target(TARGET, 1).exprs, 1, None,
                         get_backend("arb", 9).dps)
    items = certify._encode_boxes([(box, None) for box in certify.face_boxes(1)])
    certify._WORKER_ENCLOSURES.clear()
    assert certify._enclose_chunk(spec.token, None, items) == certify._MISSING
    with_spec = certify._enclose_chunk(spec.token, spec, items)
    without = certify._enclose_chunk(spec.token, None, items)  # now cached in this "worker"
    assert not isinstance(without, str)
    assert [x.tolist() for x in with_spec[0][:3]] == [x.tolist() for x in without[0][:3]]
    assert with_spec[1] == without[1] > 0
    certify._WORKER_ENCLOSURES.clear()
