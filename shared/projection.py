"""The projection engine: read models that follow events, applied a batch at a time.

A :class:`Projection` says how events change its tables. The engine
(:func:`apply_batch`) hands it a whole consumer batch, an append's events or a replay
chunk at once, inside the caller's transaction. A set-based projection
(``apply_batch=``) folds the batch in memory through a :class:`Batch` — rows read
once per table, changed in memory, written back with one statement per table — so a
batch of a thousand events costs a handful of round trips instead of thousands. A
projection written per event (``apply=``) still works: the engine runs it event by
event in the same transaction.

Both forms must leave the same rows whether the events arrive one at a time, in
consumer batches or in replay chunks; :func:`shared.replay.rebuild` uses this engine
too, and the per-service replay tests compare the results.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import driver_connection
from shared.events import Envelope, Event, EventRegistry
from shared.eventstore import Rider

Apply = Callable[[AsyncConnection, Envelope], Awaitable[None]]
"""Apply one event (the per-event form)."""

ApplyBatch = Callable[["Batch", Sequence[Envelope]], Awaitable[None]]
"""Apply events in order through a :class:`Batch` (the set-based form)."""

OWN_EVENTS = "own"
"""Source of a projection fed inline from the service's own event store."""

Key = tuple[Any, ...]
Row = dict[str, Any]

Keys = Callable[[Sequence[Envelope]], Mapping[sa.Table, Iterable[Key]]]
"""The rows a set-based projection will :meth:`Batch.load` for a batch, by table, as
far as the events alone tell."""


@dataclass(frozen=True)
class Projection:
    """A read model: its tables, the events it reads and how it applies them.

    ``source`` is :data:`OWN_EVENTS` for inline projections (updated in the append
    transaction) or the name of a consumer whose ``received_events`` feed it. Give
    exactly one of ``apply`` (per event) or ``apply_batch`` (set-based).

    ``keys`` (set-based only): the rows ``apply_batch`` will load, known from the events
    before it runs. The engine then reads those of every projection of the batch in one
    round trip (:meth:`Batch.prefetch`) instead of one per table. It only saves time: a
    row it names and nobody uses costs a little, one it misses is loaded as before.
    """

    name: str
    source: str
    tables: tuple[sa.Table, ...]
    apply: Apply | None = None
    apply_batch: ApplyBatch | None = field(default=None, kw_only=True)
    keys: Keys | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if (self.apply is None) == (self.apply_batch is None):
            raise ValueError(f"projection {self.name}: give exactly one of apply, apply_batch")

    async def reset(self, conn: AsyncConnection) -> None:
        names = ", ".join(table.name for table in self.tables)
        await conn.execute(sa.text(f"TRUNCATE {names}"))


ApplyInBatch = Callable[["Batch", Envelope], Awaitable[None]]
"""Apply one event by collecting its writes in a :class:`Batch`."""


