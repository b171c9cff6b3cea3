"""The open vocabulary, the run's coverage report and --strict."""

from __future__ import annotations

import json

import polars as pl
import pytest
from tests._background import own_phones, sampled_reviews
from typer.testing import CliRunner

from ringlens.cli import app
from ringlens.config import Config, load_config
from ringlens.exceptions import ConfigError
from ringlens.pipeline import detect
from ringlens.pipeline.vocabulary import Vocabulary

runner = CliRunner()


def _unmapped(fam: pl.DataFrame) -> pl.DataFrame:
    """Families as :func:`ringlens.pipeline.coverage.family_roles` gives them when the
    vocabulary names none of their names."""
    return fam.with_columns(
        action_role=pl.lit(None, pl.String),
        actor_role=pl.lit(None, pl.String),
        target_role=pl.lit(None, pl.String),
    )


def test_names_are_compared_case_and_whitespace_insensitively() -> None:
    v = Vocabulary.from_tables({"purchase": ["Check  Out"]}, {"account": ["Viewer"]})
    assert v.action_role("check out") == "purchase"
    assert v.action_role(" CHECK\tOUT ") == "purchase"
    assert v.entity_role("viewer") == "account"
    assert v.action_role("checkout") is None  # a different word stays different


def test_a_name_with_two_roles_or_an_unknown_role_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"'Gift' has two roles"):
        Config.from_mapping({"vocabulary": {"actions": {"gift": ["gift"], "purchase": ["Gift"]}}})
    with pytest.raises(ConfigError, match=r"vocabulary.entities: unknown role 'user'"):
        Config.from_mapping({"vocabulary": {"entities": {"user": ["u"]}}})
    with pytest.raises(ConfigError, match=r"vocabulary.actions.gift: expected a list of names"):
        Config.from_mapping({"vocabulary": {"actions": {"gift": "tip"}}})


def test_a_given_table_replaces_the_default_one(tmp_path) -> None:
    f = tmp_path / "vocab.toml"
    f.write_text('[actions]\npurchase = ["checkout"]\n')
    cfg = load_config(vocabulary=f, env={}, cwd=False)
    v = Vocabulary.from_settings(cfg.vocabulary)
    assert v.action_role("checkout") == "purchase"
    assert v.action_role("order") is None  # the default actions table is replaced ...
    assert v.entity_role("buyer") == "account"  # ... the entities table is not
    bad = tmp_path / "bad.toml"
    bad.write_text('[vocabulary.actions]\npurchase = ["x"]\n[graph]\nmax_target_degree = 3\n')
    with pytest.raises(ConfigError, match="expected a \\[vocabulary\\] table"):
        load_config(vocabulary=bad, env={}, cwd=False)


def _renamed(demo_events: pl.DataFrame) -> pl.DataFrame:
    return demo_events.with_columns(
        pl.col("action").replace({"order": "Buy Now", "like": "heart"}),
    )


