"""Align two graphs of the same computation: which step of one is which step of the other.

    from sidebyside.graph import align
    a = align(graph_torch, graph_keras)
    a.pairs        [Pair(left, right, confidence, why)]  anchor node ids of paired steps
    a.only_left    [Unmatched(id, op, why)]               steps the right graph has no partner for
    a.only_right
    a.differences  [Difference(kind, text, left, right)]  "model": the computations differ;
                   "translation": the same computation, expressed differently; "note": advice
    a.summary()    a text a learner reads
    a.partner(id)  the partner's anchor of any node of a paired step; a.rate() the paired share
    a.explain(id)  what the alignment says about the step holding a node (side="left"/"right")

Both graphs are first cut into compute units (graph.units): a step such as "Dense fc1" is
`MatMul` + `BiasAdd` in TensorFlow and one `addmm` in PyTorch, and plumbing is no step at all. Then
every candidate pair of units is scored on what survives a change of framework or capture:

- op semantics: the class from graph.opclasses must be equal, or compatible (relu/tanh: an
  activation; linear/matmul: with and without bias);
- shapes after layout normalisation (no batch, channels first: NHWC and NCHW compare equal);
- position in the data flow (depth from the input, as a share of the graph's depth);
- structure: the module / layer path ("layer1/0/conv1", "cnn/fc1" ~ "fc1");
- data flow: how many of its neighbours are already paired with the candidate's neighbours.

Pairs are accepted greedily, best first, above a threshold (so unrelated graphs stay unpaired), and
only where they keep the data-flow order (a step after X is never paired with one before X's
partner). Three rounds: the neighbour evidence of one round feeds the next. Node ids never count.
"""

from __future__ import annotations

from typing import NamedTuple

from sidebyside.graph.opclasses import compatible
from sidebyside.graph.units import compute_units

#: A pair scores at least this (out of 1) to be accepted: two unrelated models' steps of one class,
#: with other shapes, names and neighbours, score about 0.5.
THRESHOLD = 0.58
_WEIGHTS = {"op": 0.35, "shape": 0.25, "position": 0.15, "name": 0.1, "neighbours": 0.15}


class Pair(NamedTuple):
    left: str
    right: str
    confidence: float
    why: str


class Unmatched(NamedTuple):
    id: str
    op: str
    why: str


class Difference(NamedTuple):
    kind: str  # "model" | "translation" | "note"
    text: str
    left: str | None = None
    right: str | None = None


def _same_shape(a, b) -> bool | None:
    if a is None or b is None or len(a) != len(b):
        return None if (a is None or b is None) else False
    return all(x is None or y is None or x == y for x, y in zip(a, b))


def _path(units, u) -> tuple:
    """The layer names from the outermost group to u's, without a whole-model group."""
    groups = {g.id: g for g in units.graph.groups}
    names, gid = [], u.group
    while gid is not None and gid in groups:
        g = groups[gid]
        if g.parent is None and (g.type or "") in ("Sequential", "Functional", "Model") \
                and units.graph.framework == "tensorflow":
            break  # Keras wraps every layer in the model's own scope; PyTorch has no such group
        names.append((g.label or g.id).split(" (")[0].split("@")[0])
        gid = g.parent
    return tuple(reversed(names))


def _paths(units) -> dict:
    """unit id -> (layer path, inherited): a step outside any layer (torch.relu in forward())
    borrows the path of the step feeding it, if that is its only producer."""
    out = {}
    for u in sorted(units.units.values(), key=lambda u: u.order):
        path = _path(units, u)
        if path or len(u.preds) != 1:
            out[u.id] = (path, False)
        else:
            out[u.id] = (out[next(iter(u.preds))][0], True)
    return out


