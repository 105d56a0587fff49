"""Make a synthetic story for benchmarks: ``manage.py generate_articles --story S --articles N --words W``.

The text is realistic Vietnamese: sentences drawn (with a seeded RNG) from the demo corpus in
``articles/demo/deepseek-r1``, grouped into paragraphs of 60-120 words separated by a blank line.

Search benchmarks need queries whose hit count is known and small, but the demo corpus is *about*
DeepSeek, Nvidia and training costs, so those words would be in most generated articles. The
generator therefore treats a few **marker** phrases specially: corpus sentences containing one are
kept out of the ordinary sentence pool and placed only into a chosen fraction of the articles
(``--marker "chi phí đào tạo=0.02"``; defaults below). Matching ignores case and diacritics, like
the site's search. The same seed and arguments give the same text.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from tqdm import tqdm

from articles import services
from articles.models import Article, Source, Story
from textkernel.text import body_hash, normalize_body

CORPUS_DIR = Path(__file__).resolve().parents[3] / "articles" / "demo" / "deepseek-r1"

#: phrase -> share of articles that get a sentence containing it.
DEFAULT_MARKERS = {"chi phí đào tạo": 0.02, "Nvidia": 0.03, "R1": 0.02}

#: Outlet names for the synthetic articles' column headers.
SOURCE_NAMES = [f"Nguồn tổng hợp {n:02d}" for n in range(1, 13)]

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“'(]?[A-ZÀ-Ỹ0-9Đ])")
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d), for marker matching."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def _contains(folded_tokens: list[str], phrase_tokens: list[str]) -> bool:
    n = len(phrase_tokens)
    return any(folded_tokens[i : i + n] == phrase_tokens for i in range(len(folded_tokens) - n + 1))


@dataclass
class Corpus:
    sentences: list[str]  # ordinary sentences, no marker in them
    carriers: dict[str, list[str]]  # marker -> corpus sentences that contain it


def corpus_load(*, directory: Path = CORPUS_DIR, markers: list[str]) -> Corpus:
    """Split the demo corpus into sentences and set aside those that carry a marker."""
    marker_tokens = {m: _WORD.findall(fold(m)) for m in markers}
    sentences: list[str] = []
    carriers: dict[str, list[str]] = {m: [] for m in markers}
    seen: set[str] = set()
    for path in sorted(directory.glob("*.txt")):
        text = normalize_body(path.read_text(encoding="utf-8"))
        for line in text.split("\n"):
            for sentence in _SENTENCE_END.split(line.strip()):
                sentence = " ".join(sentence.split())
                words = sentence.split()
                # Keep prose: whole sentences of ordinary length, mostly letters.
                if not 5 <= len(words) <= 90 or sentence in seen:
                    continue
                first_letter = next((ch for ch in sentence if ch.isalnum()), "")
                if sentence[-1] not in ".!?…\"”" or not first_letter.isupper():
                    continue
                letters = sum(ch.isalpha() for ch in sentence)
                if letters < 0.7 * len(sentence.replace(" ", "")):
                    continue
                seen.add(sentence)
                tokens = _WORD.findall(fold(sentence))
                hit = [m for m, mt in marker_tokens.items() if _contains(tokens, mt)]
                for marker in hit:
                    carriers[marker].append(sentence)
                if not hit:
                    sentences.append(sentence)
    if len(sentences) < 50:
        raise CommandError(f"{directory}: too little prose to build text from ({len(sentences)} sentences).")
    for marker, found in carriers.items():
        if not found:  # a phrase the corpus never uses still gets a plausible sentence
            found.append(f"Các chuyên gia nhắc nhiều đến {marker} trong những tuần gần đây.")
    return Corpus(sentences=sentences, carriers=carriers)


def _paragraphs(rng: random.Random, sentences: list[str], words: int, forced: list[str]) -> str:
    """About ``words`` words of prose in paragraphs of 60-120 words; ``forced`` sentences included."""
    chosen: list[str] = []
    count = 0
    while count < words:
        sentence = rng.choice(sentences)
        chosen.append(sentence)
        count += len(sentence.split())
    if count > words:  # trim the last sentence so the article has exactly ``words`` words
        last = chosen.pop().split()
        keep = len(last) - (count - words)
        if keep > 0:
            chosen.append(" ".join(last[:keep]).rstrip(",;:") + ".")
    for sentence in forced:  # replace a random sentence, keeping the length about right
        chosen[rng.randrange(len(chosen))] = sentence
    paragraphs, current, size = [], [], 0
    target = rng.randint(60, 120)
    for sentence in chosen:
        current.append(sentence)
        size += len(sentence.split())
        if size >= target:
            paragraphs.append(" ".join(current))
            current, size, target = [], 0, rng.randint(60, 120)
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(paragraphs)


def _title(rng: random.Random, sentences: list[str], number: int) -> str:
    words = rng.choice(sentences).rstrip(".!?…").split()[:14]
    return f"{' '.join(words)} ({number})"


def _parse_marker(value: str) -> tuple[str, float]:
    phrase, sep, rate = value.rpartition("=")
    try:
        share = float(rate)
    except ValueError:
        share = -1.0
    if not sep or not phrase.strip() or not 0 <= share <= 1:
        raise CommandError(f"--marker {value!r}: expected PHRASE=SHARE with SHARE between 0 and 1.")
    return phrase.strip(), share


class Command(BaseCommand):
    help = "Generate a synthetic story of N articles of W words of Vietnamese text (for benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--story", required=True, help="Slug of the story to create.")
        parser.add_argument("--articles", type=int, required=True, help="Number of articles.")
        parser.add_argument("--words", type=int, required=True, help="Words per article.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=500, help="Rows per INSERT.")
        parser.add_argument(
            "--replace", action="store_true", help="Delete the story first if it exists."
        )
        parser.add_argument(
            "--marker",
            action="append",
            metavar="PHRASE=SHARE",
            help="A phrase put into this share of the articles and kept out of the rest "
            f"(repeatable; default {', '.join(f'{k}={v}' for k, v in DEFAULT_MARKERS.items())}).",
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        slug, count, words = options["story"], options["articles"], options["words"]
        if count < 1 or words < 5 or options["batch"] < 1:
            raise CommandError("--articles and --batch must be at least 1, --words at least 5.")
        markers = (
            dict(_parse_marker(v) for v in options["marker"])
            if options["marker"]
            else dict(DEFAULT_MARKERS)
        )
        corpus = corpus_load(markers=list(markers))
        rng = random.Random(options["seed"])
        # Which articles carry which marker, fixed up front so the shares are exact.
        forced: dict[int, list[str]] = {}
        for marker, share in markers.items():
            for index in rng.sample(range(count), round(share * count)):
                forced.setdefault(index, []).append(rng.choice(corpus.carriers[marker]))

        note = (
            f"Synthetic (generate_articles): {count} articles x {words} words, seed {options['seed']}, "
            "markers " + ", ".join(f"{k}={v}" for k, v in markers.items()) + "."
        )
        with transaction.atomic():
            existing = Story.objects.filter(slug=slug).first()
            if existing is not None:
                if not options["replace"]:
                    raise CommandError(f"Story '{slug}' exists; pass --replace to regenerate it.")
                existing.delete()
            story = services.story_get_or_create(slug=slug, title=f"Synthetic story {slug}", note=note)
            sources = [Source.objects.get_or_create(name=name)[0] for name in SOURCE_NAMES]
            bar = tqdm(
                total=count,
                desc=f"Generating {slug}",
                unit="article",
                file=self.stderr._out,
                disable=options["no_progress"],
            )
            for start in range(0, count, options["batch"]):
                batch = []
                for index in range(start, min(start + options["batch"], count)):
                    body = normalize_body(
                        _paragraphs(rng, corpus.sentences, words, forced.get(index, []))
                    )
                    batch.append(
                        Article(
                            story=story,
                            source=sources[index % len(sources)],
                            position=index,
                            title=_title(rng, corpus.sentences, index + 1)[:500],
                            author=f"Tác giả {index % 37 + 1}",
                            language=story.language,
                            file_name=f"generated-{index:06d}.txt",
                            body=body,
                            body_hash=body_hash(body),
                        )
                    )
                Article.objects.bulk_create(batch)
                bar.update(len(batch))
            bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Story '{slug}': {count} articles x {words} words"
                f" ({', '.join(f'{k!r} in {round(v * count)}' for k, v in markers.items())})."
            )
        )
