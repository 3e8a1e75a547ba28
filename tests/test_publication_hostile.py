"""Every shared product, on a hostile territory, leaks nothing; public counts are secret.

The territory of :mod:`tests._hostile` (the bundled sample with personal data and ESSP
findings written the way staff really write them, extra columns included) is given to
every product of the command line — ``carte``, ``atlas`` (two quartiers, with
``--pdf``), ``review``, ``veille`` and ``dashboard`` (CSV, XLSX, charts) — in
``partenaires`` and in ``public``. Every file written is then searched
(:func:`output_texts`): HTML and SVG text with their JSON escapes, entities and
``data:`` URIs decoded (base64, and gzip/zlib payloads inflated), XLSX internals (every
XML part of the archive), GeoPackages (every table, column name and text cell), CSV,
PDF text and strings (pypdf), PNG text chunks. Texts are normalised before searching
(:func:`tests._hostile.haystack_views`), so a marker split by formatting is still found.

A second test reads every count the ``public`` dashboard writes (CSV, XLSX, long
table) and finds none between 1 and the secret threshold; a third checks that the
stoppages of agents (health data about few, identifiable people) appear in ``public``
at quartier × year at most.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import io
import os
import re
import sqlite3
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from gupgeo.indicators.catalog import COLUMN_LABELS, TABLE_INFO, column_unit
from gupgeo.publication import SECRET_THRESHOLD
from tests._hostile import (
    OPERATION,
    QUARTIER,
    SAMPLE,
    SHARED_PROFILES,
    VEILLE_PERIOD,
    Marker,
    all_markers,
    build_hostile_territory,
    found_markers,
)
from tests._html_parse import parse
from tests.test_method_notes import reprs_in

pytestmark = pytest.mark.slow  # every product twice on the whole sample: ~2-4 min

ATLAS_QUARTIERS = (QUARTIER, "LOC-RABIERE")
TEXT_SUFFIXES = {
    ".html", ".htm", ".svg", ".csv", ".txt", ".json", ".geojson", ".js", ".css", ".xml",
    ".md", ".toml", ".log",
}  # fmt: skip
ZIP_SUFFIXES = {".xlsx", ".xlsm", ".docx", ".ods", ".odt", ".zip"}
SQLITE_SUFFIXES = {".gpkg", ".sqlite", ".db"}


def _pdf_wanted() -> bool:
    """The atlas PDF is built when WeasyPrint is there, and always under ``CI=true``
    (where a missing WeasyPrint makes the command, so the test, fail)."""
    return os.environ.get("CI") == "true" or importlib.util.find_spec("weasyprint") is not None


def product_commands(territory: Path, out: Path, profile: str) -> dict[str, list[str]]:
    """The command line of every product that writes shared output."""
    pdf = ["--pdf"] if _pdf_wanted() else []
    return {
        "carte": ["carte", str(territory), "-o", str(out / "carte.html"),
                  "--publication", profile],
        "atlas": ["atlas", str(territory), "-o", str(out / "atlas"), "--period", "2024",
                  "--publication", profile, "--quartiers", *ATLAS_QUARTIERS, "--workers", "1",
                  "--quiet", *pdf],
        "review": ["review", OPERATION, "--territory", str(territory), "--months", "18",
                   "-o", str(out / "revue.html"), "--publication", profile],
        "veille": ["veille", str(territory), "--period", VEILLE_PERIOD, "--freq", "trimestre",
                   "-o", str(out / "veille"), "--publication", profile],
        "dashboard": ["dashboard", str(territory), "--period", "2024", "--freq", "mois",
                      "-o", str(out / "tableau_de_bord"), "--publication", profile,
                      "--graphiques-png"],
    }  # fmt: skip


def run_gupgeo(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gupgeo", *args],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_hostile_territory(tmp_path_factory.mktemp("hostile") / "territoire")


@pytest.fixture(scope="module")
def outputs(hostile: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """profile → {"folder": Path, "runs": {product: CompletedProcess}}."""
    root = tmp_path_factory.mktemp("sorties")
    result: dict[str, dict] = {}
    for profile in SHARED_PROFILES:
        folder = root / profile
        folder.mkdir()
        runs = {
            product: run_gupgeo(args)
            for product, args in product_commands(hostile, folder, profile).items()
        }
        result[profile] = {"folder": folder, "runs": runs}
    return result


# --- what a file says -------------------------------------------------------------------

_DATA_URI = re.compile(r"data:([\w/+.-]+)?(?:;[\w=-]+)*;base64,([A-Za-z0-9+/=\s]{16,})")
_BASE64_RUN = re.compile(r"[\"'`]([A-Za-z0-9+/]{60,}={0,2})[\"'`]")


def _decoded_payload(data: bytes) -> str | None:
    """Text of a decoded payload (gzip or zlib inflated); None when it is not text."""
    for inflate in (gzip.decompress, zlib.decompress, lambda b: zlib.decompress(b, -15)):
        try:
            data = inflate(data)
            break
        except (OSError, zlib.error, EOFError):
            continue
    if data.startswith(b"\x89PNG"):
        return png_text(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _embedded(text: str, depth: int = 0) -> Iterator[str]:
    """Texts hidden in ``text``: ``data:`` URIs and long base64 strings, decoded."""
    if depth > 2:
        return
    for match in (*_DATA_URI.finditer(text), *_BASE64_RUN.finditer(text)):
        blob = re.sub(r"\s+", "", match.group(match.lastindex or 1))
        try:
            raw = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=False)
        except ValueError:
            continue
        decoded = _decoded_payload(raw)
        if decoded:
            yield decoded
            yield from _embedded(decoded, depth + 1)


def png_text(data: bytes) -> str:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            out.append(body.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            out.append(key.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            out.append(body.decode("utf-8", errors="replace"))
        pos += 12 + length
    return "\n".join(out)


def sqlite_text(path: Path) -> str:
    """Every table name, column name and text cell of a SQLite file (GeoPackage)."""
    out = []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            cursor = con.execute(f'SELECT * FROM "{table}"')
            out.append(table)
            out.extend(d[0] for d in cursor.description)
            for row in cursor:
                for value in row:
                    if isinstance(value, str):
                        out.append(value)
                    elif isinstance(value, bytes) and not value.startswith(b"GP"):
                        out.append(value.decode("utf-8", errors="ignore"))
    return "\n".join(out)


def pdf_text(path: Path) -> str:
    """The text of every page and every string object of a PDF (alternatives, titles…)."""
    from pypdf import PdfReader
    from pypdf.generic import ByteStringObject, TextStringObject

    reader = PdfReader(path)
    out = [page.extract_text() or "" for page in reader.pages]
    for number in range(1, int(reader.trailer.get("/Size", 0))):
        try:
            obj = reader.get_object(number)
        except Exception:
            continue
        out.extend(_pdf_strings(obj, TextStringObject, ByteStringObject))
    return "\n".join(out)


def _pdf_strings(obj: object, text_type: type, byte_type: type, depth: int = 0) -> list[str]:
    if depth > 4:
        return []
    if isinstance(obj, text_type):
        return [str(obj)]
    if isinstance(obj, byte_type):
        return [bytes(obj).decode("latin-1")]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _pdf_strings(v, text_type, byte_type, depth + 1)]
    if isinstance(obj, list):
        return [s for v in obj for s in _pdf_strings(v, text_type, byte_type, depth + 1)]
    return []


def zip_texts(data: bytes, name: str) -> Iterator[tuple[str, str]]:
    """Every member of an archive (XLSX…), read like a file of its name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.is_dir():
                yield from bytes_texts(archive.read(info), f"{name}!{info.filename}")


