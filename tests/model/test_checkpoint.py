"""Save/load round trips, fingerprints, and refusal of unknown configs and foreign artifacts."""

import json

import pytest
import torch

from memos.errors import CheckpointError, FingerprintMismatchError, ModelError, NotFoundError
from memos.model.checkpoint import copy_checkpoint, load_checkpoint, save_checkpoint
from memos.model.config import ModelConfig, preset
from memos.model.memory_model import MemoryModel
from memos.model.session import SessionState
from memos.model.slots import MemorySlots

FACTS = ["Zorb's color is blue.", "Quix's size is big."]


def test_checkpoint_round_trip_keeps_outputs_and_fingerprint(tiny: MemoryModel, tmp_path) -> None:
    save_checkpoint(tiny, tmp_path / "ck")
    loaded = load_checkpoint(tmp_path / "ck")
    assert loaded.fingerprint == tiny.fingerprint
    tokens = torch.randint(0, 256, (1, 12))
    slots = tiny.encode_memory(FACTS)
    torch.testing.assert_close(loaded(tokens, slots), tiny(tokens, slots))


def test_fingerprint_changes_with_weights_and_config(tiny: MemoryModel) -> None:
    before = tiny.fingerprint
    with torch.no_grad():
        tiny.embed.weight[0, 0] += 1.0
    assert tiny.fingerprint != before
    other = MemoryModel(preset("tiny", top_k=2))
    other.load_state_dict(tiny.state_dict())
    assert other.fingerprint != tiny.fingerprint


def test_top_k_override_and_copy_keep_the_weights(tiny: MemoryModel, tmp_path) -> None:
    with torch.no_grad():  # open the cross-attention gates (zero in a fresh model) so memory counts
        for name, p in tiny.named_parameters():
            if name.endswith("gate"):
                p.fill_(1.0)
    src = save_checkpoint(tiny, tmp_path / "ck", {"step": 7})
    wide = load_checkpoint(src, top_k=tiny.cfg.top_k + 2)
    assert wide.cfg.top_k == tiny.cfg.top_k + 2 and wide.fingerprint != tiny.fingerprint
    for name, t in tiny.state_dict().items():
        torch.testing.assert_close(wide.state_dict()[name], t)
    assert load_checkpoint(src, top_k=tiny.cfg.top_k).fingerprint == tiny.fingerprint
    with pytest.raises(CheckpointError, match="at least 1"):
        load_checkpoint(src, top_k=0)
    # Reading fewer memories than there are changes the output; any top_k from the number of
    # memories up reads them all (the training path).
    facts = [f"Zorb{i}'s color is {c}." for i, c in enumerate(("blue", "red", "green", "teal", "gold"))]
    tokens = torch.randint(0, 256, (1, 12))

    def out(top_k: int) -> torch.Tensor:
        model = load_checkpoint(src, top_k=top_k)
        return model(tokens, model.encode_memory(facts))

    assert not torch.allclose(out(1), out(len(facts)))
    torch.testing.assert_close(out(len(facts)), out(len(facts) + 3))

    copied = copy_checkpoint(src, tmp_path / "copy", top_k=tiny.cfg.top_k + 2)
    again = load_checkpoint(tmp_path / "copy")  # the recorded fingerprint matches the new config
    assert again.fingerprint == copied.fingerprint == wide.fingerprint
    meta = json.loads((tmp_path / "copy" / "meta.json").read_text())
    assert meta["step"] == 7 and meta["copied_from"]["fingerprint"] == tiny.fingerprint
    with pytest.raises(CheckpointError, match="another folder"):
        copy_checkpoint(src, src, top_k=3)
    with pytest.raises(CheckpointError, match="already holds a checkpoint"):
        copy_checkpoint(src, tmp_path / "copy", top_k=3)  # never over another checkpoint
    with pytest.raises(CheckpointError, match="already reads"):
        copy_checkpoint(src, tmp_path / "same", top_k=tiny.cfg.top_k)
    # A copy of a copy keeps the chain back to the trained weights.
    copy_checkpoint(tmp_path / "copy", tmp_path / "copy2", top_k=1)
    chain = json.loads((tmp_path / "copy2" / "meta.json").read_text())["copied_from"]
    assert chain["fingerprint"] == copied.fingerprint and chain["copied_from"]["fingerprint"] == tiny.fingerprint


def test_slots_from_another_model_are_refused(tiny: MemoryModel, tmp_path) -> None:
    slots = tiny.encode_memory(FACTS)
    path = slots.save(tmp_path / "m.safetensors")
    again = MemorySlots.load(path, fingerprint=tiny.fingerprint)
    torch.testing.assert_close(again.k, slots.k)
    assert again.text_hashes == slots.text_hashes and len(again) == 2
    torch.manual_seed(1)
    stranger = MemoryModel(preset("tiny"))
    with pytest.raises(FingerprintMismatchError, match="re-encode"):
        stranger(torch.zeros(1, 3, dtype=torch.long), again)
    with pytest.raises(FingerprintMismatchError):
        MemorySlots.load(path, fingerprint=stranger.fingerprint)
    with pytest.raises(FingerprintMismatchError):
        MemorySlots.concat([slots, stranger.encode_memory(FACTS)])


