"""From a fresh folder, ``trendcast init`` then ``trendcast run trendcast.toml`` works
(``models="auto"`` on the whole bundled data); the example job in examples/ runs."""

from __future__ import annotations

import shutil

from tests.job_support import EXAMPLE, read_table, trendcast


def test_init_then_run_on_the_bundled_data(tmp_path):
    made = trendcast("init", str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "trendcast.toml").is_file() and (tmp_path / "data" / "plan.csv").is_file()
    again = trendcast("init", str(tmp_path))
    assert again.returncode == 2 and "--force" in again.stderr
    ran = trendcast("run", "trendcast.toml", "--as-of", "2024-09-01", cwd=tmp_path, timeout=1200)
    assert ran.returncode == 0, ran.stderr
    store = f"sqlite:///{tmp_path / 'trendcast.sqlite'}"
    assert read_table(store, "SELECT status, n_categories FROM runs") == [("ok", 58)]
    assert (tmp_path / "report-2024-09-01.html").stat().st_size > 10_000
    models = {m for (m,) in read_table(store, "SELECT DISTINCT model FROM forecasts")}
    assert len(models) > 2  # auto chose among several
    shown = trendcast("show", "latest", cwd=tmp_path)
    assert "status ok" in shown.stdout and "Top flags" in shown.stdout


def test_the_example_job_runs(tmp_path):
    folder = tmp_path / "nightly"
    shutil.copytree(EXAMPLE, folder)
    ran = trendcast("run", str(folder / "trendcast.toml"), "--as-of", "2024-09-01")
    assert ran.returncode == 0, ran.stderr
    assert (folder / "report-2024-09-01.html").is_file()
    assert read_table(f"sqlite:///{folder / 'nightly.sqlite'}", "SELECT status FROM runs") == [
        ("ok",)
    ]
