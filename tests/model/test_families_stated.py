"""Values as people state them: the robustness families and the training generator (issue 13),
and fine-tuning from a checkpoint (`train(..., init=...)`)."""

import json
import random
import re

import pytest
import torch

from memos.errors import InvalidInputError
from memos.model import families, tasks
from memos.model.baselines import build_model
from memos.model.checkpoint import load_checkpoint, save_checkpoint
from memos.model.config import preset
from memos.model.train import TrainConfig, train

STATED = ("titled-names", "titled-subjects", "addresses", "dates", "phone-numbers", "emails", "stated-long-values")


def _values(family: str, seeds: int = 4) -> list[str]:
    return [f.value for s in range(seeds) for f in families.FAMILIES[family](random.Random(s), 32)]


def test_stated_families_are_registered_and_styles_of_eval() -> None:
    assert set(STATED) <= set(families.FAMILIES) and set(STATED) <= set(families.STYLES)
    assert "training" in families.STYLES  # the training mix, evaluated on unseen seeds


def test_titled_names_have_a_title_and_periods_inside() -> None:
    values = _values("titled-names")
    assert all(v.split()[0] in families._FAM_TITLES and v.split()[-1] in families._SURNAMES for v in values)
    assert all(re.search(r"\.\s", v) for v in values)  # the period that used to end the answer
    assert any(re.search(r"\s[A-Z]\. [A-Z]\. ", v) for v in values)  # "Mrs. J. R. Smith"
    subjects = [f.subject for f in families.FAMILIES["titled-subjects"](random.Random(0), 32)]
    assert all(s.split()[0] in families._FAM_TITLES for s in subjects)


def test_addresses_dates_phones_emails_look_as_claimed() -> None:
    assert all(re.match(r"^(Flat \d+, )?\d+[AB]? \w+ [\w.]+, \w+", v) for v in _values("addresses"))
    assert any(", " in v and "." in v.split(",")[0] for v in _values("addresses"))  # "221B Baker St., London"
    dates = _values("dates")
    month = "|".join(families._MONTH_NAMES)
    patterns = (rf"\d{{1,2}} ({month}) \d{{4}}", r"\d{4}-\d\d-\d\d", rf"({month}) \d{{1,2}}(st|nd|rd|th)",
                rf"({month}) \d{{1,2}}, \d{{4}}", r"\d\d/\d\d/\d{4}")
    assert all(any(re.fullmatch(p, d) for p in patterns) for d in dates)
    assert {next(i for i, p in enumerate(patterns) if re.fullmatch(p, d)) for d in dates} == set(range(5))
    phones = _values("phone-numbers")
    assert all(re.fullmatch(r"[+()\d][\d ()+-]+\d", p) and sum(c.isdigit() for c in p) >= 10 for p in phones)
    assert any(p.startswith("(") for p in phones) and any(p.startswith("+44 20 ") for p in phones)
    assert all(re.fullmatch(r"[a-z0-9.-]+@[a-z-]+\.[a-z.]+", e) for e in _values("emails"))


def test_stated_long_values_are_33_to_64_bytes() -> None:
    sizes = [len(v.encode()) for v in _values("stated-long-values")]
    assert min(sizes) >= 33 and max(sizes) <= 64


def test_training_generator_states_values_and_keeps_the_random_style() -> None:
    rng = random.Random(0)
    values = [tasks.make_stated_value(rng) for _ in range(3000)]
    assert all(1 <= len(v.encode()) <= 64 and v == v.strip() for v in values)
    assert sum(bool(re.search(r"\.\s", v)) for v in values) > 300  # periods inside a value
    assert sum(len(v.encode()) > 32 for v in values) > 600  # long values are no longer rare
    assert sum(v.endswith(".") for v in values) > 20  # a few end with their own period
    # Training draws from the mix, seeded; the `random` style (make_facts) is unchanged by it.
    mix = tasks.make_training_facts(random.Random(7), 64)
    assert mix == tasks.make_training_facts(random.Random(7), 64)
    plain = tasks.make_facts(random.Random(7), 64)
    assert len({(f.subject, f.attribute) for f in mix}) == 64
    changed = sum(a.value != b.value for a, b in zip(mix, plain, strict=True))
    assert 0 < changed < 64
    batch = tasks.memory_qa_batch(random.Random(1), n_facts=8, groups=1, questions=2)
    assert batch.facts[0] == tasks.make_training_facts(random.Random(1), 8)
    # --stated-share: how many values are drawn as stated (0: none, 1: all).
    many = [f for seed in range(20) for f in tasks.make_training_facts(random.Random(seed), 64)]
    never = [f for seed in range(20)
             for f in tasks.make_training_facts(random.Random(seed), 64, stated_share=0.0)]
    always = [f for seed in range(20)
              for f in tasks.make_training_facts(random.Random(seed), 64, stated_share=1.0)]
    stated = [sum(bool(re.search(r"\.\s|@", f.value)) for f in facts)
              for facts in (never, many, always)]
    assert stated[0] < stated[1] < stated[2], stated
    # all shares at 0: the session-3 base model's random strings, draw for draw
    assert all(tasks.make_training_facts(random.Random(seed), 64, stated_share=0.0)
               == tasks.make_facts(random.Random(seed), 64) for seed in range(20))
    batch = tasks.memory_qa_batch(random.Random(1), n_facts=8, groups=1, questions=2,
                                  stated_share=0.0)
    assert batch.facts[0] == tasks.make_training_facts(random.Random(1), 8, stated_share=0.0)


