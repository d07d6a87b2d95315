"""Builders for synthetic export files, shaped exactly like the real ones (see docs/FORMATS.md)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = FIXTURES / "real"  # exact copies of ../shared/fixtures/real (their SOURCES.tsv lies beside them)
# The short names users' files carry (fixtures/SOURCES.tsv maps each to its copy under real/).
SHORT_NAMES = {
    row["file"].removeprefix("ingest/"): row["shared_fixture"]
    for row in csv.DictReader((FIXTURES / "SOURCES.tsv").open(encoding="utf-8"), delimiter="\t")
}
TWITTER_EPOCH_MS = 1288834974657

LEGACY_METRICS = (
    "impressions", "engagements", "engagement rate", "retweets", "replies", "likes",
    "user profile clicks", "url clicks", "hashtag clicks", "detail expands", "permalink clicks",
    "app opens", "app installs", "follows", "email tweet", "dial phone", "media views",
    "media engagements",
)  # fmt: skip
LEGACY_HEADER = ["Tweet id", "Tweet permalink", "Tweet text", "time", *LEGACY_METRICS] + [
    f"promoted {m}" for m in LEGACY_METRICS
]
LEGACY_HEADER_FAVORITES = [h.replace("likes", "favorites") for h in LEGACY_HEADER]
_JA_BASE = [
    "ツイートID",
    "ツイートの固定リンク",
    "ツイート本文",
    "時間",
    "インプレッション",
    "エンゲージメント",
    "エンゲージメント率",
    "リツイート",
    "返信",
    "いいね",
    "ユーザープロフィールクリック",
    "URLクリック数",
    "ハッシュタグクリック",
    "詳細クリック",
    "固定リンクのクリック数",
    "アプリ表示",
    "アプリインストール",
    "フォローしている",
    "ツイートをメール送信",
    "ダイアル式電話",
    "メディアの再生数",
    "メディアのエンゲージメント数",
]
LEGACY_HEADER_JA = _JA_BASE + [f"プロモの{h}" for h in _JA_BASE[4:]]
# Made up, but shaped like a localised export: names unknown, 40 columns in the usual order.
LEGACY_HEADER_DE = [
    "Tweet-ID", "Permalink des Tweets", "Tweet-Text", "Zeit", "Impressionen", "Interaktionen",
    "Interaktionsrate", "Retweets", "Antworten", "Gefällt mir", "Klicks auf Nutzerprofil",
    "URL-Klicks", "Hashtag-Klicks", "Detailerweiterungen", "Permalink-Klicks", "App-Öffnungen",
    "App-Installationen", "Folgen", "Tweet per E-Mail senden", "Telefonnummer wählen",
    "Medienaufrufe", "Medieninteraktionen",
] + [f"beworben {i}" for i in range(18)]  # fmt: skip

X_HEADER_A = (
    "Post id,Date,Post text,Link,Impressions,Likes,Engagements,Bookmarks,Share,New follows,Replies,"
    "Reposts,Profile visits,Detail expands,Url clicks,Hashtag clicks,Permalink clicks"
)
X_HEADER_B = (
    "Post id,Date,Post text,Post Link,Impressions,Likes,Engagements,Bookmarks,Shares,New follows,"
    "Replies,Reposts,Profile visits,Detail Expands,URL Clicks,Hashtag Clicks,Permalink Clicks"
)
X_HEADER_JA = (
    "ポストID,日付,ポスト本文,ポストのリンク,インプレッション数,いいね,エンゲージメント,ブックマーク,"
    "共有された回数\\,新しいフォロー,返信,リポスト,プロフィールへのアクセス数,詳細のクリック数,"
    "URLのクリック数,ハッシュタグのクリック数,パーマリンクのクリック数"
)
X_METRICS = (
    "impressions", "likes", "engagements", "bookmarks", "shares", "follows", "replies", "reposts",
    "profile_visits", "detail_expands", "url_clicks", "hashtag_clicks", "permalink_clicks",
)  # fmt: skip


def snowflake(when: datetime, seq: int = 0) -> str:
    """A Snowflake id whose timestamp is ``when`` (what X ids encode)."""
    ms = int(when.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((ms << 22) + seq)


@dataclass
class Tweet:
    """One synthetic tweet, rendered by the builders below into each export format."""

    text: str
    when: datetime
    id: str = ""
    impressions: int = 100
    engagements: int = 5
    reposts: int = 1
    replies: int = 0
    likes: int = 2
    url_clicks: int = 1
    profile_visits: int = 0
    follows: int = 0
    detail_expands: int = 0
    hashtag_clicks: int = 0
    permalink_clicks: int = 0
    media_views: int = 0
    bookmarks: int = 0
    shares: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id:
            self.id = snowflake(self.when)


def escape_html(text: str) -> str:
    """X's own escaping of tweet text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def legacy_csv(tweets: list[Tweet], header: list[str] | None = None, user: str = "acme", floats: bool = True) -> bytes:
    """A legacy per-tweet analytics export: all fields quoted, LF, floats for the first counters."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\n")
    w.writerow(header or LEGACY_HEADER)
    for t in tweets:
        w.writerow(legacy_row(t, user, floats))
    return buf.getvalue().encode("utf-8")


def legacy_row(t: Tweet, user: str = "acme", floats: bool = True) -> list[str]:
    f = (lambda v: f"{float(v)}") if floats else str
    rate = t.engagements / t.impressions if t.impressions else 0.0
    organic = [
        f(t.impressions), f(t.engagements), str(rate), f(t.reposts), f(t.replies), f(t.likes),
        f(t.profile_visits), f(t.url_clicks), f(t.hashtag_clicks), f(t.detail_expands),
        f(t.permalink_clicks), "0", "0", str(t.follows), "0", "0", str(t.media_views), "0",
    ]  # fmt: skip
    return [
        t.id,
        f"https://twitter.com/{user}/status/{t.id}",
        escape_html(t.text),
        t.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M +0000"),
        *organic,
        *["-"] * 18,
    ]


def x_content_csv(
    tweets: list[Tweet],
    variant: str = "A",
    user: str = "acme",
    crlf: bool | None = None,
    final_newline: bool | None = None,
    junk: int = 0,
) -> bytes:
    """A new X content export: A = CRLF + `Thu Mar 20 2025`, B = LF, no final newline."""
    header = {"A": X_HEADER_A, "B": X_HEADER_B, "ja": X_HEADER_JA}[variant]
    crlf = (variant == "A") if crlf is None else crlf
    final_newline = (variant == "A") if final_newline is None else final_newline
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n" if crlf else "\n")
    buf.write(header + ("\r\n" if crlf else "\n"))
    for i, t in enumerate(tweets):
        day = t.when.astimezone(UTC)
        date = day.strftime("%a %b %d %Y") if variant == "A" else f"{day:%a}, {day:%b} {day.day}, {day:%Y}"
        metrics = [getattr(t, m) for m in X_METRICS]
        text = escape_html(t.text).replace("\n", " ")  # X flattens newlines in this export
        w.writerow([t.id, date, text, f"https://x.com/{user}/status/{t.id}", *metrics])
        if junk and i == 0:
            for _ in range(junk):
                w.writerow(["", "", "", f"https://x.com/{user}/status/undefined", *[0] * len(X_METRICS)])
    data = buf.getvalue()
    if not final_newline:
        data = data.rstrip("\r\n")
    return data.encode("utf-8")


def archive_tweet(
    t: Tweet,
    reply_to: str | None = None,
    reply_user: str | None = None,
    urls: tuple[str, ...] = (),
    media: tuple[str, ...] = (),
    hashtags: tuple[str, ...] = (),
    mentions: tuple[str, ...] = (),
    initial_id: str | None = None,
    lang: str = "en",
    retweet: bool = False,
) -> dict:
    """A tweet object as in tweets.js (counts as strings, created_at in Twitter's format)."""
    obj: dict = {
        "edit_info": (
            {"edit": {"initialTweetId": initial_id, "editControlInitial": {"editTweetIds": [initial_id, t.id]}}}
            if initial_id
            else {"initial": {"editTweetIds": [t.id], "editsRemaining": "5", "isEditEligible": True}}
        ),
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": {
            "hashtags": [{"text": h, "indices": ["0", "1"]} for h in hashtags],
            "symbols": [],
            "user_mentions": [
                {"name": m, "screen_name": m, "indices": ["0", "1"], "id_str": "1", "id": "1"} for m in mentions
            ],
            "urls": [
                {"url": "https://t.co/x", "expanded_url": u, "display_url": u[:20], "indices": ["0", "1"]} for u in urls
            ],
        },
        "display_text_range": ["0", str(len(t.text))],
        "favorite_count": str(t.likes),
        "id_str": t.id,
        "truncated": False,
        "retweet_count": "0" if retweet else str(t.reposts),
        "id": t.id,
        "created_at": t.when.astimezone(UTC).strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "favorited": False,
        "full_text": escape_html(t.text),
        "lang": lang,
    }
    if media:
        obj["extended_entities"] = {"media": [{"type": m, "id_str": "9"} for m in media]}
    if reply_to:
        obj.update(
            in_reply_to_status_id_str=reply_to,
            in_reply_to_status_id=reply_to,
            in_reply_to_user_id_str=reply_user or "",
            in_reply_to_user_id=reply_user or "",
        )
    return obj


