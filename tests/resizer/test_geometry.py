from fractions import Fraction

import pytest

from vidsift_resizer.geometry import Geometry, chain, dj_aspect_ratio, dj_resolution

ANAMORPHIC = Geometry(704, 576, Fraction(16, 11))  # issue-195: displays as 1024x576


def test_rotation_swaps_size_and_inverts_sar():
    assert Geometry.from_stream(1280, 544, Fraction(1), -90) == Geometry(544, 1280, Fraction(1))
    assert Geometry.from_stream(704, 576, Fraction(16, 11), 90).sar == Fraction(11, 16)
    assert Geometry.from_stream(1280, 544, None, 180) == Geometry(1280, 544)


def test_display_size_applies_sar_and_stays_even():
    assert ANAMORPHIC.display_size() == (1024, 576)
    assert Geometry(362, 640).display_size() == (362, 640)
    assert Geometry(363, 641).display_size() == (364, 640)


@pytest.mark.parametrize("geom, mode, expected", [
    (Geometry(1920, 1080), "stretch", "scale=512:512,setsar=1"),
    (Geometry(1920, 1080), "fit", "scale=512:288,pad=512:512:(ow-iw)/2:(oh-ih)/2,setsar=1"),
    (Geometry(1920, 1080), "fill", "scale=912:512,crop=512:512,setsar=1"),
    (ANAMORPHIC, "fit", "scale=512:288,pad=512:512"),  # by display aspect 16:9, not 704:576
    (Geometry(362, 640), "fit", "scale=290:512,pad=512:512"),
    (Geometry(362, 640), "fill", "scale=512:906,crop=512:512"),
    (Geometry(512, 512), "fit", "scale=512:512,setsar=1"),  # already the box: no pad
])
def test_chain(geom, mode, expected):
    assert chain(geom, 512, 512, mode).startswith(expected)
    assert chain(geom, 512, 512, mode).endswith("format=yuv420p")


def test_unknown_mode():
    with pytest.raises(ValueError, match="unknown resize mode"):
        chain(Geometry(2, 2), 2, 2, "zoom")


def test_dj_resolution_matches_data_juicer_examples():
    # data-juicer's tests: 640x360 with min_width=400 and ratio kept ("increase") -> 640x360 unchanged
    assert dj_resolution(640, 360, 1, 10**9, 1, 10**9, "disable", 2) is None
    assert dj_resolution(640, 360, 1, 320, 1, 10**9, "disable", 2) == (320, 180)
    assert dj_resolution(362, 640, 400, 10**9, 1, 10**9, "disable", 2) == (400, 708)
    assert dj_resolution(640, 360, 1, 10**9, 1, 100, "decrease", 4) == (176, 100)


def test_dj_aspect_ratio():
    r = Fraction
    assert dj_aspect_ratio(640, 360, r(9, 21), r(21, 9), "increase") is None
    assert dj_aspect_ratio(640, 360, r(9, 21), r(4, 3), "increase") == (640, 480)
    assert dj_aspect_ratio(640, 360, r(9, 21), r(4, 3), "decrease") == (480, 360)
    assert dj_aspect_ratio(362, 640, r(3, 4), r(21, 9), "increase") == (480, 640)