def each(handler: ApplyInBatch) -> ApplyBatch:
    """A set-based ``apply_batch`` from a handler written for one event at a time.

    The handler sees one event but writes through the batch (``batch.insert``,
    ``batch.add``, ``batch.put``…), so the writes of the whole batch still go out as
    one statement per table.
    """

    async def apply_each(batch: Batch, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            await handler(batch, envelope)

    return apply_each


def decoder(registry: EventRegistry) -> Callable[[Envelope], Event]:
    """``registry.decode`` of an envelope, with each type's model looked up once.

    A projection that decodes every event it folds spends a measurable share of a
    rebuild finding the model and following (absent) upcasters; the answer is the
    same, upcast types still go through :meth:`EventRegistry.decode`.
    """
    validators: dict[str, Callable[[Any], Any] | None] = {}

    def decode(envelope: Envelope) -> Event:
        type_name = envelope.type_name
        try:
            validate = validators[type_name]
        except KeyError:
            try:
                validate = registry.model(type_name).__pydantic_validator__.validate_python
            except KeyError:
                validate = None
            validators[type_name] = validate
        if validate is None:
            return registry.decode(type_name, envelope.data)
        event: Event = validate(envelope.data)
        return event

    return decode


class EventFailed(Exception):
    """A per-event projection failed on ``envelopes[index]`` of the batch."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(f"projection failed on event {index} of the batch: {error!r}")
        self.index = index
        self.error = error


async def apply_batch(
    batch: Batch, projections: Sequence[Projection], envelopes: Sequence[Envelope]
) -> None:
    """Apply ``envelopes`` to every projection, in order, and write what they changed.

    Projections run one after another over the whole batch, so a projection must not
    read another projection's tables for the state *at* an event; one that needs to
    keeps both tables (see the participants summary and households).

    A per-event projection that fails raises :class:`EventFailed` naming the event,
    so a consumer can apply the events before it, retry only that one and go on; a
    set-based projection's error propagates as it is (the batch is then retried
    event by event).
    """
    if not envelopes:
        return
    # Rows read ahead must not be changed by what runs before their projection: a
    # per-event projection writes straight to the tables.
    if all(projection.apply_batch is not None for projection in projections):
        wanted: dict[sa.Table, set[Key]] = defaultdict(set)
        for projection in projections:
            if projection.keys is not None:
                for table, keys in projection.keys(envelopes).items():
                    wanted[table].update(keys)
        await batch.prefetch(wanted)
    for projection in projections:
        if projection.apply_batch is not None:
            await projection.apply_batch(batch, envelopes)
        else:
            assert projection.apply is not None
            await batch.flush()
            for index, envelope in enumerate(envelopes):
                try:
                    await projection.apply(batch.conn, envelope)
                except Exception as exc:
                    raise EventFailed(index, exc) from exc
    if not batch.deferred:
        await batch.flush()


class Batch:
    """Rows of a batch held in memory and written back set-based.

    - :meth:`insert` collects insert-if-absent rows (one ``INSERT … ON CONFLICT DO
      NOTHING`` per table at :meth:`flush`: the first row for a key wins, as if they
      had been inserted one by one);
    - :meth:`add` collects counter increments (summed per key, one upsert per table);
    - :meth:`load` / :meth:`row` / :meth:`put` / :meth:`remove` read rows once, change
      them in memory and write every changed row back with one upsert and one delete
      per table;
    - :meth:`execute` runs any other statement in order, after what was collected.

    ``fresh`` names tables a rebuild has just truncated: a row of theirs not in memory
    does not exist, so :meth:`load` reads nothing for them, and their rows stay in
    memory between flushes (the rebuild keeps one batch for all its chunks).
    ``deferred`` leaves the writing to whoever calls :meth:`flush` (a rebuild, at its
    end: each row is then written once, new rows of fresh tables with COPY), except
    where order needs it (before :meth:`execute` and per-event projections).
    """

    def __init__(
        self, conn: AsyncConnection, *, fresh: Iterable[sa.Table] = (), deferred: bool = False
    ) -> None:
        self.conn = conn
        self.fresh = frozenset(fresh)
        self.deferred = deferred
        self._inserts: dict[sa.Table, list[Row]] = defaultdict(list)
        self._counters: dict[sa.Table, dict[Key, dict[str, Any]]] = defaultdict(dict)
        self._counter_keys: dict[sa.Table, tuple[str, ...]] = {}
        self._rows: dict[sa.Table, dict[Key, Row | None]] = defaultdict(dict)
        self._dirty: dict[sa.Table, set[Key]] = defaultdict(set)
        self._stored: dict[sa.Table, set[Key]] = defaultdict(set)
        self._read_back: set[sa.Table] = set()
        self._written: set[sa.Table] = set()

    # -- collected writes ---------------------------------------------------------------

    def insert(self, table: sa.Table, **values: Any) -> None:
        """Insert a row unless one with its key exists (ON CONFLICT DO NOTHING)."""
        self._inserts[table].append(values)

    def add(self, table: sa.Table, key: Mapping[str, Any], **amounts: int) -> None:
        """Add ``amounts`` to the row at ``key`` (created with them when missing)."""
        columns = tuple(key)
        known = self._counter_keys.setdefault(table, columns)
        if known != columns:
            raise ValueError(f"{table.name}: counters keyed by {known}, not {columns}")
        ident = tuple(key.values())
        entry = self._counters[table].setdefault(ident, {})
        for name, amount in amounts.items():
            entry[name] = entry.get(name, 0) + amount

    # -- rows changed in memory ---------------------------------------------------------

    async def load(self, table: sa.Table, keys: Iterable[Key]) -> None:
        """Read the rows at ``keys`` (primary-key tuples) that are not in memory yet."""
        wanted = {key for key in keys if key not in self._rows[table]}
        if not wanted:
            return
        cached = self._rows[table]
        if self._must_read(table):
            pk = list(table.primary_key.columns)
            clause = (
                pk[0].in_([key[0] for key in wanted])
                if len(pk) == 1
                else sa.tuple_(*pk).in_(list(wanted))
            )
            for found in await self.conn.execute(sa.select(table).where(clause)):
                row = dict(found._mapping)
                key = tuple(row[c.name] for c in pk)
                cached[key] = row
                self._stored[table].add(key)
        for key in wanted:
            cached.setdefault(key, None)

    async def prefetch(self, wanted: Mapping[sa.Table, Iterable[Key]]) -> None:
        """:meth:`load` of several tables at once: one statement for all of them.

        The rows arrive as each table's composite type through asyncpg and pass each
        column's SQLAlchemy result processing, so they are what :meth:`load` reads.
        """
        missing: dict[sa.Table, list[Key]] = {}
        for table, keys in wanted.items():
            cached = self._rows[table]
            todo = {key for key in keys if key not in cached}
            if not todo:
                continue
            if self._must_read(table):
                missing[table] = list(todo)
            else:
                for key in todo:
                    cached.setdefault(key, None)
        if len(missing) < 2:
            for table, keys in missing.items():
                await self.load(table, keys)
            return
        tables = tuple(missing)
        sql = _PREFETCH_SQL.get(tables)
        if sql is None:
            sql = _PREFETCH_SQL[tables] = _prefetch_sql(
                [(table, await self._stored_columns(table)) for table in tables]
            )
        args = [
            [key[position] for key in missing[table]]
            for table in tables
            for position in range(len(_names(table)[1]))
        ]
        driver = await driver_connection(self.conn)
        found = await driver.fetchrow(sql, *args)
        assert found is not None
        for index, table in enumerate(tables):
            cached = self._rows[table]
            key_of = _shape(table)[1]
            oids = (await self._stored_columns(table)).oids
            read = _reader(table, self.conn.dialect, tuple(oids[c.name] for c in table.columns))
            for record in found[index] or ():
                row = read(record)
                key = key_of(row)
                cached[key] = row
                self._stored[table].add(key)
            for key in missing[table]:
                cached.setdefault(key, None)

    def _must_read(self, table: sa.Table) -> bool:
        """Whether a row of ``table`` not in memory may exist in the database."""
        return table not in self.fresh or table in self._read_back

    def row(self, table: sa.Table, key: Key) -> Row | None:
        """The row at ``key`` as this batch sees it (``None``: there is none).

        The key must have been :meth:`load`-ed (or put) in this batch: a read of a row
        nobody loaded is a bug in the projection, not a missing row.
        """
        try:
            return self._rows[table][key]
        except KeyError:
            raise KeyError(f"{table.name} row {key} was not loaded in this batch") from None

    def put(self, table: sa.Table, row: Row) -> Row:
        """Store ``row``: the changed columns of a row there is, every column of a new one.

        A new row names every column, those with server defaults too: the batch holds
        it in memory as it will be stored, so later events see what a read would.
        """
        columns, key_of = _shape(table)
        key = key_of(row)
        cached = self._rows[table]
        current = cached.get(key)
        if current is None:
            if not columns <= row.keys():
                missing = [c.name for c in table.columns if c.name not in row]
                raise ValueError(f"new {table.name} row without {', '.join(missing)}")
            merged = dict(row)
        else:
            merged = current | row
        cached[key] = merged
        self._dirty[table].add(key)
        return merged

    def remove(self, table: sa.Table, key: Key) -> None:
        """Delete the row at ``key`` (if it exists)."""
        self._rows[table][key] = None
        self._dirty[table].add(key)

    # -- writing ------------------------------------------------------------------------

    async def execute(
        self, statement: Any, parameters: Any = None, *, changes: Iterable[sa.Table] = ()
    ) -> Any:
        """Run ``statement`` after everything collected so far.

        For changes that cannot be folded (an UPDATE over rows nobody loaded). Name in
        ``changes`` the tables whose rows this batch holds in memory and the statement
        may change: those are dropped, and must be :meth:`load`-ed again before use.
        """
        await self.flush()
        for table in changes:
            self._rows.pop(table, None)
            self._stored.pop(table, None)
            self._read_back.add(table)
        return await self.conn.execute(statement, parameters)

    async def flush(self) -> None:
        """Write everything collected, one statement per table and kind."""
        for table, rows in self._inserts.items():
            unique = _unique_keys(table)
            copy = table in self.fresh and table not in self._read_back | self._written
            if copy and unique is not None:
                # Into a table the rebuild truncated, with every unique key known: the
                # first row of each key is what ON CONFLICT DO NOTHING would keep.
                for shape, group in _by_shape(_first_per_key(rows, unique)).items():
                    await self._copy(table, shape, group)
            else:
                for shape, group in _by_shape(rows).items():
                    await self._write(_insert_sql(table, shape, "nothing"), table, shape, group)
            self._written.add(table)
        self._inserts.clear()
        for table, counters in self._counters.items():
            await self._flush_counters(table, counters)
        self._counters.clear()
        for table, keys in self._dirty.items():
            await self._flush_rows(table, keys)
        self._dirty.clear()

    async def riders(self) -> list[Rider] | None:
        """Hand what was collected over as :class:`~shared.eventstore.Rider` writes.

        A command's inline read models then cost no round trip of their own: their
        upserts are common table expressions of the append statement, done only if
        its stream claim takes. ``None`` (nothing handed over; :meth:`flush` as usual)
        when that would not be the same as flushing: a table written two ways or in
        two shapes (CTEs of one statement do not see each other's rows), a row to
        delete, more than :data:`RIDER_ROWS` rows for a table, or a rebuild's batch.
        """
        if self.fresh:
            return None
        planned: list[tuple[sa.Table, str, tuple[str, ...], list[tuple[Any, ...]]]] = []
        for table, rows in self._inserts.items():
            groups = _by_shape(rows)
            if len(groups) != 1:
                return None
            [(shape, group)] = groups.items()
            planned.append((table, _insert_sql(table, shape, "nothing"), shape, group))
        for table, counters in self._counters.items():
            key_columns = self._counter_keys[table]
            by_columns = _counter_rows(counters)
            if len(by_columns) != 1:
                return None
            [(names, group)] = by_columns.items()
            shape = (*key_columns, *names)
            planned.append((table, _insert_sql(table, shape, "add", key_columns), shape, group))
        for table, keys in self._dirty.items():
            cached = self._rows[table]
            if any(cached[key] is None and key in self._stored[table] for key in keys):
                return None
            groups = _by_shape([row for key in keys if (row := cached[key]) is not None])
            if len(groups) > 1:
                return None
            for shape, group in groups.items():
                pk = _names(table)[1]
                planned.append((table, _insert_sql(table, shape, "replace", pk), shape, group))
        tables = [table for table, *_ in planned]
        if len(set(tables)) != len(tables) or any(len(group) > RIDER_ROWS for *_, group in planned):
            return None
        riders = [
            _rider(table, sql, shape, group, await self._column_types(table))
            for table, sql, shape, group in planned
        ]
        self._written.update(self._inserts)
        self._inserts.clear()
        self._counters.clear()
        for table, keys in self._dirty.items():
            cached = self._rows[table]
            self._stored[table].update(key for key in keys if cached[key] is not None)
        self._dirty.clear()
        return riders

    async def _column_types(self, table: sa.Table) -> Mapping[str, str]:
        """The table's column types as the database has them (see :class:`_Stored`)."""
        return (await self._stored_columns(table)).types

    async def _stored_columns(self, table: sa.Table) -> _Stored:
        """The table's columns as the database stores them, read once per process."""
        stored = _COLUMNS.get(table)
        if stored is None:
            driver = await driver_connection(self.conn)
            found = await driver.fetch(_COLUMNS_SQL, _quote(table.name))
            stored = _COLUMNS[table] = _Stored(
                {row[0]: row[1] for row in found}, {row[0]: row[2] for row in found}
            )
        return stored

    async def _write(
        self, sql: str, table: sa.Table, shape: tuple[str, ...], group: list[tuple[Any, ...]]
    ) -> None:
        """One prepared statement for the group's rows, sent to asyncpg in one go.

        Why asyncpg directly: SQLAlchemy's per-row parameter processing costs more than
        the statement itself here. JSON values are encoded as SQLAlchemy would (the
        connection's jsonb codec takes text; ``None`` is JSON ``null`` unless the type
        says ``none_as_null``).
        """
        group = _encoded(table, shape, group)
        driver = await driver_connection(self.conn)
        await driver.executemany(sql, group)

    async def _copy(
        self, table: sa.Table, shape: tuple[str, ...], group: list[tuple[Any, ...]]
    ) -> None:
        """New rows of a table a rebuild truncated: COPY, the fastest way in."""
        group = _encoded(table, shape, group)
        driver = await driver_connection(self.conn)
        await driver.copy_records_to_table(table.name, records=group, columns=list(shape))

    async def _flush_counters(self, table: sa.Table, counters: dict[Key, dict[str, Any]]) -> None:
        key_columns = self._counter_keys[table]
        for names, rows in _counter_rows(counters).items():
            shape = (*key_columns, *names)
            sql = _insert_sql(table, shape, "add", key_columns)
            await self._write(sql, table, shape, rows)

    async def _flush_rows(self, table: sa.Table, keys: set[Key]) -> None:
        cached = self._rows[table]
        _, pk = _names(table)
        gone = [key for key in keys if cached[key] is None and (key in self._stored[table])]
        kept = [row for key in keys if (row := cached[key]) is not None]
        if gone:
            columns = [table.c[name] for name in pk]
            clause = (
                columns[0].in_([key[0] for key in gone])
                if len(columns) == 1
                else sa.tuple_(*columns).in_(gone)
            )
            await self.conn.execute(sa.delete(table).where(clause))
            self._stored[table].difference_update(gone)
        if table in self.fresh and table not in self._read_back:
            stored = self._stored[table]
            key_of = _shape(table)[1]
            new = [row for row in kept if key_of(row) not in stored]
            for shape, group in _by_shape(new).items():
                await self._copy(table, shape, group)
            if new:
                kept = [row for row in kept if key_of(row) in stored]
        for shape, group in _by_shape(kept).items():
            await self._write(_insert_sql(table, shape, "replace", pk), table, shape, group)
        for key in keys:
            if cached[key] is not None:
                self._stored[table].add(key)


RIDER_ROWS = 32
"""At most this many rows of one table ride on an append (:meth:`Batch.riders`)."""


def _counter_rows(
    counters: dict[Key, dict[str, Any]],
) -> dict[tuple[str, ...], list[tuple[Any, ...]]]:
    """Counter rows (key values, then amounts) grouped by the amounts' column names."""
    by_columns: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for ident, amounts in counters.items():
        names = tuple(sorted(amounts))
        by_columns[names].append((*ident, *(amounts[name] for name in names)))
    return by_columns


def _rider(
    table: sa.Table,
    sql: str,
    shape: tuple[str, ...],
    group: list[tuple[Any, ...]],
    types: Mapping[str, str],
) -> Rider:
    """``sql`` (one row's INSERT of :func:`_insert_sql`) for every row of ``group``, as a
    rider: a VALUES list with each parameter cast to its column's type, inserted only
    if the append's stream claim took."""
    casts = [types[name] for name in shape]
    width = len(shape)
    values = ", ".join(
        "(" + ", ".join(f"${row * width + i + 1}::{casts[i]}" for i in range(width)) + ")"
        for row in range(len(group))
    )
    head, conflict = sql.split(" VALUES ", 1)
    tail = conflict.split(") ON CONFLICT", 1)[1]
    args = tuple(value for row in _encoded(table, shape, group) for value in row)
    return Rider(
        f"{head} SELECT * FROM (VALUES {values}) AS r "
        f"WHERE EXISTS (SELECT FROM claimed) ON CONFLICT{tail}",
        args,
    )


@dataclass(frozen=True)
class _Stored:
    """A table's columns as the database has them, not as declared: a migration may
    store a column as another type than its declaration says (matching's ``changed_tx``
    is ``xid8``, declared text), and a rider's parameters must be cast to what the
    column really is; ``oids`` pick each column's SQLAlchemy result processor."""

    types: dict[str, str]
    oids: dict[str, int]


_COLUMNS: dict[sa.Table, _Stored] = {}
_PREFETCH_SQL: dict[tuple[sa.Table, ...], str] = {}
"""The read-ahead statement per set of tables (the keys are its parameters)."""


def _prefetch_sql(tables: Sequence[tuple[sa.Table, _Stored]]) -> str:
    """One statement reading each table's rows at the keys given as parameters, one
    array per primary-key column, in the order of ``tables``: an array of rows each."""
    selects: list[str] = []
    position = 0
    for table, stored in tables:
        pk = _names(table)[1]
        placeholders = []
        for name in pk:
            position += 1
            placeholders.append(f"${position}::{stored.types[name]}[]")
        columns = ", ".join(f"t.{_quote(name)}" for name in pk)
        selects.append(
            f"ARRAY(SELECT t FROM {_quote(table.name)} t WHERE ({columns}) IN "
            f"(SELECT * FROM unnest({', '.join(placeholders)})))"
        )
    return f"SELECT {', '.join(selects)}"


_COLUMNS_SQL = """
    SELECT attname, format_type(atttypid, atttypmod), atttypid::int FROM pg_attribute
    WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped
"""


@functools.cache
def _insert_sql(
    table: sa.Table, shape: tuple[str, ...], conflict: str, keys: tuple[str, ...] = ()
) -> str:
    """INSERT of ``shape``'s columns that on a conflict over ``keys`` does nothing
    (``nothing``), adds the other columns to the stored ones (``add``) or replaces
    them (``replace``)."""
    quote = _quote
    name = quote(table.name)
    columns = ", ".join(quote(c) for c in shape)
    values = ", ".join(f"${i}" for i in range(1, len(shape) + 1))
    sql = f"INSERT INTO {name} ({columns}) VALUES ({values}) ON CONFLICT"
    others = [c for c in shape if c not in keys]
    if conflict == "nothing" or not others:
        return f"{sql} DO NOTHING"
    target = ", ".join(quote(c) for c in keys)
    if conflict == "add":
        sets = ", ".join(f"{quote(c)} = {name}.{quote(c)} + EXCLUDED.{quote(c)}" for c in others)
    else:
        sets = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in others)
    return f"{sql} ({target}) DO UPDATE SET {sets}"


