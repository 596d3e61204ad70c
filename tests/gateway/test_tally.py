"""Follow-ups counted in memory are written together, adding up, first queue time kept."""

from __future__ import annotations

import pytest

from playground.gateway.models import RequestLog
from playground.gateway.tally import Tally

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_batch_adds_up_and_keeps_the_first_queue_time(alice, settings):
    settings.GATEWAY_LOG_FLUSH_SECONDS = 60  # nothing written until flushed
    row = await RequestLog.objects.acreate(
        user=alice, entrance="proxy", kind="submit", method="POST", bytes_out=10
    )
    tally = Tally()

    await tally.add(row.pk, follow_ups=1, bytes_out=5, state="IN_QUEUE")
    await tally.add(row.pk, follow_ups=1, bytes_out=7, queue_ms=120, state="IN_PROGRESS")
    await tally.add(row.pk, follow_ups=1, bytes_out=9, queue_ms=300, state="COMPLETED")
    unwritten = await RequestLog.objects.aget(pk=row.pk)
    await tally.flush()
    tally.flushing.cancel()

    written = await RequestLog.objects.aget(pk=row.pk)
    assert (unwritten.follow_ups, unwritten.bytes_out) == (0, 10)
    assert (written.follow_ups, written.bytes_out) == (3, 31)
    assert (written.queue_ms, written.state) == (120, "COMPLETED")


async def test_a_written_queue_time_is_never_replaced(alice, settings):
    settings.GATEWAY_LOG_FLUSH_SECONDS = 0
    row = await RequestLog.objects.acreate(
        user=alice, entrance="proxy", kind="submit", method="POST", queue_ms=50
    )

    await Tally().add(row.pk, follow_ups=1, queue_ms=999)

    assert (await RequestLog.objects.aget(pk=row.pk)).queue_ms == 50