def bytes_texts(data: bytes, name: str) -> Iterator[tuple[str, str]]:
    """(where, text) of a file's content, by kind."""
    suffix = Path(name.rsplit("!", 1)[-1]).suffix.lower()
    if suffix in ZIP_SUFFIXES or (data[:4] == b"PK\x03\x04" and suffix not in TEXT_SUFFIXES):
        yield from zip_texts(data, name)
        return
    if suffix == ".png" or data.startswith(b"\x89PNG"):
        yield name, png_text(data)
        return
    if suffix == ".rels" or suffix in TEXT_SUFFIXES or suffix == "":
        text = data.decode("utf-8-sig", errors="replace")
    else:
        text = data.decode("utf-8", errors="ignore")
    yield name, text
    for i, hidden in enumerate(_embedded(text)):
        yield f"{name} (contenu encodé {i + 1})", hidden


def output_texts(folder: Path) -> Iterator[tuple[str, str]]:
    """(file, text) for every file under ``folder``, its name included."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = str(path.relative_to(folder))
        yield name, name  # file and folder names are shared too
        suffix = path.suffix.lower()
        if suffix in SQLITE_SUFFIXES:
            yield name, sqlite_text(path)
        elif suffix == ".pdf":
            yield name, pdf_text(path)
        else:
            yield from bytes_texts(path.read_bytes(), name)


def leaks_of(folder: Path, markers: tuple[Marker, ...]) -> dict[str, set[str]]:
    """marker name → the files (and decoded parts) where it was found."""
    where: dict[str, set[str]] = {}
    for name, text in output_texts(folder):
        for marker in found_markers(text, markers):
            where.setdefault(marker.name, set()).add(name.split(" (contenu", 1)[0])
    return where


def leak_table(where: dict[str, set[str]], markers: tuple[Marker, ...]) -> str:
    by_name = {m.name: m for m in markers}
    lines = []
    for name in sorted(where):
        m = by_name[name]
        files = sorted(where[name])
        shown = ", ".join(files[:8]) + (f" … (+{len(files) - 8})" if len(files) > 8 else "")
        lines.append(f"  {name} [{m.kind}, {m.where}] -> {shown}")
    return "\n".join(lines)


# --- the tests ----------------------------------------------------------------------------


def test_markers_are_unique_and_absent_from_the_sample():
    markers = all_markers()
    assert len(markers) >= 30
    names = [m.name for m in markers]
    assert len(set(names)) == len(names)
    needles = [n for m in markers for n in m.needles]
    assert len(set(needles)) == len(needles)
    for a in needles:  # no needle hides another one (a leak is named right)
        assert not [b for b in needles if a != b and a in b], a
    pristine = "\n".join(
        p.read_text(encoding="utf-8-sig", errors="ignore") for p in SAMPLE.iterdir() if p.is_file()
    )
    assert found_markers(pristine, markers) == []


def test_every_marker_is_planted_and_read_by_gupgeo(hostile):
    """Loaded by gupgeo as any user's folder would be, the territory holds every marker
    (none is lost by the reading: a leak test of a lost marker would prove nothing)."""
    import gupgeo

    territory = gupgeo.load_territory(hostile)
    assert territory.report.ok, territory.report
    texts = []
    for name, frame in territory.layers.items():
        texts.append(name + " " + " ".join(map(str, frame.columns)))
        for column in frame.columns:
            if frame[column].dtype == object or isinstance(frame[column].dtype, pd.StringDtype):
                texts.append("\n".join(frame[column].dropna().astype(str)))
    found = {m.name for m in found_markers("\n".join(texts), all_markers())}
    assert found == {m.name for m in all_markers()}


def test_the_search_reads_every_kind_of_file(tmp_path):
    """The search finds a marker in each kind of output: escaped JSON in HTML, a gzip
    payload in base64, an XLSX cell, a GeoPackage cell and column, a PNG text chunk."""
    import geopandas as gpd
    from openpyxl import Workbook
    from shapely.geometry import Point

    markers = all_markers()
    payload = base64.b64encode(gzip.compress(b'{"adresse": "Mme.Zorglubian"}')).decode()
    (tmp_path / "carte.html").write_text(
        '<script>var d = {"a": "\\u004dme Kwazi\\u006dodo"}; var z = "' + payload + '";</script>'
        "<p>06&#x2F;98&#x2F;76&#x2F;54&#x2F;31, ０６９８７６５４３８</p>",
        encoding="utf-8",
    )
    book = Workbook()
    book.active.append(["Plainte Grabuchon (voisin du 3e)"])  # type: ignore[union-attr]
    book.save(tmp_path / "t.xlsx")
    gpd.GeoDataFrame(
        {"Téléphone": ["06 98 76 54 40"], "x": ["ZQ . 482 . WX"]}, geometry=[Point(0, 0)],
        crs=2154,
    ).to_file(tmp_path / "v.gpkg")  # fmt: skip
    png = b"\x89PNG\r\n\x1a\n" + len(b"Comment\0Alambix").to_bytes(4, "big") + b"tEXt"
    (tmp_path / "g.png").write_bytes(png + b"Comment\0Alambix" + b"\0\0\0\0")
    found = leaks_of(tmp_path, markers)
    assert found == {
        "zorglubian": {"carte.html"}, "kwazimodo": {"carte.html"}, "tel-slashes": {"carte.html"},
        "tel-fullwidth": {"carte.html"}, "grabuchon": {"t.xlsx!xl/worksheets/sheet1.xml"},
        "tel-contact": {"v.gpkg"}, "plate-dots": {"v.gpkg"}, "alambix": {"g.png"},
    }  # fmt: skip


def test_the_search_reads_pdf_text_and_strings(tmp_path):
    """A PDF's page text (fonts subset, text compressed) and its strings (title) are read."""
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"WeasyPrint indisponible en CI ({exc}) : make test installe .[dev]")
        pytest.skip(f"WeasyPrint indisponible ({exc})")
    page = (
        "<html lang='fr'><head><title>Revue Mme Pimprenelle</title></head>"
        "<body><p>Rappeler MmeKwazimodo au 06 98 76 54 31</p></body></html>"
    )
    weasyprint.HTML(string=page).write_pdf(tmp_path / "p.pdf")
    found = leaks_of(tmp_path, all_markers())
    assert found == {"kwazimodo": {"p.pdf"}, "tel-slashes": {"p.pdf"}, "pimprenelle": {"p.pdf"}}


