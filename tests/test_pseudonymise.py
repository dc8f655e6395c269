"""casekit pseudonymise: keyed, stable pseudonyms; nothing identifying survives; retention."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import write_csv_bundle

import casekit
from casekit.cli import main
from casekit.errors import CasekitError
from casekit.privacy.pseudonymise import DROPPED, pseudonym, pseudonymise_tables, read_key

KEY = bytes.fromhex("98770c0bb812cb30ef3462a1e3894abff0da3ecfd11de75d98c355b3818279b5")
OTHER = bytes.fromhex("2440c4fd9e3c05ad100a259bf87c7f6c395fed343d822f340e6aedb5cca8c2bf")
ORIGINAL_IDS = ("007", "008", "K1", "K2", "W1")
NAMES = ("Amira", "Khan", "Bob", "Smith", "Dustin", "Hazlett")


@pytest.fixture
def identifying(tmp_path, tiny) -> Path:
    """The tiny bundle with what real extracts carry: names, full birth dates, postcodes."""
    tiny["cases"][0].update(child_name="Amira Khan", date_of_birth="04/03/2010",
                            postcode="SW1A 1AA")  # fmt: skip
    tiny["cases"][1].update(child_name="Dustin\xa0Hazlett", date_of_birth="2012-11-20",
                            postcode="m1 2ab")  # fmt: skip
    tiny["events"][0]["summary"] = (
        "Amira said she met KHAN's cousin near SW1A 1AA; see also case 007 and child K1."
    )
    tiny["decisions"][0]["rationale"] = "Bob Smith (police) advised; W1 agreed."
    tiny["events"][2]["recorded_by"] = "Dustin Hazlett"
    return write_csv_bundle(tmp_path / "identifying", tiny)


def run(bundle: Path, out: Path, key: Path, *more: str) -> int:
    return main(["pseudonymise", str(bundle), "--out", str(out), "--key-file", str(key), *more])


def test_nothing_identifying_survives_anywhere(identifying, tmp_path, capsys):
    names = tmp_path / "names.txt"
    names.write_text("Bob Smith\n\n")
    out, key = tmp_path / "safe", tmp_path / "secret" / "key"
    key.parent.mkdir()
    assert run(identifying, out, key, "--new-key", "--names", str(names),
               "--names-column", "cases.child_name") == 0  # fmt: skip
    assert "keep it safe" in capsys.readouterr().out
    files = [*out.iterdir(), tmp_path / "safe-pseudonymisation.md"]
    text = "\n".join(f.read_text(encoding="utf-8") for f in files)
    for original in ORIGINAL_IDS:
        assert not re.search(rf"(?<![\w-]){original}(?![\w-])", text), original
    for name in NAMES:
        assert name.lower() not in text.lower(), name
    assert key.read_text().strip() not in text  # the key is never written out
    for raw in ("SW1A 1AA", "M1 2AB", "04/03/2010", "2010-03-04", "2012-11-20"):
        assert raw.lower() not in text.lower(), raw
    cb = casekit.load(out)  # a valid bundle, the same size
    assert len(cb.cases) == 2 and len(cb.events) == 3
    assert "child_name" not in cb.cases.columns
    assert sorted(cb.cases["date_of_birth"]) == ["2010-03", "2012-11"]
    assert sorted(cb.cases["postcode"]) == ["M1 2", "SW1A 1"]
    summary = cb.events.loc[cb.events["event_id"] == "E1", "summary"].item()
    case = cb.cases["case_id"].iloc[0]
    assert summary == (
        f"[name] said she met [name]'s cousin near SW1A 1; see also case {case} and child "
        f"{cb.cases['child_id'].iloc[0]}."
    )
    report = (tmp_path / "safe-pseudonymisation.md").read_text()
    assert "| case_id replaced by a pseudonym | 10 |" in report  # 2 cases + 8 references
    assert "| names redacted from free text | 3 |" in report  # Amira, KHAN, Bob Smith


def test_pseudonyms_are_stable_for_a_key_and_differ_between_keys(tiny_path):
    tables = casekit.load(tiny_path).canonical()
    one, _ = pseudonymise_tables(tables, KEY, retention_years=0)
    again, _ = pseudonymise_tables(tables, KEY, retention_years=0)
    other, _ = pseudonymise_tables(tables, OTHER, retention_years=0)
    assert one["cases"].equals(again["cases"]) and one["events"].equals(again["events"])
    assert not set(one["cases"]["case_id"]) & set(other["cases"]["case_id"])
    assert one["cases"]["case_id"].tolist() == [pseudonym(KEY, "case", c)
                                                 for c in ("007", "008")]  # fmt: skip
    # references stay joined: every event still belongs to its (pseudonymised) case
    assert set(one["events"]["case_id"]) <= set(one["cases"]["case_id"])


def test_retention_drops_old_closed_cases_with_all_their_records(tiny_path):
    import datetime as dt

    tables = casekit.load(tiny_path).canonical()
    kept, report = pseudonymise_tables(tables, KEY, as_of=dt.date(2030, 7, 1))
    assert dict(report.dropped) == {  # case 007 closed 2024-06-01, over 6 years before
        "cases": 1, "events": 2, "judgements": 1, "decisions": 1, "plan_actions": 1,
        "info_sharing": 1, "supervisions": 1,
    }  # fmt: skip
    assert len(kept["cases"]) == 1 and len(kept["events"]) == 1  # case 008 is open
    _, report = pseudonymise_tables(tables, KEY, as_of=dt.date(2030, 5, 1))
    assert not report.dropped  # closed 5 years 11 months before: kept
    assert "Nothing." in report.to_markdown()


def test_keys_are_handled_with_care(identifying, tmp_path, capsys):
    out, key = tmp_path / "safe", tmp_path / "key"
    assert run(identifying, out, key) == 2
    assert "no such key file. Make one with --new-key" in capsys.readouterr().err
    assert run(identifying, out, key, "--new-key") == 0
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert run(identifying, tmp_path / "again", key, "--new-key") == 2  # never overwritten
    assert "already exists" in capsys.readouterr().err
    bad = tmp_path / "bad-key"
    bad.write_text("password123")
    with pytest.raises(CasekitError, match="not a casekit key"):
        read_key(bad)
    weak = tmp_path / "weak-key"
    weak.write_text("00" * 32 + "\n")
    assert run(identifying, tmp_path / "w", weak) == 2
    assert "a weak key (only 1 distinct byte value)" in capsys.readouterr().err
    assert not (tmp_path / "w").exists() and not (tmp_path / "w-pseudonymisation.md").exists()
    assert run(identifying, tmp_path / "x", tmp_path / "x" / "key", "--new-key") == 2
    assert "keep the key apart from the data" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_bad_requests_write_nothing(identifying, tmp_path, capsys):
    key = tmp_path / "key"
    assert run(identifying, tmp_path / "a", key, "--new-key", "--names-column", "cases.nope") == 2
    assert "no such column; write it as TABLE.COLUMN" in capsys.readouterr().err
    assert run(identifying, tmp_path / "b", key, "--names", str(tmp_path / "none.txt")) == 2
    assert "no such file" in capsys.readouterr().err
    assert run(identifying, identifying, key) == 2
    assert run(tmp_path / "missing", tmp_path / "c", key) == 2
    assert not any((tmp_path / d).exists() for d in ("a", "b", "c"))


# --- every ID, in any spelling, including those of records dropped for retention -------------

RENAMED = {"007": "C00001", "008": "C-101", "W1": "W016"}
"""The tiny bundle's IDs, given the shapes real extracts use."""


