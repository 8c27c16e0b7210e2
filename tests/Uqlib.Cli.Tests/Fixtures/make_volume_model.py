"""A tiny traced 3-D CNN classifier as a TorchScript fixture for `uqlib infer` over NIfTI volumes.

Run: /usr/bin/python3 make_volume_model.py  (writes tiny_cnn3d.pt beside this script; prints the torch version it ran with)
Input (N, 1, X, Y, Z) float32, any spatial size; returns (logits (N, 3), features (N, 8)).
"""
import os

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(17)


class TinyCnn3d(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv3d(1, 4, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool3d(2)
        self.fc1 = nn.Linear(32, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        h = torch.relu(self.conv(x))
        features = torch.relu(self.fc1(torch.flatten(self.pool(h), 1)))
        return self.fc2(features), features


model = TinyCnn3d().eval()
torch.jit.trace(model, torch.randn(2, 1, 6, 5, 4)).save(os.path.join(here, "tiny_cnn3d.pt"))
print("torch", torch.__version__)
