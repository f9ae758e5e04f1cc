"""Drives `calendly-action emulate` with PyCalendly 1.1.0 (laxmena/PyCalendly, from PyPI), a Calendly API v2
client written by others, doing what an integration does: OAuth (code, token, introspect, refresh, revoke),
users/me, event types across pages, available times, a booking, scheduled events and invitees, a host
cancellation, webhook subscriptions and signed deliveries.

PyCalendly has no call for `GET /event_type_available_times`, `POST /invitees`, the cancellation, or the
newer directory endpoints; those go through its own generic request object (`CalendlyAPI.request.get/post`,
which sends parameters as a JSON body, as the library always does). Its URLs are module constants, so they
are pointed at the emulator before use.

Usage: python3 calendly_client_walk.py http://127.0.0.1:PORT   (run by scripts/third-party-client.sh)
"""
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone

import requests
import calendly
import calendly.calendly as api_module
import calendly.utils.constants as constants
import calendly.utils.oauth2 as oauth_module
from calendly import CalendlyAPI, CalendlyOauth2, CalendlyException, CalendlyOauth2Exception

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8090"
CLIENT_ID, CLIENT_SECRET = "emulator-client-id", "emulator-client-secret"
SIGNING_KEY = "third-party-walk-signing-key"
EXTRA_SOLO = int(sys.argv[2]) if len(sys.argv) > 2 else 150
NAMED_EVENT_TYPES = 14

# Point the library's module constants at the emulator (API and OAuth share one host there).
for module in (constants, api_module, oauth_module):
    for name, value in list(vars(module).items()):
        if isinstance(value, str) and value.startswith("https://api.calendly.com"):
            setattr(module, name, BASE + value[len("https://api.calendly.com"):])
        elif isinstance(value, str) and value.startswith("https://auth.calendly.com"):
            setattr(module, name, BASE + value[len("https://auth.calendly.com"):])

passed, failed = 0, 0


def check(name, condition, detail=""):
    global passed, failed
    if condition:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def uuid_of(uri):
    return uri.rstrip("/").split("/")[-1]


