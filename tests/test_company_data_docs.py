"""The "Your own data" page prints what the code prints (issue 22).

In the style of tests/test_docs_outputs_pages.py, with its helpers: the page's
python blocks run in order, from the repository's root (the page reads the
files of examples/own_data/ and tests/data/ by relative paths), and every
text block after one must be what it shows.
"""

from __future__ import annotations

from tests.test_docs_outputs_pages import REPO, check, console


def test_own_data_page(tmp_path, monkeypatch):
    monkeypatch.chdir(REPO)
    ns: dict = {}
    with console():
        found = check("own-data.md", ns, subst={"/tmp/": f"{tmp_path}/"})
    assert not found, "\n\n".join(map(str, found))
    assert (tmp_path / "plan_review.xlsx").is_file()


def test_own_data_page_is_in_the_nav():
    assert "Your own data: own-data.md" in (REPO / "mkdocs.yml").read_text()


def test_the_split_quoted_in_the_page_is_the_one_read():
    page = (REPO / "docs" / "own-data.md").read_text()
    assert "became 17,395.4 for\nJanuary and 16,273.2 for February" in page
    assert round(33668.6 * 31 / 60, 1) == 17395.4
    assert round(33668.6 * 29 / 60, 1) == 16273.2
