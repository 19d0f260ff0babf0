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

The work is done in SQLite tables (``plan_splits``), so a release of a million documents
holds no per-document dict in memory: the caller fills ``released(id, ndup)`` and
``prev(id, split)``; the plan is left in ``asg(id, split, grp)``. ``assign_splits`` runs the
same code on an in-memory database for a mapping of links (the small-corpus API and tests).
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from dataclasses import dataclass, field
from typing import Mapping

from ..errors import ReleaseError

__all__ = ["SPLITS", "DEFAULT_RATIOS", "DEFAULT_SEED", "SplitPlan", "SplitSummary", "assign_splits", "groups",
           "plan_splits", "create_split_tables", "METHOD"]

SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
DEFAULT_SEED = 13
METHOD = "near-duplicate groups, sha256(seed:group) order, largest deficit; previous splits kept"


@dataclass
class SplitSummary:
    """What ``plan_splits`` tells besides the ``asg`` table: small, whatever N."""

    seed: int
    ratios: tuple[float, ...]
    counts: dict[str, int]
    #: near-duplicate groups of more than one released document
    groups: int = 0
    moved_total: int = 0
    #: the first moves (all of them when ``plan_splits`` was given no limit), in id order
    moved: list[dict] = field(default_factory=list)

    def to_manifest(self, file: str | None = None) -> dict:
        out = {"method": METHOD, "seed": self.seed, "ratios": dict(zip(SPLITS, self.ratios)),
               "documents": sum(self.counts.values()), "groups": self.groups}
        if file:
            out["file"] = file
        return out


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
            "method": METHOD,
            "seed": self.seed,
            "ratios": dict(zip(SPLITS, self.ratios)),
            "groups": dict(sorted(self.group_of.items())),
            "assignment": dict(sorted(self.assignment.items())),
        }


def groups(links: Mapping[str, str | None]) -> dict[str, list[str]]:
    """Group name -> sorted members, for ``links`` = document id -> near_duplicate_of."""
    db = sqlite3.connect(":memory:")
    create_split_tables(db)
    db.executemany("INSERT INTO released VALUES (?, ?)", links.items())
    _group_table(db)
    out: dict[str, list[str]] = {}
    for name, doc in db.execute("SELECT coalesce(g.name, r.id) AS n, r.id FROM released r "
                                "LEFT JOIN gmem g ON g.id = r.id ORDER BY n, r.id"):
        out.setdefault(name, []).append(doc)
    return out


def _order(seed: int, name: str) -> str:
    return hashlib.sha256(f"{seed}:{name}".encode("utf-8")).hexdigest()


def check_ratios(ratios) -> tuple[float, ...]:
    if len(ratios) != len(SPLITS) or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise ReleaseError(f"split ratios must be {len(SPLITS)} non-negative numbers summing to 1 "
                           f"({'/'.join(SPLITS)}); got {ratios!r}")
    return tuple(ratios)


def create_split_tables(db: sqlite3.Connection) -> None:
    """The input tables of ``plan_splits``: ``released`` (document id, near_duplicate_of) and
    ``prev`` (document id, split of the previous release)."""
    db.execute("CREATE TABLE released (id TEXT PRIMARY KEY, ndup TEXT) WITHOUT ROWID")
    db.execute("CREATE TABLE IF NOT EXISTS prev (id TEXT PRIMARY KEY, split TEXT) WITHOUT ROWID")


def _group_table(db: sqlite3.Connection) -> None:
    """``gmem(id, name)``: every released document linked to another one, with its group name.

    Components by label propagation (each node takes the smallest label of its neighbours
    until nothing changes): as many rounds as the longest chain of links, over linked
    documents only, in SQL, so no union-find dict of every id is held in memory."""
    db.execute("CREATE TEMP TABLE edge (a TEXT, b TEXT)")
    db.execute("INSERT INTO edge SELECT id, ndup FROM released WHERE ndup IS NOT NULL AND ndup != id "
               "UNION SELECT ndup, id FROM released WHERE ndup IS NOT NULL AND ndup != id")
    db.execute("CREATE INDEX temp.edge_a ON edge (a)")
    db.execute("CREATE TEMP TABLE lab (id TEXT PRIMARY KEY, g TEXT) WITHOUT ROWID")
    db.execute("INSERT INTO lab SELECT DISTINCT a, a FROM edge")
    while True:
        cur = db.execute(
            "UPDATE lab SET g = m FROM (SELECT e.a AS id, min(l2.g) AS m FROM edge e JOIN lab l2 ON l2.id = e.b "
            "GROUP BY e.a) AS n WHERE n.id = lab.id AND n.m < lab.g")
        if cur.rowcount == 0:
            break
    # the group's name is its smallest *released* member; a link through an unreleased
    # document still joins the documents on either side of it
    db.execute("CREATE TEMP TABLE gname (g TEXT PRIMARY KEY, name TEXT, size INT) WITHOUT ROWID")
    db.execute("INSERT INTO gname SELECT l.g, min(l.id), count(*) FROM lab l JOIN released r ON r.id = l.id "
               "GROUP BY l.g")
    db.execute("CREATE TABLE gmem (id TEXT PRIMARY KEY, name TEXT, size INT) WITHOUT ROWID")
    db.execute("INSERT INTO gmem SELECT l.id, n.name, n.size FROM lab l JOIN released r ON r.id = l.id "
               "JOIN gname n ON n.g = l.g")
    db.execute("DROP TABLE temp.edge")
    db.execute("DROP TABLE temp.lab")
    db.execute("DROP TABLE temp.gname")


