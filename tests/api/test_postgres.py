"""A subset of the end-to-end API tests again, on PostgreSQL.

The tests are imported from their modules; this module's ``live`` fixture (a platform on a
fresh PostgreSQL database) replaces the SQLite one for them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.api.harness import Live, live_platform
from tests.api.test_hi8d_bad_input import (
    test_nul_bytes_in_every_field,
)
from tests.api.test_hi8d_e2e import (
    test_insufficient_balance_refuses_the_whole_request,
    test_two_recipients_long_text_reach_smsc_and_report_back,
)
from tests.api.test_qxt_boxes import (
    test_balance_arithmetic_with_a_refund,
    test_cpwd_takes_effect_at_once,
    test_readsms_one_oldest_unread_per_call,
    test_tenant_isolation,
)
from tests.api.test_qxt_clients import (
    test_every_send_endpoint_every_shape,
)
from tests.api.test_qxt_rules import (
    test_nul_bytes_are_refused,
    test_sequeid_is_echoed_in_readreport,
)

pytestmark = pytest.mark.postgres

__all__ = [
    "test_balance_arithmetic_with_a_refund",
    "test_cpwd_takes_effect_at_once",
    "test_every_send_endpoint_every_shape",
    "test_insufficient_balance_refuses_the_whole_request",
    "test_nul_bytes_are_refused",
    "test_nul_bytes_in_every_field",
    "test_readsms_one_oldest_unread_per_call",
    "test_sequeid_is_echoed_in_readreport",
    "test_tenant_isolation",
    "test_two_recipients_long_text_reach_smsc_and_report_back",
]


@pytest.fixture
async def live(tmp_path: Path, postgres_url: str) -> AsyncIterator[Live]:
    async with live_platform(tmp_path, postgres_url) as running:
        yield running