def archive_js(
    objs: list[dict],
    kind: str = "tweets",
    part: int = 0,
    wrapped: bool = True,
    semicolon: bool = False,
    indent: int | None = 2,
) -> bytes:
    """`window.YTD.<kind>.partN = [...]`; no final newline, like X writes it."""
    items = [{"tweet": o} for o in objs] if wrapped else objs
    body = json.dumps(items, indent=indent, ensure_ascii=False)
    return f"window.YTD.{kind}.part{part} = {body}{';' if semicolon else ''}".encode()


def note_js(notes: list[tuple[datetime, str]]) -> bytes:
    items = [
        {
            "noteTweet": {
                "noteTweetId": str(9_000_000 + i),
                "createdAt": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "updatedAt": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "core": {"styletags": [], "urls": [], "text": text, "mentions": [], "cashtags": [], "hashtags": []},
            }
        }
        for i, (when, text) in enumerate(notes)
    ]
    return f"window.YTD.note_tweet.part0 = {json.dumps(items, indent=2, ensure_ascii=False)}".encode()


def accounts_js(kind: str, ids: list[str]) -> bytes:
    items = [{kind: {"accountId": i, "userLink": f"https://twitter.com/intent/user?user_id={i}"}} for i in ids]
    return f"window.YTD.{kind}.part0 = {json.dumps(items, indent=2)}".encode()


def manifest_js(account_id: str, generated: str = "2025-12-02T06:28:13.694Z") -> bytes:
    conf = {
        "userInfo": {"accountId": account_id, "userName": "acme", "displayName": "Acme"},
        "archiveInfo": {"sizeBytes": "1", "generationDate": generated, "isPartialArchive": False},
        "dataTypes": {"tweets": {"files": [{"fileName": "data/tweets.js", "count": "1"}]}},
    }
    return f"window.__THAR_CONFIG = {json.dumps(conf, indent=2)}".encode()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def real_path(name: str) -> Path:
    """The real sample a short name (``tweets.js``, ``outbox.json``...) stands for."""
    return REAL / SHORT_NAMES[name]


def fixture(name: str) -> tuple[str, bytes]:
    """A real sample as an upload: its short, user-like name and its bytes."""
    return name, real_path(name).read_bytes()


def base_time() -> datetime:
    return datetime(2025, 3, 20, 14, 30, tzinfo=UTC)


def tweets(n: int, start: datetime | None = None, step: timedelta = timedelta(hours=5)) -> list[Tweet]:
    start = start or base_time()
    return [Tweet(text=f"post number {i} #launch https://t.co/abc{i}", when=start - i * step) for i in range(n)]
