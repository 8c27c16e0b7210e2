"""Golden values for Uqlib.Conformal, NumPy in float64, written from the papers (no conformal library used).

- Split conformal classification sets (Vovk et al. 2005; Angelopoulos & Bates 2021): calibration scores s_i = s(x_i, y_i, u_i);
  for a level alpha the threshold q is the k-th smallest score, k = ceil((n+1)(1-alpha)) (the finite-sample rank; NOT
  numpy.quantile(..., method="higher"), one order statistic off when k < n); the set of a test case is {y : s(x, y, u) <= q}.
  Classes are ranked by decreasing probability, ties by class index (numpy.argsort(-p, kind="stable")); rho(y) is the 1-based rank.
  * LAC (Sadinle, Lei & Wasserman 2019): s = 1 - p_y.
  * APS (Romano, Sesia & Candes 2020): s = sum_{rank <= rho(y)} p; randomised s = sum_{rank < rho(y)} p + u p_y.
  * RAPS (Angelopoulos, Bates, Malik & Jordan 2021): the APS score + lam * max(0, rho(y) - k_reg).
  * top-k: s = rho(y).
  * LAC and top-k randomised: the pairs (s, u) are ranked lexicographically (ties broken by the case's draw u): q is the
    k-th smallest pair (q, qu) and y is in the set when s < q or (s == q and u <= qu).
  * Mondrian (class-conditional): class c's threshold from the n_c scores of calibration cases labelled c, same rank rule.
  * Never-empty rule (Angelopoulos et al. 2021's allow_zero_sets=False): an empty set gets the top class (argmax, lowest index).
  The uniform draws u are generated here and stored, and the C# tests pass them in (ConformalClassifier's uniforms arguments).
- Conformal risk control (Angelopoulos, Bates, Fisch, Lei & Schuster 2022), per-image false-negative rate of the mask {p >= t}
  (t = 1 - lambda in the paper's {p >= 1 - lambda}): FNR_i(t) = #{j in Y_i : p_j < t} / |Y_i| (0 when Y_i is empty), B = 1;
  t_hat = sup{t : n/(n+1) Rhat(t) + B/(n+1) <= alpha}, found by brute force: Rhat is evaluated directly at every distinct
  true-pixel value and above them all (Rhat is constant on (c_{j-1}, c_j], so the supremum is one of these points or +inf);
  lambda_hat = 1 - t_hat is written too.
- Conformalised quantile regression (Romano, Patterson & Candes 2019): E_i = max(lo_i - y_i, y_i - hi_i), q the k-th smallest,
  interval [lo - q, hi + q].

Run: /usr/bin/python3 make_conformal.py  (writes conformal.json beside this script)
"""
import json
import math
import os
from fractions import Fraction

import numpy as np

SCORES = ["Lac", "Aps", "Raps", "TopK"]
ALPHAS = [0.1, 0.2]
LAM, KREG = 0.05, 2


def rank_k(n, alpha):
    # ceil((n+1)(1-alpha)) in exact decimal arithmetic, as the C# code (alpha read from its shortest decimal repr).
    return math.ceil((n + 1) * (1 - Fraction(repr(alpha))))


def class_scores(p, score, randomized, u):
    n, c = p.shape
    if score == "Lac":
        return 1.0 - p
    order = np.argsort(-p, axis=1, kind="stable")
    srt = np.take_along_axis(p, order, axis=1)
    rank = np.arange(1, c + 1, dtype=np.float64)[None, :]
    if score == "TopK":
        s_sorted = np.broadcast_to(rank, (n, c)).copy()
    else:
        cum = np.cumsum(srt, axis=1)
        s_sorted = cum - srt + srt * u[:, None] if randomized else cum
        if score == "Raps":
            s_sorted = s_sorted + np.maximum(rank - KREG, 0) * LAM
    out = np.zeros_like(p)
    np.put_along_axis(out, order, s_sorted, axis=1)
    return out


def threshold(scores, us, alpha):
    n = len(scores)
    k = rank_k(n, alpha)
    assert k <= n
    idx = np.lexsort((us, scores))  # by score, then u
    return scores[idx[k - 1]], us[idx[k - 1]]


def sets(cal_p, cal_y, cal_u, test_p, test_u, score, randomized, conditional, alpha, allow_empty):
    lex = randomized and score in ("Lac", "TopK")
    s_cal = class_scores(cal_p, score, randomized, cal_u)[np.arange(len(cal_y)), cal_y]
    u_cal = cal_u if lex else np.zeros(len(cal_y))
    c = cal_p.shape[1]
    if conditional:
        qs = [threshold(s_cal[cal_y == k], u_cal[cal_y == k], alpha) for k in range(c)]
    else:
        qs = [threshold(s_cal, u_cal, alpha)] * c
    q = np.array([x[0] for x in qs])[None, :]
    qu = np.array([x[1] for x in qs])[None, :]
    s = class_scores(test_p, score, randomized, test_u)
    inside = (s < q) | ((s == q) & (test_u[:, None] <= qu)) if lex else s <= q
    if not allow_empty:
        empty = ~inside.any(axis=1)
        top = np.argmax(test_p, axis=1)
        inside[np.arange(len(top))[empty], top[empty]] = True
    thresholds = [x[0] for x in qs] if conditional else [qs[0][0]]
    return thresholds, inside