def test_every_product_runs(outputs):
    failed = {
        f"{profile}/{product}": f"code {run.returncode} : {(run.stdout + run.stderr).strip()[-800:]}"
        for profile, o in outputs.items()
        for product, run in o["runs"].items()
        if run.returncode != 0
    }
    assert not failed, failed


@pytest.mark.parametrize("profile", SHARED_PROFILES)
def test_no_planted_string_leaks(outputs, profile):
    folder = outputs[profile]["folder"]
    markers = tuple(m for m in all_markers() if profile in m.forbidden_in)
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pdf" for p in written) or not _pdf_wanted()
    assert {p.suffix for p in written} >= {".html", ".csv", ".xlsx", ".gpkg", ".svg", ".png"}
    where = leaks_of(folder, markers)
    assert not where, (
        f"{len(where)} marqueur(s) sur {len(markers)} retrouvé(s) dans les sorties "
        f"« {profile} » :\n{leak_table(where, markers)}"
    )


# --- statistical secrecy of the public dashboard ---------------------------------------------


def _table_of_csv(path: Path) -> str | None:
    """The dashboard table a CSV file holds (``<table>.csv``, ``<table>_par_<freq>.csv``)."""
    stem = re.sub(r"_par_(mois|trimestre|annee)$", "", path.stem)
    return stem if stem in TABLE_INFO else None


