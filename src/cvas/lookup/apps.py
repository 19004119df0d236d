from django.apps import AppConfig


class LookupConfig(AppConfig):
    name = "cvas.lookup"
    label = "lookup"
    verbose_name = "Lookup and distribution: address lookup, RDAP, exports and the change feed"
