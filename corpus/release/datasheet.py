"""DATASHEET.md after Gebru et al., "Datasheets for Datasets" (CACM 2021): the seven
sections, every question answered. Facts come from the release (counts, sources, dates,
normalization, annotators, agreement, license); what the data cannot know comes from the
corpus facts (corpus.json ``datasheet`` answers, keyed by question id) or says plainly that
it is not documented. A question that does not apply says why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .card import agreement_measured, language_name, plural
from .splits import SPLITS

if TYPE_CHECKING:  # pragma: no cover
    from .build import ReleaseFacts

__all__ = ["render_datasheet", "QUESTIONS"]

#: (section, question id, question); answers are made by ``_answers``
QUESTIONS: list[tuple[str, str, str]] = [
    ("Motivation", "purpose", "For what purpose was the dataset created?"),
    ("Motivation", "creators", "Who created the dataset and on behalf of which entity?"),
    ("Motivation", "funding", "Who funded the creation of the dataset?"),
    ("Composition", "instances", "What do the instances that comprise the dataset represent?"),
    ("Composition", "count", "How many instances are there in total?"),
    ("Composition", "sample", "Does the dataset contain all possible instances or is it a sample?"),
    ("Composition", "instance_data", "What data does each instance consist of?"),
    ("Composition", "labels", "Is there a label or target associated with each instance?"),
    ("Composition", "missing", "Is any information missing from individual instances?"),
    ("Composition", "relationships", "Are relationships between individual instances made explicit?"),
    ("Composition", "splits", "Are there recommended data splits?"),
    ("Composition", "noise", "Are there any errors, sources of noise, or redundancies in the dataset?"),
    ("Composition", "self_contained", "Is the dataset self-contained, or does it link to or rely on external resources?"),
    ("Composition", "confidential", "Does the dataset contain data that might be considered confidential?"),
    ("Composition", "offensive", "Does the dataset contain data that might be offensive, insulting, threatening, or cause anxiety?"),
    ("Composition", "people", "Does the dataset identify any subpopulations, or individuals, directly or indirectly?"),
    ("Composition", "sensitive", "Does the dataset contain data that might be considered sensitive in any way?"),
    ("Collection process", "acquisition", "How was the data associated with each instance acquired?"),
    ("Collection process", "mechanisms", "What mechanisms or procedures were used to collect the data?"),
    ("Collection process", "sampling", "If the dataset is a sample from a larger set, what was the sampling strategy?"),
    ("Collection process", "collectors", "Who was involved in the data collection process and how were they compensated?"),
    ("Collection process", "timeframe", "Over what timeframe was the data collected?"),
    ("Collection process", "ethics", "Were any ethical review processes conducted?"),
    ("Collection process", "consent", "Were the individuals in question notified about the data collection, and did they consent?"),
    ("Collection process", "impact", "Has an analysis of the potential impact of the dataset and its use on data subjects been conducted?"),
    ("Preprocessing, cleaning, labeling", "preprocessing", "Was any preprocessing/cleaning/labeling of the data done?"),
    ("Preprocessing, cleaning, labeling", "raw", "Was the raw data saved in addition to the preprocessed/cleaned/labeled data?"),
    ("Preprocessing, cleaning, labeling", "software", "Is the software used to preprocess/clean/label the instances available?"),
    ("Uses", "used", "Has the dataset been used for any tasks already?"),
    ("Uses", "repository", "Is there a repository that links to any or all papers or systems that use the dataset?"),
    ("Uses", "other_tasks", "What (other) tasks could the dataset be used for?"),
    ("Uses", "future_uses", "Is there anything about the composition or collection that might impact future uses?"),
    ("Uses", "not_for", "Are there tasks for which the dataset should not be used?"),
    ("Distribution", "third_parties", "Will the dataset be distributed to third parties outside of the entity on behalf of which it was created?"),
    ("Distribution", "how", "How will the dataset be distributed?"),
    ("Distribution", "when", "When will the dataset be distributed?"),
    ("Distribution", "license", "Will the dataset be distributed under a copyright or other intellectual property license, and/or under applicable terms of use?"),
    ("Distribution", "third_party_ip", "Have any third parties imposed IP-based or other restrictions on the data?"),
    ("Distribution", "export", "Do any export controls or other regulatory restrictions apply?"),
    ("Maintenance", "maintainer", "Who will be supporting/hosting/maintaining the dataset?"),
    ("Maintenance", "contact", "How can the owner/curator/manager of the dataset be contacted?"),
    ("Maintenance", "erratum", "Is there an erratum?"),
    ("Maintenance", "updates", "Will the dataset be updated?"),
    ("Maintenance", "retention", "If the dataset relates to people, are there applicable limits on the retention of the data?"),
    ("Maintenance", "older_versions", "Will older versions of the dataset continue to be supported?"),
    ("Maintenance", "contributions", "If others want to extend/augment/build on/contribute to the dataset, is there a mechanism for them to do so?"),
]

_UNDOCUMENTED = "Not documented by the corpus's creators; nothing in the data answers it."


def _n(c) -> str:
    return ", ".join(f"{k} ({v})" for k, v in sorted(c.items())) or "none recorded"


def _guidelines(f: "ReleaseFacts") -> str:
    """The annotation guidelines the annotators worked with (shown in the Label Studio
    labeling view), named with version and hash; imported corpora followed their source's."""
    from ..studio.guidelines import guidelines_ref

    if f.info.imported:
        return " Annotation guidelines: those of the source corpus."
    ref = guidelines_ref(f.ontology)
    if ref is None:
        return f" No versioned annotation guidelines document exists for the ontology `{f.ontology.name}`."
    note = "" if ref["ontology_version"] == f.ontology.version else \
        f" (written for ontology version {ref['ontology_version']}, the release uses {f.ontology.version})"
    return (f" Annotation guidelines: `{ref['path']}` version {ref['version']}{note}, sha256 {ref['sha256'][:12]}…, "
            f"shown in the Label Studio labeling view.")


