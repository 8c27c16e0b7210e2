"""Golden values for the multi-layer Mahalanobis detector (Lee et al. 2018, feature ensemble, no input pre-processing).

Run: /usr/bin/python3 multilayer_mahalanobis_reference.py
  (writes multilayer_cnn.pt, multilayer_mahalanobis.npz and multilayer_mahalanobis.json beside this script; prints the versions)

Network: a small float64 CNN, nn.Sequential with named layers conv1, relu1, conv2, relu2, pool, flatten, fc1, relu3, fc2. Three
layers are modelled: relu1 (N, 8, 6, 6), relu2 (N, 16, 6, 6), both pooled by the global average over space, and relu3 (N, 12).
Dead units: channels 0 and 5 of conv1, 3, 7 and 11 of conv2 and units 2 and 9 of fc1 have a bias of -100, so their ReLU never
fires and the pooled features have constant-zero columns: the covariances are singular and the pseudo-inverse (scipy.linalg.pinvh:
eigenvalues with |lambda| <= max|lambda| * F * eps dropped) is what makes the scores defined.

Per layer l (PyTorch features, NumPy/SciPy statistics): class means mu_c, the covariance of the class-centred training features
divided by N (scikit-learn's EmpiricalCovariance with assume_centered=True on the centred features), its pinvh, the rank r_l, and
d_l(x) = min_c (x - mu_c)^T pinvh(Sigma) (x - mu_c).
Combined scores:
  equal weights: s = mean_l d_l / r_l;
  feature ensemble: Uqlib's LogisticCombiner (each layer's validation scores standardised by their mean and population standard
  deviation; P(OOD) = sigmoid(b + sum_l w_l z_l) minimising the log-loss + (l2/2)|w|^2, intercept unpenalised), solved here by
  Newton's method to machine precision and checked against scikit-learn's LogisticRegression(C = 1/l2); s = b + sum_l w_l z_l.
The TorchScript file is the same network traced with forward returning (logits, relu1 map, relu2 map, relu3), so its layers are
Uqlib's "output1", "output2", "output3".
"""
import json
import os

import numpy as np
import scipy
import sklearn
import torch
from scipy.linalg import pinvh
from sklearn.linear_model import LogisticRegression
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20261206)
rng = np.random.default_rng(20261206)
classes, l2 = 3, 1.0

net = nn.Sequential()
net.add_module("conv1", nn.Conv2d(1, 8, 3, padding=1))
net.add_module("relu1", nn.ReLU())
net.add_module("conv2", nn.Conv2d(8, 16, 3, padding=1))
net.add_module("relu2", nn.ReLU())
net.add_module("pool", nn.AdaptiveAvgPool2d(1))
net.add_module("flatten", nn.Flatten())
net.add_module("fc1", nn.Linear(16, 12))
net.add_module("relu3", nn.ReLU())
net.add_module("fc2", nn.Linear(12, classes))
net = net.double().eval()
dead = {"conv1": [0, 5], "conv2": [3, 7, 11], "fc1": [2, 9]}
with torch.no_grad():
    for name, units in dead.items():
        getattr(net, name).bias[units] = -100.0


