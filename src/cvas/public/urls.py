from django.urls import path

from cvas.public import views

app_name = "public"

urlpatterns = [
    path("", views.home, name="home"),
    path("register/", views.register, name="register"),
    path("register/<str:number>/", views.licence_detail, name="licence"),
    path("register/id/<int:pk>/", views.licence_detail_by_id, name="licence_by_id"),
    path("healthz", views.healthz, name="healthz"),
]
