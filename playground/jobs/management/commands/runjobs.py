from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the generation runner as a separate worker process."

    def handle(self, *args: Any, **options: Any) -> None:
        # The Procfile already names this worker so deployments keep their shape; the
        # runner itself comes with generations. Exit cleanly so no supervisor loops on it.
        self.stdout.write(
            "runjobs: this version has no background generations yet, so there is nothing "
            "for a worker to run. The web process serves everything; exiting."
        )