class _Scorer:
    def __init__(self, L, R):
        self.L, self.R = L, R
        self.paths_l = _paths(L)
        self.paths_r = _paths(R)

    def parts(self, a, b, partner) -> dict | None:
        if a.phase != b.phase:
            return None
        if a.cls == b.cls:
            op = 1.0
        elif compatible(a.cls, b.cls):
            op = 0.6
        else:
            return None
        same = _same_shape(a.shape, b.shape)
        shape = 0.6 if same is None else (1.0 if same else 0.2)
        if same is False and _same_shape(a.in_shape, b.in_shape) is False:
            shape = 0.5  # a change upstream (a padding) resized this too: weak evidence either way
        position = 1 - abs(a.depth / self.L.max_depth - b.depth / self.R.max_depth)
        (pa, inherited_a), (pb, inherited_b) = self.paths_l[a.id], self.paths_r[b.id]
        if not pa or not pb:
            name = 0.3  # unknown: an op outside any module (torch.relu in forward)
        elif inherited_a or inherited_b:
            # torch.relu after fc1 is what Keras calls fc1's activation: agreeing is evidence,
            # disagreeing is not (it may as well be a ReLU layer of its own)
            name = 1.0 if pa[-1] == pb[-1] else 0.3
        elif pa[-min(len(pa), len(pb)):] == pb[-min(len(pa), len(pb)):]:
            name = 1.0
        elif pa[-1] == pb[-1]:
            name = 0.7
        else:
            name = 0.0
        around_a = a.preds | a.succs
        around_b = b.preds | b.succs
        if partner is None:
            neighbours = 0.5
        else:
            agree = sum(1 for x in around_a if partner.get(x) in around_b)
            neighbours = agree / max(1, len(around_a), len(around_b))
        return {"op": op, "shape": shape, "position": position, "name": name,
                "neighbours": neighbours}

    @staticmethod
    def total(parts) -> float:
        return sum(_WEIGHTS[k] * v for k, v in parts.items())


def _ancestors(units) -> dict:
    """unit id -> bit mask of its ancestors (bits numbered by topological order)."""
    ordered = sorted(units.units.values(), key=lambda u: u.order)
    bit = {u.id: 1 << i for i, u in enumerate(ordered)}
    anc = {}
    for u in ordered:
        mask = 0
        for p in u.preds:
            mask |= anc[p] | bit[p]
        anc[u.id] = mask
    return anc, bit


def _match(L, R, scorer) -> tuple[dict, dict]:
    anc_l, bit_l = _ancestors(L)
    anc_r, bit_r = _ancestors(R)
    partner, parts_of = None, {}
    # candidates of each left class: right units of an equal or compatible class (the rest never
    # pair, and scoring them all made a MobileNetV2 pair several times slower)
    by_class = {c: [u for u in R.units.values() if u.cls == c or compatible(c, u.cls)]
                for c in {u.cls for u in L.units.values()}}
    for _round in range(3):
        candidates = []
        for a in L.units.values():
            for b in by_class[a.cls]:
                parts = scorer.parts(a, b, partner)
                if parts is not None:
                    score = scorer.total(parts)
                    if score >= THRESHOLD:
                        candidates.append((score, a.order, b.order, a.id, b.id, parts))
        candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
        chosen: dict[str, str] = {}
        taken: set[str] = set()
        accepted: list[tuple[str, str]] = []
        parts_of = {}
        for score, _, _, a, b, parts in candidates:
            if a in chosen or b in taken:
                continue
            # keep the data-flow order: no pair (x, y) with x before a but y after b, or vice versa
            if any((anc_l[a] & bit_l[x] and anc_r[y] & bit_r[b])
                   or (anc_l[x] & bit_l[a] and anc_r[b] & bit_r[y]) for x, y in accepted):
                continue
            chosen[a] = b
            taken.add(b)
            accepted.append((a, b))
            parts_of[a] = (score, parts)
        both = dict(chosen)
        both.update({b: a for a, b in chosen.items()})
        partner = both
    return chosen, parts_of


def _why(a, b, parts) -> str:
    bits = []
    bits.append(f"same op ({a.cls})" if a.cls == b.cls else f"related ops ({a.cls} ~ {b.cls})")
    if parts["shape"] == 1.0 and a.shape is not None:
        bits.append(f"same shape {a.shape}")
    elif parts["shape"] < 0.5:
        bits.append(f"shapes differ {a.shape} vs {b.shape}")
    if parts["name"] >= 0.7:
        bits.append("same layer name")
    if parts["neighbours"] >= 0.5:
        bits.append("neighbours paired")
    if parts["position"] >= 0.9:
        bits.append("same place in the data flow")
    return ", ".join(bits)


