"""Synthetic data: deterministic, valid, calibrated, and rich enough to raise every flag.

The rules of synthetic.md (coherence) are checked in test_synth_coherence.py.
"""

from __future__ import annotations

import filecmp
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SYNTHETIC

import casekit
from casekit.analysis.reference import prevent_statistics, published_share
from casekit.bundle.io import write_bundle
from casekit.cli import main
from casekit.contract import CONCERN_CATEGORIES, RUNG, STATUTORY_RESPONSES
from casekit.synth.generator import generate

SHARED_REFERENCE = ROOT.parent / "shared" / "reference" / "prevent_statistics.csv"


@pytest.fixture(scope="module")
def big() -> casekit.Casebook:
    """A larger bundle, so that shares are measured on enough cases."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_bundle(generate(seed=7, n_cases=3000), Path(tmp) / "b")
        return casekit.load(Path(tmp) / "b")


@pytest.fixture(scope="module")
def shipped() -> casekit.Casebook:
    return casekit.load(SYNTHETIC)


def test_shipped_reference_figures_match_the_shared_copy():
    if not SHARED_REFERENCE.exists():
        pytest.skip("the shared/ design folder is not beside this checkout")
    shipped = prevent_statistics()
    assert shipped.equals(pd.read_csv(SHARED_REFERENCE, dtype={"year_ending": str}))
    assert published_share("ideology", "islamist") == 13


def test_same_seed_gives_byte_identical_files(tmp_path):
    for name in ("a", "b"):
        assert main(["synth", "--out", str(tmp_path / name), "--seed", "3", "--cases", "150"]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert len(names) == 10  # nine tables and the manifest of what casekit wrote
    assert ".casekit-manifest.json" in names
    assert filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)[0] == names
    assert main(["synth", "--out", str(tmp_path / "c"), "--seed", "4", "--cases", "150"]) == 0
    assert (tmp_path / "c" / "events.csv").read_bytes() != (
        tmp_path / "a" / "events.csv"
    ).read_bytes()


def test_committed_bundle_regenerates_byte_for_byte(tmp_path):
    assert main(["synth", "--out", str(tmp_path / "again")]) == 0  # the defaults: seed 0
    names = sorted(p.name for p in SYNTHETIC.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(SYNTHETIC, tmp_path / "again", names, shallow=False)
    assert (mismatch, errors) == ([], []), "run `make data` and commit data/synthetic"


def test_shipped_bundle_is_valid_complete_and_sized(shipped):
    assert shipped.notes == []  # not even a warning
    assert len(shipped.teams) == 6
    assert 300 <= len(shipped.cases) <= 500
    for table, frame in shipped.tables.items():
        assert len(frame) > 0, table
    radical = shipped.cases["concern_flags"].map(lambda f: "radicalisation" in f)
    assert radical.mean() == pytest.approx(0.15, abs=0.01)  # DEFAULT_RADICALISATION_SHARE


@pytest.mark.parametrize("share", [0.05, 0.3, 1])
def test_radicalisation_share_is_a_parameter(tmp_path, share):
    out = tmp_path / "b"
    args = ["synth", "--out", str(out), "--cases", "200", "--radicalisation-share", str(share)]
    assert main(args) == 0
    cases = casekit.load(out).cases
    radical = cases["concern_flags"].map(lambda f: "radicalisation" in f)
    assert radical.sum() == round(200 * share)  # exactly, by quota
    assert (cases.loc[~radical, "ideology"].isna()).all()


def test_calibrated_to_prevent_statistics(big):
    def ref(measure: str, group: str) -> float:
        return published_share(measure, group, "2024-03")

    cases = big.cases[big.cases["concern_flags"].map(lambda f: "radicalisation" in f)]
    n = len(cases)

    def share(series: pd.Series, value: str) -> float:
        return 100 * (series == value).sum() / len(series)

    for group in ("education", "police"):
        assert share(cases["referral_source"], group) == pytest.approx(
            ref("referral_source", group), abs=2
        )
    for group in ("no_ideology", "extreme_right_wing", "conflicted", "islamist"):
        assert share(cases["ideology"], group) == pytest.approx(ref("ideology", group), abs=2)
    born = pd.PeriodIndex(cases["child_birth_month"], freq="M")
    opened = pd.PeriodIndex(cases["opened"], freq="M")
    age = pd.Series([(o - b).n // 12 for o, b in zip(opened, born, strict=True)])
    bands = pd.cut(age, [-1, 10, 15, 17], labels=["10_and_under", "11_to_15", "16_to_17"])
    assert age.max() <= 17
    for band in ("10_and_under", "11_to_15", "16_to_17"):
        assert share(bands.astype(str), band) == pytest.approx(ref("age_under_18", band), abs=2)
    assert share(cases["child_gender"].astype(str), "male") == pytest.approx(90, abs=2)
    channel = big.decisions.loc[big.decisions["response"] == "channel_support", "case_id"]
    assert 100 * channel.nunique() / n == pytest.approx(
        ref("outcome", "adopted_as_channel_case"), abs=1
    )
    panel = big.events.loc[big.events["kind"] == "panel", "case_id"]
    assert 100 * panel.nunique() / n == pytest.approx(
        ref("outcome", "discussed_at_channel_panel"), abs=1
    )


def test_realistic_features_are_present(shipped):
    ev = shipped.events
    assert (ev["date_precision"] == "month").sum() > 0 and (
        ev["date_precision"] == "year"
    ).sum() > 0
    late = ev["recorded_on"] > ev["date"]
    assert 0.03 < late.mean() < 0.3  # some information reaches the record late
    intel = (
        ev["restricted"] & (ev["evidence"] == "intelligence") & (ev["source_agency"] == "police")
    )
    assert intel.sum() > 10
    assert (ev["kind"] == "family_group_conference").sum() > 10
    story = ev[ev["category"] != "agency_action"]  # less routine visits and agency work
    assert story["category"].isin(["protective", "aspiration"]).mean() > 0.1  # strengths
    assert (ev["kind"] == "assessment_completed").sum() > 100
    assert ev["seen_alone"].notna().sum() > 1000  # statutory visits say if the child was alone
    engagement = ev.loc[ev["category"] == "engagement", "summary"]
    assert engagement.str.contains("disguised compliance").any()
    assert engagement.str.contains("engaged well").any()
    assert set(ev["level"].astype(str)) == {"child", "family", "community"}
    assert ev["summary"].nunique() > 80  # varied narratives
    # events before the referral: the chronology does not start at the latest referral
    opened = ev["case_id"].map(shipped.cases.set_index("case_id")["opened"])
    assert (ev["date"] < opened).sum() > 20


def test_no_personal_identifiers(shipped):
    assert shipped.cases["child_birth_month"].str.fullmatch(r"\d{4}-\d{2}").all()
    text = " ".join(shipped.events["summary"]) + " ".join(shipped.supervisions["experience"])
    for word in ("Mohammed", "Jack", "Aisha", "Oliver", "born on", "DOB", "Mr ", "Mrs "):
        assert word not in text


def _escalations(cb: casekit.Casebook) -> pd.DataFrame:
    d = cb.decisions.sort_values(["case_id", "date"]).copy()
    d["rung"] = d["response"].astype(str).map(RUNG)
    d["before"] = d.groupby("case_id")["rung"].shift(fill_value=0)
    return d[d["rung"] > d["before"]]


def test_every_flag_condition_arises_at_a_plausible_rate(big):
    """Each flag's defining condition (practice.md) occurs, but is not the norm."""
    ev = big.events.set_index("event_id")
    up = _escalations(big)
    to_cin = up[up["rung"] >= RUNG["child_in_need"]]

    def cats(ids):
        return set(ev.loc[ids, "category"].astype(str)) if ids else set()

    belief_only = to_cin[
        to_cin["evidence_ids"].map(
            lambda ids: bool(ids) and not cats(ids) & set(CONCERN_CATEGORIES)
        )
    ]
    no_evidence = up[up["evidence_ids"].map(len) == 0]

    def restricted_only(ids):
        concern = [i for i in ids if ev.at[i, "category"] in CONCERN_CATEGORIES]
        return bool(concern) and all(
            ev.at[i, "restricted"] or ev.at[i, "evidence"] == "intelligence" for i in concern
        )

    restricted = up[up["evidence_ids"].map(restricted_only)]
    not_engaged = to_cin[~to_cin["family_engaged"].astype(bool)]
    police_led = big.decisions[
        big.decisions["response"].isin(STATUTORY_RESPONSES)
        & (big.decisions["lead_agency"] == "police")
    ]
    unlinked_plans = big.plan_actions[big.plan_actions["evidence_ids"].map(len) == 0]
    share = big.info_sharing
    no_basis = share[
        (share["lawful_basis"] == "not_recorded")
        | share["purpose"].isna()
        | ((share["consent"] == "not_sought") & share["not_sought_reason"].isna())
    ]
    first_assessment = (
        big.events[big.events["kind"] == "assessment"].groupby("case_id")["date"].min()
    )
    delay = (
        first_assessment.reindex(big.cases["case_id"]).to_numpy() - big.cases["opened"].to_numpy()
    )
    late = pd.Series(delay).dt.days > 14
    judged_safe = big.judgements.groupby("case_id")["safety_scale"].min() >= 7
    long_high = to_cin.groupby("case_id")["date"].min()
    candidates = judged_safe[judged_safe].index.intersection(long_high.index)

    rates = {
        "escalation_on_belief_or_views": len(belief_only) / len(up),
        "escalation_without_evidence": len(no_evidence) / len(up),
        "rests_on_restricted_intelligence": len(restricted) / len(up),
        "family_not_engaged": len(not_engaged) / len(to_cin),
        "police_led_statutory_step": len(police_led)
        / max(1, big.decisions["response"].isin(STATUTORY_RESPONSES).sum()),
        "step_down_due (candidates)": len(candidates) / len(long_high),
        "late_assessment": late.mean(),
        "plan_not_linked": len(unlinked_plans) / len(big.plan_actions),
        "sharing_without_basis": len(no_basis) / len(share),
    }
    for flag, rate in rates.items():
        assert 0.02 <= rate <= 0.5, (flag, rate)


