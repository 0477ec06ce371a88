from django.test import RequestFactory

from core.net import client_address


def _request(forwarded=None):
    meta = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_proxy_the_connection_address_counts(settings):
    settings.TRUSTED_PROXY_HOPS = 0
    assert client_address(_request("1.2.3.4")) == "10.0.0.2"


def test_behind_one_proxy_the_address_it_appended_counts_not_what_the_visitor_sent(settings):
    settings.TRUSTED_PROXY_HOPS = 1
    assert client_address(_request("6.6.6.6, 203.0.113.9")) == "203.0.113.9"
    assert client_address(_request("203.0.113.9")) == "203.0.113.9"
    assert client_address(_request()) == "10.0.0.2"


def test_behind_two_proxies(settings):
    settings.TRUSTED_PROXY_HOPS = 2
    assert client_address(_request("6.6.6.6, 203.0.113.9, 10.1.1.1")) == "203.0.113.9"
    assert client_address(_request("10.1.1.1")) == "10.0.0.2"  # fewer entries than proxies
