"""Re-thresholding: a new recipe's filter thresholds applied to a job's stored stats, nothing recomputed.

Every clip that reached a filter keeps the stats it was judged on (accepted or not), and
``Filter.decide`` is pure, so a curation team can re-cut the dataset at new thresholds from the
records alone. What the stored stats cannot answer is refused or flagged, never guessed:

* a new op, a removed or changed mapper (split/resize/caption parameters), or a changed filter
  parameter that ``decide`` does not read (a model, a frame count, a motion resize) would change the
  stats or the clips themselves: an error naming the op;
* a clip the new thresholds would accept but that never reached a later filter (no stats for it) or
  never went through a later mapper (not resized, not captioned) "needs recompute": it is reported,
  kept out of the manifest, and the hint says how to recompute.

Pure compute over manifest lines (``manifest.collect``'s output); ``vidsift export --recipe`` is the
wrapper that reads the job and writes the files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from .jobs import sort_key
from .ops.base import STAGES, Filter, FilterParams
from .outcomes import ErrorType
from .recipe import OpSpec, Recipe

# Parameters every filter has that never change a stat: data-juicer scheduling hints, the data keys,
# and any_or_all (one video per clip, so 'any' and 'all' agree).
NEUTRAL_PARAMS = frozenset(FilterParams.model_fields)
# Keys a rejected line carries on top of a manifest line (see jobs.JobStore.reject_clip).
REJECTION_KEYS = ("stage", "op", "reason", "error_type")
RECOMPUTE = ErrorType.NEEDS_RECOMPUTE


class RethresholdError(ValueError):
    """The new recipe asks for something the stored stats cannot answer; names the op."""


@dataclass(frozen=True)
class Change:
    """One filter whose thresholds differ from the stored recipe's (``new`` is None when it was removed)."""

    key: str  # the op's name, with '#n' for its n-th repeat in a recipe
    old: OpSpec
    new: OpSpec | None
    params: dict[str, tuple[Any, Any]]  # parameter -> (stored value, new value)

    def describe(self) -> str:
        if self.new is None:
            return f"{self.key}: removed"
        return f"{self.key}: " + ", ".join(f"{p} {_fmt(a)} -> {_fmt(b)}" for p, (a, b) in self.params.items())


@dataclass
class Result:
    accepted: list[dict]
    rejected: list[dict]
    changes: list[Change]
    counts: dict[str, Any] = field(default_factory=dict)  # the summary's "rethreshold" section


