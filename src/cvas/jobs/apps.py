from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "cvas.jobs"
    label = "jobs"
