"""What nibabel reads from the NIfTI file Uqlib writes: the check that a Uqlib map opens aligned in nibabel.

Reference/nifti/uqlib_written.nii is written by Uqlib (NiftiTests.Write_UqlibFile_IsByteIdenticalToTheCommittedFileNibabelRead
checks that Uqlib still writes exactly these bytes): log(1 + |v|) of f32_le.nii's voxels, in f32_le.nii's space.
Run with Debian's python (numpy 1.24.2, nibabel 5.0.0):
    /usr/bin/python3 tests/Uqlib.Imaging.Tests/Reference/make_nifti_written.py
It checks the data against the same map computed in NumPy from nibabel's read of the source, the affine against the
source's, and writes nifti_written.json (data in nibabel's index order, C order, and the affine) for the C# test.
"""
import json
import os

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
source = nib.load(os.path.join(HERE, "nifti", "f32_le.nii"))
written = nib.load(os.path.join(HERE, "nifti", "uqlib_written.nii"))
data = np.asanyarray(written.dataobj)
expected = np.log(np.abs(source.get_fdata(dtype=np.float32)) + np.float32(1))
assert data.dtype == np.float32, data.dtype
assert np.allclose(data, expected, rtol=1e-6, atol=0), np.abs(data - expected).max()
assert np.allclose(written.affine, source.affine, atol=1e-6), written.affine - source.affine
assert written.header["sform_code"] == source.header["sform_code"]
assert nib.aff2axcodes(written.affine) == nib.aff2axcodes(source.affine)
with open(os.path.join(HERE, "nifti_written.json"), "w") as f:
    json.dump({"generator": f"nibabel {nib.__version__}, numpy {np.__version__}",
               "data": data.astype(np.float64).ravel(order="C").tolist(),
               "affine": written.affine.tolist()}, f)
print("nibabel reads uqlib_written.nii aligned with its source:", "".join(nib.aff2axcodes(written.affine)))
