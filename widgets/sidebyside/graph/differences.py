"""What differs between two aligned graphs, in sentences a learner reads (graph.align uses it).

Three kinds, so a reader (and a test) can tell a changed model from a change of vocabulary:
"model" - the two compute something different (a padding, an activation, an extra layer, a
BatchNorm epsilon); "translation" - the same computation written differently (a bias folded into the
matrix product, BatchNorm fused or not, NCHW vs NHWC, a weight transpose); "note" - a setting the
graphs do not record but whose defaults differ (BatchNorm momentum).

A shape difference is reported only where the inputs agree: after a padding change every later
feature map is smaller too, and saying so for each of them would hide the one real change.
"""

from __future__ import annotations

from sidebyside.graph.op_facts import op_facts

_FRAMEWORK = {"torch": "PyTorch", "tensorflow": "TensorFlow", "numpy": "NumPy"}


def _side(graph, other) -> str:
    """How to call a graph: its framework, or its capture when both share a framework."""
    if graph.framework != other.framework:
        return _FRAMEWORK.get(graph.framework, graph.framework)
    return f"the {graph.source} capture" if graph.source != other.source else graph.name or "left"


def _label(u) -> str:
    return f"'{u.layer}'" if u.layer else f"the {u.cls} step"


def _facts(units, u, facts) -> dict:
    """The settings read for a step: its own ops', and those of the weight preparation inside its
    layer (Keras's BatchNorm adds epsilon to the variance in an op fed only by variables)."""
    out = {}
    if u.group is not None:
        for nid in units.absorbed:
            if nid in facts and units.nodes[nid].group == u.group:
                out.update(facts[nid])
    for m in u.members:
        out.update(facts.get(m, {}))
    return out


def _training(u, f) -> bool | None:
    """Whether a BatchNorm step uses the batch's statistics: recorded by torch captures; in an
    unfused TensorFlow BatchNorm, a Mean over the batch is the sign."""
    if "training" in f:
        return f["training"]
    if len(u.members) > 1:
        return any(op == "Mean" for op in u.ops) if u.ops else None
    return None


