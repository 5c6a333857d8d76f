"""Property-based: any file either reads as a Google Trends export or raises DataValidationError."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trendcast as tc

cells = st.one_of(
    st.sampled_from(
        [
            "2024-01-07",
            "2024-01-14",
            "2024-02",
            "2024-01-07 - 2024-01-13",
            "<1",
            "< 1",
            "42",
            "100",
            "-3",
            "1e9",
            "",
            "x: (US)",
            "Geo: US",
            "isPartial",
            "True",
            "Week",
            "Category: All",
            '"',
            "2024-01-07T05",
            "2024-13-45",
        ]
    ),
    st.text(max_size=6),
)
lines = st.lists(st.lists(cells, max_size=4).map(",".join), max_size=8)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines, encoding=encodings, newline=st.sampled_from(["\n", "\r\n"]))
def test_any_file_reads_or_raises_data_validation_error(lines, encoding, newline):
    text = newline.join(lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        try:
            path.write_bytes(text.encode(encoding))
        except UnicodeEncodeError:
            path.write_bytes(text.encode("utf-8"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                df = tc.read_google_trends(path)
            except tc.DataValidationError:
                return
    assert list(df.columns)[:4] == ["ds", "term", "geo", "value"]
    assert df["ds"].notna().all() and df["value"].notna().all()
