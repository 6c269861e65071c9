"""Violations reach API clients in DRF's error shape: nested by dotted field, in order, each message once."""

from routes.api.errors import violations_to_nested
from routes.domain.values import Violation


def test_violations_to_nested_groups_by_dotted_field_in_order_without_duplicates():
    violations = [
        Violation("backend.service_port", "Port is bad."),
        Violation("host", "Host is bad."),
        Violation("backend.service_port", "Port is bad."),
        Violation("backend.service_port", "Port is worse."),
        Violation("tls.mode", "Mode is bad.", "forbidden"),
    ]

    assert violations_to_nested(violations) == {
        "backend": {"service_port": ["Port is bad.", "Port is worse."]},
        "host": ["Host is bad."],
        "tls": {"mode": ["Mode is bad."]},
    }


def test_violations_to_nested_keeps_a_message_on_a_parent_field():
    nested = violations_to_nested(
        [Violation("backend", "Backend is bad."), Violation("backend.selector", "Bad selector.")]
    )

    assert nested == {"backend": {"non_field_errors": ["Backend is bad."], "selector": ["Bad selector."]}}
