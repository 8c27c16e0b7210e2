"""Golden values for Uqlib.Augmentation (GreedyPolicySearch and its batched temperature fit).

The synthetic cache is generated from an integer hash (SplitMix64), so C# rebuilds exactly the same noise without storing the
300,000 values: tests/Uqlib.Tests/Augmentation/SyntheticCache.cs implements the same generator.

Cache: 30 candidates x 2000 samples x 5 classes, float64 log-probabilities (log_softmax of candidate logits):
  candidate 0        identity: the base logits z
  candidates 1-14    harmless: the signal with noise partly shared with z, partly their own (averaging helps)
  candidates 15-22   harmful: the classes of a growing fraction of samples rolled by one (an augmentation that changes the label)
  candidates 23-26   very noisy: z + 4 * noise
  candidates 27-29   under-confident copies: z / 3 + noise
Temperature: beta = 1/T in [1/100, 1/0.01] = [0.01, 100].

GPS, following the authors' rule (Lyzhov et al. 2020, bayesgroup/gps-augment): start from the empty policy; at step t, for every
candidate s form log(((t-1) pi_P + pi_s) / t), fit a temperature on the whole set for that mixture, score the calibrated
log-likelihood, add the argmax (np.argmax: lowest index on ties); repeat. The temperature is fitted two ways per candidate:
Nelder-Mead on T from T = 1 (the authors' optimiser, with tight tolerances) and Brent on beta; the script checks they agree.

Run: /usr/bin/python3 make_gps.py   (writes gps.json beside it)
"""
import json
import os

import numpy as np
from scipy import optimize, special

MASK = (1 << 64) - 1
K, N, C = 30, 2000, 5
MIN_BETA, MAX_BETA = 0.01, 100.0
STEPS = 12


def splitmix(counter):
    """Uniform numbers in [0, 1) from an array of uint64 counters (SplitMix64 finaliser on (counter + 1) * golden gamma)."""
    x = (counter.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (2.0 ** -53)


def noise(stream, shape):
    """Approximately standard normal: the sum of 12 uniforms minus 6, exact in float64 and identical in C#."""
    count = int(np.prod(shape))
    base = np.uint64(stream) * np.uint64(1 << 32)
    counters = base + np.arange(count * 12, dtype=np.uint64)
    u = splitmix(counters).reshape(count, 12)
    total = np.zeros(count)
    for j in range(12):
        total = total + u[:, j]
    return (total - 6.0).reshape(shape)


def make_cache():
    labels = np.floor(splitmix(np.arange(N, dtype=np.uint64) + np.uint64(7 << 40)) * C).astype(np.int64)
    onehot = np.eye(C)[labels]
    signal = 2.5 * onehot
    shared = noise(1, (N, C))
    z = signal + 1.5 * shared
    logits = np.empty((K, N, C))
    for k in range(K):
        if k == 0:
            logits[k] = z
        elif k <= 14:
            logits[k] = signal + 0.9 * shared + (1.0 + 0.05 * k) * noise(100 + k, (N, C))
        elif k <= 22:
            fraction = 0.1 * (k - 14)
            rolled = np.roll(z, 1, axis=1)
            pick = splitmix(np.arange(N, dtype=np.uint64) + np.uint64((200 + k) << 40)) < fraction
            logits[k] = np.where(pick[:, None], rolled, z) + 0.3 * noise(200 + k, (N, C))
        elif k <= 26:
            logits[k] = z + 4.0 * noise(300 + k, (N, C))
        else:
            logits[k] = z / 3.0 + 0.5 * noise(400 + k, (N, C))
    return special.log_softmax(logits, axis=2), labels


def nll_beta(beta, m, y):
    return float(np.mean(special.logsumexp(beta * m, axis=1) - beta * m[np.arange(len(y)), y]))


def nll_derivative(beta, m, y):
    p = special.softmax(beta * m, axis=1)
    return float(np.mean((p * m).sum(axis=1) - m[np.arange(len(y)), y]))


def fit_brent(m, y):
    """Exact beta: Brent's root finder (brentq) on the derivative of the convex NLL, at machine precision; a bound when the
    derivative keeps its sign. Cross-checked against Brent's minimiser (minimize_scalar, bounded), which can only resolve beta to
    about sqrt(machine epsilon) because the NLL is flat at its minimum."""
    lo, hi = nll_derivative(MIN_BETA, m, y), nll_derivative(MAX_BETA, m, y)
    if lo >= 0:
        beta = MIN_BETA
    elif hi <= 0:
        beta = MAX_BETA
    else:
        beta = optimize.brentq(nll_derivative, MIN_BETA, MAX_BETA, args=(m, y), xtol=1e-300, rtol=4 * np.finfo(float).eps,
                               maxiter=500)
    res = optimize.minimize_scalar(lambda b: nll_beta(b, m, y), bounds=(MIN_BETA, MAX_BETA), method="bounded",
                                   options={"xatol": 1e-13, "maxiter": 2000})
    assert abs(res.x - beta) < 1e-6 * beta or beta in (MIN_BETA, MAX_BETA), (res.x, beta)
    assert nll_beta(beta, m, y) <= res.fun + 1e-15
    return float(beta), nll_beta(beta, m, y)


def fit_nelder_mead(m, y):
    """The authors' route: Nelder-Mead on T from T = 1 (tight tolerances so the optimum is reached), T kept in [0.01, 100]."""
    def objective(t):
        temperature = min(max(float(t[0]), 1.0 / MAX_BETA), 1.0 / MIN_BETA)
        return nll_beta(1.0 / temperature, m, y)

    res = optimize.minimize(objective, x0=np.array([1.0]), method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-15, "maxiter": 4000})
    temperature = min(max(float(res.x[0]), 1.0 / MAX_BETA), 1.0 / MIN_BETA)
    return temperature, float(res.fun)


