#!/usr/bin/python3
"""Learning-rate (and momentum) sequences of PyTorch's schedulers: the reference that
tests/optim/scheduler_golden_test.cpp replays. Run with Debian's python3-torch:

    /usr/bin/python3 tests/golden/gen_schedulers.py > tests/golden/scheduler_lrs.txt

Each case makes an optimizer and its schedulers the way the C++ test does (same names and
numbers), then records every group's lr (and momentum or beta1 where it cycles) after the
schedulers are made ('lr 0') and after each scheduler.step() ('lr N'). OneCycleLR is recorded up
to epoch total_steps - 1, the end of its schedule: at total_steps PyTorch extrapolates (a linear
schedule turns negative), where tapegrad holds the last value."""
import math
import warnings

import torch
from torch.optim import SGD, Adam
from torch.optim import lr_scheduler as S

warnings.filterwarnings("ignore")


class LibTorchStepLR(S.StepLR):
    """LibTorch 1.13's StepLR, which tapegrad's follows: it sets nothing when made, so every
    decay comes one step() after PyTorch's (epoch e here is PyTorch's epoch e - 1)."""

    def _shifted(self):
        return max(self.last_epoch - 1, 0)

    def get_lr(self):
        e = self.last_epoch - 1
        if e <= 0 or e % self.step_size != 0:
            return [g["lr"] for g in self.optimizer.param_groups]
        return [g["lr"] * self.gamma for g in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [b * self.gamma ** (self._shifted() // self.step_size) for b in self.base_lrs]


def params(n):
    return [torch.zeros(1, requires_grad=True) for _ in range(n)]


def groups(*lrs, **extra):
    return [dict(params=params(1), lr=lr, **extra) for lr in lrs]


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


def record(name, opt, step, steps, momentum=False):
    print("case", name)
    for epoch in range(steps + 1):
        if epoch > 0:
            opt.step()
            step()
        print("lr", epoch, " ".join(repr(g["lr"]) for g in opt.param_groups))
        if momentum:
            print("momentum", epoch, " ".join(repr(momentum_of(g)) for g in opt.param_groups))
    print("end")


def case(name, make, steps, momentum=False):
    opt, scheduler = make()
    record(name, opt, scheduler.step, steps, momentum)


print("# PyTorch %s: scheduler sequences for tests/optim/scheduler_golden_test.cpp," % torch.__version__)
print("# made by tests/golden/gen_schedulers.py; see there for each case's optimizer.")


def step_lr():
    opt = SGD(groups(1.0, 0.4), lr=1.0)
    return opt, LibTorchStepLR(opt, step_size=3, gamma=0.5)


def multi_step_lr():
    opt = SGD(groups(0.8), lr=0.8)
    return opt, S.MultiStepLR(opt, milestones=[5, 2, 2], gamma=0.5)


def exponential_lr():
    opt = SGD(groups(0.3), lr=0.3)
    return opt, S.ExponentialLR(opt, gamma=0.7)


def cosine_lr():
    opt = SGD(groups(1.1, 0.5), lr=1.1)
    return opt, S.CosineAnnealingLR(opt, T_max=5, eta_min=0.1)


def linear_lr():
    opt = SGD(groups(0.1), lr=0.1)
    return opt, S.LinearLR(opt, start_factor=0.25, end_factor=0.75, total_iters=4)


def linear_lr_down():
    opt = SGD(groups(0.1), lr=0.1)
    return opt, S.LinearLR(opt, start_factor=1.0, end_factor=0.2, total_iters=5)


def lambda_lr():
    opt = SGD(groups(0.5, 0.2), lr=0.5)
    return opt, S.LambdaLR(opt, [lambda e: 0.9 ** e, lambda e: 1.0 / (e + 1)])


def multiplicative_lr():
    opt = SGD(groups(1.0), lr=1.0)
    return opt, S.MultiplicativeLR(opt, lambda e: 0.95 if e % 2 else 0.8)


def one_cycle_cos():
    opt = SGD(groups(0.01), lr=0.01, momentum=0.9)
    return opt, S.OneCycleLR(opt, max_lr=0.1, total_steps=20)


def one_cycle_linear_three_phase():
    opt = Adam(groups(0.01, 0.01), lr=0.01)
    return opt, S.OneCycleLR(opt, max_lr=[0.1, 0.05], total_steps=16, pct_start=0.25,
                             anneal_strategy="linear", div_factor=10.0, final_div_factor=100.0,
                             three_phase=True, base_momentum=0.8, max_momentum=0.9)


def one_cycle_epochs_no_momentum():
    opt = SGD(groups(0.01), lr=0.01)
    return opt, S.OneCycleLR(opt, max_lr=0.2, epochs=3, steps_per_epoch=4, pct_start=0.5,
                             cycle_momentum=False)


def cyclic_triangular():
    opt = SGD(groups(0.5), lr=0.5, momentum=0.9)
    return opt, S.CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=3, step_size_down=2)


def cyclic_triangular2():
    opt = SGD(groups(0.5, 0.5), lr=0.5)
    return opt, S.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=[0.1, 0.04], step_size_up=2,
                           mode="triangular2", cycle_momentum=False)


def cyclic_exp_range():
    opt = SGD(groups(0.5), lr=0.5, momentum=0.5)
    return opt, S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range",
                           gamma=0.9, base_momentum=0.7, max_momentum=0.95)


