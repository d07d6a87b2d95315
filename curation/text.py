"""The one definition of what a tweet's text holds: links, quoted posts, hashtags, mentions, numbers, length."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# History (every importer) and drafts (features, planner, explanations) use these rules, so the
# model scores a draft with the features it was trained on. A link is what X itself links when it
# shows the text: http(s):// (archives hold every link as https://t.co/...). A link to a post on
# X (a quote, a status link) or to a profile is not an external link: it earns no click away.

# A hashtag is what r"(?<![\w&#＃])[#＃]\d*[^\W\d]" finds (tests check the equivalence):
# not glued to a word, & (an entity) or another #; \w is Unicode, so #日本 counts; it needs
# one non-digit (#2024 is no tag).
_TAG_BODY_RE = re.compile(r"\d*[^\W\d]")
_ASCII_TAG_RE2 = "#[0-9]*[A-Za-z_]"
_INEXACT_TAG_RE2 = r"[A-Za-z0-9_&#]#|＃|#[0-9]*[^\x00-\x7F]|[^\x00-\x7F]#"
# RE2 syntax (Arrow kernels); RE2 has no lookbehind, see count_mentions.
_AT_HANDLE_RE2 = "@[A-Za-z0-9_]"  # X handles are ASCII
_INEXACT_AT_RE2 = "[A-Za-z0-9._%+-]@|＠"
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[@＠][A-Za-z0-9_]")
_URL_START_RE2 = r"(?i)https?://[^/\s?#<>\"'\\]+"  # counts exactly what _HOST_RE finds
_HOST_RE2 = r"(?i)https?://(?P<host>[^/\s?#<>\"'\\]+)"
_TWO_HOSTS_RE2 = r"(?is)https?://(?P<a>[^/\s?#<>\"'\\]+).*?https?://(?P<b>[^/\s?#<>\"'\\]+)"
_HOST_RE = re.compile(r"\s*https?://([^/\s?#<>\"'\\]+)", re.IGNORECASE)
# A reply, by its text alone: it opens with another account's @handle. One rule for the imported
# history (exports without reply fields) and for drafts; Arrow (RE2) and Python's re read these same
# patterns. Leading blanks are skipped (a draft pasted with a space still opens with the handle).
_LEAD_BLANKS = "[\t\n\x0b\x0c\r \u00a0\u3000]*"
_LEADING_HANDLE_RE2 = f"^{_LEAD_BLANKS}[@＠][A-Za-z0-9_]"
_HANDLE_OK = re.compile(r"[A-Za-z0-9_]{1,15}")  # an X handle: other values (Mastodon's user@host) are no own handle

# On-platform links (quoted tweets, profiles, media pages) are not "external" links.
_PLATFORM_DOMAINS = ("twitter.com", "x.com")
_PLATFORM_SUFFIXES = (".twitter.com", ".x.com")


def _rows_matching(texts: pa.Array, pattern: str) -> np.ndarray:
    """Row numbers whose text matches; a cheap literal pre-filter before costlier kernels.

    Regex kernels are used even for literals: Arrow's RE2 path beats its plain substring
    search on large arrays.
    """
    found = pc.match_substring_regex(texts, pattern).to_numpy(zero_copy_only=False)
    return found.nonzero()[0]


def count_hashtags(texts: pa.Array) -> np.ndarray:
    """Hashtags per text (# or fullwidth ＃); #1 is not a hashtag on X.

    Same split as count_mentions: an ASCII RE2 pattern starting with a literal counts the
    common case; texts where it may be wrong (a # glued to a word or to non-ASCII letters, a
    fullwidth ＃) are recounted in Python. (RE2's Unicode classes cost ~20 ms to compile per
    call, which is why the exact rule is not done in RE2.)
    """
    return _count(texts, _ASCII_TAG_RE2, _INEXACT_TAG_RE2, _hashtags_in_one)


def _hashtags_in_one(text: str) -> int:
    # str.split is C-fast; a regex scan of the whole text was 10x slower on big exports.
    parts = text.replace("＃", "#").split("#")
    count = 0
    for i in range(1, len(parts)):
        before = parts[i - 1]
        if before:
            if before[-1].isalnum() or before[-1] in "_&":
                continue
        elif i > 1:
            continue  # "##tag": preceded by another #
        if _TAG_BODY_RE.match(parts[i]):
            count += 1
    return count


def count_mentions(texts: pa.Array) -> np.ndarray:
    """@mentions per text: what _MENTION_RE finds (e-mail addresses are not mentions).

    Bulk path: count "@ + handle character" with an RE2 pattern that starts with a literal and
    so runs fast (RE2 has no lookbehind). Texts where that count may be wrong (an @ glued to a
    word, as in e-mail addresses, or a fullwidth ＠) are recounted with _MENTION_RE in Python.
    """
    return _count(texts, _AT_HANDLE_RE2, _INEXACT_AT_RE2, lambda t: len(_MENTION_RE.findall(t)))


def _count(texts: pa.Array, fast: str, inexact: str, exact: Callable[[str], int]) -> np.ndarray:
    """Count ``fast`` per text in RE2, then recount the texts matching ``inexact`` with ``exact``."""
    if len(texts) == 0:
        return np.zeros(0, np.int64)
    counts = pc.count_substring_regex(texts, fast).to_numpy(zero_copy_only=False).astype(np.int64)
    redo = _rows_matching(texts, inexact)
    if len(redo):
        subset = pc.take(texts, pa.array(redo)).to_pylist()
        counts[redo] = [exact(t) for t in subset]
    return counts


def url_domain(url: str) -> str | None:
    """Lower-case host without 'www.'; None for on-platform (twitter.com/x.com) or bad URLs."""
    m = _HOST_RE.match(url.strip())
    if m:
        host = m.group(1)
    else:
        try:
            host = urlsplit(url.strip()).hostname or ""
        except ValueError:
            return None
    return _clean_host(host) if host else None


@functools.lru_cache(maxsize=4096)
def _clean_host(host: str) -> str | None:
    # Cached: an account links to the same few sites again and again. Same steps, in the same
    # order, as _clean_hosts.
    host = host.lower().rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if not host or host in _PLATFORM_DOMAINS or host.endswith(_PLATFORM_SUFFIXES):
        return None
    return host


def join_domains(urls: Iterable[str]) -> str:
    """Space-separated unique external domains, in order of appearance ("" when none)."""
    seen: dict[str, None] = {}
    for url in urls:
        dom = url_domain(url)
        if dom:
            seen.setdefault(dom, None)
    return " ".join(seen)


def link_domains(texts: pa.Array) -> np.ndarray:
    """External domains of the URLs written in each text (t.co when the export shortened them).

    Returns an object array of space-separated domains ("" when none). Most texts hold zero or
    one URL: those are done entirely by Arrow kernels; texts with several URLs in Python.
    """
    out = np.full(len(texts), "", dtype=object)
    if len(texts) == 0:
        return out
    n_urls = pc.count_substring_regex(texts, _URL_START_RE2).to_numpy(zero_copy_only=False)
    single = (n_urls == 1).nonzero()[0]
    if len(single):
        hosts = pc.struct_field(pc.extract_regex(pc.take(texts, pa.array(single)), _HOST_RE2), [0])
        out[single] = _clean_hosts(hosts).to_pylist()
    double = (n_urls == 2).nonzero()[0]
    if len(double):
        # Two URLs is common (a link plus the media's t.co link): still no Python per row.
        pairs = pc.extract_regex(pc.take(texts, pa.array(double)), _TWO_HOSTS_RE2)
        first = _clean_hosts(pc.struct_field(pairs, [0]))
        second = _clean_hosts(pc.struct_field(pairs, [1]))
        second = pc.if_else(pc.equal(first, second), "", second)
        joined = pc.binary_join_element_wise(first, second, " ")
        out[double] = pc.utf8_trim(joined, " ").to_pylist()
    multi = (n_urls > 2).nonzero()[0]
    if len(multi):
        for i, text in zip(multi, pc.take(texts, pa.array(multi)).to_pylist(), strict=True):
            out[i] = " ".join(domains_in(text))
    return out


def _clean_hosts(hosts: pa.Array) -> pa.Array:
    """_clean_host for a whole array ("" where _clean_host gives None)."""
    hosts = pc.utf8_lower(hosts.fill_null(""))
    for pattern in (r"^.*@", r":.*$", r"\.+$", r"^www\."):
        hosts = pc.replace_substring_regex(hosts, pattern, "")
    platform = pc.or_(
        pc.is_in(hosts, value_set=pa.array(list(_PLATFORM_DOMAINS))),
        pc.match_substring_regex(hosts, r"\.(?:twitter|x)\.com$"),
    )
    return pc.if_else(platform, "", hosts)


# Scalar rules for one text (a draft is scored in milliseconds); the column versions above give
# the same answers (tests/test_text.py checks it).
URL_RE = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_STATUS_RE = re.compile(r"https?://(?:[\w-]+\.)*(?:twitter|x)\.com/\w+/status(?:es)?/\d+", re.IGNORECASE)
# The same words as the counters above, as patterns to cut out of a text (has_number).
HASHTAG_RE = re.compile(r"(?<![\w&#＃])[#＃]\d*[^\W\d]\w*")
MENTION_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[@＠][A-Za-z0-9_]+")
DIGIT_RE = re.compile(r"\d")
_LEADING_HANDLE_RE = re.compile(_LEADING_HANDLE_RE2)


def link_domain(url: str) -> str:
    """Lower-case host of a URL without a leading www, on-platform hosts included (the vectoriser's view)."""
    host = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE).split("/", 1)[0].split("?", 1)[0]
    host = host.split(":", 1)[0].lower().rstrip(".,;:!?)")
    return host[4:] if host.startswith("www.") else host


def quoted_posts(text: str) -> int:
    """Links to posts on X/Twitter (quotes): not links that take a reader away."""
    return len(_STATUS_RE.findall(text or ""))


def domains_in(text: str) -> list[str]:
    """External link domains of one text, unique, in order of appearance (as link_domains)."""
    seen: dict[str, None] = {}
    for host in _HOST_RE.findall(text or ""):
        dom = _clean_host(host)
        if dom:
            seen.setdefault(dom, None)
    return list(seen)


def has_link(text: str) -> bool:
    """Whether a text carries an external link (a quoted post is not one)."""
    return bool(domains_in(text))


def hashtags_in(text: str) -> int:
    """Hashtags in one text (X's rule: # plus at least one letter, so #2024 is none)."""
    return _hashtags_in_one(text or "") if "#" in (text or "") or "＃" in (text or "") else 0


def mentions_in(text: str) -> int:
    """@mentions in one text (e-mail addresses are none)."""
    return len(_MENTION_RE.findall(text or ""))


def _own_reply_re(own: str | None) -> str | None:
    """The pattern of a text opening with the account's own @handle (a thread), or None without a usable handle."""
    if not own or not _HANDLE_OK.fullmatch(own):
        return None
    return rf"^{_LEAD_BLANKS}[@＠](?i:{own})(?:[^A-Za-z0-9_]|$)"


@functools.lru_cache(maxsize=64)
def _own_reply_compiled(own: str | None) -> re.Pattern[str] | None:
    pattern = _own_reply_re(own)
    return re.compile(pattern) if pattern else None


def is_reply_text(text: str, own: str | None = None) -> bool:
    """Whether a text reads as a reply: it opens with an @handle that is not ``own`` (a thread is no reply).

    The rule for drafts and for imported history without reply fields (replies_from_text); ``own``
    is the account's handle without "@" (None: any leading @handle counts).
    """
    text = text or ""
    if not _LEADING_HANDLE_RE.match(text):
        return False
    to_self = _own_reply_compiled(own)
    return not (to_self is not None and to_self.match(text))


def replies_from_text(texts: pa.Array, own: str | None) -> np.ndarray:
    """is_reply_text for a column of texts (Arrow kernels: exports hold up to hundreds of thousands)."""
    if len(texts) == 0:
        return np.zeros(0, bool)
    is_reply = pc.match_substring_regex(texts, _LEADING_HANDLE_RE2).to_numpy(zero_copy_only=False)
    own_rx = _own_reply_re(own)
    if own_rx is not None:
        to_self = pc.match_substring_regex(texts, own_rx).to_numpy(zero_copy_only=False)
        is_reply = is_reply & ~to_self
    return np.asarray(is_reply, bool)


def plain(text: str) -> str:
    """The text with its links cut out (length and question marks are measured on it)."""
    return URL_RE.sub(" ", text or "")


def has_number(text: str) -> bool:
    """A digit in the words themselves (not in links, @handles or #hashtags like #B2B)."""
    return bool(DIGIT_RE.search(HASHTAG_RE.sub(" ", MENTION_RE.sub(" ", plain(text)))))


def text_structure(text: pd.Series) -> pd.DataFrame:
    """has_number/plain for a column: length and "?" without links, digits outside links/@/#."""
    text = text.fillna("").astype(str)
    no_links = text.str.replace(URL_RE, " ", regex=True)
    words = no_links.str.replace(MENTION_RE, " ", regex=True).str.replace(HASHTAG_RE, " ", regex=True)
    return pd.DataFrame({"_plain_len": no_links.str.len().to_numpy(float),
                         "_question": no_links.str.contains("?", regex=False).to_numpy(float),
                         "_numbers": words.str.contains(DIGIT_RE, regex=True).to_numpy(float)},
                        index=text.index)  # fmt: skip
