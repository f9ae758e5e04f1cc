#!/usr/bin/env python3
"""Walks S01–S04 through the console in a real browser (Playwright for Python driving Debian's chromium).

Run by scripts/console-walk.sh against a fresh `serve` in demo mode:
    console_walk.py --base http://127.0.0.1:PORT --emulator http://127.0.0.1:EMU --shots DIR

Every state it passes through is saved as a PNG in DIR. It prints one line per check and closes with
"console walk: N passed, M failed"; the exit status is non-zero on any failure.
"""
import argparse
import json
import os
import re
import sys
import time
import urllib.request

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect, sync_playwright

CONNECT_PROMPT = "Connect your Calendly account to choose an event type."
MISSING_EMAIL = "Map the invitee email to a contact or conversation field."


class Walk:
    def __init__(self, shots):
        self.shots = shots
        self.passed = 0
        self.failed = 0
        os.makedirs(shots, exist_ok=True)

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"ok   {name}")
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")

    def expect(self, name, assertion):
        """Runs a Playwright `expect` (which retries until its timeout) and records the outcome."""
        try:
            assertion()
            self.check(name, True)
        except (AssertionError, PlaywrightError) as error:
            self.check(name, False, str(error).splitlines()[0] if str(error) else "")

    def shot(self, page, name, full_page=False):
        page.screenshot(path=os.path.join(self.shots, name + ".png"), full_page=full_page)


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read().decode()


