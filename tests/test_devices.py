"""One device and dtype choice for every service's torch models (vidsift.devices)."""

import pytest

from vidsift.devices import choose_dtype, pick_device, pick_dtype


@pytest.mark.parametrize("requested, device, bf16, want", [
    ("auto", "cpu", False, "float32"),
    ("auto", "cuda", True, "bfloat16"),
    ("auto", "cuda:1", False, "float16"),  # e.g. T4/V100: no bf16
    ("bfloat16", "cuda", False, "float16"),
    ("bfloat16", "cuda", True, "bfloat16"),
    ("float32", "cuda", False, "float32"),  # data-juicer's precision is never changed
    ("float16", "cuda", True, "float16"),
    ("bfloat16", "cpu", False, "bfloat16"),  # CPUs run bf16 (slowly); asked for, kept
])
def test_choose_dtype(requested, device, bf16, want):
    assert choose_dtype(requested, device, bf16) == want


def test_choose_dtype_refuses_unknown_names():
    with pytest.raises(ValueError, match="expected auto"):
        choose_dtype("fp8", "cuda", True)


def test_pick_on_this_machine():
    torch = pytest.importorskip("torch")
    assert pick_device("cpu") == "cpu" and pick_device() == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_dtype("auto", "cpu") is torch.float32
    assert pick_dtype("float32", "cuda") is torch.float32
