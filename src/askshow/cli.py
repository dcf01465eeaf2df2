"""The `askshow` command: a thin layer over the library for editors, fans and QA."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from askshow.errors import AskshowError, CorpusInvalidError
from askshow.settings import Settings, get_settings


class _Group(click.Group):
    """Turns every AskshowError into one clear line and a non-zero exit, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CorpusInvalidError as exc:
            for problem in exc.problems:
                click.echo(f"error: {problem}", err=True)
            raise click.ClickException(
                f"{len(exc.problems)} bad article(s); nothing was built"
            ) from None
        except AskshowError as exc:
            raise click.ClickException(str(exc)) from None


def _settings(**overrides: Any) -> Settings:
    return get_settings().with_overrides(**overrides)


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


corpus_option = click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(path_type=Path),
    help="Corpus folder [ASKSHOW_CORPUS_DIR].",
)
index_option = click.option(
    "--index",
    "index_dir",
    type=click.Path(path_type=Path),
    help="Index folder [ASKSHOW_INDEX_DIR].",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@click.group(cls=_Group)
@click.version_option(package_name="askshow")
def main() -> None:
    """askshow: grounded answers about TV shows from fan articles.

    \b
    Example:
      askshow index build && askshow ask "when does all of us are dead season 2 come out?"
    """


@main.group()
def index() -> None:
    """Build and inspect the search index."""


class _Progress:
    """One tqdm bar per stage, on stderr."""

    def __init__(self) -> None:
        self._bars: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        bar = self._bars.get(stage)
        if bar is None:
            bar = self._bars[stage] = tqdm(total=total, desc=stage, unit="item", file=sys.stderr)
        bar.update(done)

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()


@index.command("build")
@corpus_option
@index_option
@click.option("--if-stale", is_flag=True, help="Only build when the corpus or settings changed.")
@click.option(
    "--ray",
    "ray_address",
    is_flag=False,
    flag_value="local",
    metavar="[ADDRESS]",
    help="Read and embed on Ray: a cluster address, or none to start a local Ray for the "
    "build [ASKSHOW_RAY_ADDRESS]. Needs askshow[ray].",
)
@click.option("--ray-actors", type=int, help="Model actors embedding at once [ASKSHOW_RAY_ACTORS].")
@json_option
def index_build(
    corpus_dir: Path | None,
    index_dir: Path | None,
    if_stale: bool,
    ray_address: str | None,
    ray_actors: int | None,
    as_json: bool,
) -> None:
    """Build a new index generation from the corpus and publish it.

    \b
    Example:
      askshow index build --corpus corpus --index index
      askshow index build --ray --ray-actors 2      # on a local Ray, 2 model actors
    """
    from askshow.chunking import ChunkerSettings
    from askshow.embedding import Embedder
    from askshow.index import build_generation, is_stale

    settings = _settings(
        corpus_dir=corpus_dir, index_dir=index_dir, ray_address=ray_address, ray_actors=ray_actors
    )
    chunker = ChunkerSettings(max_tokens=settings.chunk_tokens)
    embedder = Embedder.from_settings(settings)
    if if_stale and not is_stale(
        settings.corpus_dir, settings.index_dir, chunker, embedder.model_id
    ):
        click.echo("index is up to date with the corpus; nothing to build", err=True)
        return
    progress = None if as_json else _Progress()
    try:
        if settings.ray_address:
            from askshow.distributed import build_generation_on_ray

            summary = build_generation_on_ray(
                settings.corpus_dir,
                settings.index_dir,
                embedder,
                chunker,
                keep=settings.keep_generations,
                progress=progress,
                address=settings.ray_address,
                actors=settings.ray_actors,
            )
        else:
            summary = build_generation(
                settings.corpus_dir,
                settings.index_dir,
                embedder,
                chunker,
                keep=settings.keep_generations,
                progress=progress,
            )
    finally:
        if progress:
            progress.close()
    if as_json:
        _echo_json(summary.as_dict())
        return
    click.echo(
        f"published {summary.generation}\n"
        f"  articles: {summary.articles} ({len(summary.added)} added, {len(summary.changed)} changed, "
        f"{len(summary.removed)} removed, {summary.unchanged} unchanged)\n"
        f"  chunks:   {summary.chunks} ({summary.embedded} embedded, {summary.cached} from cache)\n"
        f"  sentences: {summary.sentences} ({summary.sentences_embedded} embedded)\n"
        f"  took:     {summary.seconds:.1f} s"
    )


@index.command("status")
@corpus_option
@index_option
@json_option
def index_status_command(corpus_dir: Path | None, index_dir: Path | None, as_json: bool) -> None:
    """Show the live generation and whether the corpus changed since it was built."""
    from askshow.index import index_status

    settings = _settings(corpus_dir=corpus_dir, index_dir=index_dir)
    status: dict[str, Any] = index_status(settings.corpus_dir, settings.index_dir)
    if as_json:
        _echo_json(status)
        return
    changed = "yes: run `askshow index build`" if status["corpus_changed"] else "no"
    click.echo(
        f"live generation: {status['generation']}\n"
        f"  articles: {status['articles']}, chunks: {status['chunks']}\n"
        f"  model:    {status['model']} ({status['dimension']} dimensions)\n"
        f"  built:    {status['built_at']} in {status['build_seconds']} s\n"
        f"  corpus:   {status['corpus_hash'][:16]}…, changed since: {changed}"
    )


@main.group()
def corpus() -> None:
    """Work with the article corpus."""


@corpus.command("check")
@corpus_option
@json_option
def corpus_check(corpus_dir: Path | None, as_json: bool) -> None:
    """Parse every article and report all problems at once (exit 1 if any)."""
    from askshow.corpus import check_corpus

    settings = _settings(corpus_dir=corpus_dir)
    articles, problems = check_corpus(settings.corpus_dir)
    if as_json:
        _echo_json(
            {
                "articles": len(articles),
                "problems": [
                    {"path": str(p.path), "line": p.line, "message": p.message} for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        shows = len({a.show for a in articles})
        click.echo(f"{len(articles)} article(s) about {shows} show(s), {len(problems)} problem(s)")
    if problems:
        sys.exit(1)


@main.command()
@click.argument("question")
@click.option("--show", help="Answer about this show (otherwise detected from the question).")
@click.option("--max-citations", type=click.IntRange(1, 20), help="At most this many sources.")
@index_option
@json_option
def ask(
    question: str,
    show: str | None,
    max_citations: int | None,
    index_dir: Path | None,
    as_json: bool,
) -> None:
    """Answer a question from the live index, with numbered sources.

    \b
    Example:
      askshow ask "who plays nam-ra in all of us are dead?"
    """
    import msgspec

    from askshow.engine import Engine
    from askshow.schema import answer_body

    settings = _settings(index_dir=index_dir)
    answer = Engine.from_settings(settings).ask(question, show=show, max_citations=max_citations)
    if as_json:
        click.echo(msgspec.json.format(msgspec.json.encode(answer_body(answer)), indent=2))
        return
    click.echo(answer.answer)
    for c in answer.citations:
        flags = [c.status] + (["superseded"] if c.superseded else [])
        date = f", {c.published}" if c.published else ""
        click.echo(f"\n[{c.n}] {c.title}{date} ({', '.join(flags)})")
        click.echo(f"    § {c.section}")
        click.echo(f"    “{c.quote}”")
        if c.url:
            click.echo(f"    {c.url}")
    click.echo(f"\nconfidence {answer.confidence:.2f} · index {answer.index_version}", err=True)


@main.command()
@click.option("--host", help="Address to bind [ASKSHOW_HOST, default 127.0.0.1].")
@click.option("--port", type=int, help="Port [ASKSHOW_PORT, default 8000].")
@click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Processes; each loads its own model (~300 MB) and follows index/CURRENT.")  # fmt: skip
@corpus_option
@index_option
def serve(
    host: str | None,
    port: int | None,
    workers: int,
    corpus_dir: Path | None,
    index_dir: Path | None,
) -> None:
    """Serve the HTTP API and the web page.

    \b
    Example:
      ASKSHOW_ADMIN_TOKEN=secret askshow serve --port 8000
    """
    from askshow.api import serve as run_server

    run_server(_settings(host=host, port=port, corpus_dir=corpus_dir, index_dir=index_dir), workers)


@main.command("eval")
@click.option(
    "--golden", type=click.Path(path_type=Path), help="Golden questions [ASKSHOW_GOLDEN_FILE]."
)
@corpus_option
@index_option
@click.option("--url", help="Ask a running server (its POST /api/ask) instead of in-process.")
@click.option("--report", type=click.Path(path_type=Path), help="Write the JSON report here.")
@click.option("--thresholds", type=click.Path(path_type=Path), default=Path("eval/thresholds.toml"),
              show_default=True, help="Pass bar; exit 1 below it.")  # fmt: skip
@click.option("--build/--no-build", default=True, show_default=True,
              help="In-process: build the index first if the corpus changed.")  # fmt: skip
@click.option("--strategy", type=click.Choice(["ranked", "rules"]),
              help="In-process: how answers are chosen [ASKSHOW_STRATEGY].")  # fmt: skip
@click.option("--split", "splits", multiple=True, help="Only these splits (repeatable).")
def eval_command(
    golden: Path | None, corpus_dir: Path | None, index_dir: Path | None, url: str | None,
    report: Path | None, thresholds: Path, build: bool, strategy: str | None,
    splits: tuple[str, ...],
) -> None:  # fmt: skip
    """Run the golden questions and report accuracy, retrieval, citations and abstention.

    \b
    Example:
      askshow eval --report eval/reports/latest.json
      askshow eval --url http://127.0.0.1:8000
    """
    from askshow import evaluation as ev

    settings = _settings(
        golden_file=golden, corpus_dir=corpus_dir, index_dir=index_dir, strategy=strategy
    )
    questions = ev.load_golden(settings.golden_file)
    if splits:
        questions = [q for q in questions if q.split in splits]
    articles: Mapping[str, str]
    if url:
        ev.check_server(url)
        answerer, articles = ev.http_answerer(url), ev.HttpArticles(url)
    else:
        from askshow.chunking import ChunkerSettings
        from askshow.embedding import Embedder
        from askshow.engine import Engine
        from askshow.index import build_generation, is_stale

        embedder = Embedder.from_settings(settings)
        chunker = ChunkerSettings(max_tokens=settings.chunk_tokens)
        if build and is_stale(settings.corpus_dir, settings.index_dir, chunker, embedder.model_id):
            click.echo("building the index first: the corpus or settings changed", err=True)
            build_generation(settings.corpus_dir, settings.index_dir, embedder, chunker)
        engine = Engine.from_settings(settings, embedder)
        answerer, articles = ev.engine_answerer(engine), ev.engine_articles(engine)
    result = ev.run_eval(questions, answerer, articles)
    click.echo(ev.format_table(result))
    click.echo(ev.format_failures(ev.worst_failures(result)))
    if report:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    violations = ev.check_thresholds(result, ev.load_thresholds(thresholds))
    if not violations and ev.SEALED_SPLIT in result.groups:
        click.echo(
            f"({ev.SEALED_SPLIT} split: scores only; its questions and failures stay unread)"
        )
    for line in violations:
        click.echo(f"below the bar: {line}", err=True)
    if violations:
        sys.exit(1)
    click.echo("eval passed the bar in " + str(thresholds))


@main.group()
def ranker() -> None:
    """Fit the sentence ranker on the golden questions."""


@ranker.command("train")
@click.option(
    "--golden", type=click.Path(path_type=Path), help="Golden questions [ASKSHOW_GOLDEN_FILE]."
)
@corpus_option
@index_option
@click.option("--output", type=click.Path(path_type=Path), help="Where to write the weights "
              "[default: the weights shipped with askshow].")  # fmt: skip
def ranker_train(
    golden: Path | None, corpus_dir: Path | None, index_dir: Path | None, output: Path | None
) -> None:
    """Fit the ranker on the train split; choose its abstention bar on train, dev, paraphrase.

    Deterministic: the same golden file and corpus give the same weights. The next
    `askshow index build` puts them into the generation.

    \b
    Example:
      askshow ranker train && askshow index build
    """
    from askshow import training
    from askshow.embedding import Embedder
    from askshow.engine import Engine
    from askshow.evaluation import load_golden
    from askshow.index import build_generation
    from askshow.ranker import DEFAULT_WEIGHTS
    from askshow.strategy import STRATEGIES

    settings = _settings(golden_file=golden, corpus_dir=corpus_dir, index_dir=index_dir)
    questions = load_golden(settings.golden_file)
    embedder = Embedder.from_settings(settings)
    build_generation(settings.corpus_dir, settings.index_dir, embedder)
    # The live weights may not fit today's features: fit with the rules engine, then switch.
    engine = Engine.from_settings(settings.with_overrides(cache_size=0, strategy="rules"), embedder)
    fitted = training.fit(engine, [q for q in questions if q.split == "train"])
    engine.generation.ranker = fitted
    engine.strategy = STRATEGIES["ranked"]
    # The bar is one number: every question outside test helps choose it (dev alone has too
    # few unanswerable questions to tell bars apart; paraphrases keep it fair to rewordings).
    choice = training.choose_threshold(
        engine, [q for q in questions if q.split in ("train", "dev", "paraphrase")]
    )
    target = output or DEFAULT_WEIGHTS
    fitted.with_threshold(choice.threshold).save(target)
    click.echo(
        f"wrote {target}: bar {choice.threshold:.2f} (outside test: handled right {choice.accuracy:.3f}, "
        f"abstention P/R {choice.abstention_precision:.2f}/{choice.abstention_recall:.2f})"
    )
    for name, weight in sorted(
        zip(fitted.features, fitted.coef, strict=True), key=lambda t: -abs(t[1])
    ):
        click.echo(f"  {name:20s} {weight:+.3f}")


if __name__ == "__main__":
    main()
