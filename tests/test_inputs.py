"""expand_inputs: the INPUT arguments of `vidsift run` / `submit` become URIs."""

from __future__ import annotations

from vidsift.inputs import expand_inputs
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