class Alignment:
    """The result of align(left, right); see the module docstring."""

    def __init__(self, left, right, L, R, chosen, parts_of):
        from sidebyside.graph.differences import describe

        self.left, self.right = left, right
        self.left_units, self.right_units = L, R
        self.pairs = [Pair(a, b, round(min(1.0, s), 3), _why(L.units[a], R.units[b], p))
                      for a, b in sorted(chosen.items(), key=lambda ab: L.units[ab[0]].order)
                      for s, p in [parts_of[a]]]
        self._partner = {}
        for a, b in chosen.items():
            for m in L.units[a].members:
                self._partner[("left", m)] = b
            for m in R.units[b].members:
                self._partner[("right", m)] = a
        self.differences, why_l, why_r = describe(self, chosen)
        self.only_left = [Unmatched(u.id, "+".join(u.ops), why_l[u.id])
                          for u in sorted(L.units.values(), key=lambda u: u.order)
                          if u.id not in chosen]
        paired_r = set(chosen.values())
        self.only_right = [Unmatched(u.id, "+".join(u.ops), why_r[u.id])
                           for u in sorted(R.units.values(), key=lambda u: u.order)
                           if u.id not in paired_r]
        self.group_pairs = self._group_pairs(chosen)

    def partner(self, node_id: str, side: str = "left") -> str | None:
        """The anchor id of the step paired with the step that holds node_id (None if unpaired)."""
        return self._partner.get((side, node_id))

    def explain(self, node_id: str, side: str = "left") -> list[str]:
        """What the alignment says about the step holding node_id: its pairing (why, or why it has
        no partner) and the differences that concern it."""
        units = self.left_units if side == "left" else self.right_units
        unit = units.unit_of.get(node_id)
        if unit is None:
            why = units.absorbed.get(node_id)
            return [f"not a step of its own: {why}"] if why else []
        mine = 0 if side == "left" else 1
        out = [f"paired with {p[1 - mine]} ({p.why})" for p in self.pairs if p[mine] == unit]
        out += [u.why for u in (self.only_left if side == "left" else self.only_right)
                if u.id == unit]
        ids = lambda d: d.left if side == "left" else d.right  # noqa: E731
        return out + [d.text for d in self.differences if ids(d) == unit]

    def rate(self, phase: str = "forward") -> float:
        """The share of compute ops (unit members, both sides) in paired steps of this phase."""
        paired_r = {b for _, b, _, _ in self.pairs}
        paired_l = {a for a, _, _, _ in self.pairs}
        total = done = 0
        for units, paired in ((self.left_units, paired_l), (self.right_units, paired_r)):
            for u in units.units.values():
                if u.phase == phase:
                    total += len(u.members)
                    done += len(u.members) if u.id in paired else 0
        return done / total if total else 0.0

    def _group_pairs(self, chosen) -> list[tuple[str, str]]:
        votes: dict[str, dict] = {}
        for a, b in chosen.items():
            ga, gb = self.left_units.units[a].group, self.right_units.units[b].group
            if ga and gb:
                votes.setdefault(ga, {}).setdefault(gb, 0)
                votes[ga][gb] += 1
        return [(ga, max(v, key=v.get)) for ga, v in votes.items()]

    def summary(self) -> str:
        name = lambda g: f"{g.name or g.framework} ({g.framework} {g.source})"  # noqa: E731
        lines = [f"{name(self.left)}  vs  {name(self.right)}",
                 f"{len(self.pairs)} steps paired, {len(self.only_left)} only left, "
                 f"{len(self.only_right)} only right; {self.rate():.0%} of forward compute ops "
                 "paired"]
        for kind, title in (("model", "What the computations do differently"),
                            ("translation", "Same computation, written differently"),
                            ("note", "Worth checking")):
            texts = [d.text for d in self.differences if d.kind == kind]
            if texts:
                lines.append(title + ":")
                lines.extend(f"  - {t}" for t in texts)
        if not any(d.kind == "model" for d in self.differences):
            lines.append("No difference in what the two graphs compute was found.")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"Alignment({len(self.pairs)} pairs, {len(self.only_left)} only left, "
                f"{len(self.only_right)} only right, rate {self.rate():.2f})")


def align(left, right) -> Alignment:
    """Pair the steps of two graph documents of the same computation (see the module docstring)."""
    L, R = compute_units(left), compute_units(right)
    chosen, parts_of = _match(L, R, _Scorer(L, R))
    return Alignment(left, right, L, R, chosen, parts_of)