def plan_splits(db: sqlite3.Connection, *, seed: int = DEFAULT_SEED, ratios: tuple[float, ...] = DEFAULT_RATIOS,
                resplit: bool = False, show: int | None = 50) -> SplitSummary:
    """Fill ``asg(id, split, grp)`` (grp: the group name of a document with near-duplicates,
    else NULL) for every row of ``released``, keeping the splits of ``prev``; keeps the
    first ``show`` moves (None: all)."""
    ratios = check_ratios(ratios)
    _group_table(db)
    db.execute("CREATE TABLE asg (id TEXT PRIMARY KEY, split TEXT, grp TEXT) WITHOUT ROWID")
    db.execute("CREATE TEMP TABLE fresh (ord TEXT, name TEXT PRIMARY KEY, size INT) WITHOUT ROWID")
    summary = SplitSummary(seed, ratios, dict.fromkeys(SPLITS, 0))
    count = summary.counts
    moved: list[tuple] = []
    n_moved = 0
    rows = db.execute(
        "SELECT coalesce(g.name, r.id) AS n, r.id, g.size, " + ("NULL" if resplit else "p.split") +
        " FROM released r LEFT JOIN gmem g ON g.id = r.id LEFT JOIN prev p ON p.id = r.id ORDER BY n, r.id")
    out, fresh = [], []

    def spill():
        db.executemany("INSERT INTO asg VALUES (?, ?, ?)", out)
        db.executemany("INSERT INTO fresh VALUES (?, ?, ?)", fresh)
        out.clear()
        fresh.clear()

    for name, members in itertools.groupby(rows, key=lambda r: r[0]):
        members = list(members)
        linked = members[0][2] is not None and members[0][2] > 1
        if linked:
            summary.groups += 1
        before = [p for _, _, _, p in members if p in SPLITS]
        if not before:
            fresh.append((_order(seed, name), name, len(members)))
        else:
            # the split most members had; ties go to the split of the smallest such member
            split = max(SPLITS, key=lambda s: (before.count(s), -before.index(s) if s in before else -len(before)))
            for _, doc, _, p in members:
                if p is not None and p != split:
                    n_moved += 1
                    if show is None or len(moved) < show:
                        moved.append((doc, p, split, f"near-duplicate group {name} is in {split}"))
                out.append((doc, split, name if linked else None))
            count[split] += len(members)
        if len(out) + len(fresh) >= 10_000:
            spill()
    spill()
    # new groups in sha256(seed:name) order, each to the split furthest below its share
    groups_of: list[tuple] = []
    for _, name, size in db.execute("SELECT ord, name, size FROM fresh ORDER BY ord, name"):
        total = sum(count.values()) + size
        split = max(SPLITS, key=lambda s: (ratios[SPLITS.index(s)] * total - count[s], -SPLITS.index(s)))
        groups_of.append((name, split))
        count[split] += size
        if len(groups_of) >= 10_000:
            _place(db, groups_of)
    _place(db, groups_of)
    db.execute("DROP TABLE temp.fresh")
    if resplit:
        moved, n_moved = [], 0
        for doc, old, new in db.execute("SELECT a.id, p.split, a.split FROM asg a JOIN prev p ON p.id = a.id "
                                        "WHERE p.split != a.split ORDER BY a.id"):
            n_moved += 1
            if show is None or len(moved) < show:
                moved.append((doc, old, new, "new splits requested (resplit)"))
    summary.moved_total = n_moved
    summary.moved = [{"id": d, "from": a, "to": b, "reason": why} for d, a, b, why in moved]
    return summary


def _place(db: sqlite3.Connection, groups_of: list[tuple]) -> None:
    """Members of the fresh groups ``(name, split)`` into ``asg``."""
    if not groups_of:
        return
    db.execute("CREATE TEMP TABLE IF NOT EXISTS gsplit (name TEXT PRIMARY KEY, split TEXT) WITHOUT ROWID")
    db.execute("DELETE FROM gsplit")
    db.executemany("INSERT INTO gsplit VALUES (?, ?)", groups_of)
    # a singleton's group name is its own id; a linked document's is in gmem
    db.execute("INSERT INTO asg SELECT r.id, s.split, CASE WHEN g.size > 1 THEN g.name END FROM gsplit s "
               "JOIN released r ON r.id = s.name LEFT JOIN gmem g ON g.id = r.id WHERE g.id IS NULL OR g.size <= 1")
    db.execute("INSERT INTO asg SELECT g.id, s.split, g.name FROM gsplit s JOIN gmem g ON g.name = s.name "
               "WHERE g.size > 1")
    groups_of.clear()


def assign_splits(
    links: Mapping[str, str | None],
    *,
    seed: int = DEFAULT_SEED,
    ratios: tuple[float, ...] = DEFAULT_RATIOS,
    previous: Mapping[str, str] | None = None,
    resplit: bool = False,
) -> SplitPlan:
    """The split of every document of ``links`` (document id -> near_duplicate_of or None)."""
    ratios = check_ratios(ratios)
    db = sqlite3.connect(":memory:")
    create_split_tables(db)
    db.executemany("INSERT INTO released VALUES (?, ?)", links.items())
    db.executemany("INSERT INTO prev VALUES (?, ?)", (previous or {}).items())
    summary = plan_splits(db, seed=seed, ratios=ratios, resplit=resplit, show=None)
    plan = SplitPlan({}, seed, ratios, moved=summary.moved)
    for doc, split, grp in db.execute("SELECT id, split, grp FROM asg ORDER BY id"):
        plan.assignment[doc] = split
        if grp is not None:
            plan.group_of[doc] = grp
    db.close()
    return plan