def renamed_tables(tiny_path: Path) -> dict:
    """The tiny bundle as canonical tables, with case and worker IDs of several shapes."""
    return {t: f.replace(RENAMED) for t, f in casekit.load(tiny_path).canonical().items()}


def survives(original: str, text: str) -> bool:
    """Whether ``original`` is in ``text`` in any spelling (an oracle apart from the code's own).

    Its runs of letters and digits, in any case, with up to three spaces, hyphens or
    underscores between them, as whole words.
    """
    runs = re.findall(r"[^\W\d_]+|\d+", original)
    body = r"[\s_-]{0,3}".join(map(re.escape, runs))
    return re.search(rf"(?<![^\W_]){body}(?![^\W_])", text, re.IGNORECASE) is not None


def all_text(tables: dict) -> str:
    return "\n".join(f.to_csv(index=False) for f in tables.values())


@pytest.mark.parametrize(
    ("original", "spelled"),
    [
        ("C00001", "c00001"),
        ("C00001", "C 00001"),
        ("C00001", "C-00001"),
        ("C00001", "c_00001"),
        ("W016", "w016"),
        ("W016", "W 016"),
        ("C-101", "C-101"),
        ("C-101", "c101"),
        ("C-101", "C 101"),
        ("K1", "k-1"),
    ],
)
def test_an_id_in_free_text_is_replaced_however_it_is_spelled(tiny_path, original, spelled):
    tables = renamed_tables(tiny_path)
    tables["events"].loc[2, "summary"] = f"Linked to {spelled} (see notes)."
    assert survives(original, tables["events"].loc[2, "summary"])  # the oracle sees it
    safe, report = pseudonymise_tables(tables, KEY, retention_years=0)
    kind = {"C": "case", "W": "worker", "K": "child"}[original[0]]
    assert (
        safe["events"].loc[2, "summary"]
        == f"Linked to {pseudonym(KEY, kind, original)} (see notes)."
    )
    assert not survives(original, all_text(safe))
    assert report.replaced["IDs quoted in free text (events.summary)"] == 1


