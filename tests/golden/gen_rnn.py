# Writes tests/golden/rnn_golden.txt: outputs and gradients of LibTorch 1.13's recurrent cells
# and layers and of the packing utilities, in float64, on fixed weights. To regenerate (Debian's
# python3-torch):
#   /usr/bin/python3 tests/golden/gen_rnn.py > tests/golden/rnn_golden.txt
#
# Format of golden_format.py. Each case's inputs are: in0 the input, then h0 (and c0 for LSTM)
# when the op line says so, then the module's parameters in named_parameters() order. Input k is
# grid(shape, 0.5, 0.05 k) (the weights) or grid(shape) (input and states). The output is every
# result flattened and concatenated: output, h_n (and c_n), as the op line lists them.
import torch
from torch.nn.utils import rnn as rnn_utils

from golden_format import fmt, grid


def emit_module(name, describe, module, leaves, call):
    """Prints one case: leaves (input and states), then the module's parameters, as inputs;
    call(*leaves) flattened and concatenated as the output; the gradient of every input."""
    names = [n for n, _ in module.named_parameters()]
    params = [p for _, p in module.named_parameters()]
    with torch.no_grad():
        for k, p in enumerate(params):
            p.copy_(grid(p.shape, 0.5, 0.05 * k))
    xs = [x.clone().requires_grad_(True) for x in leaves]
    y = torch.cat([o.flatten() for o in flatten(call(*xs))])
    print("case", name)
    print("op", describe + "; parameters " + " ".join(names))
    for k, x in enumerate(xs + params):
        print("in%d shape %s : %s" % (k, " ".join(map(str, x.shape)), fmt(x.detach().flatten())))
    print("out shape %s : %s" % (" ".join(map(str, y.shape)), fmt(y.detach().flatten())))
    gout = torch.tensor([0.1 * (i + 1) for i in range(y.numel())], dtype=torch.float64)
    y.backward(gout)
    print("gout :", fmt(gout))
    for k, x in enumerate(xs + params):
        print("grad%d :" % k, fmt(x.grad.flatten()))
    print("end")


def case(name, module, x_shape, states, forward, describe):
    """states: shapes of the given initial states (h0, c0), in that order."""
    module = module.double()
    leaves = [grid(x_shape)] + [grid(s, 0.7, 0.1) for s in states]
    emit_module(name, describe, module, leaves, lambda x, *st: module(x, *forward(st)))


def flatten(outs):
    if isinstance(outs, torch.Tensor):
        return [outs]
    result = []
    for o in outs:
        result += flatten(o)
    return result


def no_state(states):
    return ()


def one_state(states):
    return (states[0],)


def lstm_state(states):
    return ((states[0], states[1]),)


def packed_case(name, module, lengths, enforce_sorted, lstm, describe):
    """Padded input [T, B, I] packed with `lengths`, through the layer, then padded again."""
    module = module.double()
    T, B = max(lengths), len(lengths)
    D = 2 if module.bidirectional else 1
    state = [(module.num_layers * D, B, module.hidden_size)] * (2 if lstm else 1)
    leaves = [grid((T, B, module.input_size))] + [grid(s, 0.7, 0.1) for s in state]

    def call(x, *st):
        packed = rnn_utils.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=enforce_sorted)
        out, hn = module(packed, (st[0], st[1]) if lstm else st[0])
        padded, _ = rnn_utils.pad_packed_sequence(out)
        return [padded, hn]

    emit_module(name, describe, module, leaves, call)


