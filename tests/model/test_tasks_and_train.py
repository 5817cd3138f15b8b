"""Task generators, the training loop (resume), baselines and the CLI on a tiny model."""

import json
import random

import pytest
import torch

from memos.model import tasks
from memos.model import tokenizer as tok
from memos.model.baselines import build_model
from memos.model.config import preset
from memos.model.train import LossModule, TrainConfig, facts_at, lr_at, train


def test_generators_are_seeded_and_distinct_across_seeds() -> None:
    a = tasks.make_facts(random.Random(5), 16)
    assert a == tasks.make_facts(random.Random(5), 16)
    assert not {f.subject for f in a} & {f.subject for f in tasks.make_facts(random.Random(6), 16)}


def test_facts_need_subject_attribute_binding() -> None:
    facts = tasks.make_facts(random.Random(0), 64)
    pairs = {(f.subject, f.attribute) for f in facts}
    assert len(pairs) == 64  # every question has one answer
    subjects = [f.subject for f in facts]
    attributes = [f.attribute for f in facts]
    assert max(subjects.count(s) for s in subjects) >= 2  # several facts per subject
    assert max(attributes.count(a) for a in attributes) >= 2  # attributes recur across subjects
    f = facts[0]
    assert f.text == f"{f.subject}'s {f.attribute} is {f.value}." and f.question == f"What is {f.subject}'s {f.attribute}?"