def test_ids_are_whole_words_and_leading_zeros_count_as_written(tiny_path):
    tables = renamed_tables(tiny_path)
    text = "Codes XC00001, C000010, C1, W16 and K10 are not IDs of this bundle."
    tables["events"].loc[2, "summary"] = text
    safe, report = pseudonymise_tables(tables, KEY, retention_years=0)
    assert safe["events"].loc[2, "summary"] == text
    assert "IDs quoted in free text (events.summary)" not in report.replaced


def test_ids_of_records_dropped_for_retention_are_removed_from_other_cases_text(tiny_path):
    import datetime as dt

    tables = renamed_tables(tiny_path)
    tables["events"].loc[2, "summary"] = "Sibling of K1 (case c 00001, closed); W016 knew them."
    tables["decisions"].loc[len(tables["decisions"]) - 1, "rationale"] = "As in C-00001."
    safe, report = pseudonymise_tables(tables, KEY, as_of=dt.date(2030, 7, 1))
    assert report.dropped["cases"] == 1  # C00001, with child K1, is gone
    assert len(safe["cases"]) == 1 and len(safe["events"]) == 1
    summary = safe["events"]["summary"].iloc[-1]
    worker = pseudonym(KEY, "worker", "W016")  # the worker is still in the workers table
    assert summary == f"Sibling of {DROPPED} (case {DROPPED}, closed); {worker} knew them."
    text = all_text(safe)
    for original in ("C00001", "K1", "W016", "C-101", "K2"):
        assert not survives(original, text), original
    assert report.replaced["IDs of dropped records in free text (events.summary) → [removed]"] == 2


# --- dates of birth, postcodes and identifiers in free text ----------------------------------


@pytest.mark.parametrize(
    ("written", "month"),
    [
        ("2009-12-01", "2009-12"),  # ISO: year first, never read day-first
        ("01/12/2009", "2009-12"),  # UK day-first
        ("1.12.09", "2009-12"),
        ("1 Dec 2009", "2009-12"),
        ("40148", "2009-12"),  # an Excel serial number
        ("40148.0", "2009-12"),
        ("2009-12-01T00:00:00", "2009-12"),  # a datetime
        ("2009-12-01 10:30:00", "2009-12"),
        ("2009-12", "2009-12"),
        ("12/2009", "2009-12"),
        ("2009", "2009"),  # a year alone stays a year: no month is made up
    ],
)
def test_every_birth_date_form_becomes_the_right_month(tiny_path, written, month):
    tables = casekit.load(tiny_path).canonical()
    tables["cases"]["date_of_birth"] = [written, ""]
    safe, report = pseudonymise_tables(tables, KEY, retention_years=0)
    assert safe["cases"]["date_of_birth"].tolist() == [month, ""]
    assert report.replaced["cases.date_of_birth: dates of birth cut to the month"] == 1
    assert not report.notes


