"""`memos model ...`: train, evaluate and measure the memory-augmented SSM.

Each command calls one function of `memos.model` and renders its result (table or JSON).
"""

from __future__ import annotations

import json
import logging
import math
import sys
from pathlib import Path

import typer

from memos.cli.app import model_app
from memos.cli.options import progress_bar
from memos.cli.render import SafeTable as Table
from memos.cli.render import err_console, out_console
from memos.errors import InvalidInputError

TASKS_HELP = "memory-qa | robustness | passkey | mqar | cost | generation"

# Bounds of the numeric options: far above any real run, below what overflows torch's C
# integers or asks for more memory than a machine has (a usage error, not an internal one).
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1
MAX_THREADS = 1024
MAX_STEPS = 10**9
MAX_SEQ_LEN = 1 << 20
MAX_BATCH = 1 << 16
MAX_LAYERS = 256
MAX_COUNT = 1 << 20  # facts, questions, sets, fact counts of --lengths


def _path(value: str | Path) -> Path:
    """A folder or file option: an empty value is refused (Path("") is the current folder,
    where a training run would then write its checkpoint)."""
    if isinstance(value, Path):
        return value
    if not value.strip():
        raise typer.BadParameter("is empty: give a path, e.g. ./memqa (. for the current folder)")
    return Path(value)


