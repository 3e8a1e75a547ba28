"""Validation reports: what came in, what was kept, repaired or rejected, and why.

A report is plain data (dataclasses); :meth:`ValidationReport.to_text` renders
the French text a planner reads. The arithmetic is the contract: for every layer
``rows_read == rows_kept + rows_rejected``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from gupgeo.french import format_count, printable

Severity = Literal["rejet", "réparation", "avertissement", "fatal"]

MAX_REJECTS_PCT = 5.0
"""Default threshold: a layer rejecting more than this share of its rows (percent) fails."""

MAX_LISTED = 12
"""How many problems of one kind the text report lists before summarising."""


@dataclass(frozen=True)
class Issue:
    """One problem found in one row (or in the whole layer when ``row`` is None)."""

    severity: Severity
    message: str
    row: str | None = None
    column: str | None = None
    kind: str = ""


@dataclass
class LayerReport:
    """What happened to one layer read from one source."""

    layer: str
    source: str
    format: str = ""
    rows_read: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    rows_repaired: int = 0
    crs_source: str = ""
    notes: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    columns_mapped: dict[str, str] = field(default_factory=dict)
    """Schema column → the file's column it was read from, when the names differ."""
    reading: dict[str, str] = field(default_factory=dict)
    """How the file was read, as a manifest would say it (couche, encodage, separateur…)."""
    guessed: list[str] = field(default_factory=list)
    """What gupgeo had to guess about the file (what ``--proposer-manifeste`` fixes)."""
    suggested: dict[str, str] = field(default_factory=dict)
    """Missing column → the file column whose values fit it (``--proposer-manifeste``)."""
    values: dict[str, str] = field(default_factory=dict)
    """Constant columns given for the file (``--valeur``, ``valeurs`` in gupgeo.toml)."""

    @property
    def fatal(self) -> bool:
        return any(i.severity == "fatal" for i in self.issues)

    @property
    def rejected_pct(self) -> float:
        """Share of the rows read that were rejected, in percent (0 for an empty file)."""
        return 100.0 * self.rows_rejected / self.rows_read if self.rows_read else 0.0

    @property
    def balanced(self) -> bool:
        return self.rows_read == self.rows_kept + self.rows_rejected

    def add(
        self,
        severity: Severity,
        message: str,
        *,
        row: str | None = None,
        column: str | None = None,
        kind: str = "",
    ) -> None:
        self.issues.append(Issue(severity, message, row, column, kind or message))

    def issues_of(self, severity: Severity) -> list[Issue]:
        return [i for i in self.issues if i.severity == severity]

    def to_text(self) -> str:
        lines = [
            f"Couche « {self.layer} » — {self.source}"
            + (f" ({self.format})" if self.format else "")
        ]
        if self.crs_source:
            lines.append(f"  · système de coordonnées : {self.crs_source}")
        for note in self.notes:
            lines.append(f"  · {note}")
        lines.append(
            f"  lignes lues {format_count(self.rows_read)} = "
            f"conservées {format_count(self.rows_kept)}"
            f" + rejetées {format_count(self.rows_rejected)}"
            + (f" ; dont réparées {format_count(self.rows_repaired)}" if self.rows_repaired else "")
            + ("" if self.balanced else "  ⚠ DÉCOMPTE INCOHÉRENT")
        )
        for severity, title in (
            ("fatal", "ERREUR BLOQUANTE"),
            ("rejet", "rejet"),
            ("réparation", "réparation"),
            ("avertissement", "avertissement"),
        ):
            found = self.issues_of(severity)  # type: ignore[arg-type]
            if not found:
                continue
            by_kind = Counter(i.kind for i in found)
            listed: Counter[str] = Counter()
            for issue in found:
                if listed[issue.kind] >= MAX_LISTED:
                    continue
                listed[issue.kind] += 1
                where = f"{issue.row} : " if issue.row else ""
                lines.append(f"  - {title} — {where}{issue.message}")
            for kind, count in by_kind.items():
                if count > MAX_LISTED:
                    lines.append(
                        f"  - {title} — … et {format_count(count - MAX_LISTED)} "
                        "autres cas du même type "
                        f"({kind.split(' :')[0]})"
                    )
        return "\n".join(lines)


