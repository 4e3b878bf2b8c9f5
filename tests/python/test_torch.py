"""examples/torch_fake_quant.py: a Linear layer whose forward and backward
products take metriq-quantized operands (straight-through), and a model
that trains with it.  Skipped, saying so, where `import torch` fails."""
import importlib.util
import os

import numpy as np
import pytest

import metriq

try:
    import torch
except Exception as e:  # ImportError, or a broken install
    pytest.skip(f"import torch failed ({e}): examples/torch_fake_quant.py not run "
                "(Debian's python3-torch provides it)", allow_module_level=True)

path = os.path.join(os.environ["METRIQ_SOURCE_DIR"], "examples", "torch_fake_quant.py")
spec = importlib.util.spec_from_file_location("torch_fake_quant", path)
ex = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ex)


def test_forward_backward_are_the_quantized_products():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    grad = dict(format="e5m2", granularity="tensor", rounding="rtne")
    lin = ex.FakeQuantLinear(8, 5, grad=grad)
    x = torch.randn(6, 8, requires_grad=True)
    y = lin(x)
    xq = metriq.quantize(x.detach().numpy(), **ex.ACT)
    wq = metriq.quantize(lin.weight.detach().numpy(), **ex.WEIGHT)
    want = torch.from_numpy(xq) @ torch.from_numpy(wq).t() + lin.bias
    assert torch.equal(y, want)
    assert not torch.equal(y, x @ lin.weight.t() + lin.bias)  # it did quantize
    dy = torch.randn(6, 5)
    y.backward(dy)
    gq = torch.from_numpy(metriq.quantize(dy.numpy(), **grad))
    assert torch.equal(x.grad, gq @ torch.from_numpy(wq))
    assert torch.equal(lin.weight.grad, gq.t() @ torch.from_numpy(xq))
    assert torch.equal(lin.bias.grad, dy.sum(0))


def test_training_with_fp8_numerics():
    torch.set_num_threads(1)
    fp32 = ex.train(False, steps=150)
    fp8 = ex.train(True, steps=150)
    last = lambda l: sum(l[-20:]) / 20
    assert last(fp8) < 0.5 * fp8[0]           # it learns
    assert last(fp8) < 2.0 * last(fp32) + 0.01  # about as well as float32
    assert fp8 != fp32                         # and the numerics differ