def unlabelled_controls(page):
    """Form controls a screen reader could not name (no <label>, aria-label or aria-labelledby)."""
    return page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(c => c.type !== 'hidden' && c.offsetParent !== null)
        .filter(c => c.labels.length === 0 && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
        .map(c => c.id || c.name || c.outerHTML.slice(0, 60))""")


def tile(page, metric):
    return page.locator(f'.tile[data-metric="{metric}"] .count')


def walk(playwright, base, emulator, shots, executable):
    w = Walk(shots)
    browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"])
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin", locale="en-GB")
    context.set_default_timeout(15000)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    # Refused requests the walk causes on purpose (422, 400) log "Failed to load resource"; anything else is a defect.
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and not message.text.startswith("Failed to load resource") else None)

    # A Calendly account with more eligible event types than the form lists at once (PRD S02 AC-4).
    status, _ = http("POST", emulator + "/_emulator/reset", {"solo_event_types": 30})
    w.check("the emulator holds 33 eligible event types", status in (200, 204), f"status {status}")

    # Sign-in: the demo session (demo mode only).
    page.goto(base + "/console")
    w.expect("page title", lambda: expect(page).to_have_title("CalendlyAction console"))
    w.check("every visible control has a label", unlabelled_controls(page) == [], str(unlabelled_controls(page)))
    w.shot(page, "01-signed-out")
    page.get_by_role("button", name="Start demo session").click()
    w.expect("demo session signs in", lambda: expect(page.locator("#session-status")).to_contain_text("Signed in to account acme"))
    w.check("tokens only in sessionStorage", page.evaluate("() => localStorage.length === 0 && sessionStorage.length === 1"))

    # S01: empty state, then connect through the emulator's OAuth page (keyboard only).
    w.expect("empty state copy", lambda: expect(page.locator("#connection-status")).to_have_text(CONNECT_PROMPT))
    w.expect("event types wait for a connection", lambda: expect(page.get_by_label("Search event types by name")).to_be_disabled())
    w.shot(page, "02-empty-state")

    # S01 ERR-1: consent denied in Calendly → inline banner + Retry (the emulator denies when asked to).
    deny = lambda route: route.continue_(url=route.request.url + "&deny=1")
    context.route("**/oauth/authorize?*", deny)
    page.get_by_role("button", name="Connect Calendly").click()
    w.expect("denied consent: inline error banner", lambda: expect(page.locator("#connection-banner")).to_contain_text("Calendly access was not granted"))
    w.expect("the banner offers Retry", lambda: expect(page.locator("#connection-banner").get_by_role("button", name="Retry")).to_be_visible())
    w.shot(page, "02b-connect-denied")
    context.unroute("**/oauth/authorize?*", deny)

    # S01: Retry, this time approved (from the keyboard).
    with page.expect_popup() as popup_info:
        page.locator("#connection-retry").focus()
        page.keyboard.press("Enter")
    popup = popup_info.value
    w.expect("Connected as {email}", lambda: expect(page.locator("#connection-status")).to_have_text("Connected as host@example.com"))
    popup.wait_for_event("close", timeout=5000) if not popup.is_closed() else None
    w.check("the sign-in window closes itself", popup.is_closed())
    w.expect("event types listed", lambda: expect(page.get_by_role("radio", name=re.compile("Intro call"))).to_be_visible())
    radios = page.get_by_role("radio")
    w.check("at most 25 event types listed", 0 < radios.count() <= 25, f"got {radios.count()}")
    w.check("round robin excluded", page.get_by_role("radio", name=re.compile("round robin", re.I)).count() == 0)
    w.check("group excluded", page.get_by_role("radio", name=re.compile("webinar", re.I)).count() == 0)
    w.expect("more than 25: search hint", lambda: expect(page.locator("#event-types-note")).to_contain_text("Search by name"))
    w.shot(page, "03-connected")

    # Loading: 3 skeleton rows while a refresh is in flight (the request is held until the shot is taken).
    held = []
    page.route("**/event-types*", lambda route: held.append(route))
    page.get_by_role("button", name="Refresh").click()
    w.expect("3 skeleton rows while loading", lambda: expect(page.locator("#event-types .skeleton")).to_have_count(3))
    w.shot(page, "04-loading")
    for route in held:
        route.continue_()
    page.unroute("**/event-types*")
    w.expect("list back after refresh", lambda: expect(page.get_by_role("radio", name=re.compile("Intro call"))).to_be_visible())

    # S02 ERR-1: Calendly fails a refresh → the cached list stays, with "Couldn't refresh" + Retry.
    status, _ = http("POST", emulator + "/_emulator/faults", {"path": "/event_types", "status": 500, "count": 20})
    w.check("event type fault injected", status == 201, f"status {status}")
    page.get_by_role("button", name="Refresh").click()
    w.expect("Couldn't refresh banner", lambda: expect(page.locator("#event-types-banner")).to_contain_text("Couldn't refresh"))
    w.expect("cached list kept", lambda: expect(page.get_by_role("radio", name=re.compile("Intro call"))).to_be_visible())
    w.shot(page, "04b-refresh-failed")
    http("DELETE", emulator + "/_emulator/faults")
    page.locator("#event-types-banner").get_by_role("button", name="Retry").click()
    w.expect("Retry clears the banner", lambda: expect(page.locator("#event-types-banner")).to_be_hidden())

    # S02: search beyond the first 25, pick a type, map fields; first a validation error.
    page.get_by_label("Search event types by name").fill("Solo session 030")
    w.expect("search finds a type beyond the first 25", lambda: expect(page.get_by_role("radio", name=re.compile("Solo session 030"))).to_be_visible())
    page.get_by_label("Search event types by name").fill("Intro")
    page.get_by_role("radio", name=re.compile("Intro call")).check()
    w.expect("custom question row", lambda: expect(page.get_by_label("“Company”")).to_be_visible())
    page.get_by_label("Invitee email").fill("")
    page.get_by_role("button", name="Save", exact=True).click()
    w.expect("save without email mapping is refused inline", lambda: expect(page.locator("#error-emailField")).to_have_text(MISSING_EMAIL))
    w.expect("the field is marked invalid", lambda: expect(page.get_by_label("Invitee email")).to_have_attribute("aria-invalid", "true"))
    w.shot(page, "05-validation-error")
    page.get_by_label("Invitee email").fill("contact.email")
    page.get_by_label("“Company”").fill("contact.company")
    page.get_by_label("When should the agent offer booking?").fill("the customer asks to meet or for a demo")
    page.get_by_label("Message the agent sends after a confirmed booking").fill("See you soon!")
    w.expect("confirmation counter", lambda: expect(page.locator("#confirmation-count")).to_have_text("13 / 1,000"))
    page.get_by_role("button", name="Save", exact=True).click()
    w.expect("saved and runnable", lambda: expect(page.locator("#save-banner")).to_contain_text("Intro call — the agent offers booking"))
    w.check("no validation error left", page.locator("#error-emailField").is_hidden())
    w.shot(page, "06-saved")

    # With the questions feature the save answer lists what the chat will ask (`askedInChat`); the form shows it.
    page.get_by_label("Search event types by name").fill("Discovery")
    page.get_by_role("radio", name=re.compile("Discovery call")).check()
    with page.expect_response(lambda response: response.url.endswith("/calendly/action") and response.request.method == "PUT") as saved_info:
        page.get_by_role("button", name="Save", exact=True).click()
    answer = saved_info.value.json() if saved_info.value.ok else {}
    if answer.get("askedInChat"):
        w.expect("required questions the chat will ask", lambda: expect(page.locator("#required-questions-list")).to_contain_text("What would you like to discuss?"))
        w.shot(page, "06b-asked-in-chat")
    else:
        w.check("no asked-questions list without the feature", page.locator("#required-questions").is_hidden())
    page.get_by_label("Search event types by name").fill("Intro")
    page.get_by_role("radio", name=re.compile("Intro call")).check()
    page.get_by_label("“Company”").fill("contact.company")
    page.get_by_role("button", name="Save", exact=True).click()
    w.expect("Intro call saved again", lambda: expect(page.locator("#save-banner")).to_contain_text("Intro call — the agent offers booking"))

    # Saved but not offered: the banner says why (Core's notRunnableReason), then booking goes back on.
    page.get_by_label("Offer booking in conversations").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    w.expect("a turned-off action says why it is not offered", lambda: expect(page.locator("#save-banner")).to_contain_text("saved but not offered: the action is turned off"))
    page.get_by_label("Offer booking in conversations").check()
    page.get_by_role("button", name="Save", exact=True).click()
    w.expect("turned back on", lambda: expect(page.locator("#save-banner")).to_contain_text("Intro call — the agent offers booking"))

    # S03 on WhatsApp: the offer as a list, pick a row, give the email, see the card.
    page.get_by_label("Channel").select_option("whatsapp")
    page.get_by_label("Customer email (leave empty to be asked)").fill("")
    page.get_by_role("button", name="Customer asks to meet").click()
    w.expect("offer as an interactive list", lambda: expect(page.get_by_role("button", name="Choose a time")).to_be_visible())
    w.expect("offer text in the customer's zone", lambda: expect(page.locator("#messages")).to_contain_text("Here are the next available times for Intro call"))
    w.shot(page, "07-offer")
    page.get_by_role("button", name="Choose a time").click()
    rows = page.locator("#messages .list-rows button")
    w.check("tappable rows", rows.count() >= 2, f"got {rows.count()}")
    w.shot(page, "08-slot-rows")
    rows.nth(1).click()
    w.expect("asks for the email", lambda: expect(page.locator("#messages")).to_contain_text("What email address should we send the booking confirmation to?"))
    page.get_by_label("Reply as the customer").fill("not-an-email")
    page.get_by_label("Reply as the customer").press("Enter")
    w.expect("invalid email is asked again", lambda: expect(page.locator("#messages")).to_contain_text("doesn't look like a valid email"))
    page.get_by_label("Reply as the customer").fill("ana@example.com")
    page.get_by_role("button", name="Send").click()
    card = page.locator("#messages .card")
    w.expect("confirmation card", lambda: expect(card).to_be_visible())
    w.expect("card has the event name", lambda: expect(card.locator("h3")).to_have_text("Intro call"))
    w.expect("card has the details link", lambda: expect(card.get_by_role("link", name="View booking details")).to_have_attribute("href", re.compile("^https?://")))
    w.expect("card has the confirmation message", lambda: expect(card).to_contain_text("See you soon!"))
    w.expect("conversation confirmed", lambda: expect(page.locator("#chat-state")).to_contain_text("confirmed"))
    w.shot(page, "09-confirmation-card")

    # S03 AC-4 on plain text: a numbered list, answered with the number.
    page.get_by_label("Channel").select_option("text")
    page.get_by_label("Customer email (leave empty to be asked)").fill("bo@example.com")
    page.get_by_role("button", name="Customer asks to meet").click()
    w.expect("numbered text list", lambda: expect(page.locator("#messages")).to_contain_text("Reply with the number"))
    page.get_by_label("Reply as the customer").fill("1")
    page.get_by_role("button", name="Send").click()
    w.expect("booked from the numbered list", lambda: expect(page.locator("#messages .card")).to_be_visible())
    w.shot(page, "10-text-channel")

    # S03 ERR-2: availability fails in Calendly → a short apology and the static link, nothing half-booked.
    status, _ = http("POST", emulator + "/_emulator/faults", {"path": "/event_type_available_times", "status": 500, "count": 20})
    w.check("availability fault injected", status == 201, f"status {status}")
    page.get_by_role("button", name="Customer asks to meet").click()
    w.expect("apology with the static link", lambda: expect(page.locator("#messages")).to_contain_text("Sorry, I couldn't complete the booking here"))
    w.expect("the fallback link is a link", lambda: expect(page.locator("#messages .msg a").first).to_have_attribute("href", re.compile("calendly")))
    w.expect("the conversation ended at the link", lambda: expect(page.locator("#chat-state")).to_contain_text("staticLink"))
    w.shot(page, "10b-fallback-link")
    http("DELETE", emulator + "/_emulator/faults")

    # A confirmation produced after its request (the booking's reply was lost; Calendly's webhook confirms it
    # later) reaches the chat through GET …/booking/messages, which the pane polls.
    page.get_by_label("Channel").select_option("text")
    page.get_by_label("Customer email (leave empty to be asked)").fill("")
    page.get_by_role("button", name="Customer asks to meet").click()
    w.expect("late: slots offered", lambda: expect(page.locator("#chat-state")).to_contain_text("slotsShown"))
    page.get_by_label("Reply as the customer").fill("1")
    page.get_by_label("Reply as the customer").press("Enter")
    w.expect("late: email asked", lambda: expect(page.locator("#chat-state")).to_contain_text("askingEmail"))
    lost = http("POST", emulator + "/_emulator/faults", {"path": "/invitees", "method": "POST", "after_commit": True, "close": True})[0]
    lookups = http("POST", emulator + "/_emulator/faults", {"path": "/scheduled_events*", "method": "GET", "status": 503, "count": 50})[0]
    w.check("late: lost reply scripted", lost == 201 and lookups == 201, f"{lost} {lookups}")
    page.get_by_label("Reply as the customer").fill("cy@example.com")
    page.get_by_label("Reply as the customer").press("Enter")
    w.expect("late: the card arrives from the messages endpoint", lambda: expect(page.locator("#messages .card")).to_be_visible(timeout=30000))
    page.wait_for_timeout(2500)   # one more poll: a second copy would show up now
    w.check("late: delivered once", page.locator("#messages .card").count() == 1)
    w.shot(page, "10c-late-confirmation")
    http("DELETE", emulator + "/_emulator/faults")

    # S04: analytics for the range, then a cancel in "Calendly" (the emulator) shows up.
    page.get_by_role("button", name="Show").click()
    w.expect("created counted (WhatsApp, text, the late one)", lambda: expect(tile(page, "created")).to_have_text("3"))
    w.expect("daily table", lambda: expect(page.locator("#daily tbody tr").first).to_be_visible())
    w.shot(page, "11-analytics")
    status, state = http("GET", emulator + "/_emulator/state")
    invitee = re.search(r'"invitee":"([^"]+)"', state)
    w.check("the emulator has the booking", status == 200 and invitee is not None)
    if invitee:
        status, _ = http("POST", emulator + "/_emulator/bookings/cancel", {"invitee": invitee.group(1)})
        w.check("canceled in the emulator", status in (200, 204), f"status {status}")
    deadline = time.time() + 20
    while time.time() < deadline:
        page.get_by_role("button", name="Show").click()
        page.wait_for_selector('.tile[data-metric="canceled"]')
        if tile(page, "canceled").inner_text() == "1":
            break
        time.sleep(0.5)
    w.expect("canceled counted after the webhook", lambda: expect(tile(page, "canceled")).to_have_text("1"))
    page.get_by_label("View as").select_option("supervisor")
    w.expect("supervisor sees the same counts", lambda: expect(tile(page, "canceled")).to_have_text("1"))
    w.shot(page, "12-analytics-canceled")
    page.get_by_label("From (UTC day)").fill("2020-01-01")
    page.get_by_label("To (UTC day)").fill("2020-01-31")
    page.get_by_role("button", name="Show").click()
    w.expect("empty range", lambda: expect(page.locator("#analytics-empty")).to_have_text("No bookings yet for this range."))
    page.get_by_label("From (UTC day)").fill("2020-01-01")
    page.get_by_label("To (UTC day)").fill("2026-12-31")
    page.get_by_role("button", name="Show").click()
    w.expect("a too-long range is an inline error with Retry", lambda: expect(page.locator("#analytics-banner")).to_contain_text("Couldn't load booking metrics"))
    page.get_by_label("View as").select_option("admin")

    # 375 px: the same screens in one column, nothing wider than the screen.
    phone = browser.new_context(viewport={"width": 375, "height": 812}, timezone_id="Europe/Berlin", locale="en-GB", device_scale_factor=2)
    mobile = phone.new_page()
    mobile.goto(base + "/console")
    mobile.get_by_role("button", name="Start demo session").click()
    w.expect("375 px: connected state", lambda: expect(mobile.locator("#connection-status")).to_have_text("Connected as host@example.com"))
    w.expect("375 px: saved action loaded", lambda: expect(mobile.get_by_label("“Company”")).to_have_value("contact.company"))
    overflow = mobile.evaluate("() => document.documentElement.scrollWidth")
    w.check("375 px: no horizontal scrolling", overflow <= 375, f"scrollWidth {overflow}")
    w.shot(mobile, "13-mobile-375", full_page=True)
    phone.close()

    # S01: disconnect asks first; Cancel keeps it, Disconnect ends it.
    page.get_by_role("button", name="Disconnect").click()
    dialog = page.locator("#disconnect-dialog")
    w.expect("disconnect asks for confirmation", lambda: expect(dialog).to_be_visible())
    w.shot(page, "14-disconnect-confirm")
    dialog.get_by_role("button", name="Cancel").click()
    w.expect("cancel keeps the connection", lambda: expect(page.locator("#connection-status")).to_have_text("Connected as host@example.com"))
    page.get_by_role("button", name="Disconnect").click()
    dialog.get_by_role("button", name="Disconnect").click()
    w.expect("disconnected: back to the empty state", lambda: expect(page.locator("#connection-status")).to_contain_text(CONNECT_PROMPT))
    w.expect("event types locked again", lambda: expect(page.get_by_label("Search event types by name")).to_be_disabled())
    w.shot(page, "15-disconnected")
    w.expect("connect offered again", lambda: expect(page.get_by_role("button", name="Connect Calendly")).to_be_visible())

    w.check("no script errors or CSP violations", problems == [], "; ".join(problems[:3]))
    browser.close()
    return w


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--emulator", required=True)
    parser.add_argument("--shots", default=".build/console-shots")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    options = parser.parse_args()
    with sync_playwright() as playwright:
        try:
            result = walk(playwright, options.base, options.emulator, options.shots, options.chromium)
        except Exception as error:  # a step that could not even run: report it as a failure, not a traceback alone
            print(f"FAIL walk aborted: {type(error).__name__}: {error}")
            print("console walk: 0 passed, 1 failed")
            return 1
    print(f"console walk: {result.passed} passed, {result.failed} failed")
    return 0 if result.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
