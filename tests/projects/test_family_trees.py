"""Family trees of Hinton (1986): the facts the project generates, checked against the paper."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from emergent_py import LayerKind, Model


@pytest.fixture
def ft(project):
    return project("Hinton1986_1")


def test_people_and_relations(ft):
    assert len(ft.PEOPLE) == 24 and len(set(ft.PEOPLE)) == 24
    assert len(ft.RELATIONS) == 12
    for tree in ft.TREES:
        assert len(tree.males) == len(tree.females) == 6
        assert len(tree.couples) == 5                       # 5 marriages per tree
        assert sum(len(kids) for _, _, kids in tree.couples) == 6


def test_hintons_104_triples(ft):
    facts = ft.triples()
    assert len(facts) == 104                                  # "104 such triples" (Hinton 1986)
    assert sum(len(ps) for _, _, ps in facts) == 112          # 8 uncle/aunt questions have 2 answers
    per_tree = Counter(r for _, r, _ in ft.triples([ft.ENGLISH]))
    assert per_tree == {"father": 6, "mother": 6, "husband": 5, "wife": 5, "son": 6, "daughter": 6,
                        "uncle": 2, "aunt": 2, "brother": 3, "sister": 3, "nephew": 4, "niece": 4}
    assert Counter(r for _, r, _ in facts) == {r: 2 * n for r, n in per_tree.items()}


def test_known_facts(ft):
    facts = {(a, r): ps for a, r, ps in ft.triples()}
    assert facts[("Colin", "aunt")] == {"Jennifer", "Margaret"}
    assert facts[("Colin", "uncle")] == {"Arthur", "Charles"}
    assert facts[("Charlotte", "father")] == {"James"}
    assert facts[("Victoria", "husband")] == {"James"}
    assert facts[("Penelope", "son")] == {"Arthur"}
    assert facts[("Margaret", "nephew")] == {"Colin"}
    assert facts[("Sophia", "aunt")] == {"Angela", "Gina"}
    assert facts[("Roberto", "daughter")] == {"Lucia"}
    assert ("Christopher", "father") not in facts             # eldest generation has no parents
    assert ("Colin", "son") not in facts


def test_relations_are_consistent(ft):
    """Inverse relations agree: every husband has the wife, every parent has the child, ..."""
    facts = {(a, r): ps for a, r, ps in ft.triples()}
    male = {p for t in ft.TREES for p in t.males}
    # relation of the patient p to the agent a, for a male and for a female agent
    inverse = {"husband": ("husband", "wife"), "father": ("son", "daughter"), "mother": ("son", "daughter"),
               "brother": ("brother", "sister"), "uncle": ("nephew", "niece"), "aunt": ("nephew", "niece"),
               "son": ("father", "mother"), "nephew": ("uncle", "aunt")}
    n_checked = 0
    for (a, r), ps in facts.items():
        for p in ps:
            assert (p in male) == (r in ("father", "husband", "son", "uncle", "brother", "nephew")), (a, r, p)
            if r in inverse:
                back = inverse[r][0 if a in male else 1]
                assert a in facts[(p, back)], (a, r, p, back)
                n_checked += 1
    # husband 10 + father 12 + mother 12 + brother 6 + uncle 8 + aunt 8 + son 12 + nephew 8 facts
    assert n_checked == 76
    # marriage and siblinghood are symmetric
    for (a, r), ps in facts.items():
        if r in ("husband", "wife"):
            (p,) = ps
            assert facts[(p, "wife" if r == "husband" else "husband")] == {a}


def test_trees_are_isomorphic(ft):
    """Mapping each English person to the Italian one at the same position maps facts to facts."""
    to_it = dict(zip(ft.ENGLISH.people, ft.ITALIAN.people))
    english = {(to_it[a], r, frozenset(to_it[p] for p in ps)) for a, r, ps in ft.triples([ft.ENGLISH])}
    assert english == set(ft.triples([ft.ITALIAN]))


def test_network_and_patterns(ft):
    model = Model(*ft.build())
    net = model.network
    assert list(net.layers) == ["Agent", "Relation", "AgentCode", "RelationCode", "Hidden",
                                "PatientCode", "Patient"]
    assert [net.layers[n].n_units for n in ("Agent", "Relation", "Patient")] == [24, 12, 24]
    assert [l.kind for l in net.layers.values()].count(LayerKind.INPUT) == 2
    assert net.layers["Patient"].kind is LayerKind.TARGET
    assert len(net.projections) == 10
    assert sum("TopDown" in p.classes for p in net.projections.values()) == 4
    assert model.patterns.n == 104
    agent, rel, pat = (model.pattern_rows(n) for n in ("Agent", "Relation", "Patient"))
    assert (agent.sum(1) == 1).all() and (rel.sum(1) == 1).all()
    assert Counter(pat.sum(1).tolist()) == {1.0: 96, 2.0: 8}
    i = model.patterns.names.index("Colin_aunt")
    on = {ft.PEOPLE[j] for j in np.flatnonzero(pat[i])}
    assert on == {"Jennifer", "Margaret"}
    assert ft.PEOPLE[int(np.flatnonzero(agent[i])[0])] == "Colin"
    assert ft.RELATIONS[int(np.flatnonzero(rel[i])[0])] == "aunt"
    # row = family: every English agent sits in the first row of the 2 x 12 layer
    assert model.patterns["Agent"][:52, 0].sum() == 52 and model.patterns["Agent"][:52, 1].sum() == 0
