"""Every example of the README section "Apporter ses propres données" runs as written."""

from __future__ import annotations

import doctest
import re
import shlex

import pytest

from gupgeo.cli import main

from .conftest import REPO


def _section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index("## Apporter ses propres données")
    return text[start : text.index("\n## ", start + 1)]


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", _section(), flags=re.DOTALL)


def _commands() -> list[tuple[str, int]]:
    out = []
    for block in _blocks("sh"):
        for line in block.splitlines():
            command, _, expected = line.partition("# exit ")
            out.append((command.strip(), int(expected)))
    return out


def test_python_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    (block,) = _blocks("python")
    test = doctest.DocTestParser().get_doctest(block, {}, "README", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 4


@pytest.mark.parametrize(("command", "expected"), _commands())
def test_shell_examples_exit_as_said(
    command: str, expected: int, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.chdir(REPO)
    argv = shlex.split(command)
    assert argv[0] == "gupgeo"
    assert main(argv[1:]) == expected
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last.startswith("ERREUR" if expected else "OK")


def test_manifest_shown_is_the_bundled_one() -> None:
    (toml,) = _blocks("toml")
    assert toml == (REPO / "data" / "sample" / "apporter" / "gupgeo.toml").read_text("utf-8")
