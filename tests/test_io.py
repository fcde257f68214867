"""The one atomic writer and the one CSV/JSON layer (probisim.core.io)."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

from probisim.core.io import (
    CRLF,
    LF,
    atomic_file,
    csv_text,
    json_text,
    read_csv,
    read_json,
    write_csv,
    write_json,
    write_text_atomic,
)


def test_write_text_atomic_replaces_a_link_instead_of_writing_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    write_text_atomic(link, "new")
    assert victim.read_text() == "keep me"
    assert not link.is_symlink() and link.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "victim.txt"]


def test_atomic_file_keeps_the_old_file_and_no_temporary_on_failure(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(path) as fh:
            fh.write("half")
            raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
    with pytest.raises(KeyboardInterrupt):
        with atomic_file(path, "wb") as fh:
            fh.write(b"x")
            raise KeyboardInterrupt
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_text_is_written_as_is(tmp_path):
    path = tmp_path / "t.txt"
    write_text_atomic(path, "a\r\nb\nü")
    assert path.read_bytes() == "a\r\nb\nü".encode()
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_csv_cells_and_round_trip(tmp_path):
    table = {
        "name": np.array(["a", "b,c", 'd"e']),
        "flag": np.array([True, False, True]),
        "n": np.array([1, -2, 3], dtype=np.int64),
        "x": np.array([0.1, math.nan, -math.inf]),
        "y": [1e-300, 2.5, 1 / 3],
    }
    path = tmp_path / "t.csv"
    write_csv(path, table)
    raw = path.read_bytes().decode()
    assert raw.split(CRLF)[:3] == ["name,flag,n,x,y", "a,True,1,0.1,1e-300", '"b,c",False,-2,nan,2.5']
    back = read_csv(path)
    assert list(back) == list(table)
    assert back["flag"].dtype == bool and back["n"].dtype == np.int64 and back["name"].dtype.kind == "U"
    assert list(back["name"]) == ["a", "b,c", 'd"e']
    np.testing.assert_array_equal(back["x"], table["x"])
    assert back["y"].tolist() == table["y"]  # repr: exact


def test_read_csv_with_types_and_empty_cells(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(csv_text(["task_id", "n", "y"], [["000001", 3, 0.5], ["000002", 4, ""]], lineterminator=LF))
    assert path.read_text() == "task_id,n,y\n000001,3,0.5\n000002,4,\n"
    t = read_csv(path, types={"task_id": str}, default=float)
    assert list(t["task_id"]) == ["000001", "000002"] and t["n"].dtype == float
    assert t["y"][0] == 0.5 and math.isnan(t["y"][1])
    inferred = read_csv(path)
    assert inferred["task_id"].tolist() == [1, 2]  # why the sweep names its id column's type
    (tmp_path / "empty.csv").write_text("")
    assert read_csv(tmp_path / "empty.csv") == {}
    (tmp_path / "head.csv").write_text("a,b\n")
    assert {k: v.size for k, v in read_csv(tmp_path / "head.csv").items()} == {"a": 0, "b": 0}


def test_json_strict_and_lenient(tmp_path):
    obj = {"a": np.float64(0.5), "b": np.array([1.0, np.nan]), "c": (np.int32(3), np.bool_(True)), 4: math.inf}
    assert json_text(obj) == '{\n  "a": 0.5,\n  "b": [\n    1.0,\n    null\n  ],\n  "c": [\n    3,\n    true\n  ],\n' \
                             '  "4": null\n}\n'
    assert json_text({"y": math.nan, "p": [1, 2]}, indent=None, finite=False) == '{"y":NaN,"p":[1,2]}\n'
    write_json(tmp_path / "j.json", {"y": math.nan}, indent=None, finite=False)
    assert math.isnan(read_json(tmp_path / "j.json")["y"])
    assert json_text({"y": math.nan}) == '{\n  "y": null\n}\n'  # strict JSON never holds NaN
