"""The README's commands, run the way a new user runs them.

Every command in a ```sh block of the README's "The two commands", "Install cxbook as a
command" and "Your first book" sections is run here, outside the repository: in a temporary
home folder, with a PATH that holds only the system's folders and a `python3` and a `pipx`
(nothing of the test environment's own `cxbook`). `path/to/cxbook` (the README's name for the
folder it is in) is a fresh copy of the repository's files. "Open a new terminal" is a shell
that first reads the startup file a login shell reads (~/.bash_profile, ~/.bash_login or
~/.profile, whichever comes first), as the README's install steps change it.

Each command must exit with status 0 and do what the README says it does; the table of checks
below and the README cannot drift apart: a command without a check, or a check without a
command, fails. `make test` is the one command not run: it is the suite running this test.

Packages come from the wheels `make test` keeps in .stamps/wheelhouse, without the network.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import cxbook

from conftest import REPO

WHEELHOUSE = REPO / ".stamps" / "wheelhouse"
SECTIONS = ("The two commands", "Install cxbook as a command", "Your first book")
PLACEHOLDER = "path/to/cxbook"
LOGIN = 'for f in ~/.bash_profile ~/.bash_login ~/.profile; do [ -f "$f" ] && . "$f" && break; ' \
        "done\n"
# Copied to make the fresh "clone": what git tracks, not what building and testing left.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".stamps", "dist", ".cxbook-cache",
                                    "node_modules", "__pycache__", "*.egg-info", "build",
                                    ".pytest_cache", ".mypy_cache", ".ruff_cache",
                                    ".hypothesis", "out")


@dataclass(frozen=True)
class Command:
    section: str
    subsection: str
    line: str  # as written in the README, comment included

    @property
    def text(self) -> str:
        """The command without its trailing comment."""
        return re.sub(r"\s+#.*$", "", self.line).strip()


def readme_commands() -> list[Command]:
    out: list[Command] = []
    section = subsection = ""
    in_block = False
    for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines():
        if in_block:
            if line.startswith("```"):
                in_block = False
            elif section in SECTIONS and line.strip():
                out.append(Command(section, subsection, line.strip()))
            continue
        if line.startswith("## "):
            section, subsection = line[3:].strip(), ""
        elif line.startswith("### "):
            subsection = line[4:].strip()
        elif line.startswith("```sh"):
            in_block = True
    return out


@dataclass
class Home:
    """A user's home folder with a shell environment that knows nothing of the test's."""

    root: Path
    tools: Path
    env: dict[str, str] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)

    def run(self, command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(["bash", "-c", LOGIN + command], cwd=cwd or self.root,
                                env=self.env, capture_output=True, text=True, timeout=900,
                                check=False)
        self.log.append(f"$ {command}\n{result.stdout}{result.stderr}")
        return result


def make_home(base: Path, name: str, clone: Path) -> Home:
    root = base / name
    tools = base / f"{name}-tools"
    root.mkdir()
    tools.mkdir()
    # the interpreter running the tests as `python3`, and pipx; nothing else of its venv
    (tools / "python3").symlink_to(sys.executable)
    pipx = Path(sys.executable).parent / "pipx"
    assert pipx.exists(), "pipx is missing from the test environment: run 'make test'"
    (tools / "pipx").symlink_to(pipx)
    env = {
        "HOME": str(root), "PATH": f"{tools}:/usr/bin:/bin", "SHELL": "/bin/bash",
        "LANG": "C.UTF-8", "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE),
        "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", "PUPPETEER_SKIP_DOWNLOAD": "1",
    }
    return Home(root, tools, env)


def run_block(home: Home, commands: list[Command], clone: Path, cwd: Path | None = None
              ) -> dict[str, subprocess.CompletedProcess[str]]:
    results = {}
    for c in commands:
        results[c.text] = home.run(c.text.replace(PLACEHOLDER, str(clone)), cwd)
        assert results[c.text].returncode == 0, "\n".join(home.log)
    return results


# ------------------------------------------------------------------ what each command does

Results = dict[str, subprocess.CompletedProcess[str]]
Check = Callable[[Home, Path, Results], None]


def _test_only_packages() -> set[str]:
    """The [test] extras that building does not need (Pillow is a WeasyPrint dependency;
    ``cxbook[import]`` names cxbook itself, which building installs)."""
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    extras = data["project"]["optional-dependencies"]
    names: set[str] = set()
    specs = list(extras["test"])
    while specs:
        spec = specs.pop()
        name = re.split(r"[<>=!~\[ ;]", spec, maxsplit=1)[0].lower()
        if name == "cxbook":  # another of cxbook's own extras, such as cxbook[import]
            for extra in re.findall(r"\[(.*?)\]", spec)[0].split(","):
                specs.extend(extras[extra.strip()])
        else:
            names.add(name)
    return names - {"pillow", "lxml"}


def check_make_build(home: Home, clone: Path, results: Results) -> None:
    assert sorted(p.name for p in (clone / "dist").iterdir()) == sorted(
        f"service-matters{suffix}" for suffix in (
            ".epub", ".pdf", "-workbook.pdf", "-facilitator.pdf", "-scorm12.zip",
            "-scorm2004.zip", ".imscc", "-cc11.imscc"))
    listing = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-m", "pip", "list",
                              "--format=json"], capture_output=True, text=True, check=True,
                             env=home.env)
    installed = {p["name"].lower() for p in json.loads(listing.stdout)}
    assert "cxbook" in installed and "weasyprint" in installed
    assert installed & _test_only_packages() == set()


def check_pipx_install(home: Home, clone: Path, results: Results) -> None:
    assert (home.root / ".local" / "bin" / "cxbook").exists()


def check_on_path(home: Home, clone: Path, results: Results) -> None:
    """In a new terminal, `cxbook` is the one just installed in ~/.local/bin."""
    found = home.run("command -v cxbook")
    assert found.stdout.strip() == str(home.root / ".local" / "bin" / "cxbook"), found


def check_version(home: Home, clone: Path, results: Results) -> None:
    assert results["cxbook --version"].stdout == f"cxbook {cxbook.__version__}\n"
    check_on_path(home, clone, results)


def check_venv_link(home: Home, clone: Path, results: Results) -> None:
    link = home.root / ".local" / "bin" / "cxbook"
    assert link.resolve() == (home.root / ".local/share/cxbook-venv/bin/cxbook").resolve()


def check_profile(home: Home, clone: Path, results: Results) -> None:
    check_on_path(home, clone, results)
    version = home.run("cxbook --version")
    assert version.stdout == f"cxbook {cxbook.__version__}\n"


def check_new(home: Home, clone: Path, results: Results) -> None:
    book = home.root / "my-book"
    assert (book / "manuscript" / "book.yaml").read_text(encoding="utf-8").startswith(
        "title: My Book\n")
    assert "\nid: my-book\n" in (book / "course" / "course.yaml").read_text(encoding="utf-8")
    # the command it prints is the one that works here, as shown
    assert results["cxbook new my-book"].stdout.endswith(
        ", then run 'cxbook build my-book'\n"), results["cxbook new my-book"].stdout


def check_check(home: Home, clone: Path, results: Results) -> None:
    err = results["cxbook check my-book"].stderr
    assert err.splitlines()[-1] == "cxbook check: ok (3 warnings)", err
    assert err.count("[starter.example]") == 3


def check_build(home: Home, clone: Path, results: Results) -> None:
    assert sorted(p.name for p in (home.root / "my-book" / "dist").iterdir()) == [
        "my-book-cc11.imscc", "my-book-facilitator.pdf", "my-book-scorm12.zip",
        "my-book-scorm2004.zip", "my-book-workbook.pdf", "my-book.epub", "my-book.imscc",
        "my-book.pdf"]


def check_build_out(home: Home, clone: Path, results: Results) -> None:
    assert sorted(p.name for p in (home.root / "for-the-lms").iterdir()) == [
        "my-book-scorm12.zip", "my-book.epub"]


def check_draft(home: Home, clone: Path, results: Results) -> None:
    out = results["cxbook draft-course my-book"].stdout.splitlines()
    assert out[0] == "skipped course/01-first-article.yaml: exists"
    assert out[1].startswith("wrote course/02-second-article.yaml (draft: ")
    assert (home.root / "my-book" / "course" / "02-second-article.yaml").read_text(
        encoding="utf-8").startswith("# DRAFT course file for chapter 2")


CHECKS: dict[str, Check | None] = {
    "make build": check_make_build,
    "make test": None,  # the suite this test belongs to
    "pipx install path/to/cxbook": check_pipx_install,
    "pipx ensurepath": check_on_path,
    "cxbook --version": check_version,
    "python3 -m venv ~/.local/share/cxbook-venv":
        lambda home, clone, r: None if (home.root / ".local/share/cxbook-venv/bin/python")
        .exists() else pytest.fail("no virtual environment"),
    "~/.local/share/cxbook-venv/bin/pip install path/to/cxbook":
        lambda home, clone, r: None if (home.root / ".local/share/cxbook-venv/bin/cxbook")
        .exists() else pytest.fail("no cxbook in the virtual environment"),
    "mkdir -p ~/.local/bin":
        lambda home, clone, r: None if (home.root / ".local/bin").is_dir()
        else pytest.fail("no ~/.local/bin"),
    "ln -sf ~/.local/share/cxbook-venv/bin/cxbook ~/.local/bin/cxbook": check_venv_link,
    "echo 'export PATH=\"$HOME/.local/bin:$PATH\"' >> ~/.profile": check_profile,
    "cxbook new my-book": check_new,
    "cxbook check my-book": check_check,
    "cxbook build my-book": check_build,
    "cxbook build my-book -f epub -f scorm12 --out ~/for-the-lms": check_build_out,
    "cxbook draft-course my-book": check_draft,
}


def test_every_command_has_a_check() -> None:
    commands = [c.text for c in readme_commands()]
    assert commands[:2] == ["make build", "make test"]  # the README opens with them
    assert sorted(set(commands)) == sorted(CHECKS)
    assert len(commands) == len(set(commands))


def _route(home: Home, clone: Path, commands: list[Command],
           cwd: Path | None = None) -> Results:
    results = run_block(home, commands, clone, cwd)
    for c in commands:
        check = CHECKS[c.text]
        if check is not None:
            check(home, clone, results)
    return results


def test_the_readme_commands_work_as_written(tmp_path: Path) -> None:
    if not WHEELHOUSE.is_dir():
        pytest.fail(f"{WHEELHOUSE} is missing: run 'make test', which prepares it",
                    pytrace=False)
    clone = tmp_path / "cxbook"
    shutil.copytree(REPO, clone, ignore=NOT_COPIED, symlinks=True)
    commands = readme_commands()
    parts: dict[str, list[Command]] = {}
    for c in commands:
        parts.setdefault(c.subsection or c.section, []).append(c)
    make = [c for c in parts.pop("The two commands") if c.text != "make test"]
    first_book = parts.pop("Your first book")
    (pipx_route,) = [v for k, v in parts.items() if "pipx" in k and "Without" not in k]
    (venv_route,) = [v for k, v in parts.items() if "Without pipx" in k]
    homes = {name: make_home(tmp_path, name, clone) for name in ("maker", "pipx", "venv")}
    # The three are independent: run them side by side.
    with ThreadPoolExecutor(max_workers=3) as pool:
        jobs = [pool.submit(_route, homes["maker"], clone, make, clone),
                pool.submit(_route, homes["pipx"], clone, pipx_route),
                pool.submit(_route, homes["venv"], clone, venv_route)]
        for job in jobs:
            job.result()
    # The first book, with the cxbook pipx installed, in the user's own folder.
    _route(homes["pipx"], clone, first_book)
    assert not (clone / "my-book").exists() and not (REPO / "my-book").exists()
