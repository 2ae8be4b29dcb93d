"""Rules of the code itself (DEVELOPERS.md, "Rules"), checked on every run of the suite.

- the layers of ``pyproject.toml``'s ``[tool.importlinter]`` contracts hold (``lint-imports``);
- no ``# fmt: skip`` in ``bindata/`` (ruff format is the one style);
- no library message outside ``bindata/cli/`` names a command-line flag (library terms);
- no two functions of ``bindata/`` have the same body;
- a function-local import of a bindata module outside ``bindata/cli/`` says why it is not at the
  top (a comment on its line or the line above: a cycle it breaks, a heavy optional dependency
  it defers);
- nothing in ``bindata/`` imports the tests' peers (``tests/peers/``).

Each rule is a function over a source tree, run on ``bindata/`` and on a small tree that breaks
it, so that a rule that can no longer fail is noticed.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "bindata"

#: A command-line flag in a message (the rule of ``shared/tools/cli_terms.py``).
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")
#: Calls whose string arguments are messages: ``*Error``, ``*Exception``, ``*Warning`` classes and
#: these functions and methods (``warnings.warn``, ``Problems.add``, ...).
MESSAGE_CALLS = ("warn", "add", "problem", "echo_warning")
#: Function bodies of fewer statements (nested ones counted, docstring not) are too small to be
#: a repeated piece of logic: ``pass``, ``return x``, ``raise NotImplementedError``, a one-line
#: ``__dir__``. Two bodies of 2 or more statements must differ.
MIN_BODY_STATEMENTS = 2


def _python_files(root: Path, *, skip_cli: bool = False) -> list[Path]:
    files = sorted(root.rglob("*.py"))
    if skip_cli:
        files = [p for p in files if "cli" not in p.relative_to(root).parts]
    return files


def _where(root: Path, path: Path, line: int) -> str:
    return f"{path.relative_to(root.parent).as_posix()}:{line}"


# ----------------------------------------------------------------------------- the rules
def fmt_skips(root: Path) -> list[str]:
    """Lines holding ``# fmt: skip``."""
    return [
        _where(root, path, k)
        for path in _python_files(root)
        for k, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if re.search(r"#\s*fmt:\s*skip", line)
    ]


def _is_message_call(call: ast.Call) -> bool:
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return name.endswith(("Error", "Exception", "Warning")) or name in MESSAGE_CALLS


def flags_in_messages(root: Path) -> list[str]:
    """Library messages (outside ``cli/``) that name a flag: ``PATH:LINE: --flag``."""
    hits = set()
    for path in _python_files(root, skip_cli=True):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                message = node.exc
            elif isinstance(node, ast.Call) and _is_message_call(node):
                message = node
            else:
                continue
            for const in ast.walk(message):
                if isinstance(const, ast.Constant) and isinstance(const.value, str):
                    found = FLAG.search(const.value)
                    if found:
                        hits.add(f"{_where(root, path, message.lineno)}: {found.group(0)}")
    return sorted(hits)


def _body_statements(fn) -> list[ast.stmt]:
    body = fn.body
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        body = body[1:]
    return body


def same_bodies(root: Path) -> list[str]:
    """Groups of functions with the same body (``ast.dump`` without the docstring)."""
    groups = defaultdict(list)
    for path in _python_files(root):
        for fn in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            body = _body_statements(fn)
            size = sum(isinstance(n, ast.stmt) for stmt in body for n in ast.walk(stmt))
            if size >= MIN_BODY_STATEMENTS:
                key = "\n".join(ast.dump(stmt) for stmt in body)
                groups[key].append(f"{_where(root, path, fn.lineno)} {fn.name}")
    return sorted(" = ".join(names) for names in groups.values() if len(names) > 1)


def _imports_package(node, package: str) -> bool:
    if isinstance(node, ast.ImportFrom):
        return node.level > 0 or (node.module or "").split(".")[0] == package
    return any(alias.name.split(".")[0] == package for alias in node.names)


def silent_local_imports(root: Path) -> list[str]:
    """Imports of the package's own modules inside functions (outside ``cli/``) with no comment
    on their line or the line above."""
    hits = set()
    for path in _python_files(root, skip_cli=True):
        text = path.read_text("utf-8")
        lines = text.splitlines()
        for fn in ast.walk(ast.parse(text)):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                if not _imports_package(node, root.name):
                    continue
                above = lines[node.lineno - 2] if node.lineno > 1 else ""
                if "#" not in lines[node.lineno - 1] and not above.lstrip().startswith("#"):
                    hits.add(_where(root, path, node.lineno))
    return sorted(hits)


def imports_of_tests(root: Path) -> list[str]:
    """Imports of the ``tests`` package (the peers live there, outside the wheel)."""
    return sorted(
        _where(root, path, node.lineno)
        for path in _python_files(root)
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        and _imports_package(node, "tests")
        and not (isinstance(node, ast.ImportFrom) and node.level > 0)
    )


# ----------------------------------------------------------------------------- on bindata
def test_the_import_layers_hold():
    pytest.importorskip("importlinter", reason="the test extra installs import-linter")
    code = "import sys; from importlinter.cli import lint_imports_command; lint_imports_command()"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run(
        [sys.executable, "-c", code, "--no-cache"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_no_fmt_skip():
    assert fmt_skips(PACKAGE) == []


def test_library_messages_name_no_flags():
    assert flags_in_messages(PACKAGE) == []


def test_no_two_functions_have_the_same_body():
    assert same_bodies(PACKAGE) == []


def test_function_local_imports_say_why():
    assert silent_local_imports(PACKAGE) == []


def test_the_library_does_not_import_the_tests_peers():
    assert imports_of_tests(PACKAGE) == []


# ----------------------------------------------------------------------------- each rule can fail
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "bindata"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_each_rule_finds_what_it_forbids(tmp_path):
    root = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "style.py": "x = [1,2]  # fmt: skip\n",
            "messages.py": (
                "import warnings\n"
                "def f(p):\n"
                "    raise ValueError('pass --overwrite to replace it')\n"
                "def g(p):\n"
                "    p.add('x', 'use --jobs 2')\n"
                "    warnings.warn('see --quiet')\n"
            ),
            "cli/ok.py": "def f():\n    raise ValueError('pass --overwrite')\n",
            "twins.py": (
                "def a(lo_hi):\n    '''One.'''\n    lo, hi = lo_hi\n    return hi - lo\n"
                "def b(lo_hi):\n    lo, hi = lo_hi\n    return hi - lo\n"
                "def c():\n    pass\n"
                "def d():\n    pass\n"
            ),
            "local.py": (
                "def f():\n    from .twins import a\n    return a\n"
                "def g():\n    from .twins import b  # breaks the cycle twins -> local\n"
                "    return b\n"
                "def h():\n    # defers numpy\n    import numpy\n    return numpy\n"
                "def i():\n    import bindata.twins\n    return bindata\n"
            ),
            "peers.py": "from tests.peers.score import import_sed_eval\n",
        },
    )
    assert fmt_skips(root) == ["bindata/style.py:1"]
    assert flags_in_messages(root) == [
        "bindata/messages.py:3: --overwrite",
        "bindata/messages.py:5: --jobs",
        "bindata/messages.py:6: --quiet",
    ]
    assert same_bodies(root) == ["bindata/twins.py:1 a = bindata/twins.py:5 b"]
    assert silent_local_imports(root) == ["bindata/local.py:12", "bindata/local.py:2"]
    assert imports_of_tests(root) == ["bindata/peers.py:1"]
