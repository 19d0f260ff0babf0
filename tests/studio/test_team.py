"""Team workflow (issue 7) against the real server: annotator accounts, overlap share,
labeling as those annotators through the API, progress, agreement so far."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from click.testing import CliRunner
from label_studio_sdk import LabelStudio

from corpus.cli import main
from corpus.errors import StudioError
from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.records import decode_annotation
from corpus.studio.push import find_project, overlap_settings, server_tasks
from corpus.studio.team import Account, annotator_progress, annotator_token

pytestmark = pytest.mark.studio

TEXT = "قال كارتر إن قوات التحالف استهدفت قادة في الموصل. وأكد العبادي ذلك في بغداد."


def _run(studio, *args):
    return CliRunner().invoke(main, [*args, "--data-dir", str(studio.data_dir), "--port", str(studio.port)])


def _span(rid, s, e, label, text=TEXT):
    return {"id": rid, "from_name": "entity", "to_name": "text", "type": "labels",
            "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]}}


def _at(s, text=TEXT):
    i = text.index(s)
    return i, i + len(s)


def _overlaps(ls, project_id):
    return sorted(t.overlap for t in ls.tasks.list(project=project_id, fields="task_only", page_size=1000))


def test_overlap_share_is_kept_by_the_server(studio, ls, tmp_path):
    project = "overlap share"
    docs = [document_from_text(f"اجتمع وزير الدفاع في بغداد مع نظيره رقم {i}.", doc_id=f"s{i:02d}") for i in range(15)]
    write_jsonl(tmp_path / "a" / "documents-00000.jsonl", docs[:10])
    write_jsonl(tmp_path / "b" / "documents-00000.jsonl", docs)
    # three import calls: the server redraws the cohort after each one
    res = _run(studio, "push", str(tmp_path / "a"), "--overlap", "2", "--overlap-share", "20", "--batch-size", "4",
               "--quiet", "--project", project)
    assert res.exit_code == 0, res.output
    p = find_project(ls, project)
    assert (p.maximum_annotations, p.overlap_cohort_percentage) == (2, 20)
    assert _overlaps(ls, p.id) == [1] * 8 + [2] * 2
    # five more documents: still 20% of the tasks (round(15 * 0.2) = 3)
    res = _run(studio, "push", str(tmp_path / "b"), "--overlap", "2", "--overlap-share", "20", "--quiet",
               "--project", project)
    assert res.exit_code == 0, res.output
    assert _overlaps(ls, p.id) == [1] * 12 + [2] * 3
    # a new share is applied to the tasks already there
    res = _run(studio, "push", str(tmp_path / "b"), "--overlap", "3", "--overlap-share", "40", "--quiet",
               "--project", project)
    assert res.exit_code == 0, res.output
    assert _overlaps(ls, p.id) == [1] * 9 + [3] * 6
    res = _run(studio, "studio", "status", "--project", project, "--counts-only")
    assert res.exit_code == 0, res.output
    assert "overlap:     3 annotators on 40% of the tasks, 1 on the others" in res.output
    # a share that would give nobody a second annotator, or no percentage, is refused
    res = _run(studio, "push", str(tmp_path / "b"), "--overlap", "1", "--overlap-share", "20", "--project", project)
    assert res.exit_code == 1 and "gives no task a second annotator" in res.stderr
    res = _run(studio, "push", str(tmp_path / "b"), "--overlap", "2", "--overlap-share", "120", "--project", project)
    assert res.exit_code == 2 and "120" in res.output
    assert _overlaps(ls, p.id) == [1] * 9 + [3] * 6


def test_overlap_settings_checks():
    assert overlap_settings(None, None) == {}
    assert overlap_settings(2, None) == {"maximum_annotations": 2, "overlap_cohort_percentage": 100}
    assert overlap_settings(2, 20) == {"maximum_annotations": 2, "overlap_cohort_percentage": 20}
    for args, msg in [((None, 20), "needs the number of annotators"), ((0, None), "at least 1"),
                      ((2, -1), "from 0 to 100"), ((2, 101), "from 0 to 100"), ((1, 50), "no task a second")]:
        with pytest.raises(StudioError, match=msg):
            overlap_settings(*args)


def test_two_annotator_accounts_label_the_same_task_as_themselves(studio, ls, tmp_path):
    project = "team of annotators"
    docs = [document_from_text(TEXT, doc_id="team-a"), document_from_text("خبر آخر عن باريس.", doc_id="team-b")]
    write_jsonl(tmp_path / "docs" / "documents-00000.jsonl", docs)
    res = _run(studio, "push", str(tmp_path / "docs"), "--overlap", "2", "--quiet", "--project", project)
    assert res.exit_code == 0, res.output

    # accounts with generated passwords, shown once; a bad address and a repeat fail alone
    res = _run(studio, "studio", "annotators", "add", "Amal@Example.org", "omar@example.org", "not-an-address",
               "third@example.org", "omar@example.org")
    assert res.exit_code == 1
    assert "not-an-address: not added: not an e-mail address" in res.stderr
    assert "omar@example.org: not added: given twice" in res.stderr
    passwords = dict(re.findall(r"^  (\S+@\S+)\s+(\S+)$", res.stdout, re.M))
    assert sorted(passwords) == ["amal@example.org", "omar@example.org", "third@example.org"]
    assert len(set(passwords.values())) == 3 and all(len(p) >= 16 for p in passwords.values())
    # ... never logged, never in a file of the server's data dir (the database keeps a hash)
    files = [f for f in studio.data_dir.rglob("*") if f.is_file()]
    for pw in passwords.values():
        assert pw.encode() not in b"".join(f.read_bytes() for f in files)
    assert "omar" in repr(Account(email="omar@example.org", user_id=3, password="secret-value-123")) \
        and "secret-value-123" not in repr(Account(email="omar@example.org", user_id=3, password="secret-value-123"))
    res = _run(studio, "studio", "annotators", "add", "amal@example.org")
    assert res.exit_code == 1 and "exists already" in res.stderr and "password" not in res.stdout

    # each annotator logs in and gets their own token; each labels the same task as themselves
    tokens = {e: annotator_token(studio, e, pw) for e, pw in passwords.items()}
    assert len(set(tokens.values())) == 3
    with pytest.raises(StudioError, match="cannot log in"):
        annotator_token(studio, "amal@example.org", "wrong password")
    p = find_project(ls, project)
    task = next(t["id"] for t in server_tasks(ls, p.id) if t["data"]["doc_id"] == "team-a")
    other = next(t["id"] for t in server_tasks(ls, p.id) if t["data"]["doc_id"] == "team-b")
    amal = LabelStudio(base_url=studio.url, api_key=tokens["amal@example.org"])
    omar = LabelStudio(base_url=studio.url, api_key=tokens["omar@example.org"])
    assert amal.users.whoami().email == "amal@example.org"
    a = amal.annotations.create(id=task, result=[_span("k", *_at("كارتر"), "PER"), _span("m", *_at("الموصل"), "GPE")],
                                lead_time=30.0)
    b = omar.annotations.create(id=task, result=[_span("k", *_at("كارتر"), "PER"), _span("b", *_at("العبادي"), "PER")],
                                lead_time=50.0)
    omar.annotations.create(id=other, result=[], was_cancelled=True, lead_time=4.0)
    users = {u.id: u.email for u in ls.users.list()}
    assert users[a.completed_by] == "amal@example.org" and users[b.completed_by] == "omar@example.org"

    # corpus pull + corpus agree see both annotators with a figure
    out = tmp_path / "annotations"
    res = _run(studio, "pull", "--out", str(out), "--documents", str(tmp_path / "docs"), "--project", project,
               "--rejects", str(tmp_path / "rejects.jsonl"))
    assert res.exit_code == 0, res.output
    recs = [decode_annotation(line) for line in (out / "team-a.jsonl").read_bytes().splitlines()]
    assert sorted(r.annotator for r in recs) == ["amal@example.org", "omar@example.org"]
    res = CliRunner().invoke(main, ["agree", str(out), "--documents", str(tmp_path / "docs"), "--format", "json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["annotators"] == ["amal@example.org", "omar@example.org"] and summary["documents"] == 1
    assert summary["entity_f1_exact"] == 0.5  # كارتر agreed; الموصل and العبادي each by one: 2·1/(2+2)
    assert summary["cohen_kappa_mean"] is not None

    # status: counts, per annotator with lead time, the same agreement
    res = _run(studio, "studio", "status", "--project", project, "--documents", str(tmp_path / "docs"))
    assert res.exit_code == 0, res.output
    assert "tasks:       2 total: 1 labeled (complete), 0 partly labeled, 1 skipped, 0 in progress (drafts), " \
           "0 not started; 1 with 2+ annotators" in res.output
    assert "in review:   n/a (open-source Label Studio has no review stage" in res.output
    assert "amal@example.org: 1 submitted, 0 skipped, 0 drafts, lead time 30 s total / 30 s mean" in res.output
    assert "omar@example.org: 1 submitted, 1 skipped, 0 drafts, lead time 54 s total / 27 s mean" in res.output
    assert "agreement:   1 document(s), 2 annotators: entity F1 exact 0.500" in res.output
    res = _run(studio, "studio", "status", "--project", project, "--format", "json",
               "--documents", str(tmp_path / "docs"))
    team = json.loads(res.stdout)["team"]
    assert team["agreement"]["cohen_kappa_mean"] == summary["cohen_kappa_mean"]
    assert team["annotators"]["omar@example.org"]["lead_time_total"] == 54.0

    res = _run(studio, "studio", "annotators", "list", "--project", project)
    assert res.exit_code == 0, res.output
    rows = {line.split()[0]: line.split()[1:] for line in res.output.splitlines()[2:]}
    assert rows["amal@example.org"][:3] == ["1", "0", "0"] and rows["omar@example.org"][:3] == ["1", "1", "0"]
    assert rows["third@example.org"][:3] == ["0", "0", "0"] and rows["admin@corpus.local"][-1] == "(admin)"

    # what the open-source server enforces: its labeling stream does not serve a task with
    # enough annotators to a third one ...
    third = {"Authorization": f"Token {tokens['third@example.org']}"}
    nxt = httpx.get(f"{studio.url}/api/projects/{p.id}/next", headers=third)
    assert nxt.status_code == 200 and nxt.json()["id"] == other
    # ... but its API (like its Data Manager) accepts a third annotation: documented, not enforced
    third_client = LabelStudio(base_url=studio.url, api_key=tokens["third@example.org"])
    third_client.annotations.create(id=task, result=[])
    assert len(ls.annotations.list(id=task)) == 3


def test_invitation_link_drafts_and_progress(studio, ls, tmp_path):
    project = "team work"
    docs = [document_from_text(f"اجتمع وزير الدفاع في بغداد مع نظيره رقم {i}.", doc_id=f"t{i}") for i in range(4)]
    write_jsonl(tmp_path / "d" / "documents-00000.jsonl", docs)
    # every task by two annotators (corpus.toml asks 20%: the option wins)
    res = _run(studio, "push", str(tmp_path / "d"), "--overlap", "2", "--overlap-share", "100", "--quiet",
               "--project", project)
    assert res.exit_code == 0, res.output
    p = find_project(ls, project)
    assert p.maximum_annotations == 2 and p.overlap_cohort_percentage == 100

    # an annotator signs up through the invitation link with a password of their own
    res = _run(studio, "studio", "invite")
    assert res.exit_code == 0 and res.output.startswith(f"{studio.url}/user/signup/?token=")
    url = res.output.strip()
    with httpx.Client(follow_redirects=True) as web:
        page = web.get(url)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        done = web.post(url, data={"csrfmiddlewaretoken": csrf, "email": "annotator1@example.com",
                                   "password": "a-long-password-1", "how_find_us": "Other", "allow_newsletters": ""},
                        headers={"Referer": url})
        assert done.status_code == 200
    token = annotator_token(studio, "annotator1@example.com", "a-long-password-1")
    me = LabelStudio(base_url=studio.url, api_key=token)

    tasks = sorted(server_tasks(ls, p.id), key=lambda t: t["data"]["doc_id"])
    for t in tasks[:2]:
        me.annotations.create(id=t["id"], result=[], lead_time=10.0)
    ls.annotations.create(id=tasks[0]["id"], result=[])
    ls.annotations.create(id=tasks[2]["id"], result=[], was_cancelled=True)
    # a draft saved but not submitted: in progress
    r = httpx.post(f"{studio.url}/api/tasks/{tasks[3]['id']}/drafts", json={"result": [], "lead_time": 3.0},
                   headers={"Authorization": f"Token {token}"})
    assert r.status_code == 201, r.text
    res = _run(studio, "studio", "status", "--project", project)
    assert res.exit_code == 0, res.output
    assert "overlap:     2 annotator(s) per task" in res.output
    assert "tasks:       4 total: 1 labeled (complete), 1 partly labeled, 1 skipped, 1 in progress (drafts), " \
           "0 not started; 1 with 2+ annotators" in res.output
    assert "annotator1@example.com: 2 submitted, 0 skipped, 1 drafts, lead time 20 s total / 10 s mean" in res.output
    assert "admin@corpus.local: 1 submitted, 1 skipped, 0 drafts" in res.output
    # empty annotations on both sides: nothing to agree on, said plainly
    assert "agreement:   1 document(s), 2 annotators: entity F1 exact -" in res.output

    # status reads the project a chunk of tasks at a time: the same figures as one whole
    # export, drafts included, whatever the chunk size
    from corpus.ontology import load_ontology
    from corpus.studio.pull import _users, export_project
    from corpus.studio.team import project_task_chunks, team_status

    whole = export_project(ls, p.id, all_tasks=True)
    chunks = list(project_task_chunks(ls, studio, p.id, chunk_size=1))
    assert [len(c) for c in chunks] == [1, 1, 1, 1]
    assert sorted(t["id"] for c in chunks for t in c) == sorted(t["id"] for t in whole)
    assert sum(len(t.get("drafts") or []) for c in chunks for t in c) == 1
    ont = load_ontology()
    small = team_status(studio, ont, project_title=project, chunk_size=1).as_dict()
    assert small == team_status(studio, ont, project_title=project).as_dict()
    assert small["annotators"] == {k: v.as_dict() for k, v in annotator_progress(whole, _users(ls)).items()}


def test_annotator_progress_from_an_export():
    users = {1: "a@x.org", 2: "b@x.org"}
    tasks = [
        {"annotations": [{"completed_by": 1, "lead_time": 5.0, "updated_at": "2026-01-02"},
                         {"completed_by": 2, "was_cancelled": True, "lead_time": None}],
         "drafts": [{"user": "b@x.org", "annotation": 7}]},          # an edit of a submitted annotation
        {"annotations": [{"completed_by": 1, "lead_time": 7.0, "updated_at": "2026-01-03"}],
         "drafts": [{"user": "b@x.org", "annotation": None, "was_postponed": True}]},
        {"annotations": [{"completed_by": 9}], "drafts": [{"user": "a@x.org"}]},
    ]
    got = {k: v.as_dict() for k, v in annotator_progress(tasks, users).items()}
    assert got["a@x.org"] == {"email": "a@x.org", "user_id": 1, "submitted": 2, "skipped": 0, "drafts": 1,
                              "postponed": 0, "lead_time_total": 12.0, "lead_time_mean": 6.0, "last": "2026-01-03"}
    assert (got["b@x.org"]["skipped"], got["b@x.org"]["postponed"], got["b@x.org"]["drafts"],
            got["b@x.org"]["lead_time_mean"]) == (1, 1, 0, None)
    assert got["user-9"]["submitted"] == 1


def test_overlap_share_from_corpus_toml(tmp_path):
    from corpus.config import load_config
    from corpus.studio.server import settings_from_config

    (tmp_path / "corpus.toml").write_text('[corpus]\nname = "t"\n[studio]\noverlap = 2\noverlap_share = 20\n',
                                          encoding="utf-8")
    s = settings_from_config(load_config(tmp_path))
    assert (s.overlap, s.overlap_share) == (2, 20)
    assert overlap_settings(s.overlap, s.overlap_share) == {"maximum_annotations": 2, "overlap_cohort_percentage": 20}
