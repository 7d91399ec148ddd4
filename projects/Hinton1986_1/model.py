"""Family trees after Hinton (1986), "Learning distributed representations of concepts".

Two isomorphic three-generation family trees, one English and one Italian (Hinton's Figure 1),
12 people each. A fact is a triple (agent, relation, patients): "Colin has aunt Jennifer and
Margaret". The 12 relations are father, mother, husband, wife, son, daughter, uncle, aunt,
brother, sister, nephew, niece; uncles and aunts include those by marriage, as in the paper.
The trees give 104 (agent, relation) questions -- Hinton's "104 triples" -- with 112
(agent, relation, patient) facts, since the 8 uncle/aunt questions have two answers.

The network is Hinton's, with Leabra layers (emergent / CCN-textbook style): localist Agent
and Relation inputs, each recoded by its own encoding layer, a central Hidden layer, a
PatientCode decoding layer and a localist Patient output, every projection above the inputs
bidirectional. The model learns all 104 questions (cnt_err = 0; README: 49-64 epochs over seeds
0-4). Hinton's further result -- encoding-layer codes for nationality, generation and branch,
shared between the isomorphic trees -- is analysed by scripts/projects/family_trees.py and not
(yet) reproduced by these Leabra codes (see the README).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from emergent_py import Full, Network, Patterns, RunPlan, Sheet, SpecError

RELATIONS = ("father", "mother", "husband", "wife", "son", "daughter",
             "uncle", "aunt", "brother", "sister", "nephew", "niece")


@dataclass(frozen=True)
class FamilyTree:
    """One family tree: people with their sex, marriages, and children of each couple.

    ``couples`` maps (husband, wife) -> children, eldest generation first; a married-in spouse
    is simply a person without parents in the tree.
    """
    name: str
    males: tuple[str, ...]
    females: tuple[str, ...]
    couples: tuple[tuple[str, str, tuple[str, ...]], ...]   # (husband, wife, children)

    @property
    def people(self) -> tuple[str, ...]:
        return self.males + self.females

    def is_male(self, person: str) -> bool:
        return person in self.males


# Hinton (1986), Figure 1. Positions match across trees: Christopher <-> Roberto, ... so the
# isomorphism is "same index in ``people``".
ENGLISH = FamilyTree(
    "English",
    males=("Christopher", "Andrew", "Arthur", "James", "Charles", "Colin"),
    females=("Penelope", "Christine", "Margaret", "Victoria", "Jennifer", "Charlotte"),
    couples=(("Christopher", "Penelope", ("Arthur", "Victoria")),
             ("Andrew", "Christine", ("James", "Jennifer")),
             ("Arthur", "Margaret", ()),
             ("James", "Victoria", ("Colin", "Charlotte")),
             ("Charles", "Jennifer", ())))

ITALIAN = FamilyTree(
    "Italian",
    males=("Roberto", "Pierro", "Emilio", "Marco", "Tomaso", "Alfonso"),
    females=("Maria", "Francesca", "Gina", "Lucia", "Angela", "Sophia"),
    couples=(("Roberto", "Maria", ("Emilio", "Lucia")),
             ("Pierro", "Francesca", ("Marco", "Angela")),
             ("Emilio", "Gina", ()),
             ("Marco", "Lucia", ("Alfonso", "Sophia")),
             ("Tomaso", "Angela", ())))

TREES = (ENGLISH, ITALIAN)
PEOPLE = tuple(p for tree in TREES for p in tree.people)


def relatives(tree: FamilyTree) -> dict[tuple[str, str], frozenset[str]]:
    """Every non-empty (person, relation) -> set of relatives in one tree.

    Definitions (Hinton 1986): uncle = a parent's brother or a parent's sister's husband;
    aunt likewise; nephew = a son of one's sibling or of one's spouse's sibling; niece likewise.
    """
    spouse: dict[str, str] = {}
    parents: dict[str, tuple[str, str]] = {}
    children: dict[str, tuple[str, ...]] = {}
    for husband, wife, kids in tree.couples:
        for p in (husband, wife):
            if p in spouse:
                raise SpecError(f"family tree {tree.name}: {p} is married twice")
            if p not in tree.people:
                raise SpecError(f"family tree {tree.name}: {p} is not among its people")
        spouse[husband], spouse[wife] = wife, husband
        children[husband] = children[wife] = kids
        for k in kids:
            parents[k] = (husband, wife)

    def siblings(p: str) -> set[str]:
        if p not in parents:
            return set()
        return set(children[parents[p][0]]) - {p}

    def by_sex(people: Iterable[str], male: bool) -> set[str]:
        return {q for q in people if tree.is_male(q) == male}

    facts: dict[tuple[str, str], frozenset[str]] = {}
    for p in tree.people:
        par = parents.get(p, ())
        sibs = siblings(p)
        # parents' siblings and their spouses
        piblings = {s for q in par for s in siblings(q)}
        piblings |= {spouse[s] for s in set(piblings) if s in spouse}
        # siblings' and spouse's siblings' children
        sib_sets = sibs | (siblings(spouse[p]) if p in spouse else set())
        nibling = {k for s in sib_sets for k in children.get(s, ())}
        rel = {
            "father": by_sex(par, True), "mother": by_sex(par, False),
            "husband": by_sex({spouse[p]} if p in spouse else set(), True),
            "wife": by_sex({spouse[p]} if p in spouse else set(), False),
            "son": by_sex(children.get(p, ()), True), "daughter": by_sex(children.get(p, ()), False),
            "uncle": by_sex(piblings, True), "aunt": by_sex(piblings, False),
            "brother": by_sex(sibs, True), "sister": by_sex(sibs, False),
            "nephew": by_sex(nibling, True), "niece": by_sex(nibling, False),
        }
        for r in RELATIONS:
            if rel[r]:
                facts[(p, r)] = frozenset(rel[r])
    return facts


def triples(trees: Iterable[FamilyTree] = TREES) -> list[tuple[str, str, frozenset[str]]]:
    """All (agent, relation, patients) questions of the trees, tree by tree, person by person,
    relation in :data:`RELATIONS` order."""
    out = []
    for tree in trees:
        facts = relatives(tree)
        for p in tree.people:
            for r in RELATIONS:
                if (p, r) in facts:
                    out.append((p, r, facts[(p, r)]))
    return out


# Layer geometry: people as 2 x 12 (row = family, column = position in the tree, so isomorphic
# people share a column); relations as 2 x 6 (male-female pairs in columns).
PERSON_SHAPE = (2, 12)
RELATION_SHAPE = (2, 6)
# Encoding and hidden layers: Leabra's inhibition keeps ~20 % of a layer active, so they are
# larger than Hinton's 6 / 12 units. Measured (seed 0): codes 6 x 6 and hidden 8 x 8 still had
# cnt_err 10-12 at epoch 87; 7 x 7 and 10 x 10 reached the criterion at epoch 64.
CODE_SHAPE = (7, 7)
HIDDEN_SHAPE = (10, 10)


def person_index(name: str) -> int:
    try:
        return PEOPLE.index(name)
    except ValueError:
        raise SpecError(f"family trees: unknown person '{name}'") from None


def family_patterns(facts: list[tuple[str, str, frozenset[str]]] | None = None) -> Patterns:
    """One trial per question: Agent and Relation one-hot, Patient with every answer on."""
    facts = triples() if facts is None else facts
    n = len(facts)
    agent = np.zeros((n, len(PEOPLE)), np.float32)
    relation = np.zeros((n, len(RELATIONS)), np.float32)
    patient = np.zeros((n, len(PEOPLE)), np.float32)
    for i, (a, r, ps) in enumerate(facts):
        agent[i, person_index(a)] = 1
        relation[i, RELATIONS.index(r)] = 1
        for p in ps:
            patient[i, person_index(p)] = 1
    return Patterns({"Agent": agent.reshape(n, *PERSON_SHAPE),
                     "Relation": relation.reshape(n, *RELATION_SHAPE),
                     "Patient": patient.reshape(n, *PERSON_SHAPE)},
                    names=[f"{a}_{r}" for a, r, _ in facts])


def family_network() -> Network:
    net = Network("Hinton1986_1")
    net.layer("Agent", PERSON_SHAPE, kind="input")
    net.layer("Relation", RELATION_SHAPE, kind="input")
    net.layer("AgentCode", CODE_SHAPE)
    net.layer("RelationCode", CODE_SHAPE)
    net.layer("Hidden", HIDDEN_SHAPE)
    net.layer("PatientCode", CODE_SHAPE)
    net.layer("Patient", PERSON_SHAPE, kind="target")
    net.connect("Agent", "AgentCode", Full())
    net.connect("Relation", "RelationCode", Full())
    for send, recv in (("AgentCode", "Hidden"), ("RelationCode", "Hidden"),
                       ("Hidden", "PatientCode"), ("PatientCode", "Patient")):
        net.connect(send, recv, Full())
        net.connect(recv, send, Full(), cls="TopDown")
    return net


def family_params() -> Sheet:
    return Sheet({
        "Layer": {"lay_inhib.gi": 2.0, "act_avg.ss_tau": 2.0, "avg_act.targ_init": 0.2},
        "#Patient": {"lay_inhib.gi": 2.2, "avg_act.targ_init": 0.06},
        ".TopDown": {"wt_scale.rel": 0.3},
    }, name="FamilyTrees")


def build(epochs: int = 200, seed: int = 0):
    """Family trees: (network, params, patterns, plan); trains on all 104 questions in permuted
    order until cnt_err = 0 for 2 epochs in a row."""
    plan = RunPlan(epochs=epochs, stop_cnt_err=0, stop_n_under=2, order="permuted", seed=seed)
    return family_network(), family_params(), family_patterns(), plan
