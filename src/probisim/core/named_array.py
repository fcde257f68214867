"""Named arrays: values with dimension names, coordinates and units."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["NamedArray"]


@dataclass
class NamedArray:
    """An ndarray with named dims, coordinate labels and a unit.

    ``a.sel(taxon="Bifidobacterium", day=42)`` selects by label; ``a.values``
    is the plain array. Kept deliberately small: a notebook user can turn it
    into an xarray ``DataArray`` with ``xr.DataArray(a.values, coords=a.coords,
    dims=a.dims)`` if they have xarray.
    """

    name: str
    values: np.ndarray
    dims: tuple[str, ...]
    coords: dict[str, np.ndarray] = field(default_factory=dict)
    units: str | dict[str, str] = ""

    def __post_init__(self):
        if self.values.ndim != len(self.dims):
            raise ValueError(f"{self.name}: {self.values.ndim}-d values but dims {self.dims}")
        for d, c in self.coords.items():
            ax = self.dims.index(d)
            if len(c) != self.values.shape[ax]:
                raise ValueError(f"{self.name}: coordinate {d!r} has {len(c)} labels "
                                 f"for axis of {self.values.shape[ax]}")

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    def _index(self, dim: str, label):
        coord = self.coords.get(dim)
        if coord is None:
            return label
        coord = np.asarray(coord)
        hits = np.flatnonzero(coord == label)
        if hits.size == 0:
            raise KeyError(f"{label!r} not in {self.name}.{dim} (have {list(coord)[:10]}...)")
        return int(hits[0])

    def sel(self, **labels) -> NamedArray | np.ndarray:
        """Select one label along each named dim; returns a NamedArray (or an array if 0-d)."""
        idx = [slice(None)] * len(self.dims)
        for d, lab in labels.items():
            if d not in self.dims:
                raise KeyError(f"{self.name} has no dim {d!r}; dims are {self.dims}")
            idx[self.dims.index(d)] = self._index(d, lab)
        vals = self.values[tuple(idx)]
        keep = [d for d, i in zip(self.dims, idx) if isinstance(i, slice)]
        if not keep:
            return vals
        units = self.units
        if isinstance(units, dict) and len(labels) == 1:
            (d, lab), = labels.items()
            units = units.get(lab, units) if isinstance(lab, str) else units
        return NamedArray(self.name, vals, tuple(keep), {d: self.coords[d] for d in keep if d in self.coords}, units)

    def __repr__(self) -> str:
        dims = ", ".join(f"{d}: {s}" for d, s in zip(self.dims, self.values.shape))
        return f"<NamedArray {self.name} ({dims}) [{self.units if isinstance(self.units, str) else '…'}]>"
