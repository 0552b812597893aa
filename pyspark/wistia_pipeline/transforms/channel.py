"""Marketing channel of a viewing event, from where the video was embedded.

The channel is one of ``facebook``, ``youtube``, ``website`` (the company's own site) or ``other``:
1. the embed page's host when it is Facebook's or YouTube's (l.facebook.com redirects included);
2. else the page's ``utm_source`` when it names Facebook or YouTube (paid social landing on the site);
3. else ``website`` when the host is one of the company's hosts (or a subdomain of one);
4. else ``other`` (partners, blogs, previews, unparseable URLs).
"""

from __future__ import annotations

from collections.abc import Iterable

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

FACEBOOK_HOSTS = ("facebook.com", "fb.com", "fb.watch", "fb.me")
YOUTUBE_HOSTS = ("youtube.com", "youtu.be", "youtube-nocookie.com")
FACEBOOK_UTM = ("facebook", "fb", "meta", "facebook.com")
YOUTUBE_UTM = ("youtube", "yt", "youtube.com")

CHANNELS = ("facebook", "youtube", "website", "other")


def _host_in(host: Column, domains: Iterable[str]) -> Column:
    cond = F.lit(False)
    for d in domains:
        d = d.lower().strip()
        if d:
            cond = cond | (host == F.lit(d)) | host.endswith(F.lit("." + d))
    return cond


def channel_of(url: Column, company_hosts: Iterable[str]) -> Column:
    """A column expression: the channel of the embed URL in ``url``."""
    host = F.lower(F.parse_url(url, F.lit("HOST")))
    utm = F.lower(F.trim(F.parse_url(url, F.lit("QUERY"), F.lit("utm_source"))))
    return (
        F.when(_host_in(host, FACEBOOK_HOSTS), F.lit("facebook"))
        .when(_host_in(host, YOUTUBE_HOSTS), F.lit("youtube"))
        .when(utm.isin(*FACEBOOK_UTM), F.lit("facebook"))
        .when(utm.isin(*YOUTUBE_UTM), F.lit("youtube"))
        .when(_host_in(host, company_hosts), F.lit("website"))
        .otherwise(F.lit("other"))
    )


def with_channel(df: DataFrame, company_hosts: Iterable[str], url_col: str = "embed_url") -> DataFrame:
    """Adds ``channel`` derived from ``url_col``."""
    return df.withColumn("channel", channel_of(F.col(url_col), list(company_hosts)))
