"""The annotation team on the local Label Studio server: accounts, progress, agreement so far.

Accounts. ``corpus studio annotators add EMAIL...`` makes one account per e-mail through the
server's own sign-up form with the organization's invitation token (the way a person
following ``corpus studio invite`` would), so the account joins the organization and sees
its projects. The password is made here (``secrets``), sent once in the body of a POST to
127.0.0.1, returned to the caller to be shown once on the terminal, and kept nowhere: not
in a file, not in a log, not on a command line, not in a repr. Losing it means the
annotator changes it in the web page (Account & Settings) while logged in, or the admin
removes the account and adds it again.

Overlap. ``corpus push --overlap N --overlap-share P`` sets the project's
``maximum_annotations`` = N and ``overlap_cohort_percentage`` = P; after every import the
server gives ``round(tasks * P / 100)`` tasks an ``overlap`` of N and the others 1 (checked
against the real server in tests/studio/test_team.py). What the open-source server does
and does not enforce (Label Studio 1.23.2, read in projects/functions/next_task.py and
checked in the tests):

* The labeling stream ("Label All Tasks", ``/api/projects/ID/next``) serves a task only
  while fewer distinct annotators than its ``overlap`` have submitted it, and never a task
  the annotator already did: a third annotator is not served a task of overlap 2 that two
  have finished. Tasks being labeled count as taken (task locks) for a while.
* Nothing else is enforced. Open-source Label Studio has no roles: every account is a full
  member of the organization and can open any task in the Data Manager, label it a third
  time, change project settings or delete tasks; the API accepts any annotation from any
  member ("strict overlap", reviewer and annotator roles, task assignment to named
  annotators are Label Studio Enterprise). Which tasks form the cohort is the server's
  choice (random among tasks with the same number of annotations; tasks already labeled
  once are preferred), and it is re-drawn at every import among unlabeled tasks.
* The share is of tasks, not documents: a document longer than ``max_task_chars`` is
  several tasks, which may fall in and out of the cohort separately.
* There is no review stage in the open-source server: ``status`` reports drafts (saved,
  not submitted) and postponed tasks instead, and ``corpus adjudicate`` is the review.

Progress and agreement. :func:`team_status` reads the project's tasks (every task, with
drafts) and the server's counters, converts the annotations exactly as ``corpus pull``
does, and measures the agreement so far with :func:`corpus.agree.agreement`. The tasks
are exported a chunk of documents at a time (``EXPORT_CHUNK`` tasks, by ids from push's
task map: the parts of a split document stay together), counted and converted, then
dropped: memory holds one chunk of tasks and the records of documents that two or more
annotators labeled, never the whole project's export.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping, Sequence

from ..errors import StudioError
from ..ontology import Ontology
from ..records import Document
from .server import Settings, client, health, invite_url, load_credentials, mask

__all__ = [
    "Account", "AddReport", "add_annotators", "annotator_token", "AnnotatorProgress", "TeamStatus",
    "annotator_progress", "team_status", "list_annotators", "project_task_chunks",
]

# a plain check before asking the server, which checks again (Django's EmailField)
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_FIELD_ERRORS = re.compile(r'<ul class="field_errors">(.*?)</ul>', re.S)
_LI = re.compile(r"<li>(.*?)</li>", re.S)
PASSWORD_BYTES = 15  # secrets.token_urlsafe -> 20 characters, inside Label Studio's 8-128


@dataclass(frozen=True)
class Account:
    """A new account; ``password`` is shown once by the caller and kept nowhere."""

    email: str
    user_id: int
    password: str = field(repr=False)

    def __repr__(self) -> str:  # never a password in a traceback or a log line
        return f"Account(email={self.email!r}, user_id={self.user_id}, password={mask(self.password)})"


@dataclass
class AddReport:
    created: list[Account] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (e-mail as given, reason)


def _web(settings: Settings):
    import httpx

    return httpx.Client(base_url=settings.url, follow_redirects=False, timeout=60)


def _csrf(page, where: str) -> str:
    m = _CSRF.search(page.text)
    if page.status_code != 200 or not m:
        raise StudioError(f"{where} answered HTTP {page.status_code} without a form (no csrfmiddlewaretoken): "
                          f"is this the Label Studio that `corpus studio up` starts?")
    return m.group(1)


def _form_errors(html: str) -> str:
    import html as htmllib

    msgs = [htmllib.unescape(re.sub(r"<[^>]+>", "", li)).strip()
            for block in _FIELD_ERRORS.findall(html) for li in _LI.findall(block)]
    return "; ".join(m for m in msgs if m) or "the sign-up form was refused without a message"


def add_annotators(settings: Settings, emails: Sequence[str]) -> AddReport:
    """Make an account with a generated password for each e-mail, in the organization of
    the project. Each e-mail succeeds or fails on its own (bad address, account exists,
    refused by the server): the others still go through."""
    report = AddReport()
    ls = client(settings)
    existing = {(u.email or "").lower() for u in ls.users.list()}
    url = invite_url(settings)  # the organization's invitation: the account joins it
    path = url[len(settings.url):]
    seen: set[str] = set()
    for given in emails:
        email = given.strip().lower()  # the server keeps e-mails in lower case
        if not _EMAIL.match(email):
            report.failed.append((given, f"not an e-mail address: {given!r}"))
            continue
        if email in seen:
            report.failed.append((given, "given twice: the account is made once"))
            continue
        seen.add(email)
        if email in existing:
            report.failed.append((given, "an account with this e-mail exists already (left as it is; "
                                         "`corpus studio annotators list` shows it)"))
            continue
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        with _web(settings) as web:  # a session of its own: sign-up logs the new user in
            csrf = _csrf(web.get(path), f"{settings.url}/user/signup/")
            r = web.post(path, data={"csrfmiddlewaretoken": csrf, "email": email, "password": password,
                                     "how_find_us": "", "allow_newsletters": ""},
                         headers={"Referer": url})
            if r.status_code == 403:
                raise StudioError(f"{settings.url} refused the invitation token (HTTP 403): run "
                                  f"`corpus studio invite` and check the server's organization")
            if r.status_code != 302:
                report.failed.append((given, f"Label Studio refused the account: {_form_errors(r.text)}"))
                continue
            me = web.get("/api/current-user/whoami")
        if me.status_code != 200 or (me.json().get("email") or "").lower() != email:
            report.failed.append((given, f"the account was made but does not log in (HTTP {me.status_code})"))
            continue
        info = me.json()
        if not info.get("active_organization"):
            report.failed.append((given, "the account was made outside any organization: it would see no project"))
            continue
        report.created.append(Account(email=email, user_id=int(info["id"]), password=password))
    return report


def annotator_token(settings: Settings, email: str, password: str) -> str:
    """The API token of an account, fetched by logging in as it (for scripts and tests
    that label as that annotator through the API)."""
    if not health(settings.url):
        raise StudioError(f"Label Studio is not running at {settings.url}; start it with: corpus studio up")
    with _web(settings) as web:
        csrf = _csrf(web.get("/user/login/"), f"{settings.url}/user/login/")
        r = web.post("/user/login/", data={"csrfmiddlewaretoken": csrf, "email": email, "password": password},
                     headers={"Referer": f"{settings.url}/user/login/"})
        if r.status_code != 302:
            raise StudioError(f"cannot log in to {settings.url} as {email!r}: {_form_errors(r.text)}")
        t = web.get("/api/current-user/token")
        if t.status_code != 200 or not t.json().get("token"):
            raise StudioError(f"{settings.url} gave no API token to {email!r} (HTTP {t.status_code}); legacy tokens "
                              f"are enabled by `corpus studio up` at the first start of a data dir")
        return t.json()["token"]


# --- progress ----------------------------------------------------------------------------

@dataclass
class AnnotatorProgress:
    """One annotator's work in one project (from its export)."""

    email: str
    user_id: int | None = None
    submitted: int = 0
    skipped: int = 0           # cancelled annotations (the Skip button)
    drafts: int = 0            # saved, not submitted
    postponed: int = 0         # drafts put aside with "postpone"
    lead_time: float = 0.0     # seconds, over submitted and skipped annotations that carry one
    timed: int = 0             # annotations with a lead time
    last: str | None = None    # latest created/updated time of their annotations

    @property
    def mean_lead_time(self) -> float | None:
        return self.lead_time / self.timed if self.timed else None

    def as_dict(self) -> dict:
        return {"email": self.email, "user_id": self.user_id, "submitted": self.submitted, "skipped": self.skipped,
                "drafts": self.drafts, "postponed": self.postponed, "lead_time_total": round(self.lead_time, 3),
                "lead_time_mean": None if self.mean_lead_time is None else round(self.mean_lead_time, 3),
                "last": self.last}


