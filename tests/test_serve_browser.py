"""The company card in a real headless browser (Chromium through Selenium): the API runs
under uvicorn on a free loopback port over a copy of the tiny project's scores (the `api`
fixture, serving.ServeSetup); the browser
signs in by typing a key, searches a registry code, lands on the card and reads what it shows
against the API's JSON for the same company, then opens the API documentation. The browser's
console must stay free of errors: a refused resource (the pages' Content-Security-Policy
allows nothing from outside) or a failed request would be logged there.

Skips, saying what is missing, without the selenium package or Debian's `chromium` and
`chromium-driver` (`.ci/run` installs them where it can).
"""

import importlib.util
import json
import shutil

import pytest

from company_risk.serve.card import percent

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = [
    what
    for what, found in (
        (
            "the selenium package (pip install -r requirements.lock)",
            importlib.util.find_spec("selenium"),
        ),
        ("chromium (apt-get install chromium)", CHROMIUM),
        ("chromedriver (apt-get install chromium-driver)", CHROMEDRIVER),
    )
    if not found
]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"no real-browser test of the card: missing {'; '.join(MISSING)}"
)

# headless without a GPU or a sandbox (a container), and nothing Chromium would fetch on its own
# (updates, sync, field trials): the network is closed here, and the test must not wait on it
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
WAIT_S = 10


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


def shown(driver, field: str):
    """(the API value a card element carries, its text) of data-field `field`."""
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.CSS_SELECTOR, f'[data-field="{field}"]')
    value = element.get_attribute("data-value")
    return (None if value is None else json.loads(value)), element.text


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_sign_in_search_and_read_the_card_in_a_real_browser(api, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as until
    from selenium.webdriver.support.ui import WebDriverWait

    base, key = api.url, api.read_key
    day = api.read.get("/v1/alerts").json()
    assert day["alerts"], "the tiny project's newest day raised no alert"
    code = day["alerts"][0]["company_id"]
    history_days = api.app.state.serve.cfg.history_days
    record = api.read.get(f"/v1/companies/{code}", params={"days": history_days}).json()
    wait = WebDriverWait(browser, WAIT_S)

    browser.get(base + "/")
    browser.find_element(By.ID, "key").send_keys(key)
    browser.find_element(By.ID, "sign-in").click()
    search = wait.until(until.presence_of_element_located((By.ID, "code")))
    search.send_keys(code)
    browser.find_element(By.ID, "search").click()
    wait.until(until.url_to_be(f"{base}/companies/{code}"))

    assert shown(browser, "name") == (record["name"], record["name"])
    value, text = shown(browser, "probability")
    assert value == record["probability"]
    assert text == percent(record["probability"])
    assert shown(browser, "risk_class") == (record["risk_class"], record["risk_class"])
    assert shown(browser, "class_name")[0] == record["class_name"]
    assert shown(browser, "credit_limit")[0] == record["credit_limit"]
    assert shown(browser, "payment_term_days")[0] == record["payment_term_days"]
    reasons, words = shown(browser, "reasons")
    assert reasons == record["reasons"] and all(r in words for r in record["reasons"])
    chart = browser.find_element(By.CSS_SELECTOR, 'svg[data-field="history"]')
    assert chart.is_displayed() and chart.size["width"] > 300
    points = chart.find_elements(By.TAG_NAME, "circle")
    assert [p.get_attribute("data-date") for p in points] == [h["date"] for h in record["history"]]
    assert browser.find_elements(
        By.CSS_SELECTOR, f'[data-field="alerts"] tr[data-kind="{day["alerts"][0]["kind"]}"]'
    )

    browser.get(base + "/docs")
    wait.until(until.presence_of_element_located((By.CSS_SELECTOR, "section.operation")))
    paths = {
        e.get_attribute("data-path")
        for e in browser.find_elements(By.CSS_SELECTOR, "section.operation")
    }
    assert "/v1/companies/{registry_code}" in paths and "/v1/alerts" in paths

    browser.find_element(By.ID, "sign-out").click()
    wait.until(until.presence_of_element_located((By.ID, "key")))
    browser.get(base + "/docs")  # signed out: back to the start
    assert browser.current_url == base + "/" and browser.find_elements(By.ID, "sign-in")

    assert console_errors(browser) == []
