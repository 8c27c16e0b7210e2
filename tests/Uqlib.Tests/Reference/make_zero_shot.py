"""Golden values for Uqlib.Models.ZeroShotClassifier and Uqlib.Scores.OodScores.MaxConceptMatching, in PyTorch (float64).

Run: /usr/bin/python3 make_zero_shot.py  (writes zero_shot.json beside this script; prints the versions it ran with)

CLIP zero-shot classification (Radford et al. 2021): logits = logit_scale * cos(v, z_c), logit_scale = 100 (tau = 0.01).
A prompt ensemble ("_ENS") averages the L2-normalised prompt embeddings of each class and normalises the mean again.
MCM (Ming et al. 2022, "Delving into out-of-distribution detection with vision-language representations"): the maximum
over concepts of softmax(cos(v, z_c) / tau) with tau = 1; the golden score is 1 - MCM (higher = more OOD).
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20261206)
n, c, prompts, d = 10, 4, 3, 8
images = rng.normal(size=(n, d))
text = rng.normal(size=(c, prompts, d)) + rng.normal(size=(c, 1, d)) * 2.0

v = F.normalize(torch.tensor(images), dim=-1)
z = F.normalize(torch.tensor(text), dim=-1)                       # (C, P, D)
single = z[:, 0, :]                                                # one prompt per class
logits_single = 100.0 * v @ single.T
averaged = F.normalize(z.mean(1), dim=-1)
logits_averaged = 100.0 * v @ averaged.T
logits_prompts = torch.stack([100.0 * v @ z[:, j, :].T for j in range(prompts)])   # (P, N, C)
mcm = torch.softmax(v @ single.T / 1.0, dim=1).max(1).values
mcm_tau = torch.softmax(v @ single.T / 0.5, dim=1).max(1).values

out = {
    "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "torch": torch.__version__},
    "images": images.tolist(), "text": text.tolist(),
    "logitsSingle": logits_single.numpy().tolist(), "logitsAveraged": logits_averaged.numpy().tolist(),
    "logitsPrompts": logits_prompts.numpy().tolist(),
    "mcmScores": (1.0 - mcm).numpy().tolist(), "mcmScoresTau05": (1.0 - mcm_tau).numpy().tolist(),
}
print(out["versions"])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "zero_shot.json"), "w") as handle:
    json.dump(out, handle, indent=1)
