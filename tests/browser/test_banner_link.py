"""The offline banner's engine address is a link in JupyterLab: it must open a page, not a 404."""

from __future__ import annotations

import re
import urllib.request

# JupyterLab's output renderer turns http(s) URLs in text into links
URL = re.compile(r"https?://[^\s()]+")


def test_banner_link_opens_a_page_that_says_what_the_engine_is(ws):
    links = URL.findall(ws.banner)
    assert links == [ws.endpoint_url]
    with urllib.request.urlopen(links[0], timeout=10) as page:  # a browser's GET: unsigned
        assert page.status == 200
        assert page.headers["Content-Type"].startswith("text/html")
        text = page.read().decode()
    assert "Local Bedrock engine" in text and "not a model" in text
    assert "Converse" in text and ws.region in text


def test_signed_calls_to_the_root_still_reach_aws_services(http_client):
    """S3 ListBuckets is a signed GET /: it must still be answered by the engine (moto)."""
    s3 = http_client("s3")
    s3.create_bucket(Bucket="root-page-check")
    assert "root-page-check" in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_head_of_the_root_page_sends_no_body(server):
    request = urllib.request.Request(server.url + "/", method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as page:
        assert page.status == 200 and int(page.headers["Content-Length"]) > 0
        assert page.read() == b""