class Receiver(http.server.BaseHTTPRequestHandler):
    """Collects the emulator's webhook deliveries (raw body + signature header)."""
    received = []

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        Receiver.received.append((body, self.headers.get("Calendly-Webhook-Signature", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def signature_valid(body, header, key):
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    expected = hmac.new(key.encode(), f"{parts.get('t', '')}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


def wait_for(predicate, seconds=10.0):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def main():
    requests.post(BASE + "/_emulator/reset", json={"solo_event_types": EXTRA_SOLO}).raise_for_status()

    # --- OAuth: authorization code → tokens → introspect → refresh (single use) ---
    oauth = CalendlyOauth2(CLIENT_ID, CLIENT_SECRET, redirect_uri="http://127.0.0.1:9/callback")
    consent = requests.get(oauth.authorization_url, allow_redirects=False)
    location = consent.headers.get("Location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code", [""])[0]
    check("authorize redirects back with a code", consent.status_code == 302 and code, location)
    tokens = oauth.get_access_token(code)
    check("token: code exchanged (JSON body with client credentials)",
          tokens.get("token_type") == "Bearer" and tokens.get("owner", "").endswith("/users/HOST"), tokens)
    try:
        oauth.get_access_token(code)
        check("token: a used code is refused", False)
    except CalendlyOauth2Exception as error:
        check("token: a used code is refused", "invalid_grant" in str(error), error)
    intro = oauth.introspect_access_token(tokens["access_token"])
    check("introspect: the access token is active", intro.get("active") is True and intro.get("client_id") == CLIENT_ID, intro)
    refreshed = oauth.refresh_access_token(tokens["refresh_token"])
    check("refresh: a new pair", refreshed.get("access_token") not in (None, tokens["access_token"]), refreshed)
    try:
        oauth.refresh_access_token(tokens["refresh_token"])
        check("refresh: the old refresh token is single-use", False)
    except CalendlyOauth2Exception as error:
        check("refresh: the old refresh token is single-use", "invalid_grant" in str(error), error)
    access = refreshed["access_token"]
    query_creds = requests.post(BASE + "/oauth/introspect", params={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
                                data={"token": access})
    check("introspect: client credentials in the query string", query_creds.json().get("active") is True, query_creds.text)

    client = CalendlyAPI(access)

    # --- users/me, organization, membership ---
    me = client.about()["resource"]
    user, organization = me["uri"], me["current_organization"]
    check("users/me", me.get("email") == "host@example.com" and organization.endswith("/organizations/ORG"), me)
    response = client.request.get(constants.ME)
    check("rate-limit headers on an ordinary response",
          all(response.headers.get(name) for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")),
          dict(response.headers))
    org = client.request.get(BASE + "/organizations/" + uuid_of(organization)).json()["resource"]
    check("organizations/{uuid}", org.get("uri") == organization, org)
    memberships = client.request.get(constants.ORGANIZATION_MEMBERSHIPS, {"user": user}).json()["collection"]
    check("organization_memberships", len(memberships) == 1 and memberships[0]["role"] in ("owner", "admin"), memberships)

    # --- event types across pages ---
    types = client.get_all_event_types(user)
    check("event types: every page followed", len(types) == NAMED_EVENT_TYPES + EXTRA_SOLO and len({t["uri"] for t in types}) == len(types),
          len(types))
    by_name = {t["name"]: t for t in types}
    question_types = {q["type"] for t in types for q in t.get("custom_questions", [])}
    check("event types: every Calendly question type is seeded",
          {"string", "text", "phone_number", "single_select", "multi_select"} <= question_types, question_types)
    kinds = {location["kind"] for t in types for location in t.get("locations", [])}
    check("event types: locations that need the invitee are seeded", {"outbound_call", "ask_invitee", "physical"} <= kinds, kinds)
    demo = by_name["Product demo"]
    team_size = next(q for q in demo["custom_questions"] if q["name"] == "Team size")
    check("event type: a required single select with its answer choices",
          team_size["required"] and team_size["answer_choices"] == ["1-10", "11-50", "51-200", "201+"], team_size)
    one = client.get_event_type(uuid_of(demo["uri"]))["resource"]
    check("event_types/{uuid}", one["uri"] == demo["uri"], one)

    # --- available times: up to 31 days; more is refused ---
    start = datetime.now(timezone.utc) + timedelta(minutes=5)
    times = client.request.get(BASE + "/event_type_available_times",
                               {"event_type": demo["uri"], "start_time": iso(start), "end_time": iso(start + timedelta(days=31))}).json()
    slots = [slot["start_time"] for slot in times["collection"]]
    check("available times over 31 days", len(slots) > 200 and slots == sorted(slots), len(slots))
    try:
        client.request.get(BASE + "/event_type_available_times",
                           {"event_type": demo["uri"], "start_time": iso(start), "end_time": iso(start + timedelta(days=32))})
        check("available times: 32 days refused", False)
    except CalendlyException as error:
        check("available times: 32 days refused", "Invalid Argument" in str(error) and error.details, error)

    # --- webhook subscription with a receiver, so deliveries are checked too ---
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    created = client.create_webhook(hook_url, "organization", organization, signing_key=SIGNING_KEY)["resource"]
    check("webhook subscription created", created.get("state") == "active" and created.get("callback_url") == hook_url, created)
    listed = client.list_webhooks(organization, "organization")["collection"]
    check("webhook subscriptions listed", any(item["uri"] == created["uri"] for item in listed), listed)
    check("webhook subscription read", client.get_webhook(uuid_of(created["uri"]))["resource"]["uri"] == created["uri"])

    # --- booking (POST /invitees) ---
    booking_body = {
        "event_type": demo["uri"], "start_time": slots[3],
        "invitee": {"email": "walker@example.com", "first_name": "Wanda", "last_name": "Walker", "timezone": "Europe/Berlin",
                    "text_reminder_number": "+14155551234"},
        "location": {"kind": "google_conference"},
        "event_guests": ["guest@example.com"],
        "questions_and_answers": [{"question": "Team size", "answer": "11-50", "position": 0}],
    }
    missing = dict(booking_body, questions_and_answers=[])
    try:
        client.request.post(BASE + "/invitees", missing)
        check("booking without the required answer is refused", False)
    except CalendlyException as error:
        parameters = [detail.get("parameter") for detail in error.details]
        check("booking without the required answer is refused (400 Invalid Argument, details)",
              "Invalid Argument" in str(error) and "questions_and_answers" in parameters, error)
    invitee = client.request.post(BASE + "/invitees", booking_body).json()["resource"]
    check("booking: POST /invitees keeps first/last name and the text reminder number",
          invitee["first_name"] == "Wanda" and invitee["last_name"] == "Walker" and invitee["name"] == "Wanda Walker"
          and invitee["text_reminder_number"] == "+14155551234" and invitee["scheduling_method"] == "api", invitee)

    # --- scheduled events and invitees ---
    events = client.get_all_scheduled_events(user)
    check("scheduled events listed", any(event["uri"] == invitee["event"] for event in events), len(events))
    event_uuid = uuid_of(invitee["event"])
    event = client.get_event_details(event_uuid)["resource"]
    check("scheduled event: location with a status, calendar_event, guests",
          event["location"]["type"] == "google_conference" and event["location"]["status"] == "pushed"
          and "calendar_event" in event and [g["email"] for g in event["event_guests"]] == ["guest@example.com"], event)
    invitees = client.list_event_invitees(event_uuid)["collection"]
    check("event invitees listed", [item["uri"] for item in invitees] == [invitee["uri"]], invitees)
    busy = client.request.get(BASE + "/user_busy_times", {"user": user, "start_time": iso(start),
                                                          "end_time": iso(start + timedelta(days=7))}).json()["collection"]
    check("user_busy_times shows the booking", any(item["event"]["uri"] == invitee["event"] for item in busy), busy)
    schedules = client.request.get(BASE + "/user_availability_schedules", {"user": user}).json()["collection"]
    check("user_availability_schedules", len(schedules) == 1 and schedules[0]["rules"], schedules)
    link = client.request.post(constants.SCHEDULING_LINKS, {"max_event_count": 1, "owner": demo["uri"], "owner_type": "EventType"})
    check("scheduling_links", link.status_code == 201 and link.json()["resource"]["booking_url"].startswith("https://"), link.text)

    # --- the host cancels with a reason ---
    first_event = client.get_event_details(event_uuid)["resource"]
    time.sleep(0.01)
    cancel = client.request.post(f"{constants.EVENTS}/{event_uuid}/cancellation", {"reason": "Host is ill"}).json()["resource"]
    check("cancellation: canceler_type host with the reason", cancel["canceler_type"] == "host" and cancel["reason"] == "Host is ill", cancel)
    shown = client.get_event_invitee(event_uuid, uuid_of(invitee["uri"]))["resource"]
    check("invitee shows the host's cancellation", shown["status"] == "canceled" and shown["cancellation"]["canceler_type"] == "host"
          and shown["cancellation"]["reason"] == "Host is ill", shown)
    canceled_event = client.get_event_details(event_uuid)["resource"]
    check("canceled event: cancellation object and updated_at moved",
          canceled_event["status"] == "canceled" and canceled_event.get("cancellation", {}).get("canceler_type") == "host"
          and canceled_event["updated_at"] > first_event["updated_at"], canceled_event)
    try:
        client.request.post(f"{constants.EVENTS}/{event_uuid}/cancellation", {"reason": "again"})
        check("cancelling twice is refused", False)
    except CalendlyException as error:
        check("cancelling twice is refused (403)", "Permission Denied" in str(error), error)

    # --- the deliveries: full Invitee resources, signed with the subscription's key ---
    wait_for(lambda: len(Receiver.received) >= 2)
    bodies = [(json.loads(body), body, header) for body, header in Receiver.received]
    by_event = {parsed["event"]: (parsed, body, header) for parsed, body, header in bodies}
    check("webhooks: invitee.created and invitee.canceled delivered", {"invitee.created", "invitee.canceled"} <= set(by_event), list(by_event))
    if {"invitee.created", "invitee.canceled"} <= set(by_event):
        created_hook, raw, header = by_event["invitee.created"]
        check("webhook signature verifies over the raw body", signature_valid(raw, header, SIGNING_KEY), header)
        payload = created_hook["payload"]
        full = ["first_name", "last_name", "updated_at", "text_reminder_number", "payment", "no_show", "reconfirmation",
                "routing_form_submission", "scheduling_method", "scheduled_event"]
        check("webhook payload is the full Invitee resource", all(key in payload for key in full)
              and payload["first_name"] == "Wanda", sorted(payload))
        canceled_hook = by_event["invitee.canceled"][0]["payload"]
        check("invitee.canceled: host, reason, created_at",
              canceled_hook["cancellation"]["canceler_type"] == "host" and canceled_hook["cancellation"]["reason"] == "Host is ill"
              and canceled_hook["cancellation"].get("created_at"), canceled_hook.get("cancellation"))

    deleted = client.delete_webhook(uuid_of(created["uri"]))
    check("webhook subscription deleted", not any(item["uri"] == created["uri"]
                                                   for item in client.list_webhooks(organization, "organization")["collection"]), deleted)
    server.shutdown()

    # --- an endpoint the emulator does not serve answers Calendly's JSON 404 ---
    try:
        client.request.get(BASE + "/routing_forms_nonexistent")
        check("unknown endpoint: JSON 404", False)
    except CalendlyException as error:
        check("unknown endpoint: JSON 404 {title, message}", "Resource Not Found" in str(error), error)

    # --- revoke: the access token stops working ---
    oauth.revoke_access_token(access)
    try:
        client.about()
        check("revoked token refused", False)
    except CalendlyException as error:
        check("revoked token refused (401 Unauthenticated)", "Unauthenticated" in str(error), error)


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # a crash is a failure, reported with the counts
        failed += 1
        print(f"FAIL walk stopped: {type(error).__name__}: {error}")
    print("client: PyCalendly 1.1.0 (pinned in Tests/ThirdParty/requirements.txt)")
    print(f"third-party: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
