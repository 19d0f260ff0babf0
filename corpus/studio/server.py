"""A local Label Studio server: its own virtual environment, start, stop, credentials.

Label Studio pins old libraries (Django, pyarrow, pytz), so it lives in a virtual
environment of its own, outside the repository (``~/.cache/corpus/label-studio-<version>``,
or ``$CORPUS_STUDIO_VENV``), created on first use. The toolkit talks to it over HTTP with
``label-studio-sdk`` only.

Secrets: the admin password and API token are made on first start, stored in
``<data_dir>/credentials.json`` (mode 0600) and handed to the server through its
environment, never on a command line (where ``ps`` shows them) and never printed.

No calls out: the version check, analytics and Sentry (back end and front end) are off.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config, load_config
from ..errors import StudioError
from ..io import atomic_write

__all__ = [
    "LABEL_STUDIO_VERSION", "Settings", "Credentials", "settings_from_config", "venv_path", "install",
    "is_installed", "start", "stop", "running", "health", "load_credentials", "client", "server_env",
    "mask",
]

LABEL_STUDIO_VERSION = "1.23.2"
CREDENTIALS_NAME = "credentials.json"
STATE_NAME = "server.json"
LOG_NAME = "server.log"
START_TIMEOUT = 240.0  # a fresh data dir runs every migration first (about 50 s on 2 cores)
PROBE_TIMEOUT = 60.0  # `python -c "import importlib.metadata..."` in the venv: a second or two
VENV_TIMEOUT = 300.0  # python -m venv (with pip bootstrapped)
INSTALL_TIMEOUT = 1800.0  # pip install label-studio: about 150 packages, minutes on a slow mirror


def venv_path() -> Path:
    env = os.environ.get("CORPUS_STUDIO_VENV")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".cache" / "corpus" / f"label-studio-{LABEL_STUDIO_VERSION}"


@dataclass(frozen=True)
class Settings:
    """Where and how the server runs (from corpus.toml ``[studio]``)."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 8085
    project: str = "corpus"
    max_task_chars: int = 20000
    batch_size: int = 200
    overlap: int | None = None  # annotators per task of the overlap share (Label Studio's maximum_annotations)
    overlap_share: int | None = None  # percent of tasks that get `overlap` annotators (overlap_cohort_percentage)
    admin_email: str = "admin@corpus.local"
    # "sqlite" (default) or "postgresql"; the password comes from $CORPUS_STUDIO_PG_PASSWORD
    database: str = "sqlite"
    postgres: dict = field(default_factory=dict)
    venv: Path = field(default_factory=venv_path)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def settings_from_config(config: Config | None = None, **overrides) -> Settings:
    config = config or load_config()
    s = config.section("studio")
    values = dict(
        data_dir=config.path("studio", "data_dir", ".labelstudio"),
        host=str(s.get("host", "127.0.0.1")),
        port=int(s.get("port", 8085)),
        project=str(s.get("project", config.get("corpus", "pretty_name", "corpus"))),
        max_task_chars=int(s.get("max_task_chars", 20000)),
        batch_size=int(s.get("batch_size", 200)),
        overlap=int(s["overlap"]) if "overlap" in s else None,
        overlap_share=int(s["overlap_share"]) if "overlap_share" in s else None,
        admin_email=str(s.get("admin_email", "admin@corpus.local")),
        database=str(s.get("database", "sqlite")),
        postgres=dict(s.get("postgres", {})),
    )
    values.update({k: v for k, v in overrides.items() if v is not None})
    values["data_dir"] = Path(values["data_dir"])
    return Settings(**values)


# --- install -------------------------------------------------------------------------

def _ls_bin(venv: Path) -> Path:
    return venv / "bin" / "label-studio"


