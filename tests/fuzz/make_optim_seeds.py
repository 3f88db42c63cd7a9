#!/usr/bin/env python3
"""Writes the seed corpus of the optimizer-state fuzz target in tests/fuzz/corpus/optim_state/:
optimizer files for the three optimizers of optim_state_target.hpp (names starting with the one
they load into) and broken variants (names starting with bad_, which load into none). The
format is optim::save's, in the tensor archive of autograd/serialize.cpp. Run from anywhere."""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "optim_state")
INT64_MAX = 2**63 - 1


def archive(entries, fix_crc=True):
    """entries: (name, kind, shape, values) with kind f (float32), d (float64), q (int64)."""
    codes = {"f": (0, "<f"), "d": (1, "<d"), "q": (2, "<q")}
    body = b"TAPEGRAD" + struct.pack("<IQ", 1, len(entries))
    for name, kind, shape, values in entries:
        code, fmt = codes[kind]
        body += struct.pack("<I", len(name)) + name.encode() + struct.pack("<BI", code, len(shape))
        body += b"".join(struct.pack("<q", s) for s in shape)
        body += b"".join(struct.pack(fmt, v) for v in values)
    crc = zlib.crc32(body) if fix_crc else zlib.crc32(body) ^ 1
    return body + struct.pack("<I", crc)


def put(name, entries, fix_crc=True):
    os.makedirs(ROOT, exist_ok=True)
    with open(os.path.join(ROOT, name), "wb") as f:
        f.write(archive(entries, fix_crc))


def text(name, s):
    return (name, "q", [len(s)], [ord(c) for c in s])


def scalar(name, kind, v):
    return (name, kind, [], [v])


def header(optimizer, groups):
    return [text("optimizer", optimizer), scalar("version", "q", 1), scalar("groups", "q", groups)]


def adam_options(g, lr, amsgrad):
    p = "group%d." % g
    return [scalar(p + "params", "q", 1), scalar(p + "lr", "d", lr), scalar(p + "beta1", "d", 0.9),
            scalar(p + "beta2", "d", 0.999), scalar(p + "eps", "d", 1e-8),
            scalar(p + "weight_decay", "d", 0.0), scalar(p + "amsgrad", "q", int(amsgrad))]


# Adam: group 0 holds a float32 [2, 3], group 1 a float64 [3] with amsgrad
def adam(step=3, lr=0.1, exp_avg_shape=(2, 3), exp_avg_kind="f"):
    n = exp_avg_shape[0] * exp_avg_shape[1]
    return (header("Adam", 2) + adam_options(0, lr, False) + adam_options(1, 0.01, True) + [
        scalar("group0.param0.step", "q", step),
        ("group0.param0.exp_avg", exp_avg_kind, list(exp_avg_shape), [0.1 * i for i in range(n)]),
        ("group0.param0.exp_avg_sq", "f", [2, 3], [0.01 * i for i in range(6)]),
        scalar("group1.param0.step", "q", 2),
        ("group1.param0.exp_avg", "d", [3], [0.5, -0.5, 0.25]),
        ("group1.param0.exp_avg_sq", "d", [3], [0.25, 0.25, 0.0625]),
        ("group1.param0.max_exp_avg_sq", "d", [3], [0.3, 0.25, 0.07]),
    ])


# SGD with momentum over a float32 [2, 3] and a float32 [3]
def sgd():
    return header("SGD", 1) + [
        scalar("group0.params", "q", 2), scalar("group0.lr", "d", 0.1),
        scalar("group0.momentum", "d", 0.9), scalar("group0.dampening", "d", 0.0),
        scalar("group0.weight_decay", "d", 0.0), scalar("group0.nesterov", "q", 0),
        ("group0.param0.momentum_buffer", "f", [2, 3], [1, 2, 3, 4, 5, 6]),
        ("group0.param1.momentum_buffer", "f", [3], [-1, 0, 1]),
    ]


