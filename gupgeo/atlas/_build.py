"""Build the atlas: prepare once, write the pages in parallel, then the index.

Pages are independent: each is built in a worker process from its own
:class:`~gupgeo.atlas._prepare.QuartierTask`; a page that fails is reported with its
cause (in the result, the log and the index) and the others are kept. A worker that
dies takes its pending pages with it: they are retried once in a fresh pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from gupgeo import _atomic
from gupgeo.atlas import _output, _workers
from gupgeo.atlas._pages import PageResult, build_page
from gupgeo.atlas._prepare import AtlasData, QuartierTask, prepare, tasks
from gupgeo.atlas.naming import OVERVIEW_STEM
from gupgeo.atlas.options import AtlasOptions
from gupgeo.dashboard.model import DashboardConfig
from gupgeo.french import format_number
from gupgeo.publication import Profil, Publication, Source, as_publication
from gupgeo.rendering.html import environment, static_text

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, PageResult], None]


@dataclass(frozen=True)
class AtlasResult:
    """What :func:`build_atlas` wrote, how long it took, and which pages failed."""

    out_dir: Path
    index: Path
    pages: tuple[PageResult, ...]
    seconds: float
    prepare_seconds: float
    workers: int
    pdf: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def failures(self) -> tuple[PageResult, ...]:
        return tuple(p for p in self.pages if not p.ok)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        """French summary, as printed by the CLI."""
        done = sum(p.ok for p in self.pages)
        lines = [
            f"Atlas écrit dans {self.out_dir} : {done}/{len(self.pages)} page(s) en "
            f"{format_number(self.seconds, 1)} s ({self.workers} processus)",
            f"  sommaire : {self.index}",
        ]
        lines += [f"  ÉCHEC {p.title} ({p.code_qp}) : {p.error}" for p in self.failures]
        lines += [f"  PDF : {p}" for p in self.pdf]
        return "\n".join(lines)


class TextProgress:
    """A progress bar on a terminal, one line per page otherwise (logs, CI)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()

    def __call__(self, done: int, total: int, result: PageResult) -> None:
        state = "ok" if result.ok else "ÉCHEC"
        if self.tty:
            width = 28
            filled = int(width * done / total)
            bar = "█" * filled + "·" * (width - filled)
            text = f"\rAtlas [{bar}] {done}/{total} {result.title[:30]:<30} {state}"
            self.stream.write(text + ("\n" if done == total else ""))
        else:
            self.stream.write(
                f"Atlas {done}/{total} : {result.title} — {state} ({result.seconds:.1f} s)\n"
            )
        self.stream.flush()


