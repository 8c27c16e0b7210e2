"""Golden .npy/.npz files for Uqlib.Interop, written by NumPy itself, and hostile files that must be refused.

Run: /usr/bin/python3 make_npy.py  (writes npy/ and npy.json beside this script; prints the versions it ran with)
Ran with: Python 3.11.2, NumPy 1.24.2 (the .npy header layout, its padding to 64 bytes and the 21 spare spaces
after the dict, is NumPy's for every version since 1.24; the byte-identity tests compare against these files).

npy.json lists every readable file with its shape, the dtype Uqlib returns and its values in C order; hostile files are
listed with a fragment the error message must contain. If npy/written_by_uqlib*.npz exist (the tests write them to
their output folder; copy them here), they are read back with NumPy and checked, proving C# -> file -> NumPy.
"""
import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
from numpy.lib import format as npformat

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "npy")
os.makedirs(out, exist_ok=True)
print(f"Python {sys.version.split()[0]}, NumPy {np.__version__}")

readable = []
hostile = []

# Uqlib's dtype for each NumPy one: uint16/uint32/uint64 are widened to the smallest signed type that holds every value.
uqlib_dtype = {
    "bool": "Bool", "int8": "Int8", "int16": "Int16", "int32": "Int32", "int64": "Int64",
    "uint8": "Byte", "uint16": "Int32", "uint32": "Int64", "uint64": "Int64",
    "float16": "Float16", "float32": "Float32", "float64": "Float64",
}


def values_of(dtype):
    """Six values per dtype, including each type's extremes (uint64 stays below 2**63 so that int64 holds it)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.array([True, False, True, True, False, False])
    if dt.kind in "iu":
        info = np.iinfo(dt)
        high = min(int(info.max), 2**63 - 1)
        return np.array([int(info.min), 0, 1, 7, high - 1, high], dtype=dt)
    if dt == np.float16:
        return np.array([-65504.0, -1.5, 0.0, 2.0**-24, 0.333251953125, 65504.0], dtype=dt)
    info = np.finfo(dt)
    return np.array([float(info.min), -1.5, 0.0, float(info.tiny), 1.0 / 3.0, float(info.max)], dtype=dt)


def record(name, array, **extra):
    flat = np.ascontiguousarray(array).reshape(-1)
    if flat.dtype.kind == "b":
        values = [bool(v) for v in flat]
    elif flat.dtype.kind in "iu":
        values = [int(v) for v in flat]
    else:
        values = [float(v) for v in flat]
    entry = {"file": name, "shape": list(array.shape), "dtype": uqlib_dtype[array.dtype.name], "values": values}
    entry.update(extra)
    readable.append(entry)


def save(name, array, version=None):
    with open(os.path.join(out, name), "wb") as f:
        npformat.write_array(f, array, version=version, allow_pickle=False)


# Every dtype, both byte orders, shape (2, 3), format 1.0 (what np.save writes). "identical": Uqlib writing the values read
# back must give these exact bytes (little-endian, C order, a dtype TorchSharp holds).
for dtype in uqlib_dtype:
    base = values_of(dtype).reshape(2, 3)
    orders = ["|"] if base.dtype.itemsize == 1 else ["<", ">"]
    for order in orders:
        array = base.astype(base.dtype.newbyteorder(order)) if order != "|" else base
        name = f"{dtype}_{'le' if order in '<|' else 'be'}.npy"
        np.save(os.path.join(out, name), array)
        record(name, base, identical=order in "<|" and dtype not in ("uint16", "uint32", "uint64"))

# Fortran order (rank 3), C order views, format versions 2.0 and 3.0, scalars, empty and 1-D arrays.
cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4) * 0.5 - 3.0
np.save(os.path.join(out, "float32_fortran.npy"), np.asfortranarray(cube))
record("float32_fortran.npy", cube)
cube16 = (np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 12) * 1000
np.save(os.path.join(out, "int16_be_fortran.npy"), np.asfortranarray(cube16.astype(">i2")))
record("int16_be_fortran.npy", cube16)
matrix = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
save("float64_v2.npy", matrix, version=(2, 0))
record("float64_v2.npy", matrix, identical=False)
save("float64_v3.npy", matrix, version=(3, 0))
record("float64_v3.npy", matrix, identical=False)
np.save(os.path.join(out, "scalar_float64.npy"), np.float64(2.5))
record("scalar_float64.npy", np.array(2.5), identical=True)
np.save(os.path.join(out, "empty_float32.npy"), np.zeros((0, 3), dtype=np.float32))
record("empty_float32.npy", np.zeros((0, 3), dtype=np.float32), identical=True)
np.save(os.path.join(out, "vector_int64.npy"), np.arange(5, dtype=np.int64) - 2)
record("vector_int64.npy", np.arange(5, dtype=np.int64) - 2, identical=True)
wide = np.arange(1, 1 + 2 * 3 * 4 * 5 * 6, dtype=np.float32).reshape(2, 3, 4, 5, 6)
np.save(os.path.join(out, "rank5_float32.npy"), wide)
record("rank5_float32.npy", wide, identical=True)

# Archives: np.savez (stored) and np.savez_compressed (deflated).
logits = np.linspace(-4.0, 4.0, 15, dtype=np.float32).reshape(5, 3)
labels = np.array([0, 2, 1, 1, 0], dtype=np.int64)
mask = np.array([True, False, True, False, True])
np.savez(os.path.join(out, "outputs_stored.npz"), logits=logits, labels=labels, mask=mask)
np.savez_compressed(os.path.join(out, "outputs_deflated.npz"), logits=logits, labels=labels, mask=mask)
archives = {
    "members": ["logits", "labels", "mask"],
    "logits": [float(v) for v in logits.reshape(-1)],
    "labels": [int(v) for v in labels],
    "mask": [bool(v) for v in mask],
}


def raw_npy(header_text, data=b"", version=(1, 0), magic=b"\x93NUMPY"):
    """A .npy file with an arbitrary header dict text (padded like NumPy's) and data."""
    header = header_text.encode("latin1")
    fmt = "<H" if version == (1, 0) else "<I"
    total = len(magic) + 2 + struct.calcsize(fmt) + len(header) + 1
    header += b" " * ((64 - total % 64) % 64) + b"\n"
    return magic + bytes(version) + struct.pack(fmt, len(header)) + header + data


def hostile_file(name, content, expect):
    with open(os.path.join(out, name), "wb") as f:
        f.write(content)
    hostile.append({"file": name, "expect": expect})


good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
six = np.arange(6, dtype="<f4").tobytes()
hostile_file("bad_magic.npy", raw_npy(good, six, magic=b"\x93NUMPZ"), "not a .npy file")
hostile_file("bad_version.npy", raw_npy(good, six, version=(4, 0)), "format version 4.0")
hostile_file("truncated_data.npy", raw_npy(good, six[:-5]), "truncated")
hostile_file("truncated_header.npy", raw_npy(good, six)[:30], "truncated")
hostile_file("extra_data.npy", raw_npy(good, six + b"\0" * 8), "more data")
hostile_file("shape_too_large.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", six),
             "1000000000000 elements")
