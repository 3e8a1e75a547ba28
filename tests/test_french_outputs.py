"""No English where a planner reads: atlas, review, dashboard exports, charts, map legends, CLI.

Every product is built once from the bundled sample (map libraries are tiny stand-ins,
tests.browser_support.write_fake_assets), then the text a reader sees is scanned for
English words that used to leak (frequencies, classification names, Python's missing
values, argparse's and GEOS's vocabulary): HTML text nodes and the title, alt and
aria-label attributes (the review's map included), SVG text (charts), CSV headers, the
"sources et méthode" text, the labels, titles and notes of the map legends, and the
CLI's help and messages. Licence files of the bundled libraries are not scanned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

import gupgeo
from gupgeo.atlas import build_atlas
from gupgeo.attribution.territory import attributed
from gupgeo.cli import main
from gupgeo.dashboard import build_dashboard, export_dashboard
from gupgeo.maps import map_territory, save_map
from gupgeo.review import review_operation
from tests.browser_support import write_fake_assets

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"

ENGLISH = (
    "month", "months", "quarter", "quarters", "year", "years", "monthly", "yearly",
    "Quantiles", "FisherJenks", "NaturalBreaks", "EqualInterval", "HeadTailBreaks",
    "Natural Breaks", "Equal Interval", "n/a", "N/A", "None", "nan", "NaN", "null",
    "undefined", "True", "False", "Unknown", "unknown", "Other", "others", "Legend",
    "Layers", "Zoom in", "Zoom out", "Full Screen", "usage", "positional arguments",
    "optional arguments", "show this help", "PERIOD", "OUTPUT", "FILTER", "WORKERS",
    "MONTHS", "WARNING", "ERROR", "Self-intersection", "LineString", "Polygon",
    "MultiPolygon", "per", "count", "mean", "median", "total of", "missing", "closed",
)  # fmt: skip
"""English words that must not be read in a French output ("total" is French too)."""
# A word quoted from a source between « » (Open311's "closed" status) is not a leak.
_PATTERN = re.compile(r"(?<![\w/.-])(?<!« )(" + "|".join(map(re.escape, ENGLISH)) + r")(?![\w/-])")
_LEGEND_TEXT = re.compile(r'"(?:label|title|note|name|subtitle)":\s*("(?:[^"\\]|\\.)*")')


class _Text(HTMLParser):
    """The text a reader sees in an HTML or SVG document."""

    HIDDEN = ("script", "style", "metadata")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        for name, value in attrs:
            if name in ("title", "alt", "aria-label", "placeholder") and value:
                self.texts.append(value)
            elif name == "srcdoc" and value:
                self.texts += visible_text(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)

    def handle_data(self, data: str) -> None:
        if not self.hidden and data.strip():
            self.texts.append(data)


def visible_text(document: str) -> list[str]:
    parser = _Text()
    parser.feed(document)
    texts = parser.texts
    # Map legends and layer names are data for the map script: read them too.
    texts += [json.loads(m) for m in _LEGEND_TEXT.findall(document)]
    return texts


def texts_of(path: Path) -> list[str]:
    if path.suffix in (".html", ".svg"):
        return visible_text(path.read_text(encoding="utf-8"))
    if path.suffix == ".csv":
        return [path.read_text(encoding="utf-8-sig").splitlines()[0]]
    return [path.read_text(encoding="utf-8")]


def english_in(texts: list[str]) -> list[tuple[str, str]]:
    return [(m, t[:160]) for t in texts for m in _PATTERN.findall(t)]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[Path]]]:
    patch = pytest.MonkeyPatch()
    patch.setenv("GUPGEO_ASSETS_DIR", str(write_fake_assets(tmp_path_factory.mktemp("assets"))))
    root = tmp_path_factory.mktemp("sorties")
    t = attributed(gupgeo.load_territory(SAMPLE))
    atlas = build_atlas(
        t, root / "atlas", period="2024", quartiers=["LOC-SANITAS", "LOC-EUROPE"],
        workers=1, progress=False, basemap=None, build_date="2025-01-15",
    )  # fmt: skip
    assert atlas.ok, atlas.summary()
    review = review_operation(t, "OP-03", basemap=None, build_date="2025-01-15")
    written: list[Path] = [review.save(root / "revue.html")]
    save_map(map_territory(t, basemap=None), root / "carte.html")
    for freq in ("month", "quarter", "year"):
        db = build_dashboard(t, period="2024", freq=freq)
        written += export_dashboard(db, root / f"tdb-{freq}", chart_formats=("svg",))
    yield {
        "atlas": [p for p in (root / "atlas").rglob("*") if p.suffix in (".html", ".svg")],
        "revue": written[:1],
        "carte": [root / "carte.html"],
        "tableau de bord": [p for p in written[1:] if p.suffix in (".csv", ".svg", ".txt")],
    }
    patch.undo()


@pytest.mark.parametrize("product", ["atlas", "revue", "carte", "tableau de bord"])
def test_outputs_read_in_french(outputs: dict[str, list[Path]], product: str) -> None:
    paths = outputs[product]
    assert paths
    found = {p.name: hits for p in paths if (hits := english_in(texts_of(p)))}
    assert found == {}


def test_the_scan_sees_text_nodes_svg_legends_and_headers(outputs) -> None:
    atlas = {f"{p.parent.name}/{p.name}": p for p in outputs["atlas"]}
    page = " ".join(texts_of(atlas["quartiers/loc-sanitas.html"]))
    assert "Chiffres clés" in page and "Couverture des données" in page
    chart = " ".join(texts_of(next(p for n, p in atlas.items() if n.endswith("-stock.svg"))))
    assert "Stock de signalements ouverts par ancienneté" in chart
    legend = " ".join(texts_of(atlas["cartes/loc-sanitas.html"]))
    assert "point chaud 99 %" in legend  # the veille layers' legends
    assert "au premier signalement ; taille : 2, 3 à 5, 6 signalements et plus" in legend
    assert "Taux de signalements" in " ".join(texts_of(outputs["carte"][0]))
    csv_header = texts_of(
        next(p for p in outputs["tableau de bord"] if p.name == "signalements.csv")
    )
    assert csv_header[0].startswith("code_qp;nom_qp;nb_signalements")
    assert english_in(["séries par month", "classes : FisherJenks", "valeur : nan"]) == [
        ("month", "séries par month"),
        ("FisherJenks", "classes : FisherJenks"),
        ("nan", "valeur : nan"),
    ]
    assert english_in(["demandes « closed »"]) == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        *([command, "--help"] for command in
          ("validate", "info", "dashboard", "carte", "attribute", "atlas", "review")),
    ],
)  # fmt: skip
def test_cli_help_reads_in_french(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(argv)
    out = capsys.readouterr()
    assert english_in([out.out, out.err]) == []


def test_cli_messages_read_in_french(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(SAMPLE)]) == 0
    assert main(["validate", str(SAMPLE / "dirty")]) in (0, 1)
    out = capsys.readouterr()
    assert "polygone" in out.out
    assert english_in([out.out, out.err]) == []
