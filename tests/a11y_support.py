"""axe-core's WCAG 2.1 A/AA rules run in a real Chromium, in a page and in every one of its frames.

axe-core is an npm devDependency of ``gupgeo/assets/package-lock.json``: ``make assets``
copies ``axe.min.js`` with its licence into ``build/assets/dist/axe/`` and lists its sha256
under the manifest's ``test_assets`` (never in a wheel). :func:`axe_source` reads it back
and checks the digest; when it is absent the tests skip, or fail under ``CI=true``.

:func:`audit` injects axe into the page's main frame and into every frame below it
(atlas pages and the review hold their maps in iframes, ``src`` or ``srcdoc``) and runs it
in each frame separately (``iframes: false``: every document is audited once, by the axe
injected into it), restricted to the tags in :data:`WCAG_TAGS` plus axe's ``best-practice``
rules (landmarks, one ``main``, one ``h1``, headings in order, skip link target…), kept
apart: the WCAG rules are the RGAA's reference, the best practices the structure the pages
promise too. Each frame's result says
whether the frame is a **map document** (a Leaflet map of gupgeo: ``.leaflet-container``),
so that a test can hold the map documents to account separately from the page around them.
:func:`describe` formats violations for an assertion message: rule, impact, what the rule
asks, the frame, and each element's CSS selector and first line of axe's explanation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gupgeo.maps._assets import FETCH_COMMAND, default_assets_dir
from gupgeo.maps._fetch import sha256_file
from tests.browser_support import ARTIFACTS, missing

WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
"""axe-core's tags for WCAG 2.0 and 2.1, levels A and AA (the RGAA's reference)."""
BEST_PRACTICE = "best-practice"
"""axe's structure rules outside WCAG (landmarks, headings, skip link), reported apart."""

MAP_DOCUMENT_JS = "() => !!document.querySelector('.leaflet-container')"
READY_JS = """() => document.readyState === 'complete'
    && (!window.gupgeo || window.gupgeo.ready === true)
    && (!window.gupgeoAtlas || window.gupgeoAtlas.ready === true)"""
RUN_JS = """async (tags) => {
    const result = await axe.run(document, {
        runOnly: {type: 'tag', values: tags}, iframes: false, resultTypes: ['violations'],
    });
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, tags: v.tags,
        nodes: v.nodes.map(n => ({
            target: n.target.map(t => Array.isArray(t) ? t.join(' >>> ') : t).join(' | '),
            html: n.html.slice(0, 160),
            summary: (n.failureSummary || '').split('\\n').slice(0, 2).join(' '),
        })),
    }));
}"""


@dataclass(frozen=True)
class Violation:
    """One axe rule broken in one frame, with every element that breaks it."""

    rule: str
    impact: str
    help: str
    frame: str
    nodes: tuple[dict[str, str], ...]
    tags: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.nodes)

    @property
    def wcag(self) -> bool:
        """A WCAG 2.0/2.1 A or AA rule (else an axe best practice)."""
        return bool(set(self.tags) & set(WCAG_TAGS))


@dataclass(frozen=True)
class FrameAudit:
    """axe's result in one frame: its URL, whether it is a map document, its violations."""

    url: str
    is_map: bool
    violations: tuple[Violation, ...]


@dataclass
class Audit:
    """axe's results in a page and every frame below it."""

    name: str
    frames: list[FrameAudit] = field(default_factory=list)

    def violations(self, *, maps: bool, best_practice: bool = False) -> list[Violation]:
        """WCAG violations (and best practices if asked) inside map documents
        (``maps=True``) or everywhere else."""
        return [
            v
            for f in self.frames
            if f.is_map is maps
            for v in f.violations
            if v.wcag or best_practice
        ]

    def counts(self, *, maps: bool, best_practice: bool = False) -> dict[str, int]:
        """Elements per rule, for the report."""
        out: dict[str, int] = {}
        for v in self.violations(maps=maps, best_practice=best_practice):
            out[v.rule] = out.get(v.rule, 0) + v.count
        return out


def axe_source() -> str:
    """``axe.min.js`` as fetched by ``make assets``, checked against the manifest."""
    dist = default_assets_dir() / "dist"
    manifest_path = dist / "manifest.json"
    entry = None
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entry = manifest.get("test_assets", {}).get("axe")
    if entry is None:
        missing(f"axe-core absent de {dist} : lancez `{FETCH_COMMAND}` (ou make assets)")
    for rel, digest in entry["files"].items():
        path = dist / "axe" / rel
        if not path.is_file() or sha256_file(path) != digest:
            missing(f"{path} absent ou modifié : relancez `{FETCH_COMMAND} --force`")
    return (dist / "axe" / entry["js"][0]).read_text(encoding="utf-8")


def _frame_name(frame: Any) -> str:
    url = str(frame.url)
    if url.startswith("file://"):
        return Path(url[len("file://") :]).name or url
    return url


def audit(page: Any, name: str, source: str | None = None) -> Audit:
    """Run axe in ``page``'s main frame and every frame below it (once each).

    The page must be loaded; each frame is waited for (``document.readyState``, and
    gupgeo's ``ready`` flags when the frame has them) before axe runs in it.
    """
    source = source if source is not None else axe_source()
    result = Audit(name)
    page.wait_for_load_state("load")
    for frame in page.frames:
        if frame.is_detached():
            continue
        frame.wait_for_function(READY_JS, timeout=20_000)
        frame.add_script_tag(content=source)
        raw = frame.evaluate(RUN_JS, [*WCAG_TAGS, BEST_PRACTICE])
        where = _frame_name(frame) if frame != page.main_frame else f"{name} (page)"
        violations = tuple(
            Violation(
                v["id"], v["impact"] or "", v["help"], where, tuple(v["nodes"]), tuple(v["tags"])
            )
            for v in raw
        )
        result.frames.append(FrameAudit(where, bool(frame.evaluate(MAP_DOCUMENT_JS)), violations))
    _save(result)
    return result


def _save(result: Audit) -> None:
    """Write the audit to ``artifacts/axe/<name>.json`` (git-ignored), for the record."""
    folder = ARTIFACTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    data = [
        {
            "frame": f.url,
            "map_document": f.is_map,
            "violations": [
                {
                    "rule": v.rule,
                    "wcag": v.wcag,
                    "impact": v.impact,
                    "help": v.help,
                    "nodes": list(v.nodes),
                }
                for v in f.violations
            ],
        }
        for f in result.frames
    ]
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in result.name)
    (folder / f"{safe}.json").write_text(
        json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8"
    )


def describe(violations: list[Violation], *, max_nodes: int = 6) -> str:
    """Violations as readable lines: rule, impact, help, frame, then each element."""
    lines = []
    for v in violations:
        lines.append(f"{v.rule} ({v.impact}) — {v.help} — {v.count} élément(s) dans {v.frame}")
        for node in v.nodes[:max_nodes]:
            lines.append(f"    {node['target']}  {node['html'][:100]}")
            if node["summary"]:
                lines.append(f"        {node['summary'][:200]}")
        if v.count > max_nodes:
            lines.append(f"    … et {v.count - max_nodes} autre(s)")
    return "\n".join(lines)