def _who(by, users: Mapping[int, str]) -> str:
    if isinstance(by, int):
        return users.get(by, f"user-{by}")
    if isinstance(by, dict):  # some exports expand completed_by
        return by.get("email") or f"user-{by.get('id')}"
    return str(by)


def annotator_progress(tasks: Iterable[dict], users: Mapping[int, str],
                       into: dict[str, AnnotatorProgress] | None = None) -> dict[str, AnnotatorProgress]:
    """Per annotator (e-mail): submitted, skipped, drafts, lead time; from exported tasks
    (``into``: added to these figures, for tasks read a chunk at a time)."""
    ids = {email: uid for uid, email in users.items()}
    per: dict[str, AnnotatorProgress] = dict(into or {})

    def row(who: str) -> AnnotatorProgress:
        if who not in per:
            per[who] = AnnotatorProgress(email=who, user_id=ids.get(who))
        return per[who]

    for task in tasks:
        for a in task.get("annotations") or []:
            r = row(_who(a.get("completed_by"), users))
            if a.get("was_cancelled"):
                r.skipped += 1
            else:
                r.submitted += 1
            if isinstance(a.get("lead_time"), (int, float)):
                r.lead_time += float(a["lead_time"])
                r.timed += 1
            when = a.get("updated_at") or a.get("created_at")
            if when and (r.last is None or when > r.last):
                r.last = when
        for d in task.get("drafts") or []:
            if d.get("annotation"):  # a draft of a submitted annotation: an edit in progress
                continue
            r = row(_who(d.get("user"), users))
            if d.get("was_postponed"):
                r.postponed += 1
            else:
                r.drafts += 1
    return dict(sorted(per.items()))