def test_a_birth_date_that_is_not_a_date_is_removed_and_said_so(tiny_path):
    tables = casekit.load(tiny_path).canonical()
    import datetime as dt

    tables["cases"]["dob"] = ["31/02/2010", "ask mum"]
    safe, report = pseudonymise_tables(tables, KEY, retention_years=0)
    assert safe["cases"]["dob"].tolist() == ["", ""]  # never kept whole
    assert report.replaced["cases.dob: dates of birth not read as a date, removed"] == 2
    assert "rows 2, 3;" in report.notes[0] and "YYYY-MM-DD" in report.notes[0]
    _, report = pseudonymise_tables(tables, KEY, as_of=dt.date(2030, 7, 1))  # row 2 dropped
    assert "rows 2, 3;" in report.notes[0]  # still the rows as they were read


def test_workbook_dates_of_birth_become_the_month(tiny_path, tmp_path):
    """A workbook's real date cells and serial numbers, through the loader, as a user has them."""
    import datetime as dt

    from openpyxl import Workbook

    tables = casekit.load(tiny_path).canonical()
    book = Workbook()
    book.remove(book.active)
    for name, frame in tables.items():
        sheet = book.create_sheet(name)
        columns = [*frame.columns, "date_of_birth"] if name == "cases" else list(frame.columns)
        sheet.append(columns)
        for i, row in enumerate(frame.itertuples(index=False)):
            extra = [[dt.datetime(2009, 12, 1), 41306][i]] if name == "cases" else []
            sheet.append([*row, *extra])
    book.save(tmp_path / "extract.xlsx")
    loaded = casekit.load(tmp_path / "extract.xlsx").canonical()
    safe, _ = pseudonymise_tables(loaded, KEY, retention_years=0)
    assert safe["cases"]["date_of_birth"].tolist() == ["2009-12", "2013-02"]  # 41306 = 2013-02-01


FREE_TEXT = [
    ("DOB 03/04/2010, seen on 03/04/2024.", "DOB [date of birth], seen on 03/04/2024."),
    ("d.o.b. 3.4.10", "d.o.b. [date of birth]"),
    ("He was born 2010-04-03 in Leeds.", "He was born [date of birth] in Leeds."),
    ("date of birth: 3 April 2010", "date of birth: [date of birth]"),
    ("Born on April 3rd, 2010.", "Born on [date of birth]."),
    (
        "Born in 03/04/2010; born in March 2010 is kept.",
        "Born in [date of birth]; born in March 2010 is kept.",
    ),
    ("Mum on 07700 900123 or +44 (0)20 7946 0958.", "Mum on [phone] or [phone]."),
    ("School: 0113-496-0000; dad +447700900123", "School: [phone]; dad [phone]"),
    ("NHS no. 943 476 5919 (or 9434765919)", "NHS no. [NHS number] (or [NHS number])"),
    ("UPN a12345678901z, old UPN B12345678901C", "UPN [UPN], old UPN [UPN]"),
    ("Email j.o'neil+school@example.org.uk now", "Email [email] now"),
    ("Lives at sw1a1aa, was at M1 2AB", "Lives at SW1A 1, was at M1 2"),
    # ordinary dates, counts and times are not identifiers
    ("Seen on 03/04/2024 and 2024-04-05; 12 referrals at 10:30.", None),
    ("Meeting 3 April 2024 in Year 10; 943 476 5918 is no NHS number.", None),
    ("In y10 2nd term; KS2 3rd place; 0 1 2 3 in a row.", None),  # not postcodes or phones
]


@pytest.mark.parametrize(("written", "masked"), FREE_TEXT)
def test_identifiers_in_free_text_are_masked_and_ordinary_dates_kept(tiny_path, written, masked):
    tables = casekit.load(tiny_path).canonical()
    tables["events"].loc[2, "summary"] = written
    safe, _ = pseudonymise_tables(tables, KEY, retention_years=0)
    assert safe["events"].loc[2, "summary"] == (masked or written)


