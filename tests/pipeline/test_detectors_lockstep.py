"""The run's lockstep detector over the role groups of a vocabulary-free run."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import polars as pl

from ringlens.config import Config
from ringlens.graph import build_graph
from ringlens.pipeline.coverage import family_roles
from ringlens.pipeline.detectors.lockstep import Lockstep
from ringlens.pipeline.registry import DetectInput, Family
from ringlens.pipeline.vocabulary import Vocabulary, graph_roles

T = datetime(2026, 6, 1, tzinfo=UTC)


def _two_rings() -> pl.DataFrame:
    """Two actions no vocabulary names: six accounts ``zap`` two items together on two
    days, six others ``zip`` two other items together on two other days; a busy crowd
    zaps and zips popular items all month."""
    rows = []
    for action, ring, items, days in (
        ("zap", "a", ("p1", "p2"), (3, 17)),
        ("zip", "b", ("q1", "q2"), (5, 21)),
    ):
        for i in range(6):
            for item in items:
                for d in days:
                    rows.append((f"{ring}{i}", action, item, T + timedelta(days=d, minutes=3 * i)))
        rows += [
            (f"h{k % 40}", action, f"pop{k % 5}", T + timedelta(minutes=37 * k))
            for k in range(1100)
        ]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_id", "ts"], orient="row")
    return ev.with_columns(actor_type=pl.lit("user"), target_type=pl.lit("thing"))


def test_unmapped_actions_keep_their_groups_apart() -> None:
    graph = build_graph(_two_rings())
    fam = family_roles(graph.families(), Vocabulary.from_tables({}, {}))
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    found = Lockstep().detect(inp)
    groups = found.candidates.group_by("candidate").agg(pl.col("key").sort()).sort("candidate")
    # group 0 of each action: one candidate per ring, not one candidate for both
    assert groups["key"].to_list() == [
        [f"user:a{i}" for i in range(6)],
        [f"user:b{i}" for i in range(6)],
    ]
    assert groups["candidate"].to_list() == ["lockstep_unmapped:zap/0", "lockstep_unmapped:zip/0"]
    assert found.counts["lockstep_unmapped"] == 2


def test_a_groups_targets_carry_the_scale_it_was_found_at() -> None:
    # the ring stage measures a ring's synchrony at the scale lockstep found it
    # (rings.core._ring_scales): each target of a group carries the group's best window
    from ringlens.pipeline.registry import Found

    graph = build_graph(_two_rings())
    fam = family_roles(graph.families(), Vocabulary.from_tables({}, {}))
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    found = Found.concat([Lockstep().detect(inp)])
    targets = found.targets.sort("candidate", "key")
    assert targets.columns == ["detector", "candidate", "key", "window"]
    assert targets["key"].to_list() == ["thing:p1", "thing:p2", "thing:q1", "thing:q2"]
    windows = targets["window"].to_list()
    assert all(w is not None and w > 0 for w in windows)
    # the window is a scale of the run's ladder, the same for every target of a group
    assert windows[0] == windows[1] and windows[2] == windows[3]
    # a detector without time scales has none
    no_scale = Found.concat(
        [Found(targets=pl.DataFrame({"detector": ["x"], "candidate": ["0"], "key": ["thing:p1"]}))]
    )
    assert no_scale.targets["window"].to_list() == [None]


def _a_cafe() -> pl.DataFrame:
    """Four hundred accounts sign in on phones of their own; thirty students sign in on
    the three machines of a school lab together at nine every weekday for three weeks;
    everyone zaps popular items now and then. No vocabulary names anything."""
    rows = []
    for i in range(400):
        rows += [
            (f"h{i}", "sign_in", "machine", f"phone{i}", T + timedelta(hours=7 * i + d * 24))
            for d in range(0, 21, 4)
        ]
    for d in (d for d in range(21) if d % 7 < 5):
        for s in range(30):
            at = T + timedelta(days=d, hours=9, minutes=s % 5)
            rows.append((f"s{s}", "sign_in", "machine", f"lab{s % 3}", at))
    rows += [
        (
            f"h{k % 400}" if k % 3 else f"s{k % 30}",
            "zap",
            "thing",
            f"pop{k % 5}",
            T + timedelta(minutes=37 * k),
        )
        for k in range(1100)
    ]
    ev = pl.DataFrame(
        rows, schema=["actor_id", "action", "target_type", "target_id", "ts"], orient="row"
    )
    return ev.with_columns(actor_type=pl.lit("user"))


def test_signing_in_together_on_a_labs_machines_is_no_lockstep() -> None:
    # by the data's shape "sign_in" is device use (every account has a machine of its
    # own): a class signing in at nine is what the lab is for, as a mapped login would be
    graph = build_graph(_a_cafe())
    fam = family_roles(graph.families(), Vocabulary.from_tables({}, {}))
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    assert inp.roles.type_role.get("machine") == "device"
    assert [f.actions for f in Lockstep().families(inp)] == [("zap",)]
    assert Lockstep().detect(inp).candidates.height == 0


def test_a_group_of_a_third_of_the_roles_accounts_is_the_platforms_rhythm() -> None:
    # what lockstep found on a forum whose readers follow the same viral threads: a
    # "group" of 300 of the 400 accounts that read anything, beside a crew of six
    from ringlens.detect.lockstep import LockstepGroups
    from ringlens.pipeline.detectors._families import RoleGroup
    from ringlens.pipeline.detectors.lockstep import _without_crowds

    graph = build_graph(_two_rings())  # 46 accounts zap
    fam = family_roles(graph.families(), Vocabulary.from_tables({}, {}))
    inp = DetectInput(graph=graph, config=Config(), families=fam, roles=graph_roles(fam))
    g = RoleGroup(role="unmapped", family=Family(actions=("zap",)), events=0)
    res = LockstepGroups(
        groups=pl.DataFrame({"group": [0, 1], "n_actors": [18, 6]}),
        members=pl.DataFrame({"group": [0] * 18 + [1] * 6, "key": [f"k{i}" for i in range(24)]}),
        bursts=pl.DataFrame({"group": [0, 1], "key": ["thread:viral", "thing:p1"]}),
    )
    kept = _without_crowds(inp, g, res)
    assert kept.groups["group"].to_list() == [1]
    assert kept.members["group"].unique().to_list() == [1]
    assert kept.bursts["key"].to_list() == ["thing:p1"]
    # a group of a third of them (15 of 46) is left alone
    third = replace(res, groups=pl.DataFrame({"group": [0, 1], "n_actors": [15, 6]}))
    assert _without_crowds(inp, g, third).groups["group"].to_list() == [0, 1]