def installed_version(venv: Path | None = None) -> str | None:
    venv = venv or venv_path()
    py = venv / "bin" / "python"
    if not py.exists() or not _ls_bin(venv).exists():
        return None
    try:
        out = subprocess.run([str(py), "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
                             capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise StudioError(f"{py} did not say its label-studio version within {PROBE_TIMEOUT:.0f} s: is the "
                          f"virtual environment {venv} broken? Remove it and run: corpus studio install") from None
    return out.stdout.strip() if out.returncode == 0 else None


def is_installed(venv: Path | None = None) -> bool:
    return installed_version(venv) == LABEL_STUDIO_VERSION


def install(venv: Path | None = None, *, quiet: bool = False, python: str | None = None) -> Path:
    """Create the Label Studio virtual environment (once) with the pinned version."""
    venv = venv or venv_path()
    version = installed_version(venv)
    if version == LABEL_STUDIO_VERSION:
        return venv
    if version is not None:
        raise StudioError(f"{venv} holds label-studio {version}, this toolkit pins {LABEL_STUDIO_VERSION}: "
                          f"remove that folder or set CORPUS_STUDIO_VENV to another one")
    out = None if not quiet else subprocess.DEVNULL
    venv.parent.mkdir(parents=True, exist_ok=True)
    if not (venv / "bin" / "python").exists():
        r = _run_step([python or sys.executable, "-m", "venv", str(venv)], out, VENV_TIMEOUT,
                      f"creating the virtual environment {venv}")
        if r.returncode:
            raise StudioError(f"cannot create the virtual environment {venv} (python -m venv failed)")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        pip.append("--quiet")
    r = _run_step(pip + [f"label-studio=={LABEL_STUDIO_VERSION}"], out, INSTALL_TIMEOUT,
                  f"pip install label-studio=={LABEL_STUDIO_VERSION} into {venv}")
    if r.returncode or not is_installed(venv):
        raise StudioError(f"pip could not install label-studio=={LABEL_STUDIO_VERSION} into {venv}; "
                          f"run it by hand to see why: {venv}/bin/python -m pip install "
                          f"label-studio=={LABEL_STUDIO_VERSION}")
    return venv


def _run_step(cmd: list[str], out, timeout: float, what: str) -> subprocess.CompletedProcess:
    """One install step; a step that hangs (a package index that never answers) is
    stopped after ``timeout`` with an error saying which step and how to run it by hand."""
    try:
        return subprocess.run(cmd, stdout=out, stderr=out, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise StudioError(f"{what} did not finish within {timeout:.0f} s (stopped); check the network to the "
                          f"package index and run it by hand to see where it hangs: {' '.join(cmd)}") from None


# --- credentials ---------------------------------------------------------------------

@dataclass(frozen=True)
class Credentials:
    email: str
    password: str = field(repr=False)
    token: str = field(repr=False)

    def __repr__(self) -> str:  # never show secrets, even in a traceback
        return f"Credentials(email={self.email!r}, password={mask(self.password)}, token={mask(self.token)})"


def mask(secret: str) -> str:
    """A secret shown as its first 4 characters and a star run."""
    return (secret[:4] + "…" + "*" * 8) if secret else ""


def _credentials_path(settings: Settings) -> Path:
    return settings.data_dir / CREDENTIALS_NAME


def load_credentials(settings: Settings) -> Credentials | None:
    path = _credentials_path(settings)
    if not path.exists():
        return None
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise StudioError(f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(email=data["email"], password=data["password"], token=data["token"])
    except (ValueError, KeyError) as exc:
        raise StudioError(f"{path}: not a credentials file ({type(exc).__name__}: {exc})") from None


def _make_credentials(settings: Settings) -> Credentials:
    creds = Credentials(email=settings.admin_email, password=secrets.token_urlsafe(18),
                        token=secrets.token_hex(20))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(settings.data_dir, 0o700)
    path = _credentials_path(settings)
    # created 0600 from the start: never a moment when the file is readable by others
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"email": creds.email, "password": creds.password, "token": creds.token}, f)
    os.replace(tmp, path)
    return creds


# --- start / stop --------------------------------------------------------------------

def server_env(settings: Settings, creds: Credentials | None = None) -> dict[str, str]:
    """The environment of the server process: no calls out, our data dir, and (on first
    start) the admin user and token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "DJANGO_", "POSTGRE_"))}
    env.update({
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "false",
        "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "PYTHONUNBUFFERED": "1",
    })
    if settings.database == "postgresql":
        pg = settings.postgres
        password = os.environ.get("CORPUS_STUDIO_PG_PASSWORD")
        if password is None:
            raise StudioError("[studio] database = \"postgresql\" needs the password in $CORPUS_STUDIO_PG_PASSWORD")
        env.update({"DJANGO_DB": "postgresql", "POSTGRE_NAME": str(pg.get("name", "labelstudio")),
                    "POSTGRE_USER": str(pg.get("user", "labelstudio")), "POSTGRE_PASSWORD": password,
                    "POSTGRE_HOST": str(pg.get("host", "127.0.0.1")), "POSTGRE_PORT": str(pg.get("port", 5432))})
    elif settings.database != "sqlite":
        raise StudioError(f"[studio] database = {settings.database!r}; allowed: 'sqlite', 'postgresql'")
    if creds is not None:
        env.update({"LABEL_STUDIO_USERNAME": creds.email, "LABEL_STUDIO_PASSWORD": creds.password,
                    "LABEL_STUDIO_USER_TOKEN": creds.token})
    return env


def _http_json(url: str, token: str | None = None, timeout: float = 3.0):
    req = urllib.request.Request(url, headers={"Authorization": f"Token {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode("utf-8"))


def health(url: str, timeout: float = 3.0) -> bool:
    try:
        return _http_json(f"{url}/health", timeout=timeout).get("status") == "UP"
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _state(settings: Settings) -> dict | None:
    """``server.json`` (written by :func:`start`), or None when there is none. A file that
    is not one (edited, another program's) is an error naming it: guessing a pid to
    kill from it is not safe."""
    path = settings.data_dir / STATE_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StudioError(f"{path}: cannot read the server state: {exc.strerror or exc}") from None
    try:
        state = json.loads(text)
    except ValueError as exc:
        state, why = None, f"not JSON ({exc})"
    else:
        why = "not a JSON object" if not isinstance(state, dict) else ""
    if isinstance(state, dict):
        if not isinstance(state.get("pid"), int) or isinstance(state.get("pid"), bool) or state["pid"] <= 0:
            why = f"field 'pid' is {state.get('pid')!r}, not a process id"
        elif not isinstance(state.get("url"), str):
            why = f"field 'url' is {state.get('url')!r}, not a URL"
    if why:
        raise StudioError(f"{path}: not a server state file written by `corpus studio up`: {why}; if no Label "
                          f"Studio of this data dir runs (check `ps`), remove the file and run: corpus studio up")
    return state


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]


def _is_ours(pid: int, settings: Settings, state: dict) -> bool:
    """Whether ``pid`` is still the Label Studio that :func:`start` ran for this data dir:
    a pid in ``server.json`` may have been reused by another program after a reboot or
    a crash. On Linux its command line must be ``label-studio start ... --data-dir
    <ours>``; elsewhere the server at its URL must take our token."""
    if not _pid_alive(pid):
        return False
    args = _cmdline(pid)
    if args is not None:
        if not any(Path(a).name == "label-studio" for a in args) or "start" not in args:
            return False
        try:
            given = Path(args[args.index("--data-dir") + 1])
        except (ValueError, IndexError):
            return False
        return _same_path(given, settings.data_dir) or _same_path(given, Path(str(state.get("data_dir", ""))))
    creds = load_credentials(settings)
    if creds is None:
        return False
    try:
        _http_json(f"{state['url']}/api/current-user/whoami", creds.token)
        return True
    except (OSError, ValueError):
        return False


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def running(settings: Settings) -> dict | None:
    """The state (pid, url, version) of our server if it runs and answers, else None."""
    state = _state(settings)
    if not state or not _is_ours(state["pid"], settings, state):
        return None
    return state if health(state["url"]) else None


def start(settings: Settings, *, timeout: float = START_TIMEOUT, quiet: bool = True) -> dict:
    """Start the server in the background (installing it first if needed) and wait until it
    answers; returns its state. Idempotent: a server already running is left alone."""
    state = running(settings)
    if state:
        return state
    venv = install(settings.venv, quiet=quiet)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    creds = load_credentials(settings)
    first = creds is None
    if first:
        creds = _make_credentials(settings)
    if not _port_free(settings.host, settings.port):
        # Label Studio would silently move to the next port; refuse instead
        raise StudioError(f"port {settings.port} on {settings.host} is in use by another program; "
                          f"set [studio] port in corpus.toml or pass --port")
    log = open(settings.data_dir / LOG_NAME, "ab")
    cmd = [str(_ls_bin(venv)), "start", "--no-browser", "--internal-host", settings.host,
           "-p", str(settings.port), "--data-dir", str(settings.data_dir)]
    # the admin user is created from the environment on every start if missing: pass it
    # each time so that a data dir copied from a template without users still gets one
    proc = subprocess.Popen(cmd, env=server_env(settings, creds), stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=settings.data_dir)
    log.close()
    state = {"pid": proc.pid, "url": settings.url, "port": settings.port, "version": LABEL_STUDIO_VERSION,
             "data_dir": str(settings.data_dir)}
    atomic_write(settings.data_dir / STATE_NAME, json.dumps(state))
    try:
        _wait_until_ready(proc, settings, creds, timeout)
    except BaseException:
        # a failed start leaves nothing behind: no server, no state pointing at it
        _terminate(proc.pid)
        (settings.data_dir / STATE_NAME).unlink(missing_ok=True)
        raise
    return state


def _wait_until_ready(proc: subprocess.Popen, settings: Settings, creds: Credentials, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StudioError(f"Label Studio exited with status {proc.returncode} during start; "
                              f"see {settings.data_dir / LOG_NAME}")
        if health(settings.url, timeout=2):
            break
        time.sleep(0.5)
    else:
        raise StudioError(f"Label Studio did not answer {settings.url}/health within {timeout:.0f} s; "
                          f"see {settings.data_dir / LOG_NAME}")
    # /health answers before the user exists; the API with our token proves it is ours
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StudioError(f"Label Studio exited with status {proc.returncode} during start; "
                              f"see {settings.data_dir / LOG_NAME}")
        try:
            _http_json(f"{settings.url}/api/current-user/whoami", creds.token)
            return
        except urllib.error.HTTPError as exc:
            if exc.code != 401:
                raise StudioError(f"{settings.url} answered HTTP {exc.code} to the API") from None
            time.sleep(0.5)
        except (OSError, ValueError):
            time.sleep(0.5)
    raise StudioError(f"{settings.url} does not accept the token of {_credentials_path(settings)} within "
                      f"{timeout:.0f} s: the data dir and the credentials file do not belong together "
                      f"(the server was stopped)")


def _terminate(pid: int, timeout: float = 20.0) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)  # our own session: the server and its workers
    except ProcessLookupError:
        try:
            os.waitpid(pid, os.WNOHANG)  # our child that already exited: reap it
        except ChildProcessError:
            pass
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                return
        except ChildProcessError:
            if not _pid_alive(pid):
                return
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(settings: Settings) -> bool:
    """Stop our server (the one whose pid is in the data dir); False if none ran. A pid
    that now belongs to another program (reused after a crash or a reboot) is left
    alone: the server is reported as not running and the stale state is cleared."""
    state = _state(settings)
    if not state:
        return False
    ours = _is_ours(state["pid"], settings, state)
    if ours:
        _terminate(state["pid"])
    (settings.data_dir / STATE_NAME).unlink(missing_ok=True)
    return ours


def client(settings: Settings):
    """A label-studio-sdk client for our server; a clear error when it is not running."""
    from label_studio_sdk import LabelStudio

    creds = load_credentials(settings)
    if creds is None or not health(settings.url):
        raise StudioError(f"Label Studio is not running at {settings.url}; start it with: corpus studio up")
    return LabelStudio(base_url=settings.url, api_key=creds.token, timeout=600)


def copy_data_dir(template: Path, dest: Path) -> None:
    """Copy an initialised (migrated) data dir; starting from it skips the migrations."""
    shutil.copytree(template, dest, dirs_exist_ok=False)


def invite_url(settings: Settings) -> str:
    """The sign-up link annotators open to make their own account (and password) in the
    organization: no password ever passes through the toolkit."""
    creds = load_credentials(settings)
    if creds is None or not health(settings.url):
        raise StudioError(f"Label Studio is not running at {settings.url}; start it with: corpus studio up")
    return settings.url + _http_json(f"{settings.url}/api/invite", creds.token)["invite_url"]


def status(settings: Settings, project_title: str | None = None) -> dict:
    """URL, server version, and the project's task and annotation counts (the server's
    counters; :func:`corpus.studio.team.team_status` adds annotators and agreement)."""
    from .push import find_project

    state = running(settings)
    out = {"url": settings.url, "running": bool(state), "data_dir": str(settings.data_dir),
           "pinned_version": LABEL_STUDIO_VERSION}
    if not state:
        return out
    creds = load_credentials(settings)
    version = _http_json(f"{settings.url}/api/version", creds.token if creds else None)
    out["version"] = version.get("release") or version.get("label-studio-os-package", {}).get("version")
    ls = client(settings)
    title = project_title or settings.project
    out["project"] = title
    p = find_project(ls, title)
    if p is None:
        out["project_id"] = None
        return out
    out.update(project_id=p.id, tasks=p.task_number, tasks_annotated=p.num_tasks_with_annotations,
               annotations=p.total_annotations_number, skipped=p.skipped_annotations_number,
               predictions=p.total_predictions_number, overlap=p.maximum_annotations,
               overlap_share=p.overlap_cohort_percentage, labeled=p.finished_task_number)
    return out