def test_the_report_counts_each_kind(tiny_path):
    tables = casekit.load(tiny_path).canonical()
    tables["events"]["summary"] = [
        "DOB 03/04/2010; call 07700 900123 or 07700 900124.",
        "NHS 943 476 5919, a@b.org, SW1A 1AA",
        "UPN A12345678901Z; see case 008",
    ]
    _, report = pseudonymise_tables(tables, KEY, retention_years=0)
    counts = {k: v for k, v in report.replaced.items() if "free text" in k}
    assert counts == {
        "dates of birth in free text → [date of birth]": 1,
        "phone numbers in free text → [phone]": 2,
        "NHS numbers in free text → [NHS number]": 1,
        "e-mail addresses in free text → [email]": 1,
        "full postcodes in free text → the sector": 1,
        "UPNs in free text → [UPN]": 1,
        "IDs quoted in free text (events.summary)": 1,
    }
    markdown = report.to_markdown()
    assert "| phone numbers in free text → [phone] | 2 |" in markdown


# --- keys ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "why"),
    [
        (bytes(32), "only 1 distinct byte value"),  # all zero
        (b"k" * 32, "only 1 distinct byte value"),
        (bytes.fromhex("98770c0bb812cb30ef3462a1e3894abf"), "too short"),  # 16 random bytes
        (bytes(range(8)) * 4, "only 8 distinct byte values"),
        (bytes(range(16)) * 4, "the same 16 bytes repeated"),
        (bytes(range(32)), "bytes counting up by a fixed step"),
        (bytes(range(0, 256, 7))[:32], "bytes counting up by a fixed step"),
    ],
    ids=[
        "all-zero",
        "one-byte-repeated",
        "16-bytes",
        "8-distinct",
        "pattern-repeated",
        "counting",
        "counting-by-7",
    ],  # fmt: skip
)
def test_weak_keys_are_refused_with_how_to_make_a_good_one(tmp_path, tiny_path, key, why):
    path = tmp_path / "key"
    path.write_text(key.hex() + "\n")
    with pytest.raises(CasekitError, match=f"--key-file {re.escape(str(path))}: a weak key") as e:
        read_key(path)
    assert why in str(e.value) and "--new-key" in str(e.value)
    with pytest.raises(CasekitError, match="a weak key"):  # the library refuses it as well
        pseudonymise_tables(casekit.load(tiny_path).canonical(), key)


def test_a_new_key_is_strong_and_read_back(tmp_path):
    from casekit.privacy.pseudonymise import new_key

    key = read_key(new_key(tmp_path / "key"))
    assert len(key) == 32
    assert read_key(_write(tmp_path / "k2", KEY.hex())) == KEY


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# --- a property: no original ID survives, and text without identifiers is unchanged ----------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_ALL_IDS = ("C00001", "C-101", "W016", "K1", "K2")
_WORDS = st.sampled_from(
    ["The", "child", "said", "case", "seen", "on", "03/04/2024", "2024-05-01", "12", "Year",
     "10", "at", "school", "and", "(police)", "visit;", "no", "worries.", "C", "W", "K", "-"]
)  # fmt: skip
_FILLER = st.lists(
    st.one_of(_WORDS, st.text(alphabet="abcdefgh ijkl,.;:()'\"!?-", min_size=1, max_size=8)),
    max_size=8,
).map(" ".join)


