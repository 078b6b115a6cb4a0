"""Identical recourse blocks merged before HiGHS sees the model: an exact reduction of
the extensive form that HiGHS's presolve does not make.

Much of a scenario's recourse is often the same in many scenarios. In a year when no
stock of a processing chain can be released (under the default release rule: a year the
scenario does not disrupt the chain) and the chain's output is not paid for out of a
budget (no floor support), the chain's balance rows, project capacity rows, imports,
output, transfers and shortage form a **block**: recourse columns linked to the rest of
the model only through first-stage columns (``n``, ``b``). Every scenario whose factors
are the same in that year and chain has the same block, with its costs scaled by its
probability ``π_s``.

Two such blocks have the same least cost for every plan, so keeping one copy with their
costs summed leaves the objective of every plan unchanged: the reduced model has the same
optimum and the same optimal plans, and its LPs are smaller (p_medium: 90,229 columns →
63,266). In an optimal solution of the full model every copy can take the values of its
cheapest copy (each row of a block is the same in every copy), so nothing is lost by
giving them one set of values.

A block is found, not assumed: it is a connected component of the graph of recourse
columns and the rows they appear in, and blocks are merged only when their rows, bounds,
integrality and costs (up to one positive factor, to 12 significant digits) are equal
entry by entry. Anything else (a stock carried from year to year, a budget row, a CVaR
row) joins its columns into one larger component, which is merged only if it too is
identical.

Going back: a merged copy takes its kept copy's values; the kept copy's dual values are
shared among the copies in proportion to their costs (their probabilities), which keeps
every reduced cost of the full model, so marginal values read from the reduced model are
those of the full model.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

# costs of two copies count as proportional when, divided by each copy's largest cost,
# they agree to this many significant digits (they differ by the factor π_s, and by the
# last bits of the floating-point products); every other entry must be equal
COST_DIGITS = 12


@dataclass(frozen=True)
class BlockMerge:
    """The map from the full model to the reduced one.

    ``col_to[j]`` / ``row_to[i]``: the reduced column / row standing for full column
    ``j`` / row ``i`` (a merged copy points at its kept copy's). ``col_share`` /
    ``row_share``: the part of that reduced dual value which is the full one's (1 where
    nothing is merged). ``kept_cols`` / ``kept_rows``: the full indices of the reduced
    columns / rows, in order."""

    col_to: np.ndarray
    row_to: np.ndarray
    col_share: np.ndarray
    row_share: np.ndarray
    kept_cols: np.ndarray
    kept_rows: np.ndarray
    merged_blocks: int

    @property
    def copies_col(self) -> np.ndarray:
        """How many full columns each reduced column stands for."""
        return np.bincount(self.col_to, minlength=self.kept_cols.size)

    @property
    def copies_row(self) -> np.ndarray:
        """How many full rows each reduced row stands for."""
        return np.bincount(self.row_to, minlength=self.kept_rows.size)

    def reduce(self, arrays):
        """The reduced model's arrays (the layout of
        :func:`optimizer.matrices.compile_model`): merged copies' columns and rows left
        out, their costs added to their kept copy's."""
        columns, a, lower, upper, integer, row_lower, row_upper, cost, offset, rows = arrays
        cols, kept_rows = self.kept_cols, self.kept_rows
        reduced_cost = np.bincount(self.col_to, weights=cost, minlength=cols.size)
        return ([columns[j] for j in cols], a[kept_rows][:, cols].tocsc(), lower[cols],
                upper[cols], integer[cols], row_lower[kept_rows], row_upper[kept_rows],
                reduced_cost, offset, [rows[i] for i in kept_rows])

    def expand_values(self, values) -> np.ndarray:
        """A reduced solution's column values for every full column."""
        return np.asarray(values, dtype=float)[self.col_to]

    def expand_duals(self, row_dual, col_dual) -> tuple[np.ndarray, np.ndarray]:
        """The reduced model's row duals and reduced costs as the full model's."""
        return (np.asarray(row_dual, dtype=float)[self.row_to] * self.row_share,
                np.asarray(col_dual, dtype=float)[self.col_to] * self.col_share)


def _components(a: sp.csc_matrix, recourse: np.ndarray, nrow: int):
    """Connected components of the graph of recourse columns and the rows they appear
    in: (rows by component, columns by component), each a dict label → indices."""
    coo = a.tocoo()
    keep = recourse[coo.col]
    r, c = coo.row[keep], coo.col[keep]
    size = nrow + recourse.size
    graph = sp.coo_matrix((np.ones(r.size), (r, nrow + c)), shape=(size, size))
    _, label = connected_components(graph, directed=False)
    col_label, row_label = label[nrow:], label[:nrow]
    cols_of, rows_of = defaultdict(list), defaultdict(list)
    for j in np.nonzero(recourse)[0]:
        cols_of[col_label[j]].append(j)
    touched = np.zeros(size, dtype=bool)
    touched[col_label[recourse]] = True
    for i in np.nonzero(touched[row_label])[0]:
        rows_of[row_label[i]].append(i)
    return rows_of, cols_of


