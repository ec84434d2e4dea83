"""expand_inputs: the INPUT arguments of `vidsift run` / `submit` become URIs."""

from __future__ import annotations

import json

import pytest

from vidsift.inputs import InputError, TableColumns, collect_inputs, expand_inputs
from vidsift.storage import canonical_uri


def test_directories_lists_and_uris_expand_in_order_without_duplicates(tmp_path):
    (tmp_path / "d" / "sub").mkdir(parents=True)
    for name in ("d/b.mp4", "d/sub/a.MKV", "d/notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# a comment\ns3://bucket/v.mp4\n\n{tmp_path / 'd' / 'b.mp4'}\n")
    out = expand_inputs([str(tmp_path / "d"), f"@{listing}", "https://example.org/v.mp4", "s3://bucket/v.mp4"])
    assert out == [canonical_uri(str(tmp_path / "d" / "b.mp4")), canonical_uri(str(tmp_path / "d" / "sub" / "a.MKV")),
                   "s3://bucket/v.mp4", "https://example.org/v.mp4"]


def test_a_missing_file_and_an_unknown_scheme_go_on_as_given(tmp_path):
    out = expand_inputs([str(tmp_path / "missing.mp4"), "ftp://host/v.mp4", "gs://bucket/v.mp4"])
    assert out == [canonical_uri(str(tmp_path / "missing.mp4")), "ftp://host/v.mp4", "gs://bucket/v.mp4"]


def test_an_unknown_scheme_becomes_a_refused_input_in_a_run(tmp_path, video):
    from vidsift.config import Settings
    from vidsift.recipe import load_recipe
    from vidsift.runner import run_embedded

    summary = run_embedded(expand_inputs(["ftp://host/v.mp4", str(video("imageio__realshort.mp4"))]),
                           tmp_path / "out", load_recipe("local"), Settings(scratch_dir=str(tmp_path)), progress=False)
    assert summary["failed_inputs"] == {"input_refused": 1}
    rejected = (tmp_path / "out" / "rejected.jsonl").read_text()
    assert "scheme 'ftp' is not allowed" in rejected


# --- URL tables (video2dataset's url_col / caption_col / save_additional_columns) ---------------------

ROWS = [{"url": "https://example.org/a.mp4", "caption": "a red car", "id": 7, "lang": "en"},
        {"url": "", "caption": "no url", "id": 8, "lang": "fr"},
        {"url": "https://example.org/b.mp4", "caption": "two dogs", "id": 9, "lang": "de"}]


def _write_table(path, rows):
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), path)
    else:
        sep = "\t" if path.suffix == ".tsv" else ","
        path.write_text("\n".join(sep.join(str(r[k]) for k in rows[0]) for r in [dict(zip(rows[0], rows[0]))] + rows) + "\n")
    return path


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl", ".parquet"])
def test_a_table_gives_each_row_s_url_with_its_caption_and_saved_columns(tmp_path, suffix):
    table = _write_table(tmp_path / f"t{suffix}", ROWS)
    got = collect_inputs([str(table)], columns=TableColumns("url", "caption", ("id", "lang")))
    typed = suffix in (".jsonl", ".parquet")  # a CSV's cells are strings
    assert [(i.uri, i.meta) for i in got] == [
        ("https://example.org/a.mp4", {"caption": "a red car", "id": 7 if typed else "7", "lang": "en"}),
        ("https://example.org/b.mp4", {"caption": "two dogs", "id": 9 if typed else "9", "lang": "de"}),
    ]  # the row without a URL is skipped


def test_table_rows_expand_like_arguments_and_plain_inputs_have_no_meta(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.mp4").write_bytes(b"x")
    table = _write_table(tmp_path / "t.jsonl", [{"path": str(tmp_path / "d"), "c": "dir row"}])
    got = collect_inputs([str(table), "https://example.org/a.mp4"], columns=TableColumns("path", "c"))
    assert [(i.uri, i.meta) for i in got] == [(canonical_uri(str(tmp_path / "d" / "x.mp4")), {"caption": "dir row"}),
                                              ("https://example.org/a.mp4", None)]
    # Without --caption-col or --save-cols a table is just a list of URLs.
    assert [i.meta for i in collect_inputs([str(table)], columns=TableColumns("path"))] == [None]


def test_a_table_without_the_named_columns_is_refused_naming_what_it_has(tmp_path):
    table = _write_table(tmp_path / "t.csv", ROWS)
    with pytest.raises(InputError, match=r"no URL column 'link' \(columns: url, caption, id, lang\)"):
        collect_inputs([str(table)], columns=TableColumns("link"))
    with pytest.raises(InputError, match=r"no column 'title'"):
        collect_inputs([str(table)], columns=TableColumns("url", None, ("title",)))


def test_run_and_submit_read_tables_with_the_same_options(tmp_path):
    """The CLI options: a bad column is a usage error (exit 2) before anything is written."""
    from click.testing import CliRunner

    from vidsift.cli import main

    table = _write_table(tmp_path / "t.csv", ROWS)
    for args in (["run", str(table), "--out", str(tmp_path / "o")], ["submit", str(table), "--job", "j"]):
        res = CliRunner().invoke(main, [*args, "--url-col", "link"])
        assert res.exit_code == 2 and "no URL column 'link'" in res.output, res.output
    assert not (tmp_path / "o").exists()


def test_an_embedded_run_carries_each_row_into_its_clips(tmp_path, video):
    from vidsift.config import Settings
    from vidsift.recipe import load_recipe
    from vidsift.runner import run_embedded

    rows = [{"url": str(video("imageio__realshort.mp4")), "caption": "a short clip", "id": 1},
            {"url": str(video("pyscenedetect__delayed_start.mp4")), "caption": "numbers", "id": 2},
            {"url": str(tmp_path / "missing.mp4"), "caption": "gone", "id": 3}]
    items = collect_inputs([str(_write_table(tmp_path / "t.jsonl", rows))], columns=TableColumns("url", "caption", ("id",)))
    # No split ops, no captioner: each video is one clip, and its row's caption is its text.
    recipe = load_recipe("- video_duration_filter: {min_duration: 0.5, max_duration: 3}")
    run_embedded([i.uri for i in items], tmp_path / "out", recipe, Settings(scratch_dir=str(tmp_path)), progress=False,
                 meta={i.uri: i.meta for i in items})
    lines = [json.loads(l) for l in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    by_source = {l["clip"]["source"]: l for l in lines}
    assert len(lines) == 2
    for row in rows[:2]:
        line = by_source[canonical_uri(row["url"])]
        assert line["text"] == row["caption"]
        assert line["meta"] == {"caption": row["caption"], "id": row["id"]}
        assert "meta" not in line["clip"]
