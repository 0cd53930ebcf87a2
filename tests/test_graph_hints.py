"""What the PyTorch adapters say and accept on models shaped like the ones users bring (issue 20):
keyword inputs, a torch.compile that captured nothing, and the known failures of torch.fx and
torch.export on Hugging Face models turned into a cause and a way out. Tiny hand-written models
(graph_models.py) reproduce each failure."""

from __future__ import annotations

import pytest
import torch

from graph_models import Cached, Decorated, Seq2Seq, SetItem, TextModel
from sidebyside.graph import (
    UnsupportedInputError,
    compile_capture,
    from_autograd,
    from_export,
    from_fx,
)
from sidebyside.widget import GraphView


@pytest.fixture(scope="module")
def text():
    torch.manual_seed(0)
    return TextModel(), torch.tensor([[1, 2, 3]]), torch.tensor([[1.0, 1.0, 0.0]])


# ---- keyword inputs ------------------------------------------------------------------------------
def test_from_autograd_passes_keyword_inputs_to_the_model(text):
    model, ids, mask = text
    plain = from_autograd(model, ids)
    masked = from_autograd(model, ids, attention_mask=mask)
    # The mask multiplies the output: one more op than without it.
    assert len(masked.find(kind="op")) == len(plain.find(kind="op")) + 1
    assert "MulBackward0" in masked.ops() and "MulBackward0" not in plain.ops()


def test_from_autograd_of_a_tensor_refuses_model_inputs(text):
    model, ids, mask = text
    y = model(ids)
    with pytest.raises(UnsupportedInputError, match="pass it first"):
        from_autograd(y, attention_mask=mask)


def test_from_export_takes_keyword_inputs_directly(text):
    model, ids, mask = text
    g = from_export(model, (ids,), attention_mask=mask)
    assert [n.label for n in g.find(kind="input")] == ["input_ids", "attention_mask"]
    assert "aten.mul" in g.ops()


def test_from_fx_shapes_come_from_keyword_inputs_too(text):
    model, ids, mask = text
    g = from_fx(model, ids, attention_mask=mask)
    out = g.find(kind="output")[0]
    assert out.shape == [1, 3, 8]


# ---- known failures, explained -------------------------------------------------------------------
def test_fx_on_code_that_assigns_into_a_tensor_names_the_cause_and_the_way_out():
    with pytest.raises(UnsupportedInputError) as err:
        from_fx(SetItem())
    text = str(err.value)
    assert "assigns into a tensor" in text and "item assignment" in text
    assert "from_export" in text and "from_autograd" in text
    assert isinstance(err.value.__cause__, TypeError)  # the original error stays attached


def test_fx_on_a_decorated_forward_names_the_cause_and_the_way_out():
    with pytest.raises(UnsupportedInputError) as err:
        from_fx(Decorated())
    text = str(err.value)
    assert "decorator" in text and "co_varnames is too small" in text
    assert "from_export" in text


def test_export_of_a_cache_output_says_to_pass_use_cache_false():
    x = torch.randn(2, 4)
    with pytest.raises(UnsupportedInputError) as err:
        from_export(Cached(), (x,))
    text = str(err.value)
    assert "DynamicCache" in text and "use_cache=False" in text
    # ... and the advice works.
    g = from_export(Cached(), (x,), use_cache=False)
    assert "aten.linear" in g.ops()


def test_other_fx_errors_are_left_alone():
    def branchy(x):
        if x.sum() > 0:  # data-dependent control flow: a teaching point, raised as torch's own
            return x
        return -x

    with pytest.raises(torch.fx.proxy.TraceError):
        from_fx(branchy)


# ---- a compile that captured nothing -------------------------------------------------------------
@pytest.fixture(scope="module")
def skipped():
    """torch.compile of an LSTM seq2seq: dynamo runs nn.LSTM eagerly and captures no graph."""
    torch.manual_seed(0)
    cap = compile_capture(Seq2Seq())
    cap(torch.randn(2, 5, 4), torch.randn(2, 3, 4))
    return cap


def test_compile_capture_says_why_it_captured_nothing(skipped):
    assert skipped.graphs == []
    assert "No graph captured" in skipped.skipped and "LSTM" in skipped.skipped
    assert "from_export" in skipped.skipped
    assert skipped.skipped in skipped.summary()
    assert skipped.graph.meta["empty_reason"] == skipped.skipped


def test_a_second_capture_of_a_skipped_model_still_says_why(skipped):
    # dynamo remembers the code it gave up on and skips it silently the next time.
    again = compile_capture(skipped.fn)
    again(torch.randn(2, 5, 4), torch.randn(2, 3, 4))
    assert again.graphs == [] and "LSTM" in again.skipped and "enc (LSTM)" in again.skipped


def test_a_view_of_an_empty_capture_shows_the_reason(skipped):
    view = GraphView(skipped)
    assert view.message == skipped.skipped
    assert view._picture_views()[0][3] == skipped.skipped  # the static picture's caption line