def cyclic_scale_fn():
    opt = SGD(groups(0.5), lr=0.5)
    return opt, S.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=4,
                           scale_fn=lambda x: 1.0 / (1.0 + 0.1 * x), scale_mode="iterations",
                           cycle_momentum=False)


def sequential_two():
    opt = SGD(groups(1.0), lr=1.0)
    warmup = S.LinearLR(opt, start_factor=0.2, total_iters=3)
    decay = S.ExponentialLR(opt, gamma=0.9)
    return opt, S.SequentialLR(opt, [warmup, decay], milestones=[3])


def sequential_three():
    opt = SGD(groups(1.0, 0.5), lr=1.0)
    a = S.LinearLR(opt, start_factor=0.5, total_iters=2)
    b = LibTorchStepLR(opt, step_size=2, gamma=0.5)
    c = S.CosineAnnealingLR(opt, T_max=4, eta_min=0.01)
    return opt, S.SequentialLR(opt, [a, b, c], milestones=[2, 6])


def chained():
    opt = SGD(groups(1.0), lr=1.0)
    a = S.LinearLR(opt, start_factor=0.5, total_iters=4)
    b = S.ExponentialLR(opt, gamma=0.9)
    return opt, S.ChainedScheduler([a, b])


def chained_step_multistep():
    opt = SGD(groups(2.0, 1.0), lr=2.0)
    a = LibTorchStepLR(opt, step_size=3, gamma=0.5)
    b = S.MultiStepLR(opt, milestones=[2, 5], gamma=0.1)
    c = S.MultiplicativeLR(opt, lambda e: 0.99)
    return opt, S.ChainedScheduler([a, b, c])


case("step_lr", step_lr, 10)
case("multi_step_lr", multi_step_lr, 7)
case("exponential_lr", exponential_lr, 5)
case("cosine_annealing_lr", cosine_lr, 24)
case("linear_lr", linear_lr, 7)
case("linear_lr_down", linear_lr_down, 7)
case("lambda_lr", lambda_lr, 10)
case("multiplicative_lr", multiplicative_lr, 10)
case("one_cycle_cos", one_cycle_cos, 19, momentum=True)
case("one_cycle_linear_three_phase", one_cycle_linear_three_phase, 15, momentum=True)
case("one_cycle_epochs_no_momentum", one_cycle_epochs_no_momentum, 11)
case("cyclic_triangular", cyclic_triangular, 15, momentum=True)
case("cyclic_triangular2", cyclic_triangular2, 14)
case("cyclic_exp_range", cyclic_exp_range, 12, momentum=True)
case("cyclic_scale_fn", cyclic_scale_fn, 14)
case("sequential_two", sequential_two, 10)
case("sequential_three", sequential_three, 14)
case("chained", chained, 10)
case("chained_step_multistep", chained_step_multistep, 10)
