from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from schakel.partners import api

router = SimpleRouter()
router.register("organisations", api.OrganisationViewSet, basename="organisation")
router.register("sharing-groups", api.SharingGroupViewSet, basename="sharinggroup")
router.register("users", api.UserViewSet, basename="user")
router.register("region-contacts", api.RegionContactViewSet, basename="regioncontact")

urlpatterns = [
    path("me/", api.me, name="api_me"),
    path("", include(router.urls)),
]
