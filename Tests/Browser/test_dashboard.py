"""The monitor's dashboard in real headless Chromium: results, tracebacks, escaping, live updates.

Tasks are sent with the `taskq` CLI to a real worker; the pages come from a real `taskq monitor`.
"""

from __future__ import annotations

import time
import uuid

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ARTIFACTS

PAYLOAD = "<script>window.__pwned=1</script>"


def cell_text(driver, selector: str) -> str | None:
    try:
        return driver.find_element(By.CSS_SELECTOR, selector).text
    except (NoSuchElementException, StaleElementReferenceException):
        return None


def open_until(driver, url: str, selector: str, expected, timeout: float = 20) -> str:
    """Loads `url`, reloading every second or so, until `selector`'s text satisfies `expected`."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        driver.get(url)
        try:
            return WebDriverWait(driver, 1).until(lambda d: (text := cell_text(d, selector)) is not None and expected(text) and text)
        except TimeoutException:
            last = cell_text(driver, selector)
    raise AssertionError(f"{url}: {selector} never matched within {timeout} s; last text {last!r}")


def script_count(driver) -> int:
    return driver.execute_script("return document.scripts.length")


def test_tasks_page_shows_the_result_of_a_task_just_run(stack, browser):
    task_id, done = stack.run("tasks.add", [2, 3])
    assert done.returncode == 0 and done.stdout.strip() == "5", done.stdout + done.stderr
    stack.wait_recorded(task_id, "SUCCESS")
    url = f"{stack.base}/tasks"
    assert open_until(browser, url, f'tr[data-uuid="{task_id}"] td.result', lambda text: text == "5") == "5"
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-uuid="{task_id}"]')
    assert row.find_element(By.CSS_SELECTOR, "td.name").text == "tasks.add"
    assert row.find_element(By.CSS_SELECTOR, "td.args").text == "(2, 3)"
    assert row.find_element(By.CSS_SELECTOR, ".state-cell").text == "SUCCESS"


def test_task_page_of_a_failed_task_shows_its_traceback(stack, browser):
    message = f"kaboom-{uuid.uuid4().hex[:8]}"
    task_id, done = stack.run("tasks.fail", [message])
    assert done.returncode == 1, done.stdout + done.stderr
    stack.wait_recorded(task_id, "FAILURE")
    url = f"{stack.base}/task/{task_id}"
    traceback = open_until(browser, url, "pre.traceback", lambda text: message in text)
    assert "Traceback" in traceback
    assert f"DemoError: {message}" in traceback
    assert "FAILURE" in browser.find_element(By.CSS_SELECTOR, "h1").text
    browser.execute_script("document.querySelector('pre.traceback').scrollIntoView({block: 'center'})")
    browser.save_screenshot(str(ARTIFACTS / "task-failure.png"))


def test_a_script_in_task_arguments_is_shown_as_text_and_never_runs(stack, browser):
    # What a page normally carries: the one same-origin script.
    browser.get(f"{stack.base}/tasks")
    normal_scripts = script_count(browser)
    assert normal_scripts == 1

    # Live path: the row the page's own script inserts from the event stream.
    WebDriverWait(browser, 10).until(lambda d: cell_text(d, "#live") == "live")
    task_id, done = stack.run("tasks.echo", [PAYLOAD], {"x": PAYLOAD})
    assert done.returncode == 0, done.stdout + done.stderr
    live_kwargs = WebDriverWait(browser, 15).until(lambda d: cell_text(d, f'tr[data-uuid="{task_id}"] td.kwargs'))
    assert PAYLOAD in live_kwargs
    assert browser.execute_script("return typeof window.__pwned") == "undefined"
    assert script_count(browser) == normal_scripts

    # Server-rendered path: the Tasks page and the Task page after a reload.
    stack.wait_recorded(task_id, "SUCCESS")
    for url, selectors in ((f"{stack.base}/tasks", (f'tr[data-uuid="{task_id}"] td.kwargs', f'tr[data-uuid="{task_id}"] td.args',
                                                  f'tr[data-uuid="{task_id}"] td.result')),
                           (f"{stack.base}/task/{task_id}", ("table.details code.result",))):
        browser.get(url)
        for selector in selectors:
            text = cell_text(browser, selector)
            assert text is not None and PAYLOAD in text, f"{url} {selector}: {text!r}"
        source = browser.page_source
        assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in source
        assert PAYLOAD not in source
        assert browser.execute_script("return typeof window.__pwned") == "undefined"
        assert script_count(browser) == normal_scripts, f"{url} has {script_count(browser)} script elements"


def test_a_new_task_appears_on_the_open_tasks_page_without_a_reload(stack, browser):
    browser.get(f"{stack.base}/tasks")
    WebDriverWait(browser, 10).until(lambda d: cell_text(d, "#live") == "live")
    browser.execute_script("window.__sameDocument = 'yes'")
    task_id = stack.send("tasks.add", [20, 22])
    result = WebDriverWait(browser, 15).until(lambda d: cell_text(d, f'tr[data-uuid="{task_id}"] td.result') == "42")
    assert result
    row = browser.find_element(By.CSS_SELECTOR, f'tr[data-uuid="{task_id}"]')
    assert row.find_element(By.CSS_SELECTOR, "td.name").text == "tasks.add"
    assert row.find_element(By.CSS_SELECTOR, ".state-cell").text == "SUCCESS"
    # Newest first, and still the same document (no reload happened).
    first = browser.find_element(By.CSS_SELECTOR, "#tasks tbody tr")
    assert first.get_attribute("data-uuid") == task_id
    assert browser.execute_script("return window.__sameDocument") == "yes"


def test_dashboard_screenshots(stack, browser):
    # The Tasks page with everything the tests above ran (success, failure, escaped payload).
    task_id, done = stack.run("tasks.mul", [6, 7])
    assert done.stdout.strip() == "42", done.stdout + done.stderr
    stack.wait_recorded(task_id, "SUCCESS")
    open_until(browser, f"{stack.base}/tasks", f'tr[data-uuid="{task_id}"] td.result', lambda text: text == "42")
    browser.save_screenshot(str(ARTIFACTS / "tasks.png"))

    browser.get(f"{stack.base}/workers")
    WebDriverWait(browser, 10).until(lambda d: cell_text(d, "#workers tbody tr[data-worker] td.status") == "online")
    link = browser.find_element(By.CSS_SELECTOR, "#workers tbody tr[data-worker] td a")
    assert link.text.startswith("browser@")
    browser.save_screenshot(str(ARTIFACTS / "workers.png"))
    # The worker link (an '@' in the name, percent-encoded in the href) opens its page.
    link.click()
    WebDriverWait(browser, 10).until(lambda d: (cell_text(d, "h1") or "").startswith("Worker browser@"))
    assert "Registered tasks" in browser.page_source
    browser.save_screenshot(str(ARTIFACTS / "worker.png"))


def test_worker_page_autoscale_form_sets_new_bounds(stack, browser):
    name = next(iter(stack.api("/api/workers")))
    browser.get(f"{stack.base}/worker/{name}")
    form = browser.find_element(By.CSS_SELECTOR, 'form[data-action-form="/api/worker/pool/autoscale/"]')
    form.find_element(By.NAME, "min").send_keys("2")
    form.find_element(By.NAME, "max").send_keys("3")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 15).until(lambda d: "Autoscaling" in (cell_text(d, "#action-result") or ""))
    assert cell_text(browser, "#action-result") == f"Autoscaling '{name}' worker (min=2, max=3)"


def test_schedules_page_lists_entries_and_its_buttons_pause_resume_and_run_now(stack, browser):
    from conftest import TASKQ, start, wait_for
    name = f"browser-{uuid.uuid4().hex[:6]}"
    beat = start([str(TASKQ), "beat", "--broker", stack.redis_url, "--loglevel=info"], stack.logs / "beat.log")
    try:
        stack.cli("beat", "add", name, "--task", "tasks.add", "--every", "2", "--args", "[3, 4]")
        stack.cli("beat", "add", f"{name}-cron", "--task", "tasks.add", "--crontab", "30 2 * * *", "--timezone", "Europe/Berlin")
        wait_for(lambda: next((e for e in stack.api("/api/schedules") if e["name"] == name and e["total_runs"] >= 1), None),
                 20, f"{name} to be sent once")
        browser.get(f"{stack.base}/schedules")
        row = browser.find_element(By.CSS_SELECTOR, f'tr.schedule[data-name="{name}"]')
        assert "every 2 seconds" in row.text and "tasks.add" in row.text
        cron = browser.find_element(By.CSS_SELECTOR, f'tr.schedule[data-name="{name}-cron"]')
        assert "Europe/Berlin" in cron.find_element(By.CSS_SELECTOR, "td.next").text
        row.find_element(By.XPATH, ".//button[text()='Pause']").click()
        WebDriverWait(browser, 15).until(lambda d: cell_text(d, "#action-result") == f"Paused {name}")
        assert next(e for e in stack.api("/api/schedules") if e["name"] == name)["paused"] is True
        browser.refresh()
        row = browser.find_element(By.CSS_SELECTOR, f'tr.schedule[data-name="{name}"]')
        assert row.find_element(By.CSS_SELECTOR, "td.status").text == "paused"
        runs = next(e for e in stack.api("/api/schedules") if e["name"] == name)["total_runs"]
        row.find_element(By.XPATH, ".//button[text()='Run now']").click()
        WebDriverWait(browser, 15).until(lambda d: cell_text(d, "#action-result") == f"Sent {name}")
        after = wait_for(lambda: next((e for e in stack.api("/api/schedules") if e["name"] == name and e["total_runs"] == runs + 1), None),
                         10, "the run-now to be recorded")
        stack.wait_recorded(after["last_task_id"], "SUCCESS")
        browser.refresh()
        row = browser.find_element(By.CSS_SELECTOR, f'tr.schedule[data-name="{name}"]')
        row.find_element(By.XPATH, ".//button[text()='Resume']").click()
        WebDriverWait(browser, 15).until(lambda d: cell_text(d, "#action-result") == f"Resumed {name}")
        wait_for(lambda: next((e for e in stack.api("/api/schedules") if e["name"] == name and e["total_runs"] >= runs + 2), None),
                 20, f"{name} to be sent again after resume")
        browser.save_screenshot(str(ARTIFACTS / "schedules.png"))
    finally:
        beat.terminate()
        beat.wait(timeout=20)
