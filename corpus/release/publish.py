"""Publishing a release: to a git repository (commit + tag ``vVERSION``) or to the Hugging
Face Hub (``hf://datasets/ORG/NAME``: upload the folder, tag the commit).

A release is verified against its manifest before it leaves, and a tag that exists already
is an error: a published version is never moved. The Hub path is deliberately thin (three
HfApi calls) because the Hub cannot be reached from here; its tests record those calls.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ReleaseError
from .manifest import read_manifest, verify_release

__all__ = ["publish", "publish_git", "publish_hub", "PublishResult", "HUB_PREFIX"]

HUB_PREFIX = "hf://datasets/"


@dataclass
class PublishResult:
    target: str
    tag: str
    commit: str


def _checked(release: Path, version: str) -> None:
    manifest = read_manifest(release)
    if manifest["version"] != version:
        raise ReleaseError(f"{release}: holds release {manifest['version']}, not {version}")
    report = verify_release(release)
    if not report.ok:
        raise ReleaseError(f"{release}: does not match its manifest, not publishing:\n  " + "\n  ".join(report.lines()))


def publish(release: str | Path, version: str, to: str, *, api=None, branch: str = "main") -> PublishResult:
    """Publish the release folder ``release`` (version ``version``) to ``to``."""
    release = Path(release)
    _checked(release, version)
    if to.startswith(HUB_PREFIX):
        return publish_hub(release, to[len(HUB_PREFIX):].strip("/"), version, api=api)
    if to.startswith("hf://"):
        raise ReleaseError(f"Hub targets look like hf://datasets/ORG/NAME; got {to!r}")
    return publish_git(release, to, version, branch=branch)


def _git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    # an identity only where none is configured, so commits never fail for want of one
    for key, value in (("GIT_AUTHOR_NAME", "corpus release"), ("GIT_AUTHOR_EMAIL", "release@corpus.invalid"),
                       ("GIT_COMMITTER_NAME", "corpus release"), ("GIT_COMMITTER_EMAIL", "release@corpus.invalid")):
        env.setdefault(key, value)
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout.strip()


def publish_git(release: Path, target: str, version: str, *, branch: str = "main") -> PublishResult:
    """Commit the release as the content of ``branch`` of the repository ``target`` and tag it.

    The repository (a path or URL; a bare repository is the usual target) is cloned into a
    temporary folder, its tree replaced by the release files, committed, tagged ``vVERSION``
    and pushed; the repository then looks like a Hub dataset repository of that version.
    """
    tag = f"v{version}"
    if not target:
        raise ReleaseError("publish --to needs a git repository (path or URL) or hf://datasets/ORG/NAME")
    if "://" not in target and not target.startswith("git@") and not Path(target).exists():
        raise ReleaseError(f"{target}: no such git repository (create it first, e.g. `git init --bare {target}`)")
    remote_tags = _git("ls-remote", "--tags", target, f"refs/tags/{tag}")
    if remote_tags:
        raise ReleaseError(f"{target}: tag {tag} already exists; a published version is never moved")
    with tempfile.TemporaryDirectory(prefix="corpus-publish-") as tmp:
        work = Path(tmp) / "repo"
        _git("clone", "--quiet", "--no-checkout", target, str(work))
        heads = _git("ls-remote", "--heads", target, branch)
        if heads:
            _git("checkout", "--quiet", "-B", branch, f"origin/{branch}", cwd=work)
        else:
            _git("checkout", "--quiet", "--orphan", branch, cwd=work)
        # the release replaces the previous tree: removed files must not linger
        for child in work.iterdir():
            if child.name != ".git":
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        _git("rm", "-r", "--cached", "--quiet", "--ignore-unmatch", ".", cwd=work)
        shutil.copytree(release, work, dirs_exist_ok=True)
        attributes = work / ".gitattributes"
        if not attributes.exists():
            attributes.write_text("*.parquet binary\n*.png binary\n", encoding="utf-8")
        _git("add", "--all", ".", cwd=work)
        _git("commit", "--quiet", "--allow-empty", "-m", f"Release {version}", cwd=work)
        _git("tag", "-a", tag, "-m", f"Release {version}", cwd=work)
        commit = _git("rev-parse", "HEAD", cwd=work)
        _git("push", "--quiet", "origin", f"{branch}:refs/heads/{branch}", f"refs/tags/{tag}", cwd=work)
    return PublishResult(target, tag, commit)


def publish_hub(release: Path, repo_id: str, version: str, *, api=None, token: str | None = None) -> PublishResult:
    """Upload the folder to the dataset repository ``repo_id`` and tag that commit ``vVERSION``."""
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise ReleaseError(f"Hub dataset repository must be ORG/NAME; got {repo_id!r}")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    tag = f"v{version}"
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        refs = api.list_repo_refs(repo_id, repo_type="dataset")
        if any(t.name == tag for t in refs.tags):
            raise ReleaseError(f"hf://datasets/{repo_id}: tag {tag} already exists; a published version is never moved")
        commit = api.upload_folder(folder_path=str(release), repo_id=repo_id, repo_type="dataset",
                                   commit_message=f"Release {version}",
                                   delete_patterns=["*.parquet", "*.md", "*.json", "*.png"])
        api.create_tag(repo_id, tag=tag, revision=commit.oid, repo_type="dataset", tag_message=f"Release {version}")
    except ReleaseError:
        raise
    except Exception as exc:  # the Hub's errors (network, auth) become one clean message
        raise ReleaseError(f"hf://datasets/{repo_id}: {type(exc).__name__}: {exc}") from None
    return PublishResult(f"{HUB_PREFIX}{repo_id}", tag, commit.oid)
