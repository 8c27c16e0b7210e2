"""ONNX test fixtures exported from the very TorchScript fixture of Uqlib.Tests (same network, same weights).

Run: python3 make_onnx_fixture.py  (reads ../../Uqlib.Tests/Reference/tiny_cnn.pt and tiny_cnn.json; writes beside this script)
  tiny_cnn.onnx              input "image" (N, 1, 8, 8) float32, dynamic batch; outputs "logits" (N, 3), "features" (N, 8)
  tiny_cnn_logits_only.onnx  the same with a single output "scores", batch fixed at 2 (adapters must chunk)
  tiny_cnn_float16.onnx      input "image" float16, cast to float32 inside; outputs "logits", "features"
  tiny_cnn_two_inputs.onnx   two inputs ("image", "mask"): the adapter must ask which one to feed
  tiny_cnn_onnx.json         the logits and features PyTorch computes for the inputs of tiny_cnn.json (and for them in float16)
"""
import json
import os

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
reference = os.path.join(here, "..", "..", "Uqlib.Tests", "Reference")
traced = torch.jit.load(os.path.join(reference, "tiny_cnn.pt")).eval()


class TinyCnn(nn.Module):
    """The network of make_torchscript_fixture.py; its weights are loaded from the traced file, not re-drawn."""

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


model = TinyCnn().eval()
model.load_state_dict(traced.state_dict())
with open(os.path.join(reference, "tiny_cnn.json")) as f:
    golden = json.load(f)
inputs = torch.tensor(golden["inputs"], dtype=torch.float32).reshape(golden["inputShape"])
with torch.no_grad():
    assert torch.equal(model(inputs)[0], traced(inputs)[0]), "the rebuilt network must match the TorchScript fixture"


class LogitsOnly(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


class HalfInput(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.float())


class TwoInputs(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x, mask):
        return self.inner(x * mask)


def export(module, example, name, input_names, output_names, dynamic=True):
    axes = {n: {0: "batch"} for n in input_names + output_names} if dynamic else None
    torch.onnx.export(module, example, os.path.join(here, name), input_names=input_names,
                      output_names=output_names, dynamic_axes=axes, opset_version=13, do_constant_folding=True)


example = torch.randn(2, 1, 8, 8)
export(model, (example,), "tiny_cnn.onnx", ["image"], ["logits", "features"])
export(LogitsOnly(model), (example,), "tiny_cnn_logits_only.onnx", ["image"], ["scores"], dynamic=False)
export(HalfInput(model), (example.half(),), "tiny_cnn_float16.onnx", ["image"], ["logits", "features"])
export(TwoInputs(model), (example, torch.ones_like(example)), "tiny_cnn_two_inputs.onnx", ["image", "mask"], ["logits", "features"])

with torch.no_grad():
    logits, features = model(inputs)
    half_logits, half_features = HalfInput(model)(inputs.half())
with open(os.path.join(here, "tiny_cnn_onnx.json"), "w") as f:
    json.dump({
        "torch": torch.__version__,
        "inputShape": list(inputs.shape),
        "inputs": inputs.flatten().tolist(),
        "logits": logits.tolist(),
        "features": features.tolist(),
        "float16Logits": half_logits.tolist(),
        "float16Features": half_features.tolist(),
    }, f)
