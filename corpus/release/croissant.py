"""croissant.json: MLCommons Croissant 1.1 metadata, hand-built JSON-LD.

One FileObject per Parquet file (with its sha256) and one RecordSet per config and split,
whose fields mirror the config's Features: structs become ``subField``s read with a
``jsonPath`` transform, lists become ``isArray`` fields (list-of-struct fields are why this
declares Croissant 1.1), ClassLabel columns are integers whose label names the field's
description lists and a label RecordSet (inline ``data``) spells out.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .manifest import dumps, file_sha256

if TYPE_CHECKING:  # pragma: no cover
    from .build import ReleaseFacts

__all__ = ["render_croissant", "CONTEXT", "CONFORMS_TO"]

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "arrayShape": "cr:arrayShape",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

_SPDX = {
    "cc-by-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "cc-by-sa-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "cc-by-sa-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "cc-by-3.0": "https://creativecommons.org/licenses/by/3.0/",
    "cc-by-nc-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "cc-by-nc-sa-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "cc0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0",
    "mit": "https://opensource.org/licenses/MIT",
}

_TYPES = {"string": "sc:Text", "int64": "sc:Integer", "int32": "sc:Integer", "float64": "sc:Float",
          "float32": "sc:Float", "bool": "sc:Boolean"}


def _fields(features: dict, rs: str, file_id: str, column: str | None = None, path: tuple = ()) -> list[dict]:
    """Croissant fields for a Features mapping (or a struct inside one)."""
    from datasets import ClassLabel, List, Value

    out = []
    for name, feat in features.items():
        fid = "/".join((rs, *path, name))
        col = column or name
        source: dict = {"fileObject": {"@id": file_id}, "extract": {"column": col}}
        if column is not None:
            source["transform"] = {"jsonPath": name}
        field: dict = {"@type": "cr:Field", "@id": fid, "name": name}
        inner, is_array = feat, False
        if isinstance(feat, List):
            inner, is_array = feat.feature, True
        if is_array:
            field["isArray"] = True
            field["arrayShape"] = "-1"
        if isinstance(inner, dict):
            field["subField"] = _fields(inner, rs, file_id, col if column is None else col, (*path, name))
            if column is not None:  # nested deeper than one level: read the sub-struct by path
                for sub in field["subField"]:
                    sub["source"]["transform"] = {"jsonPath": f"{name}.{sub['name']}"}
        elif isinstance(inner, ClassLabel):
            field["dataType"] = "sc:Integer"
            names = inner.names
            shown = ", ".join(f"{i}={n}" for i, n in enumerate(names[:40]))
            more = f", … ({len(names)} labels)" if len(names) > 40 else ""
            field["description"] = f"class label id: {shown}{more}"
            field["source"] = source
        elif isinstance(inner, Value):
            field["dataType"] = _TYPES.get(inner.dtype, "sc:Text")
            field["source"] = source
        else:  # pragma: no cover - every Features of features.py is covered above
            raise TypeError(f"no Croissant mapping for {fid}: {inner!r}")
        out.append(field)
    return out


def _label_sets(facts: "ReleaseFacts") -> list[dict]:
    """One RecordSet per label set, with inline data: id -> name."""
    from datasets import ClassLabel, List

    seen: dict[tuple, str] = {}
    out = []

    def walk(features: dict, config: str, path: tuple):
        for name, feat in features.items():
            inner = feat.feature if isinstance(feat, List) else feat
            if isinstance(inner, dict):
                walk(inner, config, (*path, name))
            elif isinstance(inner, ClassLabel):
                key = tuple(inner.names)
                if key in seen:
                    continue
                rs = "labels_" + "_".join((config, *path, name))
                seen[key] = rs
                out.append({
                    "@type": "cr:RecordSet", "@id": rs, "name": rs,
                    "description": f"Label names of `{'.'.join((*path, name))}` in config `{config}`.",
                    "key": {"@id": f"{rs}/id"},
                    "field": [
                        {"@type": "cr:Field", "@id": f"{rs}/id", "name": "id", "dataType": "sc:Integer"},
                        {"@type": "cr:Field", "@id": f"{rs}/name", "name": "name", "dataType": "sc:Text"},
                    ],
                    "data": [{f"{rs}/id": i, f"{rs}/name": n} for i, n in enumerate(inner.names)],
                })

    for config in facts.configs:
        walk(facts.features[config], config, ())
    return out


def render_croissant(folder: Path, facts: "ReleaseFacts") -> str:
    info = facts.info
    distribution = []
    record_sets = []
    for config in facts.configs:
        for split, entry in facts.files[config].items():
            rel = entry["path"]
            distribution.append({
                "@type": "cr:FileObject", "@id": rel, "name": rel, "contentUrl": rel,
                "encodingFormat": "application/x-parquet", "sha256": file_sha256(folder / rel),
                "contentSize": f"{entry['bytes']} B",
            })
            rs = f"{config}_{split}"
            record_sets.append({
                "@type": "cr:RecordSet", "@id": rs, "name": rs,
                "description": f"Config `{config}`, split `{split}`: {entry['rows']} rows.",
                "field": _fields(facts.features[config], rs, rel),
            })
    doc = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": info.name,
        "alternateName": info.pretty_name,
        "description": (info.description or f"{info.pretty_name}: {facts.documents} documents with "
                        f"gold entity{' and event' if facts.ontology.event_types else ''} annotations "
                        f"(ontology {facts.ontology.name} {facts.ontology.version})."),
        "version": facts.version,
        "license": _SPDX.get(info.license, info.license),
        "url": info.homepage or f"https://huggingface.co/datasets/{info.name}",
        "inLanguage": sorted(facts.languages) or [info.language],
        "keywords": ["named entities", "news", info.language] + (["events"] if facts.ontology.event_types else []),
        "distribution": distribution,
        "recordSet": record_sets + _label_sets(facts),
    }
    doc["citeAs"] = info.citation or (f"{info.pretty_name} ({info.name}), release {facts.version}"
                                      + (f", {facts.date}" if facts.date else "") + ".")
    if facts.date:
        doc["datePublished"] = facts.date
    if info.credits:
        doc["creditText"] = "; ".join(info.credits)
    return dumps(doc)
