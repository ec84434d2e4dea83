from vidsift_captioner.accounting import caption_totals


def _line(model, p, c, cost):
    return {"clip": {"id": "x", "caption": {"model": model, "prompt_tokens": p, "completion_tokens": c,
                                            "cost_usd": cost}}}


def test_totals_sum_over_lines_and_models_and_skip_uncaptioned():
    lines = [_line("a", 100, 10, 0.001), _line("a", 50, 5, 0.0005), _line("b", 7, 3, 0.0),
             {"clip": {"id": "y"}}, {"source": "file:///bad.mp4", "reason": "unreadable"}]
    totals = caption_totals(lines)
    assert (totals["clips"], totals["prompt_tokens"], totals["completion_tokens"]) == (3, 157, 18)
    assert totals["cost_usd"] == 0.0015
    assert totals["by_model"]["a"] == {"clips": 2, "prompt_tokens": 150, "completion_tokens": 15, "cost_usd": 0.0015}


def test_no_captions():
    assert caption_totals([]) == {"clips": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0,
                                  "by_model": {}}