def merge_identical_blocks(arrays) -> BlockMerge | None:
    """Find the identical recourse blocks of a compiled model (see the module docstring);
    ``None`` when there are none to merge.

    A recourse column is a variable of a sub-block of the model (a scenario); a block is
    merged only when all its columns and rows belong to one such sub-block."""
    columns, a, nrow = arrays[0], arrays[1], len(arrays[5])
    ncol = len(columns)
    if ncol == 0:
        return None
    top = columns[0].model()
    owner = [v.parent_block() for v in columns]
    recourse = np.fromiter((b is not top for b in owner), bool, ncol)
    if not recourse.any():
        return None
    rows_of, cols_of = _components(a, recourse, nrow)
    blocks = _Blocks(arrays, recourse, owner, rows_of, cols_of)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for label in cols_of:
        fingerprint = blocks.fingerprint(label)
        if fingerprint is not None:
            groups[fingerprint].append(label)
    return blocks.merge([labels for labels in groups.values() if len(labels) > 1])


def _key(component) -> tuple:
    """A column's or row's name within its block: the same in every scenario."""
    return component.parent_component().local_name, component.index()


class _Blocks:
    """The components of one compiled model: their fingerprints, and the map that merges
    the identical ones."""

    def __init__(self, arrays, recourse, owner, rows_of, cols_of):
        self.arrays, self.recourse, self.owner = arrays, recourse, owner
        self.rows_of, self.cols_of = rows_of, cols_of
        columns, rows = arrays[0], arrays[9]
        self.csr = arrays[1].tocsr()
        self.col_key = {j: _key(columns[j]) for j in np.nonzero(recourse)[0]}
        self.row_key = {i: _key(rows[i]) for comp_rows in rows_of.values() for i in comp_rows}
        self.scale: dict[int, float] = {}

    def fingerprint(self, label: int) -> tuple | None:
        """Everything that makes a block what it is, with its costs divided by its largest
        cost (kept in :attr:`scale`); ``None`` for a component that spans several
        scenarios or rows outside its own scenario (never merged)."""
        _, _, lower, upper, integer, row_lower, row_upper, cost, _, rows = self.arrays
        cols, comp_rows = self.cols_of[label], self.rows_of[label]
        block = self.owner[cols[0]]
        if any(self.owner[j] is not block for j in cols) or any(
                rows[i].parent_block() is not block for i in comp_rows):
            return None
        weight = float(np.abs(cost[cols]).max())
        self.scale[label] = weight
        costs = ([float(f"{c:.{COST_DIGITS}g}") for c in (cost[cols] / weight).tolist()]
                 if weight > 0 else [0.0] * len(cols))
        col_part = tuple(sorted(
            (self.col_key[j], lower[j], upper[j], bool(integer[j]), c)
            for j, c in zip(cols, costs, strict=True)))
        csr, recourse, col_key = self.csr, self.recourse, self.col_key
        row_part = []
        for i in comp_rows:
            lo, hi = csr.indptr[i], csr.indptr[i + 1]
            entries = tuple(sorted(
                (("r", col_key[j]) if recourse[j] else ("l", j), v)
                for j, v in zip(csr.indices[lo:hi].tolist(), csr.data[lo:hi].tolist(),
                                strict=True)))
            row_part.append((self.row_key[i], row_lower[i], row_upper[i], entries))
        return col_part, tuple(sorted(row_part))

    def merge(self, groups: list[list[int]]) -> BlockMerge | None:
        """The map that keeps the first block of each group and points the others' columns
        and rows at it, sharing duals in proportion to each copy's cost scale."""
        if not groups:
            return None
        ncol, nrow = len(self.arrays[0]), len(self.arrays[9])
        col_to, row_to = np.arange(ncol), np.arange(nrow)
        col_share, row_share = np.ones(ncol), np.ones(nrow)
        for labels in groups:
            kept_col = {self.col_key[j]: j for j in self.cols_of[labels[0]]}
            kept_row = {self.row_key[i]: i for i in self.rows_of[labels[0]]}
            total = sum(self.scale[label] for label in labels)
            for label in labels:
                share = self.scale[label] / total if total > 0 else 1.0 / len(labels)
                for j in self.cols_of[label]:
                    col_to[j], col_share[j] = kept_col[self.col_key[j]], share
                for i in self.rows_of[label]:
                    row_to[i], row_share[i] = kept_row[self.row_key[i]], share
        kept_cols = np.nonzero(col_to == np.arange(ncol))[0]
        kept_rows = np.nonzero(row_to == np.arange(nrow))[0]
        col_pos = np.full(ncol, -1)
        col_pos[kept_cols] = np.arange(kept_cols.size)
        row_pos = np.full(nrow, -1)
        row_pos[kept_rows] = np.arange(kept_rows.size)
        return BlockMerge(
            col_to=col_pos[col_to], row_to=row_pos[row_to], col_share=col_share,
            row_share=row_share, kept_cols=kept_cols, kept_rows=kept_rows,
            merged_blocks=sum(len(labels) - 1 for labels in groups),
        )