hostile_file("shape_overflow.npy",
             raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", six),
             "too many elements")
hostile_file("negative_dimension.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", six), "shape")
hostile_file("missing_key.npy", raw_npy("{'descr': '<f4', 'shape': (2, 3), }", six), "fortran_order")
hostile_file("extra_key.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1, }", six), "'x'")
hostile_file("not_a_dict.npy", raw_npy("[1, 2, 3]", six), "header")
hostile_file("unparseable.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", six), "header")
hostile_file("fortran_not_bool.npy", raw_npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", six), "fortran_order")
hostile_file("shape_not_tuple.npy", raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': 6, }", six), "shape")
hostile_file("structured.npy", raw_npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }", six), "structured")
hostile_file("unicode_dtype.npy", raw_npy("{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", b"\0" * 24), "<U3")
hostile_file("huge_header.npy", raw_npy(good[:-1] + " " * 20000 + "}", six, version=(2, 0)), "header of 20")
buffer = io.BytesIO()
np.save(buffer, np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
hostile_file("object.npy", buffer.getvalue(), "object")

buffer = io.BytesIO()
np.save(buffer, np.array([2**63 + 5, 1], dtype=np.uint64))
hostile_file("uint64_above_int64.npy", buffer.getvalue(), "uint64")


def zip_of(name, members, method):
    path = os.path.join(out, name)
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for member, content in members.items():
            z.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), content, compress_type=method)
    return path


def array_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


zip_of("bad_member.npz", {"logits.npy": array_bytes(logits), "labels.npy": raw_npy(good, six[:-4])}, zipfile.ZIP_STORED)
hostile.append({"file": "bad_member.npz", "expect": "labels.npy"})
zip_of("not_npy_member.npz", {"logits.npy": array_bytes(logits), "notes.txt": b"hello"}, zipfile.ZIP_DEFLATED)
hostile.append({"file": "not_npy_member.npz", "expect": "notes.txt"})
# A zip bomb: 64 MiB of zeros deflate to ~64 KiB; the member's header claims 10^12 elements, far more than the member holds.
bomb = raw_npy("{'descr': '|u1', 'fortran_order': False, 'shape': (1000000000000,), }") + bytes(64 * 1024 * 1024)
zip_of("bomb.npz", {"x.npy": bomb}, zipfile.ZIP_DEFLATED)
hostile.append({"file": "bomb.npz", "expect": "1000000000000 elements"})
# A member whose zip headers understate its size: it would inflate to 4096 bytes more than the archive declares.
lying = os.path.join(out, "lying_size.npz")
small = array_bytes(np.zeros(4, dtype=np.uint8))
big = array_bytes(np.zeros(4, dtype=np.uint8)) + bytes(4096)
zip_of("lying_size.npz", {"x.npy": big}, zipfile.ZIP_DEFLATED)
with open(lying, "r+b") as f:
    data = bytearray(f.read())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        struct.pack_into("<I", data, at + offset, len(small))
    f.seek(0)
    f.write(data)
# Not refused: the zip reader never inflates past the declared size, so it yields the 4 declared elements and memory stays bounded.
hostile_file("not_a_zip.npz", b"this is not a zip archive at all", "not a .npz")

with open(os.path.join(here, "npy.json"), "w") as f:
    json.dump({"numpy": np.__version__, "readable": readable, "archives": archives, "hostile": hostile}, f, indent=1)

# C# -> file -> NumPy: archives the tests wrote (copied here by hand after a test run) must load with NumPy as written.
for name in ("written_by_uqlib_stored.npz", "written_by_uqlib_deflated.npz"):
    path = os.path.join(out, name)
    if os.path.exists(path):
        with np.load(path, allow_pickle=False) as z:
            assert list(z.keys()) == ["logits", "labels", "mask"], list(z.keys())
            assert z["logits"].dtype == np.float32 and np.array_equal(z["logits"], logits)
            assert z["labels"].dtype == np.int64 and np.array_equal(z["labels"], labels)
            assert z["mask"].dtype == np.bool_ and np.array_equal(z["mask"], mask)
        method = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}
        with zipfile.ZipFile(path) as z:
            methods = {method[i.compress_type] for i in z.infolist()}
            assert methods == {name.split("_")[-1][:-4]}, methods
        print(f"{name}: NumPy reads it back exactly ({methods.pop()})")
print(f"{len(readable)} readable files, {len(hostile)} hostile files")
