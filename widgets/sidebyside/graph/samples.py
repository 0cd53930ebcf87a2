"""Sample graphs of a chosen size, captured from real code (benchmarks, widget tests, demos)."""

from __future__ import annotations

from sidebyside.graph.model import Graph

# An MLP layer in the autograd graph: AddmmBackward0, TBackward0, weight and bias leaves, ReLU.
NODES_PER_LAYER = 5


def mlp_model(layers: int, width: int = 8):
    """A seeded `nn.Sequential` of `layers` Linear+ReLU blocks (torch's global RNG untouched)."""
    import torch

    gen = torch.Generator().manual_seed(0)
    mods = []
    with torch.random.fork_rng(devices=[]):  # nn.Linear's own init draws from the global RNG
        for _ in range(layers):
            lin = torch.nn.Linear(width, width)
            with torch.no_grad():
                lin.weight.copy_(torch.randn(width, width, generator=gen) / width**0.5)
                lin.bias.zero_()
            mods += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*mods)


def mlp_graph(n_nodes: int = 50, *, width: int = 8) -> Graph:
    """The autograd graph of an MLP's output sum, with about n_nodes nodes (5 per layer, plus 1).

    Parameters are named and grouped by module ("3 (Linear)"), so the sample also exercises groups.
    """
    import torch

    from sidebyside.graph.torch_autograd import from_autograd

    layers = max(1, round((n_nodes - 1) / NODES_PER_LAYER))
    model = mlp_model(layers, width)
    x = torch.ones(2, width)
    out = model(x).sum()
    g = from_autograd(out, module=model, name=f"MLP, {layers} layers", max_nodes=max(n_nodes * 2,
                                                                                    5000))
    return g
