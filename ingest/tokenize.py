"""The one tokenizer for keyword search, highlighting and sentence scoring.

Chinese runs become overlapping character bigrams (measured better than jieba words for
BM25 on these decisions); Latin letters and digits become lower-cased words. Stopword
bigrams that occur in nearly every clause (检察, 机关, 应当 …) are dropped from queries
by callers through `STOPWORD_BIGRAMS` when they need to.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"[{_CJK}]+|[A-Za-z]+|[0-9]+(?:\\.[0-9]+)?")

# Bigrams with no discriminating power in this domain, or pure function words.
STOPWORD_BIGRAMS = frozenset(
    """的 了 和 与 及 或 在 对 为 等 是 有 哪些 什么 怎么 如何 哪个 需要 应该 要求 规定 有关 关于
    方面 情况 问题 进行 工作 开展 依法 应当 加强 机关 检察 察机 检察机 以及 其他 相关 是否 多少
    吗 呢 么 请问 一下""".split()
)

# Question scaffolding that carries no content: stripped before bigramming a query.
QUESTION_FILLERS = (
    "请问", "有哪些", "有什么", "是什么", "哪些", "什么", "怎么样", "怎么", "如何", "需要", "需",
    "应该", "应当", "要求", "规定", "做些", "做什么", "有何", "吗", "呢", "？", "?",
)


def tokenize(text: str) -> list[str]:
    """Character bigrams for Chinese runs (a lone character stays a unigram), words otherwise."""
    tokens: list[str] = []
    for match in _RUN.finditer(text):
        run = match.group(0)
        if run[0].isascii():
            tokens.append(run.lower())
        elif len(run) == 1:
            tokens.append(run)
        else:
            tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
    return tokens


# A quotation whole, in any of the quotation marks (a ‘…’ inside a “…” goes with it): the text's own words.
QUOTATION_RE = re.compile(r"“[^”]*”|「[^」]*」|‘[^’]*’|『[^』]*』|\"[^\"]*\"")
# A verb asked as a yes-or-no question by saying it twice, negated in between (能不能, 管不管, 可不可以, 有没有,
# 同不同意), or a 没有 ending a question (「后来改过没有？」): the question's grammar, not its content. Said once, no
# 不能/不准/不得 is left to match the text's prohibitions. A quotation is matched first and kept as it is
# (「“四问该不该”是哪四问」: the text's own words).
YES_NO_FORM_RE = re.compile(f"(?P<quoted>{QUOTATION_RE.pattern})|([{_CJK}])[不没]\\2|(?<=[{_CJK}])没有(?=[？?，,。！!]|$)")


def without_yes_no_forms(text: str) -> str:
    """`text` with each yes-or-no question form outside quotation marks said once (能不能登报 → 能登报, 可不可以 →
    可以) and a 没有 that ends a question dropped (改过没有？ → 改过？)."""
    return YES_NO_FORM_RE.sub(lambda m: m.group("quoted") or m.group(2) or "", text)


def query_terms(text: str) -> list[str]:
    """Tokens of a question with scaffolding words and stopword bigrams removed."""
    for filler in QUESTION_FILLERS:
        text = text.replace(filler, " ")
    return [t for t in tokenize(text) if t not in STOPWORD_BIGRAMS]


def cjk_runs(text: str) -> list[str]:
    """The contiguous Chinese/Latin/digit runs of `text` (for highlighting)."""
    return _RUN.findall(text)


# Words too general to say whether the corpus answers a question.
GENERIC_WORDS = frozenset(
    """决定 决议 条例 规定 要求 工作 怎么 怎样 如何 是否 有没有 可以 应当 应该 需要 有关 关于 相关 方面
    情况 问题 内容 里面 其中 提到 检察 检察机关 机关 法律 监督 法律监督 加强 事项 这个 那个 他们 我们 一般 具体
    两地 两个 两部 异同 区别 不同 比较 对比 分别 各有 差异 职责 承担 义务 责任 负责 作用 措施 做法 怎么办
    能否 能不能 是不是 会不会 吗 呢 检察院 检察官 文件 制度 机制 有何 有无 不管 不到 不了 帮忙 一直 能去 可不可以
    处理 解决 办理 开展 包括 涉及 指的是 之间 单位 指的 还有 其他 以及 或者 这些 那些
    针对 对于 按照 依照 依据 根据 怎么样 具体""".split()
)


# The jieba user dictionary: the curated terms of legal_terms.txt plus every CJK form of the entity table
# (assistant/entities.json), so 公益诉讼, 检察建议, 支持起诉 stay whole. legal_terms.txt records why the alias table's
# terms are not in it (measured worse on the seed test split). Bump when the dictionary's sources or rules change.
# The keyword index does not depend on it (BM25 uses `tokenize`, character bigrams); `content_words` is query-side.
JIEBA_DICT_VERSION = 1
LEGAL_TERMS_FILE = Path(__file__).with_name("legal_terms.txt")
ENTITY_TABLE = Path(__file__).resolve().parent.parent / "assistant" / "entities.json"
_TERM = re.compile(f"[{_CJK}]{{2,12}}")


def user_dictionary() -> list[str]:
    """The terms of the jieba user dictionary, in first-seen order."""
    candidates: list[str] = []
    for raw in LEGAL_TERMS_FILE.read_text(encoding="utf-8").splitlines():
        candidates.append(raw.split("#", 1)[0].strip())
    if ENTITY_TABLE.exists():
        for key, forms in json.loads(ENTITY_TABLE.read_text(encoding="utf-8")).items():
            if not key.startswith("_"):
                candidates.extend([key, *forms.get("question", []), *forms.get("text", [])])
    return list(dict.fromkeys(t.strip() for t in candidates if _TERM.fullmatch(t.strip())))


@lru_cache(maxsize=1)
def _segmenter():
    """A jieba tokenizer of our own with the user dictionary (built on first use; jieba's global one is left as is)."""
    import jieba

    jieba.setLogLevel(60)
    segmenter = jieba.Tokenizer()
    for term in user_dictionary():
        segmenter.add_word(term)
    return segmenter


def words(text: str) -> list[str]:
    """jieba words of `text`, the legal terms of the user dictionary kept whole."""
    return _segmenter().lcut(text)


def parts(word: str) -> list[str]:
    """The words a compound is made of, end to end and in order (追究责任 → 追究, 责任; 监察委员会 → 监察,
    委员会); [] when the tokenizer knows none inside it."""
    return list(_parts(word))


@lru_cache(maxsize=4096)
def _parts(word: str) -> tuple[str, ...]:  # asked once per word, not once per sentence it is looked for in
    inside = {w for w in _segmenter().cut_for_search(word) if len(w) >= 2 and w != word}
    found: list[str] = []
    start = 0
    while start < len(word):
        longest = max((w for w in inside if word.startswith(w, start)), key=len, default="")
        if not longest:
            return ()
        found.append(longest)
        start += len(longest)
    return tuple(found)


def tagged_words(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) pairs of `text` (jieba's tags: n… nouns, v verbs, a adjectives, d adverbs, p prepositions),
    with the same dictionary as `words`; a run of characters no dictionary knows may be cut otherwise (帮我理一下:
    `words` has 我理, the tagger 我/理)."""
    return [(pair.word, pair.flag) for pair in _tagger().cut(text)]


@lru_cache(maxsize=1)
def _tagger():
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_segmenter())


PLACES_FILE = Path(__file__).with_name("places.txt")  # scripts/make_places.py writes it
# 广西壮族自治区 → 广西, 甘南藏族自治州 → 甘南, 杭州市 → 杭州: the name people use without the level.
PLACE_SUFFIX_RE = re.compile(r"^(.{2,8}?)((?:维吾尔|[\u4e00-\u9fff]{1,3}族)*(?:特别行政区|自治区|自治州|地区|省|市|盟))$")
SHORT_FORM_TAGS = {"ns", "nrt", None}  # how jieba's dictionary tags a short form that is a place name (长治, 来宾: n)


@lru_cache(maxsize=1)
def place_gazetteer() -> dict[str, frozenset[str]]:
    """Each place name (广东省, 杭州市, 嘉善县) and the places it lies in (浙江省, 嘉兴市 for 嘉善县), from
    ingest/places.txt. A province or prefecture also by its short form (广东, 杭州) where jieba's dictionary
    has that form as a place or not at all (长治 is a word: 长治久安)."""
    tags = {}
    with _segmenter().get_dict_file() as dictionary:
        for line in dictionary:
            parts = (line.decode("utf-8") if isinstance(line, bytes) else line).split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    places: dict[str, frozenset[str]] = {}
    for line in PLACES_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, province, prefecture = (line.split("\t") + [""])[:3]
        within = frozenset(p for p in (province, prefecture) if p and p != name)
        places[name] = within
        short = PLACE_SUFFIX_RE.match(name)
        if short and not prefecture and tags.get(short.group(1)) in SHORT_FORM_TAGS:
            places.setdefault(short.group(1), within)
    return places


# A word asking for something (哪天, 哪一条, 几个工作日's 几个, 多少岁, 第几条) says what kind of answer is wanted, not
# what about.
INTERROGATIVE_RE = re.compile(r"^(?:第?(?:哪|几)|啥|多少|什么)")


def content_words(text: str) -> list[str]:
    """jieba words of a question that carry its content (≥ 2 characters, not generic, not asking words), in order."""
    words_ = []
    for word in words(without_yes_no_forms(text)):
        word = word.strip()
        if (len(word) >= 2 and _RUN.fullmatch(word) and word not in GENERIC_WORDS and not INTERROGATIVE_RE.match(word)
                and word not in words_):
            words_.append(word)
    return words_
