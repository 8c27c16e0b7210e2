"""A small traced CNN as a TorchScript test fixture, with the logits and features PyTorch computes for fixed inputs.

Run: python3 make_torchscript_fixture.py  (writes tiny_cnn.pt, tiny_cnn_logits_only.pt and tiny_cnn.json beside this script)
"""
import json
import os

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(7)


class TinyCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc1 = nn.Linear(16, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        features = torch.relu(self.fc1(torch.flatten(self.pool(h), 1)))
        return self.fc2(features), features


class LogitsOnly(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


model = TinyCnn().eval()
example = torch.randn(2, 1, 8, 8)
torch.jit.trace(model, example).save(os.path.join(here, "tiny_cnn.pt"))
torch.jit.trace(LogitsOnly(model), example).save(os.path.join(here, "tiny_cnn_logits_only.pt"))

inputs = torch.randn(5, 1, 8, 8)
with torch.no_grad():
    logits, features = model(inputs)
with open(os.path.join(here, "tiny_cnn.json"), "w") as f:
    json.dump({
        "torch": torch.__version__,
        "inputShape": list(inputs.shape),
        "inputs": inputs.flatten().tolist(),
        "logits": logits.tolist(),
        "features": features.tolist(),
    }, f)
