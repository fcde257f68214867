"""Calibration targets of the model brief: a small version runs by default,
the full >= 200-replicate version is marked slow."""

import pytest

from probisim.trial.calibration import format_table, run_calibration

# targets the small version checks (trial targets with few replicates are too noisy for C1b)
SMALL = {"C3", "C3b", "C5a", "C5b", "C6", "C7", "C8a"}


def test_calibration_small():
    targets = run_calibration(replicates=12, n_population=1500)
    table = format_table(targets)
    failed = [t.id for t in targets if t.id in SMALL and not t.passed]
    assert not failed, table


@pytest.mark.slow
def test_calibration_full():
    targets = run_calibration(replicates=200, n_population=4000)
    table = format_table(targets)
    failed = [t.id for t in targets if not t.passed]
    assert not failed, table


def test_calibration_cli_refuses_bad_arguments_without_running(tmp_path, capsys):
    from probisim.trial.calibration import main

    existing = tmp_path / "c.csv"
    existing.write_text("keep me")
    for argv, needle in ((["--replicates", "1"], "--replicates 1"),
                         (["--experiments", str(tmp_path)], "expected a directory holding community_depression.toml"),
                         (["--csv", str(existing), "--replicates", "2"], "exists; expected a new path")):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert needle in capsys.readouterr().err
    assert existing.read_text() == "keep me"