def _padding(f) -> tuple | None:
    """Pixels added on each side, (h, w), from torch's numbers or TF's "VALID"/"SAME"."""
    p = f.get("padding")
    if p is None:
        return None
    if isinstance(p, tuple):
        return p
    if p == "VALID":
        return (0, 0)
    if p == "SAME" and f.get("kernel") and f.get("stride", (1, 1)) == (1, 1):
        return tuple((k - 1) // 2 for k in f["kernel"])
    return None


def _padding_words(f) -> str:
    p, pad = f.get("padding"), _padding(f)
    named = f" ('{p.lower()}')" if isinstance(p, str) else ""
    if pad == (0, 0):
        return "no padding" + named
    if pad is None:
        return str(p)
    return (f"{pad[0]} pixel{'s' if pad[0] != 1 else ''} on each side" if pad[0] == pad[1]
            else f"{pad} pixels") + named


def _dropout_active(u, f, graph) -> bool | None:
    if "training" in f:
        return f["training"]
    # autograd records a Dropout only when it ran in training mode (inference returns its input)
    return True if graph.source == "autograd" else None


def _pair_differences(a, b, ln, rn, fl, fr, cross, ln_graph, rn_graph) -> list:
    out = []
    M = lambda t: ("model", t, a.id, b.id)  # noqa: E731
    T = lambda t: ("translation", t, a.id, b.id)  # noqa: E731
    where = _label(a) if a.layer else _label(b)
    if a.cls != b.cls:
        if {a.cls, b.cls} == {"avgpool", "reduce"} and a.shape == b.shape:
            pool, n = (a, ln) if a.cls == "avgpool" else (b, rn)
            out.append(T(f"{where}: an average pool over the whole feature map is a mean: {n} "
                         f"records it as {pool.ops[0]}, the other as a mean"))
        elif {a.cls, b.cls} == {"linear", "matmul"}:
            has = ln if a.cls == "linear" else rn
            out.append(M(f"{where}: only {has} adds a bias after the matrix product"))
        else:
            out.append(M(f"{where}: {ln} uses {a.cls}, {rn} uses {b.cls}"))
    elif a.cls == "linear" and len(a.members) != len(b.members):
        one, two = (a, b) if len(a.members) < len(b.members) else (b, a)
        n1, n2 = (ln, rn) if one is a else (rn, ln)
        out.append(T(f"{where}: bias folded into the matrix product: {n1} computes x·W + b in one "
                     f"op ({one.ops[0]}), {n2} in {len(two.members)} ({', '.join(two.ops)})"))
    elif a.cls == "conv" and len(a.members) != len(b.members):
        two, n2 = (a, ln) if len(a.members) > len(b.members) else (b, rn)
        out.append(T(f"{where}: {n2} adds the convolution's bias in a separate op "
                     f"({', '.join(two.ops[1:])})"))
    elif a.cls == "batchnorm":
        tl, tr = _training(a, fl), _training(b, fr)
        if tl is not None and tr is not None and tl != tr:
            mode = lambda t: "batch statistics (training mode)" if t else \
                "the running averages (inference mode)"  # noqa: E731
            out.append(M(f"{where}: BatchNorm normalises with {mode(tl)} in {ln} and with "
                         f"{mode(tr)} in {rn}"))
        if min(len(a.members), len(b.members)) == 1 < max(len(a.members), len(b.members)):
            one, two = (a, b) if len(a.members) < len(b.members) else (b, a)
            n1, n2 = (ln, rn) if one is a else (rn, ln)
            out.append(T(f"{where}: BatchNorm is one op in {n1} ({one.ops[0]}) and "
                         f"{len(two.members)} elementary ops in {n2} (not fused)"))
    explained = False
    if a.cls == b.cls == "conv":
        pl, pr = _padding(fl), _padding(fr)
        if pl is not None and pr is not None and pl != pr:
            out.append(M(f"{where} pads differently: {_padding_words(fl)} in {ln}, "
                         f"{_padding_words(fr)} in {rn}"))
            explained = True
        if fl.get("stride") and fr.get("stride") and fl["stride"] != fr["stride"]:
            out.append(M(f"{where}: stride {fl['stride']} in {ln}, {fr['stride']} in {rn}"))
            explained = True
    if a.cls == b.cls == "batchnorm":
        if "eps" in fl and "eps" in fr and abs(fl["eps"] - fr["eps"]) > 1e-12:
            out.append(M(f"{where}: BatchNorm epsilon {fl['eps']:g} in {ln}, {fr['eps']:g} in "
                         f"{rn} (PyTorch's default is 1e-5, Keras's 1e-3)"))
        ml, mr = fl.get("momentum_new"), fr.get("momentum_new")
        if ml is not None and mr is not None and abs(ml - mr) > 1e-9:
            out.append(M(f"{where}: the running averages give the new batch weight {ml:g} in {ln} "
                         f"and {mr:g} in {rn}"))
        elif cross and (ml is None or mr is None):
            known = [f"{n} records a new-batch weight of {m:g}" for n, m in ((ln, ml), (rn, mr))
                     if m is not None]
            said = known[0] + ", the other graph" if known else "neither graph records"
            out.append(("note", f"{where}: {said} BatchNorm's momentum; the defaults differ "
                        "(PyTorch momentum=0.1 weights the new batch, Keras momentum=0.99 the old "
                        "average: the same as PyTorch's 0.01)", a.id, b.id))
    if a.cls == b.cls == "dropout":
        tl, tr = _dropout_active(a, fl, ln_graph), _dropout_active(b, fr, rn_graph)
        if tl is not None and tr is not None and tl != tr:
            on, off = (ln, rn) if tl else (rn, ln)
            out.append(M(f"{where}: Dropout is active in {on} (training mode) and does nothing in "
                         f"{off} (inference mode)"))
    if a.cls == b.cls == "reshape" and cross and a.in_shape and len(a.in_shape) == 3:
        out.append(T(f"{where}: flattening a feature map: PyTorch orders it (C, H, W), Keras "
                     "(H, W, C), so the next layer's weights are stored in another order "
                     "(translate.linear_to_dense(flatten_chw=...))"))
    same_in = a.in_shape is not None and a.in_shape == b.in_shape
    if not explained and same_in and a.shape and b.shape and len(a.shape) == len(b.shape) and \
            any(x is not None and y is not None and x != y for x, y in zip(a.shape, b.shape)):
        out.append(M(f"{where} makes {a.shape} in {ln} but {b.shape} in {rn} from the same input"))
    return out


def _unmatched_why(u, units, other_name, paired) -> tuple[str, str]:
    """(why, kind) for a step without partner."""
    if u.phase == "backward":
        return (f"only in the backward pass ({u.cls}): a gradient op, and {other_name} records "
                "the forward pass here", "translation")
    if u.cls == "transpose":
        return ("a transpose: it moves dimensions (a layout change such as NCHW <-> NHWC, "
                f"attention heads, a weight's orientation); {other_name} needs none here",
                "translation")
    if u.cls == "dropout":
        return (f"Dropout runs here and not in {other_name}: one capture was in training mode, "
                "the other in inference mode", "model")
    before = [units.units[p] for p in u.preds if p in paired]
    after = [units.units[s] for s in u.succs if s in paired]
    spot = ""
    if before or after:
        spot = " (" + ", ".join(
            ([f"after {_label(before[0])}"] if before else [])
            + ([f"before {_label(after[0])}"] if after else [])) + ")"
    what = f"{u.cls} ({'+'.join(u.ops)})"
    if u.layer and u.layer_type:
        return f"an extra layer {_label(u)}: {what}{spot}; {other_name} has no step here", "model"
    return f"an extra step: {what}{spot}; {other_name} has no step like it here", "model"


def describe(alignment, chosen) -> tuple[list, dict, dict]:
    """(differences, why unpaired left units are unpaired, ... right ones)."""
    from sidebyside.graph.align import Difference

    left, right = alignment.left, alignment.right
    L, R = alignment.left_units, alignment.right_units
    ln, rn = _side(left, right), _side(right, left)
    cross = left.framework != right.framework
    fl, fr = op_facts(left), op_facts(right)
    out: list = []
    if cross and any(u.shape and len(u.shape) == 3 for u in L.units.values()):
        out.append(("translation", "layout: PyTorch keeps images as (N, C, H, W), TensorFlow/Keras "
                    "as (N, H, W, C); shapes here are compared channels first", None, None))
    for graph, name in ((left, ln), (right, rn)):
        for br in graph.meta.get("breaks") or []:
            br = br if isinstance(br, dict) else {"reason": str(br)}
            where = f" at {br['where']}" if br.get("where") else ""
            reason = str(br.get("reason", "")).split("\n")[0]  # the first line names the cause
            out.append(("translation", f"graph break in {name}: torch.compile ended one graph and "
                        f"started another{where} ({reason}); the other capture runs straight on",
                        None, None))
    for a_id, b_id in sorted(chosen.items(), key=lambda ab: L.units[ab[0]].order):
        a, b = L.units[a_id], R.units[b_id]
        out.extend(_pair_differences(a, b, ln, rn, _facts(L, a, fl), _facts(R, b, fr), cross,
                                     left, right))
    why = ({}, {})
    for side, (units, paired, other, name) in enumerate(
            ((L, set(chosen), rn, ln), (R, set(chosen.values()), ln, rn))):
        told: set = set()  # one sentence per extra layer, however many steps it has
        backward = []
        for u in sorted(units.units.values(), key=lambda u: u.order):
            if u.id in paired:
                continue
            text, kind = _unmatched_why(u, units, other, paired)
            why[side][u.id] = text
            if u.phase == "backward":
                backward.append(u)
                continue
            key = (u.group, kind) if u.layer_type else (u.id, kind)
            if key not in told:
                told.add(key)
                ids = (u.id, None) if side == 0 else (None, u.id)
                out.append((kind, f"only in {name}: {text}", *ids))
        if backward:
            ops = sorted({op for u in backward for op in u.ops})
            out.append(("translation", f"only in {name}: {len(backward)} steps of the backward pass "
                        f"(gradient ops: {', '.join(ops[:6])}{', ...' if len(ops) > 6 else ''}); "
                        f"{other} holds the forward pass only", None, None))
    return [Difference(*d) for d in out], why[0], why[1]
