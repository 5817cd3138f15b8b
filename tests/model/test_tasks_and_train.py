"""Task generators, the training loop (resume), baselines and the CLI on a tiny model."""

import json
import os
import random

import pytest
import torch

from memos.errors import InvalidInputError
from memos.model import families, tasks
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


def test_training_strings_contain_every_byte_of_printable_utf8() -> None:
    """A byte the model never saw in training cannot be read from memory or written, so the
    generator covers printable ASCII and every lead and continuation byte of assigned scripts."""
    seen = {b for seed in range(200) for f in tasks.make_facts(random.Random(seed), 32) for b in f.text.encode()}
    want = set(range(0x20, 0x7F)) | set(range(0x80, 0xC0)) | set(range(0xC3, 0xEE)) | {0xEF, 0xF0}
    assert want <= seen, sorted(want - seen)
    values = [f.value for seed in range(200) for f in tasks.make_facts(random.Random(seed), 32)]
    assert 57 <= max(len(v.encode()) for v in values) <= 64


def test_some_fact_sets_have_names_that_differ_only_at_the_end() -> None:
    def shares_stem(names: list[str]) -> bool:
        return len(names) > 2 and len(os.path.commonprefix(names)) >= 3

    sets = [tasks.make_facts(random.Random(seed), 24) for seed in range(100)]
    near = sum(shares_stem(sorted({f.subject for f in facts})) for facts in sets)
    assert 5 <= near <= 50  # some sets, not all
    assert all(len({(f.subject, f.attribute) for f in facts}) == 24 for facts in sets)


@pytest.mark.parametrize("family", sorted(families.FAMILIES))
def test_robustness_families_make_answerable_fact_sets(family) -> None:
    facts = families.FAMILIES[family](random.Random(3), 24)
    assert len(facts) == 24 and len({(f.subject, f.attribute) for f in facts}) == 24
    assert all(f.value == f.value.strip() and len(f.text.encode()) < preset("small").max_memory_tokens for f in facts)
    assert families.FAMILIES[family](random.Random(3), 24) == facts


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


