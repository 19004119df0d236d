"""Background jobs of the registry, run by `cvas worker`: imports sent through the API or portal."""

from __future__ import annotations

from django_tasks import task

from cvas.registry.choices import ImportStatus
from cvas.registry.models import ImportRun


@task()
def run_import(*, import_id: int) -> dict[str, object]:
    """Process a stored import file; the outcome (counts, errors) is kept on the import."""
    from cvas.registry.imports import execute

    run = ImportRun.objects.select_related("licence", "requested_by").get(pk=import_id)
    if run.status != ImportStatus.QUEUED:
        return {"status": run.status, "skipped": True}
    with run.file.open("rb") as stream:
        execute(run=run, stream=stream)
    # The file holds personal data in clear (identity numbers, names, mobile numbers): once read it
    # is not kept. Its size and SHA-256 stay on the run, which is all a repeated import needs.
    run.file.delete(save=False)
    ImportRun.objects.filter(pk=run.pk).update(file="")
    return {"status": run.status, "rows": run.rows, "errors": run.error_count}
