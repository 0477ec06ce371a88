"""The public-form kit: hashed addresses, cleaned and capped text, a rate limit
that holds when posts race."""

import importlib
import threading
import time

import pytest
from django.db import connection, transaction

from core import public
from pledges import services
from pledges.models import PledgeComment

SECTORS = importlib.import_module("orgs.migrations.0002_seed_sectors").SECTORS


def test_an_address_is_kept_only_as_a_keyed_hash(settings):
    digest = public.address_hash("10.1.1.1")
    assert "10.1.1.1" not in digest and len(digest) == 64
    assert public.address_hash("10.1.1.1") == digest != public.address_hash("10.1.1.2")
    settings.SECRET_KEY = "another-key-" * 4
    assert public.address_hash("10.1.1.1") != digest  # keyed: not a plain sha256


def test_visitor_text_loses_control_characters_and_keeps_line_breaks_where_asked():
    assert public.visitor_text(" 第一行\n第二\x00行\x1b[31m\t ") == "第一行\n第二行[31m"
    assert public.visitor_text("居\n民\x07", multiline=False) == "居民"
    assert public.visitor_text(None) == ""


def test_a_cap_counts_characters():
    assert not public.too_long("长" * 300, 300)
    assert public.too_long("长" * 301, 300)


@pytest.mark.django_db(transaction=True)
def test_the_rate_limit_counts_inside_the_writing_transaction():
    recent = PledgeComment.objects.all()
    with pytest.raises(RuntimeError):
        public.rate_allows(scope="t", key="k", recent=recent, limit=1)
    with transaction.atomic():
        assert public.rate_allows(scope="t", key="k", recent=recent, limit=1)
        assert not public.rate_allows(scope="t", key="k", recent=recent, limit=0)


def test_lock_keys_are_stable_signed_32_bit_numbers():
    keys = [public._int32(text) for text in ("pledge_comment", "a" * 64, "", "objection")]
    assert all(-(2**31) <= key < 2**31 for key in keys)
    assert public._int32("pledge_comment") == keys[0]


# ---- two posts racing (PostgreSQL) ---------------------------------------------


def _race(pledge, posts: int) -> list[BaseException]:
    """``posts`` visitors from one address posting at the same moment."""
    barrier = threading.Barrier(posts)
    errors: list[BaseException] = []

    def post(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.comment_add(pledge=pledge, text=f"意见{n}", author="", address="10.7.7.7")
        except services.PledgeError:
            pass  # refused by the limit: expected for all but the first few
        except BaseException as exc:  # recorded, reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a post hung"
    return errors


@pytest.fixture
def slow_count(monkeypatch):
    """Widen the gap between counting and inserting, so posts that are not
    serialised all count before any of them inserts."""
    counted = public.rate_allows

    def slow(**arguments):
        allowed = counted(**arguments)
        time.sleep(0.3)
        return allowed

    monkeypatch.setattr(public, "rate_allows", slow)


@pytest.fixture
def pledge(transactional_db, settings):
    from orgs.models import Sector
    from tests.factories import licheng_campaign, make_district, published

    settings.PLEDGE_COMMENT_LIMIT = 2
    # A transactional test starts from an emptied database: the seeded sectors too.
    for position, name in enumerate(SECTORS, start=1):
        Sector.objects.get_or_create(name=name, defaults={"position": position})
    district = make_district()
    return published(district, licheng_campaign(district), member=district.member)


@pytest.mark.postgres
def test_racing_posts_from_one_address_stay_within_the_limit(postgres_only, pledge, slow_count):
    errors = _race(pledge, posts=6)
    assert errors == []
    assert PledgeComment.objects.filter(address_hash=public.address_hash("10.7.7.7")).count() == 2


@pytest.mark.postgres
def test_without_the_lock_racing_posts_pass_the_limit(
    postgres_only, pledge, slow_count, monkeypatch
):
    """The same race with the advisory lock disabled lets every post through: the
    lock, not the count, is what holds the limit."""
    monkeypatch.setattr(public, "_lock", lambda scope, key: None)
    assert _race(pledge, posts=6) == []
    assert PledgeComment.objects.count() > 2
