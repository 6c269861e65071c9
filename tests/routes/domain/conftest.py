"""The support modules' assertions report their operands the way a test module's own do."""

import pytest

pytest.register_assert_rewrite("tests.routes.domain.diagnostics_support", "tests.routes.domain.render_support")
