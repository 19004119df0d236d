from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "cvas.registry"
    label = "registry"
    verbose_name = "Registry: subscribers, endpoint registrations, the legacy portal, imports"
