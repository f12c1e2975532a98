"""Text plumbing shared by training, baselines and inference.

Sentence spans (not just strings) are the unit everywhere, because the archive
must map each chosen sentence back to the transcription lines it came from.
The splitter is a regex one on purpose: no NLTK data download, deterministic,
and tolerant of OCR/HTR garbage.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import shared_data

# Words after which a full stop does not end a sentence (lower-cased, no dot).
ABBREVIATIONS = frozenset(
    """al e.g i.e eg ie etc cf vs viz fig figs eq eqs sec secs tab ch vol vols no nos pp p
    mr mrs ms dr prof st mt jr sr rev gen col capt lt hon messrs esq approx dept est inc ltd
    co corp jan feb mar apr jun jul aug sep sept oct nov dec ref refs resp""".split()
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"[.!?]+['\"’”)\]]*(?=\s)")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_NEXT_START = re.compile(r"\s+(['\"‘“(\[]?[A-Z0-9À-Þ•])")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?|\d+(?:[.,]\d+)*", re.UNICODE)
MAX_SENTENCE_WORDS = 80

PAD, UNK, NUM = "<pad>", "<unk>", "<num>"


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the '.' at ``dot`` closes an abbreviation or an initial ("J.")."""
    match = _WORD_BEFORE.search(text, max(0, dot - 40), dot)  # bounded look-back: O(1) per boundary
    if not match:
        return False
    word = match.group(1)
    if len(word) == 1 and word.isupper():
        return True  # an initial: "J. Smith"
    return word.lower().rstrip(".") in ABBREVIATIONS


def _split_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one paragraph ``text[start:end]`` at sentence-final punctuation."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        nxt = _NEXT_START.match(text, match.end(), end)
        if not nxt:
            continue  # next word starts lower-case: "et al. proposed", "3 vs. 4"
        if text[match.start()] == "." and match.end() - match.start() == 1 and _is_abbreviation(text, match.start()):
            continue
        spans.append((cursor, match.end()))
        cursor = nxt.start(1)
    spans.append((cursor, end))
    return spans


def _chunk_long(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """Break an unpunctuated run (typical of transcriptions) at line ends, else every N words."""
    start, end = span
    words = list(re.finditer(r"\S+", text[start:end]))
    if len(words) <= MAX_SENTENCE_WORDS:
        return [span]
    lines = [(start + m.start(), start + m.end()) for m in re.finditer(r"[^\n]*\S[^\n]*", text[start:end])]
    if len(lines) > 1:
        out: list[tuple[int, int]] = []
        cur_s, cur_e, count = lines[0][0], lines[0][1], 0
        for s, e in lines:
            n = len(text[s:e].split())
            if count and count + n > MAX_SENTENCE_WORDS:
                out.append((cur_s, cur_e))
                cur_s, count = s, 0
            cur_e, count = e, count + n
        out.append((cur_s, cur_e))
        return [piece for sub in out for piece in _chunk_words(text, sub)]
    return _chunk_words(text, span)


def _chunk_words(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    start, end = span
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    if len(words) <= MAX_SENTENCE_WORDS:
        return [span]
    return [(words[i][0], words[min(i + MAX_SENTENCE_WORDS, len(words)) - 1][1])
            for i in range(0, len(words), MAX_SENTENCE_WORDS)]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Character spans ``(start, end)`` of the sentences of ``text``.

    Paragraph breaks (blank lines) always end a sentence; single line breaks do
    not, because transcribed lines break mid-sentence. Spans are stripped of
    surrounding whitespace and never empty.
    """
    spans: list[tuple[int, int]] = []
    pos = 0
    blocks = [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)] + [(len(text), len(text))]
    for b_start, b_end in blocks:
        for s, e in _split_block(text, pos, b_start):
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                spans.extend(_chunk_long(text, (s, e)))
        pos = b_end
    return spans


def tokenize(sentence: str) -> list[str]:
    """Lower-cased word tokens; digits collapse to one token so numbers share statistics."""
    return [NUM if t[0].isdigit() else t.lower() for t in _TOKEN.findall(sentence)]


@dataclass
class Vocab:
    """Word → id map; id 0 is padding, id 1 unknown."""

    words: list[str]
    index: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, token_lists: list[list[str]], size: int, min_count: int = 2) -> Vocab:
        counts = Counter(t for tokens in token_lists for t in tokens)
        common = [w for w, c in counts.most_common() if c >= min_count and w not in (PAD, UNK)]
        return cls([PAD, UNK, *common[: size - 2]])

    def encode(self, tokens: list[str]) -> list[int]:
        return [self.index.get(t, 1) for t in tokens]

    def __len__(self) -> int:
        return len(self.words)


@dataclass
class Paper:
    """One ACLSum paper: body sentences (the input) and its reference summaries."""

    paper_id: str
    sentences: list[str]
    abstract: str
    aspects: dict[str, str]

    @property
    def aspect_summary(self) -> str:
        """The evaluation reference: challenge, approach, outcome, in that order."""
        return " ".join(self.aspects[k] for k in ("challenge", "approach", "outcome"))

    @property
    def text(self) -> str:
        return "\n\n".join(self.sentences)


DEFAULT_ACLSUM = shared_data() / "summaries" / "aclsum"


def body_sentences(paper_json: dict) -> list[str]:
    """Sentences of the body text, paragraph by paragraph; the abstract is excluded (it is a target)."""
    out: list[str] = []
    for para in paper_json.get("pdf_parse", {}).get("body_text", []):
        text = para.get("text", "")
        out.extend(text[s:e] for s, e in split_sentences(text))
    return out


def load_aclsum(split: str, root: Path = DEFAULT_ACLSUM) -> list[Paper]:
    """Read one ACLSum split joined with its parsed full papers."""
    papers = []
    with open(root / f"{split}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            paper = json.loads((root / "paper_jsons" / f"{row['id']}.json").read_text(encoding="utf-8"))
            papers.append(Paper(row["id"], body_sentences(paper), paper.get("abstract") or "", row["summary"]))
    return papers
