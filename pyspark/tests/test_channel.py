from pyspark.testing import assertDataFrameEqual

from wistia_pipeline.transforms.channel import CHANNELS, with_channel

COMPANY = ["example.com"]


def test_channel_from_host_then_utm_source_then_company_site(spark):
    rows = [
        ("e1", "https://www.facebook.com/ExampleCo/videos/123", "facebook"),
        ("e2", "https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.example.com%2F", "facebook"),
        ("e3", "https://m.youtube.com/@exampleco", "youtube"),
        ("e4", "https://youtu.be/abc", "youtube"),
        ("e5", "https://www.example.com/pricing?utm_source=facebook&utm_medium=paid", "facebook"),
        ("e6", "https://www.example.com/webinar?utm_source=YouTube", "youtube"),
        ("e7", "https://www.example.com/customers", "website"),
        ("e8", "https://blog.example.com/post", "website"),
        ("e9", "https://www.example.com/?utm_source=newsletter", "website"),
        ("e10", "https://partner.example.net/resources?ref=video", "other"),
        ("e11", "https://notexample.com/", "other"),
        ("e12", "not a url", "other"),
        ("e13", None, "other"),
        ("e14", "https://www.facebook.com.evil.example.org/", "other"),
    ]
    df = spark.createDataFrame([(k, u) for k, u, _ in rows], "event_key string, embed_url string")
    expected = spark.createDataFrame(rows, "event_key string, embed_url string, channel string")
    actual = with_channel(df, COMPANY)
    assertDataFrameEqual(actual, expected)
    assert {r.channel for r in actual.collect()} <= set(CHANNELS)


def test_without_company_hosts_the_site_is_other(spark):
    df = spark.createDataFrame([("e1", "https://www.example.com/")], "event_key string, embed_url string")
    assert with_channel(df, []).collect()[0].channel == "other"
