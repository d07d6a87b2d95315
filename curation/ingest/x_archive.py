"""X data archive tweets (tweet.js, tweets.js, tweets-partN.js, note-tweet.js) and Grailbird files.

Decisions, so the record counts and keys are predictable:
- Edit chains (`edit_info.edit.initialTweetId`) become one row keyed by the INITIAL tweet id, so
  the key stays stable whichever version another export reports. The row takes the latest
  version's text and structure (what readers saw last), the initial version's posting time (the
  slot the planner learns from) and the largest likes/reposts in the chain (counts only grow).
- Links: `entities.urls[].expanded_url` domains, excluding twitter.com/x.com links (quoted
  tweets, profiles, media pages): those keep readers on X and are not external links.
- Retweets (`RT @x: ...` or a `retweeted_status`) are kept with is_retweet=True.
- A reply is `in_reply_to_status_id_str` set and the parent author not the account itself.
  The account id comes from manifest.js `userInfo.accountId`, else from Grailbird's
  `user.id_str`, else from replies whose parent tweet is in the same upload (a thread).
  account.js is never opened: it holds the e-mail address.
- note-tweet.js: `noteTweet.core.text` replaces the cut `full_text` of the tweet with the exact
  same `createdAt`; leading @handles of a reply are kept, as the other formats show them.
- Archives have no impressions or clicks: those metrics stay <NA>, never 0.
"""

from __future__ import annotations

import gc
import re
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from curation.errors import ImportFailed
from curation.ingest.frames import empty_daily, later, newest, parse_utc, tweets_frame
from curation.ingest.limits import MAX_ID_DIGITS, MAX_ROWS
from curation.ingest.result import ParsedFile, SkippedRow
from curation.ingest.text import UTF8_BOM, hashtags_in, join_domains, link_domains, mentions_in, unescape_html
from curation.ingest.validate import count_warnings

_YTD_RE = re.compile(rb"\s*window\.YTD\.([A-Za-z0-9_]+)\.part(\d+)\s*=\s*")
_GRAILBIRD_RE = re.compile(rb"\s*Grailbird\.data\.([A-Za-z0-9_]+)\s*=\s*")
_THAR_RE = re.compile(rb"\s*window\.__THAR_CONFIG\s*=\s*")
_LEADING_MENTIONS_RE = re.compile(r"^(?:[@＠][A-Za-z0-9_]{1,15}\s+)+")
_HANDLE_RE = re.compile(r"[A-Za-z0-9_]{1,15}")
_MEDIA_RANK = {"video": 3, "animated_gif": 2, "photo": 1}
ARCHIVE_WARNING = "Archives have no impressions or clicks: only likes and reposts are imported."


def ytd_name(data: bytes) -> tuple[str, int] | None:
    """(data type, part) of a `window.YTD.<type>.partN = [` file, else None."""
    m = _YTD_RE.match(_strip_bom(data[:300]))
    return (m.group(1).decode("ascii"), int(m.group(2))) if m else None


def grailbird_name(data: bytes) -> str | None:
    """`tweets_2009_07` of a `Grailbird.data.tweets_2009_07 = [` file, else None."""
    m = _GRAILBIRD_RE.match(_strip_bom(data[:300]))
    return m.group(1).decode("ascii") if m else None


def is_manifest(data: bytes) -> bool:
    """`window.__THAR_CONFIG = {` (data/manifest.js)."""
    return _THAR_RE.match(_strip_bom(data[:300])) is not None


def _strip_bom(data: bytes) -> bytes:
    return data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data


def load_js(data: bytes, name: str) -> Any:
    """JSON after the `... = ` prefix; slices a memoryview so a 130 MB file is never copied."""
    view = memoryview(data)
    start = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    for rx in (_YTD_RE, _GRAILBIRD_RE, _THAR_RE):
        m = rx.match(data, start, start + 300)
        if m:
            start = m.end()
            break
    end = len(data)
    while end > start and data[end - 1] in b" \t\r\n;":
        end -= 1
    try:
        return orjson.loads(view[start:end])
    except orjson.JSONDecodeError as exc:
        if "utf-8" in exc.msg.lower():
            raise invalid_utf8(name, view[start:end], start) from None
        raise ImportFailed(
            f"{name}: the file is cut off or damaged ({exc.msg} at byte {start + exc.pos}). "
            "Download the archive again from X and upload the new file."
        ) from None


