# The format of the golden files (see ops_golden.txt) and the input formula, shared by the
# generators gen_views.py and gen_indexing.py (Debian's python3-torch, /usr/bin/python3).
import math
import torch


def grid(shape, scale=1.0, shift=0.0):
    """sin(1.7 i + 0.3) * scale + shift over the flat index i, in float64."""
    n = 1
    for s in shape:
        n *= s
    v = [math.sin(1.7 * i + 0.3) * scale + shift for i in range(n)]
    return torch.tensor(v, dtype=torch.float64).reshape(shape)


def fmt(vals):
    return " ".join(repr(float(v)) for v in vals)


def emit(name, op, inputs, fn):
    """Prints one case: the inputs ((tensor, requires_grad) pairs), fn's output and, when the
    output has a gradient, gout (0.1, 0.2, ...) and the gradient of each input that requires it."""
    xs = [x.clone().requires_grad_(g) for x, g in inputs]
    y = fn(*xs)
    print("case", name)
    print("op", op)
    for k, x in enumerate(xs):
        print("in%d shape %s : %s" % (k, " ".join(map(str, x.shape)), fmt(x.detach().flatten())))
    print("out shape %s : %s" % (" ".join(map(str, y.shape)), fmt(y.detach().flatten())))
    if y.requires_grad:
        gout = torch.tensor([0.1 * (i + 1) for i in range(y.numel())], dtype=torch.float64).reshape(y.shape)
        y.backward(gout)
        print("gout :", fmt(gout.flatten()))
        for k, x in enumerate(xs):
            if inputs[k][1]:
                print("grad%d :" % k, fmt(x.grad.flatten()))
    print("end")
