"""The user's views on the tables a PostGIS save replaces: kept whole across the save.

A save drops gupgeo's tables and writes them again; a view a colleague built on them (a
QGIS layer, a view on that view, a materialized view) would be dropped with them.
:func:`dependent_views` reads every such view first, with everything that makes it the
user's: its definition, options (``security_barrier``, ``check_option``), owner, grants,
comments on the view and its columns, and, for a materialized view, its indexes and
whether it was populated. :meth:`View.recreate` puts all of that back, in the same
transaction, on the new tables. Every identifier goes through ``psycopg.sql``; what is
read back from the catalog (definition, index definitions) is PostgreSQL's own output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gupgeo.errors import OutputExistsError

PUBLIC = "PUBLIC"


@dataclass(frozen=True)
class Grant:
    """One privilege on a view: ``grantee`` is a role name or ``PUBLIC``."""

    grantee: str
    privilege: str
    grantable: bool


@dataclass(frozen=True)
class View:
    """A user's view (or materialized view) built on a table gupgeo replaces."""

    schema: str
    name: str
    materialized: bool
    definition: str
    owner: str = ""
    options: tuple[str, ...] = ()
    comment: str | None = None
    column_comments: tuple[tuple[str, str], ...] = ()
    grants: tuple[Grant, ...] = ()
    indexes: tuple[str, ...] = ()
    populated: bool = True

    @property
    def kind(self) -> str:
        return "MATERIALIZED VIEW" if self.materialized else "VIEW"

    def drop(self, conn: Any) -> None:
        from psycopg import sql

        conn.execute(
            sql.SQL(f"DROP {self.kind} {{}}").format(sql.Identifier(self.schema, self.name))
        )

    def recreate(self, conn: Any, where: str) -> None:
        """Create the view again, as it was, on the new tables (inside the transaction):
        definition, options, owner, grants, comments, indexes.

        Raises
        ------
        OutputExistsError
            When the view no longer fits the new tables (a column it reads is gone), or
            its owner or grants cannot be given back; the transaction is then rolled back
            and nothing is written.
        """
        import psycopg

        try:
            with conn.transaction():
                for statement in self.statements():
                    conn.execute(statement)
        except psycopg.Error as exc:
            reason = (exc.diag.message_primary or "").strip() or type(exc).__name__
            raise OutputExistsError(
                f"{where} : la vue {self.schema}.{self.name}, qui n'est pas à gupgeo, lit les "
                "tables que gupgeo remplace et ne peut pas être recréée sur les nouvelles "
                f"(PostgreSQL : {reason}) ; rien n'a été écrit. Adaptez ou supprimez cette "
                "vue, ou enregistrez le territoire dans un autre schéma (?schema=…)."
            ) from exc

    def statements(self) -> list[Any]:
        """The SQL statements that rebuild the view, in order."""
        from psycopg import sql

        name = sql.Identifier(self.schema, self.name)
        options: Any = sql.SQL("")
        if self.options:
            options = sql.SQL(" WITH ({})").format(
                sql.SQL(", ").join(_option(o) for o in self.options)
            )
        body = sql.SQL(self.definition.rstrip().rstrip(";"))
        data = sql.SQL(" WITH NO DATA" if self.materialized and not self.populated else "")
        out: list[Any] = [
            sql.SQL(f"CREATE {self.kind} {{}}{{}} AS {{}}{{}}").format(name, options, body, data)
        ]
        if self.owner:
            out.append(
                sql.SQL(f"ALTER {self.kind} {{}} OWNER TO {{}}").format(
                    name, sql.Identifier(self.owner)
                )
            )
        out += [_grant(name, g) for g in self.grants]
        if self.comment is not None:
            out.append(
                sql.SQL(f"COMMENT ON {self.kind} {{}} IS {{}}").format(
                    name, sql.Literal(self.comment)
                )
            )
        out += [
            sql.SQL("COMMENT ON COLUMN {} IS {}").format(
                sql.Identifier(self.schema, self.name, column), sql.Literal(text)
            )
            for column, text in self.column_comments
        ]
        out += [sql.SQL(index) for index in self.indexes]
        return out