@functools.cache
def _unique_keys(table: sa.Table) -> tuple[tuple[str, ...], ...] | None:
    """Every set of columns the table keeps unique, or ``None`` when one cannot be
    checked in memory (a partial or expression index)."""
    keys = [tuple(c.name for c in table.primary_key.columns)]
    keys += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, sa.UniqueConstraint)
    ]
    keys += [(column.name,) for column in table.columns if column.unique]
    for index in table.indexes:
        if not index.unique:
            continue
        if index.dialect_options["postgresql"].get("where") is not None or any(
            not isinstance(expression, sa.Column) for expression in index.expressions
        ):
            return None
        keys.append(tuple(c.name for c in index.columns))
    return tuple(key for key in keys if key)


def _first_per_key(rows: Sequence[Row], keys: tuple[tuple[str, ...], ...]) -> list[Row]:
    """The rows an insert-if-absent of them one by one would keep (NULLs never clash)."""
    if len(keys) == 1 and len(keys[0]) == 1:
        # The usual case (a fact table keyed by its event id), without the general
        # loop's tuples: a rebuild passes every row of the table through here.
        [[name]] = keys
        seen_one: set[Any] = set()
        kept_one = []
        for row in rows:
            value = row.get(name)
            if value is not None:
                if value in seen_one:
                    continue
                seen_one.add(value)
            kept_one.append(row)
        return kept_one
    seen: list[set[tuple[Any, ...]]] = [set() for _ in keys]
    kept = []
    for row in rows:
        get = row.get
        values = [tuple(map(get, key)) for key in keys]
        if any(
            None not in value and value in known for value, known in zip(values, seen, strict=True)
        ):
            continue
        for value, known in zip(values, seen, strict=True):
            if None not in value:
                known.add(value)
        kept.append(row)
    return kept


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


