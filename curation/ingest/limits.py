"""Size limits on uploads, so one bad or hostile file cannot exhaust the server."""

from __future__ import annotations

# Matches .streamlit/config.toml's upload limit; larger files are refused before parsing.
MAX_FILE_BYTES = 200 * 1024 * 1024
# A whole X archive with media can be large, but the members we read are small; this caps
# what a zip may claim (directory) and what we actually inflate (streaming).
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024
# Text compresses ~10-20x; JSON of tweets up to ~30x. 200 leaves room and still stops bombs.
MAX_COMPRESSION_RATIO = 200
# Members smaller than this are not ratio-checked: tiny files of zeros compress absurdly well.
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_ZIP_MEMBERS = 20_000
# Far above any real account (X caps history nowhere near this), small enough for memory.
MAX_ROWS = 2_000_000
# Chunk size when inflating zip members, so the byte bound is enforced while streaming.
STREAM_CHUNK_BYTES = 1024 * 1024
# X's longest post (a Premium long post) is 25,000 characters; longer text is cut there.
MAX_TEXT_CHARS = 25_000
# Snowflake ids are 19 digits today; 20 leaves room and keeps junk (a 5,000-digit "id") out.
MAX_ID_DIGITS = 20
# Short text columns and their database sizes (curation.store.models.Tweet).
SHORT_FIELD_CHARS: dict[str, int] = {"lang": 16, "media_type": 32}
