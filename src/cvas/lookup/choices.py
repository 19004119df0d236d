"""Kinds in lookup and distribution: export formats."""

from django.db import models


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV: one active prefix a line with its licence or holder"
    JSON = "json", "JSON: the same, with the cursor it is current to"
    CIDR = "cidr", "CIDR list: the registered address space, aggregated per family"
    MMDB = "mmdb", "MaxMind DB: for tools that read GeoIP-style databases"


EXPORT_MEDIA_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.JSON: "application/json",
    ExportFormat.CIDR: "text/plain; charset=utf-8",
    ExportFormat.MMDB: "application/octet-stream",
}
