"""Public pages; mounted under the language prefixes (English unprefixed, Urdu under /ur/)."""

from django.urls import path

from cvas.public import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("register.csv", views.register_download, {"fmt": "csv"}, name="register_csv"),
    path("register.json", views.register_download, {"fmt": "json"}, name="register_json"),
    path("register/id/<int:pk>/", views.licence_detail_by_id, name="licence_by_id"),
    path("register/<str:number>/", views.licence_detail, name="licence"),
    path("policy/", views.policy, name="policy"),
    path("statistics/", views.statistics, name="statistics"),
]