def test_train_init_starts_from_a_checkpoint(tmp_path) -> None:
    torch.set_num_threads(1)
    cfg = preset("tiny")
    torch.manual_seed(1)
    start = build_model(cfg)
    save_checkpoint(start, tmp_path / "init")
    tc = TrainConfig(steps=1, warmup=1, max_facts=4, questions=2, lr=1e-9, stuffed_every=0)
    train(cfg, tc, tmp_path / "out", progress=False, init=tmp_path / "init")
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["init"]["fingerprint"] == start.fingerprint
    tuned = load_checkpoint(tmp_path / "out")
    # lr 1e-9: the weights are the init's up to the one tiny step (a fresh init would differ by O(1)).
    for (name, a), b in zip(start.state_dict().items(), tuned.state_dict().values(), strict=True):
        assert torch.allclose(a, b, atol=1e-5), name
    with pytest.raises(InvalidInputError, match="not a checkpoint directory"):
        train(cfg, tc, tmp_path / "other", progress=False, init=tmp_path / "missing")


def test_uniform_sets_draw_every_value_of_one_kind() -> None:
    # --uniform-share 0 (the default) leaves the earlier mix's draws exactly as they were.
    assert (tasks.make_training_facts(random.Random(5), 64, uniform_share=0.0)
            == tasks.make_training_facts(random.Random(5), 64))
    sets = [tasks.make_training_facts(random.Random(seed), 32, uniform_share=1.0)
            for seed in range(60)]
    for facts in sets:
        assert len(facts) == 32 and len({(f.subject, f.attribute) for f in facts}) == 32
        assert all(1 <= len(f.value.encode()) <= 64 and f.value == f.value.strip() for f in facts)
    # Whole sets of one shape: all e-mail addresses, all long values, all in capitals.
    assert any(all("@" in f.value for f in facts) for facts in sets)
    assert any(all(len(f.value.encode()) > 32 for f in facts) for facts in sets)
    shouted = [facts for facts in sets
               if all(f"{f.subject}{f.attribute}{f.value}".isupper() for f in facts)]
    assert 0 < len(shouted) < len(sets)
    # The random mix almost never does either.
    mixed = [tasks.make_training_facts(random.Random(seed), 32) for seed in range(60)]
    assert not any(all("@" in f.value for f in facts) for facts in mixed)
    # And the batch passes the share through.
    batch = tasks.memory_qa_batch(random.Random(2), n_facts=8, groups=1, questions=2,
                                  uniform_share=1.0)
    assert batch.facts[0] == tasks.make_training_facts(random.Random(2), 8, uniform_share=1.0)


def test_long_sets_draw_every_value_33_to_64_bytes() -> None:
    # --long-share 0 (the default) leaves the draws of every earlier command as they were.
    for seed in range(20):
        assert (tasks.make_training_facts(random.Random(seed), 32, 0.5, 0.3, long_share=0.0)
                == tasks.make_training_facts(random.Random(seed), 32, 0.5, 0.3))
    sets = [tasks.make_training_facts(random.Random(seed), 32, long_share=1.0) for seed in range(40)]
    for facts in sets:
        assert len({(f.subject, f.attribute) for f in facts}) == 32
        assert all(len(f.value.encode()) <= 64 and f.value == f.value.strip() for f in facts)
    # Nearly every value is long (a made-up phrase may be cut at a word a little short).
    values = [f.value for facts in sets for f in facts]
    assert sum(len(v.encode()) > 32 for v in values) >= 0.95 * len(values)
    # Both kinds: made-up words and mixtures of stated values (digits, periods, commas).
    assert any(sum(any(c.isdigit() for c in f.value) for f in facts) < 4 for facts in sets)
    assert any(sum(any(c.isdigit() for c in f.value) for f in facts) > 16 for facts in sets)
    batch = tasks.memory_qa_batch(random.Random(3), n_facts=8, groups=1, questions=2, long_share=1.0)
    assert batch.facts[0] == tasks.make_training_facts(random.Random(3), 8, long_share=1.0)