def test_memory_qa_batch_targets_only_the_answer() -> None:
    b = tasks.memory_qa_batch(random.Random(1), n_facts=6, groups=2, questions=3)
    assert b.allowed.shape == (6, 12) and b.allowed.sum(1).tolist() == [6] * 6
    for r in range(6):
        want = b.targets[r][b.targets[r] != tasks.IGNORE].tolist()
        fact = b.facts[r // 3][int(b.sel_target[r]) - (r // 3) * 6]
        assert want == [*tok.encode_raw(" " + fact.value), tok.EOS]
    stuffed = tasks.memory_qa_batch(random.Random(1), n_facts=6, groups=1, questions=2, stuffed=True)
    assert stuffed.memory_seqs is None and tok.decode(stuffed.tokens[0]).startswith(stuffed.facts[0][0].text)


def test_fact_strings_come_in_many_shapes() -> None:
    """Training strings vary in case, length, digits, punctuation and script, so the model
    learns to find and copy bytes rather than one string style."""
    facts = [f for seed in range(60) for f in tasks.make_facts(random.Random(seed), 32)]
    values = [f.value for f in facts]
    subjects = [f.subject for f in facts]
    assert all(v and v == v.strip() and not v.endswith(".") for v in values)
    assert max(len(v) for v in values) >= 24 and min(len(v) for v in values) <= 2
    for chars in ("0123456789", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "-/@:.", "$\u20ac\u00a3"):
        assert any(set(v) & set(chars) for v in values), chars
    assert any(not v.isascii() for v in values) and any(not s.isascii() for s in subjects)
    assert any(s.isupper() for s in subjects) and any(s[0].islower() for s in subjects)
    assert any(" " in s for s in subjects) and any(" " in v for v in values)


def test_realistic_style_is_a_separate_generator() -> None:
    real = tasks.FACT_STYLES["realistic"](random.Random(0), 40)
    assert len({(f.subject, f.attribute) for f in real}) == 40
    assert all(f.subject.split()[0] in tasks._FIRST and f.attribute in tasks._REAL_ATTRS for f in real)
    random_facts = [f for seed in range(40) for f in tasks.make_facts(random.Random(seed), 32)]
    assert not {f.attribute for f in random_facts} & set(tasks._REAL_ATTRS)


def test_stuffed_batch_prompt_targets_and_prompt_loss() -> None:
    b = tasks.memory_qa_batch(random.Random(2), n_facts=3, groups=1, questions=2, stuffed=True)
    for r in range(2):
        ans = (b.targets[r] != tasks.IGNORE).nonzero().flatten()
        pt = b.prompt_targets[r]
        n_prompt = int(ans[0]) + 1  # the prompt ends where the answer's first target sits
        assert (pt[: n_prompt - 1] == b.tokens[r, 1:n_prompt]).all()
        assert (pt[n_prompt - 1 :] == tasks.IGNORE).all()  # nothing on the answer or padding
    torch.manual_seed(0)
    model = build_model(preset("tiny", arch="transformer", cross_attention=False, internal_memory=False))
    with torch.no_grad():
        plain, weighted = LossModule(model, 1.0, 0.0)(b)[0], LossModule(model, 1.0, 0.5)(b)[0]
    assert float(weighted) > float(plain) + 0.5  # ~0.5 * ln(260) of untrained next-byte loss added


def test_passkey_and_mqar_generators() -> None:
    b = tasks.passkey_batch(random.Random(0), 2, 1000)
    text = tok.decode(b.tokens[0])
    key = tok.decode(b.targets[0][b.targets[0] != tasks.IGNORE]).strip()
    assert f"The pass key is {key}." in text and 950 <= b.tokens.shape[1] <= 1100
    m = tasks.mqar_batch(random.Random(0), 3, seq_len=64, n_pairs=8)
    assert m.tokens.shape == (3, 64) and int((m.targets != tasks.IGNORE).sum()) == 24
    row, tgt = m.tokens[0].tolist(), m.targets[0].tolist()
    pairs = dict(zip(row[1:17:2], row[2:17:2], strict=True))
    for i, t in enumerate(tgt):
        if t != tasks.IGNORE:
            assert pairs[row[i]] == t and row[i] < 128 <= t


def test_schedules() -> None:
    tc = TrainConfig(steps=1000, warmup=100, max_facts=64)
    assert lr_at(0, tc) < lr_at(99, tc) == pytest.approx(tc.lr)
    assert lr_at(999, tc) == pytest.approx(tc.lr * tc.min_lr_ratio, rel=1e-2)
    assert facts_at(0, tc) == 4 and facts_at(500, tc) == 64 == facts_at(999, tc)


@pytest.mark.parametrize("task", ["memory-qa", "mqar"])
def test_train_saves_and_resumes(task, tmp_path) -> None:
    torch.set_num_threads(1)
    cfg = preset("tiny")
    tc = TrainConfig(task=task, steps=4, save_every=2, warmup=1, seq_len=32, n_pairs=4, batch=2, max_facts=4, questions=2)
    first = train(cfg, TrainConfig(**{**tc.__dict__, "steps": 2}), tmp_path, progress=False, keep_train_state=True)
    assert (tmp_path / "train_state.pt").exists() and first["steps"] == 2
    seen = []
    result = train(cfg, tc, tmp_path, progress=False, eval_fn=lambda m: seen.append(1) or {"ok": 1.0})
    assert seen == [1]  # resumed at step 2: only the final eval ran
    assert not (tmp_path / "train_state.pt").exists()
    assert json.loads((tmp_path / "meta.json").read_text())["step"] == 4 and result["history"][0]["ok"] == 1.0


def test_baselines_have_similar_size_and_run() -> None:
    sizes = {n: build_model(preset(n)).num_parameters() for n in ("small", "ssm", "transformer")}
    assert max(sizes.values()) < 1.5 * min(sizes.values())
    t = build_model(preset("tiny", arch="transformer", cross_attention=False, internal_memory=False))
    logits = t(torch.randint(0, 256, (2, 9)))
    assert logits.shape == (2, 9, 260)
    # causal: changing a later token leaves earlier logits alone
    x = torch.randint(0, 256, (1, 9))
    y = x.clone()
    y[0, 5] = (y[0, 5] + 1) % 256
    torch.testing.assert_close(t(x)[0, :5], t(y)[0, :5])
