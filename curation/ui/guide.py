"""First-run help: where to click to get each export, shown where an empty workspace needs it."""

from __future__ import annotations

import streamlit as st

# Plain steps, one export each; the app reads all of them (see curation.ingest.FORMATS).
HOW_TO_GET = {
    "X Analytics: clicks per post (CSV)": (
        "On x.com open **More → Premium → Analytics** (older accounts: analytics.twitter.com → **Tweets**). "
        "Pick the date range, then **Export data → By Tweet** (or the *Content* export). Upload the CSV as it is; "
        "several months at once are fine. This is the file with link clicks, which the model learns from."),
    "X Analytics: account per day (CSV)": (
        "Same page, **Export data → By day** (or the *Account overview* export): follower gains and impressions "
        "per day, for the Audience page."),
    "X data archive (.zip)": (
        "On x.com: **More → Settings and privacy → Your account → Download an archive of your data**. Confirm "
        "your password; X e-mails a link a day or so later. Upload the .zip whole (or tweets.js, follower.js "
        "and following.js from its data folder). It has every post and who follows you, but no clicks."),
    "Old Twitter archive (tweets.csv)": (
        "Archives requested before 2019 hold a tweets.csv (or data/js/tweets/*.js): upload those files."),
    "Mastodon (outbox.json)": (
        "In Mastodon: **Preferences → Import and export → Data export → Request your archive**, download it, "
        "and upload the outbox.json from inside it."),
}


def how_to_get_exports(expanded: bool) -> None:
    """The steps for every export, open when the workspace is still empty."""
    with st.expander("Where do I get these files?", expanded=expanded):
        for title, steps in HOW_TO_GET.items():
            st.markdown(f"**{title}** — {steps}")
        st.caption("Files are read on this server and stored in its database; nothing is sent anywhere else.")
