"""Sector hierarchies: a tree of nodes read from a mapping table, and sums over it.

A [`Hierarchy`][trendcast.Hierarchy] is read from a mapping table with one
column per level, top to bottom (``sector, category``, or ``total, sector,
category``...); the bottom level holds the ``unique_id`` of the sales.
Forecasts are made coherent over it in ``trendcast.reconciliation``.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from trendcast._frames import accepts_frames
from trendcast._validation import count, fail, format_items, format_rows, verb

__all__ = ["Hierarchy"]

logger = logging.getLogger(__name__)

Method = Literal["bottom_up", "ols", "wls_struct", "mint_shrink"]
_METHODS = ("bottom_up", "ols", "wls_struct", "mint_shrink")


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _checked_mapping(
    mapping: pd.DataFrame, levels: Sequence[str] | None
) -> tuple[list[str], pd.DataFrame, np.ndarray]:
    """The level names, the level columns of ``mapping`` and their cells, checked.

    A mapping that is not a table, lacks a level, lists one twice, has no row
    or an empty cell fails.
    """
    if not isinstance(mapping, pd.DataFrame):
        raise fail(
            "the hierarchy mapping is not a DataFrame",
            expected="a table with one column per level, top to bottom",
            found=type(mapping).__name__,
            fix="pass e.g. pandas.DataFrame({'sector': [...], 'category': [...]})",
        )
    names = list(mapping.columns) if levels is None else list(levels)
    if not names:
        raise fail(
            "the hierarchy mapping has no level column",
            expected="at least one column",
            found="none",
            fix="pass a table with one column per level, top to bottom",
        )
    missing = [c for c in names if c not in mapping.columns]
    if missing:
        raise fail(
            f"the hierarchy mapping lacks level column(s) {format_items(missing)}",
            expected=f"columns {format_items(names)}",
            found=f"columns {format_items(mapping.columns)}",
            fix="rename the columns or pass levels= with the column names, top to bottom",
        )
    if len(set(names)) != len(names):
        raise fail(
            "a level is listed twice",
            expected="distinct level columns",
            found=format_items(names),
            fix="list each level column once, top to bottom",
        )
    table = mapping[names].reset_index(drop=True)
    if table.empty:
        raise fail(
            "the hierarchy mapping has no rows",
            expected="one row per category",
            found="0 rows",
            fix="pass the sector and category of every category",
        )
    cells = table.astype(object).to_numpy()
    empty = np.array([[_is_missing(v) for v in row] for row in cells], dtype=bool)
    if empty.any():
        rows = np.flatnonzero(empty.any(axis=1))
        cols = [names[j] for j in np.flatnonzero(empty.any(axis=0))]
        raise fail(
            f"{count(len(rows), 'row')} of the hierarchy mapping "
            f"{verb(len(rows), 'has', 'have')} an empty cell (a missing parent or category)",
            column=cols[0] if len(cols) == 1 else None,
            expected="a node name on every level",
            found=format_rows(table, rows, names),
            fix="fill in the sector (parent) of each category, or drop those rows",
        )
    return names, table, cells


def _tree(
    names: list[str], table: pd.DataFrame, cells: np.ndarray
) -> tuple[dict[str, list[Hashable]], dict[Hashable, Any]]:
    """The nodes of each level in order of appearance, and the parent of each node.

    A node on two levels, or with two parents, fails.
    """
    level_of: dict[Hashable, str] = {}
    parent_of: dict[Hashable, Any] = {}
    order: dict[str, list[Hashable]] = {lv: [] for lv in names}
    for k, lv in enumerate(names):
        col = cells[:, k]
        for node in col:
            seen = level_of.get(node)
            if seen is not None and seen != lv:
                rows = np.flatnonzero(
                    (cells[:, names.index(seen)] == node) | (cells[:, k] == node)
                )
                raise fail(
                    f"node {node!r} appears on two levels, {seen!r} and {lv!r}",
                    expected="node names unique across levels",
                    found=format_rows(table, rows, names),
                    fix="rename one of them (e.g. prefix sector names)",
                )
            if seen is None:
                level_of[node] = lv
                order[lv].append(node)
        if k == 0:
            continue
        pairs = pd.DataFrame({"node": col, "parent": cells[:, k - 1]})
        n_parents = pairs.drop_duplicates().groupby("node", sort=False)["parent"].size()
        twice = list(n_parents[n_parents > 1].index)
        if twice:
            rows = np.flatnonzero(pd.Series(col).isin(twice).to_numpy())
            raise fail(
                f"{count(len(twice), 'node')} {format_items(twice)} "
                f"{verb(len(twice), 'has', 'have')} two or more parents on level "
                f"{names[k - 1]!r}",
                column=lv,
                expected="one parent per node (a tree)",
                found=format_rows(table, rows, names),
                fix="give each category a single sector, or split it into two categories",
            )
        parent_of.update(zip(col, cells[:, k - 1], strict=True))
    return order, parent_of


class Hierarchy:
    """A tree of nodes (sector > category, any depth) built from a mapping table.

    Build it with [`Hierarchy.from_frame`][trendcast.Hierarchy.from_frame].
    Node names must be unique across levels (a sector cannot share its name
    with a category).

    Attributes
    ----------
    levels : list of str
        Level names, top to bottom (the mapping's column names).
    nodes : DataFrame
        ``unique_id, level, parent`` for every node, top level first, then in
        the order of first appearance in the mapping; ``parent`` is missing
        (``None``) on the top level.
    bottom : list
        The bottom-level nodes (the categories of the sales), in the order of
        the columns of [`summing_matrix`][trendcast.Hierarchy.summing_matrix].

    Examples
    --------
    >>> import pandas as pd
    >>> import trendcast as tc
    >>> mapping = pd.DataFrame({"sector": ["food", "food", "home"],
    ...                         "category": ["bread", "milk", "sofas"]})
    >>> hier = tc.Hierarchy.from_frame(mapping)
    >>> hier.levels
    ['sector', 'category']
    >>> hier.summing_matrix()
           bread  milk  sofas
    food     1.0   1.0    0.0
    home     0.0   0.0    1.0
    bread    1.0   0.0    0.0
    milk     0.0   1.0    0.0
    sofas    0.0   0.0    1.0
    """

    @accepts_frames
    def __init__(self, levels: Sequence[str], nodes: pd.DataFrame) -> None:
        self.levels = list(levels)
        self.nodes = nodes.reset_index(drop=True)
        bottom = self.nodes["level"] == self.levels[-1]
        self.bottom = list(self.nodes.loc[bottom, "unique_id"])
        self._parent = {
            node: None if _is_missing(parent) else parent
            for node, parent in zip(self.nodes["unique_id"], self.nodes["parent"], strict=True)
        }
        self._level = dict(zip(self.nodes["unique_id"], self.nodes["level"], strict=True))

    def __repr__(self) -> str:
        sizes = self.nodes.groupby("level", sort=False).size()
        parts = ", ".join(f"{lv}: {int(sizes[lv])}" for lv in self.levels)
        return f"Hierarchy({parts})"

    @classmethod
    @accepts_frames
    def from_frame(cls, mapping: pd.DataFrame, levels: Sequence[str] | None = None) -> Hierarchy:
        """Read a hierarchy from a mapping table with one column per level.

        Parameters
        ----------
        mapping : DataFrame
            One row per bottom-level node (duplicate rows are allowed), one
            column per level from the top down, e.g. ``sector, category``.
            The bottom level holds the category ids of the sales.
        levels : sequence of str, optional
            The level columns, top to bottom (default: every column of
            ``mapping``, in order).

        Returns
        -------
        Hierarchy

        Raises
        ------
        DataValidationError
            When a level column is missing, a cell is empty (a missing
            parent), a node has two different parents, or a name appears on
            two levels. The message names the rows.

        Examples
        --------
        >>> import trendcast as tc
        >>> hier = tc.Hierarchy.from_frame(tc.datasets.load_us_retail_sectors())
        >>> hier
        Hierarchy(total: 1, sector: 7, category: 13)
        """
        names, table, cells = _checked_mapping(mapping, levels)
        order, parent_of = _tree(names, table, cells)
        ordered = [(node, lv) for lv in names for node in order[lv]]
        column = {
            "unique_id": [node for node, _ in ordered],
            "level": [lv for _, lv in ordered],
            "parent": [parent_of.get(node) for node, _ in ordered],
        }
        nodes = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in column.items()})
        return cls(names, nodes)

    def summing_matrix(self) -> pd.DataFrame:
        """The summing matrix S: one row per node, one column per bottom node.

        ``S[i, j] = 1`` when bottom node ``j`` lies under node ``i`` (or is
        ``i``), so the vector of all nodes equals ``S @ bottom``.

        Returns
        -------
        DataFrame
            Float matrix indexed by node (in the order of ``nodes``), with the
            bottom nodes as columns.

        Examples
        --------
        >>> import trendcast as tc
        >>> hier = tc.Hierarchy.from_frame(tc.datasets.load_us_retail_sectors())
        >>> hier.summing_matrix().loc["Home and electronics"].to_dict()["443"]
        1.0
        """
        return pd.DataFrame(
            self._s_array(), index=pd.Index(list(self.nodes["unique_id"])), columns=self.bottom
        )

    def _s_array(self) -> np.ndarray:
        index = {node: i for i, node in enumerate(self.nodes["unique_id"])}
        s = np.zeros((len(index), len(self.bottom)))
        for j, leaf in enumerate(self.bottom):
            node: Any = leaf
            while node is not None:
                s[index[node], j] = 1.0
                node = self._parent[node]
        return s

    @accepts_frames
    def aggregate(
        self,
        df: pd.DataFrame,
        value_col: str = "y",
        *,
        id_col: str = "unique_id",
        time_col: str = "ds",
    ) -> pd.DataFrame:
        """Sum a bottom-level long frame to every node of the hierarchy.

        Parameters
        ----------
        df : DataFrame
            Long frame ``id_col, time_col, value_col`` of the bottom-level
            categories (sales, or any additive quantity). Other columns are
            dropped.
        value_col : str
            The column to sum.
        id_col, time_col : str
            Category and period columns.

        Returns
        -------
        DataFrame
            ``id_col, level, time_col, value_col`` for every node and period,
            nodes in the order of ``nodes``, then by period. Bottom rows hold
            the input values unchanged.

        Raises
        ------
        DataValidationError
            When a category of ``df`` is not a bottom node of the mapping
            (the message names the rows), a (category, period) appears twice,
            a value is missing, or a category of the mapping has no value for
            a period where others have one (a sector total would silently
            lack it).

        Examples
        --------
        >>> import trendcast as tc
        >>> hier = tc.Hierarchy.from_frame(tc.datasets.load_us_retail_sectors())
        >>> sales = tc.datasets.load_us_retail(categories=hier.bottom)
        >>> totals = hier.aggregate(sales)
        >>> published = tc.datasets.load_us_retail(categories=["44X72"])
        >>> bool((totals[totals["unique_id"] == "44X72"]["y"].to_numpy()
        ...       == published["y"].to_numpy()).all())
        True
        """
        wide = self._wide(df, value_col, id_col=id_col, time_col=time_col)
        values = wide.to_numpy() @ self._s_array().T
        names = list(self.nodes["unique_id"])
        out = pd.DataFrame(
            {
                id_col: np.repeat(np.array(names, dtype=object), len(wide)),
                "level": np.repeat(self.nodes["level"].to_numpy(dtype=object), len(wide)),
                time_col: np.tile(wide.index.to_numpy(), len(names)),
                value_col: values.T.ravel(),
            }
        )
        return out

    def _wide(
        self, df: pd.DataFrame, value_col: str, *, id_col: str, time_col: str
    ) -> pd.DataFrame:
        """Validated periods x bottom-node matrix of ``value_col``."""
        for col in (id_col, time_col, value_col):
            if col not in df.columns:
                raise fail(
                    f"the frame lacks column {col!r}",
                    expected=f"columns {id_col!r}, {time_col!r}, {value_col!r}",
                    found=f"columns {format_items(df.columns)}",
                    fix="rename the columns or pass id_col=, time_col=, value_col=",
                )
        frame = df[[id_col, time_col, value_col]].reset_index(drop=True)
        ids = frame[id_col].astype(object)
        known = set(self.bottom)
        unknown = ~ids.isin(known).to_numpy()
        if unknown.any():
            rows = np.flatnonzero(unknown)
            upper = set(self.nodes["unique_id"]) - known
            is_upper = ids[unknown].isin(upper).any()
            raise fail(
                f"{count(len(rows), 'row')} {verb(len(rows), 'has', 'have')} a category that "
                "is not a bottom-level node of the hierarchy mapping",
                column=id_col,
                expected=f"categories of level {self.levels[-1]!r}: {format_items(self.bottom)}",
                found=format_rows(frame, rows, [id_col, time_col]),
                fix=(
                    "pass the bottom level only: sector rows are computed from their categories"
                    if is_upper
                    else "add the categories to the mapping (with their sector), or drop the rows"
                ),
            )
        values = pd.to_numeric(frame[value_col], errors="coerce").astype(float)
        bad = ~np.isfinite(values.to_numpy())
        if bad.any():
            rows = np.flatnonzero(bad)
            raise fail(
                f"{count(len(rows), 'value')} {verb(len(rows), 'is', 'are')} missing or not "
                "a finite number",
                column=value_col,
                expected="a number in every row",
                found=format_rows(frame, rows, [id_col, time_col, value_col]),
                fix="fill or drop those rows before aggregating",
            )
        dup = frame.duplicated([id_col, time_col], keep=False).to_numpy()
        if dup.any():
            rows = np.flatnonzero(dup)
            raise fail(
                "a (category, period) appears more than once",
                column=time_col,
                expected="one row per category and period",
                found=format_rows(frame, rows, [id_col, time_col, value_col]),
                fix="sum or drop the duplicates first",
            )
        frame = frame.assign(**{value_col: values, id_col: ids})
        wide = frame.pivot(index=time_col, columns=id_col, values=value_col)
        wide = wide.reindex(columns=self.bottom).sort_index()
        holes = wide.isna().to_numpy()
        if holes.any():
            which = [self.bottom[j] for j in np.flatnonzero(holes.any(axis=0))]
            dates = wide.index[np.flatnonzero(holes.any(axis=1))]
            raise fail(
                f"{count(len(which), 'category', 'categories')} of the mapping "
                f"{verb(len(which), 'has', 'have')} no value for some periods where others "
                "have one, so their sector totals would be incomplete",
                column=id_col,
                expected="every category of the mapping on every period",
                found=f"categories {format_items(which)} missing on {count(len(dates), 'period')} "
                f"such as {format_items(list(dates))}",
                fix="fill the gaps, keep only the common periods, or drop the categories "
                "from the mapping",
            )
        return wide