def test_concat_and_select_keep_each_memory(tiny: MemoryModel) -> None:
    a, b = tiny.encode_memory(FACTS[:1]), tiny.encode_memory(FACTS[1:])
    joined = MemorySlots.concat([a, b])
    assert len(joined) == 2 and joined.num_slots == a.num_slots + b.num_slots
    torch.testing.assert_close(joined.select([1]).pooled, b.pooled)


def test_session_state_round_trip_and_refusal(tiny: MemoryModel, tmp_path) -> None:
    state = tiny.read_session("The pass key is 123. Remember it well, friend.")
    path = state.save(tmp_path / "s.safetensors")
    loaded = SessionState.load(path, fingerprint=tiny.fingerprint)
    assert tiny.generate(" ok", state=loaded, max_new_tokens=5) == tiny.generate(" ok", state=state, max_new_tokens=5)
    torch.manual_seed(1)
    with pytest.raises(FingerprintMismatchError):
        MemoryModel(preset("tiny")).generate(" ok", state=loaded)


def test_unknown_config_is_refused(tiny: MemoryModel, tmp_path) -> None:
    ck = save_checkpoint(tiny, tmp_path / "ck")
    cfg = json.loads((ck / "config.json").read_text())
    (ck / "config.json").write_text(json.dumps({**cfg, "flux_capacitor": 3}))
    with pytest.raises(CheckpointError, match="unknown fields"):
        load_checkpoint(ck)
    (ck / "config.json").write_text(json.dumps({**cfg, "version": 99}))
    with pytest.raises(CheckpointError, match="version"):
        load_checkpoint(ck)
    with pytest.raises(CheckpointError):
        ModelConfig.from_dict({"arch": "rnn"})


def test_missing_or_corrupt_files_raise(tmp_path) -> None:
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        load_checkpoint(tmp_path)
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path)
    with pytest.raises(NotFoundError):
        MemorySlots.load(tmp_path / "none.safetensors")
    with pytest.raises(ModelError):
        MemorySlots.load(tmp_path / "model.safetensors")


def test_shipped_checkpoint_loads_if_present() -> None:
    from memos.model.checkpoint import DEFAULT_CHECKPOINT

    if not (DEFAULT_CHECKPOINT / "config.json").exists():
        pytest.skip("no shipped checkpoint in this tree")
    model = load_checkpoint()
    assert model.cfg.cross_attention and model.num_parameters() > 100_000
    from memos.model import evaluate

    # Facts from a seed no test or training run uses; the shipped model answers from memory only.
    result = evaluate.memory_qa(model, 8, seed=4242, questions=8)
    assert result["memory"] >= 0.75 and result["none"] == 0.0
    # Held-out string style (realistic names and values from word lists training never samples).
    real = evaluate.memory_qa(model, 8, seed=4242, questions=8, style="realistic", conditions=("memory", "none"))
    assert real["memory"] >= 0.75 and real["none"] == 0.0


@pytest.mark.parametrize("change", [
    {"n_heads": 0}, {"memory_chunk": 0}, {"extra": [1]}, {"top_k": 0},
    {"max_memory_tokens": -5}, {"d_model": "128"}, {"cross_attention": 1},
    {"norm_eps": 0}, {"vocab_size": 10}, {"slots_per_chunk": 99},
])
def test_a_config_with_bad_values_is_a_checkpoint_error(tiny: MemoryModel, tmp_path,
                                                        change: dict) -> None:
    """Bad values in config.json are refused with a message, not an internal error (a
    ZeroDivisionError, an AttributeError) or a model that loads and misbehaves."""
    save_checkpoint(tiny, tmp_path)
    data = json.loads((tmp_path / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**data, **change}))
    (tmp_path / "meta.json").unlink()  # the fingerprint check would refuse it anyway
    with pytest.raises(CheckpointError, match="re-create the checkpoint|must"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize("meta", ["{not json", "[1, 2]", '"a string"'])
def test_a_meta_file_that_is_no_json_object_is_a_checkpoint_error(tiny: MemoryModel, tmp_path,
                                                                  meta: str) -> None:
    save_checkpoint(tiny, tmp_path)
    (tmp_path / "meta.json").write_text(meta)
    with pytest.raises(CheckpointError, match="meta.json"):
        load_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="meta.json"):
        copy_checkpoint(tmp_path, tmp_path.parent / "copy", top_k=tiny.cfg.top_k + 1)


def test_the_tokenizer_and_the_config_agree_on_the_vocabulary() -> None:
    from memos.model import config, tokenizer

    assert config.VOCAB_SIZE == tokenizer.VOCAB_SIZE
