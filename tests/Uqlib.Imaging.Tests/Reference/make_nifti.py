"""Golden NIfTI fixtures for Uqlib.Imaging's NIfTI reader, written by nibabel.

Run with Debian's python (numpy 1.24.2, nibabel 5.0.0):
    /usr/bin/python3 tests/Uqlib.Imaging.Tests/Reference/make_nifti.py
It writes small volumes under Reference/nifti/ in every supported flavour (NIfTI-1 and -2, .nii, .nii.gz, .hdr/.img,
little and big endian, each data type, scaling, sform/qform/neither, 3-D and 4-D) and, for each, what nibabel reads
back: shape, the best affine (nibabel's get_best_affine rules), zooms, axis codes, the data as float64 in nibabel's
index order (C order of the returned array), and the closest-canonical (RAS) data and affine.
"""
import gzip
import json
import os

import nibabel as nib
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "nifti")


def oblique_affine():
    # A rotation about z by 30 degrees, voxel sizes 0.7 / 0.9 / 2.5 and an LPS-like flip, with an offset.
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    flip = np.diag([-1.0, -1.0, 1.0])
    aff = np.eye(4)
    aff[:3, :3] = flip @ rot @ np.diag([0.7, 0.9, 2.5])
    aff[:3, 3] = [12.5, -30.25, 7.0]
    return aff


def permuted_affine():
    # Voxel axes stored as (S, A, L): i -> superior, j -> anterior, k -> left (a sagittal acquisition).
    aff = np.zeros((4, 4))
    aff[2, 0] = 1.5
    aff[1, 1] = 0.8
    aff[0, 2] = -0.6
    aff[:3, 3] = [40.0, -20.0, -15.0]
    aff[3, 3] = 1.0
    return aff


def data(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return (rng.standard_normal(shape) * 100).astype(dtype)
    info = np.iinfo(dtype)
    lo, hi = max(info.min, -30000), min(info.max, 60000)
    arr = rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    arr.flat[0] = info.min
    arr.flat[-1] = info.max
    return arr


def describe(img):
    arr = np.asanyarray(img.dataobj)
    if arr.dtype.names:  # RGB24 comes back as a structured array
        arr = np.stack([arr[n] for n in arr.dtype.names], axis=-1)
        values = arr.astype(np.float64)
    else:
        values = img.get_fdata(dtype=np.float64)
    canon = nib.as_closest_canonical(img)
    carr = np.asanyarray(canon.dataobj)
    if carr.dtype.names:
        carr = np.stack([carr[n] for n in carr.dtype.names], axis=-1).astype(np.float64)
    else:
        carr = canon.get_fdata(dtype=np.float64)
    return {
        "shape": list(values.shape),
        "affine": img.affine.tolist(),
        "zooms": [float(z) for z in img.header.get_zooms()],
        "axcodes": "".join(nib.aff2axcodes(img.affine)),
        "data": values.ravel(order="C").tolist(),
        "canonical_shape": list(carr.shape),
        "canonical_affine": canon.affine.tolist(),
        "canonical_data": carr.ravel(order="C").tolist(),
        "sform_code": int(img.header["sform_code"]),
        "qform_code": int(img.header["qform_code"]),
    }


def save(img, name):
    path = os.path.join(OUT, name)
    nib.save(img, path)
    return nib.load(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    cases = {}

    def add(name, img):
        cases[name] = describe(save(img, name))

    shape = (5, 4, 3)
    # Every data type, little endian, .nii, sform only (code 2 = aligned).
    for tag, dtype, seed in [("u8", np.uint8, 1), ("i8", np.int8, 2), ("i16", np.int16, 3), ("u16", np.uint16, 4),
                             ("i32", np.int32, 5), ("f32", np.float32, 6), ("f64", np.float64, 7)]:
        img = nib.Nifti1Image(data(shape, dtype, seed), oblique_affine())
        img.set_sform(oblique_affine(), code=2)
        img.set_qform(None, code=0)
        add(f"{tag}_le.nii", img)

    # Big endian int16 and float32.
    for tag, dtype, seed in [("i16", ">i2", 8), ("f32", ">f4", 9)]:
        hdr = nib.Nifti1Header(endianness=">")
        img = nib.Nifti1Image(data(shape, np.dtype(dtype).newbyteorder("=").type, seed).astype(dtype), permuted_affine(),
                              header=hdr)
        add(f"{tag}_be.nii", img)

    # Compressed, 4-D, qform only (code 1 = scanner).
    img = nib.Nifti1Image(data((4, 3, 2, 3), np.int16, 10), None)
    img.set_qform(oblique_affine(), code=1)
    img.set_sform(None, code=0)
    add("i16_4d_qform.nii.gz", img)

    # Neither sform nor qform: nibabel's base affine (centre of the image, x flipped).
    img = nib.Nifti1Image(data(shape, np.float32, 11), None)
    img.header.set_zooms((1.25, 0.5, 3.0))
    img.set_qform(None, code=0)
    img.set_sform(None, code=0)
    add("f32_noxform.nii", img)

    # Scaling: slope and intercept on int16, and slope 0 meaning none.
    img = nib.Nifti1Image(data(shape, np.int16, 12), permuted_affine())
    img.header.set_slope_inter(0.5, -100.0)
    add("i16_scaled.nii", img)
    img = nib.Nifti1Image(data(shape, np.int16, 13), permuted_affine())
    img.header.set_slope_inter(0.37, 12.25)
    add("i16_scaled_odd.nii", img)
    img = nib.Nifti1Image(data(shape, np.uint8, 14), permuted_affine())
    add("u8_slope0.nii", img)
    raw = bytearray(open(os.path.join(OUT, "u8_slope0.nii"), "rb").read())
    raw[112:116] = np.float32(0).tobytes()   # scl_slope = 0: no scaling
    raw[116:120] = np.float32(5).tobytes()   # scl_inter ignored when the slope is 0
    open(os.path.join(OUT, "u8_slope0.nii"), "wb").write(bytes(raw))
    cases["u8_slope0.nii"] = describe(nib.load(os.path.join(OUT, "u8_slope0.nii")))

    # RGB24.
    rgb = data(shape + (3,), np.uint8, 15)
    structured = np.zeros(shape, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    structured["R"], structured["G"], structured["B"] = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    add("rgb24.nii", nib.Nifti1Image(structured, oblique_affine()))

    # Header/image pair.
    add("f32_pair.img", nib.Nifti1Pair(data(shape, np.float32, 16), permuted_affine()))
    cases["f32_pair.hdr"] = cases.pop("f32_pair.img")

    # NIfTI-2: little endian .nii, big endian .nii.gz.
    add("f64_n2.nii", nib.Nifti2Image(data(shape, np.float64, 17), oblique_affine()))
    hdr = nib.Nifti2Header(endianness=">")
    add("i32_n2_be.nii.gz", nib.Nifti2Image(data(shape, np.int32, 18).astype(">i4"), permuted_affine(), header=hdr))

    # A 2-D image (dim[0] = 2).
    add("f32_2d.nii", nib.Nifti1Image(data((6, 5), np.float32, 19), np.diag([0.5, 0.5, 1.0, 1.0])))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump({"generator": f"nibabel {nib.__version__}, numpy {np.__version__}", "cases": cases}, f)
    print("wrote", len(cases), "cases with nibabel", nib.__version__, "numpy", np.__version__)


if __name__ == "__main__":
    main()