# LBFGS over a float64 [3] and a float64 [2]: flat vectors of 5
def lbfgs(line_search="strong_wolfe", dirs=2, stps=2, ros=2, dirs_size=None):
    p = "group0.param0."
    entries = header("LBFGS", 1) + [
        scalar("group0.params", "q", 2), scalar("group0.lr", "d", 1.0),
        scalar("group0.max_iter", "q", 20), scalar("group0.max_eval", "q", 25),
        scalar("group0.tolerance_grad", "d", 1e-7), scalar("group0.tolerance_change", "d", 1e-9),
        scalar("group0.history_size", "q", 3),
        scalar(p + "func_evals", "q", 7), scalar(p + "n_iter", "q", 5), scalar(p + "t", "d", 1.0),
        scalar(p + "prev_loss", "d", 2.5), (p + "d", "d", [5], [0.1, -0.2, 0.3, -0.4, 0.5]),
        scalar(p + "H_diag", "d", 0.5), (p + "prev_flat_grad", "d", [5], [1, 2, 3, 4, 5]),
    ]
    if line_search:
        entries.append(text("group0.line_search_fn", line_search))
    for name, count, size in (("old_dirs", dirs, dirs_size), ("old_stps", stps, None),
                              ("ro", ros, None)):
        entries.append(scalar(p + name + ".size", "q", count if size is None else size))
        for j in range(count):
            if name == "ro":
                entries.append(scalar(p + "ro.%d" % j, "d", 0.5 + j))
            else:
                entries.append((p + "%s.%d" % (name, j), "d", [5], [j + 0.1 * i for i in range(5)]))
    return entries


def replace(entries, name, new):
    return [new if e[0] == name else e for e in entries]


put("adam", adam())
put("sgd", sgd())
put("lbfgs", lbfgs())
put("lbfgs_no_line_search_empty_history", lbfgs(line_search=None, dirs=0, stps=0, ros=0))
# loads (each list is fine on its own); the next step refuses the history by name
put("lbfgs_lists_disagree", lbfgs(ros=1))

put("bad_adam_as_adamw", replace(adam(), "optimizer", text("optimizer", "AdamW")))
put("bad_duplicate", adam() + [scalar("group0.lr", "d", 0.5)])
put("bad_step_int64_max", adam(step=INT64_MAX))
put("bad_step_negative", adam(step=-1))
put("bad_version_2", replace(adam(), "version", scalar("version", "q", 2)))
put("bad_no_type", [e for e in adam() if e[0] not in ("optimizer", "version")])
put("bad_lr_inf", adam(lr=float("inf")))
put("bad_lr_nan", adam(lr=float("nan")))
put("bad_lr_negative", adam(lr=-0.1))
put("bad_shape", adam(exp_avg_shape=(3, 2)))
put("bad_dtype", adam(exp_avg_kind="d"))
put("bad_extra_entry", sgd() + [("group0.param0.exp_avg", "f", [2, 3], [0] * 6)])
put("bad_missing_entry", [e for e in sgd() if e[0] != "group0.momentum"])
put("bad_type_not_text", replace(sgd(), "optimizer", ("optimizer", "d", [3], [83.0, 71.0, 68.0])))
put("bad_type_unprintable", replace(sgd(), "optimizer", ("optimizer", "q", [3], [83, 0, 68])))
put("bad_line_search", lbfgs(line_search="backtracking"))
put("bad_list_size", lbfgs(dirs_size=5))
put("bad_list_huge", lbfgs(dirs_size=INT64_MAX))
put("bad_flat_length", replace(lbfgs(), "group0.param0.d", ("group0.param0.d", "d", [4], [0] * 4)))
put("bad_history_size_zero", replace(lbfgs(), "group0.history_size",
                                     scalar("group0.history_size", "q", 0)))
put("bad_crc", sgd(), fix_crc=False)
