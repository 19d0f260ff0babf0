"""The ontology (entity types, event types, roles, role fillers), loaded from data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .errors import SchemaError
from .schemas import schema_errors, schema_root

__all__ = ["Ontology", "load_ontology", "DEFAULT_ONTOLOGY"]

DEFAULT_ONTOLOGY = "ace2005"


@dataclass(frozen=True)
class Ontology:
    name: str
    version: str
    data: dict = field(repr=False, compare=False)

    @property
    def entity_types(self) -> list[str]:
        return [t["name"] for t in self.data["entity_types"]]

    @property
    def event_types(self) -> list[str]:
        return [t["name"] for t in self.data["event_types"]]

    @property
    def mention_levels(self) -> list[str]:
        return [m["name"] for m in self.data.get("mention_levels", [])]

    @property
    def roles(self) -> list[str]:
        return [r["name"] for r in self.data["roles"]]

    @property
    def event_attributes(self) -> list[dict]:
        return list(self.data.get("event_attributes", []))

    def roles_of(self, event_type: str) -> list[str]:
        """Roles allowed for an event type (empty for an unknown type)."""
        return list(self._event_roles.get(event_type, ()))

    def fillers_of(self, role: str) -> list[str]:
        """Entity types that may fill a role (empty for an unknown role)."""
        return list(self._fillers.get(role, ()))

    def entity_type(self, name: str) -> dict | None:
        return self._entities.get(name)

    def event_type(self, name: str) -> dict | None:
        return self._events.get(name)

    @cached_property
    def _event_roles(self) -> dict[str, list[str]]:
        return {t["name"]: t["roles"] for t in self.data["event_types"]}

    @cached_property
    def _fillers(self) -> dict[str, list[str]]:
        return {r["name"]: r["fillers"] for r in self.data["roles"]}

    @cached_property
    def _entities(self) -> dict[str, dict]:
        return {t["name"]: t for t in self.data["entity_types"]}

    @cached_property
    def _events(self) -> dict[str, dict]:
        return {t["name"]: t for t in self.data["event_types"]}

    def ref(self) -> dict:
        return {"name": self.name, "version": self.version}


def _check_consistency(data: dict, where: str) -> None:
    entities = {t["name"] for t in data["entity_types"]}
    roles = {r["name"] for r in data["roles"]}
    problems = []
    for i, ev in enumerate(data["event_types"]):
        for j, role in enumerate(ev["roles"]):
            if role not in roles:
                problems.append(f"$.event_types[{i}].roles[{j}]: role {role!r} of {ev['name']} is not declared in $.roles")
    for i, r in enumerate(data["roles"]):
        for j, t in enumerate(r["fillers"]):
            if t not in entities:
                problems.append(f"$.roles[{i}].fillers[{j}]: filler {t!r} of role {r['name']} is not an entity type")
    if problems:
        raise SchemaError(f"{where}: " + "; ".join(problems))


def load_ontology(path: str | Path | None = None) -> Ontology:
    """Load and check an ontology file; the default is ACE 2005 from schema/ontology/."""
    if path is None:
        path = schema_root() / "ontology" / f"{DEFAULT_ONTOLOGY}.json"
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaError(f"{path}: cannot read ontology: {exc}") from None
    errors = list(schema_errors("ontology", data))
    if errors:
        raise SchemaError(f"{path}: not a valid ontology: " + "; ".join(f"{p}: {m}" for p, m, _ in errors))
    _check_consistency(data, str(path))
    return Ontology(data["name"], data["version"], data)
