from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "cvas.audit"
    label = "audit"
