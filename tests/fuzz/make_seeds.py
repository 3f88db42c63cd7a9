#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/: tiny valid files and a few broken
ones. Run from anywhere; the fuzzers add their own finds to copies, never to these."""
import gzip
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def idx(type_code, dims, payload):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


labels = idx(0x08, [3], bytes([1, 2, 9]))
put("idx", "labels_3", labels)
put("idx", "labels_3.gz", gzip.compress(labels, mtime=0))
put("idx", "images_2x2x2", idx(0x08, [2, 2, 2], bytes(range(0, 256, 32))))
put("idx", "signed_bytes", idx(0x09, [2], bytes([0x80, 0x7F])))
put("idx", "shorts", idx(0x0B, [2], struct.pack(">hh", -2, 300)))
put("idx", "ints", idx(0x0C, [1, 1], struct.pack(">i", -70000)))
put("idx", "floats", idx(0x0D, [1, 2], struct.pack(">ff", 0.5, -1.25)))
put("idx", "doubles", idx(0x0E, [1], struct.pack(">d", 3.5)))
put("idx", "empty_images", idx(0x08, [0, 28, 28], b""))
put("idx", "bad_truncated", idx(0x08, [4], bytes([1, 2])))
put("idx", "bad_trailing", idx(0x08, [1], bytes([1, 2])))
put("idx", "bad_magic", bytes([1, 2, 3, 4, 0, 0, 0, 1, 5]))
put("idx", "bad_type", bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]))
put("idx", "bad_zero_dims", bytes([0, 0, 0x08, 0]))
put("idx", "bad_gzip_cut", gzip.compress(labels, mtime=0)[:-6])

put("csv", "header", "x1,x2,label\n0.5,1.5,0\n-2,3e2,1\n")
put("csv", "no_header_semicolon", "0;1;2\n3;+4;5.5\n")
put("csv", "float_labels", "a,b\n1,0.25\n2,-1e-3\n")
put("csv", "crlf_quoted_blank", "\"a\" , \"b\"\r\n\r\n \"1\" ,\t2 \r\n")
put("csv", "bad_field", "a,b\n1,x\n")
put("csv", "bad_short_row", "a,b,c\n1,2,3\n4,5\n")
put("csv", "bad_out_of_range", "a,b\n1e50,1\n")
put("csv", "bad_one_column", "a\n1\n")
put("csv", "bad_header_only", "a,b\n")


def archive(tensors, version=1, fix_crc=True):
    codes = {"f": (0, "<f"), "d": (1, "<d"), "q": (2, "<q"), "i": (3, "<i"), "h": (4, "<h"),
             "b": (5, "<b"), "B": (6, "<B"), "?": (7, "<?")}
    body = b"TAPEGRAD" + struct.pack("<IQ", version, len(tensors))
    for name, kind, shape, values in tensors:
        code, fmt = codes[kind]
        body += struct.pack("<I", len(name)) + name.encode() + struct.pack("<BI", code, len(shape))
        body += b"".join(struct.pack("<q", s) for s in shape)
        body += b"".join(struct.pack(fmt, v) for v in values)
    crc = zlib.crc32(body) if fix_crc else zlib.crc32(body) ^ 1
    return body + struct.pack("<I", crc)


# the fuzz target's model: Sequential(Linear(3, 2), ReLU(), Linear(2, 1))
def model(kind="f", w0_shape=(2, 3)):
    return [("0.weight", kind, list(w0_shape), [0.1, -0.2, 0.3, 0.4, -0.5, 0.6]),
            ("0.bias", kind, [2], [0.01, -0.02]),
            ("2.weight", kind, [1, 2], [1.5, -1.5]),
            ("2.bias", kind, [1], [0.25])]


put("checkpoint", "model", archive(model()))
put("checkpoint", "model_float64", archive(model("d")))
put("checkpoint", "empty", archive([]))
put("checkpoint", "scalar_and_int64", archive([("step", "q", [], [7]), ("lr", "d", [], [0.1])]))
put("checkpoint", "bad_wrong_shape", archive(model(w0_shape=(3, 2))))
put("checkpoint", "bad_missing", archive(model()[:2]))
put("checkpoint", "bad_duplicate", archive(model() + model()[:1]))
put("checkpoint", "bad_crc", archive(model(), fix_crc=False))
put("checkpoint", "bad_version", archive(model(), version=2))
put("checkpoint", "bad_truncated", archive(model())[:40])
put("checkpoint", "bad_magic", b"TAPEGRAF" + archive(model())[8:])


# fuzz_archive_header: archives without their last 4 bytes; the target appends the right CRC-32,
# so each seed reaches the header checks. "bad_" seeds must be refused, the others load.
def header(tensors, version=1, count=None):
    body = archive(tensors, version)[:-4]
    if count is not None:
        body = body[:12] + struct.pack("<Q", count) + body[20:]
    return body


def record(name, code, ndim, sizes, data=b""):
    return (struct.pack("<I", len(name)) + name + struct.pack("<BI", code, ndim)
            + b"".join(struct.pack("<q", s) for s in sizes) + data)


def raw(*records, count=None):
    return b"TAPEGRAD" + struct.pack("<IQ", 1, len(records) if count is None else count) + b"".join(records)


put("archive_header", "model", header(model()))
put("archive_header", "empty", header([]))
put("archive_header", "scalar_and_int64", header([("step", "q", [], [7]), ("lr", "d", [], [0.1])]))
put("archive_header", "zero_elements", header([("none", "f", [0, 3], []), ("", "d", [2, 0, 5], [])]))
put("archive_header", "long_name", header([("n" * 300, "f", [1, 1, 1, 1], [2.5])]))
put("archive_header", "bad_magic", b"TAPEGRAF" + header(model())[8:])
put("archive_header", "bad_version", header(model(), version=2))
put("archive_header", "bad_short", b"TAPEGRAD\x01\x00\x00\x00")
put("archive_header", "bad_count_huge", header(model(), count=2**64 - 1))
put("archive_header", "bad_name_huge", raw(struct.pack("<I", 2**32 - 1) + b"w"))
put("archive_header", "all_dtypes", header([("f", "f", [1], [1.5]), ("d", "d", [1], [-2.5]),
                                            ("q", "q", [1], [-(2**62)]), ("i", "i", [2], [-7, 70000]),
                                            ("h", "h", [1], [-300]), ("b", "b", [1], [-128]),
                                            ("B", "B", [1], [255]), ("?", "?", [2, 1], [True, False])]))
put("archive_header", "bad_dtype", raw(record(b"w", 8, 1, [1], b"\0" * 8)))
put("archive_header", "bad_bool_byte", raw(record(b"m", 7, 1, [2], b"\1\2")))
put("archive_header", "bad_rank", raw(record(b"w", 0, 65, [1] * 65, b"\0" * 4)))
put("archive_header", "bad_negative_size", raw(record(b"w", 0, 2, [2, -1])))
put("archive_header", "bad_size_overflow", raw(record(b"w", 1, 3, [2**31, 2**31, 4])))
put("archive_header", "bad_zero_then_huge", raw(record(b"w", 0, 3, [0, 2**62, 4])))
put("archive_header", "bad_data_short", raw(record(b"w", 0, 1, [1000], b"\0" * 8)))
put("archive_header", "bad_trailing", header(model()) + b"\0\0\0")