def main():
    print("# Recurrent cells, layers and packing from LibTorch %s in float64, written by" % torch.__version__)
    print("# tests/golden/gen_rnn.py (input order and output layout there).")
    nn = torch.nn
    case("rnn_cell_tanh", nn.RNNCell(4, 5), (3, 4), [(3, 5)], one_state,
         "RNNCell(4, 5)(x [3, 4], h0) -> h")
    case("rnn_cell_relu", nn.RNNCell(4, 5, nonlinearity="relu"), (3, 4), [(3, 5)], one_state,
         "RNNCell(4, 5, relu)(x [3, 4], h0) -> h")
    case("lstm_cell", nn.LSTMCell(4, 5), (3, 4), [(3, 5), (3, 5)], lstm_state,
         "LSTMCell(4, 5)(x [3, 4], (h0, c0)) -> h, c")
    case("gru_cell", nn.GRUCell(4, 5), (3, 4), [(3, 5)], one_state,
         "GRUCell(4, 5)(x [3, 4], h0) -> h")
    case("gru_cell_no_state", nn.GRUCell(4, 5, bias=False), (3, 4), [], no_state,
         "GRUCell(4, 5, bias=false)(x [3, 4]) -> h")
    case("rnn_tanh_2_layers", nn.RNN(4, 5, num_layers=2), (6, 3, 4), [(2, 3, 5)], one_state,
         "RNN(4, 5, num_layers=2)(x [6, 3, 4], h0) -> output, h_n")
    case("rnn_relu_bidirectional", nn.RNN(4, 5, nonlinearity="relu", bidirectional=True), (6, 3, 4),
         [(2, 3, 5)], one_state, "RNN(4, 5, relu, bidirectional)(x [6, 3, 4], h0) -> output, h_n")
    case("lstm", nn.LSTM(4, 5), (6, 3, 4), [(1, 3, 5), (1, 3, 5)], lstm_state,
         "LSTM(4, 5)(x [6, 3, 4], (h0, c0)) -> output, h_n, c_n")
    case("lstm_2_layers_bidirectional_batch_first",
         nn.LSTM(4, 5, num_layers=2, bidirectional=True, batch_first=True), (3, 6, 4),
         [(4, 3, 5), (4, 3, 5)], lstm_state,
         "LSTM(4, 5, num_layers=2, bidirectional, batch_first)(x [3, 6, 4], (h0, c0)) -> output, h_n, c_n")
    case("lstm_no_bias_no_state", nn.LSTM(4, 5, bias=False), (6, 3, 4), [], no_state,
         "LSTM(4, 5, bias=false)(x [6, 3, 4]) -> output, h_n, c_n")
    case("lstm_proj", nn.LSTM(4, 5, num_layers=2, proj_size=3, bidirectional=True), (6, 3, 4),
         [(4, 3, 3), (4, 3, 5)], lstm_state,
         "LSTM(4, 5, num_layers=2, proj_size=3, bidirectional)(x [6, 3, 4], (h0, c0)) -> output, h_n, c_n")
    case("gru_2_layers_bidirectional", nn.GRU(4, 5, num_layers=2, bidirectional=True), (6, 3, 4),
         [(4, 3, 5)], one_state, "GRU(4, 5, num_layers=2, bidirectional)(x [6, 3, 4], h0) -> output, h_n")
    case("gru_batch_first", nn.GRU(4, 5, batch_first=True), (3, 6, 4), [(1, 3, 5)], one_state,
         "GRU(4, 5, batch_first)(x [3, 6, 4], h0) -> output, h_n")
    case("lstm_unbatched", nn.LSTM(4, 5, bidirectional=True), (6, 4), [(2, 5), (2, 5)], lstm_state,
         "LSTM(4, 5, bidirectional)(x [6, 4], (h0 [2, 5], c0 [2, 5])) -> output, h_n, c_n")
    packed_case("lstm_packed_unsorted_bidirectional", nn.LSTM(4, 5, num_layers=2, bidirectional=True),
                [3, 6, 1, 4], False, True,
                "pad_packed(LSTM(4, 5, num_layers=2, bidirectional)(pack_padded(x [6, 4, 4], lengths "
                "[3, 6, 1, 4], enforce_sorted=false), (h0, c0))) -> padded, h_n, c_n")
    packed_case("gru_packed_sorted", nn.GRU(4, 5, bidirectional=True), [6, 4, 4, 2], True, False,
                "pad_packed(GRU(4, 5, bidirectional)(pack_padded(x [6, 4, 4], lengths [6, 4, 4, 2]), h0)) "
                "-> padded, h_n")
    packed_case("rnn_packed_unsorted", nn.RNN(4, 5), [2, 5, 3], False, False,
                "pad_packed(RNN(4, 5)(pack_padded(x [5, 3, 4], lengths [2, 5, 3], enforce_sorted=false), h0)) "
                "-> padded, h_n")


if __name__ == "__main__":
    main()