def _count(value: object) -> float | None:
    """A cell read as a number (French or not); None for text (« secret », n.c., empty)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = re.sub(r"[\s\u202f\u00a0]", "", str(value)).replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def _is_count(table: str, column: str) -> bool:
    """A count of events or people (an evolution is a difference of two counts, each
    shown or secret itself)."""
    return column_unit(table, column) == "nombre" and not column.startswith("evolution")


def _small(value: object) -> bool:
    number = _count(value)
    return number is not None and 1 <= number < SECRET_THRESHOLD


def small_counts_in_csv(folder: Path) -> list[str]:
    found = []
    for path in sorted(folder.glob("*.csv")):
        frame = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
        if path.name == "indicateurs_long.csv":
            counts = frame[
                (frame["unite"] == "nombre") & ~frame["indicateur"].str.contains(".evolution")
            ]
            for row in counts[counts["valeur"].map(_small)].itertuples(index=False):
                found.append(f"{path.name}: {row.indicateur} {row.code_qp} {row.periode} = "
                             f"{row.valeur}")  # fmt: skip
            continue
        table = _table_of_csv(path)
        if table is None:
            continue
        for column in frame.columns:
            if column in ("code_qp", "nom_qp", "periode") or not _is_count(table, column):
                continue
            small = frame[column].map(_small)
            for _, row in frame[small].iterrows():
                where = f"{row['code_qp']} {row.get('periode', '')}".strip()
                found.append(f"{path.name}: {column} {where} = {row[column]}")
        found += _changes_of_secrets(path.name, table, frame)
    return found


def _changes_of_secrets(name: str, table: str, frame: pd.DataFrame) -> list[str]:
    """Evolutions shown beside a secret count they are computed from (the count of the
    period or of the previous one): it would be given back by subtraction."""
    changes = [c for c in ("evolution_nb", "evolution_pct") if c in frame.columns]
    counted = TABLE_INFO[table].count or next((c for c in frame if c.startswith("nb_")), "")
    counts = [c for c in (counted, "nb_periode_precedente") if c in frame.columns]
    found = []
    for _, row in frame.iterrows():
        secret = [c for c in counts if row[c].strip().lower() == "secret"]
        shown = [c for c in changes if _count(row[c]) is not None]
        if secret and shown:
            where = f"{row['code_qp']} {row.get('periode', '')}".strip()
            found.append(
                f"{name}: {shown[0]} {where} = {row[shown[0]]} à côté de {secret[0]} secret"
            )
    return found


def _sheet_tables() -> dict[str, str]:
    """Sheet title (as the export cuts it, lower case) → table."""
    out = {}
    for name, info in TABLE_INFO.items():
        out[info.title[:31].lower()] = name
        for freq in ("mois", "trimestre", "année", "annee"):
            out[f"{info.series_title} par {freq}"[:31].lower()] = name
    return out


def small_counts_in_xlsx(path: Path) -> tuple[list[str], int]:
    """Small counts of the data sheets of a dashboard workbook, and how many sheets were
    read (every sheet but « sources et méthode »)."""
    from openpyxl import load_workbook

    tables = _sheet_tables()
    found, read = [], 0
    book = load_workbook(path, read_only=True, data_only=True)
    for ws in book.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        table = tables.get(ws.title.lower())
        if table is None or not rows:
            continue
        read += 1
        for j, header in enumerate(rows[0]):
            column = _column_of_header(header)
            if column is None or not _is_count(table, column):
                continue
            for row in rows[1:]:
                if j < len(row) and _small(row[j]):
                    found.append(f"{path.name}[{ws.title}]: {header} {row[0]} = {row[j]}")
    return found, read


def load_sheetnames(path: Path) -> list[str]:
    from openpyxl import load_workbook

    return list(load_workbook(path, read_only=True).sheetnames)


def _column_of_header(header: object) -> str | None:
    """The column a sheet header names: a catalogue label, else a category value as is;
    None for the keys (code, quartier, période)."""
    if header is None or header in ("Code QP", "Quartier", "Période"):
        return None
    by_label = {label: column for column, (label, _) in COLUMN_LABELS.items()}
    return by_label.get(str(header), str(header))


def test_public_dashboard_shows_no_count_below_the_threshold(outputs):
    folder = outputs["public"]["folder"] / "tableau_de_bord"
    books = sorted(folder.glob("*.xlsx"))
    assert books and list(folder.glob("*.csv"))
    small = small_counts_in_csv(folder)
    for book in books:
        in_book, read = small_counts_in_xlsx(book)
        assert read == len(load_sheetnames(book)) - 1, book.name  # all but the method sheet
        small += in_book
    per_file = pd.Series([s.split(":", 1)[0] for s in small]).value_counts()
    shown = "\n  ".join([*(f"{f} : {n}" for f, n in per_file.items()), "exemples :", *small[:30]])
    assert not small, (
        f"{len(small)} effectif(s) entre 1 et {SECRET_THRESHOLD - 1} dans le tableau de bord "
        f"public (attendu « secret ») :\n  {shown}"
    )


def test_public_dashboard_shows_agents_stoppages_by_year_at_most(outputs):
    """Stoppages of agents (health data) appear in ``public`` per quartier and year at
    most: no monthly or quarterly series in any file (CSV, long table, XLSX, charts)."""
    folder = outputs["public"]["folder"] / "tableau_de_bord"
    finer = []
    finer += [p.name for p in folder.rglob("*") if re.search(r"arret.*_par_(mois|trimestre)",
                                                                p.name)]  # fmt: skip
    long = pd.read_csv(folder / "indicateurs_long.csv", sep=";", encoding="utf-8-sig", dtype=str)
    rows = long[long["indicateur"].str.startswith("arrets_agents.")]
    finer += [f"indicateurs_long.csv: {p}" for p in sorted(set(rows["periode"]))
              if not re.fullmatch(r"\d{4}", p)]  # fmt: skip
    from openpyxl import load_workbook

    for book in folder.glob("*.xlsx"):
        titles = load_workbook(book, read_only=True).sheetnames
        short = TABLE_INFO["arrets_agents"].series_title.lower()
        finer += [f"{book.name}[{t}]" for t in titles
                  if t.lower().startswith(short) and not t.lower().endswith("année")]  # fmt: skip
    assert not finer, f"arrêts des agents plus fins que quartier × année : {finer}"


@pytest.mark.parametrize("profile", SHARED_PROFILES)
def test_pages_and_method_notes_print_no_python_repr(outputs, profile):
    """What a reader reads (page text, method notes) holds no list, keyword argument,
    pandas quarter nor None/nan: notes are written in French."""
    folder = outputs[profile]["folder"]
    pages = [
        *(folder / "atlas").rglob("*.html"), folder / "revue.html",
        folder / "veille" / "bulletin.html",
    ]  # fmt: skip
    found = {}
    for path in pages:
        if path.is_file() and (reprs := reprs_in(parse(path).text)):
            found[str(path.relative_to(folder))] = reprs
    notes = folder / "tableau_de_bord" / "sources_et_methode.txt"
    if notes.is_file() and (reprs := reprs_in(notes.read_text(encoding="utf-8"))):
        found[str(notes.relative_to(folder))] = reprs
    assert not found, found
