"""Golden values for the detectors that reshape the last layer or need the network: ReAct, ASH-P/-B/-S, DICE, GradNorm and ODIN.

Run: /usr/bin/python3 make_whitebox.py  (writes whitebox.json and whitebox_mlp.pt beside this script; prints the versions it ran with)

Each formula follows the authors' released code (and OpenOOD's postprocessor where the two agree), in float64:
- ReAct (Sun, Guo & Li 2021): c = np.percentile(training activations flattened, 90); score = -logsumexp(W min(x, c) + b).
- ASH (Djurisic et al. 2023, ash.py): k = n - round(n p / 100) largest activations of each row kept (torch.topk);
  ASH-P keeps them, ASH-B sets them to (row sum before pruning) / k, ASH-S keeps them and scales the row by exp(s1 / s2)
  (s1, s2 the row sums before and after pruning); score = -logsumexp(W a(x) + b).
- DICE (Sun & Li 2022): contrib = mean training activation * W; mask = contrib > np.percentile(contrib, 90);
  score = -logsumexp(x (W * mask)^T + b).
- GradNorm (Huang, Geng & Li 2021): the L1 norm of d KL(u || softmax(Wx + b)) / dW for the uniform u, by autograd one sample
  at a time; score = -GradNorm.
- MC dropout (Gal & Ghahramani 2016): torch.manual_seed(0), then 5 passes with only the dropout layer in training mode; the mean
  softmax. Whether libtorch's CPU generator draws the same masks in TorchSharp is what the test finds out.
- ODIN (Liang, Li & Srikant 2018, the authors' code): x' = x - eps * (2 [grad >= 0] - 1) with grad the input gradient of the
  cross-entropy of logits / T at the predicted class; score = -max softmax(f(x') / T); T = 1000, eps = 0.0014.
The network for ODIN is a small MLP with batch norm and dropout in eval mode, saved as a scripted TorchScript file and as JSON
weights so that the C# test builds the same TorchSharp module.
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(20261206)
rng = np.random.default_rng(20261206)
torch.set_default_dtype(torch.float64)

n, f, c = 120, 16, 5
# Post-ReLU-like features without exact zeros or ties: |normal| with a per-unit scale.
train = np.abs(rng.normal(size=(n, f))) * np.linspace(0.5, 2.0, f) + 1e-3
queries = np.concatenate([np.abs(rng.normal(size=(6, f))) * np.linspace(0.5, 2.0, f) + 1e-3,
                          np.abs(rng.normal(size=(4, f))) * 3.0 + 1e-3])
w = rng.normal(size=(c, f)) * 0.5
b = rng.normal(size=c) * 0.1


def energy_score(x):
    return (-torch.logsumexp(torch.from_numpy(x) @ torch.from_numpy(w).T + torch.from_numpy(b), dim=1)).numpy()


# ReAct
react_threshold = float(np.percentile(train.flatten(), 90))
react = energy_score(np.minimum(queries, react_threshold))


# ASH (official ash.py on (B, C, 1, 1), here rows of (N, F))
def ash(x, variant, percentile):
    t = torch.from_numpy(x.copy())
    s1 = t.sum(dim=1)
    n_el = t.shape[1]
    k = n_el - int(np.round(n_el * percentile / 100.0))
    v, i = torch.topk(t, k, dim=1)
    if variant == "B":
        fill = (s1 / k).unsqueeze(1).expand(v.shape)
        return torch.zeros_like(t).scatter_(1, i, fill).numpy()
    pruned = torch.zeros_like(t).scatter_(1, i, v)
    if variant == "P":
        return pruned.numpy()
    s2 = pruned.sum(dim=1)
    return (pruned * torch.exp(s1 / s2)[:, None]).numpy()


ash_scores = {}
for variant, p in (("P", 60), ("B", 65), ("S", 90), ("S", 50)):
    ash_scores[f"{variant}{p}"] = energy_score(ash(queries, variant, p)).tolist()

# DICE
mean_act = train.mean(0)
contrib = mean_act[None, :] * w
dice_threshold = float(np.percentile(contrib, 90))
mask = contrib > dice_threshold
masked_w = w * mask
dice = (-torch.logsumexp(torch.from_numpy(queries) @ torch.from_numpy(masked_w).T + torch.from_numpy(b), dim=1)).numpy()


# GradNorm, by autograd on the last layer
def gradnorm(x, temperature=1.0):
    fc = nn.Linear(f, c)
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(w))
        fc.bias.copy_(torch.from_numpy(b))
    out = []
    for row in torch.from_numpy(x):
        fc.zero_grad()
        logits = fc(row[None]) / temperature
        uniform = torch.full((1, c), 1.0 / c)
        loss = F.kl_div(F.log_softmax(logits, dim=1), uniform, reduction="sum")  # KL(u || softmax)
        loss.backward()
        out.append(-fc.weight.grad.abs().sum().item())
    return out


grad_scores = gradnorm(queries)
grad_scores_t2 = gradnorm(queries, 2.0)


# ODIN on a small network
class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 10)
        self.bn = nn.BatchNorm1d(10)
        self.drop = nn.Dropout(0.5)
        self.fc2 = nn.Linear(10, 4)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.bn(self.fc1(x)))))


net = Mlp()
with torch.no_grad():
    net.bn.running_mean.copy_(torch.randn(10) * 0.3)
    net.bn.running_var.copy_(torch.rand(10) + 0.5)
    net.bn.weight.copy_(torch.rand(10) + 0.5)
    net.bn.bias.copy_(torch.randn(10) * 0.2)
net.eval()
torch.jit.script(net).save(os.path.join(here, "whitebox_mlp.pt"))
inputs = torch.randn(8, 6) * 2.0


def odin(x, temperature, noise):
    x = x.clone().requires_grad_(True)
    outputs = net(x)
    labels = outputs.detach().argmax(1)
    loss = F.cross_entropy(outputs / temperature, labels)
    loss.backward()
    gradient = (torch.ge(x.grad.detach(), 0).double() - 0.5) * 2
    perturbed = torch.add(x.detach(), gradient, alpha=-noise)
    with torch.no_grad():
        scores = -F.softmax(net(perturbed) / temperature, dim=1).max(1)[0]
    return scores.tolist(), perturbed.tolist()


odin_default, perturbed_default = odin(inputs, 1000.0, 0.0014)
odin_strong, _ = odin(inputs, 10.0, 0.05)
odin_plain, _ = odin(inputs, 1.0, 0.0)

# MC dropout (Gal & Ghahramani 2016): K passes with only the dropout layer in training mode, the default generator seeded once.
torch.manual_seed(0)
net.drop.train()
with torch.no_grad():
    passes = torch.stack([F.softmax(net(inputs), dim=1) for _ in range(5)])
net.eval()
mc_mean = passes.mean(0)

state = {name: value.tolist() for name, value in net.state_dict().items() if value.dim() > 0}
out = {
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "torch": torch.__version__},
    "train": train.tolist(), "queries": queries.tolist(), "weight": w.tolist(), "bias": b.tolist(),
    "energy": energy_score(queries).tolist(),
    "reactThreshold": react_threshold, "react": react.tolist(),
    "ash": ash_scores,
    "diceThreshold": dice_threshold, "diceMask": mask.astype(int).tolist(), "dice": dice.tolist(),
    "gradNorm": grad_scores, "gradNormT2": grad_scores_t2,
    "mlp": state, "mlpInputs": inputs.tolist(),
    "mcDropoutMean": mc_mean.tolist(),
    "odin": odin_default, "odinPerturbed": perturbed_default, "odinT10Eps005": odin_strong, "odinT1Eps0": odin_plain,
}
with open(os.path.join(here, "whitebox.json"), "w") as handle:
    json.dump(out, handle, indent=1)
print(json.dumps(out["versions"]))
