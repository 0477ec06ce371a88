"""Request middleware of the orgs app."""

from orgs.selectors import grants_read_once


class GrantsPerRequestMiddleware:
    """Read the user's role grants once per request (``orgs.selectors``): a
    grant removed takes effect on the next request, as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with grants_read_once():
            return self.get_response(request)