@dataclass
class ValidationReport:
    """The reports of every layer validated together."""

    layers: list[LayerReport] = field(default_factory=list)
    rejects: dict[str, pd.DataFrame] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    max_rejects_pct: float = MAX_REJECTS_PCT
    """Above this share of rejected rows (percent) in a layer, the report fails."""

    @property
    def fatal(self) -> bool:
        return any(r.fatal for r in self.layers)

    @property
    def too_many_rejects(self) -> list[LayerReport]:
        """Layers (not already fatal) whose rejected share exceeds :attr:`max_rejects_pct`."""
        return [r for r in self.layers if not r.fatal and r.rejected_pct > self.max_rejects_pct]

    @property
    def ok(self) -> bool:
        """No fatal layer and no layer rejecting more than :attr:`max_rejects_pct` of its rows.

        What the ``gupgeo`` commands turn into their exit code.
        """
        return not self.fatal and not self.too_many_rejects

    def errors(self) -> list[str]:
        """Why the report fails, one French sentence per layer (empty when :attr:`ok`)."""
        out = [
            f"couche « {r.layer} » ({r.source}) inutilisable : "
            + r.issues_of("fatal")[0].message.split(" ; ")[0]
            + "".join(
                " ; ajoutez : " + i.message.rsplit("ajoutez : ", 1)[1]
                for i in r.issues_of("fatal")
                if "ajoutez : --colonne" in i.message or "ajoutez : --valeur" in i.message
            )
            for r in self.layers
            if r.fatal
        ]
        out.extend(
            f"couche « {r.layer} » ({r.source}) : {format_count(r.rows_rejected)} ligne(s) "
            f"rejetée(s) sur {format_count(r.rows_read)} ({_pct(r.rejected_pct)}), au-delà du "
            f"seuil de {_pct(self.max_rejects_pct)} (--max-rejets)"
            for r in self.too_many_rejects
        )
        return out

    def verdict(self) -> str:
        """The report's last line: ``ERREUR : …`` when it fails, ``OK : …`` otherwise."""
        problems = self.errors()
        if problems:
            return printable("ERREUR : " + " ; ".join(problems) + ".")
        rejected = self.rows_rejected
        return (
            "OK : aucune erreur bloquante"
            + (
                f", {format_count(rejected)} ligne(s) rejetée(s) sous le seuil de "
                f"{_pct(self.max_rejects_pct)} par couche (--max-rejets)"
                if rejected
                else ""
            )
            + "."
        )

    @property
    def rows_read(self) -> int:
        return sum(r.rows_read for r in self.layers)

    @property
    def rows_kept(self) -> int:
        return sum(r.rows_kept for r in self.layers)

    @property
    def rows_rejected(self) -> int:
        return sum(r.rows_rejected for r in self.layers)

    @property
    def balanced(self) -> bool:
        return all(r.balanced for r in self.layers)

    def layer(self, name: str) -> LayerReport:
        for r in self.layers:
            if r.layer == name:
                return r
        raise KeyError(name)

    def to_frame(self) -> pd.DataFrame:
        """One row per layer with the counts (handy in a notebook)."""
        return pd.DataFrame(
            [
                {
                    "couche": r.layer,
                    "source": r.source,
                    "lues": r.rows_read,
                    "conservees": r.rows_kept,
                    "rejetees": r.rows_rejected,
                    "reparees": r.rows_repaired,
                    "avertissements": len(r.issues_of("avertissement")),
                    "bloquant": r.fatal,
                }
                for r in self.layers
            ]
        )

    def to_text(self) -> str:
        parts = ["Rapport de validation gupgeo", ""]
        for r in self.layers:
            parts.append(r.to_text())
            parts.append("")
        for note in self.skipped:
            parts.append(f"Fichier ignoré : {note}")
        if self.skipped:
            parts.append("")
        verdict = (
            "ERREURS BLOQUANTES"
            if self.fatal
            else "TROP DE REJETS"
            if self.too_many_rejects
            else "aucune erreur bloquante"
        )
        parts.append(
            f"Bilan : {len(self.layers)} couche(s), {format_count(self.rows_read)} lignes lues = "
            f"{format_count(self.rows_kept)} conservées + "
            f"{format_count(self.rows_rejected)} rejetées"
            f" ({'décompte exact' if self.balanced else 'DÉCOMPTE INCOHÉRENT'}) ; {verdict}."
        )
        parts.append(self.verdict())
        return printable("\n".join(parts))

    def __str__(self) -> str:
        return self.to_text()

    def write_rejects(self, directory: str) -> list[str]:
        """Write one ``rejets_<couche>.csv`` per layer with rejected rows; return the paths.

        The CSVs use the French Excel dialect (``;``, UTF-8 with BOM) so they open
        directly in a spreadsheet; each is replaced whole (written under a temporary
        name, then renamed), and text that a spreadsheet would run as a formula is
        prefixed with ``'`` (:mod:`gupgeo._spreadsheet`).
        """
        from pathlib import Path

        from gupgeo._spreadsheet import write_csv

        out_dir = Path(directory)
        out_dir.mkdir(parents=True, exist_ok=True)
        written: list[str] = []
        for name, frame in self.rejects.items():
            if frame.empty:
                continue
            path = out_dir / f"rejets_{name}.csv"
            write_csv(frame, path, sep=";", encoding="utf-8-sig")
            written.append(str(path))
        return written


def _pct(value: float) -> str:
    """A percentage the French way: ``5 %``, ``28,6 %``."""
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text}\u00a0%"
