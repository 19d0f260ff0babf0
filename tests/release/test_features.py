import pyarrow as pa

from corpus.ontology import load_ontology
from corpus.release.features import config_features, features_from_yaml, features_yaml, ner_labels
from corpus.schemas import load_schema


def test_document_structs_follow_the_document_schema(ontology):
    f = config_features(ontology)["documents"]
    props = load_schema("document")["properties"]
    for name in ("metadata", "source", "normalization"):
        assert list(f[name]) == list(props[name]["properties"])
    assert f["source"]["line"].dtype == "int64" and f["metadata"]["extra"].dtype == "string"


def test_span_columns_are_fields_of_the_annotation_schema(ontology):
    defs = load_schema("annotation")["$defs"]
    entity = set(defs["entity"]["properties"])
    f = config_features(ontology)
    assert set(f["entities"]) - {"document_id"} <= entity
    event = defs["event"]["properties"]
    assert set(f["events"]) - {"document_id"} <= set(event)
    assert set(f["events"]["trigger"]) == set(event["trigger"]["properties"])
    # an argument row is the schema's (role, entity) plus the filler's span and type
    assert set(f["events"]["arguments"].feature) == {"role", "entity_id", "entity_type", "start", "end", "text"}


def test_labels_come_from_the_ontology_only(tmp_path):
    import json

    data = {"schema_version": "1.0.0", "name": "x", "version": "1.0.0",
            "entity_types": [{"name": "Z"}, {"name": "A"}], "event_types": [], "roles": []}
    path = tmp_path / "o.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    onto = load_ontology(path)
    f = config_features(onto)
    assert "events" not in f
    assert ner_labels(onto) == ["O", "B-Z", "I-Z", "B-A", "I-A"]
    assert f["ner"]["ner_tags"].feature.names == ner_labels(onto)
    assert f["entities"]["type"].names == ["Z", "A"]


def test_classlabel_sequences_are_plain_int64_lists_and_round_trip_through_yaml(ontology):
    for config, f in config_features(ontology).items():
        assert features_from_yaml(features_yaml(f)) == f
    schema = config_features(ontology)["ner"].arrow_schema
    assert schema.field("ner_tags").type == pa.list_(pa.int64())
    assert schema.field("ner_tags").nullable
    assert b"huggingface" in schema.metadata
    assert config_features(load_ontology())["events"]["arguments"].feature["role"].names[0] == "Adjudicator"
