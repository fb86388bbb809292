"""The log viewer on KubeSim's demo deployment `demo/nginx`: three pods, each writing two
access-log lines a second, merged into one view."""

import re

from selenium.webdriver.common.by import By

NGINX_LINE = re.compile(r'^\S+ - - \[[^\]]+\] "GET \S+ HTTP/1\.1" \d{3} \d+ "-" "[^"]+"$'
                        r"|^/docker-entrypoint\.sh: Configuration complete; ready for start up$")


def line_count(console):
    return int(console.driver.find_element(By.ID, "log-output").get_attribute("data-lines"))


def waiting_count(console):
    """Lines received while paused, as the Follow button counts them."""
    match = re.search(r"\((\d+) new\)", console.driver.find_element(By.ID, "log-follow").text)
    return int(match.group(1)) if match else 0


def visible_lines(console):
    return console.driver.execute_script(
        "return [...document.querySelectorAll('#log-output .log-line:not([hidden])')]"
        ".map(line => ({pod: line.dataset.pod, text: line.lastChild.textContent}))")


def test_merged_logs_follow_pause_filter_and_download(console, simulator, cluster_id, downloads):
    pods = simulator.pod_names("demo", "app=nginx")
    assert len(pods) == 3
    console.go("workloads", cluster_id=cluster_id, namespace="demo")
    console.row_action("deployments-table", "nginx", "logs")
    console.wait(lambda _: line_count(console) > 0, message="no log lines arrived")

    # Lines of every pod, attributed, each one a line the container wrote.
    console.wait(lambda _: {line["pod"] for line in visible_lines(console)} == set(pods), message="not every pod's lines")
    for line in visible_lines(console)[-20:]:
        assert NGINX_LINE.match(line["text"]), line

    # Following: new lines keep coming (six a second).
    before = line_count(console)
    console.wait(lambda _: line_count(console) >= before + 6, timeout=5, message="the view does not follow")

    # Paused: the view stands still while the new lines are counted; following again shows them.
    console.click("#log-follow")
    paused_at = line_count(console)
    console.wait(lambda _: waiting_count(console) >= 4, timeout=5, message="the paused view does not count new lines")
    assert line_count(console) == paused_at
    waiting = waiting_count(console)
    console.click("#log-follow")
    console.wait(lambda _: line_count(console) >= paused_at + waiting, timeout=3)

    # Timestamps column on and off.
    first_stamp = console.driver.find_element(By.CSS_SELECTOR, "#log-output .log-line .ts")
    assert not first_stamp.is_displayed()
    console.click("#log-timestamps")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", first_stamp.text)

    # Filter: only matching lines stay visible.
    console.find("#log-filter").send_keys("/healthz")
    console.wait(lambda _: visible_lines(console) and all("/healthz" in line["text"] for line in visible_lines(console)),
                 message="the filter left other lines visible")

    # Download: every line received, as text.
    console.click("#log-download")
    lines = console.wait_download(downloads, "demo-nginx-*.txt").read_text().splitlines()
    assert len(lines) >= paused_at
    for line in lines[-10:]:
        stamp, source, message = line.split(" ", 2)
        assert re.match(r"^\d{4}-\d\d-\d\dT", stamp) and source.split("/")[0] in pods and NGINX_LINE.match(message), line

