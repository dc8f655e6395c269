"""A benchmark's rerun replaces its figures in RESULTS.md and keeps the notes written by hand."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _results(tmp_path: Path, monkeypatch):
    spec = importlib.util.spec_from_file_location("_results", BENCHMARKS / "_results.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "RESULTS", tmp_path / "RESULTS.md")
    monkeypatch.setattr(module, "machine", lambda: "a test machine")
    return module


def test_a_rerun_replaces_the_figures_and_keeps_the_notes_by_hand(tmp_path, monkeypatch):
    results = _results(tmp_path, monkeypatch)
    results.write_section("one", "One", "| a | 1 |")
    results.write_section("two", "Two", "| b | 2 |")
    text = results.RESULTS.read_text()
    results.RESULTS.write_text(
        text.replace("| a | 1 |\n", f"| a | 1 |\n{results.BY_HAND}\nWhat it says: a is 1.\n")
    )
    results.write_section("one", "One", "| a | 3 |")
    text = results.RESULTS.read_text()
    one = text.split("<!-- one -->")[1]
    assert "| a | 3 |" in one and "| a | 1 |" not in one  # the new figures
    assert one.index("| a | 3 |") < one.index("What it says: a is 1.")  # the notes, kept after
    assert text.count("<!-- one -->") == 2 and text.count("What it says") == 1
    assert "| b | 2 |" in text.split("<!-- two -->")[1]  # the other section untouched


def test_a_section_without_notes_is_replaced_whole(tmp_path, monkeypatch):
    results = _results(tmp_path, monkeypatch)
    results.write_section("one", "One", "| a | 1 |\n\nOld words.")
    results.write_section("one", "One", "| a | 2 |")
    text = results.RESULTS.read_text()
    assert "Old words" not in text and "| a | 2 |" in text and text.count("<!-- one -->") == 2