@st.composite
def spelled_id(draw) -> tuple[str, str]:
    """One of the bundle's IDs in a random spelling (any case, any separator between its runs),
    perhaps in brackets or quotes, or followed by punctuation."""
    original = draw(st.sampled_from(_ALL_IDS))
    runs = re.findall(r"[^\W\d_]+|\d+", original)
    out = ""
    for i, run in enumerate(runs):
        if i:
            out += draw(st.sampled_from(["", " ", "-", "_", " - "]))
        out += "".join(c.upper() if draw(st.booleans()) else c.lower() for c in run)
    before = draw(st.sampled_from(["", "(", "'", '"', "#"]))
    after = draw(st.sampled_from(["", ")", ",", ".", "'s", ";", ":"]))
    return original, before + out + after


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    parts=st.lists(st.tuples(_FILLER, spelled_id()), min_size=1, max_size=4),
    tail=_FILLER,
    plain=_FILLER,
)
def test_no_original_id_survives_random_text(tiny_path, parts, tail, plain):
    import datetime as dt

    tables = renamed_tables(tiny_path)
    text = " ".join(f"{filler} {spelling}" for filler, (_, spelling) in parts) + f" {tail}"
    tables["events"].loc[2, "summary"] = text
    tables["events"].loc[0, "summary"] = plain
    safe, _ = pseudonymise_tables(tables, KEY, as_of=dt.date(2030, 7, 1))  # C00001 dropped
    out = all_text(safe)
    for original in _ALL_IDS:
        assert not survives(original, out), (original, text)
    kept, _ = pseudonymise_tables(tables, KEY, retention_years=0)
    assert kept["events"].loc[0, "summary"] == plain  # no identifier: not a character changed


def test_every_output_byte_is_free_of_every_identifier(tiny, tmp_path, capsys):
    """Through the CLI, with retention: every file written, and the report, are searched."""
    tiny["cases"][0]["case_id"] = "C00001"
    for table in ("events", "judgements", "decisions", "plan_actions", "info_sharing",
                  "supervisions"):  # fmt: skip
        for row in tiny[table]:
            row["case_id"] = {"007": "C00001", "008": "C-101"}.get(row["case_id"], row["case_id"])
    tiny["cases"][1]["case_id"] = "C-101"
    tiny["events"][2]["summary"] = (
        "Brother of k 1 (case c-00001, closed). DOB 03/04/2010; mum 07700 900123, "
        "mum@example.org; NHS 943 476 5919; UPN a12345678901z; lives at ls1 4dy; seen 03/04/2024."
    )
    bundle = write_csv_bundle(tmp_path / "extract", tiny)
    out, key = tmp_path / "safe", tmp_path / "secret" / "key"
    key.parent.mkdir()
    assert run(bundle, out, key, "--new-key", "--as-of", "2030-07-01") == 0
    capsys.readouterr()
    report = tmp_path / "safe-pseudonymisation.md"
    text = "\n".join(f.read_text(encoding="utf-8") for f in [*out.iterdir(), report])
    for original in ("C00001", "C-101", "K1", "K2", "W1"):
        assert not survives(original, text), original
    for raw in ("03/04/2010", "07700 900123", "mum@example", "943 476 5919", "a12345678901z",
                "4dy"):  # fmt: skip
        assert raw.lower() not in text.lower(), raw
    summary = casekit.load(out).events["summary"].item()
    assert summary == (
        "Brother of [removed] (case [removed], closed). DOB [date of birth]; mum [phone], "
        "[email]; NHS [NHS number]; UPN [UPN]; lives at LS1 4; seen 03/04/2024."
    )
    markdown = report.read_text()
    for line in ("| IDs of dropped records in free text (events.summary) → [removed] | 2 |",
                 "| phone numbers in free text → [phone] | 1 |",
                 "| dates of birth in free text → [date of birth] | 1 |"):  # fmt: skip
        assert line in markdown, line


def test_the_workers_support_notes_are_emptied_and_counted(tiny_path):
    tables = casekit.load(tiny_path).canonical()
    sv = tables["supervisions"]
    sv["support"] = ["The worker is exhausted after the hearing."] + [""] * (len(sv) - 1)
    sv["management"] = "Visits are up to date."
    out, report = pseudonymise_tables(tables, KEY, retention_years=0)
    assert set(out["supervisions"]["support"]) == {""}
    assert set(out["supervisions"]["management"]) == {"Visits are up to date."}  # kept
    assert report.replaced["supervision support notes emptied (the worker's wellbeing)"] == 1
    assert "exhausted" not in report.to_markdown()
    assert sv["support"].iloc[0].startswith("The worker")  # the input is left as it was
    del tables["supervisions"]
    _, report = pseudonymise_tables(tables, KEY, retention_years=0)  # no supervisions: fine
    assert not any("support" in k for k in report.replaced)