def ece(probabilities, y, bins=15):
    confidence = probabilities.max(axis=1)
    correct = (probabilities.argmax(axis=1) == y).astype(np.float64)
    index = np.clip(np.ceil(confidence * bins).astype(np.int64) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = index == b
        if inside.any():
            total += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(total)


def gps(cache, y, steps):
    policy = None
    selected, curve = [], []
    for t in range(1, steps + 1):
        scores, betas = np.empty(K), np.empty(K)
        for s in range(K):
            mix = cache[s] if policy is None else np.logaddexp(np.log(t - 1) + policy, cache[s]) - np.log(t)
            temperature, nll_nm = fit_nelder_mead(mix, y)
            beta, nll_exact = fit_brent(mix, y)
            assert abs(nll_nm - nll_exact) < 1e-9, (t, s, nll_nm, nll_exact)
            assert abs(1.0 / temperature - beta) < 1e-5 * beta, (t, s, temperature, beta)
            scores[s], betas[s] = -nll_nm, beta
        best = int(np.argmax(scores))
        policy = cache[best] if policy is None else np.logaddexp(np.log(t - 1) + policy, cache[best]) - np.log(t)
        calibrated = special.softmax(betas[best] * policy, axis=1)
        curve.append({
            "candidate": best,
            "calibratedLogLikelihood": float(scores[best]),
            "temperature": 1.0 / betas[best],
            "logLikelihood": float(np.mean(policy[np.arange(N), y])),
            "accuracy": float(np.mean(policy.argmax(axis=1) == y)),
            "ece": ece(calibrated, y),
            "secondBestGap": float(scores[best] - np.sort(scores)[-2]),
        })
    return selected, curve


def greedy_plain(cache, y, steps, criterion):
    """The same greedy rule with an uncalibrated criterion: 'll' (mean log-likelihood) or 'accuracy'."""
    policy, selected = None, []
    for t in range(1, steps + 1):
        mixes = cache if policy is None else np.logaddexp(np.log(t - 1) + policy[None], cache) - np.log(t)
        if criterion == "ll":
            scores = mixes[:, np.arange(N), y].mean(axis=1)
        else:
            scores = (mixes.argmax(axis=2) == y[None]).mean(axis=1)
        best = int(np.argmax(scores))
        selected.append(best)
        policy = mixes[best]
    return selected


def main():
    cache, y = make_cache()
    # Batched temperature fit: every raw candidate, plus two edge cases whose optimum lies on a bound.
    fits = [fit_brent(cache[k], y) for k in range(K)]
    separable = np.log(np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5], [0.45, 0.3, 0.25]]))
    separable_labels = [0, 1, 2, 0]
    wrong_labels = [1, 2, 0, 1]
    _, curve = gps(cache, y, STEPS)
    out = {
        "shape": [K, N, C], "minBeta": MIN_BETA, "maxBeta": MAX_BETA,
        "labelsHead": y[:20].tolist(),
        "cacheChecksum": float(cache.sum()),
        "cacheCorner": cache[:3, :2, :].tolist(),
        "temperature": {"beta": [f[0] for f in fits], "nll": [f[1] for f in fits]},
        "edge": {
            "logProbabilities": separable.tolist(),
            "separableLabels": separable_labels, "separableBeta": fit_brent(separable, np.array(separable_labels))[0],
            "wrongLabels": wrong_labels, "wrongBeta": fit_brent(separable, np.array(wrong_labels))[0],
        },
        "gps": curve,
        "logLikelihoodSelection": greedy_plain(cache, y, STEPS, "ll"),
        "accuracySelection": greedy_plain(cache, y, STEPS, "accuracy"),
    }
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "gps.json"), "w") as f:
        json.dump(out, f, indent=1)
    print([c["candidate"] for c in curve], out["logLikelihoodSelection"], out["accuracySelection"])
    print([round(c["calibratedLogLikelihood"], 6) for c in curve])
    print([round(c["secondBestGap"], 8) for c in curve])


if __name__ == "__main__":
    main()
