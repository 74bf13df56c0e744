from django.urls import path

from matching import views

app_name = "matching"

urlpatterns = [
    path("matches/", views.match_list, name="list"),
]