class LayerOutputs(nn.Module):
    """The same network returning (logits, relu1, relu2, relu3): the TorchScript form of several layers."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        h1 = self.inner.relu1(self.inner.conv1(x))
        h2 = self.inner.relu2(self.inner.conv2(h1))
        h3 = self.inner.relu3(self.inner.fc1(self.inner.flatten(self.inner.pool(h2))))
        return self.inner.fc2(h3), h1, h2, h3


patterns = rng.normal(0.0, 1.0, size=(classes, 1, 6, 6))


def images(count, ood):
    labels = np.arange(count) % classes
    x = patterns[labels] + rng.normal(0.0, 0.7, size=(count, 1, 6, 6))
    if ood:
        x = rng.normal(0.5, 1.6, size=(count, 1, 6, 6))
    return x, labels


train_x, train_y = images(120, False)
val_in_x, _ = images(40, False)
val_out_x, _ = images(40, True)
test_x = np.concatenate([images(15, False)[0], images(15, True)[0]])


def layer_features(x):
    with torch.no_grad():
        logits, h1, h2, h3 = LayerOutputs(net)(torch.from_numpy(x))
    return logits.numpy(), [h1.mean(dim=(2, 3)).numpy(), h2.mean(dim=(2, 3)).numpy(), h3.numpy()]


train_logits, train_f = layer_features(train_x)
fits = []
for f in train_f:
    means = np.stack([f[train_y == c].mean(axis=0) for c in range(classes)])
    centred = f - means[train_y]
    covariance = centred.T @ centred / len(f)
    precision = pinvh(covariance)
    eigenvalues = np.linalg.eigvalsh(covariance)
    rank = int(np.sum(np.abs(eigenvalues) > np.abs(eigenvalues).max() * covariance.shape[0] * np.finfo(np.float64).eps))
    assert rank == np.linalg.matrix_rank(precision)
    fits.append((means, precision, rank))


def layer_scores(x):
    _, features = layer_features(x)
    columns = []
    for f, (means, precision, _) in zip(features, fits):
        d = f[:, None, :] - means[None, :, :]
        columns.append(np.einsum("ncf,fg,ncg->nc", d, precision, d).min(axis=1))
    return np.stack(columns, axis=1)


ranks = np.array([r for _, _, r in fits], dtype=np.float64)
test_scores = layer_scores(test_x)
equal = (test_scores / ranks).mean(axis=1)

# Feature ensemble: LogisticCombiner's definition, solved by Newton's method.
val = np.concatenate([layer_scores(val_in_x), layer_scores(val_out_x)])
ood = np.concatenate([np.zeros(40), np.ones(40)])
means, deviations = val.mean(axis=0), val.std(axis=0)
design = np.hstack([np.ones((len(val), 1)), (val - means) / deviations])
beta = np.zeros(design.shape[1])
penalty = np.diag([0.0] + [l2] * (design.shape[1] - 1))
for _ in range(100):
    p = 1.0 / (1.0 + np.exp(-design @ beta))
    gradient = design.T @ (p - ood) + penalty @ beta
    hessian = design.T @ (design * (p * (1 - p))[:, None]) + penalty
    step = np.linalg.solve(hessian, gradient)
    beta -= step
    if np.abs(step).max() < 1e-15 * (1 + np.abs(beta).max()):
        break
sk = LogisticRegression(C=1.0 / l2, solver="newton-cg", tol=1e-14, max_iter=100000).fit((val - means) / deviations, ood)
sklearn_gap = float(np.abs(np.concatenate([sk.intercept_, sk.coef_[0]]) - beta).max())
assert sklearn_gap < 1e-6, sklearn_gap
ensemble = beta[0] + ((test_scores - means) / deviations) @ beta[1:]

torch.jit.trace(LayerOutputs(net), torch.from_numpy(train_x[:2])).save(os.path.join(here, "multilayer_cnn.pt"))
np.savez(os.path.join(here, "multilayer_mahalanobis.npz"),
         train_inputs=train_x, train_labels=train_y.astype(np.int64), val_in_inputs=val_in_x, val_out_inputs=val_out_x, test_inputs=test_x,
         **{f"train_layer{l}": f for l, f in enumerate(train_f)},
         **{f"test_layer{l}": f for l, f in enumerate(layer_features(test_x)[1])},
         val_layer_scores=val)
versions = {"torch": torch.__version__, "numpy": np.__version__, "scipy": scipy.__version__, "sklearn": sklearn.__version__}
state = {name: value.tolist() for name, value in net.state_dict().items()}
with open(os.path.join(here, "multilayer_mahalanobis.json"), "w") as handle:
    json.dump({
        "versions": versions,
        "l2": l2,
        "ranks": ranks.astype(int).tolist(),
        "dimensions": [f.shape[1] for f in train_f],
        "trainLogits": train_logits.tolist(),
        "testLayerScores": test_scores.tolist(),
        "testEqual": equal.tolist(),
        "ensembleIntercept": beta[0],
        "ensembleWeights": beta[1:].tolist(),
        "ensembleMeans": means.tolist(),
        "ensembleDeviations": deviations.tolist(),
        "testEnsemble": ensemble.tolist(),
        "sklearnGap": sklearn_gap,
        "state": state,
    }, handle, indent=1)
print(versions, "ranks", ranks.astype(int).tolist(), "sklearn gap", sklearn_gap,
      "equal AUROC-ish separation", equal[:15].mean(), equal[15:].mean(), "ensemble", ensemble[:15].mean(), ensemble[15:].mean())
