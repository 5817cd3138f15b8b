"""`memos consolidate`, `memos adapters ...` and `memos purge --verify` through the real
entry point: JSON for scripts, one red line and the right exit code for mistakes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cli.conftest import Result, Run, memos_cli, store  # noqa: F401

pytest.importorskip("peft")
pytestmark = pytest.mark.slow

FACT = "Ann Kim's favorite color is teal."


def _add_fact(memos_cli: Run, text: str, subject: str, attribute: str) -> str:  # noqa: F811
    r = memos_cli("add", text, "-u", "alice", "--kind", "fact", "--meta", f"subject={subject}",
                  "--meta", f"attribute={attribute}", "--json")
    assert r.code == 0, r.err
    return str(r.json()["id"])


@pytest.fixture
def small_gate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's default ConsolidationConfig with a tiny gate and no rehearsal (seconds)."""
    from dataclasses import dataclass

    from memos.parametric import lora, tier

    @dataclass
    class Small(tier.ConsolidationConfig):
        gate_sets: int = 1
        gate_facts: int = 4
        gate_styles: tuple[str, ...] = ("random",)
        train: object = lora.TrainConfig(steps=1, batch=2, rehearsal_every=0)

    monkeypatch.setattr(tier, "ConsolidationConfig", Small)


def test_consolidate_adapters_and_purge_verify(memos_cli: Run,  # noqa: F811
                                               small_gate: None) -> None:
    import torch

    torch.set_num_threads(1)
    assert memos_cli("init").code == 0
    r = memos_cli("adapters", "list", "-u", "alice", "--json")
    assert r.code == 0 and r.json() == []
    r = memos_cli("adapters", "rollback", "-u", "alice")
    assert r.code == 1 and "has no adapters" in r.err and "consolidate" in r.err
    r = memos_cli("consolidate", "-u", "alice")
    assert r.code == 2 and "nothing to consolidate" in r.err and "Traceback" not in r.err
    r = memos_cli("consolidate", "-u", "alice", "--dry-run")  # a plan: nothing, said so
    assert r.code == 0 and "nothing would be consolidated" in r.out and "--meta" in r.out
    fid = _add_fact(memos_cli, FACT, "Ann Kim", "favorite color")
    other = _add_fact(memos_cli, "Bo Lee's car is a Volvo.", "Bo Lee", "car")
    r = memos_cli("consolidate", "-u", "alice", "--fact", fid, "--fact", other, "--dry-run",
                  "--json")
    assert r.code == 0 and r.json()["status"] == "dry-run"
    assert sorted(r.json()["cube_ids"]) == sorted([fid, other])
    r = memos_cli("consolidate", "-u", "alice", "--fact", fid, "--steps", "1", "--json")
    assert r.code == 0, r.err
    rep = r.json()
    assert rep["status"] == "rejected" and rep["reasons"]  # one step cannot learn a fact
    adapter = rep["adapter_id"]
    r = memos_cli("adapters", "list", "-u", "alice", "--json")
    assert [a["status"] for a in r.json()] == ["rejected"]
    r = memos_cli("adapters", "show", adapter, "-u", "alice", "--json")
    assert r.code == 0 and r.json()["sources"] == [[fid, 1]]
    r = memos_cli("adapters", "show", adapter, "-u", "bob")
    assert r.code == 1 and "no adapter" in r.err
    r = memos_cli("adapters", "activate", adapter, "-u", "alice")
    assert r.code == 2 and "--force" in r.err
    r = memos_cli("adapters", "rollback", "-u", "alice")
    assert r.code == 1 and "no previous adapter" in r.err and "none is in service" in r.err
    r = memos_cli("purge", fid, "-u", "alice", "--yes", "--verify")
    assert r.code == 0, r.err
    assert "nothing of the erased cubes remains" in r.out
    r = memos_cli("adapters", "list", "-u", "alice", "--json")
    assert r.json() == []


@pytest.mark.parametrize("json_out", [True, False])
def test_consolidate_says_tainted_when_a_fact_is_forgotten_while_training(
        memos_cli: Run, store: str, small_gate: None,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, json_out: bool) -> None:
    """`memos consolidate` of a fact forgotten while its adapter trains said `rejected`
    (and "the gate rejected the adapter") for an adapter stored tainted."""
    import torch

    from memos import MemOS
    from memos.parametric import lora

    torch.set_num_threads(1)
    fid = _add_fact(memos_cli, "Ann Kim's favorite color is teal.", "Ann Kim", "favorite color")
    other = _add_fact(memos_cli, "Bo Lee's car is a Volvo.", "Bo Lee", "car")
    real = lora.train_adapter

    def forget_then_train(*args: Any, **kwargs: Any) -> Any:
        with MemOS.open(store) as mem:  # another MemOS on the store: a concurrent forget
            mem.forget(fid, "alice")
        return real(*args, **kwargs)

    monkeypatch.setattr(lora, "train_adapter", forget_then_train)
    r = memos_cli("consolidate", "-u", "alice", "--fact", fid, "--fact", other,
                  *(["--json"] if json_out else []))
    assert r.code == 0, r.err
    if json_out:
        rep = r.json()
        assert rep["status"] == "tainted" and fid in " ".join(rep["reasons"])
        assert rep["adapter_id"]
    else:
        assert "the adapter is tainted" in r.out and "gate rejected" not in r.out
    r = memos_cli("adapters", "list", "-u", "alice", "--json")
    assert [a["status"] for a in r.json()] == ["tainted"]


def test_forget_says_which_adapters_it_took_out_of_service(
        memos_cli: Run, small_gate: None) -> None:  # noqa: F811
    """(a fresh-eyes developer, session 47) `memos forget` of a consolidated fact printed only
    "forgot ID (v2)" while it took the adapter trained on it out of service."""
    import torch

    torch.set_num_threads(1)
    fid = _add_fact(memos_cli, FACT, "Ann Kim", "favorite color")
    r = memos_cli("consolidate", "-u", "alice", "--fact", fid, "--steps", "1", "--json")
    assert r.code == 0, r.err
    adapter = r.json()["adapter_id"]
    r = memos_cli("adapters", "activate", adapter, "-u", "alice", "--force")
    assert r.code == 0, r.err
    # Served by force: the message says the gate rejected it, and how to undo it.
    said = " ".join(r.out.split())
    assert "is active, although the evaluation gate rejected it (" in said
    assert "memos adapters rollback" in said
    r = memos_cli("forget", fid, "-u", "alice")
    assert r.code == 0, r.err
    assert f"adapter {adapter} trained on it is out of service" in " ".join(r.out.split())