def test_coverage_reports_unmapped_actions_and_strict_stops(tmp_path, demo_dir) -> None:
    ev = _renamed(pl.read_parquet(demo_dir / "events.parquet"))
    d = tmp_path / "in"
    d.mkdir()
    ev.write_parquet(d / "events.parquet")
    out = tmp_path / "out"
    r = runner.invoke(app, ["score", str(d), "--out", str(out), "--no-views", "-q"])
    assert r.exit_code == 0, r.output
    cov = json.loads((out / "run.json").read_text())["coverage"]
    assert cov["unmapped_actions"] == ["buy now", "heart"]  # names as the graph keeps them
    assert cov["events"] == ev.height
    fams = {(f["actor_type"], f["action"], f["target_type"]): f for f in cov["families"]}
    assert fams[("buyer", "buy now", "product")]["action_role"] is None
    assert fams[("buyer", "comment", "content")]["action_role"] == "engagement"
    # --strict: one line, exit 2, nothing written
    out2 = tmp_path / "strict"
    r = runner.invoke(app, ["score", str(d), "--out", str(out2), "--strict"])
    assert r.exit_code == 2
    assert "vocabulary.strict: action(s) not in the vocabulary: buy now, heart" in r.output
    assert not (out2 / "run.json").exists()
    # the same names mapped: nothing unmapped
    vocab = tmp_path / "v.toml"
    vocab.write_text(
        '[vocabulary.actions]\npurchase = ["buy now"]\nengagement = ["HEART", "comment", "share"]\n'
        'click = ["affiliate_click"]\nfollow = ["follow"]\nlogin = ["login"]\n'
        'payout = ["payout_to"]\nown = ["post", "list", "promote"]\nreview = ["review"]\n'
    )
    r = runner.invoke(
        app, ["score", str(d), "--out", str(out2), "--strict", "--vocabulary", str(vocab), "-q"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads((out2 / "run.json").read_text())["coverage"]["unmapped_actions"] == []


def test_every_family_of_the_demo_reaches_a_detector(small_synth) -> None:
    from ringlens.graph import build_graph

    det = detect(build_graph(small_synth.events))
    cov = det.coverage.to_dict()
    assert cov["uncovered_actions"] == [] and cov["unmapped_actions"] == []
    assert cov["events_covered"] == cov["events"] == small_synth.events.height


def test_an_action_is_ownership_by_its_shape_over_all_its_families() -> None:
    # merchants list listings (each once) and a few of them browse others' listings about
    # once each; shoppers browse the same listings a hundred thousand times: "browse" is
    # viewing, not ownership, whatever its merchants' family alone looks like
    from ringlens.pipeline.vocabulary import graph_roles

    fam = pl.DataFrame(
        {
            "actor_type": ["merchant", "merchant", "shopper"],
            "action": ["publish", "browse", "browse"],
            "target_type": ["listing"] * 3,
            "events": [3000, 130, 103_000],
            "actors": [320, 37, 8000],
            "targets": [3000, 114, 2700],
            "action_role": [None] * 3,
            "actor_role": [None] * 3,
            "target_role": [None] * 3,
        }
    )
    r = graph_roles(fam)
    assert r.action_role.get("publish") == "own" and "browse" not in r.action_role


def test_owners_featuring_others_targets_is_ownership_without_a_vocabulary() -> None:
    # hosts go live (their own lives) and pin shops' items (stocked by the shops); viewers
    # watch and buy: "pin" is how a vocabulary maps it, ownership, and never an
    # interaction whose co-occurrence links the hosts of one agency
    from ringlens.pipeline.vocabulary import graph_roles

    fam = pl.DataFrame(
        {
            "actor_type": ["host", "shop", "host", "viewer", "viewer"],
            "action": ["go_live", "stock", "pin", "watch", "buy"],
            "target_type": ["live", "item", "item", "live", "item"],
            "events": [1600, 800, 8300, 82_000, 14_000],
            "actors": [130, 67, 133, 12_000, 5700],
            "targets": [1600, 800, 645, 1650, 734],
            "action_role": [None] * 5,
            "actor_role": [None] * 5,
            "target_role": [None] * 5,
        }
    )
    r = graph_roles(fam)
    assert [r.action_role.get(a) for a in ("go_live", "stock", "pin", "watch", "buy")] == [
        "own",
        "own",
        "own",
        None,
        None,
    ]


def test_listeners_who_own_a_card_do_not_make_plays_ownership_without_a_vocabulary() -> None:
    # a few hundred listeners keep a payment card (each its own: ownership by shape), and
    # artists release tracks; the twenty thousand who play and stash the artists' tracks are
    # not those few owners featuring others' targets: playing is engagement
    from ringlens.pipeline.vocabulary import graph_roles

    fam = pl.DataFrame(
        {
            "actor_type": ["artist", "listener", "listener", "listener", "listener"],
            "action": ["drop", "add_card", "enroll", "play", "stash"],
            "target_type": ["track", "card", "card", "track", "track"],
            "events": [2400, 840, 900, 680_000, 35_000],
            "actors": [380, 830, 700, 23_000, 12_000],
            "targets": [2400, 840, 300, 34_000, 12_500],
            "action_role": [None] * 5,
            "actor_role": [None] * 5,
            "target_role": [None] * 5,
        }
    )
    r = graph_roles(fam)
    assert [r.action_role.get(a) for a in ("drop", "add_card", "play", "stash")] == [
        "own",
        "own",
        None,
        None,
    ]


def test_using_a_device_is_not_an_interaction_without_a_vocabulary() -> None:
    # shoppers authenticate on fingerprints and settle to cards (types the data's shape
    # shows as personal attributes) and buy and redeem promos: without names, the first two
    # are not what ring significance tests co-interaction on; redeeming a shared promo is
    from datetime import UTC, datetime

    from ringlens.graph import build_graph
    from ringlens.pipeline.vocabulary import graph_roles
    from ringlens.rings.features import interaction_actions

    rows = []
    for i in range(40):
        rows += [
            (f"s{i}", "auth", "fp", f"f{i}"),
            (f"s{i}", "settle", "card", f"c{i // 2}"),
            (f"s{i}", "buy", "listing", f"l{i % 7}"),
            (f"s{i}", "redeem", "promo", f"p{i % 3}"),
        ]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_type", "target_id"], orient="row")
    ev = ev.with_columns(actor_type=pl.lit("shopper"), ts=datetime(2024, 1, 1, tzinfo=UTC))
    g = build_graph(ev)
    fam = _unmapped(g.families())
    roles = graph_roles(fam)
    assert roles.type_role.get("fp") == "device" and roles.type_role.get("card") == "device"
    assert roles.structural_actions(g.families()) == ("auth", "settle")
    assert interaction_actions(g, roles) == ["buy", "redeem"]


def test_lobbies_players_join_by_the_dozen_are_no_device_without_a_vocabulary() -> None:
    # players boot the game on their own rig and join lobbies of ten, each lobby once: both
    # types have as many targets as players, but a player keeps one rig and joins dozens of
    # lobbies; read as a device, every co-player would "share a device"
    from datetime import UTC, datetime

    from ringlens.graph import build_graph
    from ringlens.pipeline.vocabulary import ATTRIBUTE_SPREAD, graph_roles

    rows = [(f"u{i}", "boot", "rig", f"r{i}") for i in range(100)]
    rows += [
        (f"u{(k * 10 + j) % 100}", "join", "lobby", f"l{k}") for k in range(300) for j in range(10)
    ]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_type", "target_id"], orient="row")
    ev = ev.with_columns(actor_type=pl.lit("player"), ts=datetime(2024, 1, 1, tzinfo=UTC))
    fam = build_graph(ev).families()
    lobby = fam.filter(pl.col("target_type") == "lobby").row(0, named=True)
    assert lobby["targets"] >= 0.5 * lobby["actors"]  # as many lobbies as a device rule wants
    assert lobby["pairs"] > ATTRIBUTE_SPREAD * lobby["actors"]
    roles = graph_roles(_unmapped(fam))
    assert roles.type_role.get("rig") == "device"
    assert roles.type_role.get("lobby") is None


def test_a_household_plan_does_not_hide_that_cards_are_personal_without_a_vocabulary() -> None:
    # listeners each pay with their own card, month after month; twelve of them join three
    # household plans on other listeners' cards (four accounts a card: that family alone
    # looks like no personal attribute). Cards are still payment attributes by their
    # shape, so the shared-target detector reads them and joining a plan is no
    # co-interaction
    from datetime import UTC, datetime

    from ringlens.graph import build_graph
    from ringlens.pipeline.vocabulary import graph_roles

    rows = [(f"u{i}", "enroll", "billcard", f"c{i}") for i in range(200) for _ in range(3)]
    rows += [(f"u{i}", "join_plan", "billcard", f"c{i % 3}") for i in range(188, 200)]
    rows += [
        (f"u{i}", "play", "track", f"t{(i * 7 + k) % 60}") for i in range(200) for k in range(5)
    ]
    ev = pl.DataFrame(rows, schema=["actor_id", "action", "target_type", "target_id"], orient="row")
    ev = ev.with_columns(actor_type=pl.lit("listener"), ts=datetime(2024, 1, 1, tzinfo=UTC))
    g = build_graph(ev)
    fam = _unmapped(g.families())
    plan = fam.filter(pl.col("action") == "join_plan").row(0, named=True)
    assert plan["targets"] < 0.5 * plan["actors"]  # the plan family alone is no attribute
    roles = graph_roles(fam)
    assert roles.type_role.get("billcard") == "device" and "billcard" in roles.by_shape
    assert roles.type_role.get("track") is None
    assert roles.structural_actions(g.families()) == ("enroll", "join_plan")
    # a type most of whose accounts share a few targets is no personal attribute
    few = fam.filter(pl.col("target_type") != "billcard").vstack(
        fam.filter(pl.col("action") == "join_plan").with_columns(
            pl.lit("pass").alias("target_type")
        )
    )
    assert graph_roles(few).type_role.get("pass") is None


def test_acting_once_on_a_target_someone_made_is_not_ownership_without_a_vocabulary() -> None:
    # clients open jobs and freelancers apply; the hired freelancer delivers each job once,
    # days after it was opened. Opening and delivering both touch each job once, but only
    # opening makes the job: delivering is engagement with the client's job, and freelancers
    # who deliver for one client are no owners of its jobs
    from datetime import UTC, datetime, timedelta

    from ringlens.graph import build_graph
    from ringlens.pipeline.vocabulary import graph_roles

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for j in range(300):
        opened = t0 + timedelta(hours=5 * j)
        rows.append((f"c{j % 40}", "client", "open", f"j{j}", opened))
        rows += [
            (f"f{(j + k) % 90}", "freelancer", "apply", f"j{j}", opened + timedelta(hours=k + 1))
            for k in range(4)
        ]
        rows.append((f"f{j % 90}", "freelancer", "deliver", f"j{j}", opened + timedelta(days=3)))
    ev = pl.DataFrame(
        rows, schema=["actor_id", "actor_type", "action", "target_id", "ts"], orient="row"
    )
    g = build_graph(ev.with_columns(target_type=pl.lit("job")))
    fam = g.families()
    firsts = dict(zip(fam["action"], fam["firsts"], strict=True))
    assert firsts == {"open": 300, "deliver": 0, "apply": None}
    roles = graph_roles(_unmapped(fam))
    assert roles.action_role.get("open") == "own"
    assert roles.action_role.get("deliver") is None
    # without the counts of first events (a families frame from elsewhere) both are
    # ownership by their shape, as before the counts existed
    assert graph_roles(_unmapped(fam.drop("firsts"))).action_role.get("deliver") == "own"


def test_cards_a_few_accounts_added_in_the_app_are_still_attributes_without_a_vocabulary() -> None:
    # listeners are charged on their own cards; a few dozen added theirs through the app
    # first (each once: ownership by its shape). The cards are still personal attributes;
    # a forum's replies, every one posted by its author and voted on by a few others, stay
    # owned content, though each voter also has about his own replies
    from ringlens.graph.roles import Roles
    from ringlens.pipeline.vocabulary import graph_roles

    def roles(rows: list[tuple[str, str, str, int, int, int, int, int | None]]) -> Roles:
        names = ["actor_type", "action", "target_type", "events", "actors", "targets"]
        fam = pl.DataFrame([r[:6] for r in rows], schema=names, orient="row").with_columns(
            pairs=pl.Series([r[6] for r in rows]),
            firsts=pl.Series([r[7] for r in rows], dtype=pl.Int64),
        )
        return graph_roles(_unmapped(fam))

    cards = roles(
        [
            ("listener", "enroll", "card", 17_800, 12_600, 12_700, 12_700, None),
            ("listener", "add_card", "card", 848, 840, 840, 845, 671),
            ("listener", "play", "track", 900_000, 20_000, 30_000, 600_000, None),
        ]
    )
    assert cards.action_role.get("add_card") == "own"
    assert cards.type_role.get("card") == "device"
    replies = roles(
        [
            ("member", "post_reply", "reply", 49_900, 15_000, 49_900, 49_900, 49_900),
            ("member", "vote_up", "reply", 80_500, 30_000, 40_000, 80_000, None),
        ]
    )
    assert replies.action_role.get("post_reply") == "own"
    assert replies.type_role.get("reply") is None


def test_a_sampled_catalogue_with_a_phones_shape_is_still_the_platforms_items() -> None:
    # an export of nothing but reviews, sampled: items have few reviewers and reviewers
    # few items (the device shape), but with them read as devices no interaction would be
    # left to detect on; the same items beside a platform's real interactions are devices
    from ringlens.graph import build_graph
    from ringlens.pipeline.vocabulary import graph_roles

    ev = sampled_reviews()
    fam = build_graph(ev).families()
    one = fam.row(0, named=True)
    assert one["targets"] >= 0.5 * one["actors"] and one["pairs"] <= 4 * one["actors"]
    roles = graph_roles(_unmapped(fam))
    assert roles.type_role.get("sku") is None and not roles.by_shape
    assert roles.interaction_actions(fam) == ["rate"]
    # beside follows between the users (an interaction), the shape is believed again
    follows = ev.head(50).with_columns(
        pl.col("target_id").str.replace("^i", "u"),
        pl.lit("user").alias("target_type"),
        pl.lit("follow_user").alias("action"),
    )
    roles = graph_roles(_unmapped(build_graph(pl.concat([ev, follows])).families()))
    assert roles.type_role.get("sku") == "device"


def test_a_type_the_vocabulary_says_is_liked_is_no_device_whatever_its_shape() -> None:
    # the same sparse catalogue, rated and liked (a name the default vocabulary maps to
    # engagement), beside shoppers' own phones: the phones are devices, the skus are what
    # is liked
    from ringlens.graph import build_graph
    from ringlens.pipeline.coverage import family_roles
    from ringlens.pipeline.vocabulary import graph_roles

    ev = sampled_reviews()
    liked = ev.with_columns(pl.lit("like").alias("action"))
    phones = own_phones(ev)
    fam = build_graph(pl.concat([ev, liked, phones])).families()
    roles = graph_roles(family_roles(fam, Vocabulary.default()))
    assert roles.type_role.get("phone") == "device" and roles.by_shape == {"phone"}
    assert roles.type_role.get("sku") is None


def test_a_review_export_without_names_finds_its_ring_and_says_what_it_read_by_shape(
    tmp_path,
) -> None:
    # through the CLI, no vocabulary: the sampled review export's ring is found; a run
    # that reads a type as a device by its shape says so (summary and run.json)
    ev = sampled_reviews()
    d = tmp_path / "in"
    d.mkdir()
    ev.write_parquet(d / "events.parquet")
    out = tmp_path / "out"
    r = runner.invoke(app, ["score", str(d), "--out", str(out), "--no-views"])
    assert r.exit_code == 0, r.output
    rings = pl.read_parquet(out / "rings.parquet")
    assert rings.height >= 1
    top = set(rings.sort("risk_score", descending=True)["members"][0].to_list())
    ring = {f"user:r{u}" for u in range(20)}
    assert len(top & ring) >= 18 and len(top - ring) <= 2
    cov = json.loads((out / "run.json").read_text())["coverage"]
    assert cov["types_by_shape"] == []
    # with the users' own phones beside the reviews, the phones are read by their shape
    phones = own_phones(ev)
    pl.concat([ev, phones]).write_parquet(d / "events.parquet")
    r = runner.invoke(app, ["score", str(d), "--out", str(tmp_path / "o2"), "--no-views"])
    assert r.exit_code == 0, r.output
    cov = json.loads((tmp_path / "o2" / "run.json").read_text())["coverage"]
    assert cov["types_by_shape"] == ["phone"]
    assert "read as devices by their shape: phone" in " ".join(r.output.split())


def test_an_export_without_type_columns_is_scored_with_input_defaults(tmp_path) -> None:
    # a semicolon export of user;listing;stars;when (no types, no action): the run stops
    # with a line that names the settings; with [input.columns] and [input.defaults] the
    # ring is found and run.json says which columns the defaults gave
    ev = sampled_reviews().select(
        pl.col("actor_id").alias("user"),
        pl.col("target_id").alias("listing"),
        pl.lit("5").alias("stars"),
        pl.col("ts").dt.strftime("%d/%m/%Y %H:%M:%S").alias("when"),
    )
    src = tmp_path / "reviews.csv"
    ev.write_csv(src, separator=";")
    cfg = tmp_path / "ringlens.toml"
    cfg.write_text(
        'input.separator = ";"\ninput.timestamp_format = "%d/%m/%Y %H:%M:%S"\n'
        '[input.columns]\nactor_id = "user"\ntarget_id = "listing"\nts = "when"\n'
    )
    out = tmp_path / "out"
    r = runner.invoke(app, ["--config", str(cfg), "score", str(src), "--out", str(out)])
    assert r.exit_code == 2
    said = " ".join(r.output.split())
    assert "missing required column 'actor_type'" in said
    assert 'input.defaults.actor_type = "..."' in said
    with cfg.open("a") as fh:
        fh.write(
            '[input.defaults]\nactor_type = "user"\ntarget_type = "listing"\naction = "rate"\n'
        )
    r = runner.invoke(
        app, ["--config", str(cfg), "score", str(src), "--out", str(out), "--no-views"]
    )
    assert r.exit_code == 0, r.output
    rings = pl.read_parquet(out / "rings.parquet").sort("risk_score", descending=True)
    top = set(rings["members"][0].to_list())
    ring = {f"user:r{u}" for u in range(20)}
    assert len(top & ring) >= 18 and len(top - ring) <= 2
    report = json.loads((out / "run.json").read_text())
    assert [c["column"] for c in report["ingest"]["columns_from_defaults"]] == [
        "actor_type",
        "target_type",
        "action",
    ]
    assert report["config"]["input"]["defaults"]["target_type"] == "listing"
    # what reads a run's events again reads them with the run's [input] settings: the
    # views and the workbench, and `ringlens eval`
    from ringlens.eval.evaluate import evaluate_run_dir
    from ringlens.viz.evidence import read_run

    assert read_run(out).events().collect().height == ev.height
    truth = tmp_path / "truth.csv"
    pl.DataFrame(
        {"ring_id": 0, "entity_type": "user", "entity_id": [f"r{u}" for u in range(20)]}
    ).write_csv(truth)
    assert evaluate_run_dir(out, truth).metrics["ringlens"]["ring_recall"] == 1.0
