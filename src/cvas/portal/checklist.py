"""What an application still lacks, in the page's language, each item with the form step that supplies it."""

from __future__ import annotations

from django.utils.translation import gettext as _

from cvas.licensing import selectors
from cvas.licensing.choices import Declaration, DocumentKind
from cvas.licensing.models import Application
from cvas.public.labels import label


def missing_items(app: Application) -> list[dict[str, str]]:
    """What is still missing, in the page's language, each with the step that supplies it."""
    out = []
    for m in selectors.application_missing(app):
        field = m["field"]
        if field == "service_description":
            text, step = _("Describe the service (at least 20 characters)."), "service"
        elif field == "brands":
            text, step = _("Name at least one brand."), "brands"
        elif field == "gateway_prefixes":
            text, step = _("List at least one gateway prefix."), "gateways"
        elif field.startswith("declarations."):
            text = _("Declare: %(what)s.") % {"what": label(Declaration, field.split(".", 1)[1])}
            step = "declarations"
        elif field == "fee_payment_reference":
            text, step = _("Give the fee payment reference."), "declarations"
        elif field.startswith("documents."):
            text = _("Upload: %(what)s (PDF).") % {
                "what": label(DocumentKind, field.split(".", 1)[1])
            }
            step = "documents"
        else:
            text, step = m["reason"], "review"
        out.append({"field": field, "text": text, "step": step})
    return out
