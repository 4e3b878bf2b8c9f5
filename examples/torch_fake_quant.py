"""torch_fake_quant.py: train a PyTorch model with metriq's numerics, on CPU.

A Linear layer whose matmuls see what an 8-bit accelerator would see: its
inputs, its weights and the upstream gradients go through metriq.quantize
(absmax scales, the format's rounding and saturation) before each product,
forward and backward.  The quantizer's own derivative is taken as 1
(the straight-through estimator), so the gradients are those of the
quantized products:

    forward   y  = q_a(x) . q_w(W)^T + b
    backward  dx = q_g(dy) . q_w(W),   dW = q_g(dy)^T . q_a(x),   db = sum dy

Run it as a script to train a small MLP on a synthetic regression task in
float32 and with FP8 (E4M3 activations and weights, E5M2 gradients with
stochastic rounding: the usual FP8 training recipe) and print both losses:

    PYTHONPATH=build/python python3 examples/torch_fake_quant.py

Use FakeQuantLinear in place of torch.nn.Linear in your own model; the
three configs are metriq.quantize's keyword arguments.
"""
import itertools

import numpy as np
import torch

import metriq

# per tensor category, as metriq.quantize takes them; a Linear's input x is
# batch x in and its weight out x in: both contract over their last axis,
# so role 'lhs' with channel granularity gives a scale per example row and
# per output neuron, the paper's per-vector scaling
ACT = dict(format="e4m3", granularity="channel", role="lhs")
WEIGHT = dict(format="e4m3", granularity="channel", role="lhs")
GRAD = dict(format="e5m2", granularity="tensor", rounding="sr")

_seeds = itertools.count(1)  # a fresh stochastic-rounding stream per call


def fake_quant(t, cfg):
    """t through metriq.quantize; a new float32 tensor of t's shape."""
    if cfg is None:
        return t
    cfg = dict(cfg)
    if cfg.get("rounding", "rtne").startswith("sr") and "seed" not in cfg:
        cfg["seed"] = next(_seeds)
    x = t.detach().to(torch.float32).contiguous().numpy()
    return torch.from_numpy(metriq.quantize(x.reshape(-1, x.shape[-1]), **cfg).reshape(x.shape))


class FakeQuantLinearFn(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, act, wgt, grad):
        xq, wq = fake_quant(x, act), fake_quant(weight, wgt)
        ctx.save_for_backward(xq, wq)
        ctx.grad = grad
        y = xq @ wq.t()
        return y + bias if bias is not None else y

    @staticmethod
    def backward(ctx, dy):
        xq, wq = ctx.saved_tensors
        gq = fake_quant(dy, ctx.grad)
        g2 = gq.reshape(-1, gq.shape[-1])
        dx = gq @ wq
        dw = g2.t() @ xq.reshape(-1, xq.shape[-1])
        db = dy.reshape(-1, dy.shape[-1]).sum(0)
        return dx, dw, db, None, None, None


class FakeQuantLinear(torch.nn.Linear):
    """torch.nn.Linear with metriq-quantized operands; act, weight, grad:
    metriq.quantize's options for each (None: that operand in float32)."""

    def __init__(self, n_in, n_out, bias=True, act=ACT, weight=WEIGHT, grad=GRAD):
        super().__init__(n_in, n_out, bias=bias)
        self.qcfg = (act, weight, grad)

    def forward(self, x):
        return FakeQuantLinearFn.apply(x, self.weight, self.bias, *self.qcfg)


def mlp(quantized, width=64, seed=0):
    torch.manual_seed(seed)
    lin = FakeQuantLinear if quantized else torch.nn.Linear
    return torch.nn.Sequential(lin(16, width), torch.nn.GELU(), lin(width, width),
                               torch.nn.GELU(), lin(width, 1))


def task(n=2048, seed=0):
    """y = a smooth function of 16 inputs plus noise."""
    g = np.random.default_rng(seed)
    x = g.standard_normal((n, 16)).astype(np.float32)
    w = g.standard_normal(16).astype(np.float32) / 4
    y = np.sin(x @ w) + 0.1 * (x[:, 0] * x[:, 1]) + 0.01 * g.standard_normal(n)
    return torch.from_numpy(x), torch.from_numpy(y.astype(np.float32)).unsqueeze(1)


def train(quantized, steps=300, batch=128, lr=3e-3, seed=0):
    """Adam on the task; the losses at each step (a list of floats)."""
    x, y = task(seed=seed)
    model = mlp(quantized, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        idx = torch.randint(0, x.shape[0], (batch,), generator=g)
        loss = torch.nn.functional.mse_loss(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main():
    torch.set_num_threads(1)
    for quantized in (False, True):
        losses = train(quantized)
        name = "fp8 (e4m3 act/weight, e5m2 sr grad)" if quantized else "float32"
        print(f"{name:38s} loss: first {losses[0]:.4f}, mean of last 20 "
              f"{sum(losses[-20:]) / 20:.4f}")


if __name__ == "__main__":
    main()
