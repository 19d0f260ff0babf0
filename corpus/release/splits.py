"""Train/validation/test splits: deterministic, seeded, per document group, stable.

Documents linked by ``near_duplicate_of`` form a group (connected component) that always
lands in one split, so a near-copy of a test article can never sit in train. A group's
name is its smallest document id, whatever way the links point.

Stability: a document that had a split in the previous release keeps it (unless
``resplit``). Only when a new near-duplicate link joins documents that used to sit in
different splits does one of them move, to the split most of its group already had; the
move is reported. New groups are taken in the order of ``sha256(seed:group name)`` and each
goes to the split furthest below its target share, so the shares track the ratios even for
small corpora while the order stays independent of input order.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import ReleaseError

__all__ = ["SPLITS", "DEFAULT_RATIOS", "DEFAULT_SEED", "SplitPlan", "assign_splits", "groups"]

SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_SEED = 13


@dataclass
class SplitPlan:
    assignment: dict[str, str]
    seed: int
    ratios: tuple[float, ...]
    #: documents whose split differs from the previous release, with why
    moved: list[dict] = field(default_factory=list)
    #: group name of every document with a near-duplicate
    group_of: dict[str, str] = field(default_factory=dict)

    def to_manifest(self) -> dict:
        return {
            "method": "near-duplicate groups, sha256(seed:group) order, largest deficit; previous splits kept",
            "seed": self.seed,
            "ratios": dict(zip(SPLITS, self.ratios)),
            "groups": dict(sorted(self.group_of.items())),
            "assignment": dict(sorted(self.assignment.items())),
        }


def groups(links: Mapping[str, str | None]) -> dict[str, list[str]]:
    """Group name -> sorted members, for ``links`` = document id -> near_duplicate_of."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
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
    members: dict[str, list[str]] = {}
    for doc in links:
        members.setdefault(find(doc), []).append(doc)
    # the smallest id names the group, so the name does not depend on link direction
    return {min(m): sorted(m) for m in members.values()}


def _order(seed: int, name: str) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode("utf-8")).hexdigest()


def assign_splits(
    links: Mapping[str, str | None],
    *,
    seed: int = DEFAULT_SEED,
    ratios: tuple[float, ...] = DEFAULT_RATIOS,
    previous: Mapping[str, str] | None = None,
    resplit: bool = False,
) -> SplitPlan:
    """The split of every document of ``links`` (document id -> near_duplicate_of or None)."""
    if len(ratios) != len(SPLITS) or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise ReleaseError(f"split ratios must be {len(SPLITS)} non-negative numbers summing to 1 "
                           f"({'/'.join(SPLITS)}); got {ratios!r}")
    old = dict(previous or {})
    previous = {} if resplit else old
    plan = SplitPlan({}, seed, tuple(ratios))
    count = dict.fromkeys(SPLITS, 0)
    fresh: list[tuple[str, list[str]]] = []
    for name, members in sorted(groups(links).items()):
        if len(members) > 1:
            for m in members:
                plan.group_of[m] = name
        before = [previous[m] for m in members if previous.get(m) in SPLITS]
        if not before:
            fresh.append((name, members))
            continue
        # the split most members had; ties go to the split of the smallest such member
        split = max(SPLITS, key=lambda s: (before.count(s), -before.index(s) if s in before else -len(before)))
        for m in members:
            if m in previous and previous[m] != split:
                plan.moved.append({"id": m, "from": previous[m], "to": split,
                                   "reason": f"near-duplicate group {name} is in {split}"})
            plan.assignment[m] = split
        count[split] += len(members)
    for name, members in sorted(fresh, key=lambda g: _order(seed, g[0])):
        total = sum(count.values()) + len(members)
        split = max(SPLITS, key=lambda s: (ratios[SPLITS.index(s)] * total - count[s], -SPLITS.index(s)))
        for m in members:
            plan.assignment[m] = split
        count[split] += len(members)
    if resplit:
        plan.moved = [{"id": d, "from": old[d], "to": s, "reason": "new splits requested (resplit)"}
                      for d, s in sorted(plan.assignment.items()) if d in old and old[d] != s]
    return plan
