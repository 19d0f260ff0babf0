"""Publishing: to a real git repository (bare, in tmp), and to the Hub through a recording
stand-in for HfApi (the Hub cannot be reached here; this is the one allowed fake)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field

import pytest
from click.testing import CliRunner

from release_helpers import make_corpus
from corpus.cli import main
from corpus.errors import ReleaseError
from corpus.release import build_release, publish, verify_release
from corpus.release.inputs import CorpusInfo

INFO = CorpusInfo(name="pub-news", pretty_name="Pub news", license="cc-by-4.0")


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    root = tmp_path_factory.mktemp("pub")
    corpus = make_corpus(root / "corpus", n=5, dup_pairs=())
    out = root / "releases"
    first = build_release("0.1.0", documents=corpus / "documents", gold=corpus / "gold", out=out, info=INFO,
                          date="2026-01-01")
    # 0.2.0 without events in the ontology: the events/ folder disappears
    from corpus.ontology import load_ontology
    import json

    data = dict(load_ontology().data, event_types=[], event_attributes=[])
    onto = root / "ner-only.json"
    onto.write_text(json.dumps(data), encoding="utf-8")
    gold = root / "gold-no-events"
    gold.mkdir()
    lines = (corpus / "gold" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    import msgspec

    stripped = []
    for line in lines:
        g = msgspec.json.decode(line)
        g["events"] = []
        stripped.append(msgspec.json.encode(g).decode())
    (gold / "gold.jsonl").write_text("\n".join(stripped) + "\n", encoding="utf-8")
    second = build_release("1.0.0", documents=corpus / "documents", gold=gold, out=out, info=INFO,
                           ontology=load_ontology(onto), date="2026-02-01")
    return first.path, second.path


def _git(*args, cwd=None) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def test_publish_to_a_bare_git_repository_commits_and_tags(releases, tmp_path):
    first, second = releases
    bare = tmp_path / "dataset.git"
    _git("init", "--quiet", "--bare", str(bare))
    r1 = publish(first, "0.1.0", str(bare))
    assert r1.tag == "v0.1.0" and len(r1.commit) == 40
    assert _git("rev-parse", "v0.1.0^{commit}", cwd=bare) == r1.commit
    assert _git("cat-file", "-t", "v0.1.0", cwd=bare) == "tag"  # annotated
    r2 = publish(second, "1.0.0", str(bare))
    assert _git("rev-parse", "main", cwd=bare) == r2.commit
    assert _git("rev-parse", f"{r2.commit}^", cwd=bare) == r1.commit
    # a clone of each tag is the release itself, and verifies
    for tag, folder in (("v0.1.0", first), ("v1.0.0", second)):
        clone = tmp_path / f"clone-{tag}"
        _git("clone", "--quiet", "--branch", tag, str(bare), str(clone))
        assert verify_release(clone).ok
        assert (clone / "manifest.json").read_bytes() == (folder / "manifest.json").read_bytes()
    assert not (tmp_path / "clone-v1.0.0" / "events").exists()  # files of 0.1.0 do not linger
    assert (tmp_path / "clone-v0.1.0" / "events").is_dir()


def test_a_published_tag_is_never_moved(releases, tmp_path):
    first, _ = releases
    bare = tmp_path / "d.git"
    _git("init", "--quiet", "--bare", str(bare))
    publish(first, "0.1.0", str(bare))
    with pytest.raises(ReleaseError, match="tag v0.1.0 already exists; a published version is never moved"):
        publish(first, "0.1.0", str(bare))


def test_a_tampered_or_mislabelled_release_is_not_published(releases, tmp_path):
    first, _ = releases
    bare = tmp_path / "d.git"
    _git("init", "--quiet", "--bare", str(bare))
    with pytest.raises(ReleaseError, match="holds release 0.1.0, not 0.2.0"):
        publish(first, "0.2.0", str(bare))
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)
    (copy / "README.md").write_text("edited", encoding="utf-8")
    with pytest.raises(ReleaseError, match="(?s)does not match its manifest.*changed: README.md"):
        publish(copy, "0.1.0", str(bare))
    assert _git("tag", cwd=bare) == ""
    with pytest.raises(ReleaseError, match="no such git repository"):
        publish(first, "0.1.0", str(tmp_path / "nowhere.git"))


def test_cli_publish_to_git(releases, tmp_path):
    first, _ = releases
    bare = tmp_path / "cli.git"
    _git("init", "--quiet", "--bare", str(bare))
    res = CliRunner().invoke(main, ["publish", "0.1.0", "--to", str(bare), "--release", str(first)])
    assert res.exit_code == 0, res.output
    assert "tag v0.1.0" in res.output
    assert _git("tag", cwd=bare) == "v0.1.0"


@dataclass
class _Commit:
    oid: str


@dataclass
class _Refs:
    tags: list


@dataclass
class _Tag:
    name: str


@dataclass
class RecordingHfApi:
    """Stands in for huggingface_hub.HfApi (unreachable here): records each call."""

    existing_tags: list[str] = field(default_factory=list)
    calls: list[tuple] = field(default_factory=list)

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))

    def list_repo_refs(self, repo_id, **kw):
        self.calls.append(("list_repo_refs", repo_id, kw))
        return _Refs([_Tag(t) for t in self.existing_tags])

    def upload_folder(self, **kw):
        self.calls.append(("upload_folder", kw))
        return _Commit("c0ffee" * 6 + "abcd")

    def create_tag(self, repo_id, **kw):
        self.calls.append(("create_tag", repo_id, kw))


def test_hub_publish_uploads_the_folder_then_tags_that_commit(releases):
    first, _ = releases
    api = RecordingHfApi()
    result = publish(first, "0.1.0", "hf://datasets/my-org/pub-news", api=api)
    names = [c[0] for c in api.calls]
    assert names == ["create_repo", "list_repo_refs", "upload_folder", "create_tag"]
    assert api.calls[0] == ("create_repo", "my-org/pub-news", {"repo_type": "dataset", "exist_ok": True})
    upload = api.calls[2][1]
    assert upload["folder_path"] == str(first) and upload["repo_id"] == "my-org/pub-news"
    assert upload["repo_type"] == "dataset" and upload["commit_message"] == "Release 0.1.0"
    assert api.calls[3] == ("create_tag", "my-org/pub-news", {"tag": "v0.1.0", "revision": "c0ffee" * 6 + "abcd",
                                                              "repo_type": "dataset", "tag_message": "Release 0.1.0"})
    assert result.target == "hf://datasets/my-org/pub-news" and result.commit == "c0ffee" * 6 + "abcd"


def test_hub_publish_refuses_an_existing_tag_and_bad_targets(releases):
    first, _ = releases
    api = RecordingHfApi(existing_tags=["v0.1.0"])
    with pytest.raises(ReleaseError, match="tag v0.1.0 already exists"):
        publish(first, "0.1.0", "hf://datasets/my-org/pub-news", api=api)
    assert "upload_folder" not in [c[0] for c in api.calls]
    with pytest.raises(ReleaseError, match="must be ORG/NAME"):
        publish(first, "0.1.0", "hf://datasets/just-a-name", api=RecordingHfApi())
    with pytest.raises(ReleaseError, match="hf://datasets/ORG/NAME"):
        publish(first, "0.1.0", "hf://models/x/y", api=RecordingHfApi())


def test_hub_errors_become_one_clean_message(releases):
    first, _ = releases

    class Failing(RecordingHfApi):
        def upload_folder(self, **kw):
            raise ConnectionError("Hub unreachable")

    with pytest.raises(ReleaseError, match="hf://datasets/o/n: ConnectionError: Hub unreachable"):
        publish(first, "0.1.0", "hf://datasets/o/n", api=Failing())
