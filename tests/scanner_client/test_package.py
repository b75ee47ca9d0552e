"""The client is its own package: it never imports ``trace``, and its wheel carries what it needs."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

CLIENT = Path(__file__).resolve().parents[2] / "scanner_client"


def test_the_client_never_imports_trace():
    for path in CLIENT.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n == "trace" or n.startswith("trace.") for n in names), path.name


def test_its_pyproject_pins_its_libraries_and_ships_the_font():
    project = tomllib.loads((CLIENT / "pyproject.toml").read_text())
    pins = dict(d.split("==") for d in project["project"]["dependencies"])
    assert {"rfc8785", "cryptography", "biip", "pyserial", "textual", "fpdf2"} <= pins.keys()
    requirements = {}
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in (CLIENT.parent / name).read_text().splitlines():
            if "==" in line:
                package, version = line.split("==")
                requirements[package.lower()] = version
    assert all(requirements[p.lower()] == v for p, v in pins.items()), "the client and the project pin alike"
    assert (CLIENT / "fonts" / "NotoSansSC-GB2312.ttf").stat().st_size > 1_000_000
    assert project["project"]["scripts"]["suyuan-scanner"] == "scanner_client.cli:main"