Encoder = Callable[[Any], Any] | None


def _encoded(
    table: sa.Table, shape: tuple[str, ...], group: list[tuple[Any, ...]]
) -> list[tuple[Any, ...]]:
    """``group``'s rows with their JSON values encoded as the connection takes them."""
    encoders = _encoders(table, shape)
    if not any(encoders):
        return group
    return [
        tuple(
            encode(value) if encode is not None else value
            for encode, value in zip(encoders, row, strict=True)
        )
        for row in group
    ]


@functools.cache
def _encoders(table: sa.Table, shape: tuple[str, ...]) -> tuple[Encoder, ...]:
    return tuple(_encoder(table.c[name].type) for name in shape)


def _encoder(column_type: Any) -> Encoder:
    if not isinstance(column_type, sa.JSON):
        return None
    keep_null = not column_type.none_as_null

    def encode(value: Any) -> Any:
        if value is None and not keep_null:
            return None
        return orjson.dumps(value).decode()

    return encode


@functools.lru_cache(maxsize=512)
def _reader(
    table: sa.Table, dialect: Any, oids: tuple[int, ...]
) -> Callable[[Mapping[str, Any]], Row]:
    """A row of ``table`` from its composite value as asyncpg decodes it, each column
    (its type's oid in ``oids``) through its type's result processor, as SQLAlchemy's
    own read of the row does."""
    columns = [
        (c.name, c.type._cached_result_processor(dialect, oid))
        for c, oid in zip(table.columns, oids, strict=True)
    ]

    def read(record: Mapping[str, Any]) -> Row:
        return {
            name: process(record[name]) if process is not None else record[name]
            for name, process in columns
        }

    return read


@functools.cache
def _names(table: sa.Table) -> tuple[frozenset[str], tuple[str, ...]]:
    """The table's column names and its primary key's, looked up once."""
    return frozenset(table.columns.keys()), tuple(c.name for c in table.primary_key.columns)


@functools.cache
def _shape(table: sa.Table) -> tuple[frozenset[str], Callable[[Row], Key]]:
    """The table's column names and a function giving a row's primary-key tuple."""
    columns, pk = _names(table)
    if len(pk) == 1:
        [name] = pk

        def key_of(row: Row) -> Key:
            return (row[name],)

        return columns, key_of
    getter = operator.itemgetter(*pk)
    return columns, lambda row: getter(row)


def _by_shape(rows: Sequence[Row]) -> dict[tuple[str, ...], list[tuple[Any, ...]]]:
    """Rows grouped by their column names, so each group is one executemany."""
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        shape = tuple(row)
        groups[shape].append(tuple(row.values()))
    return groups
