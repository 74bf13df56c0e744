from django.urls import path
from django.views.generic import RedirectView

app_name = "matching"

urlpatterns = [
    path("matches/", RedirectView.as_view(pattern_name="profiles:me"), name="list"),
]
