"""The console as the tests see it: sign in, go to a section, read tables, use the detail
drawer, the terminal and the dialogs. Every wait is a condition polled against a deadline."""

from selenium.common.exceptions import JavascriptException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

DEFAULT_TIMEOUT = 15
POLL = 0.05


class ConsolePage:
    def __init__(self, driver, base_url):
        self.driver = driver
        self.base_url = base_url

    # Waiting

    def wait(self, condition, timeout=DEFAULT_TIMEOUT, message=""):
        """Polls `condition(driver)` until it returns something truthy; returns that. `message`
        (text, or a function giving it at the time of failure) explains a timeout."""
        waiting = WebDriverWait(self.driver, timeout, poll_frequency=POLL,
                                ignored_exceptions=(StaleElementReferenceException, JavascriptException))
        try:
            return waiting.until(condition)
        except TimeoutException:
            raise TimeoutException(f"after {timeout}s: {message() if callable(message) else message}") from None

    def wait_js(self, script, timeout=DEFAULT_TIMEOUT, message=""):
        """Polls a JavaScript expression (`return …`) until it is truthy; returns its value."""
        return self.wait(lambda d: d.execute_script(script), timeout, message or script)

    def find(self, css, timeout=DEFAULT_TIMEOUT):
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), timeout, f"{css} not visible")

    def click(self, css, timeout=DEFAULT_TIMEOUT):
        element = self.wait(EC.element_to_be_clickable((By.CSS_SELECTOR, css)), timeout, f"{css} not clickable")
        element.click()
        return element

    # Session

    def open(self):
        self.driver.get(self.base_url + "/")

    def sign_out_storage(self):
        """Forgets the tab's token and preferences, as a new tab would have none. Done from a
        page of the gateway's origin that runs no console (the storage is the origin's), so that
        no console still signing in writes its token back."""
        self.driver.get(self.base_url + "/assets/favicon.svg")
        self.driver.execute_script("sessionStorage.clear(); localStorage.clear();")

    def sign_in(self, token):
        textarea = self.find("#token-input")
        textarea.clear()
        textarea.send_keys(token)
        self.click("#sign-in-button")

    def sign_in_form_ready(self):
        """The sign-in form is shown and not busy trying a token."""
        return (self.driver.find_element(By.ID, "sign-in").is_displayed()
                and self.driver.find_element(By.ID, "sign-in-button").is_enabled())

    def ensure_signed_in(self, token):
        """Leaves the page signed in, on a connected socket, whatever state a test left it in."""
        state = self.driver.execute_script(
            "return window.kubegale && sessionStorage.getItem('kubegale.token') === arguments[0]"
            " ? document.getElementById('connection').dataset.state : null", token)
        if state not in ("connected", "resumed"):
            self.sign_out_storage()
            self.open()
            self.wait(lambda d: d.find_element(By.ID, "app").is_displayed() or self.sign_in_form_ready(),
                      message="neither the console nor the sign-in form appeared")
            if not self.driver.find_element(By.ID, "app").is_displayed():
                self.sign_in(token)
            self.wait_connected()
        self.driver.execute_script("window.kubegale.detail.close();"
                                   "document.querySelector('dialog[open]')?.close();")

    def connection_state(self):
        return self.driver.find_element(By.ID, "connection").get_attribute("data-state")

    def wait_connected(self, timeout=DEFAULT_TIMEOUT):
        return self.wait(lambda d: self.connection_state() in ("connected", "resumed") and self.connection_state(),
                         timeout, "the connection indicator never showed connected")

    def diagnostics(self, expression):
        """Evaluates `window.kubegale.<expression>`."""
        return self.driver.execute_script(f"return window.kubegale.{expression};")

    # Navigation

    def go(self, section, cluster_id=None, namespace=None):
        """Shows a section (pods, workloads, …) of a cluster and namespace."""
        if cluster_id is not None:
            select = Select(self.find("#cluster-select"))
            if select.first_selected_option.get_attribute("value") != str(cluster_id):
                select.select_by_value(str(cluster_id))
        if namespace is not None:
            self.select_namespace(namespace)
        self.driver.execute_script("location.hash = arguments[0]", f"#/{section}")
        self.wait(lambda d: d.find_element(By.ID, "main").get_attribute("data-view") == section)

    def select_namespace(self, namespace):
        self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, f'#namespace-select option[value="{namespace}"]'),
                  message=f"namespace {namespace} never appeared in the picker")
        select = Select(self.driver.find_element(By.ID, "namespace-select"))
        if select.first_selected_option.get_attribute("value") != namespace:
            select.select_by_value(namespace)

    # Tables

    def row_names(self, table_id):
        return self.driver.execute_script(
            "return [...document.querySelectorAll(`#${arguments[0]} tbody tr[data-uid]`)].map(r => r.dataset.name)",
            table_id)

    def wait_synced(self, table_id, timeout=DEFAULT_TIMEOUT):
        self.wait(lambda d: d.find_element(By.ID, table_id).get_attribute("data-synced") == "true", timeout,
                  f"#{table_id} never synced")

    def wait_rows(self, table_id, expected, timeout=DEFAULT_TIMEOUT):
        """Waits until the table's row names are exactly `expected` (any order)."""
        expected = sorted(expected)
        try:
            self.wait(lambda _: sorted(self.row_names(table_id)) == expected, timeout)
        except TimeoutException:
            raise AssertionError(
                f"#{table_id} shows {sorted(self.row_names(table_id))} after {timeout}s, expected {expected}") from None

    def row(self, table_id, name):
        return self.find(f'#{table_id} tbody tr[data-name="{name}"]')

    def row_action(self, table_id, name, action):
        self.row(table_id, name).find_element(By.CSS_SELECTOR, f'button[data-action="{action}"]').click()

    def open_detail(self, table_id, name, tab=None):
        self.row(table_id, name).find_element(By.CSS_SELECTOR, "button.name-link").click()
        self.wait(lambda d: d.find_element(By.ID, "detail").get_attribute("data-name") == name)
        if tab:
            self.click(f"#tab-{tab}")

    # Topology

    def topology_nodes(self, kind=None):
        """The nodes drawn in #topology-graph: `{id, kind, name, status}`, of one kind or all."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#topology-graph g.topology-node')]"
            ".map(g => ({id: g.dataset.id, kind: g.dataset.kind, name: g.dataset.name, status: g.dataset.status,"
            " title: g.querySelector('title').textContent}))"
            ".filter(n => !arguments[0] || n.kind === arguments[0])", kind)

    def topology_edges(self, edge_type=None):
        """The edges drawn in #topology-graph as `(from id, type, to id)`."""
        edges = self.driver.execute_script(
            "return [...document.querySelectorAll('#topology-graph path.topology-edge')]"
            ".map(p => [p.dataset.from, p.dataset.type, p.dataset.to])")
        return {tuple(edge) for edge in edges if edge_type is None or edge[1] == edge_type}

    def wait_topology_synced(self, timeout=DEFAULT_TIMEOUT):
        self.wait(lambda d: d.find_element(By.ID, "topology-graph").get_attribute("data-synced") == "true", timeout,
                  "#topology-graph never synced")

    # Alerts

    def alert_rows(self):
        """The rows of #alerts-table: `{rule, target, state, severity}`."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#alerts-table tbody tr[data-key]')]"
            ".map(r => ({rule: r.dataset.rule, target: r.dataset.target, state: r.dataset.state,"
            " severity: r.dataset.severity}))")

    # Terminal

    def terminal_lines(self):
        """The rows of the xterm.js screen (DOM renderer), trailing blanks removed."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#terminal .xterm-rows > div')]"
            ".map(row => row.textContent.replace(/\\u00a0/g, ' ').trimEnd())")

    def type_in_terminal(self, text):
        textarea = self.driver.find_element(By.CSS_SELECTOR, "#terminal .xterm-helper-textarea")
        textarea.send_keys(text)

    def run_in_terminal(self, command):
        self.type_in_terminal(command + Keys.ENTER)

    # Files

    def wait_download(self, directory, pattern, timeout=DEFAULT_TIMEOUT):
        """The downloaded file matching `pattern`; Chromium gives a download its name only once
        it is complete (it is written as `….crdownload` until then)."""
        found = self.wait(lambda _: sorted(directory.glob(pattern)), timeout, f"no download {pattern} in {directory}")
        return found[-1]

    def wait_transfer(self, progress_id, timeout=30):
        state = self.wait(lambda d: d.find_element(By.ID, progress_id).get_attribute("data-state") in ("done", "failed")
                          and d.find_element(By.ID, progress_id).get_attribute("data-state"), timeout)
        return state
