"""trendcast.toml errors name the key, the value and the fix; nothing is written (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.job_support import make_job, trendcast
from trendcast.job.config import load_config
from trendcast.job.errors import ConfigError, SourceError
from trendcast.job.run import run_job


def _job(tmp_path: Path, old: str = "", new: str = "") -> Path:
    config = make_job(tmp_path / "job", f"sqlite:///{tmp_path / 'store.sqlite'}")
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))
    return config


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("horizon = 6", "horizon = 0", "model.horizon = 0: Input should be greater than or equal"),
        ("refit = 10", 'refit = "daily"', "model.refit = 'daily'"),
        ("horizon = 6", "horizon = 6\nhorizn = 3", "model.horizn = 3: unknown key; remove it"),
        ('models = ["Theta", "SeasonalNaive"]', 'models = ["Thetaa"]',
         "unknown model name(s) ['Thetaa']; use 'auto' or a list of"),
        ("[run]", '[execution]\nbackend = "spark"\n\n[run]',
         "execution.backend = 'spark': backend 'spark' is not understood; write 'loky'"),
        ('receipts = "plan"', 'receipts = "plans"', "receipts = 'plans' names no [[supply]]"),
        ('path = "data/sales.csv"', 'path = "data/sales.txt"', "has suffix '.txt'; use one of"),
        ('path = "data/sales.csv"', 'query = "SELECT 1"', "query needs url ="),
    ],
)  # fmt: skip
def test_a_config_error_names_key_value_and_fix(tmp_path, old, new, said):
    config = _job(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert str(config) in str(info.value)
    assert said in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "error", "said"),
    [
        ('path = "data/sales.csv"', 'path = "data/nothing.csv"', SourceError,
         "[sales] path: file"),
        ('path = "data/sales.csv"', 'path = "data/sales.csv"\ntarget_col = "sales"', SourceError,
         "no column ['sales']"),
        ('url = "sqlite', 'url = "postgresql://u:secret@localhost/db"\n# "sqlite', ConfigError,
         "holds a password; remove it from the file and set password_env"),
        ('url = "sqlite', 'password_env = "TC_NOT_SET_ANYWHERE"\nurl = "sqlite', ConfigError,
         "password_env = 'TC_NOT_SET_ANYWHERE' but that environment variable is not set"),
    ],
)  # fmt: skip
def test_a_source_or_secret_error_is_refused_before_anything_is_written(
    tmp_path, old, new, error, said
):
    config = _job(tmp_path, old, new)
    with pytest.raises(error) as info:
        run_job(config)
    assert said in str(info.value)
    assert not (tmp_path / "store.sqlite").exists()


def test_bad_data_exits_2_and_writes_nothing(tmp_path):
    config = _job(tmp_path)
    sales = config.parent / "data" / "sales.csv"
    lines = sales.read_text().splitlines()
    sales.write_text("\n".join([*lines, lines[-1]]) + "\n")  # a duplicated row
    checked = trendcast("check", str(config))
    assert checked.returncode == 2
    assert "[sales]" in checked.stderr and "Traceback" not in checked.stderr
    ran = trendcast("run", str(config))
    assert ran.returncode == 2 and "Traceback" not in ran.stderr
    assert not (tmp_path / "store.sqlite").exists()


def test_check_reads_every_source_and_says_what_it_found(tmp_path):
    config = _job(tmp_path)
    checked = trendcast("check", str(config))
    assert checked.returncode == 0, checked.stderr
    assert "sales: 13 categories" in checked.stdout
    assert "supply plan:" in checked.stdout and "supply inventory:" in checked.stdout
    assert "hierarchy: levels ['total', 'sector', 'category']" in checked.stdout
    assert not (tmp_path / "store.sqlite").exists()


@pytest.mark.parametrize("command", ["init", "check", "run", "runs", "show", "export", "accuracy"])
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_job_command_has_help(command, flag):
    from typer.testing import CliRunner

    from trendcast.cli import app

    shown = CliRunner().invoke(app, [command, flag])
    assert shown.exit_code == 0, shown.output
    assert "Usage:" in shown.output


def test_help_of_the_real_command():
    shown = trendcast("run", "-h")
    assert shown.returncode == 0, shown.stderr
    assert "--as-of" in shown.stdout and "--wait" in shown.stdout


def test_sources_from_sql_excel_and_parquet_with_the_password_from_the_environment(tmp_path):
    import pandas as pd
    import sqlalchemy as sa

    from tests.job_support import postgres_database

    config = _job(tmp_path)
    data = config.parent / "data"
    sales = pd.read_csv(data / "sales.csv", dtype={"unique_id": str})
    url, drop = postgres_database()
    try:
        engine = sa.create_engine(url)
        sales.rename(columns={"unique_id": "category", "ds": "month", "y": "amount"}).to_sql(
            "monthly_sales", engine, index=False
        )
        engine.dispose()
        pd.read_csv(data / "plan.csv").to_excel(data / "plan.xlsx", index=False)
        pd.read_csv(data / "inventories.csv").to_parquet(data / "inventories.parquet")
        text = config.read_text().replace(
            'path = "data/sales.csv"',
            f'query = "SELECT category, month, amount FROM monthly_sales"\n'
            f'url = "{sa.make_url(url).set(password=None).render_as_string(False)}"\n'
            'password_env = "TC_TEST_SOURCE_PASSWORD"\n'
            'id_col = "category"\ntime_col = "month"\ntarget_col = "amount"',
        )
        text = text.replace("data/plan.csv", "data/plan.xlsx")
        config.write_text(text.replace("data/inventories.csv", "data/inventories.parquet"))
        unset = trendcast("check", str(config))
        assert unset.returncode == 2 and "TC_TEST_SOURCE_PASSWORD" in unset.stderr
        checked = trendcast("check", str(config), env={"TC_TEST_SOURCE_PASSWORD": "not-in-file"})
        assert checked.returncode == 0, checked.stderr
        assert "sales: 13 categories, 1560 rows" in checked.stdout
        assert "supply plan: 13 categories" in checked.stdout
    finally:
        drop()
