#!/usr/bin/env python3
"""A real browser on `agentpool serve`: headless Chromium (Debian's chromium + chromium-driver)
driven by Selenium.

    console-browser-check.py AGENTPOOL_BINARY SCREENSHOT_DIR [SCREENSHOT_DIR...]

With AGENTPOOL_BROWSER_CHECK_DB set (e.g. a postgres:// URL with its own `?schema=`), the store
is that database instead of a fresh SQLite file; it must not hold a pool named `review`.

Seeds a pool with the CLI (members, a dead letter, a message whose id and body are
`<img src=x onerror=alert(1)>`), starts `serve` with a token, logs in through the form, opens the
pool page, then checks, with the CLI as another process:
  - a message and its reply sent after the page loaded appear within 2 s, without a reload;
  - the dead letter's resend button re-sends it;
  - the markup message shows as text: no <img> element, no alert, no script ran;
and writes pools.png and pool.png into every SCREENSHOT_DIR. Prints one JSON summary line;
exits non-zero on the first failed check.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

MARKUP = "<img src=x onerror=alert(1)>"
TOKEN = "browser-check-token"


def settled(read, what, attempts=100):
    """`read()` against the page as it is now. The page swaps a section in when it refreshes, so
    an element found a moment ago can be gone (stale): the read is made again, from the document,
    at most `attempts` times, 20 ms apart (2 s)."""
    for _ in range(attempts):
        try:
            return read()
        except StaleElementReferenceException:
            time.sleep(0.02)
    sys.exit(f"{what}: the page kept replacing it for 2 s")


def main():
    binary, shots = sys.argv[1], sys.argv[2:]
    for folder in shots:
        os.makedirs(folder, exist_ok=True)
    work = tempfile.mkdtemp(prefix="agentpool-browser-")
    db = os.environ.get("AGENTPOOL_BROWSER_CHECK_DB") or os.path.join(work, "console.sqlite")

    def cli(*args, check=True):
        result = subprocess.run([binary, "--db", db, *args], capture_output=True, text=True, timeout=60)
        if check and result.returncode != 0:
            sys.exit(f"agentpool {' '.join(args)} failed ({result.returncode}): {result.stderr}")
        return result.stdout

    cli("open", "review")
    cli("join", "review", "--run", "writer-1", "--agent", "writer")
    cli("join", "review", "--run", "reviewer-1", "--agent", "reviewer", "--lease-ms", "600000")
    cli("join", "review", "--run", "worker-1", "--agent", "worker")
    cli("send", "review", "--id", "draft-1", "--from", "writer-1", "--to", "agent:reviewer",
        "--body", json.dumps("please review chapter 1"), "--key", "draft-1")
    cli("send", "review", "--id", MARKUP, "--from", "writer-1", "--to", "agent:reviewer",
        "--body", json.dumps(MARKUP), "--key", "markup-1")
    # A dead letter: one attempt allowed, a 1 ms claim, swept once it ran out.
    cli("send", "review", "--id", "job-dead", "--from", "writer-1", "--to", "agent:worker",
        "--content", "s3://jobs/dead", "--key", "job-dead", "--queue")
    cli("claim", "review", "--run", "worker-1", "--lease-ms", "1", "--max-attempts", "1")
    deadline = time.monotonic() + 30
    while "job-dead" not in cli("dead", "review"):
        if time.monotonic() > deadline:
            sys.exit("the claim never became a dead letter")
        cli("sweep")

    server = subprocess.Popen([binary, "--db", db, "serve", "--port", "0", "--token", TOKEN],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    driver = None
    try:
        url = json.loads(server.stdout.readline())["url"]
        options = webdriver.ChromeOptions()
        for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1400"]:
            options.add_argument(argument)
        options.binary_location = "/usr/bin/chromium"
        driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        wait = WebDriverWait(driver, 10, poll_frequency=0.05)

        # Without the cookie every page is the login form (401); the form sets it.
        driver.get(url + "/login?next=/")
        driver.find_element(By.NAME, "token").send_keys(TOKEN)
        driver.find_element(By.CSS_SELECTOR, "form button").click()
        wait.until(lambda d: d.find_elements(By.ID, "pools"))
        for folder in shots:
            driver.save_screenshot(os.path.join(folder, "pools.png"))

        driver.get(url + "/pools/review")
        wait.until(lambda d: d.find_element(By.ID, "live").text.startswith("live"))
        marker = driver.execute_script("window.__notReloaded = true; return window.__notReloaded;")
        assert marker is True

        # Another process sends a message and its reply: both appear without a reload.
        started = time.monotonic()
        cli("send", "review", "--id", "live-1", "--from", "writer-1", "--to", "agent:reviewer",
            "--body", json.dumps("a message sent while the page is open"), "--key", "live-1")
        cli("send", "review", "--id", "re-live-1", "--from", "reviewer-1", "--to", "run:writer-1",
            "--reply-to", "live-1", "--body", json.dumps("and its reply"), "--key", "re-live-1")
        sent = time.monotonic()
        try:
            WebDriverWait(driver, 2, poll_frequency=0.02).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, '[data-message="live-1"]')
                and d.find_elements(By.CSS_SELECTOR, '[data-message="re-live-1"]'))
        except TimeoutException:
            sys.exit("the message and its reply did not appear within 2 s of the reply")
        shown = time.monotonic()
        if driver.execute_script("return window.__notReloaded === true") is not True:
            sys.exit("the page reloaded")
        # The page swaps a section in when it refreshes: an element read a moment ago can be gone
        # (stale), so the status is read afresh until it says responded, for at most 2 s.
        try:
            WebDriverWait(driver, 2, poll_frequency=0.02, ignored_exceptions=[StaleElementReferenceException]).until(
                lambda d: d.find_element(By.CSS_SELECTOR, '[data-message="live-1"] .status').text == "responded")
        except TimeoutException:
            sys.exit("live-1 does not show status responded within 2 s")

        # The markup message is text: no element, no alert.
        images, text = settled(lambda: (
            len(driver.find_element(By.ID, "threads").find_elements(By.TAG_NAME, "img")),
            driver.find_element(By.ID, "threads").text), "the threads section")
        if images:
            sys.exit("the markup message became an <img> element")
        if MARKUP not in text:
            sys.exit("the markup message's id/body are not shown as text")
        try:
            driver.switch_to.alert
            sys.exit("a script ran: an alert is open")
        except NoAlertPresentException:
            pass

        for folder in shots:
            driver.save_screenshot(os.path.join(folder, "pool.png"))

        # The dead letter's resend button re-sends it.
        settled(lambda: driver.find_element(By.CSS_SELECTOR, '#dead button[data-resend="job-dead"]').click(),
                "the dead letter's resend button")
        try:
            WebDriverWait(driver, 5, poll_frequency=0.05).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, '[data-message="job-dead-resent"]')
                and not d.find_elements(By.CSS_SELECTOR, '#dead button[data-resend="job-dead"]'))
        except TimeoutException:
            sys.exit("the resend button did not re-send the dead letter")
        if json.loads(cli("dead", "review")) != []:
            sys.exit("the store still lists the dead letter")

        print(json.dumps({
            "ok": True, "url": url,
            "first_send_to_both_shown_ms": round((shown - started) * 1000),
            "reply_sent_to_shown_ms": round((shown - sent) * 1000),
            "screenshots": shots,
        }))
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    main()