def _fmt(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _keyed(recipe: Recipe) -> dict[str, OpSpec]:
    """Ops by name; a repeated op gets '#2', '#3'... so the n-th repeat pairs with the n-th repeat."""
    seen: Counter = Counter()
    out = {}
    for spec in recipe.ops:
        seen[spec.name] += 1
        out[spec.name if seen[spec.name] == 1 else f"{spec.name}#{seen[spec.name]}"] = spec
    return out


def _is_filter(spec: OpSpec) -> bool:
    return issubclass(spec.cls, Filter)


class _Reads:
    """Stands in for an op's params and notes which of them are read."""

    def __init__(self, params):
        self._params, self.names = params, set()

    def __getattr__(self, name):
        self.names.add(name)
        return getattr(self._params, name)


def decision_params(spec: OpSpec, samples: Iterable[dict]) -> set[str]:
    """The parameters ``decide`` reads; changing any other one may change the stats themselves.

    Read off ``decide`` itself rather than listed per filter, so a new filter needs no entry here.
    A filter that skips reading a threshold on some path only makes this stricter (a refused
    change, never a silently wrong export).
    """
    op = spec.cls(spec.params)
    reads = _Reads(spec.params)
    op.params = reads
    for stats in samples:
        op.decide(stats)
    return reads.names


def has_stats(spec: OpSpec, stats: dict) -> bool:
    """Whether the op's stats were computed for this clip (a stored None was computed: it failed)."""
    return all(k in stats for k in spec.cls.stat_keys)


def plan(stored: Recipe, new: Recipe, lines: list[dict]) -> list[Change]:
    """The filters whose thresholds changed; raises RethresholdError for anything else that changed."""
    old_ops, new_ops = _keyed(stored), _keyed(new)
    added = [k for k in new_ops if k not in old_ops]
    if added:
        raise RethresholdError(
            f"op {added[0]} is not in the stored recipe, so its stats were never computed; "
            "run the new recipe instead (vidsift run ... --recipe NEW.yaml --out NEW_DIR)")
    old_mappers = [k for k, s in old_ops.items() if not _is_filter(s)]
    new_mappers = [k for k, s in new_ops.items() if not _is_filter(s)]
    if old_mappers != new_mappers:
        gone = [k for k in old_mappers if k not in new_mappers]
        raise RethresholdError(
            f"op {(gone or old_mappers)[0]} is removed or moved: mappers make the clips, so the stored stats "
            "would not describe the new recipe's clips; run the new recipe instead")
    stats = [l["__dj__stats__"] for l in lines if "clip" in l]
    changes = []
    for key, old in old_ops.items():
        spec = new_ops.get(key)
        if spec is None:  # only filters get here: dropping one is the loosest threshold
            changes.append(Change(key, old, None, {}))
            continue
        a, b = old.params.model_dump(mode="json"), spec.params.model_dump(mode="json")
        diff = {p: (a.get(p), b.get(p)) for p in sorted(set(a) | set(b)) if a.get(p) != b.get(p)}
        if not _is_filter(old):
            if diff:
                raise RethresholdError(
                    f"op {key} ({old.stage} stage) changed {', '.join(diff)}: that changes the clips, not a "
                    "threshold; run the new recipe instead (vidsift run ... --recipe NEW.yaml --out NEW_DIR)")
            continue
        diff = {p: v for p, v in diff.items() if p not in NEUTRAL_PARAMS}
        if not diff:
            continue
        samples = [{}, next((s for s in stats if has_stats(old, s)), {})]  # a missing stat, a real one
        thresholds = decision_params(old, samples) | decision_params(spec, samples)
        computed = [p for p in diff if p not in thresholds]
        if computed:
            raise RethresholdError(
                f"op {key} changed {', '.join(computed)}: not a threshold but how its stats are computed, "
                "so the stored stats do not apply; run the new recipe instead")
        if stats and not any(has_stats(old, s) for s in stats):
            raise RethresholdError(
                f"op {key}: no clip of this job has its stats ({', '.join(old.cls.stat_keys)}), "
                "so it cannot be re-thresholded; run the new recipe instead")
        changes.append(Change(key, old, spec, diff))
    return changes


def _first_rejection(filters: list[OpSpec], ops: dict, stats: dict):
    """(op, decision) of the first computed rejection, else None; and the filters lacking stats before it.

    A computed rejection is final whatever else is missing: all filters must keep a clip.
    """
    missing = []
    for spec in filters:
        if not has_stats(spec, stats):
            missing.append(spec)
            continue
        d = ops[spec.index].decide(stats)
        if not d.keep:
            return (spec, d), missing
    return None, missing


def _strip(line: dict) -> dict:
    return {k: v for k, v in line.items() if k not in REJECTION_KEYS}


def _judge(line: dict, was_accepted: bool, new: Recipe, filters: list[OpSpec], ops: dict) -> tuple[str, dict]:
    """(status, output line) of one clip under the new recipe: accepted, rejected or needs recompute."""
    stats = line["__dj__stats__"]
    rejection, missing = _first_rejection(filters, ops, stats)
    if rejection is not None:
        spec, d = rejection
        if not was_accepted and line.get("op") == spec.name and line.get("reason") == d.reason:
            return "rejected", line  # the stored decision stands
        return "rejected", {**_strip(line), "stage": spec.stage, "op": spec.name, "reason": d.reason}
    if not was_accepted:
        # Its stages ended at the rejection: every later mapper (resize, caption) never ran on it.
        after = STAGES[STAGES.index(line["stage"]) + 1:]
        missing += [s for s in new.ops if s.stage in after and not _is_filter(s)]
    if missing:
        names = ", ".join(s.name for s in missing)
        return RECOMPUTE, {**_strip(line), "stage": missing[0].stage, "op": missing[0].name, "error_type": RECOMPUTE,
                           "reason": f"needs recompute: the new thresholds accept it, but it never went through {names}"}
    return "accepted", line if was_accepted else _strip(line)


def rethreshold(stored: Recipe, new: Recipe, accepted: list[dict], rejected: list[dict],
                recompute_hint: str = "") -> Result:
    """Re-decide every clip that reached a filter; failed inputs and failed clips pass through as stored."""
    changes = plan(stored, new, accepted + rejected)
    filters = [s for s in new.ops if _is_filter(s)]
    ops = {s.index: s.cls(s.params) for s in filters}
    old_ops = {c.key: c.old.cls(c.old.params) for c in changes}
    old_filters = {s.name for s in stored.ops if _is_filter(s)}
    out = {"accepted": [], "rejected": [], RECOMPUTE: []}
    per_op = {c.key: Counter() for c in changes}
    moved = Counter()

    for line, was_accepted in [(l, True) for l in accepted] + [(l, False) for l in rejected]:
        # Failed inputs, infrastructure failures and non-filter rejections hold no decision to redo.
        if "clip" not in line or (not was_accepted and (line.get("error_type") or line.get("op") not in old_filters)):
            out["rejected"].append(line)
            continue
        status, out_line = _judge(line, was_accepted, new, filters, ops)
        out[status].append(out_line)
        moved["added" if not was_accepted and status == "accepted" else
              "removed" if was_accepted and status != "accepted" else "same"] += 1
        stats = line["__dj__stats__"]
        for c in changes:
            # An op's own count: clips it decides differently on whose fate changed (overlapping across ops).
            old_keep = old_ops[c.key].decide(stats).keep if has_stats(c.old, stats) else None
            new_keep = c.new is None or (ops[c.new.index].decide(stats).keep if has_stats(c.new, stats) else None)
            if was_accepted and status == "rejected" and new_keep is False:
                per_op[c.key]["removes"] += 1
            elif not was_accepted and old_keep is False and new_keep and status != "rejected":
                per_op[c.key]["adds" if status == "accepted" else RECOMPUTE] += 1

    recompute = out[RECOMPUTE]
    counts = {
        "stored_recipe_id": stored.id,
        "recipe_id": new.id,
        "changes": {c.key: {"params": {p: list(v) for p, v in c.params.items()} if c.new else "removed",
                            **{k: per_op[c.key][k] for k in ("adds", "removes", RECOMPUTE)}} for c in changes},
        "accepted_before": len(accepted),
        "accepted_after": len(out["accepted"]),
        "added": moved["added"],
        "removed": moved["removed"],
        RECOMPUTE: len(recompute),
        "recompute_sources": sorted({l["clip"]["source"] for l in recompute}),
        **({"recompute_hint": recompute_hint} if recompute and recompute_hint else {}),
    }
    rejected_out = sorted(out["rejected"] + recompute, key=sort_key)
    return Result(sorted(out["accepted"], key=sort_key), rejected_out, changes, counts)


def report_lines(result: Result) -> list[str]:
    """What `vidsift export --recipe` prints: one line per changed op, then the totals."""
    c = result.counts
    if not result.changes:
        return ["no threshold changed: the export equals the stored decisions"]
    out = []
    for ch in result.changes:
        n = c["changes"][ch.key]
        more = f" ({n[RECOMPUTE]} more need recompute)" if n[RECOMPUTE] else ""
        out.append(f"{ch.describe()}: +{n['adds']} -{n['removes']} clips{more}")
    overlap = "; a clip crossing several changed thresholds counts under each" if len(result.changes) > 1 else ""
    out.append(f"manifest: {c['accepted_before']} -> {c['accepted_after']} clips (+{c['added']} -{c['removed']}){overlap}")
    if c[RECOMPUTE]:
        out.append(f"{c[RECOMPUTE]} clip(s) need recompute (kept out of the manifest, listed in the rejected file "
                   f"with error_type {RECOMPUTE!r}) from {len(c['recompute_sources'])} source(s)"
                   + (f"; {c['recompute_hint']}" if c.get("recompute_hint") else ""))
    return out
