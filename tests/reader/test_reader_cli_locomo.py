"""`memos ingest`, `memos eval reader` and `memos eval locomo --ingest reader`."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from memos.eval.locomo import evaluate_locomo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from memos.cli.app import main

    capsys.readouterr()
    try:
        main(list(argv))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_ingest_json_jsonl_and_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    store = str(tmp_path / "store")
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps({"messages": [
        {"role": "user", "content": "I live in Lisbon.", "at": "2026-03-01T09:00:00Z"},
        {"role": "assistant", "content": "Lovely."}]}), encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(chat), "--user", "alice", "--session", "s1",
                       "--store", store, "--json")
    assert code == 0
    report = json.loads(out)
    assert report["turns"] == 2 and len(report["facts"]) == 1 and report["failed"] == []
    lines = tmp_path / "more.jsonl"
    lines.write_text('{"role": "user", "content": "I moved to Berlin."}\n'
                     '{"role": "user", "content": "Thanks!"}\n', encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(lines), "--user", "alice", "--session", "s2",
                       "--store", store)
    assert code == 0
    assert "Alice's city is Berlin." in out and "1 superseded" in out
    monkeypatch.setattr(sys, "stdin", io.StringIO('[{"role": "user", "content": "I work at '
                                                  'Feedzai."}]'))
    code, out, _ = run(capsys, "ingest", "-", "--user", "alice", "--session", "s3",
                       "--store", store, "--json")
    assert code == 0 and len(json.loads(out)["facts"]) == 1


@pytest.mark.parametrize(("content", "args", "words"), [
    (None, [], "no such file"),
    ("", [], "is empty"),
    ("{not json\n", [], "line 1 is not JSON"),
    ('[{"role": "bot", "content": "x"}]', [], "message 0: field 'role'"),
    ('[{"role": "user", "content": "x"}]', ["--mode", "llm"], "MEMOS_LLM_URL"),
])
def test_cli_ingest_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch, content: str | None,
                                        args: list[str], words: str) -> None:
    monkeypatch.delenv("MEMOS_LLM_URL", raising=False)
    path = tmp_path / "chat.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "ingest", str(path), "--user", "alice", "--session", "s1",
                       "--store", str(tmp_path / "store"), *args)
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in err


def test_cli_ingest_shows_progress_on_stderr_and_the_sdk_reports_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 3,000 turns took 30 s with nothing on the screen.
    chat = tmp_path / "chat.json"
    chat.write_text(json.dumps([{"role": "user", "content": f"I live in City{i}."}
                                for i in range(40)]), encoding="utf-8")
    code, out, err = run(capsys, "ingest", str(chat), "--user", "alice", "--session", "s1",
                         "--store", str(tmp_path / "store"), "--json")
    assert code == 0, err
    assert json.loads(out)["turns"] == 40  # stdout holds the JSON only
    assert "ingesting" in err and "/" in err  # the bar, with done/total
    from memos import MemOS
    from memos.errors import InvalidInputError

    seen: list[tuple[int, int | None]] = []
    with MemOS.open(tmp_path / "store") as mem:
        mem.ingest([{"role": "user", "content": "I work at Acme."}, {"role": "assistant",
                    "content": "Nice."}], "bob", session_id="s2",
                   progress=lambda done, total: seen.append((done, total)))
        with pytest.raises(InvalidInputError, match="progress"):
            mem.ingest([{"role": "user", "content": "hi"}], "bob", session_id="s3",
                       progress=5)  # type: ignore[arg-type]
    assert seen and seen[-1][0] == seen[-1][1] == 3  # two episodes, one fact
    assert all(total == 3 for _, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cli_ingest_needs_a_session(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "chat.json"
    path.write_text('[{"role": "user", "content": "hi"}]', encoding="utf-8")
    code, _, err = run(capsys, "ingest", str(path), "--user", "alice",
                       "--store", str(tmp_path / "store"))
    assert code == 2 and "--session" in err


def test_cli_eval_reader_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "eval", "reader", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["conversations"] >= 40 and report["turns"] >= 300
    assert 0.9 <= report["precision"] <= 1.0 and 0.85 <= report["recall"] <= 1.0
    assert "residence" in report["by_family"] and "negation" in report["by_family"]


def _sample() -> dict[str, Any]:
    """Two sessions; the evidence of "Where does Dana live?" is the turn the fact comes from."""
    s1 = [("Dana", "Hey Sam! Long week."), ("Sam", "Tell me about it, the kids were wild."),
          ("Dana", "I moved to Tromsø last month, it's so cold."),
          ("Sam", "Brr! Do you like it there?"), ("Dana", "I love the northern lights.")]
    s2 = [("Sam", "I adopted a kitten named Miso."), ("Dana", "So cute! Send photos."),
          ("Sam", "My favourite band is Khruangbin."), ("Dana", "Great taste.")]
    conv: dict[str, Any] = {"speaker_a": "Dana", "speaker_b": "Sam",
                            "session_1_date_time": "1:56 pm on 8 May, 2023",
                            "session_2_date_time": "10:00 am on 20 May, 2023"}
    for n, turns in ((1, s1), (2, s2)):
        conv[f"session_{n}"] = [{"speaker": s, "dia_id": f"D{n}:{i + 1}", "text": t}
                                for i, (s, t) in enumerate(turns)]
    return {"sample_id": "tiny-1", "conversation": conv, "qa": [
        {"question": "Where does Dana live?", "answer": "Tromsø", "evidence": ["D1:3"],
         "category": 4},
        {"question": "What is Sam's favourite band?", "answer": "Khruangbin",
         "evidence": ["D2:3"], "category": 4},
        {"question": "What is the name of Sam's kitten?", "answer": "Miso",
         "evidence": ["D2:1"], "category": 4}]}


def test_locomo_through_the_reader(tmp_path: Path) -> None:
    data = tmp_path / "tiny.json"
    data.write_text(json.dumps([_sample()]), encoding="utf-8")
    turns = evaluate_locomo(data, k=3, budget_words=60, embedder="hashing",
                            store_dir=tmp_path / "a")
    reader = evaluate_locomo(data, k=3, budget_words=60, embedder="hashing",
                             store_dir=tmp_path / "b", ingest="reader")
    assert reader.questions == turns.questions == 3
    # Never below the turn-only path (which fact hits count as which turns:
    # test_reader_facts_of_a_locomo_conversation).
    assert set(reader.overall) == {"R@3", "R@60w", "R@2000w"}
    assert all(reader.overall[m] >= turns.overall[m] for m in reader.overall)
    assert reader.overall["R@60w"] == 1.0
    assert reader.notes[-1] == "ingest reader: 4 fact cubes beside the episodes"


def test_reader_facts_of_a_locomo_conversation(tmp_path: Path) -> None:
    from memos import MemOS
    from memos.eval.locomo_data import _parse_conversation
    from memos.reader.locomo import ingest_conversation

    conv = _parse_conversation(_sample())
    with MemOS.open(tmp_path / "s", embedder="hashing") as mem:
        held, n_facts = ingest_conversation(mem, conv, lambda n: None)
        facts = {mem.get(i, "tiny-1").content: ids for i, ids in held.items()
                 if mem.get(i, "tiny-1").kind.value != "episode"}
    assert n_facts == 4
    assert facts == {"Dana's city is Tromsø.": ["D1:3"],
                     "Dana likes the northern lights.": ["D1:5"],
                     "Sam's cat's name is Miso.": ["D2:1"],  # "I adopted a kitten named Miso."
                     "Sam's favorite band is Khruangbin.": ["D2:3"]}
    assert sum(len(ids) for ids in held.values()) == 9 + 4  # every turn, plus the facts


def test_cli_ingest_of_a_folder_says_it_is_a_folder(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # It said "no such file" of a folder that is there.
    code, _, err = run(capsys, "ingest", str(tmp_path), "--user", "alice", "--session", "s1",
                       "--store", str(tmp_path / "store"))
    assert code == 2 and "is a folder" in err and "no such file" not in err
    code, _, err = run(capsys, "ingest", str(tmp_path / ("n" * 300)), "--user", "alice",
                       "--session", "s1", "--store", str(tmp_path / "store"))
    assert code == 2 and "no such file" in err
