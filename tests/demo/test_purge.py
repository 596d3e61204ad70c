"""Demo runs are deleted with their files a day after they started (DEMO_KEEP_HOURS), by
`manage.py purge_demo_runs` and by the runner; nobody else's runs are touched."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from playground.demo import visitors
from playground.jobs.models import Generation
from tests.jobs.conftest import stored_image, submit

pytestmark = pytest.mark.django_db


def started_ago(generation, hours: float):
    Generation.objects.filter(pk=generation.pk).update(
        created=timezone.now() - timedelta(hours=hours)
    )
    return generation


def demo_run(hours: float):
    generation = started_ago(submit(visitors.owner()), hours)
    return generation, stored_image(generation)


def test_purge_removes_demo_runs_older_than_a_day_with_their_files(demo_mode, capsys):
    old, old_file = demo_run(25)
    new, new_file = demo_run(23)

    call_command("purge_demo_runs")

    assert "Purged 1 demo run(s) and 1 file(s)." in capsys.readouterr().out
    assert not Generation.objects.filter(pk=old.pk).exists()
    assert not default_storage.exists(old_file.file.name)
    assert Generation.objects.filter(pk=new.pk).exists()
    assert default_storage.exists(new_file.file.name)


def test_purge_keeps_signed_in_peoples_runs_however_old(demo_mode, alice):
    mine = started_ago(submit(alice), 24 * 30)
    asset = stored_image(mine)

    visitors.purge_expired()

    assert Generation.objects.filter(pk=mine.pk).exists()
    assert default_storage.exists(asset.file.name)


def test_keep_hours_is_a_setting(demo_mode):
    demo_mode.DEMO_KEEP_HOURS = 1
    gone, _ = demo_run(2)
    kept, _ = demo_run(0.5)

    assert visitors.purge_expired().generations == 1
    assert list(Generation.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not Generation.objects.filter(pk=gone.pk).exists()


@pytest.mark.django_db(transaction=True)
async def test_the_runner_purges_expired_demo_runs_while_demo_mode_is_on(demo_mode):
    import asyncio

    from asgiref.sync import sync_to_async

    from playground.jobs.runner import Runner

    old, _ = await sync_to_async(demo_run)(25)
    runner = Runner(poll_interval=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    try:
        async with asyncio.timeout(10):
            while await sync_to_async(Generation.objects.filter(pk=old.pk).exists)():
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await task
