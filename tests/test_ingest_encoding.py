"""Encodings, empty and unknown files, and size limits: each fails (or warns) with advice."""

from __future__ import annotations

import codecs

import pytest
from ingest_cases import Tweet, archive_js, archive_tweet, base_time, legacy_csv, tweets, x_content_csv

from curation.errors import ImportFailed
from curation.ingest import FORMATS, parse_files, upload
from curation.ingest import csvread as csvread_module
from curation.ingest import x_archive as x_archive_module

T0 = base_time()


def test_empty_and_blank_files_are_refused():
    for data in (b"", b"   \r\n\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n"):
        with pytest.raises(ImportFailed, match="empty"):
            parse_files([("x.csv", data)])


def test_unknown_format_names_the_formats_that_are_read():
    with pytest.raises(ImportFailed) as err:
        parse_files([("notes.txt", b"just some notes\nabout nothing\n")])
    message = str(err.value)
    assert message.startswith("notes.txt:")
    for human in FORMATS.values():
        assert human in message


def test_utf8_bom_and_utf16_excel_saves():
    rows = tweets(3)
    rows[0].text = "café ☕ naïve"
    plain = legacy_csv(rows)
    for data in (codecs.BOM_UTF8 + plain, plain.decode().encode("utf-16")):
        parsed = parse_files([("x.csv", data)])[0]
        assert len(parsed.tweets) == 3
        assert parsed.tweets.set_index("tweet_id").loc[rows[0].id, "text"] == "café ☕ naïve"


def test_utf16_tab_separated_excel_unicode_text():
    rows = tweets(2)
    text = legacy_csv(rows).decode().replace('","', '"\t"')
    parsed = parse_files([("x.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))])[0]
    assert len(parsed.tweets) == 2
    assert any("UTF-16" in w for w in parsed.warnings)


def test_cp1252_csv_is_read_with_a_warning():
    rows = tweets(2)
    rows[0].text = "Café crème – “quoted”"
    data = legacy_csv(rows).decode().encode("cp1252")
    parsed = parse_files([("x.csv", data)])[0]
    assert parsed.tweets.set_index("tweet_id").loc[rows[0].id, "text"] == "Café crème – “quoted”"
    assert any("Windows-1252" in w for w in parsed.warnings)


def test_cp1252_bytes_far_into_a_large_file_still_decode():
    rows = tweets(3000)
    rows[-1].text = "déjà vu"
    parsed = parse_files([("x.csv", legacy_csv(rows).decode().encode("cp1252"))])[0]
    assert parsed.tweets.set_index("tweet_id").loc[rows[-1].id, "text"] == "déjà vu"


def test_mojibake_is_repaired_with_a_warning():
    rows = tweets(2)
    rows[0].text = "Café ☕ – déjà vu"
    garbled = legacy_csv(rows).decode().encode("utf-8").decode("cp1252", errors="strict")
    parsed = parse_files([("x.csv", garbled.encode("utf-8"))])[0]
    assert parsed.tweets.set_index("tweet_id").loc[rows[0].id, "text"] == "Café ☕ – déjà vu"
    assert any("repaired" in w for w in parsed.warnings)


def test_genuine_text_that_looks_like_mojibake_is_left_alone():
    rows = tweets(1)
    rows[0].text = "SÃO PAULO Ãgua"
    parsed = parse_files([("x.csv", legacy_csv(rows))])[0]
    assert parsed.tweets.iloc[0]["text"] == "SÃO PAULO Ãgua"


def test_invalid_utf8_fails_with_the_byte_offset():
    rows = tweets(2)
    data = legacy_csv(rows)
    bad = data[:300] + b"\x81\x00" + data[300:]  # 0x81 is undefined in cp1252 too; NUL rules it out
    with pytest.raises(ImportFailed, match=r"byte 300 is not valid UTF-8.*UTF-8"):
        parse_files([("x.csv", bad)])
    with pytest.raises(ImportFailed, match=r"byte 303 is not valid UTF-8"):
        parse_files([("x.csv", codecs.BOM_UTF8 + bad)])


def test_invalid_utf8_in_an_archive_fails_cleanly():
    data = archive_js([archive_tweet(Tweet("hello", T0))])
    bad = data.replace(b"hello", b"hel\xfflo")
    offset = bad.index(b"\xff")
    with pytest.raises(ImportFailed, match=f"byte {offset} is not valid UTF-8"):
        parse_files([("tweets.js", bad)])
    with pytest.raises(ImportFailed, match=f"byte {offset - 26} is not valid UTF-8"):
        parse_files([("bare.json", bad[26:])])  # the prefix cut off by hand


def test_file_over_the_size_limit(monkeypatch):
    monkeypatch.setattr(upload, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImportFailed, match="MB limit"):
        parse_files([("x.csv", legacy_csv(tweets(20)))])


def test_more_rows_than_the_limit(monkeypatch):
    monkeypatch.setattr(csvread_module, "MAX_ROWS", 10)
    with pytest.raises(ImportFailed, match="more than 10 rows"):
        parse_files([("x.csv", x_content_csv(tweets(11)))])
    monkeypatch.setattr(x_archive_module, "MAX_ROWS", 10)
    with pytest.raises(ImportFailed, match="more than 10 tweets"):
        parse_files([("tweets.js", archive_js([archive_tweet(r) for r in tweets(11)]))])


def test_one_bad_file_fails_the_whole_upload_naming_it():
    good = ("good.csv", legacy_csv(tweets(2)))
    with pytest.raises(ImportFailed, match=r"^bad\.csv:"):
        parse_files([good, ("bad.csv", b"\x81\x00garbage")])


def test_progress_is_reported():
    seen: list[tuple[float, str]] = []
    files = [("a.csv", legacy_csv(tweets(2))), ("b.csv", x_content_csv(tweets(2)))]
    parse_files(files, progress=lambda f, m: seen.append((f, m)))
    assert seen[0] == (0.0, "Reading a.csv") and seen[-1] == (1.0, "Done")
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
