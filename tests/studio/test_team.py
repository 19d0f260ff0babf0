"""Team workflow (issue 7, first part): overlap, invitations, progress per annotator."""

from __future__ import annotations

import re

import httpx
import pytest
from click.testing import CliRunner

from corpus.cli import main
from corpus.ingest import document_from_text
from corpus.io import write_jsonl
from corpus.studio.push import find_project, server_tasks

pytestmark = pytest.mark.studio


def _run(studio, *args):
    return CliRunner().invoke(main, [*args, "--data-dir", str(studio.data_dir), "--port", str(studio.port)])


def test_overlap_invite_and_progress(studio, ls, tmp_path):
    project = "team work"
    docs = [document_from_text(f"اجتمع وزير الدفاع في بغداد مع نظيره رقم {i}.", doc_id=f"t{i}") for i in range(3)]
    write_jsonl(tmp_path / "d" / "documents-00000.jsonl", docs)
    res = _run(studio, "push", str(tmp_path / "d"), "--overlap", "2", "--quiet", "--project", project)
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
    users = {u.email: u.id for u in ls.users.list()}
    assert "annotator1@example.com" in users

    tasks = sorted(server_tasks(ls, p.id), key=lambda t: t["data"]["doc_id"])
    admin = users["admin@corpus.local"]
    for t in tasks[:2]:
        ls.annotations.create(id=t["id"], result=[], completed_by=users["annotator1@example.com"])
    ls.annotations.create(id=tasks[0]["id"], result=[], completed_by=admin)
    ls.annotations.create(id=tasks[2]["id"], result=[], completed_by=admin, was_cancelled=True)
    res = _run(studio, "studio", "status", "--annotators", "--project", project)
    assert res.exit_code == 0, res.output
    assert "overlap:     2 annotator(s) per task" in res.output
    assert "complete:    1 of 3 tasks have 2 submitted annotation(s)" in res.output
    assert "annotator1@example.com: 2 submitted, 0 skipped" in res.output
    assert "admin@corpus.local: 1 submitted, 1 skipped" in res.output
