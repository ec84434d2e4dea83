"""Is a range task's scene detection exact? A certificate for ContentDetector's flash filter.

A range task starts its detector fresh a warm-up before the range. From the second warm-up frame on,
ContentDetector's frame scores equal a whole-source pass's (a score depends on two adjacent frames
only), so the two runs can differ only through the flash filter's state at the warm-up start: the
last frame above the threshold, whether a cut was ever emitted, and an unfinished merge. Those are
few: ``FlashShadow`` runs PySceneDetect's MERGE rule (``FlashFilter._filter_merge``, replicated
here) from *every* state the whole pass could be in, on the same above-threshold flags. If every one
of them emits the same cuts in the span the task uses, the task's cuts are the whole pass's cuts,
whatever came before the warm-up. Usually the states merge after the first two well-separated cuts
(the shadow then stops); a chain of above-threshold frames closer than min_scene_len that spans the
warm-up can keep them apart, and the task then reports itself inexact (the caller rescans from 0).
"""

from __future__ import annotations

State = tuple[int, bool, bool, int]  # last above, merge enabled, merge triggered, merge start (-1 if not)


def supports(detector) -> bool:
    """A detector whose state the shadow models: ContentDetector with a frame-count MERGE filter."""
    from scenedetect.detector import FlashFilter
    from scenedetect.detectors import ContentDetector

    flash = getattr(detector, "_flash_filter", None)
    return (type(detector) is ContentDetector and flash is not None and flash._mode == FlashFilter.Mode.MERGE
            and flash._filter_secs is None)


def above_threshold(detector) -> bool:
    """What the detector just fed its flash filter (ContentDetector.process_frame's comparison)."""
    return detector._frame_score is not None and detector._frame_score >= detector._threshold


def step(state: State, t: int, above: bool, length: int) -> tuple[State, int | None]:
    """One frame of FlashFilter._filter_merge on frame indices: (new state, emitted cut or None)."""
    last, enabled, triggered, start = state
    met = t - last >= length
    if above:
        last = t
    if triggered:
        if met and not above and last - start >= length:
            return (last, enabled, False, -1), last
        return (last, enabled, True, start), None
    if not above:
        return (last, enabled, False, -1), None
    if met:
        return (last, True, False, -1), t
    if enabled:
        return (last, enabled, True, t), None
    return (last, enabled, False, -1), None


class FlashShadow:
    """Every whole-pass filter state after warm-up frame ``w``, each with the cuts it emits from ``own``."""

    def __init__(self, w: int, own: int, length: int):
        self.length, self.own = length, own
        lo = w - length  # an older last-above frame behaves the same for every frame after w
        states: set[State] = {(la, en, False, -1) for la in range(lo, w + 1) for en in (False, True)}
        # A merge in progress: its start matters only as "a min_scene_len before last-above, or not".
        states |= {(la, True, True, ms) for la in range(lo, w + 1) for ms in range(la - length, la + 1)}
        self.items: set[tuple[State, tuple[int, ...]]] = {(s, ()) for s in states}
        self.synced = length <= 0  # a disabled filter keeps no state

    def feed(self, t: int, above: bool) -> None:
        if self.synced:
            return
        items = set()
        for state, cuts in self.items:
            new, cut = step(state, t, above, self.length)
            items.add((new, cuts + (cut,) if cut is not None and cut >= self.own else cuts))
        self.items = items
        if len({s for s, _ in items}) == 1 and len({c for _, c in items}) == 1:
            self.synced = True  # one state and one history: identical from here on

    def exact(self, upto: int) -> bool:
        """True if every possible whole pass emits the same cuts in [own, upto]."""
        return len({tuple(c for c in cuts if c <= upto) for _, cuts in self.items}) == 1
