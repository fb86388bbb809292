"""The terminal: xterm.js on an exec channel of the console's socket, in a demo pod's shell."""

import re

from selenium.webdriver.common.by import By


def screen_has_line(console, text):
    return text in console.terminal_lines()


def terminal_size(console):
    """(rows, cols) of the terminal once layout has settled: read two animation frames on, after
    any ResizeObserver callback (and so any refit) of the current layout has run."""
    return tuple(console.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => {"
        "  const host = document.getElementById('terminal');"
        "  done([Number(host.dataset.rows), Number(host.dataset.cols)]);"
        "}));"))


def stty_size(console, marker):
    """Runs `stty size` (after an echo of `marker`, to find its answer on the screen)."""
    console.run_in_terminal(f"echo {marker}; stty size")

    def answer(_):
        lines = console.terminal_lines()
        if marker not in lines:
            return None
        after = lines[lines.index(marker) + 1:]
        sizes = [line for line in after if re.fullmatch(r"\d+ \d+", line)]
        return sizes[0] if sizes else None

    rows, cols = console.wait(
        answer, message=lambda: f"no answer to stty size after {marker}; screen: {console.terminal_lines()}").split()
    return int(rows), int(cols)


def test_echo_and_resize_in_a_pod_shell(console, simulator, cluster_id, output_dir):
    pod = simulator.pod_names("demo", "app=api")[0]
    console.go("pods", cluster_id=cluster_id, namespace="demo")
    console.row_action("pods-table", pod, "shell")
    console.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#detail .tab-panel:not([hidden]) #terminal").is_displayed())
    console.wait(lambda d: d.find_element(By.CSS_SELECTOR, "#terminal-status").text == "Connected",
                 message=lambda: f"the shell did not open: {console.find('#terminal-status').text}")

    console.run_in_terminal("echo hi")
    console.wait(lambda _: screen_has_line(console, "hi"),
                 message=lambda: f"`echo hi` printed nothing; screen: {console.terminal_lines()}")

    # The remote terminal has the size xterm.js fitted to its box.
    before = terminal_size(console)
    assert stty_size(console, "size-before") == before

    # A smaller window: the box shrinks, xterm.js refits, the resize reaches the shell.
    console.driver.set_window_size(1000, 700)
    console.wait(lambda _: terminal_size(console) != before, message="the terminal did not refit")
    after = terminal_size(console)
    assert after[0] < before[0] and after[1] < before[1], (before, after)
    assert stty_size(console, "size-after") == after
    console.driver.save_screenshot(str(output_dir / "terminal-resized.png"))
