"""The code's layout holds: a few modules at the top, the domain in packages by capability,
dependencies pointing one way, and no domain code reading the request."""

import ast

import pytest

from conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "roomloop"
DOMAIN = ("booking", "people", "reporting", "outbox")
# What each domain package may import of the others: the arrow points one way.
ALLOWED = {
    "booking": {"outbox"},
    "people": {"outbox", "reporting"},
    "reporting": {"booking"},
    "outbox": set(),
}
REQUEST_STATE = {"request", "session", "flash", "g"}


def modules(folder):
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def imported_packages(path):
    """The ``roomloop`` packages and modules one file imports, by their first name."""
    parts = path.relative_to(PACKAGE).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(parts[: len(parts) - (node.level - 1)])
            target = base + (node.module.split(".") if node.module else [])
            if target:
                found.add(target[0])
            else:  # from . import x (at the top package)
                found.update(alias.name for alias in node.names)
    return found


def test_at_most_fourteen_modules_lie_at_the_top():
    top = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= 14, sorted(top)


@pytest.mark.parametrize("package", sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py")))
def test_every_package_says_what_it_holds(package):
    docstring = ast.get_docstring(ast.parse((PACKAGE / package / "__init__.py").read_text()))
    assert docstring and len(docstring.split()) >= 8, package


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_depend_one_way(package):
    """A domain package imports only the domain packages below it, so none imports another
    that imports it back."""
    used = set().union(*(imported_packages(p) for p in modules(PACKAGE / package)))
    assert used & (set(DOMAIN) - {package}) <= ALLOWED[package]


def test_the_allowed_dependencies_have_no_circle():
    def reaches(start, goal, seen=()):
        return any(
            n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in ALLOWED[start]
        )

    assert not [p for p in DOMAIN if reaches(p, p)]


@pytest.mark.parametrize("package", (*DOMAIN, "auth"))
def test_domain_code_never_reads_the_request(package):
    """Pages and the API parse the request and call the domain with plain values."""
    for path in modules(PACKAGE / package):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                names = {alias.name for alias in node.names}
                assert not names & REQUEST_STATE, f"{path.name} imports {names & REQUEST_STATE}"
