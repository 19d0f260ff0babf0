from collections import Counter

import pytest

from corpus.errors import ReleaseError
from corpus.release.splits import SPLITS, assign_splits, groups


def test_groups_follow_links_in_either_direction_and_are_named_by_smallest_id():
    g = groups({"c": "b", "b": None, "a": None, "e": "d", "d": "c", "x": None})
    assert g == {"a": ["a"], "b": ["b", "c", "d", "e"], "x": ["x"]}


def test_link_through_an_unreleased_document_still_groups():
    # a and b both near-duplicate z, which is not released
    assert groups({"a": "z", "b": "z"}) == {"a": ["a", "b"]}


def test_deterministic_and_independent_of_input_order():
    links = {f"d{i:03d}": None for i in range(200)}
    a = assign_splits(links, seed=7)
    b = assign_splits(dict(reversed(list(links.items()))), seed=7)
    assert a.assignment == b.assignment
    c = assign_splits(links, seed=8)
    assert c.assignment != a.assignment


def test_shares_follow_ratios():
    links = {f"d{i:03d}": None for i in range(200)}
    counts = Counter(assign_splits(links, ratios=(0.8, 0.1, 0.1)).assignment.values())
    assert counts == {"train": 160, "validation": 20, "test": 20}
    counts = Counter(assign_splits(links, ratios=(0.5, 0.0, 0.5)).assignment.values())
    assert counts == {"train": 100, "test": 100}


def test_near_duplicates_share_a_split():
    links = {f"d{i:03d}": (f"d{i - 1:03d}" if i % 10 == 1 else None) for i in range(100)}
    plan = assign_splits(links, seed=3)
    for i in range(1, 100, 10):
        assert plan.assignment[f"d{i:03d}"] == plan.assignment[f"d{i - 1:03d}"]
    assert plan.group_of["d011"] == "d010"


def test_previous_splits_are_kept_when_documents_are_added():
    first = {f"d{i:03d}": None for i in range(50)}
    old = assign_splits(first, seed=1).assignment
    more = dict(first, **{f"n{i:03d}": None for i in range(50)})
    new = assign_splits(more, seed=1, previous=old)
    assert all(new.assignment[d] == s for d, s in old.items())
    assert not new.moved
    # the new documents fill the splits towards the ratios
    assert Counter(new.assignment.values()) == {"train": 80, "validation": 10, "test": 10}


def test_new_near_duplicate_link_across_splits_moves_one_and_says_why():
    old = {"a": "train", "b": "test", "c": "train"}
    plan = assign_splits({"a": None, "b": "a", "c": "a"}, previous=old)
    assert set(plan.assignment.values()) == {"train"}
    assert plan.moved == [{"id": "b", "from": "test", "to": "train", "reason": "near-duplicate group a is in train"}]


def test_resplit_ignores_previous_and_reports_moves():
    links = {f"d{i:03d}": None for i in range(30)}
    old = {d: "test" for d in links}
    plan = assign_splits(links, previous=old, resplit=True)
    assert Counter(plan.assignment.values())["train"] == 24
    assert {m["reason"] for m in plan.moved} == {"new splits requested (resplit)"}
    assert len(plan.moved) == 27


@pytest.mark.parametrize("ratios", [(0.5, 0.5), (0.8, 0.3, 0.1), (1.2, -0.1, -0.1)])
def test_bad_ratios_are_refused(ratios):
    with pytest.raises(ReleaseError, match="split ratios"):
        assign_splits({"a": None}, ratios=ratios)


def test_manifest_form_lists_every_document():
    plan = assign_splits({"b": None, "a": "b"})
    m = plan.to_manifest()
    assert list(m["assignment"]) == ["a", "b"]
    assert set(m["ratios"]) == set(SPLITS)


# ---------------------------------------------------------------------------------------
# The SQL implementation (bounded memory) against the plain-dict one it replaced: the same
# splits, groups and moves for random link graphs, previous splits and seeds.

import hashlib as _hashlib

from hypothesis import given, settings
from hypothesis import strategies as st


def _reference_groups(links):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for doc, other in links.items():
        find(doc)
        if other:
            a, b = find(doc), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members = {}
    for doc in links:
        members.setdefault(find(doc), []).append(doc)
    return {min(m): sorted(m) for m in members.values()}


def _reference_assign(links, seed, ratios, previous, resplit):
    old = dict(previous or {})
    previous = {} if resplit else old
    assignment, group_of, moved = {}, {}, []
    count = dict.fromkeys(SPLITS, 0)
    fresh = []
    for name, members in sorted(_reference_groups(links).items()):
        if len(members) > 1:
            for m in members:
                group_of[m] = name
        before = [previous[m] for m in members if previous.get(m) in SPLITS]
        if not before:
            fresh.append((name, members))
            continue
        split = max(SPLITS, key=lambda s: (before.count(s), -before.index(s) if s in before else -len(before)))
        for m in members:
            if m in previous and previous[m] != split:
                moved.append({"id": m, "from": previous[m], "to": split, "reason": f"near-duplicate group {name} is in {split}"})
            assignment[m] = split
        count[split] += len(members)
    order = lambda name: _hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()  # noqa: E731
    for name, members in sorted(fresh, key=lambda g: order(g[0])):
        total = sum(count.values()) + len(members)
        split = max(SPLITS, key=lambda s: (ratios[SPLITS.index(s)] * total - count[s], -SPLITS.index(s)))
        for m in members:
            assignment[m] = split
        count[split] += len(members)
    if resplit:
        moved = [{"id": d, "from": old[d], "to": s, "reason": "new splits requested (resplit)"}
                 for d, s in sorted(assignment.items()) if d in old and old[d] != s]
    return assignment, group_of, moved


_ids = st.integers(0, 60).map(lambda i: f"d{i:02d}")


@settings(max_examples=150, deadline=None)
@given(
    links=st.dictionaries(_ids, st.one_of(st.none(), _ids, st.integers(61, 70).map(lambda i: f"u{i}")), max_size=45),
    previous=st.dictionaries(_ids, st.sampled_from(SPLITS), max_size=30),
    seed=st.integers(0, 5),
    ratios=st.sampled_from([(0.8, 0.1, 0.1), (0.5, 0.0, 0.5), (1.0, 0.0, 0.0), (0.34, 0.33, 0.33)]),
    resplit=st.booleans(),
)
def test_sql_splits_equal_the_reference_implementation(links, previous, seed, ratios, resplit):
    plan = assign_splits(links, seed=seed, ratios=ratios, previous=previous, resplit=resplit)
    assignment, group_of, moved = _reference_assign(links, seed, ratios, previous, resplit)
    assert plan.assignment == assignment
    assert plan.group_of == group_of
    assert plan.moved == moved
    assert groups(links) == _reference_groups(links)


def test_a_long_chain_of_links_is_one_group():
    links = {f"c{i:04d}": (f"c{i - 1:04d}" if i else None) for i in range(300)}
    plan = assign_splits(links)
    assert len(set(plan.assignment.values())) == 1 and set(plan.group_of.values()) == {"c0000"}
