"""The house as docs/architecture.md draws it, read from the code's imports: the engine knows neither the web
nor the market-access domain (it reaches the operators only through their registry), the domain's operators
and registers know no web, and nothing answers for names it does not define."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_WORDS = ("archive", "ledger", "notice", "credit", "complaint", "clue", "campaign", "circular")


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function, as absolute dotted names."""
    found: set[str] = set()
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found |= {f"{base}.{alias.name}" for alias in node.names} | {base}
    return found


def _under(name: str, top: str) -> bool:
    return name == top or name.startswith(top + ".")


@pytest.mark.parametrize("path", _modules("engine"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_engine_imports_no_web_and_reaches_the_domain_only_through_the_registry(path):
    wrong = sorted(name for name in _imports(path)
                   if _under(name, "flask") or _under(name, "web")
                   or (_under(name, "handlers") and name not in ("handlers", "handlers.registry")))
    assert wrong == []


@pytest.mark.parametrize("path", _modules("handlers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_operators_and_registers_import_no_web(path):
    assert sorted(n for n in _imports(path) if _under(n, "flask") or _under(n, "web")) == []


def test_the_engine_names_nothing_of_the_domain():
    named = [str(p.relative_to(ROOT)) for p in _modules("engine")
             if any(word in p.stem for word in DOMAIN_WORDS)]
    assert named == []


def test_the_web_reads_registers_from_the_domain_not_the_engine():
    assert not any((ROOT / "engine" / f"{name}.py").exists()
                   for name in ("archive", "ledgers", "notices", "circulars", "credit", "counters"))
    assert (ROOT / "handlers" / "registers" / "ledgers.py").exists()


@pytest.mark.parametrize("package", ["engine", "handlers"])
def test_no_class_answers_for_names_it_does_not_define(package):
    """A stand-in that answers any name (`__getattr__`) hides a missing collaborator until it is used."""
    catch_alls = [f"{p.relative_to(ROOT)}:{node.name}" for p in _modules(package)
                  for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                  if isinstance(node, ast.ClassDef)
                  and any(isinstance(f, ast.FunctionDef) and f.name == "__getattr__" for f in node.body)]
    assert catch_alls == []
