"""The Label Studio labeling configuration (XML), made from the ontology.

Nothing here names an entity type, an event type or a role: they all come from the
ontology file, so a different ontology gives a different configuration. The tag names are
those of :data:`corpus.studio.convert.NAMES`, which the conversion of results relies on.

Right-to-left: Label Studio has no RTL switch; the text view gets ``direction: rtl`` by
CSS, with ``unicode-bidi: plaintext`` so that each paragraph takes its direction from its
own first strong character. The shared notes report words looking scrambled around the
label badges Label Studio inserts in RTL text; in Debian's Chromium with this CSS the
order stayed right (checked with badges on and off, see tests/studio/test_browser.py,
which measures the word positions). The badges are still off (``showLabels="false"``):
colours and the regions panel tell the labels apart, and no Latin run sits inside Arabic
lines. ``white-space: pre-wrap`` keeps every space and line break as the offsets count
them.
"""

from __future__ import annotations

import colorsys
import hashlib
from xml.sax.saxutils import quoteattr

from ..ontology import Ontology
from .convert import NAMES, Names

__all__ = ["label_config", "RTL_STYLE"]

RTL_STYLE = ("direction: rtl; text-align: right; unicode-bidi: plaintext; white-space: pre-wrap; "
             "font-size: 18px; line-height: 2.2")

_CSS = """
.htx-text { white-space: pre-wrap; direction: rtl; text-align: right; unicode-bidi: plaintext; }
.corpus-doc { border: 1px solid #ddd; padding: 12px; }
"""


def _colour(name: str, kind: str) -> str:
    # a stable colour per label: hue from a hash of the name, entities light, triggers darker
    h = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    light = 0.72 if kind == "entity" else 0.58
    r, g, b = colorsys.hls_to_rgb(h, light, 0.75)
    return "#%02x%02x%02x" % (round(r * 255), round(g * 255), round(b * 255))


def _hint(item: dict) -> str:
    parts = [item.get("description"), item.get("description_ar")]
    examples = item.get("examples") or ([item["example"]] if item.get("example") else [])
    if examples:
        parts.append("؛ ".join(examples))
    return " — ".join(p for p in parts if p)


def _label(item: dict, kind: str, hotkeys: set[str]) -> str:
    attrs = {"value": item["name"], "background": _colour(item["name"], kind)}
    hint = _hint(item)
    if hint:
        attrs["hint"] = hint
    key = item.get("hotkey")
    if key and key not in hotkeys:
        # Label Studio hotkeys are global to the view: a key used twice is kept once
        hotkeys.add(key)
        attrs["hotkey"] = key
    return "<Label " + " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items()) + "/>"


def label_config(ontology: Ontology, *, title: str | None = None, names: Names = NAMES) -> str:
    """The labeling configuration XML for ``ontology``.

    Entity types are one ``<Labels>`` group, event types (trigger spans) another; mention
    levels and event attributes are per-region ``<Choices>`` shown for the selected
    region; argument roles are ``<Relations>`` drawn from the trigger to the argument.
    """
    hotkeys: set[str] = set()
    text = names.text
    out = ["<View>", f"  <Style>{_CSS}</Style>"]
    heading = title or ontology.data.get("title") or ontology.name
    out.append(f"  <Header value={quoteattr(f'{heading} ({ontology.name} {ontology.version})')} size=\"5\"/>")
    out.append('  <View style="display: flex; gap: 16px; align-items: flex-start">')
    # the document on the right (first in RTL reading), the label groups on the left
    out.append('    <View style="flex: 3">')
    out.append(f'      <View className="corpus-doc" style={quoteattr(RTL_STYLE)}>')
    out.append(f'        <Text name="{text}" value="${text}" granularity="symbol" showLabels="false" '
               f'saveTextResult="yes"/>')
    out.append("      </View>")
    out.append("    </View>")
    out.append('    <View style="flex: 2; max-height: 80vh; overflow-y: auto">')
    out.append('      <Header value="Entities / الكيانات" size="6"/>')
    out.append(f'      <Labels name="{names.entity}" toName="{text}" showInline="true" choice="single">')
    out.extend("        " + _label(t, "entity", hotkeys) for t in ontology.data["entity_types"])
    out.append("      </Labels>")
    levels = ontology.data.get("mention_levels") or []
    if levels:
        out.append('      <View visibleWhen="region-selected" whenTagName="' + names.entity + '">')
        out.append('        <Header value="Mention level / مستوى الذكر" size="6"/>')
        out.append(f'        <Choices name="{names.level}" toName="{text}" perRegion="true" choice="single" '
                   f'showInline="true">')
        for lv in levels:
            hint = _hint(lv)
            out.append(f"          <Choice value={quoteattr(lv['name'])}" + (f" hint={quoteattr(hint)}" if hint else "")
                       + "/>")
        out.append("        </Choices>")
        out.append("      </View>")
    if ontology.data["event_types"]:
        out.append('      <Header value="Event triggers / محفزات الأحداث" size="6"/>')
        out.append(f'      <Labels name="{names.trigger}" toName="{text}" showInline="true" choice="single">')
        out.extend("        " + _label(t, "trigger", hotkeys) for t in ontology.data["event_types"])
        out.append("      </Labels>")
    attributes = ontology.event_attributes
    if attributes:
        out.append('      <View visibleWhen="region-selected" whenTagName="' + names.trigger + '">')
        for attr in attributes:
            out.append(f"        <Header value={quoteattr(attr['name'])} size=\"6\"/>")
            out.append(f'        <Choices name="{names.attribute(attr["name"])}" toName="{text}" perRegion="true" '
                       f'choice="single" showInline="true">')
            out.extend(f"          <Choice value={quoteattr(v)}/>" for v in attr["values"])
            out.append("        </Choices>")
        out.append("      </View>")
    if ontology.roles:
        out.append("      <Relations>")
        out.extend(f"        <Relation value={quoteattr(r)}/>" for r in ontology.roles)
        out.append("      </Relations>")
    out.append("    </View>")
    out.append("  </View>")
    out.append("</View>")
    return "\n".join(out) + "\n"
