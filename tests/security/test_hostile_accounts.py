"""What an outsider would try against accounts, on the real server (daphne, DEBUG off, so
SIGNUP defaults to invite): password guessing, signing up without an invitation, a stolen
emailed invitation, and a removed member's open live panel."""

from __future__ import annotations

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from playground.accounts.models import Invitation, Membership, Role, Team
from playground.jobs.models import Generation

pytestmark = pytest.mark.usefixtures("transactional_db")

PASSWORD = "pw-alice-12345"


class Visitor:
    """A browser without a browser: cookies, and the CSRF token of the page it posts from."""

    def __init__(self, live_app) -> None:
        self.base = live_app.url
        self.http = httpx.Client(base_url=self.base, timeout=20, follow_redirects=False)

    def post(self, path: str, data: dict[str, str], **headers: str) -> httpx.Response:
        self.http.get(path, headers=headers)
        token = self.http.cookies.get("csrftoken", "")
        return self.http.post(path, data={**data, "csrfmiddlewaretoken": token}, headers=headers)

    def log_in(self, username: str, password: str, **headers: str) -> httpx.Response:
        credentials = {"username": username, "password": password}
        return self.post("/accounts/login/", credentials, **headers)


@pytest.fixture
def visitor(live_app):
    client = Visitor(live_app)
    yield client
    client.http.close()


def test_thirty_rapid_wrong_passwords_lock_the_account_even_for_the_right_one(
    live_app, visitor, live_user
):
    live_user("alice", PASSWORD)

    statuses = [visitor.log_in("alice", f"guess-{n}").status_code for n in range(30)]
    right = visitor.log_in("alice", PASSWORD)

    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}
    assert right.status_code == 429 and "sessionid" not in visitor.http.cookies
    assert "Too many failed log-ins" in right.text and "Try again in 15" in right.text
    assert right.headers["Retry-After"] == "900"


def test_forged_forwarded_addresses_do_not_reset_the_count(live_app, visitor, live_user):
    live_user("alice", PASSWORD)
    # Without BEHIND_PROXY the header is the client's own invention: ignored.
    for n in range(5):
        visitor.log_in(f"user{n}", "guess", **{"X-Forwarded-For": f"198.51.100.{n}"})

    response = visitor.log_in("alice", PASSWORD, **{"X-Forwarded-For": "203.0.113.9"})

    assert response.status_code == 429


def test_the_admin_login_is_throttled_too(live_app, visitor, live_user):
    admin = live_user("root", PASSWORD)
    admin.is_staff = admin.is_superuser = True
    admin.save()
    for _ in range(5):
        visitor.post("/admin/login/", {"username": "root", "password": "guess", "next": "/admin/"})

    response = visitor.post(
        "/admin/login/", {"username": "root", "password": PASSWORD, "next": "/admin/"}
    )

    assert response.status_code == 429
    assert "Too many failed log-ins" in response.text
    assert visitor.http.get("/admin/").status_code == 302  # still not signed in


def test_a_sign_up_post_without_an_invitation_is_refused(live_app, visitor, live_user):
    from django.contrib.auth.models import User

    live_user("alice", PASSWORD)  # the install has its first account already
    page = visitor.http.get("/accounts/signup/")
    data = {"username": "mallory", "password1": "Sneaky-pass-9183", "password2": "Sneaky-pass-9183"}

    plain = visitor.post("/accounts/signup/", data)
    forged = visitor.post("/accounts/signup/", {**data, "next": "/teams/join/made-up-token/"})

    assert "Sign-up is by invitation" in page.text
    assert (plain.status_code, forged.status_code) == (403, 403)
    assert not User.objects.filter(username="mallory").exists()


def test_a_stolen_emailed_invitation_opens_no_account_with_another_address(
    live_app, visitor, live_user
):
    from django.contrib.auth.models import User

    alice = live_user("alice", PASSWORD)
    team = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=alice, team=team, role=Role.OWNER)
    invitation = Invitation.objects.create(team=team, email="erin@example.com", created_by=alice)
    join = f"/teams/join/{invitation.token}/"

    response = visitor.post(
        "/accounts/signup/",
        {
            "username": "mallory",
            "email": "mallory@example.com",
            "password1": "Sneaky-pass-9183",
            "password2": "Sneaky-pass-9183",
            "next": join,
        },
    )

    assert response.status_code == 200
    assert "Use the address this invitation was sent to" in response.text
    assert not User.objects.filter(username="mallory").exists()
    assert not team.memberships.filter(user__username="mallory").exists()


def test_a_removed_member_s_open_panel_is_closed(live_app, live_user):
    from tests.jobs.conftest import submit

    alice, bob = live_user("alice", PASSWORD), live_user("bob", "pw-bob-12345")
    team = Team.objects.create(name="Studio", slug="studio")
    Membership.objects.create(user=alice, team=team, role=Role.OWNER)
    bobs = Membership.objects.create(user=bob, team=team, role=Role.MEMBER)
    generation = submit(alice)
    Generation.objects.filter(pk=generation.pk).update(team=team)
    owner, member = Visitor(live_app), Visitor(live_app)
    assert owner.log_in("alice", PASSWORD).status_code == 302
    assert member.log_in("bob", "pw-bob-12345").status_code == 302
    cookie = f"sessionid={member.http.cookies['sessionid']}"
    ws_url = live_app.url.replace("http", "ws", 1) + f"/ws/generations/{generation.code}/"

    with ws_connect(
        ws_url, additional_headers={"Cookie": cookie, "Origin": live_app.url}, open_timeout=10
    ) as panel:
        assert f"gen-{generation.code}-status" in panel.recv(timeout=10)
        removed = owner.post(f"/teams/studio/members/{bobs.pk}/remove/", {})
        with pytest.raises(ConnectionClosed) as closed:
            while True:  # anything still in flight, then the close
                panel.recv(timeout=10)
    owner.http.close()
    member.http.close()
    assert removed.status_code == 302
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