def _answers(f: "ReleaseFacts") -> dict[str, str]:
    info, onto = f.info, f.ontology
    t = {k: sum(s[k] for s in f.totals.values()) for k in ("documents", "sentences", "tokens", "characters", "entities", "events", "arguments")}
    splits = ", ".join(f"{s} {f.totals[s]['documents']}" for s in SPLITS if f.totals[s]["documents"])
    has_events = bool(onto.event_types)
    task = "named-entity recognition" + (" and event extraction (triggers and arguments)" if has_events else "")
    imported = info.imported
    src = info.source_name or "its source"
    dates = f"published between {f.published[0]} and {f.published[1]}" if f.published else "with no publication dates recorded"
    a = {}
    a["purpose"] = (f"To train and evaluate {task} for {language_name(info.language)} text, with gold annotations under the "
                    f"`{onto.name}` ontology that can be reproduced and versioned."
                    + (f" This release repackages {src} in the same format." if imported else ""))
    a["creators"] = ("; ".join(info.credits) if info.credits else
                     f"The maintainers of `{info.name}` (see the repository's README and git history).")
    a["funding"] = _UNDOCUMENTED
    a["instances"] = (f"News documents in {', '.join(language_name(x) for x in sorted(f.languages)) or language_name(info.language)}; each carries character-offset "
                      f"annotations of entity mentions" + (" and events" if has_events else "") + ".")
    a["count"] = (f"{plural(t['documents'], 'document')} ({splits}), {plural(t['sentences'], 'sentence')}, {t['tokens']} tokens, "
                  f"{t['characters']} characters; {t['entities']} entity mentions"
                  + (f", {t['events']} event mentions with {t['arguments']} arguments" if has_events else "") + ".")
    a["sample"] = ("A sample: only documents with an adjudicated (gold) annotation are released"
                   + (f"; {f.unannotated} ingested documents without gold are left out." if f.unannotated else ".")
                   + (" The source corpus's own selection criteria apply." if imported else
                      " The documents were chosen by the maintainers; they do not represent Arabic news at large."))
    a["instance_data"] = ("The normalized text, source metadata (path, sha256, format, encoding, title, outlet, date when "
                          "known), sentence and token offsets (`documents`); entity mentions (`entities`)"
                          + (", event mentions (`events`)" if has_events else "") + " and BIO-tagged sentences (`ner`).")
    a["labels"] = (f"Yes: {len(onto.entity_types)} entity types ({', '.join(onto.entity_types)})"
                   + (f", {len(onto.event_types)} event types and {len(onto.roles)} argument roles" if has_events else "")
                   + f", from the ontology `{onto.name}` {onto.version}.")
    a["missing"] = (f"Metadata fields (title, author, date, outlet) are null where the source did not give them. "
                    f"Nested or crossing entity mentions are kept in `entities` but {f.ner_stats.get('overlap_dropped', 0)} "
                    f"of them are absent from the BIO tags of `ner`.")
    a["relationships"] = (("Event arguments point to entity mentions by id. " if has_events else "")
                          + f"Near-duplicate documents are linked by `near_duplicate_of` ({f.near_duplicate_groups} groups).")
    a["splits"] = (f"Yes: {splits}, made per near-duplicate group, seeded (seed {f.splits['seed']}) and kept stable "
                   f"across releases; the split of every document id is in `splits.jsonl` (its sha256 in `manifest.json`).")
    a["noise"] = ("Annotations are human judgements and may contain errors"
                  + ("; inter-annotator agreement is reported in the card." if agreement_measured(f.agreement) else
                     "; agreement was not measured for this release (see the card for why).")
                  + f" {f.ner_stats.get('expanded', 0)} entity spans do not fall on token boundaries and were widened in "
                    f"`ner`. Exact duplicates were removed at ingest and near-duplicates are linked.")
    a["self_contained"] = "Self-contained: the texts are included; source URLs, where given, are for reference only."
    a["confidential"] = ("No: published news text." if not imported else
                         f"Not to the maintainers' knowledge: {src} is a published corpus.")
    a["offensive"] = ("It may: news reports violence, war and crime, described in the texts and named in the event types."
                      if has_events else "It may: news covers conflict and crime.")
    a["people"] = ("Yes, public figures and other people named in the news are identified as PER-like entity mentions; "
                   "no other personal data is collected.")
    a["sensitive"] = "Political and religious affiliations of named people may be stated in the news texts."
    a["acquisition"] = (f"Taken from {src}: " if imported else "Collected news articles, ") + \
        f"source formats {_n(f.formats)}; {dates}."
    a["mechanisms"] = ("Converted from the source files by the `corpus` importers; no crawling."
                       if imported else "Files placed under seeds/ and read by `corpus ingest` (encoding detection, "
                                        "boilerplate removal, segmentation, deduplication).")
    a["sampling"] = "Not applicable, because the release holds every gold-annotated document of the corpus."
    a["collectors"] = _UNDOCUMENTED
    a["timeframe"] = f"Documents {dates}; outlets: {_n(f.outlets)}."
    a["ethics"] = _UNDOCUMENTED
    a["consent"] = ("Not applicable, because the data are published news reports, not collected from individuals.")
    a["impact"] = "No formal analysis has been conducted."
    a["preprocessing"] = (f"Yes. Text normalization: {_n(f.normalization)}, recorded per document with every edit "
                          f"(raw offsets map to normalized offsets). Labeling: policy {_n(f.policies)}; "
                          f"{len(f.annotators)} annotator(s): {_n(f.annotators)}." + _guidelines(f))
    a["raw"] = ("Each document keeps the sha256, path and encoding of its raw source and the list of edits and removed "
                "spans, so the raw text can be checked and offsets mapped back; raw files are not part of the release.")
    a["software"] = "Yes: the `corpus` toolkit (ingest, Label Studio round trip, validation, agreement, release)."
    a["used"] = "This release is new; no published use is known to the maintainers."
    a["repository"] = "Not applicable, because no uses are known yet."
    a["other_tasks"] = "Span detection, entity typing, mention-level classification, Arabic text normalization studies."
    a["future_uses"] = ("The texts are news from a limited set of outlets and period; models trained on them may not "
                        "transfer to other genres or dialects. Normalization choices are recorded per document.")
    a["not_for"] = "Profiling or surveillance of the people named in the texts."
    a["third_parties"] = "Yes, publicly."
    a["how"] = ("As a versioned folder of Parquet files with this datasheet, a dataset card, Croissant metadata and a "
                "sha256 manifest; published to git and the Hugging Face Hub with tag v" + f.version + ".")
    a["when"] = f"Release {f.version}" + (f" on {f.date}." if f.date else " (no date recorded).")
    a["license"] = (f"`{info.license}`" + (f", carried over from {src} ({info.source_license})" if info.source_license else "")
                    + "." + ("" if imported else " The annotations are the maintainers'; the article texts remain "
                                                  "their publishers'."))
    a["third_party_ip"] = (f"{src} is licensed {info.source_license}; its terms apply." if info.source_license
                           else "The news publishers hold the copyright of the article texts.")
    a["export"] = "None known."
    a["maintainer"] = f"The maintainers of the `{info.name}` repository."
    a["contact"] = "Through the repository's issue tracker" + (f" ({info.homepage})." if info.homepage else ".")
    a["erratum"] = "CHANGELOG.md lists every change between releases."
    a["updates"] = ("Yes, as new semantic versions; a version is never overwritten, and a document keeps its split "
                    "between releases.")
    a["retention"] = "Not applicable, because the data are published news, not data collected from the people named."
    a["older_versions"] = "Yes: every version stays available under its tag and folder."
    a["contributions"] = "Annotate through the Label Studio project and open a merge request; releases are built by `corpus release`."
    a.update({k: str(v) for k, v in info.datasheet.items() if k in a})
    return a


def render_datasheet(facts: "ReleaseFacts") -> str:
    answers = _answers(facts)
    date = f", {facts.date}" if facts.date else ""
    lines = [f"# Datasheet: {facts.info.pretty_name} {facts.version}", "",
             f"After Gebru et al., \"Datasheets for Datasets\", CACM 64(12), 2021. Release {facts.version}{date}; "
             f"facts are computed from the released data by `corpus release`.", ""]
    section = None
    for sec, qid, question in QUESTIONS:
        if sec != section:
            lines += [f"## {sec}", ""]
            section = sec
        lines += [f"**{question}**", "", answers[qid], ""]
    return "\n".join(lines)
