"""README.md dataset card: YAML front matter the Hub and ``datasets`` read (configs with
data files per split, ``dataset_info`` generated from the same Features as the Parquet
schema, license, language, task categories, size, creators) and a body of facts taken
from the release: counts, agreement, normalization, schema version, how to load."""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml

from .features import SPECS, features_yaml
from .splits import SPLITS

if TYPE_CHECKING:  # pragma: no cover
    from .build import ReleaseFacts

__all__ = ["render_card", "card_metadata", "size_category", "table", "agreement_lines", "agreement_measured",
           "plural", "language_name"]

_LANGUAGES = {"ar": "Arabic", "en": "English", "fr": "French", "fa": "Persian", "ur": "Urdu", "tr": "Turkish"}


def language_name(code: str) -> str:
    return _LANGUAGES.get(code, code)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def agreement_measured(agreement: dict | None) -> bool:
    """True when the report holds figures (not a report of nothing to compare)."""
    if not isinstance(agreement, dict) or not agreement:
        return False
    summary = agreement.get("summary", agreement)
    return isinstance(summary, dict) and bool(summary) and summary.get("documents") != 0

DEFAULT_CONFIG = "ner"


def size_category(n: int) -> str:
    """The Hub's size bucket for ``n`` examples."""
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
              (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
    for bound, name in bounds:
        if n < bound:
            return name
    return "n>1T" if n >= 10**12 else "1B<n<10B"


def card_metadata(facts: "ReleaseFacts") -> dict:
    info = facts.info
    configs = []
    dataset_info = []
    default = DEFAULT_CONFIG if DEFAULT_CONFIG in facts.files else facts.configs[0]
    for config in facts.configs:
        splits = facts.files[config]
        entry = {"config_name": config}
        if config == default:
            entry["default"] = True
        entry["data_files"] = [{"split": s, "path": f"{config}/{s}-*.parquet"} for s in splits]
        configs.append(entry)
        dataset_info.append({
            "config_name": config,
            "features": features_yaml(facts.features[config]),
            "splits": [{"name": s, "num_bytes": e["num_bytes"], "num_examples": e["rows"]} for s, e in splits.items()],
            "download_size": sum(e["bytes"] for e in splits.values()),
            "dataset_size": sum(e["num_bytes"] for e in splits.values()),
        })
    largest = max((sum(e["rows"] for e in facts.files[c].values()) for c in facts.configs), default=0)
    task_categories = ["token-classification"]
    task_ids = ["named-entity-recognition"]
    tags = ["news", "named-entities"]
    if "events" in facts.files:
        tags.append("event-extraction")
    tags.append(facts.ontology.name)
    meta = {
        "pretty_name": info.pretty_name,
        "license": info.license,
        "language": sorted(facts.languages) or [info.language],
        "multilinguality": ["monolingual" if len(facts.languages) <= 1 else "multilingual"],
        "size_categories": [size_category(largest)],
        "task_categories": task_categories,
        "task_ids": task_ids,
        "annotations_creators": list(info.annotations_creators),
        "language_creators": list(info.language_creators),
        "source_datasets": list(info.source_datasets),
        "tags": tags,
        "configs": configs,
        "dataset_info": dataset_info,
    }
    return meta


def table(header: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _label_table(facts: "ReleaseFacts", kind: str, names: list[str]) -> list[str]:
    per = facts.labels[kind]
    splits = [s for s in SPLITS if facts.totals[s]["documents"]]
    seen = set().union(*(set(per[s]) for s in splits)) if splits else set()
    names = [n for n in names if n in seen] + sorted(seen - set(names))
    rows = [[f"`{n}`"] + [per[s][n] for s in splits] + [sum(per[s][n] for s in splits)] for n in names]
    rows.append(["**total**"] + [sum(per[s].values()) for s in splits] + [sum(sum(per[s].values()) for s in splits)])
    return table(["label"] + splits + ["total"], rows)


_HEADLINE = [("entity_f1_exact", "entity span F1, exact"), ("entity_f1_overlap", "entity span F1, overlap"),
             ("cohen_kappa_mean", "Cohen's kappa on token tags (mean over pairs)"),
             ("krippendorff_alpha", "Krippendorff's alpha on token tags"), ("trigger_f1", "event trigger F1"),
             ("argument_f1", "event argument F1")]


def agreement_lines(agreement: dict | None) -> list[str]:
    """The agreement section: the summary of corpus.agree's report (or a JSON file of it)."""
    if not agreement:
        return ["Not measured for this release (no agreement report)."]
    summary = agreement.get("summary", agreement) if isinstance(agreement, dict) else {}
    if not isinstance(summary, dict) or not summary:
        return ["Not measured for this release (the agreement report has no summary)."]
    if summary.get("documents") == 0:
        who = agreement.get("annotators") if isinstance(agreement.get("annotators"), dict) else {}
        if not who:
            return ["Not measured: there are no per-annotator (submitted) annotations to compare."]
        listed = ", ".join(f"{k} ({v} documents)" for k, v in who.items())
        return [f"Not measured: no document was annotated by two or more annotators (annotators: {listed})."]
    lines = []
    if "documents" in summary:
        lines += [f"Measured on {summary['documents']} documents annotated by two or more of "
                  f"{len(summary.get('annotators') or [])} annotators"
                  + (f" ({summary['tokens']} tokens, {summary.get('tag_scheme', 'BIO')} tags)." if summary.get("tokens") else "."), ""]
    known = [(k, label) for k, label in _HEADLINE if k in summary]
    rows = [[label, _fmt(summary[k])] for k, label in known]
    skip = {k for k, _ in known} | {"documents", "annotators", "tokens", "tag_scheme", "by_label", "pairs", "skipped"}
    rows += [[str(k), _fmt(v)] for k, v in summary.items() if k not in skip and not isinstance(v, (dict, list))]
    lines += table(["measure", "value"], rows) if rows else []
    by_label = summary.get("by_label")
    if isinstance(by_label, dict) and by_label:
        cols = sorted({c for v in by_label.values() if isinstance(v, dict) for c in v})
        lines += ["", "Per label:", ""] + table(["label"] + cols, [
            [f"`{lab}`"] + [_fmt(v.get(c)) for c in cols] for lab, v in by_label.items() if isinstance(v, dict)])
    return lines


def _fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.3f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _field_lines(features) -> list[str]:
    from .changelog import flatten_features

    out = []
    for path, desc in flatten_features(features_yaml(features)).items():
        if desc == "list":
            continue
        if isinstance(desc, tuple):
            names = desc[1]
            shown = ", ".join(names[:12]) + (f", … ({len(names)} labels)" if len(names) > 12 else "")
            desc = f"ClassLabel: {shown}"
        out.append(f"- `{path}`: {desc}")
    return out


def _load_snippet(facts: "ReleaseFacts") -> list[str]:
    name, version = facts.info.name, facts.version
    lines = ["```python", "from datasets import load_dataset", "",
             "# this folder (offline), or the Hub repository pinned to this release:",
             f"# load_dataset(\"ORG/{name}\", CONFIG, revision=\"v{version}\")"]
    for config in facts.configs:
        lines.append(f"{config} = load_dataset(\"path/to/{name}-{version}\", \"{config}\")")
    if "ner" in facts.files:
        lines += ["", "labels = ner[\"train\"].features[\"ner_tags\"].feature.names"
                  if "train" in facts.files["ner"] else
                  f"labels = ner[\"{next(iter(facts.files['ner']))}\"].features[\"ner_tags\"].feature.names",
                  "# label ids -> names, e.g. for a token-classification model",
                  "id2label = dict(enumerate(labels))"]
    if "entities" in facts.files:
        split = next(iter(facts.files["entities"]))
        lines += [f"types = entities[\"{split}\"].features[\"type\"].names"]
    lines.append("```")
    return lines


def render_card(facts: "ReleaseFacts") -> str:
    info = facts.info
    meta = yaml.safe_dump(card_metadata(facts), sort_keys=False, allow_unicode=True, width=100)
    t = {k: sum(s[k] for s in facts.totals.values()) for k in ("documents", "sentences", "tokens", "entities", "events", "arguments")}
    L: list[str] = ["---", meta.rstrip("\n"), "---", "", f"# {info.pretty_name}", ""]
    date = f", released {facts.date}" if facts.date else ""
    L += [f"Release **{facts.version}**{date}: {plural(t['documents'], language_name(info.language) + ' document')}, "
          f"{plural(t['sentences'], 'sentence')}, {t['tokens']} tokens, {plural(t['entities'], 'entity mention')}"
          + (f", {t['events']} event mentions with {t['arguments']} arguments" if "events" in facts.features else "")
          + f". License: `{info.license}`.", ""]
    if info.description:
        L += [info.description, ""]
    if facts.previous_version:
        L += [f"Previous release: {facts.previous_version} (see CHANGELOG.md).", ""]

    L += ["## Loading", ""] + _load_snippet(facts) + [""]

    L += ["## Configs", ""]
    rows = []
    for config in facts.features:
        spec = SPECS[config]
        per = facts.files.get(config, {})
        counts = ", ".join(f"{s} {e['rows']}" for s, e in per.items()) or "no rows in this release"
        rows.append([f"`{config}`", f"one {spec.row}", counts, spec.description])
    L += table(["config", "row", "rows per split", "content"], rows) + [""]
    if "events" not in facts.features:
        L += [f"The ontology `{facts.ontology.name}` has no event types, so there is no `events` config.", ""]
    elif "events" not in facts.files:
        L += ["No document of this release has event annotations, so the `events` config has no files.", ""]
    L += ["Offsets are Python string indices (Unicode code points) into the document's normalized `text`; "
          "`end` is exclusive.", ""]
    for config in facts.configs:
        L += [f"### `{config}` fields", ""] + _field_lines(facts.features[config]) + [""]

    L += ["## Splits", ""]
    splits = [s for s in SPLITS if facts.totals[s]["documents"]]
    cols = ["documents", "sentences", "tokens", "entities"] + (["events", "arguments"] if "events" in facts.features else [])
    L += table(["split"] + cols, [[s] + [facts.totals[s][k] for k in cols] for s in splits]) + [""]
    ratios = facts.splits["ratios"]
    L += [f"Splits are made per document and deterministically: documents linked as near-duplicates form one group "
          f"that always lands in a single split ({facts.near_duplicate_groups} such groups); new groups are taken in "
          f"the order of sha256(seed:group), seed {facts.splits['seed']}, each going to the split furthest below its "
          f"target share (train {ratios['train']}, validation {ratios['validation']}, test {ratios['test']}). A document "
          f"keeps its split from one release to the next; `splits.jsonl` (listed with its sha256 in `manifest.json`) records the split of every document id.", ""]
    missing = [s for s in SPLITS if s not in splits]
    if missing:
        L += [f"Empty in this release: {', '.join(missing)} (too few documents); such splits are left out of the "
              f"configs, as `datasets` cannot load an empty Parquet file.", ""]

    L += ["## Label distribution", "", f"![Label distribution per split]({facts.figure})", "",
          "### Entity types", ""] + _label_table(facts, "entities", facts.ontology.entity_types) + [""]
    if "events" in facts.features:
        L += ["### Event types", ""] + _label_table(facts, "events", facts.ontology.event_types) + [""]
        L += ["### Argument roles", ""] + _label_table(facts, "roles", facts.ontology.roles) + [""]
    if facts.ontology.mention_levels:
        L += ["### Mention levels", ""] + _label_table(facts, "levels", facts.ontology.mention_levels + ["none"]) + [""]

    s = facts.ner_stats
    L += ["### From spans to BIO tags (`ner`)", "",
          f"Of {s.get('entities', 0)} entity mentions, {s.get('aligned', 0)} match token boundaries exactly; "
          f"{s.get('expanded', 0)} do not and were widened to the tokens they touch; {s.get('overlap_dropped', 0)} "
          f"overlap an outer mention (nested or crossing: BIO cannot hold them) and are missing from `ner` but kept in "
          f"`entities`; {s.get('no_tokens', 0)} touch no token; {s.get('cross_sentence', 0)} run over a sentence break "
          f"and are tagged in each sentence. Examples are listed in `manifest.json` (counts.ner_alignment).", ""]

    L += ["## Annotation", "", f"Gold annotations: {sum(facts.policies.values())} documents "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(facts.policies.items()))}); "
          f"annotators: {len(facts.annotators)}. Ontology `{facts.ontology.name}` {facts.ontology.version}"
          f" ({len(facts.ontology.entity_types)} entity types, {len(facts.ontology.event_types)} event types, "
          f"{len(facts.ontology.roles)} roles).", ""]
    if facts.unannotated:
        L += [f"{facts.unannotated} ingested documents have no gold annotation yet and are not in this release.", ""]
    L += ["### Inter-annotator agreement", ""] + agreement_lines(facts.agreement) + [""]

    L += ["## Text and schema", "",
          f"- Normalization profile: {', '.join(f'`{k}` ({v} documents)' for k, v in sorted(facts.normalization.items()))}.",
          f"- Record schema version: `{facts.schema_version}` (schema/{facts.schema_version}/); every Parquet file "
          f"carries it in its `corpus` schema metadata.",
          f"- Source formats: {', '.join(f'{k} ({v})' for k, v in sorted(facts.formats.items()))}.", ""]
    if facts.outlets:
        L.insert(len(L) - 1, f"- Outlets: {', '.join(f'{k} ({v})' for k, v in sorted(facts.outlets.items()))}.")

    L += ["## Source, license and credits", "", f"License of this release: `{info.license}`."]
    if not info.imported:
        L += [f"The license covers the annotations; the article texts remain their publishers' "
              f"({', '.join(sorted(facts.outlets)) or 'see each document’s source metadata'}). See DATASHEET.md."]
    if info.source_license:
        L += [f"It is derived from {info.source_name or 'an existing corpus'}, licensed {info.source_license}; "
              f"the release carries that license over."]
    L.append("")
    for c in info.credits:
        L.append(f"- {c}")
    if info.credits:
        L.append("")
    if info.homepage:
        L += [f"Homepage: {info.homepage}", ""]
    if info.citation:
        L += ["### Citation", "", "```", info.citation.strip(), "```", ""]

    L += ["## Files", "",
          "- `DATASHEET.md`: the datasheet (Gebru et al., Datasheets for Datasets).",
          "- `croissant.json`: MLCommons Croissant metadata of the files and fields.",
          "- `CHANGELOG.md`: what changed since the previous release.",
          "- `features.json`: the Features of every config (also the Parquet schema).",
          "- `splits.jsonl`: every document id with its split, near-duplicate group and digests, sorted by id.",
          "- `manifest.json`: sha256 of every file, inputs, split parameters, counts; check it with "
          "`corpus verify DIR`.", ""]
    return "\n".join(L)