def available_cores() -> int:
    """Cores this process may use (affinity-aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else None)


def run_pages(
    items: Sequence[QuartierTask], *, workers: int, progress: ProgressCallback | None
) -> list[PageResult]:
    """Build every page, in parallel when ``workers`` > 1; results in page order."""
    results: dict[int, PageResult] = {}
    total = len(items)

    def record(i: int, result: PageResult) -> None:
        results[i] = result
        if progress is not None:
            progress(len(results), total, result)

    # Compile the templates once here: forked workers inherit them.
    environment().get_template("atlas_quartier.html")
    if workers <= 1:
        for i, task in enumerate(items):
            record(i, build_page(task))
        return [results[i] for i in range(total)]
    pending = list(range(total))
    for _ in range(2):
        pending = _pool_run(items, pending, workers, record)
        if not pending:
            break
        logger.warning("atlas : processus interrompu, %d page(s) relancée(s)", len(pending))
    # Still crashing: one process per page, so only the culprit is lost.
    for i in pending:
        if _pool_run(items, [i], 1, record):
            record(i, _failed(items[i], RuntimeError(CRASHED)))
    return [results[i] for i in range(total)]


CRASHED = "le processus de calcul de la page s'est arrêté brutalement (mémoire insuffisante ?)"


def _pool_run(
    items: Sequence[QuartierTask],
    pending: Sequence[int],
    workers: int,
    record: Callable[[int, PageResult], None],
) -> list[int]:
    """Run ``pending`` pages in a fresh pool; return those lost to a dead worker.

    On ``KeyboardInterrupt``, ``SystemExit`` (``SIGTERM``) or any error, the workers are
    terminated before the exception goes on: none keeps writing pages.
    """
    broken: list[int] = []
    pool = _workers.new_pool(workers, _context())
    try:
        futures: dict[Future[PageResult], int] = {
            pool.submit(build_page, items[i]): i for i in pending
        }
        for future in as_completed(futures):
            i = futures[future]
            try:
                record(i, future.result())
            except BrokenProcessPool:
                broken.append(i)
            except Exception as exc:  # pickling or transport errors
                record(i, _failed(items[i], exc))
    except BaseException:
        _workers.terminate(pool)
        raise
    pool.shutdown(wait=True)
    return sorted(broken)


def _failed(task: QuartierTask, exc: BaseException) -> PageResult:
    return PageResult(
        task.page.code_qp,
        task.page.title,
        task.page.href,
        ok=False,
        seconds=0.0,
        error=f"{type(exc).__name__} : {exc}",
    )


def _write_static(root: Path) -> None:
    assets = root / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    for name in ("atlas.css", "atlas.js"):
        (assets / name).write_text(static_text(name), encoding="utf-8")
    for folder in ("quartiers", "cartes", "graphiques"):
        (root / folder).mkdir(exist_ok=True)


def build_atlas(
    source: Publication | Source,
    out_dir: str | Path,
    *,
    period: Any,
    publication: Profil | str | None = None,
    options: AtlasOptions | None = None,
    workers: int | None = None,
    progress: bool | ProgressCallback = True,
    build_date: Any = None,
    dashboard_config: DashboardConfig | None = None,
    **controls: Any,
) -> AtlasResult:
    """Write the quartier atlas: ``index.html`` and one page per quartier, offline.

    Parameters
    ----------
    source
        A :class:`~gupgeo.publication.Publication`; or an attributed territory, a
        :class:`~gupgeo.Territory` or a mapping layer name → frame, published here, at
        the door, for ``publication``.
    out_dir
        Folder of the atlas (created). It receives ``index.html``, ``quartiers/``,
        ``cartes/``, ``graphiques/`` and ``assets/`` (libraries and styles, written once
        and shared by every page), and the manifest ``.gupgeo-atlas.json`` listing them.
        The atlas is built in a hidden folder beside it and swapped in at the end: a
        rebuild replaces the previous atlas whole (its pages that the new build does not
        have are removed, whatever the profile or the quartiers), and an interrupted
        build leaves the previous atlas untouched. A folder that is not empty and has
        no manifest is refused (:class:`~gupgeo.errors.OutputExistsError`): gupgeo never
        deletes or replaces files it did not create.
    period
        ``"2024"``, ``"2024-T2"``, ``"2024-03"`` or a range ``"2024-01-15/2024-06-30"``.
    publication
        Profile of a ``source`` that is not yet a Publication: ``"partenaires"``
        (default: no personal data, no ESSP constats), ``"public"`` (aggregated, small
        counts secret) or ``"interne"``.
    options
        An :class:`AtlasOptions`; keyword ``controls`` (``quartiers=``, ``filter=``,
        ``order_by=``, ``page_name=``, ``file_name=``, ``extent=``, ``margin_pct=``,
        ``indicator=``, ``basemap=``, ``pdf=``…) override its fields.
    workers
        Processes building pages (default: the available cores; 1 builds in this
        process). They die with this process, and are terminated on Ctrl-C or
        ``SIGTERM`` (see :mod:`gupgeo.atlas._workers`).
    progress
        ``True``: progress on standard error; ``False``: silent; or a callable
        ``(done, total, page_result)``.
    build_date
        Date written on the pages (default today): the only varying bytes between two
        builds of the same inputs.
    dashboard_config
        Dashboard choices (dégradations, proximity sources, declared coverage).

    Returns
    -------
    AtlasResult
        Pages with their time and size, failures with their cause.

    Examples
    --------
    >>> import gupgeo, tempfile
    >>> t = gupgeo.load_territory("data/sample")
    >>> with tempfile.TemporaryDirectory() as out:  # doctest: +SKIP
    ...     result = build_atlas(t, out, period="2024", quartiers=["LOC-SANITAS"])
    ...     result.ok
    True
    """
    start = time.perf_counter()
    pub = as_publication(source, publication)
    opts = AtlasOptions.from_controls(options, controls)
    if opts.pdf:  # before any page is built: a missing WeasyPrint stops at once
        from gupgeo.atlas.pdf import _weasyprint

        _weasyprint()
    root = Path(out_dir)
    callback: ProgressCallback | None = (
        progress if callable(progress) else (TextProgress() if progress else None)
    )
    with _output.building(root), _workers.sigterm_as_exit():
        previous = _output.check_folder(root)
        staging = _output.staging_folder(root)
        try:
            data = prepare(
                pub,
                staging,
                period=period,
                options=opts,
                build_date=build_date,
                dashboard_config=dashboard_config,
            )
            prepared = time.perf_counter() - start
            results, n_workers = _write_pages(data, workers, callback)
            pdfs: list[Path] = []
            if opts.pdf:
                from gupgeo.atlas.pdf import write_pdfs

                pdfs = write_pdfs(staging, results)
            _output.install(staging, root, previous, _manifest_info(data, results))
        except BaseException:
            _atomic.remove_path(staging)
            raise
    result = AtlasResult(
        out_dir=root,
        index=root / "index.html",
        pages=tuple(results),
        seconds=time.perf_counter() - start,
        prepare_seconds=prepared,
        workers=n_workers,
        pdf=tuple(root / p.relative_to(staging) for p in pdfs),
    )
    for failure in result.failures:
        logger.error(
            "atlas : page %s non produite : %s\n%s", failure.title, failure.error, failure.details
        )
    logger.info(result.summary())
    return result


def _write_pages(
    data: AtlasData, workers: int | None, callback: ProgressCallback | None
) -> tuple[list[PageResult], int]:
    """Static files, every page, then the index, into ``data.settings.root``."""
    _write_static(data.settings.root)
    items = tasks(data)
    n_workers = min(workers or available_cores(), len(items))
    logger.info("atlas : %d page(s), %d processus", len(items), n_workers)
    results = run_pages(items, workers=n_workers, progress=callback)
    _write_index(data, results)
    return results, n_workers


def _manifest_info(data: AtlasData, results: Sequence[PageResult]) -> dict[str, Any]:
    s = data.settings
    return {
        "publication": s.publication,
        "periode": s.period.label,
        "date": s.build_date.date().isoformat(),
        "titre": s.options.title,
        "quartiers": [p.code_qp for p in data.pages],
        "echecs": [r.code_qp for r in results if not r.ok],
    }


def _write_index(data: AtlasData, results: Sequence[PageResult]) -> Path:
    from gupgeo.atlas._index import comparison_chart, write_index
    from gupgeo.atlas.options import INDICATORS
    from gupgeo.maps.caption import Caption
    from gupgeo.maps.pages import overview_map

    s = data.settings
    root = s.root
    table, column, label = INDICATORS[s.indicator]
    frame = data.db.tables.get(table)
    codes = [p.code_qp for p in data.pages]
    values = frame[column].reindex(codes) if frame is not None and column in frame.columns else None
    quartiers = data.selected[["code_qp", "nom_qp", "geometry"]].copy()
    quartiers["nom_qp"] = [p.title for p in data.pages]
    secret = None
    if s.publication.secret and frame is not None:
        from gupgeo.atlas._content import Secrecy

        secrecy = Secrecy(True, s.secret_threshold)
        secret = _series([secrecy.hides(data.db, table, column, c) for c in codes], codes)
    overview_map(
        quartiers,
        values if values is not None else _series([None] * len(codes), codes),
        root / "cartes" / f"{OVERVIEW_STEM}.html",
        root=root,
        name="Indicateur",
        value_label=label,
        extra=None,
        caption=Caption(
            s.options.title, f"Période {data.settings.period.label}", s.sources, s.build_date
        ),
        publication=s.publication,
        basemap=s.options.basemap,
        secret=secret,
    )
    chart = comparison_chart(data, root / "graphiques")
    html_text = write_index(data, results, comparison_chart=chart)
    index = root / "index.html"
    index.write_text(html_text, encoding="utf-8")
    return index


def _series(values: list[Any], index: list[str]) -> Any:
    import pandas as pd

    return pd.Series(values, index=index)
