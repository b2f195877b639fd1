"""``serve --workers 2``: one scrape of either worker counts the requests both served."""

from __future__ import annotations

import http.client

from prometheus_client.parser import text_string_to_metric_families

from tests.integration.test_workers import (  # noqa: F401 (fixtures)
    Served,
    call,
    connection_on,
    two_workers,
    upstream,
)


def healthz_count(connection: http.client.HTTPConnection) -> float:
    connection.request("GET", "/metrics")
    answer = connection.getresponse()
    assert answer.status == 200
    text = answer.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "cometchat_auth_http_requests_total"
        and sample.labels.get("route") == "/healthz"
    )


def test_a_scrape_of_one_worker_counts_the_other_s_requests(
    two_workers: Served,  # noqa: F811 (test_workers' fixture)
) -> None:
    first, on_first = connection_on(two_workers)
    _, on_second = connection_on(two_workers, not_on=first)
    before = healthz_count(on_first)
    for _ in range(5):
        assert call(on_second, "GET", "/healthz")[0] == 200
    assert healthz_count(on_first) == before + 5
    assert healthz_count(on_second) == before + 5
