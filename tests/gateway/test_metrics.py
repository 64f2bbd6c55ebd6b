"""Remembered metric children are prometheus' own, and series still appear on first use only."""

from __future__ import annotations

from ramparts.gateway.metrics import GatewayMetrics


def test_child_is_the_labelled_series_and_creates_it_lazily() -> None:
    metrics = GatewayMetrics()
    assert b"ramparts_requests_total{" not in metrics.render()
    assert b"ramparts_time_to_first_token_seconds_count{" not in metrics.render()
    child = metrics.child(metrics.requests, "ten_a", "echo", "openai", "success")
    assert child is metrics.requests.labels("ten_a", "echo", "openai", "success")
    assert metrics.child(metrics.requests, "ten_a", "echo", "openai", "success") is child
    child.inc()
    metrics.child(metrics.requests, "ten_a", "echo", "openai", "success").inc()
    metrics.child(metrics.latency, "ten_a", "echo").observe(0.002)
    text = metrics.render().decode()
    assert (
        'ramparts_requests_total{api="openai",model="echo",status="success",tenant="ten_a"} 2.0'
        in text
    )
    assert 'ramparts_request_duration_seconds_count{model="echo",tenant="ten_a"} 1.0' in text
    assert "ramparts_time_to_first_token_seconds_count{" not in text  # never observed
    other = metrics.child(metrics.requests, "ten_b", "echo", "openai", "success")
    assert other is not child
