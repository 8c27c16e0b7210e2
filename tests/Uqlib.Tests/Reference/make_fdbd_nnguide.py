"""Golden values for Uqlib.Latent.FdbdDetector and Uqlib.Latent.NnGuideDetector, written from the papers in PyTorch (float64).

Run: /usr/bin/python3 make_fdbd_nnguide.py  (writes fdbd_nnguide.json beside this script; prints the versions it ran with)

fDBD (Liu & Qin 2024, "Fast decision boundary based out-of-distribution detector", eq. 5-7): with the final layer
z = Wx + b and the predicted class y = argmax z, the distance of x to the decision boundary between y and c is
|z_y - z_c| / |w_y - w_c|; fDBD(x) = mean over c != y of that distance, divided by |x - mu| with mu the mean of the
training features. fDBD is a confidence (higher = in distribution); the golden score is -fDBD (higher = more OOD).
Written as an explicit loop over classes, not as the library's batched form.

NNGuide (Park et al. 2023, "Nearest neighbor guidance for out-of-distribution detection", eq. 3-5): the bank holds the
L2-normalised training features each multiplied by its energy confidence logsumexp(Wx + b); the guidance of a query is
the mean of its k largest inner products of the normalised query with the bank (the k nearest neighbours in the
inner-product sense, as the authors' faiss IndexFlatIP); the guided score is logsumexp(Wx + b) * guidance (higher = in
distribution); the golden score is its negative. Similarities brute force in float64.
"""
import json
import os
import sys

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261206)
f, c, n, k = 16, 5, 300, 10
mixing = rng.normal(size=(f, f)) * np.linspace(1.5, 0.3, f)
train = np.maximum(rng.normal(size=(n, f)) @ mixing + 0.5, 0.0)
w = rng.normal(size=(c, f))
b = rng.normal(size=c) * 0.5
queries = np.concatenate([np.maximum(rng.normal(size=(8, f)) @ mixing + 0.5, 0.0), rng.normal(size=(4, f)) * 3.0])

x_train = torch.tensor(train)
x = torch.tensor(queries)
W = torch.tensor(w)
B = torch.tensor(b)

# fDBD, class by class.
mu = x_train.mean(0)
logits = x @ W.T + B
fdbd = []
for i in range(x.shape[0]):
    y = int(torch.argmax(logits[i]))
    distances = []
    for cls in range(c):
        if cls == y:
            continue
        distances.append(abs(float(logits[i, y] - logits[i, cls])) / float(torch.linalg.norm(W[y] - W[cls])))
    fdbd.append(np.mean(distances) / float(torch.linalg.norm(x[i] - mu)))
fdbd = np.array(fdbd)

# NNGuide, brute force.
def normalise(v):
    return v / torch.linalg.norm(v, dim=1, keepdim=True)

train_confidence = torch.logsumexp(x_train @ W.T + B, dim=1)
bank = normalise(x_train) * train_confidence[:, None]
similarities = normalise(x) @ bank.T
guidance = torch.sort(similarities, dim=1, descending=True).values[:, :k].mean(1)
energy = torch.logsumexp(logits, dim=1)
nnguide = (energy * guidance).numpy()

out = {
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "torch": torch.__version__},
    "features": train.tolist(), "weight": w.tolist(), "bias": b.tolist(), "queries": queries.tolist(),
    "trainMean": mu.numpy().tolist(), "k": k,
    "fdbdScores": (-fdbd).tolist(),
    "nnguideGuidance": guidance.numpy().tolist(), "nnguideScores": (-nnguide).tolist(),
}
print(out["versions"])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "fdbd_nnguide.json"), "w") as handle:
    json.dump(out, handle, indent=1)