@dataclass
class TeamStatus:
    """Progress of one project: the server's counters, the export's per-annotator figures
    and the agreement so far (``corpus.agree`` summary) on the tasks two or more labeled."""

    project_id: int
    title: str
    tasks: int                       # in the project
    labeled: int                     # complete: as many annotators as the task's overlap (the server's is_labeled)
    partly: int                      # with submitted annotations, but fewer annotators than the task's overlap
    skipped_tasks: int               # every annotation of the task is a skip
    skipped_annotations: int
    submitted_annotations: int
    drafts: int                      # tasks with a draft and no annotation yet (in progress)
    untouched: int                   # no annotation, no draft
    multi_annotated: int             # tasks with 2+ distinct annotators who submitted
    overlap: int | None
    overlap_share: int | None
    in_review: int | None = None     # the open-source server has no review stage
    annotators: dict[str, AnnotatorProgress] = field(default_factory=dict)
    agreement: dict | None = None
    rejects: int = 0                 # annotations the conversion rejected (see `corpus pull`)

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in ("project_id", "title", "tasks", "labeled", "partly", "untouched", "skipped_tasks",
                                            "skipped_annotations", "submitted_annotations", "drafts",
                                            "multi_annotated", "overlap", "overlap_share", "in_review", "rejects")}
        d["in_review_note"] = REVIEW_NOTE
        d["annotators"] = {k: v.as_dict() for k, v in self.annotators.items()}
        d["agreement"] = self.agreement
        return d


REVIEW_NOTE = ("open-source Label Studio has no review stage (reviewers are Label Studio Enterprise); "
               "disagreements are reviewed with `corpus adjudicate`")


def _project(ls, settings: Settings, title: str | None):
    from .push import find_project

    title = title or settings.project
    p = find_project(ls, title)
    if p is None:
        titles = [x.title for x in ls.projects.list()]
        raise StudioError(f"no project titled {title!r} on {settings.url} (projects: {titles}); "
                          f"create it with: corpus push")
    return p


def project_task_chunks(ls, settings: Settings, project: int, *, chunk_size: int | None = None) -> Iterator[list[dict]]:
    """Every task of the project (with or without annotations, with drafts), exported
    ``chunk_size`` tasks at a time by task id; the tasks of one document (the parts of a
    split one) are always in the same chunk, so that each chunk converts on its own.
    The ids come from push's task map, checked against the server (one row asked when
    nothing was added or deleted); tasks push did not make come in chunks of their own."""
    from .api import export_tasks
    from .pull import EXPORT_CHUNK
    from .push import TaskMap, sync_task_map

    chunk_size = chunk_size or EXPORT_CHUNK
    tmap = TaskMap.load(settings.data_dir, project)
    _, changed = sync_task_map(ls, tmap)  # duplicate/foreign warnings are push's to give
    if changed:
        tmap.save()
    groups = [sorted(tmap.task_ids(d).values()) for d in sorted(tmap.docs)]
    groups += [[tid] for tid in sorted(tmap.other)]
    chunk: list[int] = []
    for ids in groups:
        if chunk and len(chunk) + len(ids) > chunk_size:
            yield export_tasks(ls, project, chunk, all_tasks=True)
            chunk = []
        chunk += ids
    if chunk:
        yield export_tasks(ls, project, chunk, all_tasks=True)


