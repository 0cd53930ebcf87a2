"""A PyTorch training step recorded live (record_torch) names and groups every tensor it did not
make (issue 20): BatchNorm buffers in their layer, gradients beside their parameter, optimizer state
and the optimizer's own ops under the optimizer; and each call of a reused module is its own group,
as in the other adapters."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from graph_models import UNet
from sidebyside.graph import record_torch


@pytest.fixture(scope="module")
def step_graph():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                        nn.Linear(4 * 4 * 4, 2))
    opt = torch.optim.Adam(net.parameters())
    x, y = torch.randn(2, 3, 6, 6), torch.tensor([0, 1])

    def step():
        loss = nn.functional.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()  # Adam makes its state on the first step: record the second, as a training loop would
    with record_torch() as g:
        step()
    return g


def leaves(g):
    return [n for n in g.nodes if n.kind not in ("op", "control")]


def test_every_tensor_of_a_training_step_is_named(step_graph):
    assert [n.label for n in leaves(step_graph) if n.label == "tensor"] == []


def test_batchnorm_buffers_sit_in_their_layer(step_graph):
    bufs = {n.label: (n.kind, n.group) for n in leaves(step_graph) if "running" in n.label}
    assert bufs == {"net.1.running_mean": ("const", "net/1"), "net.1.running_var": ("const", "net/1")}


def test_gradients_sit_beside_their_parameter(step_graph):
    grads = {n.label: n.group for n in leaves(step_graph) if n.label.endswith(".grad")}
    assert grads["net.0.weight.grad"] == "net/0" and grads["net.4.bias.grad"] == "net/4"
    assert len(grads) == 6


def test_optimizer_state_and_step_sit_under_the_optimizer(step_graph):
    g = step_graph
    opt = next(gr for gr in g.groups if gr.id == "opt")
    assert (opt.label, opt.type) == ("opt (Adam)", "Adam")
    state = [n for n in leaves(g) if n.label.startswith(("exp_avg of", "exp_avg_sq of"))]
    assert len(state) == 12 and {n.group for n in state} == {"opt"}
    ops = g.find(kind="op")
    grouped = [n for n in ops if n.group is not None]
    assert len(grouped) >= 0.9 * len(ops)  # only the loss, in the user's own code, is outside
    assert any(n.group == "opt" for n in ops)


def test_a_module_called_twice_records_one_group_per_call():
    torch.manual_seed(0)
    unet = UNet()
    with record_torch() as g:
        unet(torch.randn(1, 3, 8, 8))
    pools = {gr.id: gr.label for gr in g.groups if gr.type == "MaxPool2d"}
    assert pools == {"unet/pool": "pool (MaxPool2d)", "unet/pool@2": "pool (MaxPool2d, call 2)"}
