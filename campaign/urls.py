from django.urls import path

app_name = "campaign"

urlpatterns: list = []
