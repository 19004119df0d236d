from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "cvas.core"
    label = "core"
    verbose_name = "Core"