def invalid_utf8(name: str, body: memoryview | bytes, offset: int = 0) -> ImportFailed:
    """The message for JSON that is not UTF-8, with the first bad byte's offset."""
    try:
        bytes(body).decode("utf-8")
        where = "somewhere"
    except UnicodeDecodeError as err:
        where = f"byte {offset + err.start}"
    return ImportFailed(
        f"{name}: {where} is not valid UTF-8 text. Download the export again and upload it unchanged "
        "(re-saving it in an editor can change its encoding; save as UTF-8 if you must edit it)."
    )


@dataclass
class ArchiveBundle:
    """The pieces of one archive (from a zip, or loose files uploaded together)."""

    name: str
    tweet_parts: list[tuple[str, bytes]] = field(default_factory=list)
    grailbird_parts: list[tuple[str, bytes]] = field(default_factory=list)
    notes: list[tuple[str, bytes]] = field(default_factory=list)
    manifest: bytes | None = None
    followers: list[str] | None = None
    following: list[str] | None = None


def account_ids(data: bytes, name: str, key: str) -> list[str]:
    """Account ids from follower.js / following.js (`{"follower": {"accountId": ...}}`)."""
    items = load_js(data, name)
    if not isinstance(items, list):
        raise ImportFailed(f"{name}: expected a list of accounts. Upload the file from the archive as is.")
    out: list[str] = []
    for item in items:
        inner = item.get(key) if isinstance(item, dict) else None
        acc = inner.get("accountId") if isinstance(inner, dict) else None
        if isinstance(acc, str | int) and str(acc).isdigit():
            out.append(str(acc))
    return out


def manifest_account(data: bytes | None, name: str) -> tuple[str | None, datetime | None, str | None]:
    """Account id, generation time and handle (lower case) from manifest.js; None when absent."""
    if data is None:
        return None, None, None
    try:
        conf = load_js(data, name)
    except ImportFailed:
        return None, None, None
    if not isinstance(conf, dict):
        return None, None, None
    user = conf.get("userInfo") if isinstance(conf.get("userInfo"), dict) else {}
    info = conf.get("archiveInfo") if isinstance(conf.get("archiveInfo"), dict) else {}
    acc = user.get("accountId")
    gen = pd.to_datetime(info.get("generationDate"), utc=True, errors="coerce")
    handle = user.get("userName")
    return (
        str(acc) if isinstance(acc, str | int) and str(acc).isdigit() and len(str(acc)) <= MAX_ID_DIGITS else None,
        None if pd.isna(gen) else gen.to_pydatetime(),
        handle.lower() if isinstance(handle, str) and _HANDLE_RE.fullmatch(handle) else None,
    )


_FIELDS = (
    "ids", "created", "texts", "domains", "media", "rows", "reply_status", "reply_user", "retweet",
    "likes", "reposts", "hashtags", "mentions", "initial", "lang", "part",
)  # fmt: skip


class _Columns:
    """Per-tweet records from one pass over the tweet objects, turned into column lists."""

    ids: list[str]
    created: list[str]
    texts: list[str]
    domains: list[str]
    media: list[str | None]
    rows: list[int]
    reply_status: list[str]
    reply_user: list[str]
    retweet: list[bool]
    likes: list[Any]
    reposts: list[Any]
    hashtags: list[int]
    mentions: list[int]
    initial: list[str]
    lang: list[str | None]
    part: list[str]

    def __init__(self) -> None:
        self.records: list[tuple[Any, ...]] = []
        self.user_ids: Counter[str] = Counter()
        self.user_names: Counter[str] = Counter()

    def transpose(self) -> None:
        columns = list(zip(*self.records, strict=True)) if self.records else [()] * len(_FIELDS)
        for name, values in zip(_FIELDS, columns, strict=True):
            setattr(self, name, list(values))
        self.records = []