def dataset(rng, n, m, c, ties):
    def draw(count):
        if ties:
            base = np.array([0.5, 0.25, 0.25] + [0.0] * (c - 3))
            p = np.array([rng.permutation(base) for _ in range(count)])
        else:
            p = rng.dirichlet(np.full(c, 0.6), size=count)
        y = np.array([rng.choice(c, p=row) for row in p])
        return p, y
    cal_p, cal_y = draw(n)
    test_p, test_y = draw(m)
    return dict(cal_p=cal_p, cal_y=cal_y, cal_u=rng.random(n), test_p=test_p, test_y=test_y, test_u=rng.random(m))


def classification(rng):
    out = []
    for name, n, m, c, ties in [("dirichlet", 200, 60, 5, False), ("ties", 120, 40, 4, True), ("binary", 80, 30, 2, False)]:
        d = dataset(rng, n, m, c, ties)
        cases = []
        for score in SCORES:
            for randomized in (False, True):
                for conditional in (False, True):
                    for alpha in ALPHAS:
                        for allow_empty in (False, True):
                            th, inside = sets(d["cal_p"], d["cal_y"], d["cal_u"], d["test_p"], d["test_u"],
                                              score, randomized, conditional, alpha, allow_empty)
                            cases.append(dict(score=score, randomized=randomized, classConditional=conditional, alpha=alpha,
                                              allowEmptySets=allow_empty, thresholds=[float(t) for t in th],
                                              sets=inside.astype(int).tolist(), sizes=inside.sum(axis=1).tolist(),
                                              coverage=float(inside[np.arange(m), d["test_y"]].mean())))
        out.append(dict(name=name, calibrationProbabilities=d["cal_p"].tolist(), calibrationLabels=d["cal_y"].tolist(),
                        calibrationUniforms=d["cal_u"].tolist(), testProbabilities=d["test_p"].tolist(),
                        testLabels=d["test_y"].tolist(), testUniforms=d["test_u"].tolist(), cases=cases))
    return out


def fnr(p, y, t):
    total = y.sum()
    return 0.0 if total == 0 else float(((p < t) & y).sum()) / float(total)


def risk_control(rng):
    out = []
    for name, shape in [("2d", (30, 8, 8)), ("3d", (20, 3, 4, 5))]:
        n = shape[0]
        truth = rng.random(shape) < 0.3
        truth[0] = False  # one image with an empty true mask (its loss is 0)
        maps = np.where(truth, rng.beta(4, 2, shape), rng.beta(2, 4, shape))
        candidates = np.append(np.unique(maps[truth]), np.inf)
        result = {}
        for alpha in [0.05, 0.1, 0.2, 0.3]:
            ok = [t for t in candidates if n / (n + 1) * np.mean([fnr(maps[i], truth[i], t) for i in range(n)]) + 1 / (n + 1) <= alpha]
            t_hat = max(ok)
            test_risk = np.mean([fnr(maps[i], truth[i], t_hat) for i in range(n)])
            result[repr(alpha)] = dict(threshold=float(t_hat), lambdaHat=float(1 - t_hat), calibrationRisk=float(test_risk))
        out.append(dict(name=name, maps=maps.tolist(), masks=truth.astype(int).tolist(), alphas=result))
    return out


def cqr(rng):
    n, m = 50, 20
    x = rng.random(n + m)
    y = np.sin(6 * x) + rng.normal(0, 0.2 + 0.3 * x)
    lo = np.sin(6 * x) - 0.3
    hi = np.sin(6 * x) + 0.3
    e = np.maximum(lo[:n] - y[:n], y[:n] - hi[:n])
    result = {}
    for alpha in ALPHAS:
        q = np.sort(e)[rank_k(n, alpha) - 1]
        result[repr(alpha)] = dict(quantile=float(q), lower=(lo[n:] - q).tolist(), upper=(hi[n:] + q).tolist())
    return dict(calibrationLower=lo[:n].tolist(), calibrationUpper=hi[:n].tolist(), calibrationTargets=y[:n].tolist(),
                testLower=lo[n:].tolist(), testUpper=hi[n:].tolist(), alphas=result)


def main():
    rng = np.random.default_rng(20261206)
    golden = dict(numpy=np.__version__, lambda_=LAM, kReg=KREG, classification=classification(rng),
                  riskControl=risk_control(rng), cqr=cqr(rng))
    golden["lambda"] = golden.pop("lambda_")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformal.json")
    with open(path, "w") as f:
        json.dump(golden, f, separators=(",", ":"))
    print(f"numpy {np.__version__}; wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