def _option(option: str) -> Any:
    from psycopg import sql

    key, _, value = option.partition("=")
    return sql.SQL("{} = {}").format(sql.Identifier(key), sql.Literal(value))


def _grant(name: Any, grant: Grant) -> Any:
    from psycopg import sql

    grantee = sql.SQL(PUBLIC) if grant.grantee == PUBLIC else sql.Identifier(grant.grantee)
    option = sql.SQL(" WITH GRANT OPTION" if grant.grantable else "")
    privilege = sql.SQL(" ".join(w for w in grant.privilege.split() if w.isalpha()))
    return sql.SQL("GRANT {} ON {} TO {}{}").format(privilege, name, grantee, option)


_DEPENDENT_VIEWS = """
WITH RECURSIVE deps(oid, depth) AS (
    SELECT DISTINCT r.ev_class, 1
    FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
      AND d.refobjid = ANY(%s::regclass[]) AND r.ev_class <> d.refobjid
    UNION
    SELECT r.ev_class, deps.depth + 1
    FROM deps JOIN pg_depend d ON d.refobjid = deps.oid
    JOIN pg_rewrite r ON r.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
      AND r.ev_class <> deps.oid AND deps.depth < 50
)
SELECT n.nspname, c.relname, c.relkind = 'm', pg_get_viewdef(c.oid), max(deps.depth) AS depth,
       pg_get_userbyid(c.relowner), coalesce(c.reloptions, '{}'::text[]),
       obj_description(c.oid, 'pg_class'), c.relispopulated, c.oid
FROM deps JOIN pg_class c ON c.oid = deps.oid JOIN pg_namespace n ON n.oid = c.relnamespace
GROUP BY n.nspname, c.relname, c.relkind, c.oid
ORDER BY depth, n.nspname, c.relname
"""

_COLUMN_COMMENTS = """
SELECT a.attname, d.description
FROM pg_attribute a JOIN pg_description d
  ON d.objoid = a.attrelid AND d.objsubid = a.attnum AND d.classoid = 'pg_class'::regclass
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

_GRANTS = """
SELECT CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END,
       g.privilege_type, g.is_grantable
FROM pg_class c, aclexplode(c.relacl) g
WHERE c.oid = %s AND g.grantee <> c.relowner
ORDER BY 1, 2
"""

_INDEXES = "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s ORDER BY 1"


def dependent_views(conn: Any, schema: str, tables: list[str]) -> list[View]:
    """The views of any schema built on ``tables`` (directly or through another view),
    in creation order: a view comes after every view it reads."""
    if not tables:
        return []
    from psycopg import sql

    names = [sql.Identifier(schema, t).as_string(conn) for t in tables]
    rows = conn.execute(_DEPENDENT_VIEWS, [names]).fetchall()
    return [_view(conn, row) for row in rows]


def _view(conn: Any, row: Any) -> View:
    oid = row[9]
    columns = conn.execute(_COLUMN_COMMENTS, [oid]).fetchall()
    grants = conn.execute(_GRANTS, [oid]).fetchall()
    indexes = conn.execute(_INDEXES, [oid]).fetchall() if row[2] else []
    return View(
        schema=str(row[0]),
        name=str(row[1]),
        materialized=bool(row[2]),
        definition=str(row[3]),
        owner=str(row[5]),
        options=tuple(str(o) for o in row[6]),
        comment=None if row[7] is None else str(row[7]),
        column_comments=tuple((str(c), str(t)) for c, t in columns),
        grants=tuple(Grant(str(g), str(p), bool(o)) for g, p, o in grants),
        indexes=tuple(str(i) for (i,) in indexes),
        populated=bool(row[8]),
    )