def _collect(items: list[Any], cols: _Columns, skipped: list[SkippedRow], text_key: str, part: str) -> None:
    # One tight loop: this runs 100k+ times for a big archive, so no per-field helpers and one
    # tuple per tweet (columns are made by transposing at the end).
    records = cols.records
    other_key = "text" if text_key == "full_text" else "full_text"
    for n, item in enumerate(items, 1):
        try:
            tw = item.get("tweet", item)
            tid = tw.get("id_str") or tw["id"]
            if type(tid) is not str:
                tid = str(tid)
            if not tid.isdigit():
                raise ValueError(f"tweet id {tid[:30]!r} is not a number")
            if len(tid) > MAX_ID_DIGITS:
                raise ValueError(f"tweet id has {len(tid):,} digits; X ids have at most {MAX_ID_DIGITS}")
            text = tw.get(text_key)
            if text is None:
                text = tw.get(other_key, "")
            if type(text) is not str:
                raise ValueError("text is not a string")
            created = tw["created_at"]
            if type(created) is not str:
                raise ValueError("created_at is not a string")
            ent = tw.get("entities") or {}
            urls = ent.get("urls")
            dom = join_domains(u.get("expanded_url") or u.get("url") or "" for u in urls) if urls else ""
            media = (tw.get("extended_entities") or ent).get("media")
            mtype = None
            if media:
                best = 0
                for med in media:
                    rank = _MEDIA_RANK.get(med.get("type"), 0)
                    if rank > best:
                        best, mtype = rank, med.get("type")
            edit = (tw.get("edit_info") or {}).get("edit")
            init = str(edit.get("initialTweetId") or "") if edit else ""
            rs = tw.get("in_reply_to_status_id_str") or tw.get("in_reply_to_status_id") or ""
            ru = tw.get("in_reply_to_user_id_str") or tw.get("in_reply_to_user_id") or ""
            lang = tw.get("lang")
            user = tw.get("user")
            records.append(
                (
                    tid,
                    created,
                    text,
                    dom,
                    mtype,
                    n,
                    rs if type(rs) is str else str(rs),
                    ru if type(ru) is str else str(ru),
                    "retweeted_status" in tw or text.startswith("RT @"),
                    tw.get("favorite_count"),
                    tw.get("retweet_count"),
                    len(ent.get("hashtags") or ()),
                    len(ent.get("user_mentions") or ()),
                    init if init.isdigit() else "",
                    lang if type(lang) is str and lang not in ("und", "") else None,
                    part,
                )
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            reason = str(exc) if isinstance(exc, ValueError) else f"not a tweet record ({exc!r:.60})"
            skipped.append(SkippedRow(n, reason))
            continue
        if user is not None and isinstance(user, dict):
            if user.get("id_str"):
                cols.user_ids[str(user["id_str"])] += 1
            if isinstance(user.get("screen_name"), str):
                cols.user_names[user["screen_name"].lower()] += 1


_GC_LOCK = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a block builds millions of acyclic objects.

    orjson builds one dict per tweet and per entity: each few hundred allocations start a
    collection, and the full ones walk every object built so far (about 70 % of a bare
    ``orjson.loads`` of a 100k-tweet archive). JSON trees hold no cycles, so reference counting
    frees them all. Nested and concurrent pauses count: the last one out restores the collector,
    and only if it was on before the first one came in.
    """
    global _gc_pausers, _gc_was_enabled
    with _GC_LOCK:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def parse_archive(bundle: ArchiveBundle, fmt: str) -> ParsedFile:
    """All tweet parts of one archive (X or Grailbird) as one ParsedFile."""
    with gc_paused():
        return _parse_archive(bundle, fmt)


def _parse_archive(bundle: ArchiveBundle, fmt: str) -> ParsedFile:
    warnings: list[str] = []
    skipped: list[SkippedRow] = []
    cols = _Columns()
    parts = bundle.tweet_parts if fmt == "x_archive" else bundle.grailbird_parts
    text_key = "full_text" if fmt == "x_archive" else "text"
    offset = 0
    for part_name, data in parts:
        items = load_js(data, part_name)
        if not isinstance(items, list):
            raise ImportFailed(
                f"{part_name}: expected a list of tweets after the '= ' prefix. "
                "Upload the file from the archive unchanged."
            )
        if len(items) + offset > MAX_ROWS:
            raise ImportFailed(f"{bundle.name}: more than {MAX_ROWS:,} tweets; this is beyond the import limit.")
        part_skipped: list[SkippedRow] = []
        _collect(items, cols, part_skipped, text_key, f"{part_name}: " if len(parts) > 1 else "")
        if len(parts) > 1:
            for s in part_skipped:
                s.reason = f"{part_name}: {s.reason}"
        skipped.extend(part_skipped)
        offset += len(items)
        del items
    rows_read = offset
    cols.transpose()

    created = parse_utc(pd.Series(cols.created, dtype="str"), "archive")
    good = created.notna().to_numpy()
    # Plain-Python bookkeeping below: set lookups on 100k ids beat pandas' isin on Arrow strings.
    keep: list[int] = []
    seen: set[str] = set()
    for i, tid in enumerate(cols.ids):
        if not good[i]:
            why = f"{cols.part[i]}created_at {cols.created[i][:40]!r} is not a date"
            skipped.append(SkippedRow(cols.rows[i], why))
        elif tid not in seen:
            seen.add(tid)
            keep.append(i)

    manifest_id, generated, handle = manifest_account(bundle.manifest, f"{bundle.name} manifest.js")
    if handle is None and cols.user_names:
        name = cols.user_names.most_common(1)[0][0]
        handle = name if _HANDLE_RE.fullmatch(name) else None
    own = manifest_id or (cols.user_ids.most_common(1)[0][0] if cols.user_ids else None)
    if own is None:
        # The account replied to its own tweets in the upload (threads): that parent author is us.
        thread = Counter(cols.reply_user[i] for i in keep if cols.reply_user[i] and cols.reply_status[i] in seen)
        own = thread.most_common(1)[0][0] if thread else None
    if own is not None:
        is_reply = [bool(cols.reply_status[i]) and cols.reply_user[i] != own for i in keep]
    else:
        is_reply = [bool(cols.reply_status[i]) and cols.reply_status[i] not in seen for i in keep]

    everything = len(keep) == len(cols.ids)

    def sel(column: list[Any]) -> list[Any]:
        return column if everything else [column[i] for i in keep]

    texts = pa.array(cols.texts, pa.string())
    texts = unescape_html(texts if everything else pc.take(texts, pa.array(keep, pa.int64())))
    domains = sel(cols.domains)
    if fmt == "grailbird":
        # 2009-era tweets often have empty entities although the text holds a link.
        from_text = link_domains(texts)
        domains = [d or str(t) for d, t in zip(domains, from_text, strict=True)]
    bad_counts: dict[str, np.ndarray] = {}
    frame = tweets_frame(
        {
            "tweet_id": sel(cols.ids),
            "created_at": created if everything else created.take(keep),
            "text": texts,
            "is_reply": is_reply,
            "is_retweet": sel(cols.retweet),
            "has_link": [d != "" for d in domains],
            "link_domains": domains,
            "n_hashtags": sel(cols.hashtags),
            "n_mentions": sel(cols.mentions),
            "media_type": sel(cols.media),
            "lang": sel(cols.lang),
            "likes": sel(cols.likes),
            "reposts": sel(cols.reposts),
        },
        len(keep),
        bad_counts,
    )
    warnings.extend(count_warnings(bad_counts, [f"{cols.part[i]}{cols.rows[i]}" for i in keep]))
    if bundle.notes:
        _merge_notes(frame, bundle.notes, warnings)
    initial = [cols.initial[i] for i in keep]
    if any(initial):
        frame = _collapse_edits(frame, initial)
    if rows_read:
        warnings.append(ARCHIVE_WARNING)
    skipped.sort(key=lambda s: s.row)
    return ParsedFile(
        name=bundle.name,
        format=fmt,
        tweets=frame,
        daily=empty_daily(),
        followers=bundle.followers,
        following=bundle.following,
        as_of=later(generated, newest(frame["created_at"])),
        rows_read=rows_read,
        skipped=skipped,
        warnings=warnings,
        account_handle=handle,
        account_id=own,
    )


def _collapse_edits(frame: pd.DataFrame, initial: list[str]) -> pd.DataFrame:
    """One row per edit chain, keyed by the initial tweet id (see module docstring)."""
    ids = frame["tweet_id"].astype(object).to_numpy()
    key = pd.Series([ini or tid for ini, tid in zip(initial, ids, strict=True)], dtype=object)
    # Only rows of a chain of two or more need grouping (a few percent): the rest keep their row.
    chained = key.duplicated(keep=False).to_numpy()
    alone = frame[~chained].assign(tweet_id=key[~chained].to_numpy())
    work = frame[chained].assign(_key=key[chained].to_numpy(), _order=[int(t) for t in ids[chained]])
    work = work.sort_values(["_key", "_order"], kind="stable")
    grouped = work.groupby("_key", sort=False)
    latest = grouped.tail(1).set_index("_key")
    latest["created_at"] = grouped["created_at"].min()
    latest["likes"] = grouped["likes"].max()
    latest["reposts"] = grouped["reposts"].max()
    latest["tweet_id"] = latest.index.astype(str)
    out = pd.concat([alone, latest.reset_index(drop=True).drop(columns=["_order"])], ignore_index=True)
    # Newest first; ties in the order of their key, as one sort of every row by key would leave them.
    out = out.sort_values(["created_at", "tweet_id"], ascending=[False, True], kind="stable").reset_index(drop=True)
    return tweets_frame({c: out[c] for c in out.columns}, len(out))


def _merge_notes(frame: pd.DataFrame, notes: Sequence[tuple[str, bytes]], warnings: list[str]) -> None:
    """Replace cut texts with the full long-post text from note-tweet.js (matched by createdAt)."""
    by_time: dict[pd.Timestamp, list[dict[str, Any]]] = {}
    for note_name, data in notes:
        items = load_js(data, note_name)
        if not isinstance(items, list):
            continue
        for item in items:
            note = item.get("noteTweet") if isinstance(item, dict) else None
            core = note.get("core") if isinstance(note, dict) else None
            if not isinstance(core, dict) or not isinstance(core.get("text"), str):
                continue
            when = pd.to_datetime(note.get("createdAt"), utc=True, errors="coerce")
            if pd.isna(when):
                continue
            by_time.setdefault(when.floor("s"), []).append(core)
    if not by_time:
        return
    unmatched = 0
    times = frame["created_at"]
    for when, cores in by_time.items():
        candidates = frame.index[(times == when).to_numpy()]
        for core in cores:
            if len(candidates) == 0:
                unmatched += 1
                continue
            cut = [i for i in candidates if frame.at[i, "text"].rstrip().endswith("…")]
            target = (cut or list(candidates))[0]
            frame.at[target, "text"] = _note_text(frame.at[target, "text"], core["text"])
            new_text = frame.at[target, "text"]
            frame.at[target, "n_hashtags"] = max(int(frame.at[target, "n_hashtags"]), hashtags_in(new_text))
            frame.at[target, "n_mentions"] = max(int(frame.at[target, "n_mentions"]), mentions_in(new_text))
            note_urls = core.get("urls") or []
            extra = join_domains(
                str(u.get("expandedUrl") or u.get("expanded_url") or u.get("url") or "")
                for u in note_urls
                if isinstance(u, dict)
            )
            if extra:
                merged = " ".join(dict.fromkeys((frame.at[target, "link_domains"] + " " + extra).split()))
                frame.at[target, "link_domains"] = merged
                frame.at[target, "has_link"] = True
    if unmatched:
        warnings.append(f"{unmatched} long post(s) in note-tweet.js matched no tweet by time; ignored.")


def _note_text(cut_text: str, full: str) -> str:
    """The note's full text, keeping the reply's leading @handles that the note omits."""
    lead = _LEADING_MENTIONS_RE.match(cut_text)
    if lead and not full.startswith(lead.group(0).strip()):
        return lead.group(0) + full
    return full
