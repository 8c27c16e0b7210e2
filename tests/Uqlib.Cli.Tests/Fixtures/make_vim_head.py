"""A seeded last layer (weight (3, 8), bias (3)) for ViM over the committed training features, for .ci/slurm's ViM passes.

Run: /usr/bin/python3 make_vim_head.py  (writes vim_weight.npy and vim_bias.npy beside this script; prints the numpy version:
the committed files were written with numpy 1.24.2)
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2022)
weight = rng.normal(0.0, 1.0, size=(3, 8)).astype(np.float32)
bias = rng.normal(0.0, 1.0, size=3).astype(np.float32)
np.save(os.path.join(here, "vim_weight.npy"), weight)
np.save(os.path.join(here, "vim_bias.npy"), bias)
print("numpy", np.__version__)
