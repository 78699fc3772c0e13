"""A lean install: `make run` installs requirements.lock (what the product needs at run time), `make test` adds
requirements-test.lock. Both pin every package of their closure, agree with pyproject, and nothing the product
runs imports a package only the tests install."""
import ast
import re
import tomllib
from importlib import metadata

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

RUNTIME_CODE = ("engine", "handlers", "web", "benchmarks")
BUILD_ONLY = {"setuptools"}  # `pip install --no-build-isolation -e .` builds with the venv's own setuptools


def _lock(name: str) -> tuple[list[str], dict[str, str]]:
    """A lock file's includes (`-r`) and its pins, by canonical name."""
    includes, pins = [], {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-r "):
            includes.append(line[3:].strip())
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
        assert match, f"{name}: not pinned exactly: {line!r}"
        key = canonicalize_name(match.group(1))
        assert key not in pins, f"{name}: {key} pinned twice"
        pins[key] = match.group(2)
    return includes, pins


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _closure(roots: list[Requirement]) -> set[str]:
    """Every distribution the roots need in this environment (extras and markers followed), from the installed
    packages' own metadata."""
    seen: set[str] = set()
    todo = [(canonicalize_name(r.name), set(r.extras)) for r in roots]
    asked: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        if (name, frozenset(extras)) in asked:
            continue
        asked.add((name, frozenset(extras)))
        seen.add(name)
        for text in metadata.requires(name) or []:
            req = Requirement(text)
            wanted = req.marker is None or any(
                req.marker.evaluate({**default_environment(), "extra": extra}) for extra in extras | {""})
            if wanted:
                todo.append((canonicalize_name(req.name), set(req.extras)))
    return seen


def test_both_locks_pin_everything_and_the_test_lock_only_adds():
    runtime_includes, runtime = _lock("requirements.lock")
    test_includes, test_only = _lock("requirements-test.lock")
    assert runtime_includes == []
    assert test_includes == ["requirements.lock"]
    assert set(runtime) & set(test_only) == set()


def test_the_locks_agree_with_pyproject():
    _, runtime = _lock("requirements.lock")
    _, test_only = _lock("requirements-test.lock")
    project = _project()
    for text in project["dependencies"]:
        req = Requirement(text)
        assert runtime.get(canonicalize_name(req.name)) == str(req.specifier).removeprefix("=="), text
    for text in project["optional-dependencies"]["test"]:
        req = Requirement(text)
        assert test_only.get(canonicalize_name(req.name)) == str(req.specifier).removeprefix("=="), text
    assert "mypy" in test_only


def test_each_lock_is_exactly_the_closure_of_what_it_installs():
    _, runtime = _lock("requirements.lock")
    _, test_only = _lock("requirements-test.lock")
    project = _project()
    product = _closure([Requirement(t) for t in project["dependencies"]])
    assert product == set(runtime) - BUILD_ONLY  # nothing missing (pip would pick a version), nothing extra
    tests = _closure([Requirement(t) for t in project["dependencies"] + project["optional-dependencies"]["test"]])
    assert tests - product == set(test_only)


def test_the_installed_packages_are_the_pinned_ones():
    _, runtime = _lock("requirements.lock")
    _, test_only = _lock("requirements-test.lock")
    installed = {name: metadata.version(name) for name in {**runtime, **test_only}}
    assert installed == {**runtime, **test_only}


def _imports(path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    return {name.split(".")[0] for name in names}


def test_nothing_the_product_runs_imports_a_test_only_package():
    _, test_only = _lock("requirements-test.lock")
    owners = metadata.packages_distributions()
    found = {}
    for folder in RUNTIME_CODE:
        for path in (ROOT / folder).rglob("*.py"):
            for module in _imports(path):
                dists = {canonicalize_name(d) for d in owners.get(module, [])}
                if dists & set(test_only):
                    found.setdefault(str(path.relative_to(ROOT)), set()).add(module)
    assert found == {}
