"""Split a damaged CSV into its records, one physical line at a time when quotes go wrong.

The fast reader (pyarrow) handles clean files. A file it refuses comes here, and
every record ends either read or set aside with its line number and one reason:

- a record with the wrong number of fields is set aside once (never counted
  twice, whether it has too few or too many fields);
- a quote opened and never closed would swallow every following line into one
  field: the damage is bounded to the line where the quote opens, which is set
  aside, and reading resumes on the next line;
- a carriage return alone inside a field (``\\r``, typed in a spreadsheet cell)
  stays in the value and is said in the notes;
- a field too large for the parser is set aside with its line, never a traceback.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field

MAX_SPAN = 100
"""Most physical lines a quoted field may span before its quote counts as unclosed."""
_CR = "\ue000"
"""Stands for a bare carriage return while Python's csv module parses a line."""


@dataclass
class Records:
    """Header, records read (with the line where each starts) and lines set aside."""

    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    set_aside: list[tuple[str, str]] = field(default_factory=list)
    bare_cr_lines: list[int] = field(default_factory=list)


def physical_lines(text: str) -> list[str]:
    """The lines of ``text`` as an editor shows them, line ends removed.

    ``\\n`` and ``\\r\\n`` end lines; a file with no ``\\n`` at all uses ``\\r``
    (old Mac exports). Any other ``\\r`` is a character inside a line.

    Examples
    --------
    >>> physical_lines("a;b\\r\\n1;x\\ry\\n")
    ['a;b', '1;x\\ry']
    >>> physical_lines("a;b\\r1;2\\r")
    ['a;b', '1;2']
    """
    if "\n" not in text and "\r" in text:
        lines = text.split("\r")
    else:
        lines = [line.removesuffix("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _feed(lines: list[str], start: int) -> Iterator[str]:
    for line in lines[start:]:
        yield line.replace("\r", _CR) + "\n"


def _swallowed(
    lines: list[str], start: int, end: int, fields: list[str], expected: int, sep: str
) -> bool:
    """Whether a record spanning lines ``start..end`` is an unclosed quote eating lines.

    It is when its field count is wrong, when it spans too many lines, when the
    quote is still open at the end of the file, or when a line it swallowed is a
    complete record by itself.
    """
    if len(fields) != expected or end - start >= MAX_SPAN:
        return True
    if end == len(lines) - 1 and fields[-1].endswith("\n"):
        return True
    swallowed = csv.reader(
        (line.replace("\r", _CR) for line in lines[start + 1 : end + 1]), delimiter=sep
    )
    try:
        return any(len(row) == expected for row in swallowed)
    except csv.Error:
        return True


def split_records(lines: list[str], sep: str) -> Records:
    """Every record of a CSV's physical ``lines``, or the reason it was set aside.

    Examples
    --------
    >>> r = split_records(['id;nom', '1;"a', '2;b', '3;c;d', '4'], ";")
    >>> r.rows, r.starts
    ([['2', 'b']], [3])
    >>> [label for label, _ in r.set_aside]
    ['ligne 2', 'ligne 4', 'ligne 5']
    """
    records: Records | None = None
    i = 0
    while i < len(lines):
        reader = csv.reader(_feed(lines, i), delimiter=sep)
        consumed = 0
        restart = None
        try:
            for fields in reader:
                start, consumed = i + consumed, reader.line_num
                end = i + consumed - 1
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # blank line: not a record
                if _CR in "".join(fields):
                    fields = [f.replace(_CR, "\r") for f in fields]
                if records is None:
                    records = Records(header=[f.strip() for f in fields])
                    continue
                expected = len(records.header)
                if end > start and _swallowed(lines, start, end, fields, expected, sep):
                    # An unclosed quote swallowed the next lines: only its own line is lost.
                    records.set_aside.append(
                        (
                            f"ligne {start + 1}",
                            "guillemet ouvert et jamais refermé : la ligne est mise de côté "
                            f"seule, les lignes suivantes sont relues normalement (attendu "
                            f"{expected} champs)",
                        )
                    )
                    restart = start + 1
                    break
                if len(fields) != expected:
                    records.set_aside.append(
                        (
                            f"ligne {start + 1}",
                            f"{len(fields)} champ(s) au lieu de {expected} : ligne illisible "
                            "(séparateur en trop ou manquant, guillemet non fermé ?)",
                        )
                    )
                    continue
                if any("\r" in f for f in fields):
                    records.bare_cr_lines.append(start + 1)
                records.rows.append(fields)
                records.starts.append(start + 1)
        except csv.Error as exc:
            line = i + consumed + 1
            reason = (
                f"champ de plus de {csv.field_size_limit():,} caractères".replace(",", " ")
                if "field limit" in str(exc)
                else f"ligne illisible par le lecteur CSV ({exc})"
            )
            if records is None:
                records = Records(header=[])
            records.set_aside.append((f"ligne {line}", reason))
            restart = line
        if restart is None:
            break
        i = restart
    return records or Records(header=[])


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique the way pandas does (``nom``, ``nom.1``…).

    Examples
    --------
    >>> unique_names(["id", "nom", "nom", ""])
    ['id', 'nom', 'nom.1', 'colonne_4']
    """
    seen: dict[str, int] = {}
    out = []
    for position, name in enumerate(names):
        name = name.strip() or f"colonne_{position + 1}"
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out
