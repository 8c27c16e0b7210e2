"""The benchmarks' small CNN on (1 x 28 x 28) images, as tests/Uqlib.Benchmarks/SmallCnn.cs builds it: conv 8 -> pool -> conv 16 -> pool -> linear 10."""
import torch
import torch.nn.functional as F


def small_cnn(seed):
    g = torch.manual_seed(100 + seed)
    w1 = torch.randn(8, 1, 3, 3, generator=g) * 0.3
    w2 = torch.randn(16, 8, 3, 3, generator=g) * 0.1
    w3 = torch.randn(10, 16 * 7 * 7, generator=g) * 0.03

    def forward(x):
        h = F.max_pool2d(F.relu(F.conv2d(x, w1, padding=1)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, w2, padding=1)), 2)
        return F.linear(h.flatten(1), w3)

    return forward