def _learning_rate(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise typer.BadParameter(f"must be a finite number above 0, got {value:g} "
                                 "(e.g. 1.5e-3 from scratch, 2e-4 to fine-tune)")
    return value


def _ints(text: str | None, default: list[int]) -> list[int]:
    if not text:
        return default
    try:
        values = [int(x) for x in text.replace(" ", "").split(",") if x]
    except ValueError as exc:
        raise InvalidInputError(f"--lengths must be comma-separated integers, got {text!r}") from exc
    if not values or min(values) < 1 or max(values) > MAX_SEQ_LEN:
        raise InvalidInputError(f"--lengths needs integers from 1 to {MAX_SEQ_LEN}, e.g. "
                                "256,1024,4096")
    return values


def _eval_fn(task: str, seq_len: int, n_pairs: int, reads_memory: bool = True):
    from memos.model import evaluate

    if task == "memory-qa":
        cond = "memory" if reads_memory else "stuffed"
        return lambda m: {
            f"{cond}@{n}": evaluate.memory_qa(m, n, seed=1, questions=32, conditions=(cond,))[cond]
            for n in ((16, 64) if reads_memory else (4, 16))
        }
    if task == "passkey":
        return lambda m: {f"passkey@{seq_len}": evaluate.passkey(m, seq_len, seed=1, n=16)}
    return lambda m: {f"mqar@{seq_len}": evaluate.mqar(m, seq_len, n_pairs, seed=1, n=32)}


@model_app.command("train")
def train_cmd(
    out: Path = typer.Option(..., parser=_path, metavar="DIR",
                             help="checkpoint directory (resumed if it holds a train state)"),
    task: str = typer.Option("memory-qa", help="memory-qa | passkey | mqar"),
    preset: str = typer.Option("small", help="small | tiny | ssm (no memory) | transformer (baselines)"),
    steps: int = typer.Option(2000, min=1, max=MAX_STEPS, help="training steps"),
    seed: int = typer.Option(0, min=SEED_MIN, max=SEED_MAX,
                             help="random seed of the initial weights and the training data "
                                  "(same seed and options, same run)"),
    lr: float = typer.Option(1.5e-3, callback=_learning_rate,
                             help="learning rate, a number above 0"),
    seq_len: int = typer.Option(256, min=1, max=MAX_SEQ_LEN, help="passkey/mqar training length"),
    n_pairs: int = typer.Option(16, min=1, max=127, help="mqar key-value pairs"),
    batch: int = typer.Option(16, min=1, max=MAX_BATCH, help="passkey/mqar sequences per step"),
    internal_memory: bool | None = typer.Option(None, help="override the preset's internal memory"),
    layers: int | None = typer.Option(None, min=1, max=MAX_LAYERS,
                                      help="override the preset's number of blocks"),
    prompt_loss: float = typer.Option(
        0.0, min=0.0, help="memory-qa: weight of a next-byte loss over stuffed prompts (teaches in-context copying)"
    ),
    stated_share: float = typer.Option(
        0.35, min=0.0, max=1.0,
        help="memory-qa: share of values drawn as people state them (names with titles, addresses, "
             "e-mails, phone numbers, long values); the rest are random strings. 0 (with the other "
             "shares at 0): random strings only, the session-3 base model's data draw for draw"),
    uniform_share: float = typer.Option(
        0.0, min=0.0, max=1.0,
        help="memory-qa: share of fact sets whose values are all of one kind (long phrases, "
             "e-mail addresses, addresses, phone numbers, ...; a fifth of them in capitals), "
             "the sets hardest to tell apart; 0 keeps the earlier mix exactly"),
    long_share: float = typer.Option(
        0.0, min=0.0, max=1.0,
        help="memory-qa: share of fact sets whose values are all 33-64 bytes long (made-up "
             "words or mixtures of names, addresses, dates, ...); 0 keeps the earlier mix exactly"),
    memory_end: str | None = typer.Option(
        None, help="memory-qa: how the model reads the end of a memory text: 'period' (as "
                   "written) or 'eos' (a final period is not read, so a period inside a value "
                   "is never the value's end); default: the --init checkpoint's or preset's"),
    resume: bool = typer.Option(
        True, help="continue from the train state saved in --out (every 100 steps) when there "
                   "is one; --no-resume trains from step 0, its saves replacing what --out "
                   "holds"),
    threads: int = typer.Option(1, min=1, max=MAX_THREADS,
                                help="torch CPU threads (1 is fastest on a busy machine)"),
    init: Path | None = typer.Option(
        None, parser=_path, metavar="DIR", help="start from this checkpoint's weights and config (fine-tuning) instead of a fresh model"
    ),
    json_out: bool = typer.Option(False, "--json", help="print the result (folder, fingerprint, loss, "
                                                        "seconds, evaluations) as one JSON object"),
) -> None:
    """Train a model; progress bar with loss and tokens/s (on stderr); checkpoint every 100 steps.

    Re-running the same command resumes from the last checkpoint in --out.

    Example (a model from scratch): memos model train --task memory-qa --preset small --steps 3000 --out ./memqa

    Example (a fine-tune of the shipped checkpoint): memos model train --task memory-qa --init model/checkpoints/memqa-small --steps 400 --lr 2e-4 --out ./memqa-ft

    The shipped checkpoint's whole chain of runs: memos model build --recipe model/checkpoints/memqa-small/recipe.json --out ./memqa

    Example (a baseline): memos model train --task passkey --preset small --no-internal-memory --seq-len 256 --batch 8 --out ./pk

    Example (a 2-block stuffed-prompt reader): memos model train --preset transformer --layers 2 --prompt-loss 1.0 --lr 1e-3 --out ./tf2
    """
    import torch

    from memos.model.config import preset as get_preset
    from memos.model.train import TASKS, TrainConfig, train

    if task not in TASKS:
        raise InvalidInputError(f"unknown task {task!r}; use one of {', '.join(TASKS)}")
    torch.set_num_threads(threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    overrides: dict[str, object] = {} if internal_memory is None else {"internal_memory": internal_memory}
    if layers is not None:
        overrides["n_layers"] = layers
    if init is not None:
        from memos.model.checkpoint import read_config

        if not (init / "config.json").is_file():
            raise InvalidInputError(f"--init {init} is not a checkpoint directory (no config.json); "
                                    "pass a directory written by `memos model train`")
        cfg = read_config(init)
    else:
        cfg = get_preset(preset, **overrides)
    tc = TrainConfig(task=task, steps=steps, seed=seed, lr=lr, seq_len=seq_len, n_pairs=n_pairs, batch=batch,
                     prompt_loss=prompt_loss, stated_share=stated_share,
                     uniform_share=uniform_share, long_share=long_share, memory_end=memory_end)
    result = train(cfg, tc, out, resume=resume, eval_fn=_eval_fn(task, seq_len, n_pairs, cfg.cross_attention),
                   init=init)
    if result["rank"] == 0 and json_out:
        from memos.cli.render import to_jsonable

        typer.echo(json.dumps(to_jsonable({k: result[k] for k in (
            "out", "fingerprint", "steps", "loss", "seconds", "history")}), allow_nan=False))
    elif result["rank"] == 0:
        out_console().print(f"saved {result['out']} (fingerprint {result['fingerprint'][:12]}, "
                        f"loss {result['loss']:.3f}, {result['seconds']:.0f}s)")


@model_app.command("build")
def build_cmd(
    recipe: Path | None = typer.Option(None, parser=_path, metavar="FILE", help="recipe file (default: the shipped checkpoint's, "
                                                 "model/checkpoints/memqa-small/recipe.json)"),
    out: Path = typer.Option(..., parser=_path, metavar="DIR",
                             help="folder for the result; each stage runs in out/stages/"),
    threads: int = typer.Option(1, min=1, max=MAX_THREADS,
                                help="torch CPU threads (1 is fastest on a busy machine)"),
    steps_scale: float = typer.Option(
        1.0, help="multiply every stage's steps by this, above 0 and at most 1 (at least 1 step "
                  "each): a quick check of the chain, recorded in meta.json, not the recipe's "
                  "checkpoint"),
    evaluate: bool = typer.Option(True, help="memory-QA evaluations during training, as `memos model train`"),
    json_out: bool = typer.Option(False, "--json", help="print the recipe record of meta.json as JSON"),
) -> None:
    """Build a checkpoint from a recipe: a chain of training runs and copies, by one command.

    Each stage starts from the one before it. Run the same command again after an interruption: finished stages are skipped and an interrupted training stage resumes from its last save (every 100 steps).

    Example (the shipped checkpoint, about 6 hours on a 2-core CPU): memos model build --recipe model/checkpoints/memqa-small/recipe.json --out ./memqa

    Example (a few minutes: every stage at 1 % of its steps, to check the chain): memos model build --recipe model/checkpoints/memqa-small/recipe.json --steps-scale 0.01 --no-evaluate --out /tmp/memqa-check
    """
    import torch

    from memos.model.checkpoint import DEFAULT_CHECKPOINT
    from memos.model.recipe import Stage, load_recipe, run_recipe, scaled

    if not 0.0 < steps_scale <= 1.0:
        raise InvalidInputError(f"--steps-scale must be above 0 and at most 1, got {steps_scale:g} "
                                "(1 builds the recipe's checkpoint, e.g. 0.01 checks the chain)")
    rec = load_recipe(recipe if recipe is not None else DEFAULT_CHECKPOINT / "recipe.json")
    torch.set_num_threads(threads)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    console = err_console() if json_out else out_console()

    ran: list[str] = []

    def told(i: int, stage: Stage, what: str) -> None:
        ran.append(what)
        steps = (f"{scaled(stage.train, steps_scale).steps} steps" if stage.train is not None
                 else f"top_k {stage.top_k}")
        console.print(f"stage {i + 1}/{len(rec.stages)} {stage.name} ({stage.kind}, {steps}): {what}")

    # The evaluation of `memos model train --task memory-qa`, where every stage trains that task.
    memory_qa = all(s.train is None or s.train.task == "memory-qa" for s in rec.stages)
    reads_memory = bool(rec.stages[0].config and rec.stages[0].config.cross_attention)
    eval_fn = _eval_fn("memory-qa", 256, 16, reads_memory) if evaluate and memory_qa else None
    record = run_recipe(rec, out, steps_scale=steps_scale, eval_fn=eval_fn,
                        progress=not json_out, on_stage=told)
    if json_out:
        typer.echo(json.dumps({"out": str(out), **record}))
        return
    if not ran:
        console.print(f"{out} already holds this recipe's result; nothing to do. The table is the "
                      "record of the run that finished it.")
    table = Table(title=f"{out}: recipe {record['name']}"
                        + ("" if steps_scale == 1.0 else f" at {steps_scale:g} of its steps (a check, not the recipe's checkpoint)"))
    for col in ("stage", "kind", "steps / top_k", "fingerprint", "this run", "s this run"):
        table.add_column(col)
    for st in record["stages"]:
        table.add_row(st["name"], st["kind"], str(st.get("steps", st.get("top_k"))),
                      str(st["fingerprint"])[:12], st["ran"], f"{st['seconds_this_run']:.0f}")
    out_console().print(table)


@model_app.command("copy")
def copy_cmd(
    out: Path = typer.Option(..., parser=_path, metavar="DIR",
                             help="folder for the copy (not the source)"),
    top_k: int = typer.Option(..., min=1, help="memories each token reads in the copy"),
    checkpoint: Path | None = typer.Option(None, parser=_path, metavar="DIR",
                                           help="source checkpoint directory (default: the shipped one)"),
    json_out: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Copy a checkpoint with another inference setting; the weights stay as trained.

    top_k (how many pre-encoded memories each token reads) is the one config field the weights do not depend on: training reads every memory.

    The copy has a new fingerprint, so memory slots and session states encoded by the source are encoded again, adapters consolidated on the source must be consolidated again (`memos consolidate`), and meta.json records the source's fingerprint under "copied_from".

    Example: memos model copy --top-k 16 --out /tmp/memqa-top16
    """
    from memos.model.checkpoint import copy_checkpoint

    model = copy_checkpoint(checkpoint, out, top_k=top_k)
    if json_out:
        typer.echo(json.dumps({"out": str(out), "fingerprint": model.fingerprint, "top_k": top_k}))
        return
    out_console().print(f"saved {out} (top_k {top_k}, fingerprint {model.fingerprint[:12]})")


@model_app.command("eval")
def eval_cmd(
    task: str = typer.Option("memory-qa", help=TASKS_HELP),
    checkpoint: Path | None = typer.Option(None, parser=_path, metavar="DIR",
                                           help="checkpoint directory (default: the shipped one)"),
    facts: int = typer.Option(64, min=1, max=MAX_COUNT, help="memory-qa: facts per set"),
    seed: int = typer.Option(0, min=SEED_MIN, max=SEED_MAX,
                             help="random seed of the generated facts and questions (never the "
                                  "training data's); same seed, same questions"),
    lengths: str | None = typer.Option(None, help="passkey/mqar: sequence lengths; memory-qa/cost: fact counts"),
    questions: int = typer.Option(64, min=1, max=MAX_COUNT,
                                  help="questions (memory-qa per set; cost per size)"),
    sets: int = typer.Option(1, min=1, max=MAX_COUNT, help="memory-qa: fact sets"),
    n_pairs: int = typer.Option(16, min=1, max=127, help="mqar key-value pairs"),
    max_stuffed: int = typer.Option(1024, min=0, max=MAX_COUNT,
                                    help="cost: largest fact count measured with stuffing"),
    threads: int = typer.Option(1, min=1, max=MAX_THREADS, help="torch CPU threads"),
    full_attention: bool = typer.Option(False, help="memory-qa: read every memory instead of the top-k"),
    top_k: int | None = typer.Option(None, min=1, help="memories each token reads (default: the checkpoint's "
                                     "top_k); the weights do not depend on it"),
    style: str = typer.Option(
        "random", help="memory-qa: fact strings, 'random' (made-up strings of many shapes, unseen seeds), "
        "'realistic' (names, attributes and values from word lists training never uses), 'training' (the "
        "training mix: random strings plus values as people state them) or a robustness family "
        "(cjk-values, digits, titled-names, addresses, dates, phone-numbers, ...: see --task robustness)"
    ),
    json_out: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Evaluate a checkpoint: exact match on memory QA, passkey, MQAR, or cost per question.

    Example: memos model eval --task memory-qa --facts 64 --seed 1 --json

    Example: memos model eval --task memory-qa --lengths 16,64,256 --style realistic

    Example: memos model eval --task cost --lengths 16,64,256,1024 --questions 4

    Example: memos model eval --task robustness --facts 64   (exact match per kind of string: the training
    mix, realistic people, other scripts, long values, titled names, addresses, dates, phone numbers, ...)
    """
    import torch

    from memos.model import evaluate
    from memos.model.checkpoint import load_checkpoint

    torch.set_num_threads(threads)
    model = load_checkpoint(checkpoint, top_k=top_k)
    console = out_console(width=None if sys.stdout.isatty() else 140)
    if task == "memory-qa":
        counts = _ints(lengths, [facts])
        # Models without cross-attention (baselines) have no memory condition: reported as null.
        conds = evaluate.CONDITIONS if model.cfg.cross_attention else ("stuffed", "none")
        rows = []
        for n in counts:
            with progress_bar(f"memory QA, {n} facts") as step:
                got = evaluate.memory_qa(model, n, seed=seed, questions=questions, sets=sets,
                                         full_attention=full_attention, conditions=conds,
                                         style=style, progress=step)
            rows.append({"memory": None, **got, "facts": n, "seed": seed,
                         **({} if style == "random" else {"style": style})})
        if json_out:
            typer.echo(json.dumps(rows[0] if len(rows) == 1 else rows))
            return
        table = Table("facts", "memory", "stuffed", "none", title=f"memory QA exact match ({style} facts, seed {seed})")
        for r in rows:
            mem = "n/a" if r["memory"] is None else f"{r['memory']:.3f}"
            table.add_row(str(r["facts"]), mem, f"{r['stuffed']:.3f}", f"{r['none']:.3f}")
    elif task == "robustness":
        if not model.cfg.cross_attention:
            raise InvalidInputError("--task robustness measures reading from memory; this checkpoint has no "
                                    "cross-attention (a baseline). Use --task memory-qa for its stuffed accuracy")
        with progress_bar("kinds of string") as step:
            rows = evaluate.robustness(model, facts, seed=seed, questions=questions, progress=step)
        if json_out:
            typer.echo(json.dumps(rows))
            return
        table = Table("style", "memory", title=f"exact match by kind of string ({facts} facts, seed {seed})")
        for r in rows:
            table.add_row(r["style"], f"{r['memory']:.3f}")
    elif task in ("passkey", "mqar"):
        counts = _ints(lengths, [256, 1024, 4096] if task == "passkey" else [256])
        if task == "passkey":
            rows = [{"length": n, "accuracy": evaluate.passkey(model, n, seed=seed, n=questions)} for n in counts]
        else:
            rows = [{"length": n, "accuracy": evaluate.mqar(model, n, n_pairs, seed=seed, n=questions)} for n in counts]
        if json_out:
            typer.echo(json.dumps(rows))
            return
        table = Table("length", "accuracy", title=f"{task} (seed {seed})")
        for r in rows:
            table.add_row(str(r["length"]), f"{r['accuracy']:.3f}")
    elif task == "cost":
        from memos.model.cost import cost_per_question

        counts = _ints(lengths, [16, 64, 256, 1024, 4096])
        result = cost_per_question(model, counts, questions=questions, max_stuffed=max_stuffed, seed=seed)
        if json_out:
            typer.echo(json.dumps([r.to_dict() for r in result]))
            return
        table = Table("facts", "prompt bytes", "memory s/q", "memory acc", "encode s (once)", "stuffed s/q",
                      "stuffed acc", "speed-up", title="time per question")
        def cell(value: float | None, fmt: str, missing: str = "-") -> str:
            return missing if value is None else format(value, fmt)

        for r in result:
            up = None if r.stuffed_s is None or r.memory_s is None else r.stuffed_s / r.memory_s
            table.add_row(str(r.facts), str(r.prompt_tokens), cell(r.memory_s, ".3f"), cell(r.memory_acc, ".2f"),
                          cell(r.encode_s, ".2f"), cell(r.stuffed_s, ".3f", "not run"), cell(r.stuffed_acc, ".2f"),
                          "-" if up is None else f"{up:.1f}x")
    elif task == "generation":
        from memos.model.cost import generation_speed

        gen = generation_speed(model, _ints(lengths, [1024, 4096, 16384]))
        if json_out:
            typer.echo(json.dumps([r.__dict__ for r in gen]))
            return
        table = Table("context tokens", "tokens/s", "state bytes", "read s", title="greedy generation after a context")
        for r in gen:
            table.add_row(str(r.context), f"{r.tokens_per_s:.1f}", str(r.state_bytes), f"{r.read_s:.2f}")
    else:
        raise InvalidInputError(f"unknown task {task!r}; use one of: {TASKS_HELP}")
    console.print(table)