def test_radicalisation_escalates_on_weaker_evidence_than_baseline(big):
    """The business-as-usual baseline is there to show soft policing, and it does."""
    up = _escalations(big)
    ev = big.events.set_index("event_id")["category"].astype(str)
    to_cin = up[up["rung"] >= RUNG["child_in_need"]].copy()
    to_cin["weak"] = to_cin["evidence_ids"].map(
        lambda ids: bool(ids) and not set(ev[ids]) & set(CONCERN_CATEGORIES)
    )
    radical = to_cin["case_id"].map(
        big.cases.set_index("case_id")["concern_flags"].map(lambda f: "radicalisation" in f)
    )
    weak_rad, weak_bau = to_cin[radical]["weak"].mean(), to_cin[~radical]["weak"].mean()
    assert weak_rad > weak_bau + 0.05


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cases", "1"], "--cases must be at least 2"),
        (["--end", "2099-01-01"], "is in the future"),
        (["--start", "2024-01-01", "--end", "2023-01-01"], "at least 180 days apart"),
        (["--teams", "100"], "--teams must be from 1 to 99"),
        (["--radicalisation-share", "0"], "--radicalisation-share must be a number above 0"),
        (["--radicalisation-share", "1.5"], "at most 1, such as 0.15 (got 1.5)"),
        (["--radicalisation-share", "-0.2"], "--radicalisation-share must be a number above 0"),
        (["--radicalisation-share", "nan"], "--radicalisation-share must be a number above 0"),
    ],
)
def test_bad_settings_are_explained(tmp_path, capsys, args, message):
    assert main(["synth", "--out", str(tmp_path / "x"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_bad_argument_syntax_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["synth", "--out", str(tmp_path / "x"), "--start", "1 April 2024"])
    assert info.value.code == 2
    assert "write it as YYYY-MM-DD" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["synth", "--out", str(tmp_path / "x"), "--radicalisation-share", "15%"])
    assert info.value.code == 2
    assert "--radicalisation-share" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_existing_output_is_never_clobbered_without_overwrite(tmp_path, capsys):
    out = tmp_path / "data"
    assert main(["synth", "--out", str(out), "--cases", "50"]) == 0
    before = (out / "cases.csv").read_bytes()
    assert main(["synth", "--out", str(out), "--cases", "60"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / "cases.csv").read_bytes() == before
    assert main(["synth", "--out", str(out), "--cases", "60", "--overwrite"]) == 0
    assert len(casekit.load(out).cases) == 60
    assert not list(tmp_path.glob(".data.*"))  # no staging folder left behind


@pytest.mark.parametrize("form", ["xlsx", "parquet"])
def test_other_forms_are_valid(tmp_path, form):
    out = tmp_path / ("b.xlsx" if form == "xlsx" else "b")
    assert main(["synth", "--out", str(out), "--cases", "40", "--form", form]) == 0
    assert len(casekit.load(out).cases) == 40


def test_generated_tables_make_the_same_casebook_in_memory_as_through_a_bundle(tmp_path):
    from casekit.bundle.casebook import from_tables

    tables = generate(seed=3, n_cases=120)
    in_memory = from_tables(tables, "synthetic")
    through_files = casekit.load(write_bundle(tables, tmp_path / "b"))
    assert in_memory.tables.keys() == through_files.tables.keys()
    for name, frame in through_files.tables.items():
        pd.testing.assert_frame_equal(in_memory.tables[name], frame, check_exact=True)
    broken = {**tables, "events": tables["events"].assign(date="2024-13-01")}
    with pytest.raises(casekit.BundleInvalid, match="date"):
        from_tables(broken, "synthetic")


def test_the_demo_store_of_an_installed_casekit_holds_the_synthetic_data(tmp_path, monkeypatch):
    import casekit.synth.example as example
    import casekit.widgets.app as app

    monkeypatch.setattr(example, "checkout", lambda: None)  # as from a wheel
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    store = app.demo_store(tmp_path / "cache" / "casekit" / "demo.sqlite")
    try:
        made = store.casebook()
    finally:
        store.close()
    expected = casekit.load(write_bundle(generate(), tmp_path / "b"))
    for name, frame in expected.tables.items():
        pd.testing.assert_frame_equal(made.tables[name], frame, check_exact=True)
    # made from the one example bundle the notebooks read too, not generated a second time
    assert (tmp_path / "cache" / "casekit" / "synthetic" / "cases.csv").is_file()