def team_status(settings: Settings, ontology: Ontology, *, project_title: str | None = None,
                documents: Iterable[Document] = (), chunk_size: int | None = None) -> TeamStatus:
    """Counts, per-annotator progress and agreement so far of the project. ``documents``
    (streamed) give the tokens for kappa and alpha; without them only span and event
    F1 are measured. The tasks are read ``chunk_size`` at a time (see
    :func:`project_task_chunks`): memory does not grow with the project."""
    from ..agree import agreement
    from .pull import _users, convert_tasks

    ls = client(settings)
    p = _project(ls, settings, project_title)
    users = _users(ls)
    per: dict[str, AnnotatorProgress] = {}
    skipped_tasks = drafts = multi = submitted = skipped = with_submitted = rejects = 0
    shared = []  # records of documents two or more annotators labeled: the agreement needs only them
    for tasks in project_task_chunks(ls, settings, p.id, chunk_size=chunk_size):
        per = annotator_progress(tasks, users, into=per)
        for t in tasks:
            anns = t.get("annotations") or []
            done = {_who(a.get("completed_by"), users) for a in anns if not a.get("was_cancelled")}
            submitted += sum(1 for a in anns if not a.get("was_cancelled"))
            skipped += sum(1 for a in anns if a.get("was_cancelled"))
            if anns and not done:
                skipped_tasks += 1
            if done:
                with_submitted += 1
            if len(done) >= 2:
                multi += 1
            if not anns and any(not d.get("annotation") for d in t.get("drafts") or []):
                drafts += 1
        conv = convert_tasks(tasks, ontology, project=p.id, users=users)
        rejects += len(conv.rejects)
        for records in conv.records.values():
            if len({r.annotator for r in records}) >= 2:
                shared += records
    report = agreement(shared, documents)
    labeled = p.finished_task_number or 0  # the server's is_labeled: it alone knows each task's overlap
    total = p.task_number or 0
    return TeamStatus(
        project_id=p.id, title=p.title, tasks=total, labeled=labeled, partly=max(with_submitted - labeled, 0),
        untouched=max(total - with_submitted - skipped_tasks - drafts, 0), skipped_tasks=skipped_tasks,
        skipped_annotations=skipped, submitted_annotations=submitted, drafts=drafts, multi_annotated=multi,
        overlap=p.maximum_annotations, overlap_share=p.overlap_cohort_percentage, annotators=per,
        agreement=report.summary() if report.pairs else None, rejects=rejects)


def list_annotators(settings: Settings, *, project_title: str | None = None) -> tuple[list[dict], str | None]:
    """Every account of the organization with its work in the project (zeros when none);
    the second value names the project, or says why there is no progress."""
    from .push import find_project
    from .pull import _users

    ls = client(settings)
    admin = load_credentials(settings)
    accounts = sorted(ls.users.list(), key=lambda u: (u.email or "").lower())
    users = _users(ls)
    title = project_title or settings.project
    p = find_project(ls, title)
    per: dict[str, AnnotatorProgress] = {}
    note = None
    if p is None:
        note = f"project {title!r} does not exist yet (corpus push creates it): no progress to show"
    else:
        for tasks in project_task_chunks(ls, settings, p.id):
            per = annotator_progress(tasks, users, into=per)
        note = f"project {p.title!r} (id {p.id})"
    rows = []
    for u in accounts:
        email = u.email or u.username or f"user-{u.id}"
        row = per.pop(email, None) or AnnotatorProgress(email=email, user_id=u.id)
        d = row.as_dict()
        d.update(user_id=u.id, admin=bool(admin and email.lower() == admin.email.lower()),
                 joined=u.date_joined.isoformat() if getattr(u, "date_joined", None) else None)
        rows.append(d)
    for email, row in per.items():  # work by accounts no longer in the organization
        d = row.as_dict()
        d.update(admin=False, joined=None, removed=True)
        rows.append(d)
    return rows, note