def _copy_batch(rng: random.Random, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ten random tokens, a filler of random length, then the ten again from a random point:
    predicting the repeat needs content matching (induction), not a fixed offset."""
    xs, ts = [], []
    for _ in range(n):
        a = [rng.randrange(64) for _ in range(10)]
        gap = [rng.randrange(64, 128) for _ in range(rng.randint(0, 10))]
        cut = rng.randint(0, 9)
        seq = a + gap + a[cut:]
        xs.append(seq + [0] * (30 - len(seq)))
        ts.append(([tasks.IGNORE] * (len(a) + len(gap)) + a[cut + 1 :] + [tasks.IGNORE] * 30)[:30])
    return torch.tensor(xs), torch.tensor(ts)


def test_smeared_keys_let_one_attention_layer_copy_from_its_prompt() -> None:
    """The Transformer baseline's smeared keys make in-context copying learnable by a single
    layer; with the smear switched off the same layer cannot do it (it has no previous-token
    information in its keys)."""
    def train_copy(smear: bool) -> float:
        torch.manual_seed(0)
        rng = random.Random(0)
        m = build_model(preset("tiny", arch="transformer", cross_attention=False, internal_memory=False,
                               d_model=64, n_heads=2))
        assert len(m.blocks) == 1
        if not smear:
            for b in m.blocks:
                b.smear.data.fill_(-30.0)
                b.smear.requires_grad_(False)
        opt = torch.optim.AdamW([p for p in m.parameters() if p.requires_grad], lr=3e-3)
        for _ in range(400):
            x, t = _copy_batch(rng, 32)
            loss = torch.nn.functional.cross_entropy(m(x).flatten(0, 1), t.flatten(), ignore_index=tasks.IGNORE)
            opt.zero_grad()
            loss.backward()
            opt.step()
        x, t = _copy_batch(random.Random(9), 128)
        with torch.no_grad():
            return float((m(x).argmax(-1) == t)[t != tasks.IGNORE].float().mean())

    assert train_copy(smear=True) > 0.8
    assert train_copy(smear=False) < 0.5


def test_transformer_cached_generation_matches_recomputing_every_step() -> None:
    torch.manual_seed(0)
    t = build_model(preset("tiny", arch="transformer", cross_attention=False, internal_memory=False)).eval()
    for b in t.blocks:
        b.smear.data.normal_()  # exercise the smear across the cache boundary
    prompt = "Vomu's kel is 42. What is Vomu's kel?"
    ids, greedy = tok.encode(prompt), []
    with torch.no_grad():
        for _ in range(10):
            nxt = int(t(torch.tensor([ids + greedy]))[0, -1].argmax())
            if nxt == tok.EOS:
                break
            greedy.append(nxt)
    assert t.generate(prompt, max_new_tokens=10) == tok.decode(greedy)
    # A prompt read in two pieces through the cache gives the same hidden states as one pass.
    x = torch.tensor([ids])
    with torch.no_grad():
        whole, caches = t.embed(x), [{} for _ in t.blocks]
        first, second = t.embed(x[:, :15]), t.embed(x[:, 15:])
        for block, cache in zip(t.blocks, caches, strict=True):
            whole, first, second = block(whole), block(first, cache), block(second, cache)
    torch.testing.assert_close(torch.cat([first, second], dim=1), whole, atol=1e-5, rtol=1e-5)
    with pytest.raises(InvalidInputError):
        t.generate(prompt, memory=object())


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


def test_a_fine_tune_can_change_how_the_model_reads_a_memory_end(tmp_path) -> None:
    """`memory_end`: a fine-tune from a checkpoint gives the model "eos" (its saved config
    says so and the fingerprint changes with it); such a model does not read a memory's final
    period, so a fact with and without it gives the same slots, and a period inside a value
    is read as any byte. Checkpoints without the key read memories as written."""
    from memos.model.checkpoint import load_checkpoint, save_checkpoint
    from memos.model.memory_model import MemoryModel

    torch.set_num_threads(1)
    torch.manual_seed(0)
    base = MemoryModel(preset("tiny"))
    save_checkpoint(base, tmp_path / "base")
    tc = TrainConfig(task="memory-qa", steps=2, warmup=1, max_facts=4, questions=2,
                     memory_end="eos")
    result = train(preset("tiny"), tc, tmp_path / "eos", progress=False, init=tmp_path / "base")
    tuned = load_checkpoint(tmp_path / "eos")
    assert json.loads((tmp_path / "eos" / "config.json").read_text())["extra"] == {
        "memory_end": "eos"}
    assert tuned.cfg.memory_end == "eos" and base.cfg.memory_end == "period"
    assert result["fingerprint"] == tuned.fingerprint != base.fingerprint
    with torch.no_grad():
        for model, same in ((tuned, True), (base, False)):
            a, b = (model.encode_memory([text]).trimmed() for text in (
                "Ann's email is a.lin@x.org.", "Ann's email is a.lin@x.org"))
            pairs = [(a.k, b.k), (a.v, b.v), (a.slot_mask, b.slot_mask), (a.pooled, b.pooled)]
            equal = all(x.shape == y.shape and torch.equal(x, y) for x, y in pairs)
            assert equal is same, model.cfg.memory_end
    with pytest.raises(InvalidInputError, match="memory_end"):
        train(preset("tiny"), TrainConfig(**{**tc.__dict__, "memory_end": "comma"}),
              tmp_path / "bad", progress=False, init=tmp_path / "base")


def test_an_unknown_memory_end_in_a_config_is_refused() -> None:
    from memos.errors import CheckpointError
    from memos.model.config import ModelConfig

    with pytest.raises(CheckpointError, match="memory_end"):
        ModelConfig(extra={"memory_end": "semicolon"})
    assert ModelConfig(extra={"memory_end": "eos"}).memory_end == "eos"
    assert ModelConfig().memory_end == "period"


class _RunsOnLoad:
    """A pickle that runs code when loaded."""

    def __reduce__(self) -> tuple:
        import pathlib

        return (pathlib.Path.touch, (pathlib.Path(_RunsOnLoad.target),))


def test_a_training_state_is_loaded_as_data_never_as_code(tmp_path) -> None:
    """Resume reads train_state.pt with torch's weights-only loader: a state file holding a
    pickle of anything else is refused (a CheckpointError saying what to do), never run."""
    from memos.errors import CheckpointError

    torch.set_num_threads(1)
    cfg = preset("tiny")
    tc = TrainConfig(task="memory-qa", steps=2, save_every=1, warmup=1, seq_len=32, n_pairs=4,
                     batch=2, max_facts=4, questions=2)
    train(cfg, tc, tmp_path, progress=False, keep_train_state=True)
    assert (tmp_path / "train_state.pt").exists()
    _RunsOnLoad.target = str(tmp_path / "ran")
    torch.save({"optimizer": _RunsOnLoad(), "step": 1, "rng": None}, tmp_path / "train_state.pt")
    with pytest.raises(CheckpointError, match="train_state.pt"):
        train(cfg, TrainConfig(**{**tc.__dict__, "steps": 3}), tmp_path, progress=False)
    assert not (tmp_path / "ran").exists()
